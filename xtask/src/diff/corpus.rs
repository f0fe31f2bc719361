//! The corpus: small edits of the document, each with the rule and class it must produce, and
//! a snapshot of the whole report (document rules and generated API) for review.
//!
//! The edits apply to a frozen copy of the document (`testdata/document.yaml`), so the corpus
//! does not move when the live document does; `properties` also runs on the live one.

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::change::{Change, Class, Side, tidy};
use super::load::{self, Document};
use super::render::{self, Sides};
use super::rust_api::{self, Api};

/// The frozen copy of the document the edits apply to.
pub const FIXTURE: &str = include_str!("testdata/document.yaml");

/// The fixture, parsed once (the corpus and the properties use it hundreds of times).
pub fn fixture_document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| load::parse("document.yaml", FIXTURE.as_bytes()).unwrap())
}

pub fn fixture() -> Value {
    fixture_document().value.clone()
}

/// The `rule` of an edit that must leave the document part of the report empty: the same
/// values spelled another way. The generated API may still differ; the snapshot shows it.
pub const NO_CHANGE: &str = "";

/// One edit and what it must be reported as.
pub struct Case {
    pub name: &'static str,
    /// Applied to both sides first, for edits that need something the document lacks.
    pub setup: Option<fn(&mut Value)>,
    pub edit: fn(&mut Value),
    pub rule: &'static str,
    pub class: Class,
}

const CREATE: &str =
    "/paths/~1vendors~1klingai~1v1~1kling-v3-omni~1reference-video-to-video~1generation/post";
const GET: &str = "/paths/~1vendors~1klingai~1v1~1kling-v3-omni~1reference-video-to-video~1generation~1{task_id}/get";
const REQUEST: &str = "/components/schemas/CreateGenerationRequest";

/// Where the fixture's `TaskStatus` lists its known values once [`with_phases`] ran.
const PHASES: &str = "/components/schemas/TaskStatus/x-phases";

/// Gives the fixture's `TaskStatus` an `x-phases` list (the frozen copy predates it).
fn with_phases(document: &mut Value) {
    let phases = json!({ "pending": "in_progress", "completed": "succeeded", "failed": "failed" });
    set(
        document,
        "/components/schemas/TaskStatus",
        "x-phases",
        phases,
    );
}

/// The value at `pointer`, which must exist.
pub fn at<'v>(document: &'v mut Value, pointer: &str) -> &'v mut Value {
    document
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the fixture"))
}

/// Sets `key` of the object at `pointer`.
pub fn set(document: &mut Value, pointer: &str, key: &str, value: Value) {
    at(document, pointer)
        .as_object_mut()
        .unwrap_or_else(|| panic!("{pointer} is not an object"))
        .insert(key.to_string(), value);
}

/// Removes `key` of the object at `pointer`, which must have it.
pub fn remove(document: &mut Value, pointer: &str, key: &str) {
    let removed = at(document, pointer)
        .as_object_mut()
        .and_then(|o| o.remove(key));
    assert!(removed.is_some(), "no {key} in {pointer}");
}

/// Appends to the array at `pointer`.
pub fn push(document: &mut Value, pointer: &str, value: Value) {
    at(document, pointer)
        .as_array_mut()
        .unwrap_or_else(|| panic!("{pointer} is not an array"))
        .push(value);
}

/// Removes `value` from the array at `pointer`.
pub fn drop_value(document: &mut Value, pointer: &str, value: &Value) {
    let list = at(document, pointer).as_array_mut().unwrap();
    let before = list.len();
    list.retain(|v| v != value);
    assert!(list.len() < before, "{value} is not in {pointer}");
}

fn prop(name: &str) -> String {
    format!("{REQUEST}/properties/{name}")
}

const TASK_INFO: &str = "/components/schemas/TaskInfo/properties";
const FRONTAL_IMAGE: &str = "/components/schemas/Element/oneOf/0/properties/frontal_image";

/// A branch that accepts only `null`, as the live document spells it.
fn typed_null() -> Value {
    json!({"type": "object", "nullable": true, "enum": [null]})
}

/// "`name` or null" as `oneOf` of the component and a null-only branch.
fn one_of_or_null(name: &str) -> Value {
    json!({"oneOf": [{"$ref": format!("#/components/schemas/{name}")}, typed_null()]})
}

