//! Validator errors as [`Violation`]s: the JSON pointer of the field, the JSON Schema keyword
//! broken, and a short message that is safe to send back whatever the input was.
//!
//! Pointers follow the client's convention (`mulerouter_kling::validate`): a missing or
//! unknown property is reported at the property itself (`/prompt`, `/model_name`), not at
//! the object holding it. Values quoted in messages are cut short, so a 30 MB string in a
//! request cannot make a 30 MB error.

use std::collections::HashMap;
use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use mulerouter_kling::Violation;
use serde_json::{Map, Value};

use crate::text::{pointer_join, shorten};

/// At most this many violations are listed in one answer. Collecting stops at one more, so
/// that the answer can say there were more without finding them all.
pub const MAX_VIOLATIONS: usize = 100;

/// At most this many characters of a value are quoted in a message.
const QUOTE_CHARS: usize = 40;
/// A pointer longer than this (a property name of megabytes) is cut with `…`.
const POINTER_CHARS: usize = 256;

/// The violations of `instance` against `validator`, at most [`MAX_VIOLATIONS`] + 1 of them,
/// ordered by pointer (array indices numerically), so the same input always gives the same
/// list.
///
/// The size limits of the schema (`maxItems`, `maxLength`, `maxProperties`, compiled into
/// `limits`) are checked first, as a request body's are while it is parsed
/// ([`bounded`](crate::bounded)); the validator then sees a copy with each array over its
/// `maxItems` cut to that many items. A million elements where four are allowed cost one
/// count and the check of four, not a million errors; the items past the limit are not
/// checked.
pub(crate) fn collect(
    validator: &Validator,
    limits: &SizeLimits,
    instance: &Value,
) -> Vec<Violation> {
    if limits.is_empty() {
        return finish(validator, Vec::new(), &[], instance);
    }
    let read = crate::bounded::read(instance, limits);
    finish(validator, read.violations, &read.sizes, &read.value)
}

/// The violations of a body read by [`bounded::parse`](crate::bounded::parse): `found` holds
/// the size limits it broke, `sizes` the real sizes of the containers it cut, and `checked`
/// is its value.
pub(crate) fn finish(
    validator: &Validator,
    mut found: Vec<Violation>,
    sizes: &[(String, usize)],
    checked: &Value,
) -> Vec<Violation> {
    // The same validation without building errors, which are only needed when there are some.
    if found.len() <= MAX_VIOLATIONS && !validator.is_valid(checked) {
        for error in validator.iter_errors(checked) {
            convert(&error, sizes, &mut found);
            if found.len() > MAX_VIOLATIONS {
                break;
            }
        }
    }
    found.truncate(MAX_VIOLATIONS + 1);
    found.sort_by_cached_key(|v| (order_key(&v.pointer), v.rule.clone()));
    found.dedup();
    one_violation_per_mistake(&mut found);
    found
}

/// One mistake, one violation: a string that breaks its `pattern` (a URL schema's
/// `^https?://…`) usually fails its `format: uri` for the same reason (`/v.mp4`, `street.mp4`),
/// and the pattern's message says what is wanted, so the `format` violation at the same
/// pointer goes. A value that matches the pattern but is still not a URI keeps its `format`
/// violation: that is a different mistake. A string too short for its `minLength` keeps only
/// that violation; one too long for its `maxLength` keeps its `pattern` but not its `format`.
/// A value of the wrong type (`"mode": 7`) is not also outside the allowed values: its
/// `enum` goes beside `type`. The client reports each case the same way.
fn one_violation_per_mistake(found: &mut Vec<Violation>) {
    let at = |rule: &str| -> Vec<String> {
        found
            .iter()
            .filter(|v| v.rule == rule)
            .map(|v| v.pointer.clone())
            .collect()
    };
    let (too_short, too_long, patterned) = (at("minLength"), at("maxLength"), at("pattern"));
    let mistyped = at("type");
    if [&too_short, &too_long, &patterned, &mistyped]
        .iter()
        .all(|found| found.is_empty())
    {
        return;
    }
    // A string too short to be judged (an empty image source) is one mistake too: its
    // pattern and format go beside `minLength`, as the client reports it.
    found.retain(|v| match v.rule.as_str() {
        "format" => ![&patterned, &too_short, &too_long]
            .iter()
            .any(|broken| broken.contains(&v.pointer)),
        "pattern" => !too_short.contains(&v.pointer),
        "enum" | "const" => !mistyped.contains(&v.pointer),
        _ => true,
    });
}

