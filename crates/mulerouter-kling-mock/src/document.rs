//! The OpenAPI document, embedded at compile time, and everything compiled from it once.
//!
//! The mock's routes, request checks, response checks and canned answers all come from here;
//! nothing per field is written by hand. [`validate_request_body`] and [`validate_response`]
//! expose the same checks the server runs, for contract tests.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use jsonschema::Validator;
use mulerouter_kling::Violation;
use serde_json::{Map, Value};

use crate::schema::Converter;
use crate::text::pointer_segment;
use crate::violations::{self, SizeLimits};

/// The OpenAPI document the mock implements, exactly as committed in `openapi/`.
pub const SOURCE: &str =
    include_str!("../../../openapi/kling-v3-omni-reference-video-to-video.yaml");

/// Where [`SOURCE`] comes from, relative to the workspace root.
pub const SOURCE_PATH: &str = "openapi/kling-v3-omni-reference-video-to-video.yaml";

/// The admin API's document (`/__admin/…`), exactly as committed in `openapi/`.
pub const ADMIN_SOURCE: &str = include_str!("../../../openapi/mock-admin.yaml");

/// Where [`ADMIN_SOURCE`] comes from, relative to the workspace root.
pub const ADMIN_SOURCE_PATH: &str = "openapi/mock-admin.yaml";

/// [`SOURCE`] parsed once per process: compiled into [`Api::get`], read for the words of its
/// patterns, and for [`validate_component`].
pub(crate) static API_DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| parse_embedded(SOURCE, SOURCE_PATH));

/// [`ADMIN_SOURCE`] parsed once per process, as [`API_DOCUMENT`].
pub(crate) static ADMIN_DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| parse_embedded(ADMIN_SOURCE, ADMIN_SOURCE_PATH));

fn parse_embedded(source: &str, path: &str) -> Value {
    serde_yaml_ng::from_str(source)
        .unwrap_or_else(|error| panic!("the embedded OpenAPI document {path} is not YAML: {error}"))
}

/// The largest request body accepted; larger ones get 413. The document fixes it as the
/// create body's `x-max-body-bytes`, which codegen carries into the client's rules (so the
/// client refuses such a body before sending it); its prose (`info.description`, the
/// `PayloadTooLarge` example) says the same, which a test holds.
pub const MAX_BODY_BYTES: usize = mulerouter_kling::rules::CREATE_GENERATION_MAX_BODY_BYTES;

/// The HTTP methods an OpenAPI path item may hold, in the order `Allow` lists them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The parsed document and what was compiled from it.
pub(crate) struct Api {
    pub(crate) paths: Vec<PathItem>,
}

/// One path of the document and its operations.
pub(crate) struct PathItem {
    /// The template as literal text and parameters, consecutive literal segments joined with
    /// their slashes (`/a/b/{id}` → `"/a/b/"`, `id`): matching compares whole runs of text.
    pieces: Vec<Piece>,
    /// How many of the segments are literal: the more, the better a match.
    literals: usize,
    pub(crate) operations: Vec<Operation>,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// A run of a template: literal text, or one whole segment holding a parameter.
enum Piece {
    Text(String),
    Param,
}

/// The pieces of a template split into segments at `/`.
fn pieces(segments: &[Segment]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    for (at, segment) in segments.iter().enumerate() {
        if at > 0 {
            text.push('/');
        }
        match segment {
            Segment::Literal(literal) => text.push_str(literal),
            Segment::Param(_) => {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Param);
            }
        }
    }
    pieces.push(Piece::Text(text));
    pieces
}

/// One operation: what it accepts and what it may answer.
pub(crate) struct Operation {
    pub(crate) id: String,
    /// Upper case, e.g. `POST`.
    pub(crate) method: String,
    pub(crate) template: String,
    /// Whether the document asks for `Authorization: Bearer …` (its `security`).
    pub(crate) bearer: bool,
    pub(crate) path_params: Vec<Param>,
    pub(crate) body: Option<RequestBody>,
    pub(crate) responses: Vec<ResponseSpec>,
    /// The first documented 2xx (200 if none): the status of a success by default.
    pub(crate) success: u16,
}