/// A task answer that carries an optional `progress` number.
fn with_progress(document: &mut Value) {
    set(
        document,
        "/components/schemas/TaskResponse/properties",
        "progress",
        json!({"type": "integer"}),
    );
}

/// The task-event webhook as a callback of the create operation, as the live document has it.
fn with_task_event_callback(document: &mut Value) {
    set(
        document,
        CREATE,
        "callbacks",
        json!({"taskEvent": {"https://receiver.example/endpoint": {"post": {
            "operationId": "receive_task_event",
            "security": [],
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookEvent"}
            }}},
            "responses": {"2XX": {"description": "Acknowledged."}}
        }}}}),
    );
}

/// An optional query parameter on the task read, for the parameter edits.
fn with_page_parameter(document: &mut Value) {
    push(
        document,
        &format!("{GET}/parameters"),
        json!({"name": "page", "in": "query", "schema": {"type": "integer"}}),
    );
}

pub fn cases() -> Vec<Case> {
    use Class::{Behaviour, Breaking, NonBreaking};
    vec![
        // Requests: what client users send.
        Case {
            name: "request_required_property_added",
            setup: None,
            rule: "request-required-property-added",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    &format!("{REQUEST}/properties"),
                    "seed",
                    json!({"type": "integer"}),
                );
                push(d, &format!("{REQUEST}/required"), json!("seed"));
            },
        },
        Case {
            name: "request_optional_property_added",
            setup: None,
            rule: "request-optional-property-added",
            class: NonBreaking,
            edit: |d| {
                set(
                    d,
                    &format!("{REQUEST}/properties"),
                    "seed",
                    json!({"type": "integer"}),
                )
            },
        },
        Case {
            name: "request_property_removed",
            setup: None,
            rule: "request-property-removed",
            class: Breaking,
            edit: |d| remove(d, &format!("{REQUEST}/properties"), "negative_prompt"),
        },
        Case {
            name: "request_property_became_required",
            setup: None,
            rule: "request-property-became-required",
            class: Breaking,
            edit: |d| push(d, &format!("{REQUEST}/required"), json!("duration")),
        },
        Case {
            name: "request_property_became_optional",
            setup: None,
            rule: "request-property-became-optional",
            class: NonBreaking,
            edit: |d| drop_value(d, &format!("{REQUEST}/required"), &json!("video")),
        },
        Case {
            name: "request_max_length_decreased",
            setup: None,
            rule: "request-max-length-decreased",
            class: Breaking,
            edit: |d| set(d, &prop("prompt"), "maxLength", json!(2000)),
        },
        Case {
            name: "request_max_length_increased",
            setup: None,
            rule: "request-max-length-increased",
            class: NonBreaking,
            edit: |d| set(d, &prop("prompt"), "maxLength", json!(5000)),
        },
        Case {
            name: "request_min_length_increased",
            setup: None,
            rule: "request-min-length-increased",
            class: Breaking,
            edit: |d| set(d, &prop("prompt"), "minLength", json!(10)),
        },
        Case {
            name: "request_maximum_decreased",
            setup: None,
            rule: "request-maximum-decreased",
            class: Breaking,
            edit: |d| set(d, &prop("duration"), "maximum", json!(10)),
        },
        Case {
            name: "request_maximum_increased",
            setup: None,
            rule: "request-maximum-increased",
            class: NonBreaking,
            edit: |d| set(d, &prop("duration"), "maximum", json!(30)),
        },
        Case {
            name: "request_minimum_increased",
            setup: None,
            rule: "request-minimum-increased",
            class: Breaking,
            edit: |d| set(d, &prop("duration"), "minimum", json!(5)),
        },
        Case {
            name: "request_minimum_removed",
            setup: None,
            rule: "request-minimum-removed",
            class: NonBreaking,
            edit: |d| remove(d, &prop("duration"), "minimum"),
        },
        Case {
            name: "request_max_items_decreased",
            setup: None,
            rule: "request-max-items-decreased",
            class: Breaking,
            edit: |d| set(d, &prop("elements"), "maxItems", json!(2)),
        },
        Case {
            name: "request_min_items_increased_in_a_one_of_branch",
            setup: None,
            rule: "request-min-items-increased",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/Element/oneOf/0/properties/reference_images",
                    "minItems",
                    json!(2),
                )
            },
        },
        Case {
            name: "request_unique_items_added",
            setup: None,
            rule: "request-unique-items-added",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/Element/oneOf/1/properties/reference_videos",
                    "uniqueItems",
                    json!(true),
                )
            },
        },
        Case {
            name: "request_enum_value_removed",
            setup: None,
            rule: "request-enum-value-removed",
            class: Breaking,
            edit: |d| drop_value(d, "/components/schemas/AspectRatio/enum", &json!("1:1")),
        },
        Case {
            name: "request_enum_value_added",
            setup: None,
            rule: "request-enum-value-added",
            class: NonBreaking,
            edit: |d| push(d, "/components/schemas/AspectRatio/enum", json!("4:3")),
        },
        Case {
            name: "request_pattern_changed_in_a_shared_component",
            setup: None,
            rule: "request-pattern-changed",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/HttpUrl",
                    "pattern",
                    json!("^https://[A-Za-z0-9\\[][!-~]*$"),
                )
            },
        },
        Case {
            name: "request_pattern_removed",
            setup: None,
            rule: "request-pattern-removed",
            class: NonBreaking,
            edit: |d| remove(d, "/components/schemas/ImageSource", "pattern"),
        },
        Case {
            name: "request_pattern_added",
            setup: None,
            rule: "request-pattern-added",
            class: Breaking,
            edit: |d| set(d, &prop("negative_prompt"), "pattern", json!("^[a-z ,]*$")),
        },
        Case {
            name: "request_format_added",
            setup: None,
            rule: "request-format-added",
            class: Breaking,
            edit: |d| set(d, &prop("negative_prompt"), "format", json!("email")),
        },
        Case {
            name: "request_max_length_decreased_in_a_shared_component",
            setup: None,
            rule: "request-max-length-decreased",
            class: Breaking,
            edit: |d| set(d, "/components/schemas/HttpUrl", "maxLength", json!(1024)),
        },
        Case {
            name: "request_type_changed",
            setup: None,
            rule: "request-type-changed",
            class: Breaking,
            edit: |d| {
                let p = prop("duration");
                set(d, &p, "type", json!("string"));
                for k in ["format", "minimum", "maximum"] {
                    remove(d, &p, k);
                }
                set(d, &p, "default", json!("5"));
            },
        },
        Case {
            name: "request_default_changed",
            setup: None,
            rule: "request-default-changed",
            class: Behaviour,
            edit: |d| set(d, &prop("duration"), "default", json!(10)),
        },
        Case {
            name: "request_default_removed",
            setup: None,
            rule: "request-default-removed",
            class: Behaviour,
            edit: |d| remove(d, &prop("keep_audio"), "default"),
        },
        Case {
            name: "request_default_changed_in_an_enum_component",
            setup: None,
            rule: "request-default-changed",
            class: Behaviour,
            edit: |d| set(d, "/components/schemas/Mode", "default", json!("std")),
        },
        Case {
            name: "request_default_removed_in_an_enum_component",
            setup: None,
            rule: "request-default-removed",
            class: Behaviour,
            edit: |d| remove(d, "/components/schemas/Mode", "default"),
        },
        Case {
            name: "request_became_not_nullable",
            setup: None,
            rule: "request-became-not-nullable",
            class: Breaking,
            edit: |d| remove(d, &prop("negative_prompt"), "nullable"),
        },
        Case {
            name: "request_became_nullable",
            setup: None,
            rule: "request-became-nullable",
            class: NonBreaking,
            edit: |d| set(d, &prop("prompt"), "nullable", json!(true)),
        },
        Case {
            name: "request_unknown_properties_allowed",
            setup: None,
            rule: "request-unknown-properties-allowed",
            class: NonBreaking,
            edit: |d| remove(d, REQUEST, "additionalProperties"),
        },
        Case {
            name: "request_one_of_branch_removed",
            setup: None,
            rule: "request-one-of-branch-removed",
            class: Breaking,
            edit: |d| {
                at(d, "/components/schemas/Element/oneOf")
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
        },
        Case {
            name: "request_body_max_bytes_added",
            setup: None,
            rule: "request-body-max-bytes-added",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody"),
                    "x-max-body-bytes",
                    json!(33_554_432),
                )
            },
        },
        Case {
            name: "request_body_max_bytes_decreased",
            setup: Some(|d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody"),
                    "x-max-body-bytes",
                    json!(33_554_432),
                )
            }),
            rule: "request-body-max-bytes-decreased",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody"),
                    "x-max-body-bytes",
                    json!(1_048_576),
                )
            },
        },
        Case {
            name: "request_body_max_bytes_increased",
            setup: Some(|d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody"),
                    "x-max-body-bytes",
                    json!(33_554_432),
                )
            }),
            rule: "request-body-max-bytes-increased",
            class: NonBreaking,
            edit: |d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody"),
                    "x-max-body-bytes",
                    json!(67_108_864),
                )
            },
        },
        Case {
            name: "request_body_became_optional",
            setup: None,
            rule: "request-body-became-optional",
            class: NonBreaking,
            edit: |d| {
                set(
                    d,
                    &format!("{CREATE}/requestBody"),
                    "required",
                    json!(false),
                )
            },
        },
        Case {
            name: "request_optional_parameter_added",
            setup: None,
            rule: "request-optional-parameter-added",
            class: NonBreaking,
            edit: |d| {
                push(
                    d,
                    &format!("{GET}/parameters"),
                    json!({"name": "verbose", "in": "query", "schema": {"type": "boolean"}}),
                )
            },
        },
        Case {
            name: "request_required_parameter_added",
            setup: None,
            rule: "request-required-parameter-added",
            class: Breaking,
            edit: |d| {
                push(
                    d,
                    &format!("{GET}/parameters"),
                    json!({"name": "region", "in": "query", "required": true, "schema": {"type": "string"}}),
                )
            },
        },
        Case {
            name: "request_parameter_format_removed",
            setup: None,
            rule: "request-format-removed",
            class: NonBreaking,
            edit: |d| remove(d, &format!("{GET}/parameters/0/schema"), "format"),
        },
        Case {
            name: "request_parameter_removed",
            setup: Some(with_page_parameter),
            rule: "request-parameter-removed",
            class: Breaking,
            edit: |d| {
                at(d, &format!("{GET}/parameters"))
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
        },
        Case {
            name: "request_parameter_became_required",
            setup: Some(with_page_parameter),
            rule: "request-parameter-became-required",
            class: Breaking,
            edit: |d| set(d, &format!("{GET}/parameters/1"), "required", json!(true)),
        },
        Case {
            name: "request_parameter_type_changed",
            setup: Some(with_page_parameter),
            rule: "request-type-changed",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    &format!("{GET}/parameters/1/schema"),
                    "type",
                    json!("string"),
                )
            },
        },
        // "X or null" spelled another way: the same values, so no document change.
        Case {
            name: "request_or_null_rewritten_from_all_of_to_one_of_a_null_branch",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, &prop("aspect_ratio")) = one_of_or_null("AspectRatio");
                *at(d, FRONTAL_IMAGE) = one_of_or_null("ImageSource");
            },
        },
        Case {
            name: "response_or_null_rewritten_from_all_of_to_one_of_a_null_branch",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, &format!("{TASK_INFO}/error")) = one_of_or_null("TaskError");
                *at(d, "/components/schemas/ErrorTaskInfo/properties/error") =
                    one_of_or_null("TaskError");
            },
        },
        Case {
            name: "request_or_null_rewritten_to_any_of_an_untyped_null_branch",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, FRONTAL_IMAGE) = json!({"anyOf": [
                    {"$ref": "#/components/schemas/ImageSource"},
                    {"enum": [null]}
                ]});
            },
        },
        Case {
            name: "request_or_null_rewritten_to_one_of_a_referenced_null_schema",
            setup: Some(|d| {
                set(
                    d,
                    "/components/schemas",
                    "Null",
                    json!({"nullable": true, "enum": [null]}),
                )
            }),
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, &prop("aspect_ratio")) = json!({"oneOf": [
                    {"$ref": "#/components/schemas/AspectRatio"},
                    {"$ref": "#/components/schemas/Null"}
                ]});
            },
        },
        Case {
            name: "response_or_null_rewritten_to_all_of_without_a_type",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| remove(d, &format!("{TASK_INFO}/error"), "type"),
        },
        Case {
            name: "request_or_null_rewritten_to_the_inline_nullable_form",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, &prop("aspect_ratio")) = json!({
                    "type": "string",
                    "nullable": true,
                    "enum": ["16:9", "9:16", "1:1"]
                });
            },
        },
        Case {
            name: "request_or_null_rewritten_to_an_enum_listing_null",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, &prop("aspect_ratio")) = json!({
                    "type": "string",
                    "nullable": true,
                    "enum": ["16:9", "9:16", "1:1", null]
                });
            },
        },
        Case {
            name: "request_reference_rewritten_to_a_single_member_all_of",
            setup: None,
            rule: NO_CHANGE,
            class: NonBreaking,
            edit: |d| {
                *at(d, &prop("mode")) = json!({"allOf": [{"$ref": "#/components/schemas/Mode"}]});
            },
        },
        // Nullability that really changes, through each spelling.
        Case {
            name: "request_stopped_accepting_null_in_the_one_of_spelling",
            setup: Some(|d| *at(d, &prop("aspect_ratio")) = one_of_or_null("AspectRatio")),
            rule: "request-became-not-nullable",
            class: Breaking,
            edit: |d| {
                *at(d, &prop("aspect_ratio")) = json!({"$ref": "#/components/schemas/AspectRatio"})
            },
        },
        Case {
            name: "request_started_accepting_null_in_the_any_of_spelling",
            setup: None,
            rule: "request-became-nullable",
            class: NonBreaking,
            edit: |d| {
                let prompt = at(d, &prop("prompt")).clone();
                *at(d, &prop("prompt")) = json!({"anyOf": [prompt, {"enum": [null]}]});
            },
        },
        Case {
            name: "request_stopped_accepting_null_in_the_all_of_spelling",
            setup: None,
            rule: "request-became-not-nullable",
            class: Breaking,
            edit: |d| remove(d, FRONTAL_IMAGE, "nullable"),
        },
        Case {
            name: "response_started_allowing_null_in_the_one_of_spelling",
            setup: None,
            rule: "response-became-nullable",
            class: Breaking,
            edit: |d| *at(d, &format!("{TASK_INFO}/status")) = one_of_or_null("TaskStatus"),
        },
        Case {
            name: "response_stopped_allowing_null_in_the_one_of_spelling",
            setup: Some(|d| *at(d, &format!("{TASK_INFO}/error")) = one_of_or_null("TaskError")),
            rule: "response-became-not-nullable",
            class: NonBreaking,
            edit: |d| {
                *at(d, &format!("{TASK_INFO}/error")) =
                    json!({"$ref": "#/components/schemas/TaskError"})
            },
        },
        Case {
            name: "response_property_removed_behind_a_one_of_null_branch",
            setup: Some(|d| *at(d, &format!("{TASK_INFO}/error")) = one_of_or_null("TaskError")),
            rule: "response-property-removed",
            class: Breaking,
            edit: |d| remove(d, "/components/schemas/TaskError/properties", "detail"),
        },
        // Callbacks: what the service sends to client users' endpoints.
        Case {
            name: "callback_added",
            setup: None,
            rule: "callback-added",
            class: NonBreaking,
            edit: with_task_event_callback,
        },
        Case {
            name: "callback_removed",
            setup: Some(with_task_event_callback),
            rule: "callback-removed",
            class: Behaviour,
            edit: |d| remove(d, CREATE, "callbacks"),
        },
        Case {
            name: "callback_body_property_removed",
            setup: Some(with_task_event_callback),
            rule: "response-property-removed",
            class: Breaking,
            edit: |d| {
                remove(
                    d,
                    "/components/schemas/WebhookEventData/properties",
                    "vendor",
                )
            },
        },
        // Responses: what client users read and the mock answers.
        Case {
            name: "response_property_removed",
            setup: None,
            rule: "response-property-removed",
            class: Breaking,
            edit: |d| remove(d, "/components/schemas/TaskResponse/properties", "videos"),
        },
        Case {
            name: "response_property_added",
            setup: None,
            rule: "response-property-added",
            class: NonBreaking,
            edit: with_progress,
        },
        Case {
            name: "response_required_property_added",
            setup: None,
            rule: "response-property-added",
            class: NonBreaking,
            edit: |d| {
                with_progress(d);
                push(
                    d,
                    "/components/schemas/TaskResponse/required",
                    json!("progress"),
                );
            },
        },
        Case {
            name: "response_property_became_optional",
            setup: None,
            rule: "response-property-became-optional",
            class: Breaking,
            edit: |d| {
                drop_value(
                    d,
                    "/components/schemas/TaskInfo/required",
                    &json!("updated_at"),
                )
            },
        },
        Case {
            name: "response_property_became_required",
            setup: None,
            rule: "response-property-became-required",
            class: Behaviour,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/TaskError",
                    "required",
                    json!(["title"]),
                )
            },
        },
        Case {
            name: "response_enum_value_added_to_the_tolerant_task_status",
            setup: None,
            rule: "response-enum-value-added",
            class: NonBreaking,
            edit: |d| push(d, "/components/schemas/TaskStatus/enum", json!("cancelled")),
        },
        Case {
            name: "response_known_value_added_that_finishes_a_task",
            setup: Some(with_phases),
            rule: "response-known-value-added",
            class: Breaking,
            edit: |d| set(d, PHASES, "cancelled", json!("failed")),
        },
        Case {
            name: "response_known_value_added_that_keeps_a_task_going",
            setup: Some(with_phases),
            rule: "response-known-value-added",
            class: NonBreaking,
            edit: |d| set(d, PHASES, "upscaling", json!("in_progress")),
        },
        Case {
            name: "response_known_value_given_another_phase",
            setup: Some(with_phases),
            rule: "response-known-value-phase-changed",
            class: Breaking,
            edit: |d| set(d, PHASES, "pending", json!("failed")),
        },
        Case {
            name: "response_known_value_removed",
            setup: Some(with_phases),
            rule: "response-known-value-removed",
            class: NonBreaking,
            edit: |d| remove(d, PHASES, "pending"),
        },
        Case {
            name: "response_enum_value_added_to_a_closed_enum",
            rule: "response-enum-value-added",
            class: Breaking,
            setup: Some(|d| {
                set(
                    d,
                    "/components/schemas/Violation/properties/rule",
                    "enum",
                    json!(["maxLength", "required"]),
                )
            }),
            edit: |d| {
                push(
                    d,
                    "/components/schemas/Violation/properties/rule/enum",
                    json!("pattern"),
                )
            },
        },
        Case {
            name: "response_enum_value_removed",
            rule: "response-enum-value-removed",
            class: NonBreaking,
            setup: Some(|d| {
                set(
                    d,
                    "/components/schemas/Violation/properties/rule",
                    "enum",
                    json!(["maxLength", "required"]),
                )
            }),
            edit: |d| {
                drop_value(
                    d,
                    "/components/schemas/Violation/properties/rule/enum",
                    &json!("required"),
                )
            },
        },
        Case {
            name: "response_became_nullable",
            setup: None,
            rule: "response-became-nullable",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/TaskInfo/properties/id",
                    "nullable",
                    json!(true),
                )
            },
        },
        Case {
            name: "response_type_changed",
            setup: None,
            rule: "response-type-changed",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/TaskError/properties/code",
                    "type",
                    json!("string"),
                );
                remove(d, "/components/schemas/TaskError/properties/code", "format");
            },
        },
        Case {
            name: "response_format_changed",
            setup: None,
            rule: "response-format-changed",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/schemas/TaskInfo/properties/created_at",
                    "format",
                    json!("date"),
                )
            },
        },
        Case {
            name: "response_max_length_increased",
            rule: "response-max-length-increased",
            class: Breaking,
            setup: Some(|d| {
                set(
                    d,
                    "/components/schemas/Violation/properties/message",
                    "maxLength",
                    json!(200),
                )
            }),
            edit: |d| {
                set(
                    d,
                    "/components/schemas/Violation/properties/message",
                    "maxLength",
                    json!(400),
                )
            },
        },
        Case {
            name: "response_maximum_increased",
            rule: "response-maximum-increased",
            class: Behaviour,
            setup: Some(|d| {
                set(
                    d,
                    "/components/schemas/TaskError/properties/code",
                    "maximum",
                    json!(9999),
                )
            }),
            edit: |d| {
                set(
                    d,
                    "/components/schemas/TaskError/properties/code",
                    "maximum",
                    json!(99999),
                )
            },
        },
        Case {
            name: "response_media_type_added_beside_json_keeps_a_shared_change_on_one_line",
            setup: None,
            rule: "response-media-type-added",
            class: NonBreaking,
            edit: |d| {
                set(
                    d,
                    "/components/responses/ServerError/content",
                    "text/html",
                    json!({"schema": {"type": "string"}}),
                );
                push(d, "/components/schemas/TaskStatus/enum", json!("cancelled"));
            },
        },
        Case {
            name: "response_header_removed",
            setup: None,
            rule: "response-header-removed",
            class: Breaking,
            edit: |d| {
                remove(
                    d,
                    "/components/responses/TooManyRequests/headers",
                    "Retry-After",
                )
            },
        },
        Case {
            name: "response_header_added",
            setup: None,
            rule: "response-header-added",
            class: NonBreaking,
            edit: |d| {
                set(
                    d,
                    &format!("{CREATE}/responses/202"),
                    "headers",
                    json!({"traceparent": {"$ref": "#/components/headers/Traceparent"}}),
                )
            },
        },
        Case {
            name: "response_example_removed",
            setup: None,
            rule: "response-example-removed",
            class: Breaking,
            edit: |d| {
                remove(
                    d,
                    &format!("{GET}/responses/200/content/application~1json/examples"),
                    "failed",
                )
            },
        },
        Case {
            name: "response_example_changed",
            setup: None,
            rule: "response-example-changed",
            class: Behaviour,
            edit: |d| {
                set(
                    d,
                    &format!(
                        "{GET}/responses/200/content/application~1json/examples/processing/value/task_info"
                    ),
                    "status",
                    json!("running"),
                )
            },
        },
        Case {
            name: "response_error_status_added",
            setup: None,
            rule: "response-error-status-added",
            class: Behaviour,
            edit: |d| {
                set(
                    d,
                    &format!("{CREATE}/responses"),
                    "422",
                    json!({"$ref": "#/components/responses/BadRequest"}),
                )
            },
        },
        Case {
            name: "response_error_status_removed_under_a_range",
            setup: None,
            rule: "response-error-status-removed",
            class: Behaviour,
            edit: |d| remove(d, &format!("{CREATE}/responses"), "409"),
        },
        Case {
            name: "response_error_status_removed_without_a_range",
            setup: None,
            rule: "response-error-status-removed",
            class: Breaking,
            edit: |d| {
                remove(d, &format!("{GET}/responses"), "404");
                remove(d, &format!("{GET}/responses"), "4XX");
            },
        },
        Case {
            name: "response_success_status_removed",
            setup: None,
            rule: "response-success-status-removed",
            class: Breaking,
            edit: |d| remove(d, &format!("{CREATE}/responses"), "202"),
        },
        Case {
            name: "response_change_in_a_component_no_operation_reaches",
            setup: None,
            rule: "response-property-removed",
            class: Breaking,
            edit: |d| {
                remove(
                    d,
                    "/components/schemas/WebhookEventData/properties",
                    "vendor",
                )
            },
        },
        Case {
            name: "response_change_inside_a_cycle",
            rule: "response-type-changed",
            class: Breaking,
            setup: Some(|d| {
                set(
                    d,
                    "/components/schemas/TaskError/properties",
                    "cause",
                    json!({"$ref": "#/components/schemas/TaskError"}),
                )
            }),
            edit: |d| {
                set(
                    d,
                    "/components/schemas/TaskError/properties/title",
                    "type",
                    json!("integer"),
                )
            },
        },
        // Operations and the document as a whole.
        Case {
            name: "operation_removed",
            setup: None,
            rule: "operation-removed",
            class: Breaking,
            edit: |d| {
                remove(
                    d,
                    "/paths",
                    "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation/{task_id}",
                )
            },
        },
        Case {
            name: "operation_added",
            setup: None,
            rule: "operation-added",
            class: NonBreaking,
            edit: |d| {
                set(
                    d,
                    "/paths/~1vendors~1klingai~1v1~1kling-v3-omni~1reference-video-to-video~1generation~1{task_id}",
                    "delete",
                    json!({"operationId": "cancel_generation", "parameters": [{"name": "task_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                       "responses": {"204": {"description": "Cancelled"}}}),
                )
            },
        },
        Case {
            name: "operation_id_changed",
            setup: None,
            rule: "operation-id-changed",
            class: Breaking,
            edit: |d| set(d, GET, "operationId", json!("read_generation")),
        },
        Case {
            name: "operation_path_changed",
            setup: None,
            rule: "operation-path-changed",
            class: Breaking,
            edit: |d| {
                let item = at(d, "/paths").as_object_mut().unwrap().remove("/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation/{task_id}").unwrap();
                set(
                    d,
                    "/paths",
                    "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/tasks/{task_id}",
                    item,
                );
            },
        },
        Case {
            name: "operation_deprecated",
            setup: None,
            rule: "operation-deprecated",
            class: NonBreaking,
            edit: |d| set(d, GET, "deprecated", json!(true)),
        },
        Case {
            name: "security_removed",
            setup: None,
            rule: "security-removed",
            class: NonBreaking,
            edit: |d| set(d, GET, "security", json!([])),
        },
        Case {
            name: "security_added",
            rule: "security-added",
            class: Breaking,
            setup: Some(|d| set(d, GET, "security", json!([]))),
            edit: |d| remove(d, GET, "security"),
        },
        Case {
            name: "security_scheme_changed",
            setup: None,
            rule: "security-scheme-changed",
            class: Breaking,
            edit: |d| {
                set(
                    d,
                    "/components/securitySchemes",
                    "bearerAuth",
                    json!({"type": "apiKey", "in": "header", "name": "X-Api-Key"}),
                )
            },
        },
        Case {
            name: "servers_changed",
            setup: None,
            rule: "servers-changed",
            class: Behaviour,
            edit: |d| {
                set(
                    d,
                    "",
                    "servers",
                    json!([{"url": "https://api.eu.mulerouter.ai"}]),
                )
            },
        },
    ]
}

/// The generated API of the unedited fixture, derived once.
fn fixture_api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| rust_api::derive("document.yaml", &fixture_document().api).unwrap())
}

