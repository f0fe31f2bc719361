//! Reading an answer's body without trusting its size.
//!
//! progenitor reads every body whole (`Response::bytes`) before parsing it. A server that
//! answers with gigabytes, or never stops sending, would make the client hold all of it. The
//! generated client's `exec` hook reads the body here first, up to a limit, and hands
//! progenitor a response rebuilt from what was read.

use reqwest::StatusCode;

/// The default limit: real answers are a few KiB of JSON, so this is far above any of them
/// while keeping memory small whatever a server sends.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// An answer that went past the limit; reading stopped there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow {
    pub status: StatusCode,
    pub limit: u64,
    /// Bytes received before reading stopped (0 when `Content-Length` alone was over).
    pub received: u64,
    /// The size the server announced in `Content-Length`, if any.
    pub announced: Option<u64>,
}

/// The body read, or where reading stopped.
pub(crate) enum Read {
    Whole(Vec<u8>),
    TooLarge(Overflow),
}

/// Reads `response`'s body, stopping as soon as it passes `limit` bytes. Dropping the
/// response then closes the connection, so the rest is never received.
pub(crate) async fn read(response: &mut reqwest::Response, limit: u64) -> reqwest::Result<Read> {
    let status = response.status();
    let announced = response.content_length();
    let overflow = |received| Overflow {
        status,
        limit,
        received,
        announced,
    };
    if announced.is_some_and(|length| length > limit) {
        return Ok(Read::TooLarge(overflow(0)));
    }
    // Trust the announced size only as far as the limit; a liar sends more or less.
    let capacity = announced.unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        let received = body.len() as u64 + chunk.len() as u64;
        if received > limit {
            return Ok(Read::TooLarge(overflow(received)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Read::Whole(body))
}

/// The same response with `body` in place of the stream already read.
pub(crate) fn rebuilt(response: reqwest::Response, body: Vec<u8>) -> reqwest::Response {
    let (parts, _) = http::Response::from(response).into_parts();
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

/// `bytes` in the unit a person reads best.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_printed_in_the_largest_fitting_unit() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(4 * 1024 * 1024), "4.0 MiB");
        assert_eq!(human_size(300 * 1024 * 1024 + 512 * 1024), "300.5 MiB");
    }
}
