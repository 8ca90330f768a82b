//! The HTTP/1.1 accept loop and connection handling: a cap on open connections, header-read and
//! idle (keep-alive) timeouts, and the `close` fault.
//!
//! So that slow or idle clients cannot exhaust the emulator's file descriptors:
//! - At most `max_connections` connections (default 512) are open at once. At the cap the loop
//!   stops accepting: later clients wait in the kernel's listen backlog, costing no descriptor
//!   here, and are served as soon as a connection closes.
//! - A request head must arrive completely within `header_read_timeout` (default 10 s), counted
//!   from accept for a connection's first request and from the first byte of each later one.
//!   Otherwise the connection is closed without an answer.
//! - Between requests, a keep-alive connection that stays silent for `idle_timeout` (default
//!   60 s) is closed.
//! - Neither applies while a request is being handled: its body has its own pause limit (see
//!   `body`), and a `delay` fault may hold a request on purpose.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt as _;

use crate::request_log::AbortConnection;
use crate::tls::Tls;

/// Default for [`ConnectionLimits::header_read_timeout`]: 10 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for [`ConnectionLimits::idle_timeout`]: 60 seconds.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default for [`ConnectionLimits::max_connections`]: 512, half the usual `ulimit -n` of 1024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// How long connections may take and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time allowed for a complete request head (must be above zero).
    pub header_read_timeout: Duration,
    /// Time a connection may stay silent between requests (must be above zero).
    pub idle_timeout: Duration,
    /// Open connections at most (at least 1).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` over HTTP/1.1 within `limits` until `shutdown` completes, then
/// drops every open connection.
///
/// A response carrying the `AbortConnection` extension (the "close" fault) is not sent: the
/// connection is closed instead.
///
/// Errors: none today; accept errors (such as running out of descriptors) are logged and
/// retried after 20 ms.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut slot: Option<OwnedSemaphorePermit> = None;
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            acquired = slots.clone().acquire_owned(), if slot.is_none() => slot = acquired.ok(),
            accepted = listener.accept(), if slot.is_some() => match accepted {
                Ok((stream, _)) => match &tls {
                    None => {
                        connections.spawn(serve_connection(stream, app.clone(), limits, slot.take()));
                    }
                    Some(tls) => {
                        connections.spawn(serve_tls_connection(stream, tls.clone(), app.clone(), limits, slot.take()));
                    }
                },
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    Ok(())
}

/// Returned to hyper to make it close a connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection closed by fault injection")]
struct ConnectionAborted;

/// Completes the TLS handshake within the header-read timeout, then serves HTTP/1.1 on it. A
/// failed handshake (such as a client that does not trust the CA) only closes the connection.
async fn serve_tls_connection(
    stream: TcpStream,
    tls: Tls,
    app: axum::Router,
    limits: ConnectionLimits,
    slot: Option<OwnedSemaphorePermit>,
) {
    tls.count_handshake();
    match tokio::time::timeout(limits.header_read_timeout, tls.acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_connection(stream, app, limits, slot).await,
        Ok(Err(err)) => tracing::debug!(%err, "tls handshake failed"),
        Err(_) => tracing::debug!("tls handshake timed out"),
    }
}

// `_slot` is held for the connection's life: dropping it lets the loop accept another.
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    app: axum::Router,
    limits: ConnectionLimits,
    _slot: Option<OwnedSemaphorePermit>,
) {
    let tracker = Arc::new(Tracker {
        activity: Mutex::new(Activity::new(Instant::now())),
        changed: Notify::new(),
    });
    let io = TokioIo::new(Watched {
        inner: stream,
        tracker: tracker.clone(),
    });
    let requests = tracker.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        // hyper calls this once the head is parsed; the guard lives until the answer is ready.
        let busy = Busy::begin(&requests);
        async move {
            let _busy = busy;
            let response: Response = app
                .oneshot(req.map(Body::new))
                .await
                .unwrap_or_else(|never: Infallible| match never {});
            if response.extensions().get::<AbortConnection>().is_some() {
                return Err(ConnectionAborted);
            }
            Ok(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(connection);
    loop {
        let (deadline, why) = tracker.lock().deadline(&limits);
        if deadline.is_some_and(|deadline| deadline <= Instant::now()) {
            tracing::debug!(why, "closing the connection");
            return;
        }
        // While a request is handled there is no deadline: only its end can set one.
        let expiry = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, "connection ended");
                }
                return;
            }
            () = expiry => {}
            // A new phase may bring the deadline closer; look again.
            () = tracker.changed.notified() => {}
        }
    }
}