pub(crate) struct Param {
    pub(crate) name: String,
    check: Check,
}

/// A compiled schema and its size limits, checked before the validator runs (see
/// [`violations::collect`]).
#[derive(Clone)]
pub(crate) struct Check {
    validator: Arc<Validator>,
    limits: Arc<SizeLimits>,
}

impl Check {
    /// The violations of `value`, at most [`violations::MAX_VIOLATIONS`] + 1.
    pub(crate) fn violations(&self, value: &Value) -> Vec<Violation> {
        violations::collect(&self.validator, &self.limits, value)
    }

    /// `text` parsed under the size limits (see [`bounded`](crate::bounded)) and its
    /// violations, at most [`violations::MAX_VIOLATIONS`] + 1.
    pub(crate) fn parse(&self, text: &str) -> Result<(Value, Vec<Violation>), serde_json::Error> {
        let read = crate::bounded::parse(text, &self.limits)?;
        let found = violations::finish(&self.validator, read.violations, &read.sizes, &read.value);
        Ok((read.value, found))
    }
}

pub(crate) struct RequestBody {
    pub(crate) required: bool,
    /// Accepted media types, lower case.
    pub(crate) media_types: Vec<String>,
    check: Option<Check>,
    /// Named examples of the first media type, in document order.
    pub(crate) examples: Vec<(String, Value)>,
}

/// One documented response of an operation.
pub(crate) struct ResponseSpec {
    /// `200`, `4XX`, `default`.
    pub(crate) key: String,
    /// The status `key` names exactly (`200`), or the hundreds of the range it names (`4XX`
    /// → 4): worked out once, so that finding a response costs no allocation.
    code: Option<u16>,
    range: Option<u16>,
    check: Option<Check>,
    /// `example` (named `""`) or each entry of `examples`, in document order.
    pub(crate) examples: Vec<(String, Value)>,
    /// Whether the response may be an HTML page (`text/html`), as a proxy in front of the
    /// service sends.
    pub(crate) html: bool,
}

impl ResponseSpec {
    /// Whether this response describes `status`: an exact code first, then a range.
    fn covers(&self, status: u16) -> Coverage {
        if self.code == Some(status) {
            Coverage::Exact
        } else if self.range == Some(status / 100) {
            Coverage::Range
        } else if self.key == "default" {
            Coverage::Default
        } else {
            Coverage::No
        }
    }

    /// The example named `name`; `None` picks the first one.
    pub(crate) fn example(&self, name: Option<&str>) -> Option<&Value> {
        match name {
            None => self.examples.first().map(|(_, value)| value),
            Some(name) => self
                .examples
                .iter()
                .find(|(candidate, _)| candidate == name)
                .map(|(_, value)| value),
        }
    }
}

/// The status a response key names exactly: `200`, not `4XX`, `default` or `0200`.
fn exact_code(key: &str) -> Option<u16> {
    key.parse::<u16>()
        .ok()
        .filter(|code| code.to_string() == key)
}

