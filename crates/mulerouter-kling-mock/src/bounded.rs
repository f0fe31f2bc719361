//! Reading a request body under the schema's size limits, in one pass: an array longer than
//! its `maxItems` is counted to its end but kept only up to the limit, and a string over its
//! `maxLength` is noted as it is read. A body of a million elements where four are allowed
//! therefore never becomes a million values in memory, and the validator that runs next
//! (see [`violations::finish`](crate::violations::finish)) sees at most the allowed items.
//!
//! An array or object where the schema allows none (`"keep_audio": [0, 0, …]`), and the value
//! of a property a closed object does not know, are wrong whatever they hold: they are read
//! to their end but kept only as far as a message quotes them, with their real length noted
//! for it (see [`Read::sizes`]).
//!
//! Everything without a limit is left to `serde_json`'s own `Value`, so the JSON read is
//! exactly what `serde_json::from_str` reads, with its syntax errors and depth limit; what is
//! read but not kept (items past `maxItems`, the inside of a refused container) is only
//! checked for its syntax.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use mulerouter_kling::Violation;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::text::push_segment_to;
use crate::violations::{MAX_VIOLATIONS, SizeLimits, too_many};

/// Entries of a refused array or object kept for its message, which quotes up to 8 of them
/// and counts them when there are more.
const QUOTED_ENTRIES: usize = 9;
/// Values kept inside those entries, all told, and characters of each string: more than a
/// quote of 80 characters can show.
const QUOTED_VALUES: usize = 64;
const QUOTED_CHARS: usize = 100;

/// A body as read under its schema's limits.
#[derive(Debug, PartialEq)]
pub(crate) struct Read {
    /// The JSON, its arrays cut to their `maxItems`, refused containers to what a message
    /// quotes, as are the values of properties a closed object does not know.
    pub(crate) value: Value,
    /// The size limits it broke (at most [`MAX_VIOLATIONS`] + 1).
    pub(crate) violations: Vec<Violation>,
    /// The pointers of refused containers that were cut, with their real number of entries.
    pub(crate) sizes: Vec<(String, usize)>,
}

/// `text` as JSON, read under `limits`.
pub(crate) fn parse(text: &str, limits: &SizeLimits) -> Result<Read, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = run(&mut deserializer, limits)?;
    deserializer.end()?;
    Ok(read)
}

/// The same for a value already parsed (an example, a response).
pub(crate) fn read(value: &Value, limits: &SizeLimits) -> Read {
    // Reading a `Value` cannot fail: every shape it holds is one the visitor takes.
    run(value, limits).unwrap_or_else(|_| Read {
        value: value.clone(),
        violations: Vec::new(),
        sizes: Vec::new(),
    })
}

fn run<'de, D: de::Deserializer<'de>>(
    deserializer: D,
    limits: &SizeLimits,
) -> Result<Read, D::Error> {
    let mut found = Found {
        pointer: String::new(),
        violations: Vec::new(),
        sizes: Vec::new(),
    };
    let value = Bounded {
        limits,
        found: &mut found,
    }
    .deserialize(deserializer)?;
    Ok(Read {
        value,
        violations: found.violations,
        sizes: found.sizes,
    })
}

/// Where the parse is and what it found.
struct Found {
    /// The JSON pointer of the value being read.
    pointer: String,
    violations: Vec<Violation>,
    sizes: Vec<(String, usize)>,
}

impl Found {
    /// Notes the real number of entries of the refused container being read.
    fn note_size(&mut self, entries: usize) {
        self.sizes.push((self.pointer.clone(), entries));
    }

    fn push(&mut self, violation: Violation) {
        // One past the bound says there were more; the rest are not kept.
        if self.violations.len() <= MAX_VIOLATIONS {
            self.violations.push(violation);
        }
    }

    /// Reads the value at `pointer` + `segment` with `limits` (serde_json's `Value` when it
    /// has none).
    fn child<T, E>(
        &mut self,
        segment: Segment<'_>,
        limits: Option<&SizeLimits>,
        read: impl FnOnce(Option<Bounded<'_>>) -> Result<T, E>,
    ) -> Result<T, E> {
        let Some(limits) = limits else {
            return read(None);
        };
        let length = self.pointer.len();
        match segment {
            Segment::Index(index) => {
                let _ = write!(self.pointer, "/{index}");
            }
            Segment::Name(name) => push_segment_to(&mut self.pointer, name),
        }
        let result = read(Some(Bounded {
            limits,
            found: self,
        }));
        self.pointer.truncate(length);
        result
    }
}

/// One step down a JSON pointer.
enum Segment<'a> {
    Index(usize),
    Name(&'a str),
}

/// The visits both readers share: numbers, booleans and `null` are kept as they are (only
/// strings and containers are bounded).
macro_rules! scalars_as_they_are {
    () => {
        fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
            Ok(Value::Bool(value))
        }

        fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
            Ok(value.into())
        }

        fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
            Ok(value.into())
        }

        fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
            Ok(value.into())
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    };
}

