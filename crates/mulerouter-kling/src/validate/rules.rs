//! The shape of the generated rules table, and the walk that checks a JSON value against it.
//!
//! The rows themselves come from the document (`src/generated_rules.rs`, written by
//! `cargo xtask codegen`); nothing here knows a field by name.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Number, Value};

use super::Violation;

/// The JSON Schema `type` a value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type {
    /// `string`
    String,
    /// `integer` (`5.0` counts, as in JSON Schema)
    Integer,
    /// `number`
    Number,
    /// `boolean`
    Boolean,
    /// `array`
    Array,
    /// `object`
    Object,
}

impl Type {
    fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (Type::String, Value::String(_))
            | (Type::Number, Value::Number(_))
            | (Type::Boolean, Value::Bool(_))
            | (Type::Array, Value::Array(_))
            | (Type::Object, Value::Object(_)) => true,
            (Type::Integer, Value::Number(number)) => is_integer(number),
            _ => false,
        }
    }

    /// The type with its article, as a message says it.
    fn described(self) -> &'static str {
        match self {
            Type::String => "a string",
            Type::Integer => "an integer",
            Type::Number => "a number",
            Type::Boolean => "a boolean",
            Type::Array => "an array",
            Type::Object => "an object",
        }
    }
}

/// JSON Schema counts `5.0` as an integer; what a Rust integer cannot hold is refused later,
/// when the value is read into the request type.
fn is_integer(number: &Number) -> bool {
    number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// A `oneOf` whose branches are told apart by one property, e.g. an element's `type`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Tag {
    /// The property that names the branch.
    pub property: &'static str,
    /// Its allowed values, one per branch; the branch's rows are under `pointer[property=value]`.
    pub values: &'static [&'static str],
}

/// The rules of one field: the JSON Schema keywords the document gives it. Rows are
/// generated from the document (see [`crate::rules`]); a field the document does not
/// constrain in some way has `None` (or an empty list) there.
#[derive(Debug)]
#[non_exhaustive]
pub struct Rule {
    /// A JSON pointer in which `*` stands for any array index and `[tag=value]` selects a
    /// branch of a tagged `oneOf` (`/elements/*[type=image]/reference_images`).
    pub pointer: &'static str,
    /// The JSON type the value must have.
    pub ty: Option<Type>,
    /// Whether `null` is allowed too.
    pub nullable: bool,
    /// For an object that is one of several shapes: the property that says which.
    pub tag: Option<Tag>,
    /// The properties an object must have.
    pub required: &'static [&'static str],
    /// Every property the document names.
    pub properties: &'static [&'static str],
    /// Whether an object may have properties the document does not name.
    pub additional_properties: bool,
    /// In Unicode code points, like the document.
    pub min_length: Option<u64>,
    /// In Unicode code points, like the document.
    pub max_length: Option<u64>,
    /// An ECMA-262 regular expression that must match somewhere in the string.
    pub pattern: Option<&'static str>,
    /// What [`pattern`](Self::pattern) asks for, in words (the document's
    /// `x-pattern-description`), for messages.
    pub pattern_description: Option<&'static str>,
    /// `uri`, `uuid` or `date-time`.
    pub format: Option<&'static str>,
    /// What leaving the field out means, as JSON text (`5`, `false`).
    pub default: Option<&'static str>,
    /// The smallest number allowed.
    pub minimum: Option<f64>,
    /// The largest number allowed.
    pub maximum: Option<f64>,
    /// The fewest items an array may have.
    pub min_items: Option<u64>,
    /// The most items an array may have.
    pub max_items: Option<u64>,
    /// The allowed values, when the document lists them (strings only).
    pub enumeration: &'static [&'static str],
}

impl Rule {
    /// A field that allows anything; the generated rows fill in what the document says.
    pub(crate) const ANY: Rule = Rule {
        pointer: "",
        ty: None,
        nullable: false,
        tag: None,
        required: &[],
        properties: &[],
        additional_properties: true,
        min_length: None,
        max_length: None,
        pattern: None,
        pattern_description: None,
        format: None,
        default: None,
        minimum: None,
        maximum: None,
        min_items: None,
        max_items: None,
        enumeration: &[],
    };
}

/// Every violation of `value` against `table`, ordered by pointer (array indices as numbers),
/// the order the mock server lists them in.
pub(crate) fn check(table: &'static [Rule], value: &Value) -> Vec<Violation> {
    let mut walk = Walk {
        table,
        found: Vec::new(),
    };
    walk.value("", "", value);
    let mut found = walk.found;
    found.sort_by_cached_key(|violation| order_key(&violation.pointer));
    found
}

