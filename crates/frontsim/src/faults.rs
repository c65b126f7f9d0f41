//! Simulated failures for resilience tests, drawn from a generator seeded by the config's
//! seed: added latency, 503s, and connections closed in the middle of a response.
//!
//! A dropped response is cut at the byte level: [`CutoffIo`] wraps each connection's socket
//! and, once armed for the response being written, lets a few bytes of it through and then
//! fails the write, so hyper closes the connection and the client sees a truncated response.
//! The request itself has been processed: only the answer is lost, which is the case a
//! client's retry logic must get right.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::config::SimConfig;
use crate::rng::Rng;

/// How much of a dropped response gets out: part of the status line, no complete header.
const BYTES_BEFORE_DROP: usize = 12;
const UNLIMITED: usize = usize::MAX;

/// What happens to one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Answer 503 instead of processing the request.
    pub fail: bool,
    /// Process the request, then close the connection mid-response.
    pub drop: bool,
}

#[derive(Debug)]
pub struct Faults {
    pub latency: Duration,
    fail_rate: f64,
    drop_rate: f64,
    rng: Mutex<Rng>,
}

impl Faults {
    pub fn new(config: &SimConfig) -> Faults {
        Faults {
            latency: Duration::from_millis(config.latency_ms),
            fail_rate: config.fail_rate,
            drop_rate: config.drop_rate,
            rng: Mutex::new(Rng::derive(config.seed, "faults")),
        }
    }

    pub fn draw(&self) -> FaultPlan {
        if self.fail_rate <= 0.0 && self.drop_rate <= 0.0 {
            return FaultPlan::default();
        }
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = rng.chance(self.fail_rate);
        let drop = !fail && rng.chance(self.drop_rate);
        FaultPlan { fail, drop }
    }
}

/// Arms the cut of one connection's next response.
#[derive(Debug, Clone)]
pub struct Cutoff(Arc<AtomicUsize>);

impl Default for Cutoff {
    fn default() -> Cutoff {
        Cutoff(Arc::new(AtomicUsize::new(UNLIMITED)))
    }
}

impl Cutoff {
    /// Lets a few more bytes out, then fails every write (the connection is closed).
    pub fn arm(&self) {
        self.0.store(BYTES_BEFORE_DROP, Ordering::SeqCst);
    }
}

/// A socket whose writes stop once its [`Cutoff`] is armed and spent.
#[derive(Debug)]
pub struct CutoffIo<T> {
    inner: T,
    cutoff: Cutoff,
}

impl<T> CutoffIo<T> {
    pub fn new(inner: T, cutoff: Cutoff) -> CutoffIo<T> {
        CutoffIo { inner, cutoff }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CutoffIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CutoffIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let allowed = self.cutoff.0.load(Ordering::SeqCst);
        if allowed == UNLIMITED {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        }
        if allowed == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by the simulator's drop rate",
            )));
        }
        let result = Pin::new(&mut self.inner).poll_write(cx, &buf[..buf.len().min(allowed)]);
        if let Poll::Ready(Ok(written)) = result {
            self.cutoff
                .0
                .fetch_sub(written.min(allowed), Ordering::SeqCst);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.cutoff.0.load(Ordering::SeqCst) == UNLIMITED {
            return Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        }
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        self.poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_roughly_and_repeatably() {
        let config = SimConfig {
            fail_rate: 0.2,
            drop_rate: 0.25,
            ..SimConfig::default()
        };
        let draws = |faults: Faults| (0..2000).map(|_| faults.draw()).collect::<Vec<_>>();
        let first = draws(Faults::new(&config));
        assert_eq!(first, draws(Faults::new(&config)));
        let fails = first.iter().filter(|p| p.fail).count();
        let drops = first.iter().filter(|p| p.drop).count();
        assert!((300..500).contains(&fails), "{fails}");
        assert!((300..500).contains(&drops), "{drops}");
        assert!(first.iter().all(|p| !(p.fail && p.drop)));
        assert_eq!(
            Faults::new(&SimConfig::default()).draw(),
            FaultPlan::default()
        );
    }
}