/// The hundreds of the range a response key names: `4XX` → 4.
fn range_of(key: &str) -> Option<u16> {
    let key = key.as_bytes();
    (key.len() == 3 && key[1..].eq_ignore_ascii_case(b"XX") && key[0].is_ascii_digit())
        .then(|| u16::from(key[0] - b'0'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    Exact,
    Range,
    Default,
    No,
}

impl Operation {
    /// The documented response for `status`: the exact code, else its range, else `default`.
    pub(crate) fn response(&self, status: u16) -> Option<&ResponseSpec> {
        self.responses
            .iter()
            .map(|response| (response.covers(status), response))
            .filter(|(coverage, _)| *coverage != Coverage::No)
            .min_by_key(|(coverage, _)| *coverage)
            .map(|(_, response)| response)
    }

    /// Whether the document lets `status` be answered with an HTML page.
    pub(crate) fn allows_html(&self, status: u16) -> bool {
        self.response(status).is_some_and(|response| response.html)
    }

    /// The responses that may be an HTML page, by their keys (`5XX`), for messages.
    pub(crate) fn html_statuses(&self) -> String {
        let keys: Vec<&str> = (self.responses.iter())
            .filter(|response| response.html)
            .map(|response| response.key.as_str())
            .collect();
        if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        }
    }

    /// Checks the path parameters; `values` are percent-decoded, in template order.
    pub(crate) fn check_params(&self, values: &[String]) -> Vec<Violation> {
        let mut found = Vec::new();
        for (param, value) in self.path_params.iter().zip(values) {
            let instance = Value::String(value.clone());
            for mut violation in param.check.violations(&instance) {
                violation.pointer =
                    format!("/{}{}", pointer_segment(&param.name), violation.pointer);
                violation.message = format!("{} (path parameter)", violation.message);
                found.push(violation);
            }
        }
        found
    }

    /// Parses a request body (JSON text) and checks it against the body schema.
    pub(crate) fn parse_body(
        &self,
        text: &str,
    ) -> Result<(Value, Vec<Violation>), serde_json::Error> {
        match self.body.as_ref().and_then(|b| b.check.as_ref()) {
            Some(check) => check.parse(text),
            None => Ok((serde_json::from_str(text)?, Vec::new())),
        }
    }

    /// Checks a parsed request body against the body schema.
    pub(crate) fn check_body(&self, body: &Value) -> Vec<Violation> {
        match self.body.as_ref().and_then(|b| b.check.as_ref()) {
            Some(check) => check.violations(body),
            None => Vec::new(),
        }
    }

    /// Checks a response body against the schema documented for `status`.
    pub(crate) fn check_response(&self, status: u16, body: &Value) -> Result<(), Vec<Violation>> {
        let Some(response) = self.response(status) else {
            return Err(vec![whole(
                "responses",
                format!(
                    "{} {} does not document status {status}",
                    self.method, self.template
                ),
            )]);
        };
        let found = match &response.check {
            Some(check) => check.violations(body),
            None => Vec::new(),
        };
        if found.is_empty() { Ok(()) } else { Err(found) }
    }
}

/// Where a request path leads.
pub(crate) enum Route<'a> {
    /// An operation, with its path parameter values (percent-decoded).
    Operation(&'a Operation, Vec<String>),
    /// The path exists, not for this method; the methods it takes, for `Allow`.
    MethodNotAllowed(Vec<String>),
    /// No documented path.
    NotFound,
}

impl Api {
    /// The document compiled once per process.
    pub(crate) fn get() -> &'static Api {
        static API: LazyLock<Api> = LazyLock::new(|| {
            Api::compile_document(&API_DOCUMENT).unwrap_or_else(|error| {
                panic!("the embedded OpenAPI document {SOURCE_PATH} cannot be compiled: {error}")
            })
        });
        &API
    }

    /// The admin API's document compiled once per process (for its checks).
    pub(crate) fn admin() -> &'static Api {
        static ADMIN: LazyLock<Api> = LazyLock::new(|| {
            Api::compile_document(&ADMIN_DOCUMENT).unwrap_or_else(|error| {
                panic!(
                    "the embedded OpenAPI document {ADMIN_SOURCE_PATH} cannot be compiled: {error}"
                )
            })
        });
        &ADMIN
    }

    /// Parses and compiles a document.
    #[cfg(test)]
    pub(crate) fn compile(source: &str) -> Result<Api, String> {
        let document: Value = serde_yaml_ng::from_str(source).map_err(|e| e.to_string())?;
        Self::compile_document(&document)
    }

    /// Compiles a parsed document.
    pub(crate) fn compile_document(document: &Value) -> Result<Api, String> {
        let empty = Map::new();
        let schemas = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let converter = Converter::new(schemas);
        let mut compiler = Compiler {
            converter: &converter,
            defs: converter.defs(),
            cache: HashMap::new(),
        };
        let mut paths = Vec::new();
        for (template, item) in document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the document has no `paths`")?
        {
            let item = resolve(document, item);
            let shared_params = item.get("parameters");
            let mut operations = Vec::new();
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                operations.push(compiler.operation(
                    document,
                    template,
                    method,
                    operation,
                    shared_params,
                )?);
            }
            let segments = segments(template);
            paths.push(PathItem {
                literals: segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count(),
                pieces: pieces(&segments),
                operations,
            });
        }
        Ok(Api { paths })
    }

    /// Finds the operation for a method and a (percent-encoded) request path.
    pub(crate) fn route(&self, method: &str, path: &str) -> Route<'_> {
        // Literal segments win over parameters when two templates match.
        let best = self
            .paths
            .iter()
            .filter_map(|item| item.matches(path).map(|values| (item, values)))
            .max_by_key(|(item, _)| item.literals);
        let Some((item, values)) = best else {
            return Route::NotFound;
        };
        match item
            .operations
            .iter()
            .find(|op| op.method.eq_ignore_ascii_case(method))
        {
            Some(operation) => Route::Operation(operation, values),
            None => Route::MethodNotAllowed(
                item.operations.iter().map(|op| op.method.clone()).collect(),
            ),
        }
    }

    /// Every operation, in document order.
    pub(crate) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.paths.iter().flat_map(|item| item.operations.iter())
    }

    /// The operation with this `operationId`.
    pub(crate) fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations().find(|op| op.id == id)
    }
}

