//! A fixed set of argon2 workers, one per core, each with its own argon2
//! memory (19 MiB) allocated once and reused for every hash, behind a bounded
//! queue (#14). Before it, every sign-in took a blocking thread and 19 MiB of
//! its own: 100 simultaneous sign-ins grew the process to 109 threads and
//! 4 GB resident, never returned. Now memory is `workers × 19 MiB` whatever
//! the load, throughput is what the cores give, and a sign-in that finds the
//! queue full is answered at once: `503 server_busy` with `Retry-After`.

use crate::error::{Error, Result};
use app::model::ApiError;
use argon2::Block;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::oneshot;

/// Work for one worker: gets the worker's memory, sends its own answer.
type Job = Box<dyn FnOnce(&mut [Block]) + Send>;

/// Hashes waiting per worker before the queue counts as full. At roughly
/// 70 hashes a second per core, a full queue is about half a second of work.
pub const QUEUE_PER_WORKER: usize = 32;

/// Seconds a refused caller is told to wait.
pub const RETRY_AFTER_SECONDS: u32 = 1;

pub struct HashPool {
    jobs: SyncSender<Job>,
}

impl HashPool {
    /// Starts `workers` threads, each owning `blocks` argon2 blocks (1 KiB
    /// each), behind a queue of `queue` jobs.
    pub fn start(workers: usize, queue: usize, blocks: usize) -> HashPool {
        let (jobs, inbox) = sync_channel::<Job>(queue);
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers.max(1) {
            let inbox = Arc::clone(&inbox);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&inbox, blocks));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing worker");
            }
        }
        HashPool { jobs }
    }

    /// Runs `f` on a worker with its memory, or answers `503 server_busy`
    /// at once when the queue is full.
    ///
    /// # Errors
    /// `server_busy` (the queue is full), or a worker that went away.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut [Block]) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = tx.send(f(memory));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(server_busy().into()),
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::Hash("the hashing workers stopped".into()))
            }
        }
        rx.await
            .map_err(|_| Error::Hash("a hashing worker stopped mid-job".into()))?
    }
}

fn work(inbox: &Mutex<Receiver<Job>>, blocks: usize) {
    let mut memory = vec![Block::default(); blocks];
    loop {
        let job = {
            let Ok(inbox) = inbox.lock() else { return };
            match inbox.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // A panicking job must not take the worker (and its memory) down.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
    }
}

/// `503 server_busy`, to try again in [`RETRY_AFTER_SECONDS`].
pub fn server_busy() -> ApiError {
    ApiError::server_busy(
        "Rollcall is handling a great many sign-ins right now. Try again in a moment.",
        RETRY_AFTER_SECONDS,
    )
}

/// The process's pool: one worker per core, memory for the standard
/// parameters.
pub fn global() -> &'static HashPool {
    static POOL: OnceLock<HashPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashPool::start(
            cores,
            cores * QUEUE_PER_WORKER,
            super::ARGON2_MEMORY_KIB as usize,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_and_the_rest_finish() {
        let pool = Arc::new(HashPool::start(1, 2, 8));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        // The worker is held by the first job; two more fill the queue.
        let mut running = Vec::new();
        for _ in 0..3 {
            let pool = Arc::clone(&pool);
            let hold = Arc::clone(&hold);
            running.push(tokio::spawn(async move {
                pool.run(move |memory| {
                    let _ = hold.lock().unwrap().recv_timeout(Duration::from_secs(5));
                    Ok(memory.len())
                })
                .await
            }));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let refused = pool.run(|memory| Ok(memory.len())).await.unwrap_err();
        match refused {
            Error::Api(e) => {
                assert_eq!(e.code, app::model::ErrorCode::ServerBusy);
                assert_eq!(e.retry_after, Some(RETRY_AFTER_SECONDS));
            }
            other => panic!("{other}"),
        }
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for r in running {
            assert_eq!(
                r.await.unwrap().unwrap(),
                8,
                "each job had the worker's memory"
            );
        }
    }
}
