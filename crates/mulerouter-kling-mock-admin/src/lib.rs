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

/// The generated client's hooks: none beyond progenitor's defaults.
impl progenitor_client::ClientHooks<()> for Client {}
