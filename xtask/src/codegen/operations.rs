//! The operations a document defines, as reviewers read them: a change here is an API change.

use std::fmt::Write;

/// One line per operation: id, method, path, and the responses it documents.
pub fn summary(document: &openapiv3::OpenAPI) -> String {
    let mut out = String::new();
    for (path, item) in document.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (method, operation) in item.iter() {
            let id = operation
                .operation_id
                .as_deref()
                .unwrap_or("<no operationId>");
            let responses: Vec<String> = operation
                .responses
                .responses
                .keys()
                .map(|code| code.to_string())
                .chain(
                    operation
                        .responses
                        .default
                        .as_ref()
                        .map(|_| "default".to_string()),
                )
                .collect();
            let _ = writeln!(out, "{id}: {} {path}", method.to_uppercase());
            let _ = writeln!(out, "  responses: {}", responses.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::codegen::{OUTPUTS, spec::Source};

    #[test]
    fn the_documents_operations_are_as_reviewed() {
        for output in OUTPUTS {
            let source = Source::read(&crate::workspace::root(), output.spec).unwrap();
            insta::assert_snapshot!(output.spec, super::summary(&source.document));
        }
    }
}