/// The names of the top-level fields of `table`'s body.
pub(crate) fn top_level_fields(table: &'static [Rule]) -> &'static [&'static str] {
    table
        .iter()
        .find(|rule| rule.pointer.is_empty())
        .map_or(&[], |rule| rule.properties)
}

struct Walk {
    table: &'static [Rule],
    found: Vec<Violation>,
}

impl Walk {
    fn rule(&self, pattern: &str) -> Option<&'static Rule> {
        self.table.iter().find(|rule| rule.pointer == pattern)
    }

    fn push(&mut self, pointer: &str, rule: &'static str, message: String) {
        self.found.push(Violation {
            pointer: pointer.to_string(),
            rule: rule.to_string(),
            message,
        });
    }

    /// Checks `value`, found at `at`, against the row for `pattern` and the rows below it. A
    /// field without a row (one the document leaves open) is not checked.
    fn value(&mut self, pattern: &str, at: &str, value: &Value) {
        let Some(rule) = self.rule(pattern) else {
            return;
        };
        if value.is_null() {
            if let Some(ty) = rule.ty.filter(|_| !rule.nullable) {
                self.push(at, "type", format!("null is not {}", ty.described()));
            }
            return;
        }
        if let Some(ty) = rule.ty.filter(|ty| !ty.admits(value)) {
            let or_null = if rule.nullable { " or null" } else { "" };
            self.push(
                at,
                "type",
                format!("{} is not {}{or_null}", quote(value), ty.described()),
            );
            return;
        }
        if !rule.enumeration.is_empty()
            && !value
                .as_str()
                .is_some_and(|text| rule.enumeration.contains(&text))
        {
            self.push(
                at,
                "enum",
                format!(
                    "{} is not one of {}",
                    quote(value),
                    listed(rule.enumeration)
                ),
            );
            return;
        }
        match value {
            Value::String(text) => self.text(rule, at, text),
            Value::Number(number) => self.number(rule, at, number),
            Value::Array(items) => self.array(rule, pattern, at, items),
            Value::Object(map) => match &rule.tag {
                Some(tag) => self.tagged(tag, pattern, at, value, map),
                None => self.object(rule, pattern, at, map),
            },
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn text(&mut self, rule: &Rule, at: &str, text: &str) {
        let length = text.chars().count() as u64;
        let mut broken = false;
        let mut too_short = false;
        if let Some(min) = rule.min_length.filter(|min| length < *min) {
            let message = if min == 1 {
                "must not be empty".to_string()
            } else {
                format!("shorter than {min} characters")
            };
            self.push(at, "minLength", message);
            broken = true;
            too_short = true;
        }
        if let Some(max) = rule.max_length.filter(|max| length > *max) {
            self.push(at, "maxLength", format!("longer than {max} characters"));
            broken = true;
        }
        // A string too short to be judged (an empty image source) is one mistake, not also
        // a broken pattern.
        if let Some(pattern) = rule.pattern.filter(|_| !too_short)
            && !matches(pattern, text)
        {
            let message = match rule.pattern_description {
                Some(wanted) => format!("{} is not {wanted}", quote(&Value::from(text))),
                None => format!("doesn't match pattern \"{pattern}\""),
            };
            self.push(at, "pattern", message);
            broken = true;
        }
        // A string that already breaks its shape gets one violation, not two for one mistake.
        if let Some(format) = rule.format.filter(|_| !broken)
            && let Err(reason) = check_format(format, text)
        {
            self.push(
                at,
                "format",
                format!("{} is not a valid {reason}", quote(&Value::from(text))),
            );
        }
    }

    fn number(&mut self, rule: &Rule, at: &str, number: &Number) {
        let Some(value) = number.as_f64() else {
            return;
        };
        if let Some(min) = rule.minimum.filter(|min| value < *min) {
            self.push(
                at,
                "minimum",
                format!("{number} is less than the minimum of {min}"),
            );
        }
        if let Some(max) = rule.maximum.filter(|max| value > *max) {
            self.push(
                at,
                "maximum",
                format!("{number} is greater than the maximum of {max}"),
            );
        }
    }

    fn array(&mut self, rule: &Rule, pattern: &str, at: &str, items: &[Value]) {
        let count = items.len() as u64;
        let noun = if count == 1 { "item" } else { "items" };
        if let Some(min) = rule.min_items.filter(|min| count < *min) {
            self.push(
                at,
                "minItems",
                format!("has {count} {noun}, at least {min} required"),
            );
        }
        if let Some(max) = rule.max_items.filter(|max| count > *max) {
            self.push(
                at,
                "maxItems",
                format!("has {count} {noun}, at most {max} allowed"),
            );
        }
        let each = format!("{pattern}/*");
        for (index, item) in items.iter().enumerate() {
            self.value(&each, &format!("{at}/{index}"), item);
        }
    }

    fn object(&mut self, rule: &Rule, pattern: &str, at: &str, map: &Map<String, Value>) {
        for name in rule.properties {
            let field = escape(name);
            match map.get(*name) {
                Some(value) => self.value(
                    &format!("{pattern}/{field}"),
                    &format!("{at}/{field}"),
                    value,
                ),
                None if rule.required.contains(name) => {
                    self.push(&format!("{at}/{field}"), "required", "missing".into());
                }
                None => {}
            }
        }
        for name in rule.required {
            if !rule.properties.contains(name) && !map.contains_key(*name) {
                self.push(
                    &format!("{at}/{}", escape(name)),
                    "required",
                    "missing".into(),
                );
            }
        }
        if !rule.additional_properties {
            for name in map.keys() {
                if !rule.properties.contains(&name.as_str()) {
                    self.push(
                        &format!("{at}/{}", escape(name)),
                        "additionalProperties",
                        format!("unknown field, expected one of {}", listed(rule.properties)),
                    );
                }
            }
        }
    }

    /// An object whose `tag` property picks the branch it is checked against; without a
    /// known tag there is no branch, and the tag is the one thing wrong.
    fn tagged(
        &mut self,
        tag: &Tag,
        pattern: &str,
        at: &str,
        value: &Value,
        map: &Map<String, Value>,
    ) {
        let pointer = format!("{at}/{}", escape(tag.property));
        match map.get(tag.property) {
            None => self.push(&pointer, "required", "missing".into()),
            Some(Value::String(name)) if tag.values.contains(&name.as_str()) => {
                self.value(&format!("{pattern}[{}={name}]", tag.property), at, value);
            }
            Some(other) => self.push(
                &pointer,
                "enum",
                format!("{} is not one of {}", quote(other), listed(tag.values)),
            ),
        }
    }
}

/// Whether `pattern` matches somewhere in `text`, as JSON Schema's `pattern` asks. Each
/// pattern of the table is compiled once.
fn matches(pattern: &'static str, text: &str) -> bool {
    static COMPILED: LazyLock<HashMap<&'static str, regress::Regex>> = LazyLock::new(|| {
        super::TABLES
            .iter()
            .flat_map(|table| table.iter())
            .filter_map(|rule| rule.pattern)
            .filter_map(|pattern| Some((pattern, regress::Regex::new(pattern).ok()?)))
            .collect()
    });
    // `cargo xtask codegen` refuses a pattern regress cannot compile, so each one is here.
    COMPILED
        .get(pattern)
        .is_none_or(|regex| regex.find(text).is_some())
}

