//! The table of generated files. Another document is one more row here, no new generator code.

/// What kind of code an output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A progenitor client (types, builders, `Client`).
    Client,
    /// Typed wiremock mocks (one module per operation) using the client's types at `types`,
    /// a Rust path such as `mulerouter_kling::types`.
    Wiremock { types: &'static str },
    /// The table of each request field's JSON pointer and rules, which the client checks
    /// values against (it uses the client crate's `validate::{Rule, Tag, Type}`).
    Rules,
}

/// One generated file and the document it comes from, both relative to the workspace root.
#[derive(Debug)]
pub struct Output {
    pub spec: &'static str,
    pub path: &'static str,
    pub kind: Kind,
}

pub const OUTPUTS: &[Output] = &[
    Output {
        spec: "openapi/kling-v3-omni-reference-video-to-video.yaml",
        path: "crates/mulerouter-kling/src/generated.rs",
        kind: Kind::Client,
    },
    Output {
        spec: "openapi/kling-v3-omni-reference-video-to-video.yaml",
        path: "crates/mulerouter-kling/src/generated_rules.rs",
        kind: Kind::Rules,
    },
    Output {
        spec: "openapi/kling-v3-omni-reference-video-to-video.yaml",
        path: "crates/mulerouter-kling-mock/src/typed.rs",
        kind: Kind::Wiremock {
            types: "::mulerouter_kling::types",
        },
    },
    Output {
        spec: "openapi/mock-admin.yaml",
        path: "crates/mulerouter-kling-mock-admin/src/generated.rs",
        kind: Kind::Client,
    },
];
