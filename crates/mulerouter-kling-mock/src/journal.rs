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

/// The most bytes of entries one read of the journal answers with; the rest is left to the
/// next read. A full journal of everyday entries (about 200 bytes each) fits several times
/// over, while entries that each keep ten long rules (up to about 30 KB) would make a
/// journal of `--journal-size 100000` a gigabyte: more than any client reads in one answer
/// (the admin client takes at most 16 MiB) and than the server lets one answer wait unsent.
pub const MAX_JOURNAL_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Bytes `text` takes as a JSON string's contents at most: each character JSON requires to
/// be escaped (a control character, `"` or `\`) counted at six bytes, its longest escape
/// (`\u001b`). Other characters are written as they are (a unit test holds this bound
/// against `serde_json`'s output).
fn json_string_bound(text: &str) -> usize {
    text.bytes()
        .map(|byte| {
            if byte < 0x20 || byte == b'"' || byte == b'\\' {
                6
            } else {
                1
            }
        })
        .sum()
}

/// One read of the journal.
#[derive(Debug)]
pub(crate) struct Page {
    /// The entries kept now.
    pub(crate) total: usize,
    /// Those read, newest first.
    pub(crate) entries: Vec<JournalEntry>,
    /// The offset that reads on after them, if older entries are kept.
    pub(crate) next_offset: Option<usize>,
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
    /// At least the bytes this entry takes in a JSON answer: its strings by
    /// [`json_string_bound`], its numbers and punctuation at their widest.
    fn json_bound(&self) -> usize {
        // `{"time":"…24…","method":"","path":"","status":65535,"violations":[],
        // "violations_total":18446744073709551615}` and a separating comma.
        const ENTRY: usize = 150;
        // `{"pointer":"","rule":"","message":""}` and a separating comma.
        const VIOLATION: usize = 40;
        let method = json_string_bound(self.method.as_str()).min(20 * 6 + '…'.len_utf8());
        let violations: usize = self
            .violations
            .iter()
            .map(|v| {
                VIOLATION
                    + json_string_bound(&v.pointer)
                    + json_string_bound(&v.rule)
                    + json_string_bound(&v.message)
            })
            .sum();
        ENTRY + method + json_string_bound(&self.path) + violations
    }

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

    /// Up to `limit` entries, newest first, after skipping the `offset` newest, and no more
    /// of them than fit `max_bytes` as JSON (at least one, so that reading on always moves).
    /// Only those are built under the lock, which every request waits for to be recorded:
    /// `?limit=1` of a journal of 20 000 entries held it for about 190 ms when all of them
    /// were built and the list then cut. Their size is bounded from what each entry keeps
    /// instead of measured by writing it, which would take as long again under the lock.
    pub(crate) fn read(&self, offset: usize, limit: usize, max_bytes: usize) -> Page {
        let kept = self.lock();
        let total = kept.len();
        let mut bytes = 0;
        let entries: Vec<_> = kept
            .iter()
            .rev()
            .skip(offset)
            .take(limit)
            .take_while(|entry| {
                let first = bytes == 0;
                bytes += entry.json_bound();
                first || bytes <= max_bytes
            })
            .map(Kept::entry)
            .collect();
        let read = offset.saturating_add(entries.len());
        Page {
            total,
            next_offset: (read < total).then_some(read),
            entries,
        }
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
            .read(0, usize::MAX, usize::MAX)
            .entries
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/c", "/b"]);
        let newest: Vec<_> = journal
            .read(0, 1, usize::MAX)
            .entries
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
        let entry = journal.read(0, usize::MAX, usize::MAX).entries.remove(0);
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

    /// A journal of `count` refused requests, each keeping ten rules with long messages.
    fn journal_of_long_refusals(count: usize) -> Journal {
        let journal = Journal::new(count);
        let broken: Vec<_> = (0..MAX_VIOLATIONS_KEPT)
            .map(|index| Violation {
                pointer: format!("/elements/{index}/reference_images/0"),
                rule: "pattern".into(),
                message: "\"x\" does not match ".repeat(50),
            })
            .collect();
        for index in 0..count {
            journal.record(&http::Method::POST, &format!("/r/{index}"), 400, &broken);
        }
        journal
    }

    fn paths(entries: &[JournalEntry]) -> Vec<&str> {
        entries.iter().map(|entry| entry.path.as_str()).collect()
    }

    #[test]
    fn a_read_holds_no_more_entries_than_fit_its_bytes_and_says_where_to_read_on() {
        // Arrange: 300 entries of about 7 KB each as JSON, read 100 KB at a time.
        let journal = journal_of_long_refusals(300);
        let max_bytes = 100_000;
        let everything = journal.read(0, usize::MAX, usize::MAX);

        // Act: read on from each answer's `next_offset` until there is none.
        let mut reads = vec![journal.read(0, usize::MAX, max_bytes)];
        while let Some(offset) = reads.last().unwrap().next_offset {
            reads.push(journal.read(offset, usize::MAX, max_bytes));
        }

        // Assert
        assert!(reads.len() > 10, "{} reads", reads.len());
        for read in &reads {
            let json = serde_json::to_vec(&read.entries).unwrap();
            assert!(json.len() <= max_bytes, "{} bytes", json.len());
            assert_eq!(read.total, 300);
        }
        let read_on: Vec<_> = reads.iter().flat_map(|read| paths(&read.entries)).collect();
        assert_eq!(read_on, paths(&everything.entries));
        assert_eq!(everything.next_offset, None);
    }

    #[test]
    fn a_read_holds_one_entry_larger_than_its_bytes_so_that_reading_on_moves() {
        // Arrange
        let journal = journal_of_long_refusals(3);

        // Act
        let first = journal.read(0, usize::MAX, 10);
        let past_the_end = journal.read(3, usize::MAX, 10);

        // Assert
        assert_eq!(paths(&first.entries), ["/r/2"]);
        assert_eq!(first.next_offset, Some(1));
        assert!(past_the_end.entries.is_empty());
        assert_eq!(past_the_end.next_offset, None);
    }

    #[test]
    fn the_bound_of_an_entry_is_never_less_than_its_json() {
        // Arrange: every ASCII character, some that are not, and a method longer than kept.
        let every_ascii: String = (0u8..128).map(char::from).collect();
        let text = format!("{every_ascii}é€😀\u{2028}");
        let journal = Journal::new(2);
        let broken: Vec<_> = (0..MAX_VIOLATIONS_KEPT)
            .map(|_| Violation {
                pointer: text.clone(),
                rule: text.clone(),
                message: text.clone(),
            })
            .collect();
        let long_method = http::Method::from_bytes("X".repeat(40).as_bytes()).unwrap();
        journal.record(&long_method, &text, u16::MAX, &broken);
        journal.record(&http::Method::GET, "/", 200, &[]);

        // Act
        let kept = journal.lock();
        let bounds: Vec<_> = kept.iter().map(Kept::json_bound).collect();
        let written: Vec<_> = kept
            .iter()
            .map(|entry| {
                let mut entry = entry.entry();
                entry.violations_total = usize::MAX;
                serde_json::to_vec(&entry).unwrap().len() + ",".len()
            })
            .collect();

        // Assert
        for (bound, written) in bounds.iter().zip(&written) {
            assert!(bound >= written, "bound {bound} < {written} bytes written");
        }
    }

    #[test]
    fn a_journal_of_size_zero_keeps_nothing() {
        // Arrange
        let journal = Journal::new(0);

        // Act
        journal.record(&http::Method::GET, "/a", 200, &[]);

        // Assert
        assert!(journal.read(0, usize::MAX, usize::MAX).entries.is_empty());
    }
}
