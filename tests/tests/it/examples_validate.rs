//! Every `example` in the document validates against its own schema, with the same
//! validator the mock uses: request and response examples against their operation, schema
//! examples against their component, property examples inside their component's example,
//! parameter examples against their format. This is the workspace's one check of the
//! document's examples.

use contract_tests::document::{document, examples_of, resolve};
use mulerouter_kling_mock::document::{
    validate_component, validate_request_body, validate_response,
};
use serde_json::Value;

/// An operation's parameters, references resolved.
fn parameters(operation: &'static Value) -> impl Iterator<Item = &'static Value> {
    operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(resolve)
}

/// A concrete path for a template, with each parameter's own example.
fn concrete(template: &str, operation: &'static Value) -> String {
    let mut path = template.to_string();
    for parameter in parameters(operation) {
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
fn every_example_validates_against_its_schema() {
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    let mut report = |place: String, result: Result<(), Vec<mulerouter_kling::Violation>>| {
        if let Err(violations) = result {
            failures.push(format!("{place}: {violations:?}"));
        }
        checked.push(place);
    };

    for (template, item) in document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let path = concrete(template, operation);
            let method = method.to_uppercase();
            if let Some(body) = operation.get("requestBody") {
                for (name, example) in examples_of(&resolve(body)["content"]["application/json"]) {
                    report(
                        format!("{method} {template} request {name}"),
                        validate_request_body(&method, &path, &example),
                    );
                }
            }
            for (key, response) in operation["responses"].as_object().unwrap() {
                let response = resolve(response);
                for (name, example) in examples_of(&response["content"]["application/json"]) {
                    let bytes = serde_json::to_vec(&example).unwrap();
                    report(
                        format!("{method} {template} {key} {name}"),
                        validate_response(&method, &path, status(key), &bytes),
                    );
                }
            }
            for parameter in parameters(operation) {
                if parameter["schema"]["format"] == "uuid" {
                    let example = parameter["example"].as_str().unwrap_or_default();
                    let result = example.parse::<uuid::Uuid>().map(|_| ()).map_err(|e| {
                        vec![mulerouter_kling::Violation {
                            pointer: String::new(),
                            rule: "format",
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

    for (name, schema) in document()["components"]["schemas"].as_object().unwrap() {
        if let Some(example) = schema.get("example") {
            report(format!("schema {name}"), validate_component(name, example));
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
                    report(
                        format!("schema {name} property {property}"),
                        validate_component(name, &whole),
                    );
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
        checked.len() >= 40,
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