impl PathItem {
    /// The path parameter values when `path` matches this template segment for segment: the
    /// literal runs exactly, each parameter a whole non-empty segment.
    fn matches(&self, path: &str) -> Option<Vec<String>> {
        let mut rest = path;
        let mut values = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => rest = rest.strip_prefix(text.as_str())?,
                Piece::Param => {
                    let end = rest.find('/').unwrap_or(rest.len());
                    if end == 0 {
                        return None;
                    }
                    values.push(percent_decode(&rest[..end]));
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(
            |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Literal(part.to_string()),
            },
        )
        .collect()
}

/// Decodes `%XX` escapes; invalid UTF-8 is replaced, so any input yields a string.
fn percent_decode(text: &str) -> String {
    // The usual case, and much cheaper to see than to decode.
    if !text.contains('%') {
        return text.to_string();
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Follows a local `$ref` (`#/components/...`) to its target, repeatedly.
pub(crate) fn resolve<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| document.pointer(pointer))
        else {
            break;
        };
        value = target;
    }
    value
}

struct Compiler<'a> {
    converter: &'a Converter<'a>,
    defs: Map<String, Value>,
    /// One validator per distinct schema: every error response shares `ApiError`'s.
    cache: HashMap<String, Check>,
}

impl Compiler<'_> {
    fn validator(&mut self, schema: &Value) -> Result<Check, String> {
        let standalone = self.converter.standalone(schema, &self.defs);
        let key = standalone.to_string();
        if let Some(check) = self.cache.get(&key) {
            return Ok(check.clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&standalone)
            .map_err(|e| format!("schema {schema} does not compile: {e}"))?;
        let check = Check {
            validator: Arc::new(validator),
            limits: Arc::new(SizeLimits::compile(&standalone)),
        };
        self.cache.insert(key, check.clone());
        Ok(check)
    }

    fn operation(
        &mut self,
        document: &Value,
        template: &str,
        method: &str,
        operation: &Value,
        shared_params: Option<&Value>,
    ) -> Result<Operation, String> {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{method} {template}"));
        let mut path_params = Vec::new();
        let params = shared_params
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                operation
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        for param in params {
            let param = resolve(document, param);
            if param.get("in").and_then(Value::as_str) != Some("path") {
                continue;
            }
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let schema = param.get("schema").cloned().unwrap_or(Value::Bool(true));
            path_params.retain(|p: &Param| p.name != name);
            path_params.push(Param {
                name,
                check: self.validator(&schema)?,
            });
        }
        // Template order, so values line up with the matched segments.
        let order: Vec<String> = segments(template)
            .into_iter()
            .filter_map(|s| match s {
                Segment::Param(name) => Some(name),
                Segment::Literal(_) => None,
            })
            .collect();
        path_params.sort_by_key(|p| {
            order
                .iter()
                .position(|n| *n == p.name)
                .unwrap_or(usize::MAX)
        });

        let body = match operation.get("requestBody") {
            None => None,
            Some(body) => {
                let body = resolve(document, body);
                let content = body.get("content").and_then(Value::as_object);
                let media_types = content
                    .map(|c| c.keys().map(|k| k.to_ascii_lowercase()).collect())
                    .unwrap_or_default();
                let first = content.and_then(|c| c.values().next());
                let check = match first.and_then(|media| media.get("schema")) {
                    Some(schema) => Some(self.validator(schema)?),
                    None => None,
                };
                Some(RequestBody {
                    required: body
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    media_types,
                    check,
                    examples: first.map(|m| examples(document, m)).unwrap_or_default(),
                })
            }
        };

        let mut responses = Vec::new();
        for (key, response) in operation
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let response = resolve(document, response);
            let content = response.get("content").and_then(Value::as_object);
            let html = content.is_some_and(|content| {
                content
                    .keys()
                    .any(|media_type| media_type.eq_ignore_ascii_case("text/html"))
            });
            let media = content.and_then(|content| {
                content
                    .iter()
                    .find(|(media_type, _)| media_type.to_ascii_lowercase().contains("json"))
                    .map(|(_, media)| media)
            });
            let check = match media.and_then(|m| m.get("schema")) {
                Some(schema) => Some(self.validator(schema)?),
                None => None,
            };
            responses.push(ResponseSpec {
                key: key.clone(),
                code: exact_code(key),
                range: range_of(key),
                check,
                examples: media.map(|m| examples(document, m)).unwrap_or_default(),
                html,
            });
        }
        let mut operation = Operation {
            id,
            method: method.to_ascii_uppercase(),
            template: template.to_string(),
            bearer: requires_bearer(document, operation),
            path_params,
            body,
            responses,
            success: 200,
        };
        operation.success = (200..300)
            .find(|code| operation.response(*code).is_some())
            .unwrap_or(200);
        Ok(operation)
    }
}

