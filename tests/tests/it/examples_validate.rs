//! Every `example` in the document validates against its own schema, with the same
//! validator the mock uses: request and response examples against their operation, schema
//! examples against their component, property examples inside their component's example,
//! parameter examples against their format. This is the workspace's one check of the
//! documents' examples: the API's and the mock's admin API's.

use contract_tests::document::{admin_document, document, examples_of_in, resolve_in};
use mulerouter_kling::Violation;
use mulerouter_kling_mock::document::{
    validate_admin_component, validate_admin_request_body, validate_admin_response,
    validate_component, validate_request_body, validate_response,
};
use serde_json::Value;

/// What a check finds: nothing, or the broken rules.
type Checked = Result<(), Vec<Violation>>;

/// One document and the checks the mock compiles from it.
struct Document {
    json: &'static Value,
    request_body: fn(&str, &str, &Value) -> Checked,
    response: fn(&str, &str, u16, &[u8]) -> Checked,
    component: fn(&str, &Value) -> Checked,
    /// Fewer examples found means the walk missed some.
    at_least: usize,
}

fn api() -> Document {
    Document {
        json: document(),
        request_body: validate_request_body,
        response: validate_response,
        component: validate_component,
        at_least: 40,
    }
}

fn admin() -> Document {
    Document {
        json: admin_document(),
        request_body: validate_admin_request_body,
        response: validate_admin_response,
        component: validate_admin_component,
        at_least: 20,
    }
}

/// An operation's parameters (the path item's and its own), references resolved.
fn parameters(
    doc: &Document,
    item: &'static Value,
    operation: &'static Value,
) -> Vec<&'static Value> {
    [item, operation]
        .into_iter()
        .filter_map(|holder| holder.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|parameter| resolve_in(doc.json, parameter))
        .collect()
}

/// A concrete path for a template, with each parameter's own example.
fn concrete(template: &str, parameters: &[&'static Value]) -> String {
    let mut path = template.to_string();
    for parameter in parameters {
        if parameter["in"] != "path" {
            continue;
        }
        let name = parameter["name"].as_str().unwrap();
        let example = parameter["example"]
            .as_str()
            .expect("every path parameter has an example");
        path = path.replace(&format!("{{{name}}}"), example);
    }
    path
}

/// A representative status for a response key (`4XX` → 400).
fn status(key: &str) -> u16 {
    key.replace("XX", "00").parse().unwrap()
}

#[test]
fn every_example_of_the_api_document_validates_against_its_schema() {
    every_example_validates(&api());
}

#[test]
fn every_example_of_the_admin_document_validates_against_its_schema() {
    every_example_validates(&admin());
}

fn every_example_validates(doc: &Document) {
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut report = |place: String, result: Result<(), Vec<mulerouter_kling::Violation>>| {
        if let Err(violations) = result {
            failures.push(format!("{place}: {violations:?}"));
        }
        checked.push(place);
    };

    for (template, item) in doc.json["paths"].as_object().unwrap() {
        let item = resolve_in(doc.json, item);
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let parameters = parameters(doc, item, operation);
            let path = concrete(template, &parameters);
            let method = method.to_uppercase();
            if let Some(body) = operation.get("requestBody") {
                let media = &resolve_in(doc.json, body)["content"]["application/json"];
                for (name, example) in examples_of_in(doc.json, media) {
                    report(
                        format!("{method} {template} request {name}"),
                        (doc.request_body)(&method, &path, &example),
                    );
                }
            }
            for (key, response) in operation["responses"].as_object().unwrap() {
                let response = resolve_in(doc.json, response);
                for (name, example) in
                    examples_of_in(doc.json, &response["content"]["application/json"])
                {
                    let bytes = serde_json::to_vec(&example).unwrap();
                    report(
                        format!("{method} {template} {key} {name}"),
                        (doc.response)(&method, &path, status(key), &bytes),
                    );
                }
            }
            for parameter in parameters {
                if parameter["schema"]["format"] == "uuid" {
                    let example = parameter["example"].as_str().unwrap_or_default();
                    let result = example.parse::<uuid::Uuid>().map(|_| ()).map_err(|e| {
                        vec![mulerouter_kling::Violation {
                            pointer: String::new(),
                            rule: "format".into(),
                            message: e.to_string(),
                        }]
                    });
                    report(
                        format!("{method} {template} parameter {}", parameter["name"]),
                        result,
                    );
                }
            }
        }
    }

    for (name, schema) in doc.json["components"]["schemas"].as_object().unwrap() {
        if let Some(example) = schema.get("example") {
            report(format!("schema {name}"), (doc.component)(name, example));
            // A property's example, put into the schema's own example, must keep it valid.
            for (property, subschema) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(value) = subschema.get("example") {
                    let mut whole = example.clone();
                    whole[property] = value.clone();
                    // Only what the property's example breaks: the rest of `whole` is the
                    // schema's own example, checked (and blamed) above.
                    let at = format!("/{property}");
                    let own = (doc.component)(name, &whole).or_else(|violations| {
                        let own: Vec<Violation> = violations
                            .into_iter()
                            .filter(|v| v.pointer == at || v.pointer.starts_with(&format!("{at}/")))
                            .collect();
                        if own.is_empty() { Ok(()) } else { Err(own) }
                    });
                    report(format!("schema {name} property {property}"), own);
                }
            }
        }
    }

    assert!(
        failures.is_empty(),
        "examples that do not match their schema:\n{}",
        failures.join("\n")
    );
    // Guard against a walk that silently finds nothing.
    assert!(
        checked.len() >= doc.at_least,
        "only {} examples were checked: {checked:#?}",
        checked.len()
    );
}

#[test]
fn a_broken_example_would_be_caught() {
    let mut example =
        document()["components"]["schemas"]["CreateGenerationRequest"]["example"].clone();
    example["duration"] = 99.into();
    let violations = validate_component("CreateGenerationRequest", &example).unwrap_err();
    assert_eq!(violations[0].pointer, "/duration");
}

#[test]
fn a_broken_admin_example_would_be_caught() {
    let mut example = admin_document()["components"]["schemas"]["FaultRequest"]["example"].clone();
    example["count"] = 0.into();
    let violations = validate_admin_component("FaultRequest", &example).unwrap_err();
    assert_eq!(violations[0].pointer, "/count");
}
