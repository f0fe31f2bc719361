//! OpenAPI 3.0 schemas as JSON Schema (draft 2020-12), so a standard validator can check them.
//!
//! OpenAPI 3.0 schema objects are "an extended subset" of JSON Schema. What differs, and how it
//! is translated:
//!
//! - `$ref: '#/components/schemas/X'` points at `#/$defs/X` (every component schema is a `$def`);
//!   sibling keywords of a `$ref` are ignored, as OpenAPI 3.0 says.
//! - `nullable: true` adds `"null"` to `type` (and to `enum`). Beside a composition —
//!   typically `nullable` with `allOf: [$ref]` — the schema becomes `if null then pass else
//!   <schema>`: `null` is accepted, and a wrong non-null value still gets the precise errors of
//!   the referenced schema.
//! - A `oneOf`/`anyOf` whose branches are told apart by one property becomes one
//!   `if <property> == value then <branch>` per branch, plus `required` and `enum` on the
//!   property: an element with `type: image` is checked against the image branch only and
//!   reports that branch's errors, not "matches no branch". That is the case with an explicit
//!   `discriminator` (values from `mapping`, from the branch's `enum`/`const` on the property,
//!   or from the name of a `$ref`'d branch), and without one when every branch is an object
//!   that requires the same property and allows it a single value of its own — then the
//!   dispatch accepts exactly what the `oneOf` accepts.
//! - `oneOf: [X, <null only>]` ("X or null"; the null branch is `{enum: [null]}`, typed or
//!   not) is translated like `nullable: true` beside `allOf: [X]`, so a wrong value gets the
//!   precise errors of `X` rather than "matches no branch".
//! - Boolean `exclusiveMinimum`/`exclusiveMaximum` (draft 4 style) become numeric bounds.
//! - OpenAPI-only keywords (`example`, `xml`, `externalDocs`, `discriminator`, `nullable`) and
//!   data-type formats (`int32`, `int64`, `float`, `double`, `byte`, `binary`, `password`) are
//!   dropped; `format: uri`, `uuid`, `date-time`, … stay and are asserted.

use serde_json::{Map, Value, json};

/// The JSON Schema dialect produced.
pub(crate) const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Formats OpenAPI uses to describe numbers and binary strings; not JSON Schema assertions.
const OPENAPI_DATA_FORMATS: &[&str] = &[
    "int32", "int64", "float", "double", "byte", "binary", "password",
];

/// Translates schemas of one document; holds the component schemas to look branches up.
pub(crate) struct Converter<'a> {
    schemas: &'a Map<String, Value>,
}

impl<'a> Converter<'a> {
    /// `schemas` is the document's `components.schemas` (may be empty).
    pub(crate) fn new(schemas: &'a Map<String, Value>) -> Self {
        Self { schemas }
    }

    /// Every component schema, converted, keyed by name: the `$defs` of each validator.
    pub(crate) fn defs(&self) -> Map<String, Value> {
        self.schemas
            .iter()
            .map(|(name, schema)| (name.clone(), self.convert(schema)))
            .collect()
    }

    /// A standalone JSON Schema for `schema` (an OpenAPI schema object or a `$ref`), carrying
    /// every component schema in `$defs` so references resolve.
    pub(crate) fn standalone(&self, schema: &Value, defs: &Map<String, Value>) -> Value {
        let mut root = match self.convert(schema) {
            Value::Object(map) => map,
            // A boolean schema: `true` accepts everything, `false` nothing.
            Value::Bool(true) => Map::new(),
            _ => Map::from_iter([("not".to_string(), json!({}))]),
        };
        root.insert("$schema".into(), DIALECT.into());
        root.insert("$defs".into(), Value::Object(defs.clone()));
        Value::Object(root)
    }

