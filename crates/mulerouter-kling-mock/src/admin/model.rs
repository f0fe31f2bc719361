//! The admin API's bodies, as `openapi/mock-admin.yaml` describes them.

use mulerouter_kling::types::TaskResponse;
use serde::{Deserialize, Serialize};

use crate::journal::JournalEntry;
use crate::reply::Timestamp;

/// `{"detail": "…"}`: why an admin request was refused.
#[derive(Debug, Serialize)]
pub(crate) struct AdminError {
    pub(crate) detail: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Health {
    pub(crate) status: &'static str,
    pub(crate) tasks: usize,
    pub(crate) requests: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Version {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
}

/// A task as a read of the API writes it: the same fields, and the timestamps in the API's
/// form (`…+00:00`), not in chrono's (`…Z`), so that the two can be compared as text.
#[derive(Debug)]
pub(crate) struct ApiTask(pub(crate) TaskResponse);

impl Serialize for ApiTask {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let info = &self.0.task_info;
        let mut value = serde_json::to_value(&self.0).map_err(S::Error::custom)?;
        for (field, at) in [
            ("created_at", info.created_at),
            ("updated_at", info.updated_at),
        ] {
            value["task_info"][field] =
                serde_json::to_value(Timestamp(at)).map_err(S::Error::custom)?;
        }
        value.serialize(serializer)
    }
}

/// One page of tasks, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct TaskPage {
    pub(crate) tasks: Vec<ApiTask>,
    /// Tasks matching the filter, on every page.
    pub(crate) total: usize,
    pub(crate) offset: usize,
    pub(crate) limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_offset: Option<usize>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Deleted {
    pub(crate) deleted: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailRequest {
    pub(crate) code: i64,
}

/// The kind of body a queued status answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BodyKind {
    /// The document's JSON example for that status.
    #[default]
    Json,
    /// An HTML page, as a proxy sends.
    Html,
}

/// `POST /__admin/faults`: what the next `count` matching requests get.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    #[serde(default = "one")]
    pub(crate) count: u32,
    pub(crate) status: Option<u16>,
    #[serde(default)]
    pub(crate) body: BodyKind,
    pub(crate) retry_after: Option<u64>,
    pub(crate) latency_ms: Option<u64>,
    pub(crate) task_error: Option<i64>,
    #[serde(default)]
    pub(crate) hang_up: bool,
    pub(crate) operation: Option<String>,
    /// Only requests that send this bearer key (and creates with it, for `task_error`).
    pub(crate) key: Option<String>,
}

fn one() -> u32 {
    1
}

/// One queued fault: exactly one of `status`, `latency_ms`, `task_error`, `hang_up`.
#[derive(Debug, Serialize)]
pub(crate) struct QueuedFault {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) body: Option<BodyKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_error: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) hang_up: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FaultList {
    pub(crate) faults: Vec<QueuedFault>,
    /// The standing latency added to every API answer.
    pub(crate) latency_ms: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Journal {
    /// The most entries kept (`--journal-size`).
    pub(crate) capacity: usize,
    /// The entries kept now.
    pub(crate) total: usize,
    pub(crate) entries: Vec<JournalEntry>,
    /// Where to read on, if older entries are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_offset: Option<usize>,
}
