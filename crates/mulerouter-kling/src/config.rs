//! Building a [`Client`]: credentials, base URL, timeouts and retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::{Client, Error, RetryPolicy};

/// The environment variable holding the API key.
pub const API_KEY_ENV: &str = "MULEROUTER_API_KEY";
/// The environment variable that overrides the base URL (a proxy, a mock).
pub const BASE_URL_ENV: &str = "MULEROUTER_BASE_URL";
/// How long one call may take in all by default, retries included
/// ([`ClientBuilder::call_timeout`]).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest answer body read by default ([`ClientBuilder::max_response_bytes`]).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = crate::body_limit::DEFAULT_MAX_RESPONSE_BYTES;
/// MuleRouter's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.mulerouter.ai";

/// An API key. Its `Debug` output never shows it, and it has no `Display`: the key cannot be
/// printed by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; leading and trailing white space (a pasted newline) is dropped.
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into().trim().to_string();
        if key.is_empty() {
            return Err(Error::Config(format!(
                "the API key is empty; set {API_KEY_ENV} to your MuleRouter key (sk-mr-…)"
            )));
        }
        if key.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(Error::Config(
                "the API key has characters a header cannot carry; copy it again from the MuleRouter console".to_string(),
            ));
        }
        Ok(Self(key))
    }

    /// The `Authorization` header value, marked sensitive so that it is never logged.
    fn header_value(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0))
            .expect("ApiKey::new admits only visible ASCII");
        value.set_sensitive(true);
        value
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where a setting came from, so that an error's hint names the place to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Not set: the built-in default.
    Default,
    /// From `MULEROUTER_API_KEY` or `MULEROUTER_BASE_URL`.
    Environment,
    /// Given in code, to [`ClientBuilder`].
    Program,
}

/// Settings for a [`Client`]; start from [`Client::builder`] (or
/// [`ClientBuilder::from_env`]), then [`build`](Self::build).
///
/// | Setting | Default |
/// | --- | --- |
/// | [`api_key`](Self::api_key) | none: required |
/// | [`base_url`](Self::base_url) | [`DEFAULT_BASE_URL`] |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s |
/// | [`request_timeout`](Self::request_timeout) (one attempt) | 60 s |
/// | [`call_timeout`](Self::call_timeout) (a call's attempts and pauses) | [`DEFAULT_CALL_TIMEOUT`], 2 minutes |
/// | [`retry_policy`](Self::retry_policy) | [`RetryPolicy::default`]: 4 attempts, 0.5–30 s backoff |
/// | [`max_response_bytes`](Self::max_response_bytes) | [`DEFAULT_MAX_RESPONSE_BYTES`], 4 MiB |
/// | [`http`](Self::http) (proxy, certificates, user agent, …) | reqwest's defaults, proxies from the environment |
///
/// The crate docs show [a setup with all of them](crate#setting-up-a-client).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    api_key_origin: Origin,
    base_url: String,
    base_url_origin: Origin,
    connect_timeout: Duration,
    request_timeout: Duration,
    call_timeout: Duration,
    max_response_bytes: u64,
    retry: RetryPolicy,
    http_setup: Option<HttpSetup>,
}

/// What [`ClientBuilder::http`] was given: shared, so that the builder stays `Clone`.
#[derive(Clone)]
struct HttpSetup(Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>);

impl fmt::Debug for HttpSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpSetup(..)")
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            api_key_origin: Origin::Default,
            base_url: DEFAULT_BASE_URL.to_string(),
            base_url_origin: Origin::Default,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            call_timeout: DEFAULT_CALL_TIMEOUT,
            max_response_bytes: crate::body_limit::DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            http_setup: None,
        }
    }
}