/// True when every way the operation's `security` (or the document's) allows needs an
/// HTTP bearer scheme; an empty requirement (`{}`) makes authentication optional.
fn requires_bearer(document: &Value, operation: &Value) -> bool {
    let Some(requirements) = operation
        .get("security")
        .or_else(|| document.get("security"))
        .and_then(Value::as_array)
    else {
        return false;
    };
    let is_bearer = |name: &str| {
        document
            .pointer(&format!("/components/securitySchemes/{name}"))
            .map(|scheme| resolve(document, scheme))
            .is_some_and(|scheme| {
                scheme.get("type").and_then(Value::as_str) == Some("http")
                    && scheme
                        .get("scheme")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
            })
    };
    !requirements.is_empty()
        && requirements.iter().all(|requirement| {
            requirement
                .as_object()
                .is_some_and(|names| !names.is_empty() && names.keys().any(|name| is_bearer(name)))
        })
}

/// The examples of a media type object: `example` (named `""`) and every `examples` entry.
fn examples(document: &Value, media: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(example) = media.get("example") {
        found.push((String::new(), example.clone()));
    }
    for (name, example) in media
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(value) = resolve(document, example).get("value") {
            found.push((name.clone(), value.clone()));
        }
    }
    found
}

fn whole(rule: &'static str, message: String) -> Violation {
    Violation {
        pointer: String::new(),
        rule: rule.into(),
        message,
    }
}

