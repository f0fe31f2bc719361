//! Typed wiremock mocks from one document — what progenitor's `httpmock` output is for
//! httpmock: per operation a `When` (method and path preset, typed `body(&T)` and parameter
//! matchers) and a `Then` (one constructor per documented response), both with `into_inner()`
//! returning plain wiremock types.

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    MediaType, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Response,
    Schema, SchemaKind, StatusCode, Type, VariantOrUnknownOrEmpty,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::spec::Source;

/// Generates and formats the typed mocks for `source`; `types` is the Rust path of the
/// crate's generated types (e.g. `mulerouter_kling::types`).
pub fn generate(source: &Source, types: &str) -> Result<String, String> {
    let types: syn::Path =
        syn::parse_str(types).map_err(|e| format!("`{types}` is not a Rust path: {e}"))?;
    let document = &source.document;
    let mut modules = Vec::new();
    let mut first_module = None;
    let mut table = String::from("| module | method | path |\n|---|---|---|\n");
    for (path, item) in document.paths.iter() {
        let Some(item) = item.as_item() else {
            return Err(format!("{}: path {path} is a $ref; inline it", source.path));
        };
        for (method, operation) in item.iter() {
            let id = operation.operation_id.as_deref().ok_or_else(|| {
                format!(
                    "{}: {} {path} has no operationId",
                    source.path,
                    method.to_uppercase()
                )
            })?;
            let module = format_ident!("{}", id.to_snake_case());
            first_module.get_or_insert_with(|| module.to_string());
            table.push_str(&format!(
                "| [`{module}`] | `{}` | `{path}` |\n",
                method.to_uppercase()
            ));
            let parameters = item.parameters.iter().chain(&operation.parameters);
            modules.push(operation_module(
                document, &types, &module, method, path, operation, parameters,
            )?);
        }
    }
    let title = document.info.title.clone();
    let first = first_module.ok_or_else(|| format!("{} has no operations", source.path))?;
    let intro = format!(
        " Typed wiremock mocks for {title}, one module per operation of the API document.\n\n \
         Each module has the operation's `METHOD` and `PATH`, a [`When`]({first}::When)\n \
         matcher builder with method and path preset and typed matchers for the body and the\n \
         parameters, and a `Then` with one constructor per documented response. `respond_with`\n \
         returns a plain [`wiremock::Mock`], so `.expect(n)`, `.named(..)` and\n \
         `.mount_as_scoped(..)` work as usual on a `MockServer` of your own (on\n \
         [`MockMuleRouter::server`](crate::MockMuleRouter::server) use `mount`: see its note);\n \
         `into_inner()` gives the plain wiremock types.\n\n{}",
        table
            .lines()
            .map(|line| format!(" {line}\n"))
            .collect::<String>()
    );
    let tokens = quote! {
        #![doc = #intro]
        #(#modules)*

        /// A path segment as it appears in a request URL (percent-encoded), as a regex.
        fn segment(value: &str) -> ::std::string::String {
            let mut out = ::std::string::String::new();
            for byte in value.bytes() {
                match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => out.push(byte as char),
                    b'.' => out.push_str("\\."),
                    _ => out.push_str(&::std::format!("%{byte:02X}")),
                }
            }
            out
        }
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated wiremock code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

#[allow(clippy::too_many_arguments)]
fn operation_module<'a>(
    document: &OpenAPI,
    types: &syn::Path,
    module: &syn::Ident,
    method: &str,
    path: &str,
    operation: &Operation,
    parameters: impl Iterator<Item = &'a ReferenceOr<Parameter>>,
) -> Result<TokenStream, String> {
    let upper = method.to_uppercase();
    let summary = operation
        .summary
        .clone()
        .or_else(|| operation.description.as_deref().map(first_paragraph))
        .unwrap_or_default();
    let module_doc = format!(" `{upper} {path}`: {summary}");
    let path_regex = path_regex(path, None);

    let mut matchers = Vec::new();
    for parameter in parameters {
        let parameter = resolve_parameter(document, parameter)?;
        matchers.extend(parameter_matcher(document, path, parameter));
    }
    if let Some(body) = &operation.request_body {
        let body = match body {
            ReferenceOr::Item(body) => body,
            ReferenceOr::Reference { reference } => document
                .components
                .as_ref()
                .and_then(|c| c.request_bodies.get(name_of(reference)))
                .and_then(ReferenceOr::as_item)
                .ok_or_else(|| format!("unresolved request body {reference}"))?,
        };
        if let Some(media) = json_media(&body.content) {
            let ty = schema_type(types, media);
            matchers.push(quote! {
                /// Only requests whose JSON body equals `value` (as the client serialises it).
                pub fn body(self, value: &#ty) -> Self {
                    Self(self.0.and(::wiremock::matchers::body_json(value)))
                }
            });
        }
    }

    let mut responders = Vec::new();
    for (status, response) in &operation.responses.responses {
        let response = resolve_response(document, response)?;
        responders.push(responder(types, Some(status), response));
    }
    if let Some(response) = &operation.responses.default {
        responders.push(responder(
            types,
            None,
            resolve_response(document, response)?,
        ));
    }

    let when_doc =
        format!(" Which requests to answer: `{upper} {path}`, narrowed by the methods below.");
    let path_matcher = if path.contains('{') {
        quote! { ::wiremock::matchers::path_regex(#path_regex) }
    } else {
        quote! { ::wiremock::matchers::path(PATH) }
    };
    Ok(quote! {
        #[doc = #module_doc]
        pub mod #module {
            /// The operation's HTTP method.
            pub const METHOD: &str = #upper;
            /// The operation's path template.
            pub const PATH: &str = #path;

            #[doc = #when_doc]
            #[derive(Debug)]
            pub struct When(::wiremock::MockBuilder);

            impl ::std::default::Default for When {
                fn default() -> Self {
                    Self::new()
                }
            }

            impl When {
                /// Every `METHOD PATH` request.
                pub fn new() -> Self {
                    Self(
                        ::wiremock::Mock::given(::wiremock::matchers::method(METHOD))
                            .and(#path_matcher),
                    )
                }
                #(#matchers)*
                /// Adds any other wiremock matcher.
                pub fn and<M: ::wiremock::Match + 'static>(self, matcher: M) -> Self {
                    Self(self.0.and(matcher))
                }
                /// Answers the matching requests with `then`.
                pub fn respond_with(self, then: Then) -> ::wiremock::Mock {
                    self.0.respond_with(then.into_inner())
                }
                /// The plain wiremock builder.
                pub fn into_inner(self) -> ::wiremock::MockBuilder {
                    self.0
                }
            }

            /// How to answer: one constructor per documented response.
            #[derive(Debug, Clone)]
            pub struct Then(::wiremock::ResponseTemplate);

            impl Then {
                #(#responders)*
                /// Adds (or replaces) a header, e.g. `Retry-After`.
                pub fn header(self, name: &str, value: &str) -> Self {
                    Self(self.0.insert_header(name, value))
                }
                /// Answers after `delay`.
                pub fn delay(self, delay: ::std::time::Duration) -> Self {
                    Self(self.0.set_delay(delay))
                }
                /// The plain wiremock response.
                pub fn into_inner(self) -> ::wiremock::ResponseTemplate {
                    self.0
                }
                fn json<T: ::serde::Serialize>(status: u16, value: &T) -> Self {
                    Self(::wiremock::ResponseTemplate::new(status).set_body_json(value))
                }
            }
        }
    })
}

/// A matcher method for a path or query parameter.
fn parameter_matcher(document: &OpenAPI, path: &str, parameter: &Parameter) -> Option<TokenStream> {
    let data = parameter.parameter_data_ref();
    let method = format_ident!("{}", data.name.to_snake_case());
    let name = &data.name;
    let schema = match &data.format {
        ParameterSchemaOrContent::Schema(schema) => resolve_schema(document, schema),
        ParameterSchemaOrContent::Content(_) => None,
    };
    let (ty, to_text) = parameter_type(schema);
    let described = data
        .description
        .as_deref()
        .map(|d| format!(": {}", first_paragraph(d)))
        .unwrap_or_default();
    match parameter {
        Parameter::Path { .. } => {
            let doc = format!(" Only requests for this `{name}`{described}");
            let (prefix, suffix) = path_regex_around(path, name);
            Some(quote! {
                #[doc = #doc]
                pub fn #method(self, value: #ty) -> Self {
                    let regex = ::std::format!("{}{}{}", #prefix, super::segment(&#to_text), #suffix);
                    Self(self.0.and(::wiremock::matchers::path_regex(regex)))
                }
            })
        }
        Parameter::Query { .. } => {
            let doc = format!(" Only requests with this `{name}` query parameter{described}");
            Some(quote! {
                #[doc = #doc]
                pub fn #method(self, value: #ty) -> Self {
                    Self(self.0.and(::wiremock::matchers::query_param(#name, #to_text)))
                }
            })
        }
        // Header and cookie parameters: match them with `and(..)`.
        Parameter::Header { .. } | Parameter::Cookie { .. } => None,
    }
}

/// The Rust type a parameter value is given as, and how it becomes text.
fn parameter_type(schema: Option<&Schema>) -> (TokenStream, TokenStream) {
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::String(string))) => match &string.format {
            VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => {
                (quote! { &::uuid::Uuid }, quote! { value.to_string() })
            }
            _ => (quote! { &str }, quote! { value.to_string() }),
        },
        Some(SchemaKind::Type(Type::Integer(_))) => (quote! { i64 }, quote! { value.to_string() }),
        Some(SchemaKind::Type(Type::Number(_))) => (quote! { f64 }, quote! { value.to_string() }),
        Some(SchemaKind::Type(Type::Boolean(_))) => (quote! { bool }, quote! { value.to_string() }),
        _ => (quote! { &str }, quote! { value.to_string() }),
    }
}

