//! The connection layer: accepting (with an optional limit per address), HTTP/1.1 and HTTP/2
//! cleartext (h2c, as the OpenTelemetry Collector serves it), keep-alive, the header timeout,
//! and the routes,
//! `POST /v1/traces` (one export's [`pipeline`](super::pipeline)) and `GET /status`. Every
//! refusal is counted here, by status and reason, as it is answered.
//!
//! On shutdown it stops accepting, lets the requests in flight finish, and returns the counts.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
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
    let peers = Arc::new(Peers::default());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.limits.header_timeout)
        .keep_alive(true)
        // A client that half-closes after sending its request still gets the answer.
        .half_close(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(state.limits.header_timeout)
        .keep_alive_timeout(state.limits.header_timeout);
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
        let Ok((stream, peer)) = accepted else {
            // Out of file descriptors, a connection reset before it was accepted: the next
            // accept may work.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let Some(peer) = peers.admit(peer.ip(), state.limits.max_connections_per_peer) else {
            // Over its address's limit: closed at once, before it costs anything more.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let connection = builder
            .serve_connection(
                TokioIo::new(stream),
                service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(route(&state, request).await) }
                }),
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(peer);
            drop(permit);
        });
    }
    drop(listener);
    // Requests in flight finish; idle connections close. A stalled client is cut off by its
    // timeouts, so this ends.
    graceful.shutdown().await;
    state.counts.snapshot()
}

/// The connections open from each address, when they are limited.
#[derive(Debug, Default)]
struct Peers(Mutex<HashMap<IpAddr, usize>>);

/// One connection of an address, counted until dropped.
#[derive(Debug)]
struct Peer {
    peers: Option<(Arc<Peers>, IpAddr)>,
}

impl Peers {
    /// Counts a connection from `ip`, or `None` when `limit` of them are open already.
    fn admit(self: &Arc<Self>, ip: IpAddr, limit: Option<usize>) -> Option<Peer> {
        let Some(limit) = limit else {
            return Some(Peer { peers: None });
        };
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Peer {
            peers: Some((Arc::clone(self), ip)),
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some((peers, ip)) = self.peers.take() {
            let mut open = peers.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = open.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&ip);
                }
            }
        }
    }
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
