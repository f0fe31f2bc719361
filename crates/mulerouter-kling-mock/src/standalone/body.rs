//! Reading a request's body under the server's limits, holding no more memory than the bytes
//! that came justify.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;
use hyper::body::Body as _;
use hyper::body::Incoming;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{
    BODY_PIECES_TAKEN_ANYWAY, MAX_BODY_BYTES_HELD, MIN_BODY_BYTES_PER_SECOND,
    MIN_BYTES_PER_BODY_PIECE, at_limit, share,
};
use crate::dispatch::too_large;
use crate::document::MAX_BODY_BYTES;
use crate::reply::Reply;
use crate::text::shorten;

/// The whole body and its share of the server's budget of body bytes, or the answer refusing
/// it: 413 over the limit (before reading when the length is declared), 408 when it stalls
/// or arrives slower than [`MIN_BODY_BYTES_PER_SECOND`], 400 when it comes in too many small
/// pieces (see [`BODY_PIECES_TAKEN_ANYWAY`]), 503 when the budget is spent or the memory for
/// it cannot be had.
///
/// The budget counts the buffer's capacity, not only the bytes in it, and the buffer grows
/// only as bytes arrive: a declared `Content-Length` bounds the growth but reserves nothing,
/// so a client that announces 32 MiB and sends one byte holds one byte, not 32 MiB.
pub(crate) async fn read_body<'a>(
    headers: &http::HeaderMap,
    mut body: Incoming,
    stall: Duration,
    bodies: &'a Semaphore,
) -> Result<(Bytes, Option<SemaphorePermit<'a>>), Reply> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok());
    if let Some(length) = declared
        && length > MAX_BODY_BYTES as u64
    {
        return Err(too_large(Some(length)));
    }
    if body.is_end_stream() {
        // No body (a GET): nothing to wait for.
        return Ok((Bytes::new(), None));
    }
    // At most MAX_BODY_BYTES, checked above.
    let most = declared.map_or(MAX_BODY_BYTES, |length| length as usize);
    let started = Instant::now();
    let mut held: Option<SemaphorePermit<'a>> = None;
    let mut bytes: Vec<u8> = Vec::new();
    let mut pieces = 0usize;
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Err(_) => {
                return Err(Reply::detail(
                    408,
                    format!(
                        "Request Timeout: the body sent nothing for {stall:?} ({} bytes received)",
                        bytes.len()
                    ),
                ));
            }
            Ok(None) => return Ok((Bytes::from(bytes), held)),
            Ok(Some(Err(error))) => {
                return Err(Reply::detail(
                    400,
                    format!(
                        "Bad Request: the body could not be read: {}",
                        shorten(&error.to_string(), 120)
                    ),
                ));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        pieces += 1;
        if too_many(pieces, bytes.len()) {
            return Err(Reply::detail(
                400,
                format!(
                    "Bad Request: the body came in {pieces} pieces of {:.1} bytes on average; the mock takes {BODY_PIECES_TAKEN_ANYWAY} pieces and one more per {MIN_BYTES_PER_BODY_PIECE} bytes: send it in larger chunks",
                    bytes.len() as f64 / pieces as f64
                ),
            ));
        }
        if let Ok(data) = frame.into_data() {
            let wanted = bytes.len() + data.len();
            if wanted > MAX_BODY_BYTES {
                return Err(too_large(None));
            }
            if wanted > bytes.capacity() {
                let capacity = grown_capacity(bytes.capacity(), wanted, most);
                let share = take(bodies, capacity - bytes.capacity())?;
                // A failed allocation aborts the process; asked for first, it is a 503.
                if bytes.try_reserve_exact(capacity - bytes.len()).is_err() {
                    return Err(at_limit("has no memory left for this body"));
                }
                merge(&mut held, share);
                // The allocator may hand out more than asked: that is held too.
                if bytes.capacity() > capacity {
                    merge(&mut held, take(bodies, bytes.capacity() - capacity)?);
                }
            }
            bytes.extend_from_slice(&data);
        }
        let due = started.elapsed().saturating_sub(stall).as_secs_f64()
            * MIN_BODY_BYTES_PER_SECOND as f64;
        if (bytes.len() as f64) < due {
            return Err(Reply::detail(
                408,
                format!(
                    "Request Timeout: the body arrives slower than {MIN_BODY_BYTES_PER_SECOND} bytes/s ({} bytes in {:.1?})",
                    bytes.len(),
                    started.elapsed()
                ),
            ));
        }
    }
}