/// Checks a `format`; the error names the format and says why.
fn check_format(format: &str, text: &str) -> Result<(), String> {
    match format {
        // RFC 3986, with the parser the mock's JSON Schema validator uses for `uri`, so that
        // both sides draw the line in the same place.
        "uri" => fluent_uri::Uri::parse(text)
            .map(|_| ())
            .map_err(|e| format!("URI: {e}")),
        "uuid" => uuid::Uuid::parse_str(text)
            .map(|_| ())
            .map_err(|e| format!("UUID: {e}")),
        "date-time" => chrono::DateTime::parse_from_rfc3339(text)
            .map(|_| ())
            .map_err(|e| format!("RFC 3339 date-time: {e}")),
        // The generator refuses a format the client cannot check.
        _ => Ok(()),
    }
}

/// Pointer segments, numbers compared as numbers: `/elements/2` before `/elements/10`.
fn order_key(pointer: &str) -> Vec<(u64, String)> {
    pointer
        .split('/')
        .map(|segment| match segment.parse::<u64>() {
            Ok(index) => (index, String::new()),
            Err(_) => (u64::MAX, segment.to_string()),
        })
        .collect()
}

/// A value as JSON, cut short: a message never grows with the input.
fn quote(value: &Value) -> String {
    const LIMIT: usize = 80;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        return text;
    }
    let mut short: String = text.chars().take(LIMIT).collect();
    short.push('…');
    short
}

/// `"a", "b", "c"`.
fn listed(values: &[&str]) -> String {
    values
        .iter()
        .map(|value| Value::from(*value).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// RFC 6901: `~` and `/` in a key become `~0` and `~1`.
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
