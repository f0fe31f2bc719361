//! The answer bytes the standalone server holds for clients that have not taken them yet.
//!
//! hyper holds an answer until it is written to the socket. On HTTP/1.1 that is one answer
//! per connection, but on h2 the client's flow-control window decides when data may go: a
//! client that opens its 100 streams with a window of 0 and reads nothing keeps every answer
//! it asked for in the server's memory (a read of the journal is up to 8 MiB). So each
//! answer's bytes are counted, for the server and for the connection that asked, from the
//! moment it is made until hyper, or h2's send buffer, lets go of the last piece of it.
//!
//! When the server's count passes its budget, the connection holding the most is told to
//! close: dropping a connection drops every answer it holds. Refusing new requests instead
//! (a 503 to whoever asks next) let one client that stopped reading lock every other client
//! out until its connection timed out, about 90 s.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::Notify;

/// Answers smaller than this are not counted: an h2 stream costs the server about as much in
/// its own state, which the limit of 100 streams a connection and `--max-connections`
/// bound, and the everyday answers (a task, a refusal) stay as cheap as they were.
const COUNTED_FROM: usize = 1024;

/// The answer bytes of the whole server still held, and who holds them.
#[derive(Debug, Clone)]
pub(super) struct Unsent(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    /// Past this many bytes held, the connection holding the most is closed.
    budget: usize,
    total: AtomicUsize,
    /// Every open connection's account, by a number of its own.
    holders: Mutex<HashMap<u64, Arc<Holder>>>,
    next_id: AtomicU64,
}

/// What one connection holds.
#[derive(Debug)]
struct Holder {
    peer: SocketAddr,
    bytes: AtomicUsize,
    /// Set once it has been told to close, so that the bytes it still holds while it goes
    /// do not get a second connection closed.
    closing: AtomicBool,
    close: Notify,
}

/// A connection to close, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Closing {
    pub(super) peer: SocketAddr,
    /// What it held.
    pub(super) bytes: usize,
    /// What the whole server held.
    pub(super) total: usize,
}

impl Unsent {
    /// Nothing held yet; past `budget` bytes the largest holder is closed.
    pub(super) fn new(budget: usize) -> Self {
        Self(Arc::new(Shared {
            budget,
            total: AtomicUsize::new(0),
            holders: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }))
    }

    /// The bytes counted now, over every connection.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.0.total.load(Ordering::Relaxed)
    }

    /// The account of a new connection, from `peer`; it leaves the books when dropped.
    pub(super) fn open(&self, peer: SocketAddr) -> Account {
        let id = self.0.next_id.fetch_add(1, Ordering::Relaxed);
        let holder = Arc::new(Holder {
            peer,
            bytes: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.0
            .holders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, holder.clone());
        Account {
            id,
            holder,
            unsent: self.clone(),
        }
    }

    /// Over the budget, counting only what open connections not yet told to close hold
    /// (the answers of one closed, or told to close, are on their way out: h2 drops them in
    /// the tasks of their streams, a moment after the connection ends): tells the connection
    /// holding the most to close, and says which.
    fn close_largest(&self) -> Option<Closing> {
        let shared = &*self.0;
        let holders = shared
            .holders
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let total = shared.total.load(Ordering::Relaxed);
        let staying: usize = holders
            .values()
            .filter(|holder| !holder.closing.load(Ordering::Relaxed))
            .map(|holder| holder.bytes.load(Ordering::Relaxed))
            .sum();
        if staying <= shared.budget {
            return None;
        }
        let largest = holders
            .values()
            .filter(|holder| !holder.closing.load(Ordering::Relaxed))
            .max_by_key(|holder| holder.bytes.load(Ordering::Relaxed))?;
        largest.closing.store(true, Ordering::Relaxed);
        // A stored permit: the connection sees it even if it is not waiting right now.
        largest.close.notify_one();
        Some(Closing {
            peer: largest.peer,
            bytes: largest.bytes.load(Ordering::Relaxed),
            total,
        })
    }
}

/// One connection's share of the books.
#[derive(Debug)]
pub(super) struct Account {
    id: u64,
    holder: Arc<Holder>,
    unsent: Unsent,
}

