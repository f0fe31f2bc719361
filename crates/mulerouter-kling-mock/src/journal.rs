//! The journal: the last requests the mock answered, in a ring of fixed size, so that a
//! mock running for days holds the same memory after the first few hundred requests.
//!
//! An entry keeps what a developer asks "what did my app send, and why was it refused?":
//! time, method, path (shortened), the status answered and the rules broken. Never a
//! header, so never the bearer token.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use mulerouter_kling::Violation;
use serde::Serialize;

/// The longest path kept, in characters; longer ones are shortened with `…`.
const MAX_PATH_CHARS: usize = 200;
/// The longest violation message kept.
const MAX_MESSAGE_CHARS: usize = 300;
/// The broken rules kept per entry (a 400 answer lists up to 100): enough to see what went
/// wrong, and a full journal stays a few megabytes, in memory and as an answer.
pub const MAX_VIOLATIONS_KEPT: usize = 10;

/// One request as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JournalEntry {
    /// When the answer was made.
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    /// The request method.
    pub method: String,
    /// The request path, without the query (at most 200 characters kept).
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// The first rules the request broke, at most [`MAX_VIOLATIONS_KEPT`] (empty unless it
    /// was refused for them).
    pub violations: Vec<Violation>,
    /// How many rules its answer listed; more than `violations` holds when some were left out.
    pub violations_total: usize,
}

fn rfc3339<S: serde::Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The ring of the last entries.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<Kept>>,
}

/// An entry as the ring holds it: what every request costs is kept cheap (a clock read and
/// the path), and the entry's public form is built when someone reads the journal.
#[derive(Debug)]
struct Kept {
    time: SystemTime,
    method: http::Method,
    path: String,
    status: u16,
    violations: Vec<Violation>,
    violations_total: usize,
}

impl Kept {
    fn entry(&self) -> JournalEntry {
        JournalEntry {
            time: self.time.into(),
            method: crate::text::shorten(self.method.as_str(), 20),
            path: self.path.clone(),
            status: self.status,
            violations: self.violations.clone(),
            violations_total: self.violations_total,
        }
    }
}

impl Journal {
    /// A journal of at most `capacity` entries (0 keeps none).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Kept>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps one answer; the oldest entry goes when the ring is full.
    pub(crate) fn record(
        &self,
        method: &http::Method,
        path: &str,
        status: u16,
        violations: &[Violation],
    ) {
        if self.capacity == 0 {
            return;
        }
        let entry = Kept {
            time: SystemTime::now(),
            method: method.clone(),
            path: crate::text::shorten(path, MAX_PATH_CHARS),
            status,
            violations: violations
                .iter()
                .take(MAX_VIOLATIONS_KEPT)
                .map(|v| Violation {
                    pointer: crate::text::shorten(&v.pointer, MAX_PATH_CHARS),
                    rule: v.rule.clone(),
                    message: crate::text::shorten(&v.message, MAX_MESSAGE_CHARS),
                })
                .collect(),
            violations_total: violations.len(),
        };
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// The newest `limit` entries, newest first. Only those are built under the lock, which
    /// every request waits for to be recorded: `?limit=1` of a journal of 20 000 entries held
    /// it for about 190 ms when all of them were built and the list then cut.
    pub(crate) fn newest_first(&self, limit: usize) -> Vec<JournalEntry> {
        self.lock()
            .iter()
            .rev()
            .take(limit)
            .map(Kept::entry)
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_only_the_newest_entries() {
        // Arrange
        let journal = Journal::new(2);

        // Act
        for path in ["/a", "/b", "/c"] {
            journal.record(&http::Method::GET, path, 200, &[]);
        }

        // Assert
        let paths: Vec<_> = journal
            .newest_first(usize::MAX)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/c", "/b"]);
        let newest: Vec<_> = journal
            .newest_first(1)
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(newest, ["/c"]);
    }

    #[test]
    fn an_entry_keeps_the_first_rules_broken_and_how_many_there_were() {
        // Arrange
        let journal = Journal::new(1);
        let broken: Vec<_> = (0..40)
            .map(|index| Violation {
                pointer: format!("/key{index}"),
                rule: "additionalProperties".into(),
                message: "is not allowed".into(),
            })
            .collect();

        // Act
        journal.record(&http::Method::POST, "/a", 400, &broken);

        // Assert
        let entry = journal.newest_first(usize::MAX).remove(0);
        assert_eq!(entry.violations_total, 40);
        let kept: Vec<_> = entry
            .violations
            .iter()
            .map(|v| v.pointer.as_str())
            .collect();
        assert_eq!(kept.len(), MAX_VIOLATIONS_KEPT);
        assert_eq!(kept[0], "/key0");
        assert_eq!(kept[MAX_VIOLATIONS_KEPT - 1], "/key9");
    }

    #[test]
    fn a_journal_of_size_zero_keeps_nothing() {
        // Arrange
        let journal = Journal::new(0);

        // Act
        journal.record(&http::Method::GET, "/a", 200, &[]);

        // Assert
        assert!(journal.newest_first(usize::MAX).is_empty());
    }
}