/// Checks a JSON request body against the schema the document gives the operation at
/// `method` and `path` (a concrete path such as `/vendors/…/generation`). This is the check
/// the server runs; each [`Violation`] names the field (a JSON pointer) and the JSON Schema
/// keyword broken.
///
/// ```
/// use mulerouter_kling::serde_json::json;
/// use mulerouter_kling_mock::document::validate_request_body;
///
/// let path = "/vendors/klingai/v1/kling-v3-omni/reference-video-to-video/generation";
/// let violations = validate_request_body("POST", path, &json!({
///     "prompt": "A paper boat",
///     "video": "https://example.com/in.mp4",
///     "duration": 99,
/// }))
/// .unwrap_err();
/// assert_eq!(violations[0].pointer, "/duration");
/// assert_eq!(violations[0].rule, "maximum");
/// ```
pub fn validate_request_body(method: &str, path: &str, body: &Value) -> Result<(), Vec<Violation>> {
    request_body_in(Api::get(), method, path, body)
}

/// [`validate_request_body`] against the admin API's document ([`ADMIN_SOURCE`]).
pub fn validate_admin_request_body(
    method: &str,
    path: &str,
    body: &Value,
) -> Result<(), Vec<Violation>> {
    request_body_in(Api::admin(), method, path, body)
}

fn request_body_in(
    api: &Api,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<(), Vec<Violation>> {
    match api.route(method, path) {
        Route::Operation(operation, _) => {
            let found = operation.check_body(body);
            if found.is_empty() { Ok(()) } else { Err(found) }
        }
        _ => Err(vec![whole(
            "paths",
            format!("the document has no operation {method} {path}"),
        )]),
    }
}

/// Checks a response against the document: `status` must be documented for the operation at
/// `method` and `path` (exactly, as a range such as `4XX`, or as `default`) and a JSON `body`
/// must match its schema. Paths the document does not know are checked against the error
/// schema of the first operation's `4XX` response (the mock's 404 for unknown paths).
pub fn validate_response(
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
) -> Result<(), Vec<Violation>> {
    response_in(Api::get(), method, path, status, body)
}

/// [`validate_response`] against the admin API's document ([`ADMIN_SOURCE`]).
pub fn validate_admin_response(
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
) -> Result<(), Vec<Violation>> {
    response_in(Api::admin(), method, path, status, body)
}

fn response_in(
    api: &Api,
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
) -> Result<(), Vec<Violation>> {
    let operation = match api.route(method, path) {
        Route::Operation(operation, _) => operation,
        Route::MethodNotAllowed(_) | Route::NotFound => api
            .operations()
            .find(|op| op.response(status).is_some())
            .ok_or_else(|| {
                vec![whole(
                    "responses",
                    format!("no operation documents status {status}"),
                )]
            })?,
    };
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| vec![whole("type", format!("the body is not JSON: {e}"))])?;
    operation.check_response(status, &json)
}

/// Checks a value against a named component schema (`#/components/schemas/{name}`) with
/// the same conversion and validator options as requests and responses. For checks of the
/// document itself, such as every `example` against its schema; it compiles on each call.
pub fn validate_component(name: &str, value: &Value) -> Result<(), Vec<Violation>> {
    component_in(&API_DOCUMENT, name, value)
}

/// [`validate_component`] against the admin API's document ([`ADMIN_SOURCE`]).
pub fn validate_admin_component(name: &str, value: &Value) -> Result<(), Vec<Violation>> {
    component_in(&ADMIN_DOCUMENT, name, value)
}

