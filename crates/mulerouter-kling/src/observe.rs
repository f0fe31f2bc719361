//! The generated client's hooks: every answer's body is read here, bounded, and its status
//! and headers are remembered for the hand-written layer.
//!
//! progenitor drops the status of an error answer whose body is not JSON (an HTML 502 from
//! a proxy) and hides the headers of transport-level failures; the hand-written layer needs
//! both to classify errors and to honour `Retry-After`. progenitor also reads bodies whole,
//! so `exec` reads them first with a limit ([`body_limit`](crate::body_limit)). A task-local
//! scoped around each call carries the limit in and what was seen out, keeping concurrent
//! calls apart.

use std::cell::RefCell;
use std::future::Future;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::body_limit::{self, DEFAULT_MAX_RESPONSE_BYTES, Overflow, Read};

/// What the last response of a call looked like.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// Set when the body went past the limit and was not read to its end.
    pub overflow: Option<Overflow>,
}

/// One call's state: the limit going in, the last response coming out.
#[derive(Debug)]
struct Call {
    max_response_bytes: u64,
    last: Option<Observed>,
}

tokio::task_local! {
    static CALL: RefCell<Call>;
}

/// Runs one generated call, reading at most `max_response_bytes` of its answer, and returns
/// its result with the response it observed.
pub(crate) async fn observed<T>(
    max_response_bytes: u64,
    call: impl Future<Output = T>,
) -> (T, Option<Observed>) {
    let state = RefCell::new(Call {
        max_response_bytes,
        last: None,
    });
    CALL.scope(state, async {
        let result = call.await;
        let seen = CALL.with(|cell| cell.borrow_mut().last.take());
        (result, seen)
    })
    .await
}

fn record(observed: Observed) {
    // Outside `observed` (a direct call of the raw client) there is nothing to record.
    let _ = CALL.try_with(|cell| cell.borrow_mut().last = Some(observed));
}

/// `url` with any user name and password in it replaced by `***`, fit for a log line.
fn without_credentials(url: &reqwest::Url) -> reqwest::Url {
    let mut url = url.clone();
    if !url.username().is_empty() {
        let _ = url.set_username("***");
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    url
}

impl ClientHooks<()> for crate::raw::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let limit = CALL
            .try_with(|cell| cell.borrow().max_response_bytes)
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        let operation = info.operation_id;
        // The key travels in a header that is never logged; credentials written into the base
        // URL itself (`https://user:secret@host`) are masked.
        tracing::debug!(operation, method = %request.method(), url = %without_credentials(request.url()), "sending request");
        let started = Instant::now();
        let mut response = self.client().execute(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let read = body_limit::read(&mut response, limit).await?;
        let elapsed_ms = started.elapsed().as_millis();
        // The answer's trace, for finding this call in the service's logs: on the call's span
        // (`Client::create`, `Client::get`), so that every event of the call carries it.
        let traceparent = crate::classify::traceparent(&headers);
        if let Some(traceparent) = &traceparent {
            tracing::Span::current().record("traceparent", traceparent.as_str());
        }
        let (body, overflow) = match read {
            Read::Whole(body) => {
                tracing::debug!(operation, %status, bytes = body.len(), elapsed_ms, traceparent, "answer received");
                (body, None)
            }
            Read::TooLarge(overflow) => {
                tracing::warn!(
                    operation,
                    %status,
                    limit = overflow.limit,
                    received = overflow.received,
                    announced = overflow.announced,
                    elapsed_ms,
                    "answer larger than the limit; stopped reading"
                );
                (Vec::new(), Some(overflow))
            }
        };
        record(Observed {
            status,
            headers,
            overflow,
        });
        Ok(body_limit::rebuilt(response, body))
    }
}

#[cfg(test)]
mod tests {
    use super::without_credentials;

    #[test]
    fn credentials_in_a_url_are_masked_for_the_log() {
        // Arrange
        let url = reqwest::Url::parse("https://user:sk-mr-secret@proxy.example/v1?x=1").unwrap();

        // Act
        let logged = without_credentials(&url).to_string();

        // Assert
        assert_eq!(logged, "https://***:***@proxy.example/v1?x=1");
        assert!(!logged.contains("secret"));
    }

    #[test]
    fn a_url_without_credentials_is_logged_as_it_is() {
        let url = reqwest::Url::parse("http://127.0.0.1:4010/generation").unwrap();
        assert_eq!(without_credentials(&url), url);
    }
}
