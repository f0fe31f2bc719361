//! One reported change: where it is, what it was and is, how bad it is and for whom.

use serde_json::Value;

/// How a change affects code and tests that worked before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Code or tests that worked stop working (compile errors, refused requests, failed parses).
    Breaking,
    /// Compiles and parses, but does something different (a default, a new status to handle).
    Behaviour,
    /// Nothing that worked stops working.
    NonBreaking,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Behaviour => "behaviour",
            Class::NonBreaking => "non-breaking",
        }
    }
}

/// Which way the data the change concerns travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// Sent by client users (parameters, request bodies): tightening hurts.
    Request,
    /// Read by client users (response bodies, headers, webhook payloads): widening hurts.
    Response,
    /// Neither: operations, documents, servers, security.
    Api,
    /// The generated Rust client's public API.
    Rust,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
            Side::Api => "api",
            Side::Rust => "rust",
        }
    }
}

/// Who a change hits, named in every reason.
pub const SENDERS: &str = "client users sending requests";
pub const READERS: &str = "client users reading answers";
pub const MOCK_USERS: &str = "mock users";
pub const CALLERS: &str = "client users calling the API";
pub const RECEIVERS: &str = "client users receiving callbacks (webhooks)";

/// Who reads response-side data and what it is called: answers read by client users, or
/// callback deliveries (the webhook) read by their receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readers {
    pub who: &'static str,
    pub what: &'static str,
    /// Whether the mock sends such data: it answers requests, it delivers no callbacks.
    pub from_mock: bool,
}

pub const ANSWERS: Readers = Readers {
    who: READERS,
    what: "answers",
    from_mock: true,
};
pub const DELIVERIES: Readers = Readers {
    who: RECEIVERS,
    what: "deliveries",
    from_mock: false,
};

/// One change between two documents, or between the two generated APIs.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub class: Class,
    pub side: Side,
    /// The document (a path relative to the workspace, or the file given on the command line).
    pub document: String,
    /// The operationId (or `METHOD /path` without one); `None` for document-wide changes and
    /// for the Rust API.
    pub operation: Option<String>,
    /// JSON pointer (RFC 6901) into the new document, or into the old one for a removal;
    /// `None` for the Rust API.
    pub pointer: Option<String>,
    /// Where in the exchange a reader finds it: `request body /prompt`, `response 200 header
    /// traceparent`, or the Rust item path.
    pub location: String,
    /// A stable kebab-case rule name (`request-max-length-decreased`).
    pub rule: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    /// What happens and to whom.
    pub reason: String,
}

/// Orders changes for reading (breaking first, then by document, operation and place) and
/// folds repeats: a shared component reached under several statuses of one operation is one
/// change at `response 200, 202 body /videos`, while each field it is reached from still
/// counts as its own place.
pub fn tidy(changes: &mut Vec<Change>) {
    changes.sort_by(|a, b| {
        (
            a.class,
            &a.document,
            a.side == Side::Rust,
            &a.operation,
            &a.pointer,
            &a.rule,
        )
            .cmp(&(
                b.class,
                &b.document,
                b.side == Side::Rust,
                &b.operation,
                &b.pointer,
                &b.rule,
            ))
            .then_with(|| a.location.cmp(&b.location))
    });
    let mut kept: Vec<(Change, Vec<String>)> = Vec::new();
    for change in changes.drain(..) {
        let (status, rest) = split_status(&change.location);
        let same = kept.iter_mut().find(|(k, _)| {
            k.class == change.class
                && k.side == change.side
                && k.document == change.document
                && k.operation == change.operation
                && k.pointer == change.pointer
                && k.rule == change.rule
                && k.old == change.old
                && k.new == change.new
                && split_status(&k.location).1 == rest
        });
        match (same, status) {
            (Some((_, statuses)), Some(status)) => {
                if !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
            (Some(_), None) => {}
            (None, status) => kept.push((change, status.into_iter().collect())),
        }
    }
    for (mut change, statuses) in kept {
        if statuses.len() > 1 {
            let (_, rest) = split_status(&change.location);
            let shown = if statuses.len() > 4 {
                format!(
                    "{} and {} more",
                    statuses[..3].join(", "),
                    statuses.len() - 3
                )
            } else {
                statuses.join(", ")
            };
            change.location = format!("response {shown}{rest}");
        }
        changes.push(change);
    }
}

/// `response 200 body /x` is status `200` and place ` body /x`.
fn split_status(location: &str) -> (Option<String>, String) {
    match location.strip_prefix("response ") {
        Some(tail) => {
            let (status, rest) = tail.split_at(tail.find(' ').unwrap_or(tail.len()));
            (Some(status.to_string()), rest.to_string())
        }
        None => (None, location.to_string()),
    }
}

/// The number of changes of each class: breaking, behaviour, non-breaking.
pub fn counts(changes: &[Change]) -> (usize, usize, usize) {
    let of = |class| changes.iter().filter(|c| c.class == class).count();
    (
        of(Class::Breaking),
        of(Class::Behaviour),
        of(Class::NonBreaking),
    )
}

/// A value as one short line: strings bare, everything else as compact JSON, absent as `—`.
pub fn show(value: Option<&Value>) -> String {
    const MAX: usize = 80;
    let text = match value {
        None => return "—".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let text = text.replace('\n', " ");
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}