/// The size limits of a JSON Schema, compiled once: only the parts of the schema that hold
/// one, followed through `$ref`, `properties`, `items` and `allOf` (conditional branches,
/// `if`/`then` and `oneOf`, are left to the validator).
///
/// Beside the sizes, the shape: whether the value may be an array or an object at all (its
/// `type`, `enum` or `const`, and every branch of a `oneOf`/`anyOf`), and which properties a
/// closed object (`additionalProperties: false`) knows. A container where none is allowed,
/// and the value of an unknown property, are wrong whatever they hold, so they are not read
/// into memory ([`bounded`](crate::bounded)): a 32 MiB array sent as `keep_audio` costs a
/// count, not half a gigabyte of values.
#[derive(Debug, Clone)]
pub(crate) struct SizeLimits {
    max_items: Option<u64>,
    max_length: Option<u64>,
    max_properties: Option<u64>,
    items: Option<Box<SizeLimits>>,
    properties: Vec<(String, SizeLimits)>,
    /// Whether the value may be an array.
    array: bool,
    /// Whether the value may be an object.
    object: bool,
    /// The properties of a closed object; `None` when any name is allowed.
    known: Option<Vec<String>>,
}

impl Default for SizeLimits {
    fn default() -> Self {
        Self {
            max_items: None,
            max_length: None,
            max_properties: None,
            items: None,
            properties: Vec::new(),
            array: true,
            object: true,
            known: None,
        }
    }
}

impl SizeLimits {
    /// References and nesting followed before giving up (a schema referring to itself).
    const MAX_DEPTH: usize = 32;

    /// The limits of a standalone schema (with its `$defs`).
    pub(crate) fn compile(schema: &Value) -> Self {
        let defs = schema.get("$defs").and_then(Value::as_object);
        Self::of(schema, defs, 0)
    }

