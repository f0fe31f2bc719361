//! Checks that hold the client, the mock and the OpenAPI document to each other.
//!
//! The library holds what the checks share: the document as JSON, and a structural view of
//! JSON Schemas that ignores how a schema is spelled (OpenAPI 3.0's `nullable`, JSON Schema's
//! `"null"` type, `$ref` or inline) and keeps what it means.

pub mod conformance;
pub mod document;
pub mod schema_facts;
