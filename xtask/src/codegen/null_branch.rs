//! The document's "or null" branch, in the spelling progenitor understands.
//!
//! A property that may be `null` and refers to a named schema is written
//! `oneOf: [{$ref: X}, {type: object, nullable: true, enum: [null]}]` (openapi/README.md says
//! why: it is the one spelling that openapi-python-client, openapi-generator and Redocly all
//! read as "X or null"). progenitor 0.15 recognises a null-only schema only as `{enum: [null]}`
//! without `type`; given the typed spelling it generates an untagged enum with a unit variant
//! instead of `Option<X>`. So before generation, every null-only schema is rewritten to
//! `{enum: [null]}`, which accepts exactly the same values.

use serde_json::Value;

use super::spec::resolve;

/// Whether `schema` (after its `$ref`s) accepts `null` and nothing else: its `enum` lists
/// only `null`. Its `type` does not matter: the enum already excludes every other value.
pub(crate) fn accepts_only_null(root: &Value, schema: &Value) -> bool {
    let schema = resolve(root, schema);
    match schema.get("enum").and_then(Value::as_array) {
        Some(values) => !values.is_empty() && values.iter().all(Value::is_null),
        None => false,
    }
}

/// `document` with every null-only schema spelled `{enum: [null]}`.
pub fn for_progenitor(document: &openapiv3::OpenAPI) -> Result<openapiv3::OpenAPI, String> {
    let mut value = serde_json::to_value(document)
        .map_err(|e| format!("cannot re-read the document as JSON: {e}"))?;
    rewrite(&mut value);
    serde_json::from_value(value)
        .map_err(|e| format!("the document with null branches rewritten does not parse: {e}"))
}

fn rewrite(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true))
                && map.get("enum") == Some(&Value::Array(vec![Value::Null]))
            {
                map.remove("type");
                map.remove("nullable");
            }
            map.values_mut().for_each(rewrite);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_typed_null_only_schema_loses_its_type_and_keeps_its_enum() {
        // Arrange
        let mut schema = json!({ "oneOf": [
            { "$ref": "#/components/schemas/X" },
            { "type": "object", "nullable": true, "enum": [null] }
        ]});

        // Act
        rewrite(&mut schema);

        // Assert
        assert_eq!(
            schema,
            json!({ "oneOf": [{ "$ref": "#/components/schemas/X" }, { "enum": [null] }] })
        );
    }

    #[test]
    fn a_nullable_schema_that_admits_other_values_is_left_alone() {
        // Arrange
        let original = json!({ "type": "string", "nullable": true, "enum": ["a", null] });
        let mut schema = original.clone();

        // Act
        rewrite(&mut schema);

        // Assert
        assert_eq!(schema, original);
    }

    #[test]
    fn an_enum_of_only_null_accepts_only_null_whatever_its_type() {
        // Arrange
        let root = json!({});

        // Act, Assert
        assert!(accepts_only_null(&root, &json!({"enum": [null]})));
        assert!(accepts_only_null(
            &root,
            &json!({"type": "object", "nullable": true, "enum": [null]})
        ));
        assert!(accepts_only_null(
            &root,
            &json!({"type": "string", "nullable": true, "enum": [null, null]})
        ));
    }

    #[test]
    fn a_referenced_null_only_schema_is_recognised() {
        // Arrange
        let root = json!({"components": {"schemas": {"Null": {"nullable": true, "enum": [null]}}}});

        // Act
        let found = accepts_only_null(&root, &json!({"$ref": "#/components/schemas/Null"}));

        // Assert
        assert!(found);
    }

    #[test]
    fn a_schema_that_also_admits_other_values_is_not_null_only() {
        // Arrange
        let root = json!({});

        // Act, Assert
        assert!(!accepts_only_null(
            &root,
            &json!({"type": "string", "nullable": true})
        ));
        assert!(!accepts_only_null(&root, &json!({"enum": ["a", null]})));
        assert!(!accepts_only_null(&root, &json!({"enum": []})));
        assert!(!accepts_only_null(&root, &json!({"nullable": true})));
    }
}
