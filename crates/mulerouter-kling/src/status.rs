//! The task status, tolerant of values the service adds later.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a task is in its lifecycle.
///
/// MuleRouter documents several spellings for the same states, so every documented one has a
/// variant; a value not documented yet (up to 64 bytes) parses as [`TaskStatus::Unknown`]
/// instead of failing, and counts as "not finished". Use [`TaskStatus::phase`] rather than
/// matching spellings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    /// Accepted, not started (the status a create returns).
    Pending,
    /// Waiting for a worker.
    Queued,
    /// Being generated.
    Running,
    /// Being generated (the endpoint pages' spelling).
    Processing,
    /// Being retried after a transient failure upstream.
    Retrying,
    /// Finished; the result is in `videos`.
    Completed,
    /// Finished; the result is in `videos` (the lifecycle table's spelling).
    Succeeded,
    /// Finished without a result; `task_info.error` says why.
    Failed,
    /// A value this crate does not know yet, kept verbatim.
    Unknown(String),
}

/// What a status means for someone waiting on the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Keep polling.
    InProgress,
    /// Done, with videos.
    Succeeded,
    /// Done, without videos.
    Failed,
}

impl TaskStatus {
    /// Every documented spelling, in lifecycle order.
    pub const DOCUMENTED: [&'static str; 8] = [
        "pending",
        "queued",
        "running",
        "processing",
        "retrying",
        "completed",
        "succeeded",
        "failed",
    ];

    /// The status as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Processing => "processing",
            Self::Retrying => "retrying",
            Self::Completed => "completed",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Unknown(other) => other,
        }
    }

    /// Whether to keep waiting, or how the task ended.
    pub fn phase(&self) -> Phase {
        match self {
            Self::Completed | Self::Succeeded => Phase::Succeeded,
            Self::Failed => Phase::Failed,
            _ => Phase::InProgress,
        }
    }

    /// True once the task will not change any more.
    pub fn is_final(&self) -> bool {
        self.phase() != Phase::InProgress
    }
}

impl FromStr for TaskStatus {
    type Err = std::convert::Infallible;

    /// Never fails: an undocumented value becomes [`TaskStatus::Unknown`]. Matching ignores
    /// ASCII case, since the documents disagree on spelling already.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let known = match value.to_ascii_lowercase().as_str() {
            "pending" => Self::Pending,
            "queued" => Self::Queued,
            "running" => Self::Running,
            "processing" => Self::Processing,
            "retrying" => Self::Retrying,
            "completed" => Self::Completed,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Unknown(value.to_string()),
        };
        Ok(known)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TaskStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The longest status read from an answer. Documented ones are a few letters, and so will be
/// the ones a service adds; megabytes where the status belongs are not one, and would be shown
/// at every poll and in every message that names the status.
const MAX_STATUS_BYTES: usize = 64;

impl<'de> Deserialize<'de> for TaskStatus {
    /// Any string up to 64 bytes: an undocumented one becomes [`TaskStatus::Unknown`]; a
    /// longer one is refused (without quoting it).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Cow::<'de, str>::deserialize(deserializer)?;
        if value.len() > MAX_STATUS_BYTES {
            return Err(serde::de::Error::custom(format_args!(
                "a task status of {} bytes, longer than any status (at most {MAX_STATUS_BYTES})",
                value.len()
            )));
        }
        Ok(value.parse().unwrap_or_else(|never| match never {}))
    }
}

impl schemars::JsonSchema for TaskStatus {
    fn schema_name() -> Cow<'static, str> {
        "TaskStatus".into()
    }

    /// The document's closed list: what the service promises to send. Parsing is more lenient.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": Self::DOCUMENTED,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_spelling_round_trips() {
        for spelling in TaskStatus::DOCUMENTED {
            let status: TaskStatus = serde_json::from_value(spelling.into()).unwrap();
            assert!(!matches!(status, TaskStatus::Unknown(_)), "{spelling}");
            assert_eq!(serde_json::to_value(&status).unwrap(), spelling);
        }
    }

    #[test]
    fn an_unknown_status_parses_and_means_in_progress() {
        let status: TaskStatus = serde_json::from_value("upscaling".into()).unwrap();
        assert_eq!(status, TaskStatus::Unknown("upscaling".to_string()));
        assert_eq!(status.phase(), Phase::InProgress);
        assert_eq!(serde_json::to_value(&status).unwrap(), "upscaling");
    }

    #[test]
    fn every_value_the_document_lists_has_a_variant_with_its_phase() {
        // The document's `x-phases`, through `cargo xtask codegen`: a value added there
        // (a new finished state, say) fails here until this type knows it, rather than
        // parsing as `Unknown` and keeping waits polling.
        let documented = crate::generated_rules::TASK_STATUS_PHASES;
        for &(value, phase) in documented {
            let status: TaskStatus = value.parse().unwrap();
            assert!(
                !matches!(status, TaskStatus::Unknown(_)),
                "the document lists the task status {value:?} ({phase:?}): give TaskStatus a variant for it"
            );
            assert_eq!(status.phase(), phase, "{value}");
        }
        let mut ours = TaskStatus::DOCUMENTED.to_vec();
        ours.sort_unstable();
        let theirs: Vec<&str> = documented.iter().map(|(value, _)| *value).collect();
        assert_eq!(
            ours, theirs,
            "TaskStatus::DOCUMENTED against the document's x-phases"
        );
    }

    #[test]
    fn spellings_are_read_whatever_their_case() {
        let phase = |s: &str| s.parse::<TaskStatus>().unwrap().phase();
        assert_eq!(phase("SUCCEEDED"), Phase::Succeeded);
        assert_eq!(phase("Failed"), Phase::Failed);
    }

    #[test]
    fn a_status_longer_than_any_status_is_rejected_without_quoting_it() {
        let longest = "x".repeat(MAX_STATUS_BYTES);
        let parsed: TaskStatus = serde_json::from_value(longest.clone().into()).unwrap();
        assert_eq!(parsed, TaskStatus::Unknown(longest));
        let error = serde_json::from_value::<TaskStatus>("y".repeat(MAX_STATUS_BYTES + 1).into())
            .unwrap_err()
            .to_string();
        assert!(!error.contains("yy"), "{error}");
        assert!(error.contains("a task status of 65 bytes"), "{error}");
    }

    #[test]
    fn a_non_string_status_is_rejected() {
        assert!(serde_json::from_value::<TaskStatus>(42.into()).is_err());
    }
}