    /// Converts one schema object, recursively.
    pub(crate) fn convert(&self, schema: &Value) -> Value {
        let Value::Object(map) = schema else {
            return schema.clone();
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            return json!({ "$ref": rewrite_ref(reference) });
        }
        let mut out = Map::new();
        for (key, value) in map {
            let converted = match key.as_str() {
                "nullable" | "discriminator" | "example" | "xml" | "externalDocs" => continue,
                "format" if is_data_format(value) => continue,
                "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => continue,
                "properties" => Value::Object(
                    value
                        .as_object()
                        .map(|properties| {
                            properties
                                .iter()
                                .map(|(name, schema)| (name.clone(), self.convert(schema)))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                "items" | "additionalProperties" | "not" => self.convert(value),
                "allOf" | "anyOf" | "oneOf" => Value::Array(
                    value
                        .as_array()
                        .map(|items| items.iter().map(|item| self.convert(item)).collect())
                        .unwrap_or_default(),
                ),
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        exclusive_bounds(map, &mut out);
        if or_null(&mut out) {
            return nullable(out);
        }
        self.dispatch(map, &mut out);
        if map.get("nullable").and_then(Value::as_bool) == Some(true) {
            return nullable(out);
        }
        Value::Object(out)
    }

    /// Replaces `oneOf`/`anyOf` by a dispatch on the property that tells the branches apart
    /// (see the module docs); otherwise leaves the composition as it is.
    fn dispatch(&self, map: &Map<String, Value>, out: &mut Map<String, Value>) {
        let Some((keyword, branches)) = ["oneOf", "anyOf"]
            .into_iter()
            .find_map(|keyword| Some((keyword, map.get(keyword)?.as_array()?)))
        else {
            return;
        };
        let explicit = map.get("discriminator");
        let property = match explicit {
            Some(discriminator) => discriminator
                .get("propertyName")
                .and_then(Value::as_str)
                .map(str::to_string),
            None => self.implicit_discriminator(branches),
        };
        let Some(property) = property.as_deref() else {
            return;
        };
        let mapping = explicit
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object);
        let mut cases = Vec::new();
        let mut values = Vec::new();
        let mut all_objects = true;
        for branch in branches {
            let branch_values = self.discriminator_values(branch, property, mapping);
            if branch_values.is_empty() || branch_values.iter().any(|v| values.contains(v)) {
                return;
            }
            all_objects &=
                self.resolve(branch).get("type").and_then(Value::as_str) == Some("object");
            let then = self.convert(branch);
            for value in branch_values {
                cases.push(json!({
                    "if": { "properties": { property: { "const": value } }, "required": [property] },
                    "then": then,
                }));
                values.push(value);
            }
        }
        out.remove(keyword);
        let mut required = out
            .remove("required")
            .and_then(|r| r.as_array().cloned())
            .unwrap_or_default();
        if !required.iter().any(|r| r == property) {
            required.insert(0, property.into());
        }
        out.insert("required".into(), Value::Array(required));
        let properties = out
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(properties) = properties {
            properties.insert(property.into(), json!({ "enum": values }));
        }
        if all_objects && !out.contains_key("type") {
            out.insert("type".into(), "object".into());
        }
        let mut all_of = out
            .remove("allOf")
            .and_then(|a| a.as_array().cloned())
            .unwrap_or_default();
        all_of.extend(cases);
        out.insert("allOf".into(), Value::Array(all_of));
    }

    /// The property every branch requires and allows a single value of its own, if any.
    fn implicit_discriminator(&self, branches: &[Value]) -> Option<String> {
        let first = self.resolve(branches.first()?);
        let candidates = first.get("required")?.as_array()?;
        let property = candidates
            .iter()
            .filter_map(Value::as_str)
            .find(|property| {
                let mut seen: Vec<Value> = Vec::new();
                branches.iter().all(|branch| {
                    let branch = self.resolve(branch);
                    let required = branch
                        .get("required")
                        .and_then(Value::as_array)
                        .is_some_and(|r| r.iter().any(|p| p == *property));
                    let is_object = branch.get("type").and_then(Value::as_str) == Some("object");
                    let pinned = self.pinned(branch, property);
                    let single = pinned.len() == 1 && !seen.contains(&pinned[0]);
                    seen.extend(pinned);
                    required && is_object && single
                })
            })?;
        Some(property.to_string())
    }

    /// The values a branch allows for `property` through `const` or `enum`.
    fn pinned(&self, branch: &Value, property: &str) -> Vec<Value> {
        let Some(schema) = branch.get("properties").and_then(|p| p.get(property)) else {
            return Vec::new();
        };
        let schema = self.resolve(schema);
        if let Some(constant) = schema.get("const") {
            return vec![constant.clone()];
        }
        schema
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// The discriminator values that select `branch`.
    fn discriminator_values(
        &self,
        branch: &Value,
        property: &str,
        mapping: Option<&Map<String, Value>>,
    ) -> Vec<Value> {
        let reference = branch.get("$ref").and_then(Value::as_str);
        if let (Some(reference), Some(mapping)) = (reference, mapping) {
            let mapped: Vec<Value> = mapping
                .iter()
                .filter(|(_, target)| {
                    target
                        .as_str()
                        .is_some_and(|t| t == reference || Some(t) == ref_name(reference))
                })
                .map(|(value, _)| Value::String(value.clone()))
                .collect();
            if !mapped.is_empty() {
                return mapped;
            }
        }
        let pinned = self.pinned(self.resolve(branch), property);
        if !pinned.is_empty() {
            return pinned;
        }
        reference
            .and_then(ref_name)
            .map(|name| vec![Value::String(name.to_string())])
            .unwrap_or_default()
    }

    /// Follows a `$ref` to a component schema (one level is enough for what is looked up).
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(ref_name)
            .and_then(|name| self.schemas.get(name))
            .unwrap_or(schema)
    }
}

fn is_data_format(format: &Value) -> bool {
    format
        .as_str()
        .is_some_and(|f| OPENAPI_DATA_FORMATS.contains(&f))
}

/// `#/components/schemas/X` → `#/$defs/X`; other references are kept as they are.
fn rewrite_ref(reference: &str) -> String {
    match ref_name(reference) {
        Some(name) => format!("#/$defs/{name}"),
        None => reference.to_string(),
    }
}

fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// Draft-4 style `exclusiveMaximum: true` next to `maximum: 15` → `exclusiveMaximum: 15`.
fn exclusive_bounds(map: &Map<String, Value>, out: &mut Map<String, Value>) {
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if map.get(flag).and_then(Value::as_bool) == Some(true)
            && let Some(limit) = out.remove(bound)
        {
            out.insert(flag.into(), limit);
        }
    }
}

/// Lets `null` through a converted schema.
/// Turns a converted `oneOf: [X, <null only>]` into `allOf: [X]` and says so; the caller then
/// makes it nullable. Any other schema is left as it is.
fn or_null(out: &mut Map<String, Value>) -> bool {
    let is_null_only = |schema: &Value| {
        schema.get("type").and_then(Value::as_str) == Some("null")
            || schema.get("enum") == Some(&json!([null]))
    };
    let value = match out
        .get("oneOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([value, null] | [null, value]) if is_null_only(null) && !is_null_only(value) => {
            value.clone()
        }
        _ => return false,
    };
    out.remove("oneOf");
    match out.get_mut("allOf") {
        Some(Value::Array(all_of)) => all_of.push(value),
        _ => {
            out.insert("allOf".into(), json!([value]));
        }
    }
    true
}

fn nullable(mut out: Map<String, Value>) -> Value {
    let composed = ["allOf", "anyOf", "oneOf", "not", "$ref"]
        .iter()
        .any(|keyword| out.contains_key(*keyword));
    match out.get_mut("type").filter(|_| !composed) {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            out.insert("type".into(), json!([single, "null"]));
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push("null".into());
            }
        }
        _ => {
            // A composition (e.g. `allOf: [$ref]`) would still refuse `null`: check
            // non-null values only.
            let mut wrapper = Map::new();
            for annotation in ["description", "title", "default"] {
                if let Some(value) = out.remove(annotation) {
                    wrapper.insert(annotation.into(), value);
                }
            }
            wrapper.insert("if".into(), json!({ "type": "null" }));
            wrapper.insert("else".into(), Value::Object(out));
            return Value::Object(wrapper);
        }
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(schema: Value, components: Value) -> Value {
        let components = components.as_object().cloned().unwrap_or_default();
        Converter::new(&components).convert(&schema)
    }

    #[test]
    fn nullable_with_a_type_admits_null_in_type_and_enum() {
        let converted = convert(
            json!({ "type": "string", "enum": ["a"], "nullable": true, "maxLength": 3 }),
            json!({}),
        );
        assert_eq!(
            converted,
            json!({ "type": ["string", "null"], "enum": ["a", null], "maxLength": 3 })
        );
    }

    #[test]
    fn nullable_beside_all_of_becomes_if_null_else_the_schema() {
        let converted = convert(
            json!({ "type": "string", "nullable": true, "description": "d", "allOf": [{ "$ref": "#/components/schemas/A" }] }),
            json!({}),
        );
        assert_eq!(
            converted,
            json!({ "description": "d", "if": { "type": "null" }, "else": { "type": "string", "allOf": [{ "$ref": "#/$defs/A" }] } })
        );
    }

    #[test]
    fn one_of_a_reference_and_null_becomes_if_null_else_the_reference() {
        let converted = convert(
            json!({ "description": "d", "oneOf": [
                { "$ref": "#/components/schemas/A" },
                { "type": "object", "nullable": true, "enum": [null] }
            ] }),
            json!({}),
        );
        assert_eq!(
            converted,
            json!({ "description": "d", "if": { "type": "null" }, "else": { "allOf": [{ "$ref": "#/$defs/A" }] } })
        );
    }

    #[test]
    fn a_one_of_of_two_values_is_not_mistaken_for_or_null() {
        let one_of = json!([{ "type": "string" }, { "type": "integer" }]);
        let converted = convert(json!({ "oneOf": one_of }), json!({}));
        assert_eq!(converted, json!({ "oneOf": one_of }));
    }

    #[test]
    fn a_one_of_told_apart_by_a_pinned_required_property_dispatches_without_a_discriminator() {
        let branch = |kind: &str, field: &str| {
            json!({
                "type": "object",
                "required": ["type", field],
                "properties": { "type": { "type": "string", "enum": [kind] }, field: {} }
            })
        };
        let converted = convert(
            json!({ "oneOf": [branch("image", "a"), branch("video", "b")] }),
            json!({}),
        );
        assert_eq!(
            converted["properties"]["type"],
            json!({ "enum": ["image", "video"] })
        );
        assert_eq!(converted["allOf"][0]["then"], branch("image", "a"));
        assert!(converted.get("oneOf").is_none());
    }

    #[test]
    fn a_one_of_without_a_telling_property_is_left_alone() {
        let shared = json!({ "type": "object", "required": ["type"], "properties": { "type": { "enum": ["x"] } } });
        let converted = convert(json!({ "oneOf": [shared.clone(), shared] }), json!({}));
        assert!(
            converted.get("oneOf").is_some(),
            "the same value in two branches"
        );
        let optional = json!({ "type": "object", "properties": { "type": { "enum": ["x"] } } });
        let converted = convert(
            json!({ "oneOf": [optional, { "type": "string" }] }),
            json!({}),
        );
        assert!(
            converted.get("oneOf").is_some(),
            "not required, not all objects"
        );
    }

    #[test]
    fn a_discriminated_one_of_dispatches_on_the_property() {
        let converted = convert(
            json!({
                "oneOf": [
                    { "type": "object", "properties": { "kind": { "type": "string", "enum": ["a"] } } },
                    { "$ref": "#/components/schemas/B" }
                ],
                "discriminator": { "propertyName": "kind" }
            }),
            json!({ "B": { "type": "object", "properties": { "kind": { "type": "string" } } } }),
        );
        assert_eq!(converted["type"], "object");
        assert_eq!(converted["required"], json!(["kind"]));
        assert_eq!(
            converted["properties"]["kind"],
            json!({ "enum": ["a", "B"] })
        );
        assert_eq!(
            converted["allOf"][1]["if"],
            json!({ "properties": { "kind": { "const": "B" } }, "required": ["kind"] })
        );
        assert_eq!(
            converted["allOf"][1]["then"],
            json!({ "$ref": "#/$defs/B" })
        );
        assert!(converted.get("oneOf").is_none());
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric_and_data_formats_are_dropped() {
        let converted = convert(
            json!({ "type": "integer", "format": "int64", "maximum": 5, "exclusiveMaximum": true, "example": 1 }),
            json!({}),
        );
        assert_eq!(
            converted,
            json!({ "type": "integer", "exclusiveMaximum": 5 })
        );
    }

    #[test]
    fn references_point_at_defs_and_ignore_their_siblings() {
        let converted = convert(
            json!({ "$ref": "#/components/schemas/X", "description": "ignored" }),
            json!({}),
        );
        assert_eq!(converted, json!({ "$ref": "#/$defs/X" }));
    }
}
