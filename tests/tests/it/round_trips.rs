//! Property-based round trips: one document, two validators (the client's and the mock's),
//! no drift. Valid requests are generated from the document's limits; invalid ones break the
//! document's rules one at a time and several at once, and a test holds the breaks to the
//! client's rule table so that a rule the document gains is broken here too.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use contract_tests::conformance::CREATE;
use contract_tests::document;
use mulerouter_kling::types::{Element, TaskResponse};
use mulerouter_kling::{ApiKey, Client, parse_request};
use mulerouter_kling_mock::MockMuleRouter;
use mulerouter_kling_mock::document::{validate_request_body, validate_response};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// The limits the generators follow, read from the document.
struct Limits {
    prompt_max: usize,
    negative_max: usize,
    duration: (i64, i64),
    elements_max: usize,
    url_max: usize,
    reference_images: (usize, usize),
    modes: Vec<String>,
    aspect_ratios: Vec<String>,
}

static LIMITS: LazyLock<Limits> = LazyLock::new(|| {
    let request = document::component("CreateGenerationRequest").unwrap();
    let property =
        |name: &str, keyword: &str| request["properties"][name][keyword].as_u64().unwrap();
    let element = document::component("Element").unwrap();
    let images = &element["oneOf"][0]["properties"]["reference_images"];
    let strings = |name: &str| -> Vec<String> {
        document::component(name).unwrap()["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    Limits {
        prompt_max: property("prompt", "maxLength") as usize,
        negative_max: property("negative_prompt", "maxLength") as usize,
        duration: (
            property("duration", "minimum") as i64,
            property("duration", "maximum") as i64,
        ),
        elements_max: property("elements", "maxItems") as usize,
        url_max: document::component("HttpUrl").unwrap()["maxLength"]
            .as_u64()
            .unwrap() as usize,
        reference_images: (
            images["minItems"].as_u64().unwrap() as usize,
            images["maxItems"].as_u64().unwrap() as usize,
        ),
        modes: strings("Mode"),
        aspect_ratios: strings("AspectRatio"),
    }
});

fn url() -> impl Strategy<Value = String> {
    "https?://[a-z][a-z0-9-]{0,12}(\\.[a-z]{2,6}){1,2}(:[1-9][0-9]{1,3})?(/[A-Za-z0-9._~%-]{0,10}){0,3}(\\?[a-z]=[0-9]{1,3})?"
        .prop_filter("percent signs must start an escape", |u| !u.contains('%'))
}

fn image() -> impl Strategy<Value = String> {
    prop_oneof![
        url(),
        "[A-Za-z0-9+/]{4,40}={0,2}",
        "data:image/(png|jpeg|jpg);base64,[A-Za-z0-9+/]{4,40}"
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    // Mostly short, sometimes right at the limit (counted in code points, like the document).
    prop_oneof![
        4 => proptest::collection::vec(any::<char>(), 1..40).prop_map(|c| c.into_iter().collect()),
        1 => proptest::collection::vec(any::<char>(), max - 5..=max).prop_map(|c| c.into_iter().collect()),
    ]
}

fn element() -> impl Strategy<Value = Value> {
    let (least, most) = LIMITS.reference_images;
    prop_oneof![
        (
            proptest::option::of(image()),
            proptest::collection::vec(image(), least..=most)
        )
            .prop_map(|(front, refs)| {
                let mut element = json!({"type": "image", "reference_images": refs});
                if let Some(front) = front {
                    element["frontal_image"] = json!(front);
                }
                element
            }),
        proptest::collection::vec(url(), 1..=3)
            .prop_map(|refs| json!({"type": "video", "reference_videos": refs})),
    ]
}

/// A value the document does not list among `listed`, whatever it lists: a test of an
/// unknown value must not start passing when the document adds the one it used.
fn unlisted(listed: &[String]) -> String {
    let mut value = String::from("unlisted");
    while listed.contains(&value) {
        value.push('!');
    }
    value
}

/// A request the document allows, as JSON.
fn valid_request() -> impl Strategy<Value = Value> {
    let limits = &*LIMITS;
    (
        text(limits.prompt_max),
        url(),
        proptest::option::of(prop_oneof![Just(String::new()), text(limits.negative_max)]),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(element(), 0..=limits.elements_max),
        proptest::option::of(proptest::sample::select(limits.modes.clone())),
        proptest::option::of(proptest::option::of(proptest::sample::select(
            limits.aspect_ratios.clone(),
        ))),
        proptest::option::of(limits.duration.0..=limits.duration.1),
    )
        .prop_map(
            |(prompt, video, negative, keep_audio, elements, mode, aspect_ratio, duration)| {
                let mut request = json!({"prompt": prompt, "video": video});
                let mut set = |key: &str, value: Option<Value>| {
                    if let Some(value) = value {
                        request[key] = value;
                    }
                };
                set("negative_prompt", negative.map(Value::from));
                set("keep_audio", keep_audio.map(Value::from));
                set(
                    "elements",
                    (!elements.is_empty()).then(|| Value::from(elements)),
                );
                set("mode", mode.map(Value::from));
                set(
                    "aspect_ratio",
                    aspect_ratio.map(|ratio| ratio.map_or(Value::Null, Value::from)),
                );
                set("duration", duration.map(Value::from));
                request
            },
        )
}

/// One way to break one rule, and the field that must be named.
#[derive(Debug, Clone)]
struct Break {
    pointer: String,
    apply: fn(&mut Value, &Limits),
}

/// Every rule of the document's request schema, broken (the limits come from the document).
fn breaks() -> Vec<Break> {
    let b = |pointer: &str, apply: fn(&mut Value, &Limits)| Break {
        pointer: pointer.into(),
        apply,
    };
    vec![
        b("/prompt", |r, _| {
            drop(r.as_object_mut().unwrap().remove("prompt"))
        }),
        b("/video", |r, _| {
            drop(r.as_object_mut().unwrap().remove("video"))
        }),
        b("/prompt", |r, _| r["prompt"] = json!("")),
        b("/prompt", |r, l| {
            r["prompt"] = json!("é".repeat(l.prompt_max + 1))
        }),
        b("/prompt", |r, _| r["prompt"] = json!(42)),
        b("/prompt", |r, _| r["prompt"] = Value::Null),
        b("/negative_prompt", |r, l| {
            r["negative_prompt"] = json!("x".repeat(l.negative_max + 1))
        }),
        b("/video", |r, _| {
            r["video"] = json!("ftp://example.com/v.mp4")
        }),
        b("/video", |r, _| {
            r["video"] = json!("https://example.com/a b.mp4")
        }),
        b("/video", |r, _| r["video"] = json!("https://[::1/v.mp4")),
        b("/video", |r, _| {
            r["video"] = json!("https://example.com/a%zz.mp4")
        }),
        b("/video", |r, _| {
            r["video"] = json!(["https://example.com/v.mp4"])
        }),
        b("/keep_audio", |r, _| r["keep_audio"] = json!("yes")),
        b("/mode", |r, l| r["mode"] = json!(unlisted(&l.modes))),
        b("/aspect_ratio", |r, l| {
            r["aspect_ratio"] = json!(unlisted(&l.aspect_ratios))
        }),
        b("/duration", |r, l| r["duration"] = json!(l.duration.0 - 1)),
        b("/duration", |r, l| r["duration"] = json!(l.duration.1 + 1)),
        b("/duration", |r, _| r["duration"] = json!("5")),
        b("/duration", |r, _| r["duration"] = json!(5.5)),
        b("/elements", |r, l| {
            r["elements"] = json!(vec![
                json!({"type": "video", "reference_videos": ["https://e.com/v.mp4"]});
                l.elements_max + 1
            ])
        }),
        b("/elements", |r, _| r["elements"] = json!({"type": "video"})),
        b(
            "/elements/0/type",
            |r, _| {
                r["elements"] =
                    json!([{"type": "sound", "reference_videos": ["https://e.com/v.mp4"]}])
            },
        ),
        b("/elements/0/type", |r, _| {
            r["elements"] = json!([{"reference_videos": ["https://e.com/v.mp4"]}])
        }),
        b("/elements/0/reference_images", |r, _| {
            r["elements"] = json!([{"type": "image", "reference_images": []}])
        }),
        b(
            "/elements/0/reference_images",
            |r, l| r["elements"] = json!([{"type": "image", "reference_images": vec!["iVBORw0KGgo="; l.reference_images.1 + 1]}]),
        ),
        b("/elements/0/reference_images", |r, _| {
            r["elements"] = json!([{"type": "image"}])
        }),
        b(
            "/elements/0/reference_images/0",
            |r, _| {
                r["elements"] = json!([{"type": "image", "reference_images": ["not an image!"]}])
            },
        ),
        b(
            "/elements/0/frontal_image",
            |r, _| r["elements"] = json!([{"type": "image", "frontal_image": 7, "reference_images": ["iVBORw0KGgo="]}]),
        ),
        b("/elements/0/reference_videos", |r, _| {
            r["elements"] = json!([{"type": "video", "reference_videos": []}])
        }),
        b(
            "/elements/0/reference_videos/0",
            |r, _| {
                r["elements"] = json!([{"type": "video", "reference_videos": ["https://[::1/x"]}])
            },
        ),
        b(
            "/elements/0/reference_images",
            |r, _| r["elements"] = json!([{"type": "video", "reference_videos": ["https://e.com/v.mp4"], "reference_images": ["iVBORw0KGgo="]}]),
        ),
        b("/model_name", |r, _| {
            r["model_name"] = json!("kling-v3-omni")
        }),
        b("/video", |r, l| {
            r["video"] = json!(format!("https://e.com/{}", "a".repeat(l.url_max)))
        }),
        b("/negative_prompt", |r, _| r["negative_prompt"] = json!(7)),
        b("/mode", |r, _| r["mode"] = json!(7)),
        b("/aspect_ratio", |r, _| r["aspect_ratio"] = json!(7)),
        b("/elements/0", |r, _| r["elements"] = json!([7])),
        b(
            "/elements/0/colour",
            |r, _| r["elements"] = json!([{"type": "video", "reference_videos": ["https://e.com/v.mp4"], "colour": "red"}]),
        ),
        b(
            "/elements/0/type",
            |r, _| {
                r["elements"] = json!([{"type": 7, "reference_videos": ["https://e.com/v.mp4"]}])
            },
        ),
        b(
            "/elements/0/frontal_image",
            |r, _| r["elements"] = json!([{"type": "image", "frontal_image": "", "reference_images": ["iVBORw0KGgo="]}]),
        ),
        b(
            "/elements/0/frontal_image",
            |r, _| r["elements"] = json!([{"type": "image", "frontal_image": "not an image!", "reference_images": ["iVBORw0KGgo="]}]),
        ),
        b(
            "/elements/0/reference_images",
            |r, _| r["elements"] = json!([{"type": "image", "reference_images": "iVBORw0KGgo="}]),
        ),
        b("/elements/0/reference_images/0", |r, _| {
            r["elements"] = json!([{"type": "image", "reference_images": [""]}])
        }),
        b("/elements/0/reference_images/0", |r, _| {
            r["elements"] = json!([{"type": "image", "reference_images": [7]}])
        }),
        b("/elements/0/reference_videos", |r, _| {
            r["elements"] = json!([{"type": "video"}])
        }),
        b(
            "/elements/0/reference_videos",
            |r, _| {
                r["elements"] =
                    json!([{"type": "video", "reference_videos": "https://e.com/v.mp4"}])
            },
        ),
        b(
            "/elements/0/reference_videos/0",
            |r, l| r["elements"] = json!([{"type": "video", "reference_videos": [format!("https://e.com/{}", "a".repeat(l.url_max))]}]),
        ),
        b(
            "/elements/0/reference_videos/0",
            |r, _| {
                r["elements"] =
                    json!([{"type": "video", "reference_videos": ["ftp://e.com/v.mp4"]}])
            },
        ),
        b("/elements/0/reference_videos/0", |r, _| {
            r["elements"] = json!([{"type": "video", "reference_videos": [7]}])
        }),
    ]
}

/// What each validator says about a request body: the pointers it names.
/// What each side refused a body for: `(pointer, rule)` of every violation.
struct Judgement {
    client: BTreeSet<(String, String)>,
    mock: BTreeSet<(String, String)>,
}

impl Judgement {
    /// Whether `side` names the field at `pointer`, itself or within it.
    fn names(side: &BTreeSet<(String, String)>, pointer: &str) -> bool {
        side.iter().any(|(at, _)| {
            at == pointer
                || at.starts_with(&format!("{pointer}/"))
                || pointer.starts_with(&format!("{at}/"))
        })
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    mock: MockMuleRouter,
    client: Client,
    http: reqwest::Client,
}

impl Harness {
    fn new() -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mock = runtime.block_on(MockMuleRouter::start());
        let client = Client::builder()
            .api_key(ApiKey::new("sk-mr-contract").unwrap())
            .base_url(mock.uri())
            .build()
            .unwrap();
        Self {
            runtime,
            mock,
            client,
            http: reqwest::Client::new(),
        }
    }

    /// Sends raw JSON to the mock, checks its answer against the document, returns it.
    fn post_raw(&self, body: &Value) -> (u16, Value) {
        self.runtime.block_on(async {
            let response = self
                .http
                .post(format!("{}{CREATE}", self.mock.uri()))
                .bearer_auth("sk-mr-contract")
                .json(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap();
            if let Err(violations) = validate_response("POST", CREATE, status, &bytes) {
                panic!("the mock's {status} answer breaks the document: {violations:?}");
            }
            (status, serde_json::from_slice(&bytes).unwrap())
        })
    }

    fn judge(&self, body: &Value) -> Judgement {
        let client = match parse_request(body) {
            Ok(_) => BTreeSet::new(),
            Err(input) => input
                .violations()
                .iter()
                .map(|v| (v.pointer.clone(), v.rule.clone()))
                .collect(),
        };
        let (status, answer) = self.post_raw(body);
        let mock: BTreeSet<(String, String)> = if status == 400 {
            answer["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    let text = |key: &str| v[key].as_str().unwrap().to_string();
                    (text("pointer"), text("rule"))
                })
                .collect()
        } else {
            assert!(
                status == 200 || status == 202,
                "unexpected {status}: {answer}"
            );
            BTreeSet::new()
        };
        Judgement { client, mock }
    }
}

/// `cases` by default; `PROPTEST_CASES=N` runs more (or fewer) for a deeper search.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn valid_requests_pass_both_validators_and_round_trip_through_the_mock() {
    let harness = Harness::new();
    runner(96)
        .run(&valid_request(), |json| {
            // The client reads and accepts it…
            let request = parse_request(&json)
                .map_err(|e| TestCaseError::fail(format!("client refused {json}: {e}")))?;
            // …what it sends validates against the document…
            let sent = serde_json::to_value(&request).unwrap();
            if let Err(violations) = validate_request_body("POST", CREATE, &sent) {
                return Err(TestCaseError::fail(format!(
                    "the client sends {sent}, which breaks the document: {violations:?}"
                )));
            }
            // …the mock accepts it, with an answer the document allows…
            let (status, answer) = harness.post_raw(&sent);
            prop_assert!(status == 200, "the mock answered {status}: {answer}");
            // …and the client parses that answer, and creates through the mock end to end.
            let parsed: TaskResponse = serde_json::from_value(answer).unwrap();
            prop_assert_eq!(parsed.task_info.status.as_str(), "pending");
            let created = harness
                .runtime
                .block_on(harness.client.create(request.clone()));
            prop_assert!(created.is_ok(), "{:?}", created);
            let received = harness.mock.created_requests().pop().unwrap();
            prop_assert_eq!(received, request);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_valid_requests_generated_set_every_property_the_document_lists() {
    // Arrange: the properties of the body and of each element kind.
    let listed = |schema: &Value| -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let request = document::component("CreateGenerationRequest").unwrap();
    let kinds = document::component("Element").unwrap()["oneOf"]
        .as_array()
        .unwrap();
    let documented: BTreeSet<String> = listed(request)
        .into_iter()
        .chain(kinds.iter().flat_map(|kind| {
            listed(kind)
                .into_iter()
                .map(|name| format!("elements/*/{name}"))
        }))
        .collect();
    let mut runner = TestRunner::deterministic();

    // Act
    let mut generated = BTreeSet::new();
    for _ in 0..512 {
        let body = valid_request().new_tree(&mut runner).unwrap().current();
        generated.extend(body.as_object().unwrap().keys().cloned());
        for element in body["elements"].as_array().into_iter().flatten() {
            let names = element.as_object().unwrap().keys();
            generated.extend(names.map(|name| format!("elements/*/{name}")));
        }
    }

    // Assert
    let missing: Vec<&String> = documented.difference(&generated).collect();
    assert!(
        missing.is_empty(),
        "valid_request() never sets {missing:?}, which the document lists: generate them too, so \
         that the round trips cover them"
    );
}

#[test]
fn each_broken_rule_is_named_by_the_client_and_by_the_mock() {
    // Arrange
    let harness = Harness::new();
    let base = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4"});

    for rule in breaks() {
        let mut body = base.clone();
        (rule.apply)(&mut body, &LIMITS);

        // Act
        let judgement = harness.judge(&body);

        // Assert: both name the field, and both name the same rules broken, field by field
        // (one mistake, one violation, on both sides).
        assert!(
            Judgement::names(&judgement.client, &rule.pointer),
            "client missed {} in {body}: {:?}",
            rule.pointer,
            judgement.client
        );
        assert_eq!(judgement.client, judgement.mock, "{body}");
    }
}

#[test]
fn one_mistake_is_one_violation_on_both_sides() {
    // Arrange: a URL too long that is also not a valid URI, and a mode of the wrong type
    // (so also none of the allowed values).
    let harness = Harness::new();
    let long = format!("https://example.com/{}%zz", "a".repeat(LIMITS.url_max));
    let body = json!({"prompt": "A paper boat", "video": long, "mode": 7});

    // Act
    let judgement = harness.judge(&body);

    // Assert
    let expected: BTreeSet<(String, String)> = [("/video", "maxLength"), ("/mode", "type")]
        .into_iter()
        .map(|(at, rule)| (at.to_string(), rule.to_string()))
        .collect();
    assert_eq!(judgement.client, expected);
    assert_eq!(judgement.mock, expected);
}

/// Every rule of the client's table (generated from the document) as `(pointer, keyword)`,
/// array indexes as `*` and tagged branches without their `[tag=value]`, the way a
/// violation's pointer reads once its indexes are `*`.
fn rules_of_the_document() -> BTreeSet<(String, &'static str)> {
    use mulerouter_kling::rules::CREATE_GENERATION;
    let mut rules = BTreeSet::new();
    // A tag (an element's `type`) names the branch: any value it does not list, of whatever
    // type, is refused as `enum`.
    let tags: BTreeSet<String> = CREATE_GENERATION
        .iter()
        .filter_map(|rule| {
            Some(format!(
                "{}/{}",
                untagged(rule.pointer),
                rule.tag.as_ref()?.property
            ))
        })
        .collect();
    for rule in CREATE_GENERATION {
        let at = untagged(rule.pointer);
        let mut add = |keyword, present: bool| {
            if present {
                rules.insert((at.clone(), keyword));
            }
        };
        add(
            "type",
            rule.ty.is_some() && !rule.pointer.is_empty() && !tags.contains(&at),
        );
        add("minLength", rule.min_length.is_some());
        add("maxLength", rule.max_length.is_some());
        add("pattern", rule.pattern.is_some());
        add("format", rule.format.is_some());
        add("minimum", rule.minimum.is_some());
        add("maximum", rule.maximum.is_some());
        add("minItems", rule.min_items.is_some());
        add("maxItems", rule.max_items.is_some());
        add("enum", !rule.enumeration.is_empty());
        add("additionalProperties", !rule.additional_properties);
        for property in rule.required {
            rules.insert((format!("{at}/{property}"), "required"));
        }
    }
    rules
}

/// `/elements/*[type=image]/reference_images` → `/elements/*/reference_images`.
fn untagged(pointer: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for c in pointer.chars() {
        match c {
            '[' => skipping = true,
            ']' => skipping = false,
            c if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

/// A violation's pointer with its array indexes as `*`.
fn indexes_as_stars(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn every_rule_of_the_document_is_broken_by_one_of_the_breaks() {
    // Arrange: what the breaks break, as the client names it.
    let base = json!({"prompt": "A paper boat", "video": "https://example.com/in.mp4"});
    let mut broken = BTreeSet::new();
    for rule in breaks() {
        let mut body = base.clone();
        (rule.apply)(&mut body, &LIMITS);
        if let Err(input) = parse_request(&body) {
            for violation in input.violations() {
                let mut at = indexes_as_stars(&violation.pointer);
                // An unknown property is named at itself; the rule belongs to its object.
                if violation.rule == "additionalProperties" {
                    at.truncate(at.rfind('/').unwrap_or(0));
                }
                broken.insert((at, violation.rule.clone()));
            }
        }
    }

    // Act
    let unbroken: Vec<_> = rules_of_the_document()
        .into_iter()
        .filter(|(at, rule)| !broken.contains(&(at.clone(), rule.to_string())))
        .collect();

    // Assert: a rule the document gained is broken here too, or this names it.
    assert!(
        unbroken.is_empty(),
        "rules of the document no break in `breaks()` breaks (add one each): {unbroken:?}"
    );
}

#[test]
fn rules_broken_together_on_generated_requests_agree() {
    let harness = Harness::new();
    let all = breaks();
    let strategy = (
        valid_request(),
        proptest::sample::subsequence((0..all.len()).collect::<Vec<_>>(), 1..=3),
    );
    runner(96)
        .run(&strategy, |(mut body, picks)| {
            let mut expected = BTreeSet::new();
            for pick in &picks {
                let rule = &all[*pick];
                // Each break rewrites one top-level property: a later break of the same one
                // replaces what an earlier one did.
                let top = |pointer: &str| pointer.split('/').nth(1).unwrap_or_default().to_string();
                expected.retain(|p: &String| top(p) != top(&rule.pointer));
                (rule.apply)(&mut body, &LIMITS);
                expected.insert(rule.pointer.clone());
            }
            let judgement = harness.judge(&body);
            prop_assert!(!judgement.client.is_empty(), "the client accepted {}", body);
            prop_assert_eq!(&judgement.client, &judgement.mock, "{}", body);
            for pointer in &expected {
                prop_assert!(
                    Judgement::names(&judgement.mock, pointer),
                    "the mock did not name {} in {}: {:?}",
                    pointer,
                    body,
                    judgement.mock
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn an_element_reads_the_same_on_both_sides() {
    // The tagged enum and the oneOf agree on what an element is.
    let element: Element = serde_json::from_value(
        json!({"type": "video", "reference_videos": ["https://e.com/v.mp4"]}),
    )
    .unwrap();
    assert!(matches!(element, Element::Video { .. }));
}