/// One `Then` constructor for a documented response.
fn responder(types: &syn::Path, status: Option<&StatusCode>, response: &Response) -> TokenStream {
    let description = first_paragraph(&response.description);
    let body = json_media(&response.content).map(|media| schema_type(types, media));
    let (name, fixed, range) = match status {
        Some(StatusCode::Code(code)) => (reason_name(*code), Some(*code), None),
        Some(StatusCode::Range(class)) => {
            let name = match class {
                1 => "informational".to_string(),
                2 => "success".to_string(),
                3 => "redirection".to_string(),
                4 => "client_error".to_string(),
                _ => "server_error".to_string(),
            };
            (name, None, Some((class * 100, class * 100 + 99)))
        }
        None => ("default_response".to_string(), None, Some((100, 599))),
    };
    let method = format_ident!("{name}");
    let key = status.map_or("default".to_string(), |s| s.to_string());
    let doc = format!(" `{key}`: {description}");
    let value_param = body.as_ref().map(|ty| quote! { value: &#ty });
    let build = |status: TokenStream| match &body {
        Some(_) => quote! { Self::json(#status, value) },
        None => quote! { Self(::wiremock::ResponseTemplate::new(#status)) },
    };
    match (fixed, range) {
        (Some(code), _) => {
            let built = build(quote! { #code });
            quote! {
                #[doc = #doc]
                pub fn #method(#value_param) -> Self {
                    #built
                }
            }
        }
        (None, Some((low, high))) => {
            let built = build(quote! { status });
            let panics = format!(" # Panics\n\n When `status` is not within {low}–{high}.");
            let message = format!("`{name}` takes a status within {low}-{high}, got {{status}}");
            let params = match value_param {
                Some(value) => quote! { status: u16, #value },
                None => quote! { status: u16 },
            };
            quote! {
                #[doc = #doc]
                #[doc = ""]
                #[doc = #panics]
                pub fn #method(#params) -> Self {
                    assert!((#low..=#high).contains(&status), #message);
                    #built
                }
            }
        }
        (None, None) => TokenStream::new(),
    }
}

/// The type of a JSON media type's schema: the generated type for a `$ref`, else JSON.
fn schema_type(types: &syn::Path, media: &MediaType) -> TokenStream {
    match &media.schema {
        Some(ReferenceOr::Reference { reference }) => {
            let name = format_ident!("{}", name_of(reference).to_upper_camel_case());
            quote! { #types::#name }
        }
        _ => quote! { ::serde_json::Value },
    }
}

fn json_media(content: &openapiv3::Content) -> Option<&MediaType> {
    content
        .iter()
        .find(|(media_type, _)| media_type.to_ascii_lowercase().contains("json"))
        .map(|(_, media)| media)
}

fn resolve_response<'a>(
    document: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Result<&'a Response, String> {
    match response {
        ReferenceOr::Item(response) => Ok(response),
        ReferenceOr::Reference { reference } => document
            .components
            .as_ref()
            .and_then(|c| c.responses.get(name_of(reference)))
            .and_then(ReferenceOr::as_item)
            .ok_or_else(|| format!("unresolved response {reference}")),
    }
}

fn resolve_parameter<'a>(
    document: &'a OpenAPI,
    parameter: &'a ReferenceOr<Parameter>,
) -> Result<&'a Parameter, String> {
    match parameter {
        ReferenceOr::Item(parameter) => Ok(parameter),
        ReferenceOr::Reference { reference } => document
            .components
            .as_ref()
            .and_then(|c| c.parameters.get(name_of(reference)))
            .and_then(ReferenceOr::as_item)
            .ok_or_else(|| format!("unresolved parameter {reference}")),
    }
}

fn resolve_schema<'a>(
    document: &'a OpenAPI,
    schema: &'a ReferenceOr<Schema>,
) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => document
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(name_of(reference)))
            .and_then(ReferenceOr::as_item),
    }
}

fn name_of(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The first paragraph, its wrapped lines joined: a description cut at its first line break
/// would end mid-sentence in the docs.
fn first_paragraph(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `^/a/[^/]+/b$` for `/a/{id}/b`; `only` keeps one parameter's slot out (see
/// [`path_regex_around`]).
fn path_regex(path: &str, only: Option<&str>) -> String {
    let mut regex = String::from("^");
    for (index, part) in path.split('/').enumerate() {
        if index > 0 {
            regex.push('/');
        }
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if Some(name) == only => regex.push('\u{0}'),
            Some(_) => regex.push_str("[^/]+"),
            None => regex.push_str(&regex_escape(part)),
        }
    }
    regex.push('$');
    regex
}

/// The regex before and after one parameter's segment.
fn path_regex_around(path: &str, name: &str) -> (String, String) {
    let regex = path_regex(path, Some(name));
    let (prefix, suffix) = regex.split_once('\u{0}').unwrap_or((&regex, ""));
    (prefix.to_string(), suffix.to_string())
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `too_many_requests` for 429: the reason phrase of RFC 9110 (and friends), in snake case.
fn reason_name(code: u16) -> String {
    let reason = match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "Im A Teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => return format!("status_{code}"),
    };
    reason.to_snake_case()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_document_gets_its_own_modules_parameters_and_responders() {
        // Arrange
        let yaml = "openapi: 3.0.3\ninfo: {title: pets, version: '2'}\npaths:\n  /pets/{id}:\n    get:\n      operationId: getPet\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: integer}}\n        - {name: fields, in: query, schema: {type: string}}\n      responses:\n        '200': {description: The pet, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}\n        '204': {description: Nothing}\n        default: {description: Trouble, content: {application/json: {schema: {type: object}}}}\ncomponents:\n  schemas:\n    Pet: {type: object, properties: {name: {type: string}}}\n";
        let source = Source::from_bytes("openapi/pets.yaml", yaml.as_bytes()).unwrap();

        // Act
        let code = generate(&source, "pets::types").unwrap();

        // Assert
        assert!(code.contains("pub mod get_pet {"), "{code}");
        assert!(
            code.contains("pub fn id(self, value: i64) -> Self"),
            "{code}"
        );
        assert!(
            code.contains("pub fn fields(self, value: &str) -> Self"),
            "{code}"
        );
        assert!(
            code.contains("pub fn ok(value: &pets::types::Pet) -> Self"),
            "{code}"
        );
        assert!(code.contains("pub fn no_content() -> Self"), "{code}");
        assert!(
            code.contains("pub fn default_response(status: u16, value: &::serde_json::Value)"),
            "{code}"
        );
        assert!(code.contains("\"^/pets/[^/]+$\""), "{code}");
    }

    #[test]
    fn responses_are_named_after_their_reason_phrase() {
        assert_eq!(reason_name(200), "ok");
        assert_eq!(reason_name(429), "too_many_requests");
        assert_eq!(reason_name(451), "unavailable_for_legal_reasons");
        assert_eq!(reason_name(299), "status_299");
    }

    #[test]
    fn a_wrapped_description_is_documented_to_the_end_of_its_first_paragraph() {
        let description = "Accepted - created. Listed for\nasynchronous creation.\n\nMore.\n";
        assert_eq!(
            first_paragraph(description),
            "Accepted - created. Listed for asynchronous creation."
        );
        assert_eq!(first_paragraph("\n  One line.  \n"), "One line.");
    }

    #[test]
    fn path_templates_become_anchored_regexes() {
        assert_eq!(path_regex("/a.b/{id}/c", None), "^/a\\.b/[^/]+/c$");
        assert_eq!(
            path_regex_around("/a/{id}/{n}", "n"),
            ("^/a/[^/]+/".to_string(), "$".to_string())
        );
    }
}
