//! A progenitor client from one document: the settings, the panic guard, the formatting.

use std::panic::{self, AssertUnwindSafe};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

use super::null_branch;
use super::spec::Source;

/// Every progenitor choice, in one place.
fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        // `client.create_generation().body(..).send()`: named arguments read better than
        // positional ones and survive new optional parameters.
        .with_interface(InterfaceStyle::Builder)
        // One `Client` with every operation; the document has a single tag anyway.
        .with_tag(TagStyle::Merged)
        // The hand-written layer observes every response's status and headers (Retry-After,
        // traceparent, and the status of non-JSON error bodies, which progenitor drops);
        // `Expected` makes a missing hook a compile error instead of a silent default.
        .with_hooks(HooksMode::Expected)
        // The contract tests compare the types' schemas with the document's.
        .with_derive("schemars::JsonSchema")
        // Users compare requests and responses in their tests.
        .with_derive("PartialEq");
    for (schema, replacement) in TOLERANT_REPLACEMENTS {
        settings.with_replacement(
            schema,
            replacement,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

/// Component schemas replaced by hand-written types that accept values the document does not
/// list, and their replacements. The service adds task states over time; a closed enum would
/// fail to parse a new one. The hand-written `TaskStatus` keeps the documented states and an
/// `Unknown` case. (`cargo xtask diff` reads this list: a new value in these enums breaks no one.)
pub(crate) const TOLERANT_REPLACEMENTS: &[(&str, &str)] = &[("TaskStatus", "crate::TaskStatus")];

/// Generates and formats the client for `source`.
pub fn generate(source: &Source) -> Result<String, String> {
    // progenitor reads "or null" only in one spelling; see `null_branch`.
    let document = null_branch::for_progenitor(&source.document)?;
    let tokens = match generate_tokens(&document) {
        Ok(tokens) => tokens,
        Err(GenerateError::Failed(message)) => {
            return Err(format!("progenitor rejected {}: {message}", source.path));
        }
        Err(GenerateError::Panicked(message)) => {
            let culprit = find_panicking_operation(&document)
                .unwrap_or_else(|| "no single operation reproduces it".to_string());
            return Err(format!(
                "progenitor panicked on {} ({culprit}): {message}\n\
                 Common causes: more than one success or error schema in one operation \
                 (200 and 202 must share a schema; `default` counts as both), or a missing operationId.",
                source.path
            ));
        }
    };
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        format!(
            "progenitor produced code that does not parse for {}: {e}",
            source.path
        )
    })?;
    Ok(prettyplease::unparse(&file))
}

enum GenerateError {
    Failed(String),
    Panicked(String),
}

/// Runs progenitor with a fresh generator (a generator accumulates types), turning panics
/// into errors and keeping the default panic hook from printing a backtrace meanwhile.
fn generate_tokens(
    document: &openapiv3::OpenAPI,
) -> Result<proc_macro2::TokenStream, GenerateError> {
    // The hook is process-wide: two generations at once (tests run in parallel) could each
    // restore the other's silent hook and leave it in place for good.
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _only_one = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        Generator::new(&settings()).generate_tokens(document)
    }));
    panic::set_hook(previous_hook);
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(error)) => Err(GenerateError::Failed(error.to_string())),
        Err(payload) => Err(GenerateError::Panicked(panic_message(payload.as_ref()))),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic without a message".to_string())
}

/// Generates each operation alone to name the one that makes progenitor panic.
fn find_panicking_operation(document: &openapiv3::OpenAPI) -> Option<String> {
    for (path, item) in document.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (method, operation) in item.iter() {
            let mut single = document.clone();
            let mut only = item.clone();
            for (other, slot) in [
                ("get", &mut only.get),
                ("put", &mut only.put),
                ("post", &mut only.post),
                ("delete", &mut only.delete),
                ("options", &mut only.options),
                ("head", &mut only.head),
                ("patch", &mut only.patch),
                ("trace", &mut only.trace),
            ] {
                if other != method {
                    *slot = None;
                }
            }
            single.paths.paths.clear();
            single
                .paths
                .paths
                .insert(path.clone(), openapiv3::ReferenceOr::Item(only));
            if let Err(GenerateError::Panicked(_)) = generate_tokens(&single) {
                let id = operation
                    .operation_id
                    .as_deref()
                    .unwrap_or("<no operationId>");
                return Some(format!(
                    "operation `{id}`, {} {path}",
                    method.to_uppercase()
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(yaml: &str) -> Source {
        Source::from_bytes("openapi/test.yaml", yaml.as_bytes()).unwrap()
    }

    #[test]
    fn a_generator_panic_becomes_an_error_naming_the_operation() {
        // Arrange: two different success schemas make progenitor 0.15 panic.
        let source = document(
            r#"
openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /fine:
    get:
      operationId: fine
      responses:
        '200': { description: ok, content: { application/json: { schema: { type: string } } } }
  /broken:
    post:
      operationId: broken_op
      responses:
        '200': { description: ok, content: { application/json: { schema: { type: string } } } }
        '202': { description: ok, content: { application/json: { schema: { type: integer } } } }
"#,
        );

        // Act
        let error = generate(&source).unwrap_err();

        // Assert
        assert!(
            error.contains("operation `broken_op`, POST /broken"),
            "{error}"
        );
        assert!(error.contains("openapi/test.yaml"), "{error}");
    }
}
