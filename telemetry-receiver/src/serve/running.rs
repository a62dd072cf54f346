//! A receiver running on a thread of its own, with its own runtime: what `serve`, the live
//! check, tests and benchmarks start, and stop with [`Running::stop`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::accept::contract::Contract;
use crate::error::Error;
use crate::serve::counts::{Counts, SharedCounts};
use crate::serve::limits::Limits;
use crate::serve::server;
use crate::serve::state::State;
use crate::store::Store;
use crate::store::retention::{self, Retention};

/// How a receiver serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where it listens; port 0 picks a free one. Default `127.0.0.1:4318`, OTLP/HTTP's port.
    pub listen: SocketAddr,
    /// What a request may cost it.
    pub limits: Limits,
    /// The names of the spans that carry events, instead of the catalogue's (`--span-name`).
    pub span_names: Vec<String>,
    /// Whether events are checked against the schemas; off only to measure what checking costs.
    pub validate: bool,
    /// Whether events and failures are stored; off only to measure what storing costs.
    pub store: bool,
    /// How many days of stored files are kept (`--retain-days`, `--retain-failed-days`):
    /// older ones are deleted at start and then once a day; by default nothing is deleted.
    pub retention: Retention,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 4318)),
            limits: Limits::default(),
            span_names: Vec::new(),
            validate: true,
            store: true,
            retention: Retention::default(),
        }
    }
}

/// A receiver serving on a thread of its own.
#[derive(Debug)]
pub struct Running {
    address: SocketAddr,
    counts: Arc<SharedCounts>,
    contract: Arc<Contract>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Counts>>,
}

impl Running {
    /// Starts a receiver checking events against the schemas in `schemas` and storing them in
    /// `data`, as `options` say.
    ///
    /// # Errors
    ///
    /// When the schemas cannot be read, the data folder made, the address bound, or the
    /// receiver's threads started.
    pub fn start(schemas: &Path, data: &Path, options: &Options) -> Result<Self, Error> {
        let contract = Contract::load(schemas)?.with_span_names(options.span_names.clone());
        if contract.span_names().is_empty() {
            return Err(Error::new(
                "the catalogue names no span (generate it again with this toolkit's `cargo xtask \
                 schema`), and no --span-name was given",
            ));
        }
        let contract = Arc::new(contract);
        let store = if options.store {
            let store = Store::open(data, options.limits.max_in_flight.saturating_mul(2))?;
            // Under the folder's lock, which the store now holds.
            retention::apply_now(data, options.retention);
            Some(store)
        } else {
            None
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name("receiver")
            .enable_all()
            .build()
            .map_err(|error| Error::new(format!("cannot start the runtime: {error}")))?;
        let listener = {
            let _runtime = runtime.enter();
            listen(options.listen).map_err(|error| {
                Error::new(format!("cannot listen on {}: {error}", options.listen))
            })?
        };
        let address = listener
            .local_addr()
            .map_err(|error| Error::new(format!("cannot tell the address: {error}")))?;
        let counts = Arc::new(SharedCounts::default());
        let state = Arc::new(State::new(
            Arc::clone(&contract),
            store,
            options.limits,
            options.validate,
            Arc::clone(&counts),
        ));
        let (stop, stopped) = oneshot::channel::<()>();
        let (data_folder, options_retention) = (data.to_owned(), options.retention);
        let thread = std::thread::Builder::new()
            .name("receiver".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if options_retention.deletes() {
                        tokio::spawn(daily(data_folder, options_retention));
                    }
                    server::serve(listener, state, async {
                        let _ = stopped.await;
                    })
                    .await
                })
            })
            .map_err(|error| Error::new(format!("cannot start the receiver's thread: {error}")))?;
        Ok(Running {
            address,
            counts,
            contract,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where a program sends its events: `http://ADDRESS/v1/traces`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.address)
    }

    /// What it has received so far.
    pub fn counts(&self) -> Counts {
        self.counts.snapshot()
    }

    /// The contract it checks events against.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The contract, to keep past [`stop`](Self::stop).
    pub(crate) fn shared_contract(&self) -> Arc<Contract> {
        Arc::clone(&self.contract)
    }

    /// Stops accepting, lets the requests in flight finish, and returns what it received.
    pub fn stop(mut self) -> Counts {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Counts {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or_else(|| self.counts.snapshot())
    }
}

/// Applies `retention` to `data` once a day, a minute past midnight UTC, for as long as the
/// receiver runs.
async fn daily(data: std::path::PathBuf, retention: Retention) {
    const DAY_MS: u64 = 86_400_000;
    loop {
        let wait = DAY_MS - crate::day::now_ms() % DAY_MS + 60_000;
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        let data = data.clone();
        let _ = tokio::task::spawn_blocking(move || retention::apply_now(&data, retention)).await;
    }
}

/// A socket listening on `address`, with a backlog sized for bursts
/// ([`Limits::BACKLOG`]); within a runtime.
fn listen(address: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std's `TcpListener::bind`: a restarted receiver binds its port again at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(Limits::BACKLOG)
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shut_down();
    }
}
