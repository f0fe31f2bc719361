//! Properties of the document rules over random edits of the request schema: a document
//! compared with itself has no change, a breaking request change never disappears when
//! old and new swap places (narrowing one way is widening the other, never nothing), and
//! spelling "X or null" another way never changes what an edit is reported as.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::change::{Change, Class, Side};
use super::corpus::{at, fixture, fixture_document};
use super::load::{self, Document};

/// String, integer and array schemas of the create request, by pointer.
const STRINGS: &[&str] = &[
    "/components/schemas/CreateGenerationRequest/properties/prompt",
    "/components/schemas/CreateGenerationRequest/properties/negative_prompt",
    "/components/schemas/HttpUrl",
    "/components/schemas/ImageSource",
];
const INTEGERS: &[&str] = &["/components/schemas/CreateGenerationRequest/properties/duration"];
const ARRAYS: &[&str] = &[
    "/components/schemas/CreateGenerationRequest/properties/elements",
    "/components/schemas/Element/oneOf/0/properties/reference_images",
    "/components/schemas/Element/oneOf/1/properties/reference_videos",
];
const PROPERTIES: &str = "/components/schemas/CreateGenerationRequest/properties";
const REQUIRED: &str = "/components/schemas/CreateGenerationRequest/required";

/// One random edit of the request side.
#[derive(Debug, Clone)]
enum Edit {
    /// Sets (or, with `None`, removes) a keyword of a schema.
    Keyword {
        pointer: &'static str,
        keyword: &'static str,
        value: Option<Value>,
    },
    /// Adds a property, required or not.
    AddProperty { name: String, required: bool },
    /// Removes a property (and its `required` entry).
    RemoveProperty { name: &'static str },
    /// Adds a property name to `required`, or takes it out.
    ToggleRequired { name: &'static str },
}

fn optional<T: std::fmt::Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![1 => Just(None), 4 => values.prop_map(Some)]
}

fn edit() -> impl Strategy<Value = Edit> {
    let strings = (
        prop::sample::select(STRINGS),
        prop_oneof![
            (
                Just("maxLength"),
                optional(0u32..5000).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("minLength"),
                optional(0u32..50).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("pattern"),
                optional(prop::sample::select(vec!["^a+$", "^https://", "^[a-z]*$"]))
                    .prop_map(|v| v.map(Value::from))
            ),
            (
                Just("format"),
                optional(prop::sample::select(vec!["uri", "email", "byte"]))
                    .prop_map(|v| v.map(Value::from))
            ),
            (
                Just("enum"),
                optional(prop::collection::btree_set(
                    prop::sample::select(vec!["a", "b", "c", "d"]),
                    1..4
                ))
                .prop_map(|v| v.map(|set| Value::from(set.into_iter().collect::<Vec<_>>())))
            ),
            (
                Just("nullable"),
                optional(any::<bool>()).prop_map(|v| v.map(Value::from))
            ),
        ],
    )
        .prop_map(|(pointer, (keyword, value))| Edit::Keyword {
            pointer,
            keyword,
            value,
        });
    let integers = (
        prop::sample::select(INTEGERS),
        prop_oneof![
            (
                Just("maximum"),
                optional(-5i64..100).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("minimum"),
                optional(-5i64..100).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("multipleOf"),
                optional(1i64..5).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("default"),
                optional(0i64..20).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("type"),
                optional(prop::sample::select(vec!["integer", "number", "string"]))
                    .prop_map(|v| v.map(Value::from))
            ),
        ],
    )
        .prop_map(|(pointer, (keyword, value))| Edit::Keyword {
            pointer,
            keyword,
            value,
        });
    let arrays = (
        prop::sample::select(ARRAYS),
        prop_oneof![
            (
                Just("maxItems"),
                optional(0u32..10).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("minItems"),
                optional(0u32..10).prop_map(|v| v.map(Value::from))
            ),
            (
                Just("uniqueItems"),
                optional(any::<bool>()).prop_map(|v| v.map(Value::from))
            ),
        ],
    )
        .prop_map(|(pointer, (keyword, value))| Edit::Keyword {
            pointer,
            keyword,
            value,
        });
    let names = prop::sample::select(vec![
        "prompt",
        "video",
        "negative_prompt",
        "keep_audio",
        "elements",
        "mode",
        "aspect_ratio",
        "duration",
    ]);
    prop_oneof![
        3 => strings,
        2 => integers,
        2 => arrays,
        1 => ("[a-z]{1,8}", any::<bool>()).prop_map(|(name, required)| Edit::AddProperty { name: format!("x_{name}"), required }),
        1 => names.clone().prop_map(|name| Edit::RemoveProperty { name }),
        1 => names.prop_map(|name| Edit::ToggleRequired { name }),
    ]
}

fn apply(document: &mut Value, edit: &Edit) {
    match edit {
        Edit::Keyword {
            pointer,
            keyword,
            value,
        } => {
            // An earlier edit may have removed the property.
            let Some(schema) = document.pointer_mut(pointer).and_then(Value::as_object_mut) else {
                return;
            };
            match value {
                Some(value) => schema.insert(keyword.to_string(), value.clone()),
                None => schema.remove(*keyword),
            };
        }
        Edit::AddProperty { name, required } => {
            at(document, PROPERTIES)
                .as_object_mut()
                .unwrap()
                .insert(name.clone(), json!({"type": "string"}));
            if *required {
                at(document, REQUIRED)
                    .as_array_mut()
                    .unwrap()
                    .push(Value::from(name.clone()));
            }
        }
        Edit::RemoveProperty { name } => {
            at(document, PROPERTIES)
                .as_object_mut()
                .unwrap()
                .remove(*name);
            at(document, REQUIRED)
                .as_array_mut()
                .unwrap()
                .retain(|v| v != name);
        }
        Edit::ToggleRequired { name } => {
            let required = at(document, REQUIRED).as_array_mut().unwrap();
            let before = required.len();
            required.retain(|v| v != name);
            if required.len() == before {
                required.push(Value::from(*name));
            }
        }
    }
}

/// The fixture's "X or null" properties, each spelled `type`, `nullable: true`, `allOf: [X]`.
const OR_NULL: &[&str] = &[
    "/components/schemas/CreateGenerationRequest/properties/aspect_ratio",
    "/components/schemas/Element/oneOf/0/properties/frontal_image",
    "/components/schemas/TaskInfo/properties/error",
    "/components/schemas/ErrorTaskInfo/properties/error",
];

/// The other spellings of "X or null", given X's `$ref`.
fn spellings(reference: &Value) -> [Value; 5] {
    let typed_null = json!({"type": "object", "nullable": true, "enum": [null]});
    [
        json!({"oneOf": [reference, typed_null]}),
        json!({"oneOf": [typed_null, reference]}),
        json!({"anyOf": [reference, {"enum": [null]}]}),
        json!({"oneOf": [reference, {"type": "string", "nullable": true, "enum": [null]}]}),
        json!({"nullable": true, "allOf": [reference]}),
    ]
}

/// Spells the "X or null" at `pointer` another way (unless an edit removed it).
fn respell(document: &mut Value, pointer: &str, spelling: usize) {
    let Some(schema) = document.pointer_mut(pointer) else {
        return;
    };
    let Some(reference) = schema.pointer("/allOf/0").cloned() else {
        return;
    };
    let mut spellings = Vec::from(spellings(&reference));
    *schema = spellings.swap_remove(spelling % spellings.len());
}

/// What a report says, without the pointers (a respelling moves the `nullable` keyword).
fn said(changes: &[Change]) -> Vec<(Class, String, String)> {
    let mut said: Vec<_> = changes
        .iter()
        .map(|c| (c.class, c.rule.clone(), c.location.clone()))
        .collect();
    said.sort();
    said
}

/// The document rules only: the generated API is left to the corpus (it takes a generator run).
fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let api = &fixture_document().api;
    let document = |value: &Value| Document {
        name: "document.yaml".into(),
        value: value.clone(),
        api: api.clone(),
    };
    super::operations::compare(&document(old), &document(new), &super::tolerant())
}

