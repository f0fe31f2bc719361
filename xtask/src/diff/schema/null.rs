//! "X or null", however it is spelled.
//!
//! OpenAPI 3.0 has several spellings for a value that is X or `null`: `nullable: true` next to
//! X's keywords, `nullable: true` next to `allOf: [X]`, `oneOf`/`anyOf` of X and a branch that
//! accepts only `null` (`{enum: [null]}`, `{type: object, nullable: true, enum: [null]}`, a
//! `$ref` to such a schema), and `null` listed in X's `enum`. They allow the same values, so
//! the rules must see one meaning: X, nullable. `View` asks this module which branches are
//! null-only and what an `enum` holds besides `null`, and marks itself nullable.

use serde_json::Value;

/// How many `$ref`s are followed to find out what a branch is.
const MAX_REFERENCES: usize = 32;

/// Whether `schema` (after its `$ref`s) accepts `null` and nothing else: its `enum` lists
/// only `null`. Its `type` does not matter: the enum already excludes every other value.
pub fn accepts_only_null<'v>(root: &'v Value, mut schema: &'v Value) -> bool {
    for _ in 0..MAX_REFERENCES {
        let Some(found) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|target| target.strip_prefix('#'))
            .and_then(|target| root.pointer(target))
        else {
            break;
        };
        schema = found;
    }
    match schema.get("enum").and_then(Value::as_array) {
        Some(values) => !values.is_empty() && values.iter().all(Value::is_null),
        None => false,
    }
}

/// The values of an `enum` that lists `null` among others (`null` then means the same as
/// `nullable: true`); `None` when there is nothing to split: no `null`, or only `null`.
pub fn split_enum(values: &[Value]) -> Option<Vec<Value>> {
    let others: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
    (others.len() < values.len() && !others.is_empty()).then_some(others)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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

    #[test]
    fn null_is_split_from_an_enum_that_lists_other_values() {
        // Act, Assert
        assert_eq!(
            split_enum(&[json!("a"), Value::Null, json!("b")]),
            Some(vec![json!("a"), json!("b")])
        );
        assert_eq!(split_enum(&[json!("a")]), None);
        assert_eq!(split_enum(&[Value::Null]), None);
    }
}