fn document(value: &Value) -> Document {
    load::parse(
        "document.yaml",
        serde_json::to_string(value).unwrap().as_bytes(),
    )
    .expect("the edited document is valid")
}

/// Runs one case: its document changes and its generated API changes, in reading order.
fn run(case: &Case) -> Vec<Change> {
    let mut old = fixture();
    if let Some(setup) = case.setup {
        setup(&mut old);
    }
    let mut new = old.clone();
    (case.edit)(&mut new);
    let (old, new) = (document(&old), document(&new));
    let tolerant = super::tolerant();
    let mut changes = super::operations::compare(&old, &new, &tolerant);
    let old_api = match case.setup {
        None => fixture_api().clone(),
        Some(_) => rust_api::derive("document.yaml", &old.api).unwrap(),
    };
    let new_api = rust_api::derive("document.yaml", &new.api).unwrap();
    changes.extend(rust_api::compare("document.yaml", &old_api, &new_api));
    tidy(&mut changes);
    changes
}

#[test]
fn the_corpus_has_at_least_forty_edits_with_distinct_names() {
    let cases = cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    assert_eq!(names.len(), cases.len());
}

#[test]
fn every_edit_is_reported_with_its_rule_and_class() {
    let mut failures = Vec::new();
    for case in cases() {
        // Act
        let changes = run(&case);

        // Assert
        let found: Vec<&Change> = changes.iter().filter(|c| c.rule == case.rule).collect();
        let document_changes: Vec<&String> = changes
            .iter()
            .filter(|c| c.side != Side::Rust)
            .map(|c| &c.rule)
            .collect();
        if case.rule == NO_CHANGE {
            if !document_changes.is_empty() {
                failures.push(format!(
                    "{}: expected no document change, found {document_changes:?}",
                    case.name
                ));
            }
        } else if found.is_empty() {
            failures.push(format!(
                "{}: no `{}` among {:?}",
                case.name,
                case.rule,
                changes.iter().map(|c| &c.rule).collect::<Vec<_>>()
            ));
        } else if let Some(wrong) = found.iter().find(|c| c.class != case.class) {
            failures.push(format!(
                "{}: `{}` is {:?}, expected {:?}",
                case.name, case.rule, wrong.class, case.class
            ));
        }
        let report = render::text(
            &Sides {
                old: "document.yaml".into(),
                new: case.name.into(),
            },
            &changes,
        );
        insta::assert_snapshot!(case.name, report);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_unedited_document_has_no_change_in_either_part() {
    // Arrange
    let case = Case {
        name: "none",
        setup: None,
        edit: |_| {},
        rule: "",
        class: Class::NonBreaking,
    };

    // Act
    let changes = run(&case);

    // Assert
    assert_eq!(changes, Vec::new());
}