impl Account {
    /// `bytes`, counted for the server and this connection until the last copy of them
    /// (hyper and h2 hand on slices of one buffer) is dropped: sent, or the client went away
    /// or reset its stream. Not counted under [`COUNTED_FROM`]. When they take the server
    /// over its budget, the connection holding the most is told to close (this one, if it
    /// is the one); which, if any, is returned for the log.
    pub(super) fn count(&self, bytes: Bytes) -> (Bytes, Option<Closing>) {
        if bytes.len() < COUNTED_FROM {
            return (bytes, None);
        }
        let shared = &*self.unsent.0;
        self.holder.bytes.fetch_add(bytes.len(), Ordering::Relaxed);
        let total = shared.total.fetch_add(bytes.len(), Ordering::Relaxed) + bytes.len();
        let closing = if total > shared.budget {
            self.unsent.close_largest()
        } else {
            None
        };
        let counted = Bytes::from_owner(Counted {
            bytes,
            holder: self.holder.clone(),
            unsent: self.unsent.clone(),
        });
        (counted, closing)
    }

    /// Completes once this connection has been told to close.
    pub(super) async fn told_to_close(&self) {
        self.holder.close.notified().await;
    }

    /// The bytes this connection holds now.
    pub(super) fn bytes(&self) -> usize {
        self.holder.bytes.load(Ordering::Relaxed)
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.unsent
            .0
            .holders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// An answer's bytes, and where they are counted until dropped.
struct Counted {
    bytes: Bytes,
    holder: Arc<Holder>,
    unsent: Unsent,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.holder
            .bytes
            .fetch_sub(self.bytes.len(), Ordering::Relaxed);
        self.unsent
            .0
            .total
            .fetch_sub(self.bytes.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Waker};

    use super::*;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn bytes_count_until_the_last_slice_of_them_is_dropped() {
        // Arrange
        let unsent = Unsent::new(usize::MAX);
        let account = unsent.open(peer(1));
        let (mut answer, _) = account.count(Bytes::from(vec![7; 2000]));

        // Act
        let head = answer.split_to(1500);
        let counted_with_both = unsent.bytes();
        drop(answer);
        let counted_with_head = unsent.bytes();
        drop(head);

        // Assert
        assert_eq!((counted_with_both, counted_with_head), (2000, 2000));
        assert_eq!((unsent.bytes(), account.bytes()), (0, 0));
    }

    #[test]
    fn small_answers_are_not_counted() {
        let unsent = Unsent::new(usize::MAX);
        let account = unsent.open(peer(1));

        let (answer, _) = account.count(Bytes::from_static(b"{\"detail\":\"no such task\"}"));

        assert_eq!(unsent.bytes(), 0);
        assert_eq!(&answer[..], b"{\"detail\":\"no such task\"}");
    }

    #[test]
    fn past_the_budget_the_connection_holding_the_most_is_told_to_close_whoever_asked() {
        // Arrange: a budget of 10 000 bytes; one connection holds 8 000.
        let unsent = Unsent::new(10_000);
        let (hog, other) = (unsent.open(peer(1)), unsent.open(peer(2)));
        let _held = hog.count(Bytes::from(vec![0; 8000]));

        // Act: another connection's answer takes the server over it.
        let (_answer, closing) = other.count(Bytes::from(vec![0; 3000]));
        // The hog has not let go yet: the next answer over the budget closes nobody else.
        let (_next, then) = other.count(Bytes::from(vec![0; 1500]));

        // Assert
        assert_eq!(
            closing,
            Some(Closing {
                peer: peer(1),
                bytes: 8000,
                total: 11_000
            })
        );
        assert_eq!(then, None);
    }

    #[test]
    fn a_connection_told_to_close_hears_it_even_when_it_was_not_waiting() {
        // Arrange
        let unsent = Unsent::new(1000);
        let hog = unsent.open(peer(1));

        // Act
        let (_held, closing) = hog.count(Bytes::from(vec![0; 2000]));
        let mut told = std::pin::pin!(hog.told_to_close());
        let told = told.as_mut().poll(&mut Context::from_waker(Waker::noop()));

        // Assert
        assert_eq!(closing.map(|closing| closing.peer), Some(peer(1)));
        assert!(told.is_ready());
    }

    #[test]
    fn what_a_closed_connection_still_holds_gets_no_other_connection_closed() {
        // Arrange: a connection that held 8 000 bytes has ended; its answers are not dropped
        // yet.
        let unsent = Unsent::new(10_000);
        let gone = unsent.open(peer(1));
        let (_lingering, _) = gone.count(Bytes::from(vec![0; 8000]));
        drop(gone);
        let other = unsent.open(peer(2));

        // Act
        let (_answer, closing) = other.count(Bytes::from(vec![0; 3000]));

        // Assert
        assert_eq!(closing, None);
    }

    #[test]
    fn a_closed_connection_leaves_the_books() {
        let unsent = Unsent::new(1000);
        let gone = unsent.open(peer(1));
        drop(gone);
        let hog = unsent.open(peer(2));

        let (_held, closing) = hog.count(Bytes::from(vec![0; 2000]));

        assert_eq!(closing.map(|closing| closing.peer), Some(peer(2)));
    }
}