proptest! {
    #[test]
    fn a_document_compared_with_itself_has_no_change(edits in prop::collection::vec(edit(), 0..6)) {
        // Arrange
        let mut document = fixture();
        for edit in &edits {
            apply(&mut document, edit);
        }

        // Act
        let changes = compare(&document, &document);

        // Assert
        prop_assert!(changes.is_empty(), "{changes:#?}");
    }

    #[test]
    fn respelling_x_or_null_never_changes_what_an_edit_is_reported_as(
        edits in prop::collection::vec(edit(), 0..4),
        respellings in prop::collection::vec((prop::sample::select(OR_NULL), 0usize..5), 1..4),
    ) {
        // Arrange
        let old = fixture();
        let mut new = old.clone();
        for edit in &edits {
            apply(&mut new, edit);
        }
        let mut respelled = new.clone();
        for (pointer, spelling) in &respellings {
            respell(&mut respelled, pointer, *spelling);
        }

        // Act
        let plain = compare(&old, &new);
        let respelled_forward = compare(&old, &respelled);
        let respelled_backward = compare(&respelled, &old);
        let swapped = compare(&new, &old);

        // Assert
        prop_assert_eq!(said(&plain), said(&respelled_forward));
        prop_assert_eq!(said(&swapped), said(&respelled_backward));
    }

    #[test]
    fn swapping_old_and_new_never_turns_a_breaking_request_change_into_nothing(
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        // Arrange
        let old = fixture();
        let mut new = old.clone();
        for edit in &edits {
            apply(&mut new, edit);
        }

        // Act
        let forward = compare(&old, &new);
        let backward = compare(&new, &old);

        // Assert: every place with a breaking request change has a change the other way.
        let back: BTreeSet<Option<String>> = backward.iter().map(|c| c.pointer.clone()).collect();
        let breaking_requests = forward
            .iter()
            .filter(|c| c.class == Class::Breaking && c.side == Side::Request);
        for change in breaking_requests {
            prop_assert!(
                back.contains(&change.pointer),
                "{change:#?} has no counterpart in {backward:#?}"
            );
        }
    }
}

#[test]
fn the_live_document_compared_with_itself_has_no_change_in_either_part() {
    // Arrange
    let root = crate::workspace::root();
    let documents = load::working_tree(&root).unwrap();

    for (name, document) in &documents {
        // Act
        let changes = super::operations::compare(document, document, &super::tolerant());
        let api = super::rust_api::derive(name, &document.api).unwrap();
        let api_changes = super::rust_api::compare(name, &api, &api);

        // Assert
        assert_eq!(changes, Vec::new(), "{name}");
        assert_eq!(api_changes, Vec::new(), "{name}");
        assert!(
            api.keys().any(|k| k.starts_with("raw::Client::")),
            "{name}: no operation found"
        );
    }
}