    fn of(schema: &Value, defs: Option<&Map<String, Value>>, depth: usize) -> Self {
        let mut limits = Self::default();
        if depth > Self::MAX_DEPTH {
            return limits;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            if let Some(target) = reference
                .strip_prefix("#/$defs/")
                .and_then(|name| defs?.get(name))
            {
                limits.merge(Self::of(target, defs, depth + 1));
            }
            return limits;
        }
        let limit = |keyword: &str| schema.get(keyword).and_then(Value::as_u64);
        limits.max_items = limit("maxItems");
        limits.max_length = limit("maxLength");
        limits.max_properties = limit("maxProperties");
        if let Some(items) = schema.get("items").filter(|s| s.is_object()) {
            let items = Self::of(items, defs, depth + 1);
            if !items.is_empty() {
                limits.items = Some(Box::new(items));
            }
        }
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let property = Self::of(property, defs, depth + 1);
            if !property.is_empty() {
                limits.properties.push((name.clone(), property));
            }
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            limits.merge(Self::of(part, defs, depth + 1));
        }
        limits.shape(schema);
        // `if null, else X` (a nullable composition): what is not null is X.
        if schema.get("if").is_some_and(is_null_test)
            && let Some(otherwise) = schema.get("else")
        {
            limits.merge(Self::of(otherwise, defs, depth + 1));
        }
        if let Some(branches) = dispatched(schema) {
            let branches = branches
                .into_iter()
                .map(|branch| Self::of(branch, defs, depth + 1))
                .collect();
            limits.merge(Self::either(branches));
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(keyword).and_then(Value::as_array) {
                let branches: Vec<Self> = branches
                    .iter()
                    .map(|branch| Self::of(branch, defs, depth + 1))
                    .collect();
                limits.merge(Self::either(branches));
            }
        }
        limits
    }

    /// What this schema's own keywords say of the value's shape: `type`, `enum` and `const`
    /// narrow the kinds it may be, `additionalProperties: false` closes its properties.
    fn shape(&mut self, schema: &Value) {
        let kinds: Option<Vec<&str>> = match schema.get("type") {
            Some(Value::String(kind)) => Some(vec![kind.as_str()]),
            Some(Value::Array(kinds)) => Some(kinds.iter().filter_map(Value::as_str).collect()),
            _ => None,
        };
        if let Some(kinds) = kinds {
            self.array &= kinds.contains(&"array");
            self.object &= kinds.contains(&"object");
        }
        let values: Option<Vec<&Value>> = match (schema.get("enum"), schema.get("const")) {
            (_, Some(value)) => Some(vec![value]),
            (Some(Value::Array(values)), None) => Some(values.iter().collect()),
            _ => None,
        };
        if let Some(values) = values {
            self.array &= values.iter().any(|v| v.is_array());
            self.object &= values.iter().any(|v| v.is_object());
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false))
            && schema.get("patternProperties").is_none();
        if closed {
            let names = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| properties.keys().cloned().collect())
                .unwrap_or_default();
            self.narrow_known(names);
        }
    }

    fn narrow_known(&mut self, names: Vec<String>) {
        self.known = Some(match self.known.take() {
            Some(known) => known.into_iter().filter(|n| names.contains(n)).collect(),
            None => names,
        });
    }

    /// The limits of a value that matches one of `branches` (a `oneOf` or `anyOf`, or the
    /// `then`s of a dispatch on a property): a kind any branch allows, a property any branch
    /// knows, each size and each property as loose as the branches that may hold it.
    fn either(branches: Vec<Self>) -> Self {
        let loosest = |size: fn(&Self) -> Option<u64>| -> Option<u64> {
            branches
                .iter()
                .map(size)
                .try_fold(0, |most, size| Some(most.max(size?)))
        };
        let mut either = Self {
            array: branches.iter().any(|b| b.array),
            object: branches.iter().any(|b| b.object),
            max_items: loosest(|b| b.max_items),
            max_length: loosest(|b| b.max_length),
            max_properties: loosest(|b| b.max_properties),
            ..Self::default()
        };
        if branches.iter().all(|b| b.known.is_some()) {
            let mut names: Vec<String> = Vec::new();
            for name in branches.iter().flat_map(|b| b.known.iter().flatten()) {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            either.known = Some(names);
        }
        // A property is shaped only if every branch that may hold it shapes it.
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in branches.iter().flat_map(|b| &b.properties) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        for name in names {
            let holding: Vec<&Self> = branches
                .iter()
                .filter(|b| b.object && b.knows(name))
                .collect();
            if holding.iter().all(|b| b.property(name).is_some()) {
                let shapes = holding
                    .iter()
                    .filter_map(|b| b.property(name))
                    .cloned()
                    .collect();
                either
                    .properties
                    .push((name.to_string(), Self::either(shapes)));
            }
        }
        let arrays: Vec<&Self> = branches.iter().filter(|b| b.array).collect();
        if !arrays.is_empty() && arrays.iter().all(|b| b.items.is_some()) {
            let shapes = arrays.iter().filter_map(|b| b.items()).cloned().collect();
            either.items = Some(Box::new(Self::either(shapes)));
        }
        either
    }

    /// Whether a property `name` may be there (a closed object lists it).
    fn knows(&self, name: &str) -> bool {
        self.known
            .as_ref()
            .is_none_or(|known| known.iter().any(|n| n == name))
    }

    /// Adds the limits of `other`, which applies to the same value (the tighter one wins).
    fn merge(&mut self, other: Self) {
        let tighter = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_items = tighter(self.max_items, other.max_items);
        self.max_length = tighter(self.max_length, other.max_length);
        self.max_properties = tighter(self.max_properties, other.max_properties);
        match (&mut self.items, other.items) {
            (Some(mine), Some(theirs)) => mine.merge(*theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
        self.properties.extend(other.properties);
        self.array &= other.array;
        self.object &= other.object;
        if let Some(names) = other.known {
            self.narrow_known(names);
        }
    }

    /// The tightest `maxItems` of the value.
    pub(crate) fn max_items(&self) -> Option<u64> {
        self.max_items
    }

    /// The tightest `maxProperties` of the value.
    pub(crate) fn max_properties(&self) -> Option<u64> {
        self.max_properties
    }

    /// The limits of the array's items, if they have any.
    pub(crate) fn items(&self) -> Option<&SizeLimits> {
        self.items.as_deref()
    }

    /// The limits of the object's property `name`, if it has any.
    pub(crate) fn property(&self, name: &str) -> Option<&SizeLimits> {
        self.properties
            .iter()
            .find(|(property, _)| property == name)
            .map(|(_, limits)| limits)
    }

    /// The `maxLength` violation of `text` at `pointer`, if it is too long.
    pub(crate) fn check_length(&self, pointer: &str, text: &str) -> Option<Violation> {
        let max = self.max_length?;
        // A string has at least as many bytes as characters: most need no count.
        if text.len() as u64 <= max {
            return None;
        }
        let count = text.chars().count();
        (count as u64 > max).then(|| Violation {
            pointer: bound_pointer(pointer.to_string()),
            rule: "maxLength".into(),
            message: format!("longer than {max} characters ({count})"),
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.max_items.is_none()
            && self.max_length.is_none()
            && self.max_properties.is_none()
            && self.items.is_none()
            && self.properties.is_empty()
            && self.array
            && self.object
            && self.known.is_none()
    }

    /// Whether the value may be an array.
    pub(crate) fn allows_array(&self) -> bool {
        self.array
    }

    /// Whether the value may be an object.
    pub(crate) fn allows_object(&self) -> bool {
        self.object
    }

    /// Whether `name` is a property the object may not have whatever its value.
    pub(crate) fn refuses_property(&self, name: &str) -> bool {
        !self.knows(name)
    }
}

/// Whether `schema` holds for `null` and nothing else.
fn is_null_test(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
        || schema.get("const") == Some(&Value::Null)
        || schema.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

/// The `then` branches of a dispatch on one property — `allOf` of `if {P: const v}, then
/// branch`, as [`schema`](crate::schema) writes a discriminated `oneOf` — when they cover
/// every value `P` may take (`P` required, its `enum` within the `if`s): then a valid value
/// matches one of them, and its limits are those of the branches taken together.
fn dispatched(schema: &Value) -> Option<Vec<&Value>> {
    let parts = schema.get("allOf")?.as_array()?;
    let mut property: Option<&String> = None;
    let mut values: Vec<&Value> = Vec::new();
    let mut branches = Vec::new();
    for part in parts {
        let test = part.get("if")?;
        let (name, constant) = test.get("properties")?.as_object()?.iter().next()?;
        if test.get("properties")?.as_object()?.len() != 1
            || property.is_some_and(|p| p != name)
            || test.get("required")? != &Value::Array(vec![Value::String(name.clone())])
        {
            return None;
        }
        property = Some(name);
        values.push(constant.get("const")?);
        branches.push(part.get("then")?);
    }
    let name = property?;
    let required = schema.get("required")?.as_array()?;
    let allowed = schema
        .get("properties")?
        .get(name)?
        .get("enum")?
        .as_array()?;
    let covered = required.iter().any(|r| r.as_str() == Some(name.as_str()))
        && allowed.iter().all(|value| values.contains(&value));
    covered.then_some(branches)
}

/// A `maxItems` (`count` items) or `maxProperties` (`count` properties) violation.
pub(crate) fn too_many(pointer: &str, rule: &'static str, count: usize, max: u64) -> Violation {
    let what = if rule == "maxItems" {
        "items"
    } else {
        "properties"
    };
    Violation {
        pointer: bound_pointer(pointer.to_string()),
        rule: rule.into(),
        message: format!("has {count} {what}, at most {max} allowed"),
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

/// The JSON Schema keyword an error breaks, as a `&'static str` (the rule of a
/// [`Violation`]); a keyword of no known name is `schema`.
fn rule(kind: &ValidationErrorKind) -> &'static str {
    const KEYWORDS: &[&str] = &[
        "additionalItems",
        "additionalProperties",
        "anyOf",
        "const",
        "contains",
        "contentEncoding",
        "contentMediaType",
        "dependentRequired",
        "dependentSchemas",
        "enum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "false",
        "format",
        "if",
        "items",
        "maxItems",
        "maxLength",
        "maxProperties",
        "maximum",
        "minItems",
        "minLength",
        "minProperties",
        "minimum",
        "multipleOf",
        "not",
        "oneOf",
        "pattern",
        "prefixItems",
        "propertyNames",
        "required",
        "type",
        "unevaluatedItems",
        "unevaluatedProperties",
        "uniqueItems",
        "$ref",
    ];
    let keyword = kind.keyword();
    KEYWORDS
        .iter()
        .find(|k| **k == keyword)
        .copied()
        .unwrap_or("schema")
}

fn convert(error: &ValidationError<'_>, sizes: &[(String, usize)], found: &mut Vec<Violation>) {
    let at = error.instance_path().as_str();
    let instance = error.instance();
    // A container cut while it was read is quoted with its real size.
    let size = sizes
        .iter()
        .find(|(pointer, _)| pointer == at)
        .map(|(_, size)| *size);
    let kind = error.kind();
    let rule = rule(kind);
    let violation = |pointer: String, message: String| Violation {
        pointer: bound_pointer(pointer),
        rule: rule.into(),
        message,
    };
    match kind {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            found.push(violation(pointer_join(at, &name), "missing".into()));
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            // Bounded like the list: a body of a million unknown properties is one error.
            for name in unexpected.iter().take(MAX_VIOLATIONS + 1) {
                found.push(violation(pointer_join(at, name), "unknown property".into()));
            }
        }
        _ => found.push(violation(at.to_string(), message(kind, instance, size))),
    }
}

fn message(kind: &ValidationErrorKind, instance: &Value, size: Option<usize>) -> String {
    let value = quote(instance, size);
    match kind {
        ValidationErrorKind::Maximum { limit } => {
            format!("{value} is greater than the maximum of {limit}")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{value} is less than the minimum of {limit}")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{value} is greater than or equal to the maximum of {limit}")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{value} is less than or equal to the minimum of {limit}")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("longer than {limit} characters ({})", chars(instance))
        }
        ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".into(),
        ValidationErrorKind::MinLength { limit } => {
            format!("shorter than {limit} characters ({})", chars(instance))
        }
        ValidationErrorKind::MaxItems { limit } => format!(
            "has {} {}, at most {limit} allowed",
            items(instance),
            plural(items(instance) as u64, "item")
        ),
        ValidationErrorKind::MinItems { limit } => format!(
            "has {} {}, at least {limit} required",
            items(instance),
            plural(items(instance) as u64, "item")
        ),
        ValidationErrorKind::Enum { options } => {
            format!("{value} is not one of {}", quote(options, None))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{value} is not {}", quote(expected_value, None))
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(single) => format!("{single}"),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("{value} is not of type {expected}")
        }
        ValidationErrorKind::Pattern { pattern } => match described(pattern) {
            Some(wanted) => format!("{value} is not {wanted}"),
            // A pattern comes from the document, not the request: shown whole.
            None => format!(
                "{value} does not match the pattern {}",
                shorten(pattern, 300)
            ),
        },
        ValidationErrorKind::Format { format } => format!("{value} is not a valid {format:?}"),
        ValidationErrorKind::OneOfNotValid { .. } => {
            format!("{value} matches none of the allowed shapes")
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            format!("{value} matches more than one allowed shape")
        }
        ValidationErrorKind::AnyOf { .. } => format!("{value} matches none of the allowed shapes"),
        ValidationErrorKind::FalseSchema => "is not allowed".into(),
        other => shorten(
            &format!("{value} breaks the {:?} rule", other.keyword()),
            200,
        ),
    }
}

/// What a pattern of the documents asks for, in words: the `x-pattern-description` beside it
/// (the client's messages read the same words from its rule table). A pattern without one is
/// quoted as it is.
fn described(pattern: &str) -> Option<&'static str> {
    static WORDS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
        use crate::document::{ADMIN_DOCUMENT, API_DOCUMENT};
        let mut words = HashMap::new();
        for document in [&*API_DOCUMENT, &*ADMIN_DOCUMENT] {
            collect_pattern_words(document, &mut words);
        }
        words
    });
    WORDS.get(pattern).map(String::as_str)
}

fn collect_pattern_words(value: &Value, words: &mut HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(pattern)), Some(Value::String(said))) =
                (map.get("pattern"), map.get("x-pattern-description"))
            {
                words.insert(pattern.clone(), said.clone());
            }
            map.values().for_each(|v| collect_pattern_words(v, words));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_pattern_words(v, words)),
        _ => {}
    }
}

