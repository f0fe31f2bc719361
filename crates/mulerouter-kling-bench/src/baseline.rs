//! The baseline: a bare hyper HTTP/1.1 server that reads each request and answers one fixed
//! small JSON body. Nothing is routed, validated or stored, so it marks the practical ceiling
//! of an HTTP server on this machine.
//!
//! It runs like wiremock's server, which the in-process mock is built on: hyper on a
//! current-thread tokio runtime (one thread), keep-alive connections, one task per connection.

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The answer to every request: a task as the create operation returns it.
pub const BODY: &str = r#"{"task_info":{"id":"8e1e315e-b50d-4334-a231-be7d19a372f4","status":"pending","created_at":"2026-03-03T00:00:00Z","updated_at":"2026-03-03T00:00:00Z"}}"#;

/// Serves on `listener` until killed.
pub fn serve(listener: std::net::TcpListener) -> std::io::Result<()> {
    crate::targets::serve_announcing(listener, "baseline", |listener| async move {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        Ok(tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let io = TokioIo::new(stream);
                tokio::spawn(http1::Builder::new().serve_connection(io, service_fn(answer)));
            }
        }))
    })
}
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body, as any real server must before answering on a kept-alive connection.
    let _ = request.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
