//! A schema as a set of facts (`CreateGenerationRequest/duration maximum=15`), so that two
//! schemas written differently can be compared by meaning, and a difference read as a line.

use std::collections::BTreeSet;

use serde_json::Value;

/// Keywords compared as they are.
const CONSTRAINTS: [&str; 9] = [
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "format",
    "default",
];

/// The facts of `schema`, named from `name`; `$ref`s are resolved against `root`, except
/// those to a schema named in `shared`, which become a `ref=Name` fact: each shared schema is
/// compared once, on its own, however many places use it.
pub fn facts(name: &str, schema: &Value, root: &Value, shared: &[&str]) -> BTreeSet<String> {
    let mut walker = Walker {
        root,
        shared,
        out: BTreeSet::new(),
    };
    walker.walk(name, schema, 0, true);
    walker.out
}

struct Walker<'a> {
    root: &'a Value,
    shared: &'a [&'a str],
    out: BTreeSet<String>,
}

impl Walker<'_> {
    fn fact(&mut self, path: &str, what: impl std::fmt::Display) {
        self.out.insert(format!("{path} {what}"));
    }

    fn walk(&mut self, path: &str, schema: &Value, depth: usize, top: bool) {
        // The document has no recursive schemas; the bound only keeps a mistake from hanging.
        if depth > 32 {
            return self.fact(path, "<too deep>");
        }
        let Some(object) = schema.as_object() else {
            return;
        };
        if let Some(Value::String(reference)) = object.get("$ref") {
            let name = reference.rsplit('/').next().unwrap_or_default();
            if !top && self.shared.contains(&name) {
                self.fact(path, format!("ref={name}"));
            } else {
                match self.root.pointer(reference.trim_start_matches('#')) {
                    Some(target) => self.walk(path, target, depth + 1, false),
                    None => self.fact(path, format!("<unresolved {reference}>")),
                }
            }
        }
        for branch in object
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.walk(path, branch, depth + 1, false);
        }
        for branch in object
            .get("anyOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if is_null_only(branch) {
                self.fact(path, "nullable");
            } else {
                self.walk(path, branch, depth + 1, false);
            }
        }
        if object.get("nullable") == Some(&Value::Bool(true)) {
            self.fact(path, "nullable");
        }
        // Beside a `$ref`/`allOf`, `type` only repeats the target's (OpenAPI 3.0 wants it next
        // to `nullable`); the target speaks for itself.
        let refers = object.contains_key("$ref") || object.contains_key("allOf");
        let kinds: Vec<&str> = match object.get("type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for kind in kinds {
            if kind == "null" {
                self.fact(path, "nullable");
            } else if !refers {
                self.fact(path, format!("type={kind}"));
            }
        }
        let values = match (object.get("enum"), object.get("const")) {
            (Some(Value::Array(values)), _) => Some(values.clone()),
            (None, Some(single)) => Some(vec![single.clone()]),
            _ => None,
        };
        if let Some(values) = values {
            if values.contains(&Value::Null) {
                self.fact(path, "nullable");
            }
            let mut listed: Vec<String> = values
                .iter()
                .filter(|v| !v.is_null())
                .map(Value::to_string)
                .collect();
            listed.sort();
            self.fact(path, format!("enum=[{}]", listed.join(",")));
        }
        for keyword in CONSTRAINTS {
            if let Some(value) = object.get(keyword) {
                self.fact(path, format!("{keyword}={value}"));
            }
        }
        if object.get("additionalProperties") == Some(&Value::Bool(false)) {
            self.fact(path, "closed");
        }
        for name in object
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            self.fact(path, format!("requires {name}"));
        }
        for (name, property) in object
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.walk(&format!("{path}/{name}"), property, depth + 1, false);
        }
        if let Some(items) = object.get("items") {
            self.walk(&format!("{path}[]"), items, depth + 1, false);
        }
        let one_of = object
            .get("oneOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        match one_of {
            // "X or null": the same facts as `nullable` beside X.
            [value, null] | [null, value] if is_null_only(null) && !is_null_only(value) => {
                self.fact(path, "nullable");
                self.walk(path, value, depth + 1, false);
            }
            branches => {
                for (index, branch) in branches.iter().enumerate() {
                    let label = self.tag(branch).unwrap_or_else(|| index.to_string());
                    self.walk(&format!("{path}<{label}>"), branch, depth + 1, false);
                }
            }
        }
    }

    /// A `oneOf` branch is named after its `type` tag when it has one, so that branch order
    /// does not matter.
    fn tag(&self, branch: &Value) -> Option<String> {
        let branch = match branch.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.root.pointer(reference.trim_start_matches('#'))?,
            None => branch,
        };
        let tag = branch.pointer("/properties/type")?;
        let value = tag.get("const").or_else(|| {
            tag.get("enum")?
                .as_array()
                .filter(|v| v.len() == 1)?
                .first()
        })?;
        value.as_str().map(str::to_string)
    }
}

/// A schema that admits `null` and nothing else: JSON Schema's `{"type": "null"}`, or
/// `{"enum": [null]}` with or without a `type` and `nullable` (OpenAPI 3.0's spelling).
fn is_null_only(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
        || schema.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn spelling_differences_do_not_matter() {
        let openapi = json!({"components": {"schemas": {"R": {"type": "string", "enum": ["a", "b"]}}},
            "x": {"type": "object", "properties": {"r": {"type": "string", "nullable": true, "allOf": [{"$ref": "#/components/schemas/R"}]}}}});
        let schemars = json!({"$defs": {"R": {"type": "string", "enum": ["b", "a"]}},
            "x": {"type": "object", "properties": {"r": {"anyOf": [{"$ref": "#/$defs/R"}, {"type": "null"}]}}}});
        assert_eq!(
            facts("X", &openapi["x"], &openapi, &[]),
            facts("X", &schemars["x"], &schemars, &[])
        );
        assert!(facts("X", &openapi["x"], &openapi, &["R"]).contains("X/r ref=R"));
    }

    #[test]
    fn one_of_a_reference_and_null_reads_as_the_nullable_reference() {
        // Arrange
        let openapi = json!({"components": {"schemas": {"R": {"type": "object", "properties": {"a": {"type": "string"}}}}},
            "x": {"type": "object", "properties": {"r": {"oneOf": [
                {"$ref": "#/components/schemas/R"},
                {"type": "object", "nullable": true, "enum": [null]}]}}}});
        let schemars = json!({"$defs": {"R": {"type": "object", "properties": {"a": {"type": "string"}}}},
            "x": {"type": "object", "properties": {"r": {"anyOf": [{"$ref": "#/$defs/R"}, {"type": "null"}]}}}});

        // Act
        let declared = facts("X", &openapi["x"], &openapi, &["R"]);
        let generated = facts("X", &schemars["x"], &schemars, &["R"]);

        // Assert
        assert_eq!(declared, generated);
        assert!(declared.contains("X/r nullable"), "{declared:?}");
    }

    #[test]
    fn a_lost_constraint_is_a_missing_fact() {
        let document = json!({"type": "integer", "maximum": 15});
        let generated = json!({"type": "integer"});
        let missing: Vec<_> = facts("D", &document, &document, &[])
            .difference(&facts("D", &generated, &generated, &[]))
            .cloned()
            .collect();
        assert_eq!(missing, ["D maximum=15"]);
    }
}