/// Reads one value under `limits`.
struct Bounded<'a> {
    limits: &'a SizeLimits,
    found: &'a mut Found,
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars_as_they_are!();

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        self.visit_string(value.to_string())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        if let Some(violation) = self.limits.check_length(&self.found.pointer, &value) {
            self.found.push(violation);
        }
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Bounded { limits, found } = self;
        if !limits.allows_array() {
            let mut budget = QUOTED_VALUES;
            let mut items = Vec::new();
            let mut count = 0;
            while items.len() < QUOTED_ENTRIES {
                match seq.next_element_seed(Glimpse {
                    budget: &mut budget,
                })? {
                    Some(item) => items.push(item),
                    None => return Ok(Value::Array(items)),
                }
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {
                count += 1;
            }
            if count > 0 {
                found.note_size(items.len() + count);
            }
            return Ok(Value::Array(items));
        }
        let keep = limits
            .max_items()
            .map_or(usize::MAX, |max| usize::try_from(max).unwrap_or(usize::MAX));
        let mut items = Vec::new();
        while items.len() < keep {
            let at = Segment::Index(items.len());
            let item = found.child(at, limits.items(), |bounded| match bounded {
                Some(bounded) => seq.next_element_seed(bounded),
                None => seq.next_element::<Value>(),
            })?;
            match item {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
        // Over the limit: the rest is counted, not kept, and not looked into.
        let mut count = items.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        if let Some(max) = limits.max_items().filter(|max| count as u64 > *max) {
            found.push(too_many(&found.pointer, "maxItems", count, max));
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Bounded { limits, found } = self;
        if !limits.allows_object() {
            let mut budget = QUOTED_VALUES;
            let mut object = Map::new();
            let mut count = 0;
            while let Some(name) = map.next_key::<String>()? {
                if object.len() < QUOTED_ENTRIES {
                    let value = map.next_value_seed(Glimpse {
                        budget: &mut budget,
                    })?;
                    object.insert(name, value);
                } else {
                    map.next_value::<IgnoredAny>()?;
                    count += 1;
                }
            }
            if count > 0 {
                found.note_size(object.len() + count);
            }
            return Ok(Value::Object(object));
        }
        let before = found.violations.len();
        let mut object = Map::new();
        // Unknown properties kept, and how many more were dropped: a violation names each,
        // and no more than the first MAX_VIOLATIONS + 1 in the order of their names (the
        // order the validator lists them in) are ever named.
        let mut unknown: BTreeSet<String> = BTreeSet::new();
        let mut dropped = 0;
        while let Some(name) = map.next_key::<String>()? {
            if limits.refuses_property(&name) {
                // Unknown whatever it holds: kept only as far as a quote of the object
                // holding it (a `oneOf` branch's message) shows it.
                let value = map.next_value_seed(Glimpse {
                    budget: &mut QUOTED_VALUES.clone(),
                })?;
                if unknown.len() > MAX_VIOLATIONS && unknown.last().is_some_and(|last| *last < name)
                {
                    dropped += 1;
                    continue;
                }
                unknown.insert(name.clone());
                object.insert(name, value);
                if unknown.len() > MAX_VIOLATIONS + 1
                    && let Some(last) = unknown.pop_last()
                {
                    object.remove(&last);
                    dropped += 1;
                }
                continue;
            }
            let value =
                found.child(
                    Segment::Name(&name),
                    limits.property(&name),
                    |bounded| match bounded {
                        Some(bounded) => map.next_value_seed(bounded),
                        None => map.next_value::<Value>(),
                    },
                )?;
            object.insert(name, value);
        }
        let count = object.len() + dropped;
        if dropped > 0 {
            found.note_size(count);
        }
        if let Some(max) = limits.max_properties().filter(|max| count as u64 > *max) {
            // As for an array over its limit, what is inside is not reported.
            found.violations.truncate(before);
            found.push(too_many(&found.pointer, "maxProperties", count, max));
        }
        Ok(Value::Object(object))
    }
}

/// Reads a value inside a refused container: kept only as far as `budget` values and
/// [`QUOTED_CHARS`] characters of each string go, the rest read and dropped.
struct Glimpse<'a> {
    budget: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for Glimpse<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Glimpse<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars_as_they_are!();

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.chars().take(QUOTED_CHARS).collect()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while *self.budget > 0 {
            *self.budget -= 1;
            match seq.next_element_seed(Glimpse {
                budget: &mut *self.budget,
            })? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if *self.budget == 0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            *self.budget -= 1;
            let value = map.next_value_seed(Glimpse {
                budget: &mut *self.budget,
            })?;
            object.insert(name.chars().take(QUOTED_CHARS).collect(), value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn limits() -> SizeLimits {
        SizeLimits::compile(&json!({ "type": "object", "properties": {
            "prompt": { "type": "string", "maxLength": 5 },
            "tags": { "type": "object", "maxProperties": 1,
                "properties": { "a": { "type": "string", "maxLength": 1 } } },
            "elements": { "type": "array", "maxItems": 2, "items": { "$ref": "#/$defs/E" } } },
            "$defs": { "E": { "type": "object",
                "properties": { "name": { "type": "string", "maxLength": 3 } } } } }))
    }

    fn listed(found: &[Violation]) -> Vec<(&str, &str, &str)> {
        found
            .iter()
            .map(|v| (v.pointer.as_str(), v.rule.as_str(), v.message.as_str()))
            .collect()
    }

    #[test]
    fn a_body_within_its_limits_reads_as_serde_json_reads_it() {
        for text in [
            r#"{"prompt": "abc", "elements": [{"name": "x", "n": 1.5e3}, {"k": [null, true, -7]}]}"#,
            r#"{"prompt": "a", "prompt": "b", "other": {"deep": [[[]]]}, "u": 18446744073709551615}"#,
            r#"[1, "two", {"three": 3}]"#,
            r#""just a string""#,
        ] {
            // Act
            let Read {
                value,
                violations: found,
                ..
            } = parse(text, &limits()).unwrap();

            // Assert
            assert_eq!(
                value,
                serde_json::from_str::<Value>(text).unwrap(),
                "{text}"
            );
            assert!(found.is_empty(), "{text}: {found:?}");
        }
    }

    #[test]
    fn an_array_over_max_items_is_kept_to_its_limit_and_counted_to_its_end() {
        // Arrange
        let text = format!(
            r#"{{"elements": [{}]}}"#,
            vec![r#"{"name": "toolong"}"#; 1000].join(",")
        );

        // Act
        let Read {
            value,
            violations: found,
            ..
        } = parse(&text, &limits()).unwrap();

        // Assert
        assert_eq!(value["elements"].as_array().unwrap().len(), 2);
        assert_eq!(
            listed(&found),
            [
                (
                    "/elements/0/name",
                    "maxLength",
                    "longer than 3 characters (7)"
                ),
                (
                    "/elements/1/name",
                    "maxLength",
                    "longer than 3 characters (7)"
                ),
                ("/elements", "maxItems", "has 1000 items, at most 2 allowed"),
            ]
        );
    }

    #[test]
    fn a_parsed_value_is_read_the_same_way_and_only_its_arrays_over_their_limit_are_cut() {
        // Arrange
        let limits = SizeLimits::compile(&json!({ "type": "object", "properties": {
            "a": { "type": "array", "items": { "type": "object",
                "properties": { "b": { "type": "array", "maxItems": 1 } } } } } }));
        let value = json!({ "a": [{ "b": [1, 2, 3], "c": [1, 2] }, [4, 5]], "d": [6, 7] });

        // Act
        let Read {
            value: cut,
            violations: found,
            ..
        } = read(&value, &limits);

        // Assert
        assert_eq!(
            cut,
            json!({ "a": [{ "b": [1], "c": [1, 2] }, [4, 5]], "d": [6, 7] })
        );
        assert_eq!(
            listed(&found),
            [("/a/0/b", "maxItems", "has 3 items, at most 1 allowed")]
        );
        assert_eq!(
            read(&value, &limits),
            parse(&value.to_string(), &limits).unwrap()
        );
    }

    #[test]
    fn strings_are_measured_in_characters() {
        let Read {
            violations: found, ..
        } = parse(r#"{"prompt": "ünïcö"}"#, &limits()).unwrap();
        assert!(found.is_empty(), "{found:?}");

        let Read {
            violations: found, ..
        } = parse(r#"{"prompt": "ünïcöd"}"#, &limits()).unwrap();
        assert_eq!(
            listed(&found),
            [("/prompt", "maxLength", "longer than 5 characters (6)")]
        );
    }

    #[test]
    fn an_object_over_max_properties_is_reported_without_what_is_inside() {
        let Read {
            value,
            violations: found,
            ..
        } = parse(r#"{"tags": {"a": "long", "b": 1}}"#, &limits()).unwrap();

        assert_eq!(value["tags"]["a"], "long");
        assert_eq!(
            listed(&found),
            [(
                "/tags",
                "maxProperties",
                "has 2 properties, at most 1 allowed"
            )]
        );
    }

    #[test]
    fn violations_are_kept_to_one_past_the_bound() {
        let limits = SizeLimits::compile(&json!({ "type": "array",
            "items": { "type": "string", "maxLength": 0 } }));
        let text = serde_json::to_string(&vec!["x"; 5000]).unwrap();

        let Read {
            violations: found, ..
        } = parse(&text, &limits).unwrap();

        assert_eq!(found.len(), MAX_VIOLATIONS + 1);
    }

    #[test]
    fn json_errors_are_serde_json_errors() {
        for text in [
            r#"{"prompt": "a"} trailing"#,
            r#"{"elements": [1, 2"#,
            r#"{"other": [[[[[[1, 2]]]]], "#,
            format!(r#"{{"other": {}"#, "[".repeat(200)).as_str(),
        ] {
            let ours = parse(text, &limits()).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