fn bound_pointer(pointer: String) -> String {
    if pointer.chars().count() <= POINTER_CHARS {
        pointer
    } else {
        shorten(&pointer, POINTER_CHARS)
    }
}

/// A value as JSON, cut to [`QUOTE_CHARS`] characters.
fn quote(value: &Value, size: Option<usize>) -> String {
    match value {
        Value::String(text) if text.chars().count() > QUOTE_CHARS => {
            let start: String = text.chars().take(QUOTE_CHARS).collect();
            format!(
                "{}…\"",
                Value::String(start).to_string().trim_end_matches('"')
            )
        }
        Value::Array(items) if items.len() > 8 => {
            format!("an array of {} items", size.unwrap_or(items.len()))
        }
        Value::Object(map) if map.len() > 8 => {
            format!("an object of {} properties", size.unwrap_or(map.len()))
        }
        _ => shorten(&value.to_string(), QUOTE_CHARS * 2),
    }
}

fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn items(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_values_are_quoted_short() {
        let quoted = quote(&Value::String("x".repeat(10_000)), None);
        assert!(quoted.chars().count() < 50, "{quoted}");
        assert!(
            quoted.starts_with("\"xxx") && quoted.ends_with("…\""),
            "{quoted}"
        );
        assert_eq!(quote(&json!(99), None), "99");
        assert_eq!(
            quote(&json!([1, 2, 3, 4, 5, 6, 7, 8, 9]), None),
            "an array of 9 items"
        );
        assert_eq!(
            quote(&json!([1, 2, 3, 4, 5, 6, 7, 8, 9]), Some(1_000_000)),
            "an array of 1000000 items"
        );
    }

    fn validator(schema: &Value) -> Validator {
        jsonschema::validator_for(schema).unwrap()
    }

    #[test]
    fn an_array_over_max_items_is_checked_only_up_to_its_limit() {
        let schema = json!({ "type": "object", "properties": { "elements": {
            "type": "array", "maxItems": 2, "items": { "$ref": "#/$defs/E" } } },
            "$defs": { "E": { "type": "object", "required": ["type"] } } });
        let body = json!({ "elements": vec![json!({}); 100_000] });

        let found = collect(&validator(&schema), &SizeLimits::compile(&schema), &body);

        let listed: Vec<_> = found
            .iter()
            .map(|v| (v.pointer.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("/elements", "maxItems"),
                ("/elements/0/type", "required"),
                ("/elements/1/type", "required")
            ]
        );
        assert_eq!(found[0].message, "has 100000 items, at most 2 allowed");
    }

    /// A schema shaped like the create body's: a closed object, a `oneOf` of closed
    /// objects told apart by `type`, and the "X or null" form.
    fn shaped() -> Value {
        json!({ "type": "object", "additionalProperties": false, "properties": {
            "flag": { "type": "boolean" },
            "ratio": { "oneOf": [
                { "type": "string", "enum": ["16:9", "1:1"] },
                { "type": ["object", "null"], "enum": [null] } ] },
            "elements": { "type": "array", "maxItems": 2, "items": { "$ref": "#/$defs/E" } } },
            "$defs": { "E": { "oneOf": [
                { "type": "object", "additionalProperties": false, "required": ["type"],
                  "properties": { "type": { "enum": ["image"] }, "image": { "type": "string" } } },
                { "type": "object", "additionalProperties": false, "required": ["type"],
                  "properties": { "type": { "enum": ["video"] },
                    "videos": { "type": "array", "items": { "type": "string" } } } } ] } } })
    }

    #[test]
    fn refused_containers_and_unknown_properties_are_reported_as_if_read_whole() {
        let schema = shaped();
        let big_array = json!(vec![json!([1, [2, 3], { "a": "x".repeat(500) }]); 50]);
        let big_object: Map<String, Value> =
            (0..50).map(|i| (format!("k{i}"), json!([i, i]))).collect();
        let many_unknown: Map<String, Value> = (0..10 * MAX_VIOLATIONS)
            .rev()
            .map(|i| (format!("u{i:04}"), json!(i)))
            .chain([
                ("type".to_string(), json!("video")),
                ("videos".to_string(), json!(["v"])),
            ])
            .collect();
        // Each body, and whether its messages quote only what was cut (then they are the
        // same word for word) or an object holding it (then they quote what was kept of it).
        for (body, same_words) in [
            (json!({ "flag": big_array }), true),
            (json!({ "flag": [[1, 2, [3, 4, 5]], { "b": [6] }] }), true),
            (json!({ "flag": big_object }), true),
            (json!({ "ratio": big_object }), true),
            (json!({ "ratio": big_array }), true),
            (
                json!({ "unknown": big_array, "other": { "deep": big_object } }),
                true,
            ),
            (
                json!({ "elements": [{ "type": "image", "image": big_array, "extra": big_object }] }),
                false,
            ),
            (
                json!({ "elements": [{ "type": "video", "videos": [big_object, "v"] }] }),
                false,
            ),
            (
                json!({ "elements": [big_array, { "type": "video", "videos": big_object }] }),
                false,
            ),
            (big_array.clone(), true),
            (Value::Object(many_unknown.clone()), true),
            (json!({ "elements": [many_unknown] }), true),
        ] {
            // Arrange
            let text = body.to_string();
            let shown: String = text.chars().take(120).collect();

            // Act
            let read = crate::bounded::parse(&text, &SizeLimits::compile(&schema)).unwrap();
            let found = finish(
                &validator(&schema),
                read.violations,
                &read.sizes,
                &read.value,
            );

            // Assert
            let whole = finish(&validator(&schema), Vec::new(), &[], &body);
            let places = |list: &[Violation]| -> Vec<(String, String)> {
                list.iter()
                    .map(|v| (v.pointer.clone(), v.rule.clone()))
                    .collect()
            };
            assert!(!found.is_empty(), "{shown}");
            assert_eq!(places(&found), places(&whole), "{shown}");
            if same_words {
                assert_eq!(found, whole, "{shown}");
            }
            // What a message can quote is kept; a small body is kept whole.
            let kept = read.value.to_string().len();
            assert!(
                text.len() < 1000 || kept < text.len() / 4,
                "kept {kept} of {} bytes: {shown}",
                text.len()
            );
        }
    }

    #[test]
    fn a_valid_body_is_read_whole() {
        // Arrange
        let schema = shaped();
        let body = json!({ "flag": true, "ratio": null, "elements": [
            { "type": "image", "image": "i" }, { "type": "video", "videos": ["a", "b"] }] });

        // Act
        let read = crate::bounded::parse(&body.to_string(), &SizeLimits::compile(&schema)).unwrap();

        // Assert
        assert_eq!(read.value, body);
        assert!(read.violations.is_empty() && read.sizes.is_empty());
    }

    #[test]
    fn size_limits_are_found_through_references_and_all_of() {
        let schema = json!({ "allOf": [{ "$ref": "#/$defs/R" }],
            "$defs": { "R": { "properties": { "p": { "maxLength": 2 } } } } });

        let found = collect(
            &validator(&schema),
            &SizeLimits::compile(&schema),
            &json!({ "p": "ünï" }),
        );

        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].pointer.as_str(), found[0].rule.as_str()),
            ("/p", "maxLength")
        );
    }

    #[test]
    fn a_value_breaking_a_url_pattern_and_its_format_is_one_pattern_violation_in_words() {
        // Arrange
        let schema = json!({ "type": "object", "properties": {
            "video": { "type": "string", "format": "uri", "pattern": r"^https?://[A-Za-z0-9\[][!-~]*$" } } });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();

        // Act
        let found = collect(
            &validator,
            &SizeLimits::compile(&schema),
            &json!({ "video": "/v.mp4" }),
        );

        // Assert
        let listed: Vec<_> = found
            .iter()
            .map(|v| (v.pointer.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(listed, [("/video", "pattern")]);
        assert!(
            found[0]
                .message
                .starts_with("\"/v.mp4\" is not an http or https URL"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_format_violation_stays_when_the_pattern_is_matched() {
        // Arrange
        let schema = json!({ "type": "string", "format": "uri", "pattern": "^https?://" });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();

        // Act
        let found = collect(
            &validator,
            &SizeLimits::compile(&schema),
            &json!("https://[::1/a.mp4"),
        );

        // Assert
        let rules: Vec<_> = found.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, ["format"]);
    }

    #[test]
    fn an_image_source_pattern_is_described_in_words_not_cut() {
        // Arrange
        let pattern = r"^(https?://[A-Za-z0-9\[][!-~]*|data:image/(png|jpe?g);base64,[A-Za-z0-9+/=]+|[A-Za-z0-9+/=]+)$";
        let schema = json!({ "type": "string", "pattern": pattern });

        // Act
        let found = collect(
            &validator(&schema),
            &SizeLimits::compile(&schema),
            &json!("ftp://example.com/a.png"),
        );

        // Assert
        let message = &found[0].message;
        assert!(
            message
                .starts_with("\"ftp://example.com/a.png\" is not an image: an http or https URL")
                && !message.contains('…'),
            "{message}"
        );
    }

    #[test]
    fn collecting_stops_one_past_the_listed_bound() {
        let schema = json!({ "type": "array", "items": { "type": "string" } });
        let body = Value::Array(vec![json!(1); 10_000]);

        let found = collect(&validator(&schema), &SizeLimits::compile(&schema), &body);

        assert_eq!(found.len(), MAX_VIOLATIONS + 1);
        assert_eq!(found[0].pointer, "/0");
        assert_eq!(found[1].pointer, "/1", "indices in numeric order");
    }

    #[test]
    fn unknown_properties_by_the_thousand_are_collected_to_the_bound() {
        let schema =
            json!({ "type": "object", "properties": { "a": {} }, "additionalProperties": false });
        let body: serde_json::Map<String, Value> =
            (0..5_000).map(|i| (format!("x{i}"), json!(1))).collect();

        let found = collect(
            &validator(&schema),
            &SizeLimits::compile(&schema),
            &Value::Object(body),
        );

        assert_eq!(found.len(), MAX_VIOLATIONS + 1, "{:?}", found.first());
        assert!(found.iter().all(|v| v.rule == "additionalProperties"));
    }
}