impl ClientBuilder {
    /// Settings from the environment: `MULEROUTER_API_KEY` (required) and
    /// `MULEROUTER_BASE_URL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        let key = std::env::var(API_KEY_ENV).map_err(|_| {
            Error::Config(format!(
                "{API_KEY_ENV} is not set; export {API_KEY_ENV}=sk-mr-… with a key from the MuleRouter console"
            ))
        })?;
        let mut builder = Self::default().api_key(ApiKey::new(key)?);
        builder.api_key_origin = Origin::Environment;
        if let Ok(base_url) = std::env::var(BASE_URL_ENV)
            && !base_url.trim().is_empty()
        {
            builder = builder.base_url(base_url.trim());
            builder.base_url_origin = Origin::Environment;
        }
        Ok(builder)
    }

    /// The key sent as `Authorization: Bearer …`.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_key = Some(key);
        self.api_key_origin = Origin::Program;
        self
    }

    /// The service's address, without the `/vendors/…` path (default: production):
    /// `http(s)://host[:port][/prefix]`. [`build`](Self::build) refuses one with a query, a
    /// fragment, or a user name or password (they would be sent instead of the key; a proxy's
    /// credentials go to [`reqwest::Proxy::basic_auth`] through [`http`](Self::http)).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self.base_url_origin = Origin::Program;
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take in all, connecting and reading the body included
    /// (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long one call ([`Client::create`], [`Client::get`]) may take in all: every
    /// attempt and the waits between them (default 2 minutes). When it runs out, what is in
    /// flight is abandoned and the call returns [`Error::TimedOut`]; a retry whose wait would
    /// end past it is not attempted. [`Client::with_call_timeout`] changes it per use.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// The largest answer body the client reads, in bytes (default 4 MiB; real answers are
    /// a few KiB). Past it the client stops reading and returns
    /// [`Error::ResponseTooLarge`], so memory stays bounded whatever a server sends.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets up the HTTP client beyond what this builder offers: a proxy, a root certificate
    /// of your own, a local address, HTTP/2 settings, more default headers, … (see
    /// [`reqwest::ClientBuilder`]). `setup` gets reqwest's builder with this crate's user
    /// agent, which it may replace to name your app; the key, the timeouts of this builder
    /// and the redirect policy (never follow: a redirected create would lose its body) are
    /// applied after it, so they hold whatever it sets. Proxies from the environment
    /// (`HTTPS_PROXY`, …) are used without it.
    ///
    /// ```
    /// # fn main() -> Result<(), mulerouter_kling::Error> {
    /// use mulerouter_kling::{Client, reqwest};
    ///
    /// let client = Client::builder()
    ///     .api_key(mulerouter_kling::ApiKey::new("sk-mr-your-key")?)
    ///     .http(|http| http.proxy(reqwest::Proxy::https("http://proxy.internal:3128").unwrap()))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn http(
        mut self,
        setup: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.http_setup = Some(HttpSetup(Arc::new(setup)));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let api_key = self.api_key.ok_or_else(|| {
            Error::Config(format!(
                "no API key; set {API_KEY_ENV} or call ClientBuilder::api_key"
            ))
        })?;
        let base_url = normalise_base_url(&self.base_url)?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, api_key.header_value());
        // The user agent before the setup, so that an app can name itself; the key and the
        // timeouts after it, so that they hold.
        let http = reqwest::Client::builder().user_agent(concat!(
            env!("CARGO_PKG_NAME"),
            "/",
            env!("CARGO_PKG_VERSION")
        ));
        let http = match &self.http_setup {
            Some(HttpSetup(setup)) => setup(http),
            None => http,
        };
        let http = http
            .default_headers(headers)
            // A redirected POST comes back as a GET without its body (and, across hosts,
            // without its key): the answer would be blamed on the wrong thing. A 3xx is
            // reported with where it points instead.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .build()
            .map_err(|e| {
                // reqwest's own message is "builder error"; the cause is in its sources.
                let why = crate::error::causes(&e);
                Error::Config(format!("cannot build the HTTP client: {why}"))
            })?;
        Ok(Client::from_parts(
            crate::raw::Client::new_with_client(&base_url, http),
            crate::client::Limits {
                retry: self.retry,
                call_timeout: self.call_timeout,
                max_response_bytes: self.max_response_bytes,
            },
            crate::client::Origins {
                api_key: self.api_key_origin,
                base_url: self.base_url_origin,
            },
        ))
    }
}

/// Accepts `http(s)://host[:port][/prefix]`, drops a trailing slash (the generated client
/// appends paths starting with `/`).
fn normalise_base_url(text: &str) -> Result<String, Error> {
    let url = url::Url::parse(text).map_err(|e| {
        Error::Config(format!(
            "base URL {text:?} is not a URL ({e}); e.g. {DEFAULT_BASE_URL}"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "base URL {text:?} must be http(s)://host[:port]; e.g. {DEFAULT_BASE_URL}"
        )));
    }
    // reqwest turns credentials in a URL into `Authorization: Basic …`, which then stands in
    // for the key (every call answered 401), and the URL is shown in messages and `Debug`.
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("***");
        let _ = shown.set_password(None);
        return Err(Error::Config(format!(
            "base URL {shown} must not hold a user name or password: they would be sent instead of the API key; \
             for a proxy that asks for them, give them to reqwest::Proxy::basic_auth in ClientBuilder::http"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {text:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let key = ApiKey::new("sk-mr-secret").unwrap();
        let builder = ClientBuilder::default().api_key(key.clone());
        assert!(!format!("{key:?} {builder:?}").contains("secret"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("secret"));
    }

    #[test]
    fn the_authorization_header_is_bearer_and_sensitive() {
        let value = ApiKey::new(" sk-mr-abc\n").unwrap().header_value();
        assert_eq!(value.to_str().unwrap(), "Bearer sk-mr-abc");
        assert!(value.is_sensitive());
    }

    #[test]
    fn empty_or_unprintable_keys_are_refused() {
        assert!(matches!(ApiKey::new("  "), Err(Error::Config(m)) if m.contains(API_KEY_ENV)));
        assert!(matches!(ApiKey::new("sk mr"), Err(Error::Config(_))));
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            normalise_base_url("http://127.0.0.1:4010/").unwrap(),
            "http://127.0.0.1:4010"
        );
        assert_eq!(
            normalise_base_url("https://proxy.example/api/").unwrap(),
            "https://proxy.example/api"
        );
        for bad in ["api.mulerouter.ai", "ftp://x", "https://x/?a=1", ""] {
            assert!(
                matches!(normalise_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_base_url_with_credentials_is_refused_without_showing_them() {
        // Act
        let error = normalise_base_url("https://alice:sk-mr-secret@proxy.example/").unwrap_err();

        // Assert
        let Error::Config(message) = &error else {
            panic!("{error:?}")
        };
        assert!(
            !message.contains("secret") && !message.contains("alice"),
            "{message}"
        );
        assert!(message.contains("https://***@proxy.example/"), "{message}");
        assert!(
            normalise_base_url("https://user@proxy.example").is_err(),
            "a user name alone replaces the key too"
        );
    }

    #[test]
    fn building_without_a_key_says_which_variable_to_set() {
        let error = ClientBuilder::default().build().unwrap_err();
        assert!(error.to_string().contains("MULEROUTER_API_KEY"), "{error}");
    }
}
