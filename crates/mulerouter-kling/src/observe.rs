//! The generated client's hook: remembers the status and headers of the last response.
//!
//! progenitor drops the status of an error answer whose body is not JSON (an HTML 502 from
//! a proxy) and hides the headers of transport-level failures; the hand-written layer needs
//! both to classify errors and to honour `Retry-After`. A task-local scoped around each call
//! keeps concurrent calls apart.

use std::cell::RefCell;
use std::future::Future;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// What the last response of a call looked like before its body was read.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

tokio::task_local! {
    static LAST_RESPONSE: RefCell<Option<Observed>>;
}

/// Runs one generated call and returns its result with the response it observed.
pub(crate) async fn observed<T>(call: impl Future<Output = T>) -> (T, Option<Observed>) {
    LAST_RESPONSE
        .scope(RefCell::new(None), async {
            let result = call.await;
            let seen = LAST_RESPONSE.with(|cell| cell.borrow_mut().take());
            (result, seen)
        })
        .await
}

impl ClientHooks<()> for crate::raw::Client {
    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Ok(response) = result {
            // Outside `observed` (a direct call of the raw client) there is nothing to record.
            let _ = LAST_RESPONSE.try_with(|cell| {
                *cell.borrow_mut() = Some(Observed {
                    status: response.status(),
                    headers: response.headers().clone(),
                });
            });
        }
        Ok(())
    }
}
