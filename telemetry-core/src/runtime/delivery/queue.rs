//! The queues between the runtime's threads: a `VecDeque` behind a mutex, with a condition
//! variable to wait on. The standard library's channels would do, but each message type they
//! carry compiles three channel flavours into the host program (about 23 KB each, measured);
//! this one compiles a few hundred bytes per type, and the runtime's queues are short and
//! lightly used (one host thread hands events to one background thread).
//!
//! The lock is held only to push or pop: never while waiting, never across I/O. A poisoned lock
//! is taken over (a panic elsewhere leaves the deque consistent: no operation panics midway).

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Why a message was not queued; the message comes back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TrySendError<T> {
    /// The queue holds as many messages as it may.
    Full(T),
    /// The receiver is gone.
    Disconnected(T),
}

/// Why nothing was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecvTimeoutError {
    /// Nothing came in time.
    Timeout,
    /// Every sender is gone and the queue is empty.
    Disconnected,
}

/// The sending end; clones share the queue.
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving end.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// Shows no message: they need not be `Debug`.
impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receiver { .. }")
    }
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// The number of queued messages, stored under the lock whenever it changes: a full queue
    /// refuses a message without taking the lock (the host's thread then pays two loads, not a
    /// lock, for each event it cannot queue).
    len: AtomicUsize,
    /// The most messages it holds.
    capacity: usize,
    /// Signalled when a message arrives or the last sender goes.
    changed: Condvar,
}

struct State<T> {
    messages: VecDeque<T>,
    senders: usize,
    receiver: bool,
    /// Whether the receiver waits on `changed`: only then does a sender signal it, since a
    /// signal is a system call even when nobody waits (it made each `emit` 1 µs slower).
    waiting: bool,
}

/// A queue of at most `capacity` messages (at least one), its room allocated up front.
pub(crate) fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let capacity = capacity.max(1);
    with_state(
        State {
            messages: VecDeque::with_capacity(capacity),
            senders: 1,
            receiver: true,
            waiting: false,
        },
        capacity,
    )
}

/// A queue without a bound.
pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    with_state(
        State {
            messages: VecDeque::new(),
            senders: 1,
            receiver: true,
            waiting: false,
        },
        usize::MAX,
    )
}

fn with_state<T>(state: State<T>, capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        len: AtomicUsize::new(0),
        capacity,
        changed: Condvar::new(),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The first message of the locked `state`, if any.
    fn pop(&self, state: &mut State<T>) -> Option<T> {
        let message = state.messages.pop_front();
        self.len.store(state.messages.len(), Ordering::Relaxed);
        message
    }
}

impl<T> Sender<T> {
    /// Queues `message` unless the queue is full or the receiver gone; never waits.
    pub(crate) fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        if self.shared.len.load(Ordering::Relaxed) >= self.shared.capacity {
            return Err(TrySendError::Full(message));
        }
        let mut state = self.shared.lock();
        if !state.receiver {
            return Err(TrySendError::Disconnected(message));
        }
        if state.messages.len() >= self.shared.capacity {
            return Err(TrySendError::Full(message));
        }
        state.messages.push_back(message);
        self.shared
            .len
            .store(state.messages.len(), Ordering::Relaxed);
        let waiting = state.waiting;
        drop(state);
        if waiting {
            self.shared.changed.notify_one();
        }
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        let mut state = self.shared.lock();
        state.senders = state.senders.saturating_add(1);
        drop(state);
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.senders = state.senders.saturating_sub(1);
        let last = state.senders == 0;
        drop(state);
        if last {
            self.shared.changed.notify_all();
        }
    }
}

impl<T> Receiver<T> {
    /// The next message, waiting for one as long as a sender is left.
    pub(crate) fn recv(&self) -> Result<T, RecvTimeoutError> {
        self.receive(None)
    }