/// The capacity a body's buffer grows to when `wanted` bytes no longer fit in `capacity`:
/// at least double, so that reading a body in many pieces copies at most twice its size in
/// all, but never past `most` (its declared length, or the limit) unless `wanted` is past it.
fn grown_capacity(capacity: usize, wanted: usize, most: usize) -> usize {
    (capacity * 2).clamp(wanted, most.max(wanted))
}

/// Whether `pieces` are more than a body of `bytes` may come in (checked before the last
/// piece's bytes are added, so a body of few large pieces is never refused).
fn too_many(pieces: usize, bytes: usize) -> bool {
    pieces > BODY_PIECES_TAKEN_ANYWAY + bytes / MIN_BYTES_PER_BODY_PIECE
}

/// `bytes` more of the server's budget of body bytes, or the 503 saying it is spent.
fn take(bodies: &Semaphore, bytes: usize) -> Result<SemaphorePermit<'_>, Reply> {
    share(bodies, bytes).ok_or_else(|| {
        at_limit(&format!(
            "is receiving {} MiB of request bodies at once, its most",
            MAX_BODY_BYTES_HELD >> 20
        ))
    })
}

fn merge<'a>(held: &mut Option<SemaphorePermit<'a>>, share: SemaphorePermit<'a>) {
    match held.as_mut() {
        Some(held) => held.merge(share),
        None => *held = Some(share),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_piece_gets_a_buffer_of_its_own_size_whatever_length_is_announced() {
        assert_eq!(grown_capacity(0, 526, 526), 526);
        assert_eq!(grown_capacity(0, 1, 1_000_000), 1);
        assert_eq!(grown_capacity(0, 16_384, 1_000_000), 16_384);
    }

    #[test]
    fn a_buffer_at_least_doubles_so_a_body_in_small_pieces_is_copied_at_most_twice_over() {
        let mut capacity = 0;
        let mut copied = 0;
        for received in (1..=MAX_BODY_BYTES).step_by(1000) {
            if received > capacity {
                copied += capacity;
                capacity = grown_capacity(capacity, received, MAX_BODY_BYTES);
            }
        }
        assert!(copied <= 2 * MAX_BODY_BYTES, "{copied} bytes copied");
        assert_eq!(capacity, MAX_BODY_BYTES);
    }

    #[test]
    fn a_body_may_come_in_16_384_pieces_of_any_size_then_one_more_per_256_bytes() {
        assert!(!too_many(BODY_PIECES_TAKEN_ANYWAY, 0));
        assert!(too_many(BODY_PIECES_TAKEN_ANYWAY + 1, 0));
        assert!(!too_many(
            BODY_PIECES_TAKEN_ANYWAY + 1,
            MIN_BYTES_PER_BODY_PIECE
        ));
        // A create with both texts at 2 500 ASCII characters and four URLs of the longest
        // is taken even in 1-byte pieces.
        let text_only = 2 * 2500 + 4 * 2048 + 200;
        assert!((1..=text_only).all(|piece| !too_many(piece, piece - 1)));
        // 16 KiB pieces, as h2 sends them, up to the limit.
        let pieces = MAX_BODY_BYTES / 16_384;
        assert!(!too_many(pieces, MAX_BODY_BYTES - 16_384));
    }

    #[test]
    fn a_buffer_never_grows_past_the_declared_length_but_always_holds_what_came() {
        assert_eq!(grown_capacity(600_000, 700_000, 1_000_000), 1_000_000);
        assert_eq!(grown_capacity(1_000_000, 1_000_001, 1_000_000), 1_000_001);
    }
}