/// What a connection is doing, as seen from its bytes and its requests.
#[derive(Debug)]
struct Activity {
    /// Requests being handled.
    in_flight: usize,
    /// When the pending request head started (accept, or its first byte).
    head_started: Option<Instant>,
    /// The last byte read or written, or the last answer.
    last_seen: Instant,
}

impl Activity {
    // A new connection owes its first request head from the start.
    fn new(now: Instant) -> Activity {
        Activity {
            in_flight: 0,
            head_started: Some(now),
            last_seen: now,
        }
    }

    /// Returns true when this byte starts a request head (a new phase).
    fn read(&mut self, now: Instant) -> bool {
        self.last_seen = now;
        let starts_head = self.in_flight == 0 && self.head_started.is_none();
        if starts_head {
            self.head_started = Some(now);
        }
        starts_head
    }

    fn wrote(&mut self, now: Instant) {
        self.last_seen = now;
    }

    /// When the connection must be closed unless something happens first, and why; `None`
    /// while a request is being handled.
    fn deadline(&self, limits: &ConnectionLimits) -> (Option<Instant>, &'static str) {
        if self.in_flight > 0 {
            return (None, "busy");
        }
        match self.head_started {
            Some(started) => (Some(started + limits.header_read_timeout), "header read timeout"),
            None => (Some(self.last_seen + limits.idle_timeout), "idle timeout"),
        }
    }
}

/// A connection's [`Activity`] plus a signal for the watchdog when its phase changes.
struct Tracker {
    activity: Mutex<Activity>,
    changed: Notify,
}

impl Tracker {
    fn lock(&self) -> MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Marks a request as being handled from its creation to its drop.
struct Busy(Arc<Tracker>);

impl Busy {
    fn begin(tracker: &Arc<Tracker>) -> Busy {
        let mut state = tracker.lock();
        state.in_flight += 1;
        state.head_started = None;
        drop(state);
        tracker.changed.notify_one();
        Busy(tracker.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.last_seen = Instant::now();
        drop(state);
        self.0.changed.notify_one();
    }
}

/// A stream that reports its reads and writes to the connection's [`Tracker`].
struct Watched<T> {
    inner: T,
    tracker: Arc<Tracker>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(())))
            && buf.filled().len() > before
            && this.tracker.lock().read(Instant::now())
        {
            this.tracker.changed.notify_one();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            this.tracker.lock().wrote(Instant::now());
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, data);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            this.tracker.lock().wrote(Instant::now());
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ConnectionLimits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_connections: 1,
    };

    #[test]
    fn deadlines_follow_the_connection_phase() {
        let start = Instant::now();
        let tracker = Arc::new(Tracker {
            activity: Mutex::new(Activity::new(start)),
            changed: Notify::new(),
        });
        let deadline = |tracker: &Arc<Tracker>| tracker.lock().deadline(&LIMITS);
        assert_eq!(
            deadline(&tracker),
            (Some(start + LIMITS.header_read_timeout), "header read timeout")
        );
        let busy = Busy::begin(&tracker);
        assert!(
            !tracker.lock().read(start + Duration::from_secs(1)),
            "a body byte starts no head"
        );
        assert_eq!(deadline(&tracker).0, None, "no deadline while a request is handled");
        drop(busy);
        let answered = tracker.lock().last_seen;
        assert_eq!(
            deadline(&tracker),
            (Some(answered + LIMITS.idle_timeout), "idle timeout")
        );
        let next_byte = answered + Duration::from_secs(30);
        assert!(
            tracker.lock().read(next_byte),
            "the first byte of the next request starts a head"
        );
        assert!(!tracker.lock().read(next_byte + Duration::from_secs(5)));
        assert_eq!(
            deadline(&tracker),
            (Some(next_byte + LIMITS.header_read_timeout), "header read timeout"),
            "the head clock starts at the first byte of the next request"
        );
    }
}