    /// The next message, waiting at most `timeout`.
    pub(crate) fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        // A timeout too long for `Instant` waits as long as a sender is left.
        self.receive(Instant::now().checked_add(timeout))
    }

    /// The next message, if one is queued.
    pub(crate) fn try_recv(&self) -> Option<T> {
        self.shared.pop(&mut self.shared.lock())
    }

    fn receive(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let mut state = self.shared.lock();
        loop {
            if let Some(message) = self.shared.pop(&mut state) {
                return Ok(message);
            }
            if state.senders == 0 {
                return Err(RecvTimeoutError::Disconnected);
            }
            let left = match deadline {
                None => None,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(RecvTimeoutError::Timeout);
                    }
                    Some(left)
                }
            };
            // Set and cleared under the lock, which `wait` releases only once it waits: a sender
            // that queues a message after this sees `waiting` and signals.
            state.waiting = true;
            let changed = &self.shared.changed;
            state = match left {
                None => changed.wait(state).unwrap_or_else(PoisonError::into_inner),
                Some(left) => {
                    changed
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
            state.waiting = false;
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.receiver = false;
        // What is left is dropped here, not when the last sender goes.
        state.messages.clear();
        self.shared.len.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::{Duration, Instant};

    use super::{RecvTimeoutError, TrySendError, bounded, unbounded};

    #[test]
    fn a_bounded_queue_refuses_when_full_and_keeps_order() {
        let (sender, receiver) = bounded(2);
        assert_eq!(sender.try_send(1), Ok(()));
        assert_eq!(sender.try_send(2), Ok(()));
        assert_eq!(sender.try_send(3), Err(TrySendError::Full(3)));
        assert_eq!(receiver.try_recv(), Some(1));
        assert_eq!(sender.try_send(3), Ok(()));
        assert_eq!(receiver.recv(), Ok(2));
        assert_eq!(receiver.recv_timeout(Duration::ZERO), Ok(3));
        assert_eq!(
            receiver.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout)
        );
        assert_eq!(receiver.try_recv(), None);
    }

    #[test]
    fn the_last_sender_gone_ends_the_wait_after_the_queue_drains() {
        let (sender, receiver) = unbounded();
        let clone = sender.clone();
        sender.try_send("a").unwrap();
        drop(sender);
        let waiting = std::thread::spawn(move || {
            let first = receiver.recv();
            let second = receiver.recv();
            (first, second)
        });
        std::thread::sleep(Duration::from_millis(5));
        drop(clone);
        assert_eq!(
            waiting.join().unwrap(),
            (Ok("a"), Err(RecvTimeoutError::Disconnected))
        );
    }

    #[test]
    fn a_gone_receiver_gives_the_message_back() {
        let (sender, receiver) = bounded(4);
        drop(receiver);
        assert_eq!(sender.try_send(7), Err(TrySendError::Disconnected(7)));
        // Also when the queue was full as the receiver went.
        let (sender, receiver) = bounded(1);
        sender.try_send(1).unwrap();
        assert_eq!(sender.try_send(2), Err(TrySendError::Full(2)));
        drop(receiver);
        assert_eq!(sender.try_send(3), Err(TrySendError::Disconnected(3)));
    }

    #[test]
    fn a_message_wakes_a_waiting_receiver_and_timeouts_are_honoured() {
        let (sender, receiver) = unbounded();
        let waiting = std::thread::spawn(move || receiver.recv_timeout(Duration::from_mins(10)));
        std::thread::sleep(Duration::from_millis(5));
        sender.try_send(()).unwrap();
        assert_eq!(waiting.join().unwrap(), Ok(()));

        let (_sender, receiver) = unbounded::<()>();
        let started = Instant::now();
        assert_eq!(
            receiver.recv_timeout(Duration::from_millis(20)),
            Err(RecvTimeoutError::Timeout)
        );
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn many_senders_lose_nothing() {
        let (sender, receiver) = bounded(10_000);
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let sender = sender.clone();
                std::thread::spawn(move || {
                    for index in 0..1000 {
                        sender.try_send(thread * 1000 + index).unwrap();
                    }
                })
            })
            .collect();
        drop(sender);
        for thread in threads {
            thread.join().unwrap();
        }
        let mut all: Vec<i32> = std::iter::from_fn(|| receiver.recv().ok()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..4000).collect::<Vec<_>>());
    }
}