fn component_in(document: &Value, name: &str, value: &Value) -> Result<(), Vec<Violation>> {
    let empty = Map::new();
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if !schemas.contains_key(name) {
        return Err(vec![whole(
            "$ref",
            format!("the document has no schema {name}"),
        )]);
    }
    let converter = Converter::new(schemas);
    let mut compiler = Compiler {
        converter: &converter,
        defs: converter.defs(),
        cache: HashMap::new(),
    };
    let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    let check = compiler
        .validator(&schema)
        .map_err(|e| vec![whole("schema", e)])?;
    let found = check.violations(value);
    if found.is_empty() { Ok(()) } else { Err(found) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_limit_agrees_with_the_document() {
        let document = &*API_DOCUMENT;
        let prose = document
            .pointer("/components/responses/PayloadTooLarge/description")
            .and_then(Value::as_str)
            .unwrap();
        assert!(prose.contains("32 MiB"), "{prose}");
        let example = document
            .pointer(
                "/components/responses/PayloadTooLarge/content/application~1json/example/detail",
            )
            .and_then(Value::as_str)
            .unwrap();
        assert!(example.contains(&MAX_BODY_BYTES.to_string()), "{example}");
    }

    #[test]
    fn literal_segments_win_and_methods_are_listed_for_405() {
        let api = Api::compile(
            r"
openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /a/{id}:
    get: { operationId: by_id, responses: { '200': { description: ok } } }
  /a/latest:
    get: { operationId: latest, responses: { '200': { description: ok } } }
    delete: { operationId: drop, responses: { '200': { description: ok } } }
",
        )
        .unwrap();
        assert!(
            matches!(api.route("GET", "/a/latest"), Route::Operation(op, _) if op.id == "latest")
        );
        assert!(
            matches!(api.route("GET", "/a/x%20y"), Route::Operation(op, v) if op.id == "by_id" && v == ["x y"])
        );
        assert!(
            matches!(api.route("POST", "/a/latest"), Route::MethodNotAllowed(m) if m == ["GET", "DELETE"])
        );
        assert!(matches!(api.route("GET", "/a/"), Route::NotFound));
        assert!(matches!(api.route("GET", "/b"), Route::NotFound));
    }

    #[test]
    fn a_path_matches_a_template_segment_for_segment() {
        // The rule, written plainly: same number of segments, literals equal, parameters
        // non-empty.
        fn plainly(template: &str, path: &str) -> Option<Vec<String>> {
            let (template, path): (Vec<_>, Vec<_>) =
                (template.split('/').collect(), path.split('/').collect());
            if template.len() != path.len() {
                return None;
            }
            let mut values = Vec::new();
            for (segment, part) in template.iter().zip(&path) {
                if segment.starts_with('{') && segment.ends_with('}') {
                    if part.is_empty() {
                        return None;
                    }
                    values.push(percent_decode(part));
                } else if segment != part {
                    return None;
                }
            }
            Some(values)
        }
        let templates = [
            "/a/{id}",
            "/a/{id}/b",
            "/{x}/{y}",
            "/a/b",
            "/a/{id}.json",
            "",
        ];
        let paths = [
            "/a/1",
            "/a/1/b",
            "/a/1/c",
            "/a/",
            "/a//b",
            "/a/b",
            "/a/b/",
            "/x/y",
            "/x/y/z",
            "/a/1.json",
            "",
            "/",
            "/a/%41/b",
            "a/1",
        ];
        for template in templates {
            let item = PathItem {
                pieces: pieces(&segments(template)),
                literals: 0,
                operations: Vec::new(),
            };
            for path in paths {
                assert_eq!(
                    item.matches(path),
                    plainly(template, path),
                    "{template} {path}"
                );
            }
        }
    }

    #[test]
    fn a_status_finds_its_exact_response_before_its_range() {
        let api = Api::get();
        let create = api.operation("create_generation").unwrap();
        assert_eq!(create.response(429).unwrap().key, "429");
        assert_eq!(create.response(418).unwrap().key, "4XX");
        assert_eq!(create.response(503).unwrap().key, "5XX");
        assert!(create.response(302).is_none());
    }
}
