//! "X or null", however it is spelled.
//!
//! OpenAPI 3.0 has several spellings for a value that is X or `null`: `nullable: true` next to
//! X's keywords, `nullable: true` next to `allOf: [X]`, `oneOf`/`anyOf` of X and a branch that
//! accepts only `null` (`{enum: [null]}`, `{type: object, nullable: true, enum: [null]}`, a
//! `$ref` to such a schema), and `null` listed in X's `enum`. They allow the same values, so
//! the rules must see one meaning: X, nullable. `View` asks this module which branches are
//! null-only and what an `enum` holds besides `null`, and marks itself nullable.

use serde_json::Value;

pub(crate) use crate::codegen::null_branch::accepts_only_null;

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
