//! A client of the MuleRouter Kling mock's admin API (`/__admin/…`), generated from
//! `openapi/mock-admin.yaml` by `cargo xtask codegen` (the same generator and settings as
//! the API client, one more row in its outputs table).
//!
//! ```no_run
//! use mulerouter_kling_mock_admin::{connect, types};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let admin = connect("http://127.0.0.1:4010", None)?;
//! let failed = admin.list_tasks().status(types::TaskState::Failed).send().await?;
//! println!("{} failed tasks", failed.total);
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

#[rustfmt::skip]
#[allow(clippy::all, missing_docs, unused, unreachable_pub)]
mod generated;

pub use generated::{Client, builder, types};
/// The generated client's error and response types.
pub use progenitor_client::{Error, ResponseValue};

/// How long one admin call may take before it fails (the mock answers at once).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A client of the mock at `base_url` (e.g. `http://127.0.0.1:4010`), sending `admin_token`
/// as `Authorization: Bearer …` when the mock was started with one (`--admin-token`).
pub fn connect(base_url: &str, admin_token: Option<&str>) -> Result<Client, ConnectError> {
    let mut headers = HeaderMap::new();
    if let Some(token) = admin_token {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| ConnectError::Token)?;
        // Kept out of debug output and logs.
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(TIMEOUT)
        .build()
        .map_err(ConnectError::Http)?;
    Ok(Client::new_with_client(
        base_url.trim_end_matches('/'),
        http,
    ))
}

/// Why [`connect`] could not make a client.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The admin token holds a character a header cannot carry.
    Token,
    /// The HTTP client could not be built.
    Http(reqwest::Error),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token => {
                f.write_str("the admin token holds a character an HTTP header cannot carry")
            }
            Self::Http(error) => write!(f, "cannot build the HTTP client: {error}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Token => None,
            Self::Http(error) => Some(error),
        }
    }
}

/// The most of one answer read: the largest the mock gives, a read of its journal, holds at
/// most 8 MiB of entries.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Marks an answer whose body went past [`MAX_ANSWER_BYTES`]; what was read of it is dropped.
#[derive(Debug, Clone, Copy)]
struct TooLarge;

/// The generated client's hooks. progenitor reads a body whole before parsing it, so a server
/// at the wrong address answering with gigabytes, or without end, would be held in memory
/// until the time limit: the body is read here first, up to [`MAX_ANSWER_BYTES`], and an
/// answer past it becomes an [`Error::Custom`] saying so.
impl progenitor_client::ClientHooks<()> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use progenitor_client::ClientInfo;
        let mut response = self.client().execute(request).await?;
        let limit = MAX_ANSWER_BYTES;
        let mut too_large = response
            .content_length()
            .is_some_and(|length| length > limit as u64);
        let mut body = Vec::new();
        while !too_large {
            let Some(chunk) = response.chunk().await? else {
                break;
            };
            too_large = body.len() + chunk.len() > limit;
            if !too_large {
                body.extend_from_slice(&chunk);
            }
        }
        // Dropping the response closes its connection: the rest is never received.
        let (mut parts, _) = http::Response::from(response).into_parts();
        if too_large {
            parts.extensions.insert(TooLarge);
            body = Vec::new();
        }
        Ok(http::Response::from_parts(parts, body).into())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _: &progenitor_client::OperationInfo,
    ) -> Result<(), Error<E>> {
        match result {
            Ok(response) if response.extensions().get::<TooLarge>().is_some() => {
                Err(Error::Custom(format!(
                    "the answer ({}) went past {} MiB, more than any answer of the mock's admin API; stopped reading",
                    response.status(),
                    MAX_ANSWER_BYTES >> 20
                )))
            }
            _ => Ok(()),
        }
    }
}
