//! Reading a request body under the schema's size limits, in one pass: an array longer than
//! its `maxItems` is counted to its end but kept only up to the limit, and a string over its
//! `maxLength` is noted as it is read. A body of a million elements where four are allowed
//! therefore never becomes a million values in memory, and the validator that runs next
//! (see [`violations::finish`](crate::violations::finish)) sees at most the allowed items.
//!
//! Everything without a limit is left to `serde_json`'s own `Value`, so the JSON read is
//! exactly what `serde_json::from_str` reads, with its syntax errors and depth limit.

use std::fmt::{self, Write as _};

use mulerouter_kling::Violation;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::text::push_segment_to;
use crate::violations::{MAX_VIOLATIONS, SizeLimits, too_many};

/// `text` as JSON, its arrays cut to their `maxItems`, and the size limits it broke (at most
/// [`MAX_VIOLATIONS`] + 1 of them).
pub(crate) fn parse(
    text: &str,
    limits: &SizeLimits,
) -> Result<(Value, Vec<Violation>), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = run(&mut deserializer, limits)?;
    deserializer.end()?;
    Ok(read)
}

/// The same for a value already parsed (an example, a response): a copy with its arrays cut
/// to their `maxItems`, and the size limits it breaks.
pub(crate) fn read(value: &Value, limits: &SizeLimits) -> (Value, Vec<Violation>) {
    // Reading a `Value` cannot fail: every shape it holds is one the visitor takes.
    run(value, limits).unwrap_or_else(|_| (value.clone(), Vec::new()))
}

fn run<'de, D: de::Deserializer<'de>>(
    deserializer: D,
    limits: &SizeLimits,
) -> Result<(Value, Vec<Violation>), D::Error> {
    let mut found = Found {
        pointer: String::new(),
        violations: Vec::new(),
    };
    let value = Bounded {
        limits,
        found: &mut found,
    }
    .deserialize(deserializer)?;
    Ok((value, found.violations))
}

/// Where the parse is and what it found.
struct Found {
    /// The JSON pointer of the value being read.
    pointer: String,
    violations: Vec<Violation>,
}

impl Found {
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

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        self.visit_string(value.to_string())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        if let Some(violation) = self.limits.check_length(&self.found.pointer, &value) {
            self.found.push(violation);
        }
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Bounded { limits, found } = self;
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
        let before = found.violations.len();
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
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
        if let Some(max) = limits
            .max_properties()
            .filter(|max| object.len() as u64 > *max)
        {
            // As for an array over its limit, what is inside is not reported.
            found.violations.truncate(before);
            found.push(too_many(&found.pointer, "maxProperties", object.len(), max));
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
            let (value, found) = parse(text, &limits()).unwrap();

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
        let (value, found) = parse(&text, &limits()).unwrap();

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
        let (cut, found) = read(&value, &limits);

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
        let (_, found) = parse(r#"{"prompt": "ünïcö"}"#, &limits()).unwrap();
        assert!(found.is_empty(), "{found:?}");

        let (_, found) = parse(r#"{"prompt": "ünïcöd"}"#, &limits()).unwrap();
        assert_eq!(
            listed(&found),
            [("/prompt", "maxLength", "longer than 5 characters (6)")]
        );
    }

    #[test]
    fn an_object_over_max_properties_is_reported_without_what_is_inside() {
        let (value, found) = parse(r#"{"tags": {"a": "long", "b": 1}}"#, &limits()).unwrap();

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

        let (_, found) = parse(&text, &limits).unwrap();

        assert_eq!(found.len(), MAX_VIOLATIONS + 1);
    }

    #[test]
    fn json_errors_are_serde_json_errors() {
        for text in [
            r#"{"prompt": "a"} trailing"#,
            r#"{"elements": [1, 2"#,
            "[".repeat(200).as_str(),
        ] {
            let ours = parse(text, &limits()).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
