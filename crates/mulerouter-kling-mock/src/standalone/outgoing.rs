//! An answer's body as the standalone server sends it, and the server's count of answer bytes
//! its clients have not taken yet.
//!
//! hyper holds an answer's body until the client takes it. On HTTP/1.1 the kernel's socket
//! buffer takes most of it at once, but on h2 the client's flow-control window decides when
//! data may go: a client that opens its 200 streams with a window of 0 and reads nothing
//! keeps every answer it asked for in the server's memory (a full journal answer is up to
//! about 2 MB). So the body is handed to hyper a piece at a time (hyper asks for the next
//! piece once the window lets the last one go), and the bytes not yet handed over count in
//! [`Unsent`], which the server consults before it answers anything new.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// The largest piece handed to hyper at once: h2's default frame size.
const PIECE: usize = 16 * 1024;

/// The answer bytes of the whole server not yet handed to hyper.
#[derive(Debug, Clone, Default)]
pub(super) struct Unsent(Arc<AtomicUsize>);

impl Unsent {
    /// The bytes counted now.
    pub(super) fn bytes(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// `bytes` as a body whose bytes count here until hyper takes them, or the body is
    /// dropped (the client went away, or reset its stream).
    pub(super) fn body(&self, bytes: Bytes) -> Outgoing {
        self.0.fetch_add(bytes.len(), Ordering::Relaxed);
        Outgoing {
            rest: bytes,
            counted: Some(self.clone()),
        }
    }
}

/// An answer's body: its bytes, handed over a piece at a time.
#[derive(Debug)]
pub(super) struct Outgoing {
    rest: Bytes,
    /// Where the bytes in `rest` are counted (nowhere for the few hundred bytes that refuse
    /// a connection or its body, sent as the connection closes).
    counted: Option<Unsent>,
}

impl Outgoing {
    /// A body counted nowhere.
    pub(super) fn uncounted(bytes: Bytes) -> Self {
        Self {
            rest: bytes,
            counted: None,
        }
    }

    fn forget(&mut self, bytes: usize) {
        if let Some(unsent) = &self.counted {
            unsent.0.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

impl Body for Outgoing {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let piece = self.rest.len().min(PIECE);
        let piece = self.rest.split_to(piece);
        self.forget(piece.len());
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

impl Drop for Outgoing {
    fn drop(&mut self) {
        self.forget(self.rest.len());
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn bytes_count_until_handed_over_a_piece_at_a_time() {
        // Arrange
        let unsent = Unsent::default();
        let mut body = unsent.body(Bytes::from(vec![7; PIECE + 10]));

        // Act
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        let counted_after_first = unsent.bytes();
        let second = body.frame().await.unwrap().unwrap().into_data().unwrap();

        // Assert
        assert_eq!((first.len(), counted_after_first), (PIECE, 10));
        assert_eq!(second.len(), 10);
        assert!(body.is_end_stream());
        assert_eq!(unsent.bytes(), 0);
    }

    #[test]
    fn a_body_dropped_before_it_is_sent_is_no_longer_counted() {
        let unsent = Unsent::default();
        let body = unsent.body(Bytes::from_static(b"{\"detail\":\"x\"}"));
        assert_eq!(unsent.bytes(), 14);

        drop(body);

        assert_eq!(unsent.bytes(), 0);
    }
}
