//! Which server to talk to: MuleRouter when a key is set, the built-in mock otherwise (with
//! the default `offline-mock` feature; without it, a key is required).

use mulerouter_kling::{API_KEY_ENV, BASE_URL_ENV, Client, Error};
use std::time::Duration;

#[cfg(feature = "offline-mock")]
use mulerouter_kling_mock::{MockMuleRouter, Timing};

/// The client, and the mock it talks to when running offline (kept alive while in use).
pub struct Backend {
    pub client: Client,
    #[cfg(feature = "offline-mock")]
    mock: Option<MockMuleRouter>,
}

impl Backend {
    /// Whether this is the built-in mock, started for this command alone.
    pub fn is_offline(&self) -> bool {
        #[cfg(feature = "offline-mock")]
        return self.mock.is_some();
        #[cfg(not(feature = "offline-mock"))]
        return false;
    }

    /// How long to pause before the first poll: the mock answers at once, the service takes
    /// minutes.
    pub fn first_poll_interval(&self) -> Duration {
        #[cfg(feature = "offline-mock")]
        if self.mock.is_some() {
            return Duration::from_millis(250);
        }
        mulerouter_kling::WaitOptions::default().initial_interval
    }
}

/// With `MULEROUTER_API_KEY` set: MuleRouter (or `MULEROUTER_BASE_URL`). Without: a mock
/// server in this process, announced in one line on stderr; a `MULEROUTER_BASE_URL` without
/// a key is refused rather than left unused.
pub async fn connect() -> Result<Backend, Error> {
    let set = |name| std::env::var(name).is_ok_and(|value: String| !value.trim().is_empty());
    // Set to nothing (a CI secret that did not come through) is a mistake, not a request to
    // run offline: a job would "succeed" against the built-in mock.
    if std::env::var_os(API_KEY_ENV).is_some() && !set(API_KEY_ENV) {
        return Err(Error::Config(format!(
            "{API_KEY_ENV} is set but empty: give it a key, or unset it to run offline \
             against the built-in mock"
        )));
    }
    if !set(API_KEY_ENV) && set(BASE_URL_ENV) {
        // Going offline here would talk to a mock of this process while the user believes
        // they talk to their server.
        return Err(Error::Config(format!(
            "{BASE_URL_ENV} is set but {API_KEY_ENV} is not: set a key too (a mock accepts \
             sk-mr-test), or unset {BASE_URL_ENV} to run offline against the built-in mock"
        )));
    }
    if set(API_KEY_ENV) {
        return Ok(Backend {
            client: Client::from_env()?,
            #[cfg(feature = "offline-mock")]
            mock: None,
        });
    }
    offline().await
}

/// The built-in mock and a client of it.
#[cfg(feature = "offline-mock")]
async fn offline() -> Result<Backend, Error> {
    // On the clock like the service, only in seconds instead of minutes, so that the
    // progress display has something to show.
    let mock = MockMuleRouter::builder()
        .timing(Timing::WallClock {
            pending: Duration::from_secs(1),
            processing: Duration::from_secs(2),
        })
        .start()
        .await;
    eprintln!(
        "No {API_KEY_ENV} set: using the built-in mock server at {} (offline; nothing is billed, tasks live as long as this command).",
        mock.uri()
    );
    let client = Client::builder()
        .api_key(mulerouter_kling::ApiKey::new(mock.suggested_key())?)
        .base_url(mock.uri())
        .build()?;
    Ok(Backend {
        client,
        mock: Some(mock),
    })
}

/// Built without the mock: the key is required, and the client says so.
#[cfg(not(feature = "offline-mock"))]
async fn offline() -> Result<Backend, Error> {
    Ok(Backend {
        client: Client::from_env()?,
    })
}
