//! The connection layer: accepting, keep-alive, the header timeout, and the routes,
//! `POST /v1/traces` (one export's [`pipeline`](super::pipeline)) and `GET /status`. Every
//! refusal is counted here, by status and reason, as it is answered.
//!
//! On shutdown it stops accepting, lets the requests in flight finish, and returns the counts.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::decode::Format;
use crate::serve::answer::{Rejection, response};
use crate::serve::counts::Counts;
use crate::serve::pipeline;
use crate::serve::state::State;

/// Serves on `listener` until `shutdown` resolves; then stops accepting, finishes the requests
/// in flight, and returns the counts.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()>,
) -> Counts {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(state.limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors, a connection reset before it was accepted: the next
            // accept may work.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(state.limits.request_timeout)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(stream),
                service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(route(&state, request).await) }
                }),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    // Requests in flight finish; idle connections close. A stalled client is cut off by its
    // request timeout, so this ends.
    graceful.shutdown().await;
    state.counts.snapshot()
}

async fn route(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    let refused = match (request.method(), path) {
        (&Method::POST, "/v1/traces") => match pipeline::traces(state, request).await {
            Ok(response) => return response,
            Err(refusal) => refusal,
        },
        (_, "/v1/traces") => (
            Rejection::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "use POST",
            )
            .allow("POST"),
            None,
        ),
        (&Method::GET, "/status") => {
            let body = serde_json::to_vec(&state.status()).unwrap_or_default();
            return response(StatusCode::OK, "application/json", body);
        }
        (_, "/status") => (
            Rejection::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "use GET",
            )
            .allow("GET"),
            None,
        ),
        _ => (
            Rejection::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "not found: events go to POST /v1/traces, counts come from GET /status",
            ),
            None,
        ),
    };
    refuse(state, refused)
}

/// Counts a refusal, then answers it.
fn refuse(
    state: &State,
    (rejection, format): (Rejection, Option<Format>),
) -> Response<Full<Bytes>> {
    state.counts.update(|counts| {
        counts
            .refused
            .count(rejection.status.as_u16(), rejection.reason, rejection.lost);
    });
    rejection.respond(format)
}
