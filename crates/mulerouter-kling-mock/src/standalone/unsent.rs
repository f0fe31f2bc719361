//! The answer bytes the standalone server holds for clients that have not taken them yet.
//!
//! hyper holds an answer until it is written to the socket. On HTTP/1.1 that is one answer
//! per connection, but on h2 the client's flow-control window decides when data may go: a
//! client that opens its 100 streams with a window of 0 and reads nothing keeps every answer
//! it asked for in the server's memory (a full journal answer is up to about 2 MB). So each
//! answer's bytes are counted from the moment it is made until hyper, or h2's send buffer,
//! lets go of the last piece of it, and the server consults the count before it answers
//! anything new.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

/// Answers smaller than this are not counted: an h2 stream costs the server about as much in
/// its own state, which the limit of 100 streams a connection and `--max-connections`
/// bound, and the everyday answers (a task, a refusal) stay as cheap as they were.
const COUNTED_FROM: usize = 1024;

/// The answer bytes of the whole server still held.
#[derive(Debug, Clone, Default)]
pub(super) struct Unsent(Arc<AtomicUsize>);

impl Unsent {
    /// The bytes counted now.
    pub(super) fn bytes(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// `bytes`, counted here until the last copy of them (hyper and h2 hand on slices of one
    /// buffer) is dropped: sent, or the client went away or reset its stream. Not counted
    /// under [`COUNTED_FROM`].
    pub(super) fn count(&self, bytes: Bytes) -> Bytes {
        if bytes.len() < COUNTED_FROM {
            return bytes;
        }
        self.0.fetch_add(bytes.len(), Ordering::Relaxed);
        Bytes::from_owner(Counted {
            bytes,
            unsent: self.clone(),
        })
    }
}

/// An answer's bytes, and where they are counted until dropped.
struct Counted {
    bytes: Bytes,
    unsent: Unsent,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.unsent.0.fetch_sub(self.bytes.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_count_until_the_last_slice_of_them_is_dropped() {
        // Arrange
        let unsent = Unsent::default();
        let mut answer = unsent.count(Bytes::from(vec![7; 2000]));

        // Act
        let head = answer.split_to(1500);
        let counted_with_both = unsent.bytes();
        drop(answer);
        let counted_with_head = unsent.bytes();
        drop(head);

        // Assert
        assert_eq!((counted_with_both, counted_with_head), (2000, 2000));
        assert_eq!(unsent.bytes(), 0);
    }

    #[test]
    fn small_answers_are_not_counted() {
        let unsent = Unsent::default();

        let answer = unsent.count(Bytes::from_static(b"{\"detail\":\"no such task\"}"));

        assert_eq!(unsent.bytes(), 0);
        assert_eq!(&answer[..], b"{\"detail\":\"no such task\"}");
    }
}
