//! Connection permits, with the waits for them counted (`/metrics`:
//! `relive_store_*`). Each backend holds as many permits as it has connections — SQLite's
//! read connections, PostgreSQL's pool — and takes one before a blocking thread is, so a
//! burst waits here, and here is where to see it wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::store::StoreError;

/// The permits of one pool; cheap to clone.
#[derive(Clone)]
pub struct Permits {
    sem: Arc<Semaphore>,
    size: usize,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    /// Callers waiting now.
    waiting: AtomicU64,
    /// Acquisitions that had to wait, and how long they waited in all (microseconds).
    waits: AtomicU64,
    waited_us: AtomicU64,
}

/// A pool's connections and the waits for them, as `/metrics` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PoolWaits {
    pub size: usize,
    pub in_use: usize,
    /// Waiting for a connection now.
    pub waiting: u64,
    /// Since start: acquisitions that waited, and their waits summed.
    pub waits: u64,
    pub waited_secs: f64,
}

impl Permits {
    pub fn new(size: usize) -> Permits {
        Permits { sem: Arc::new(Semaphore::new(size)), size, counts: Arc::default() }
    }

    /// A permit: at once when a connection is free, else after a wait that is counted.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit, StoreError> {
        if let Ok(p) = self.sem.clone().try_acquire_owned() {
            return Ok(p);
        }
        let c = &self.counts;
        c.waiting.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let permit = self.sem.clone().acquire_owned().await;
        c.waiting.fetch_sub(1, Ordering::Relaxed);
        c.waits.fetch_add(1, Ordering::Relaxed);
        c.waited_us.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        permit.map_err(|_| StoreError::Closed)
    }

    pub fn waits(&self) -> PoolWaits {
        let c = &self.counts;
        PoolWaits {
            size: self.size,
            in_use: self.size - self.sem.available_permits().min(self.size),
            waiting: c.waiting.load(Ordering::Relaxed),
            waits: c.waits.load(Ordering::Relaxed),
            waited_secs: c.waited_us.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_is_counted_only_when_no_connection_is_free() {
        let p = Permits::new(1);
        let held = p.acquire().await.unwrap();
        assert_eq!(p.waits(), PoolWaits { size: 1, in_use: 1, ..PoolWaits::default() });
        let q = p.clone();
        let waiter = tokio::spawn(async move { q.acquire().await.map(drop) });
        while p.waits().waiting == 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(held);
        waiter.await.unwrap().unwrap();
        let w = p.waits();
        assert_eq!((w.in_use, w.waiting, w.waits), (0, 0, 1));
        assert!(w.waited_secs >= 0.015, "{w:?}");
    }
}
