//! A fixed set of argon2 workers, one per core, each with its own argon2
//! memory (19 MiB) allocated once and reused for every hash, behind a bounded
//! queue (#14). Before it, every sign-in took a blocking thread and 19 MiB of
//! its own: 100 simultaneous sign-ins grew the process to 109 threads and
//! 4 GB resident, never returned. Now memory is `workers × 19 MiB` whatever
//! the load and throughput is what the cores give. A sign-in waits its turn
//! (first come, first served) for at most [`SIGN_IN_WAIT`] to get into the
//! queue, else it is answered `503 server_busy` with `Retry-After`; other
//! hashing (setting a password) waits as long as it takes.

use crate::error::{Error, Result};
use app::model::ApiError;
use argon2::Block;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};

/// Work for one worker: gets the worker's memory, sends its own answer.
type Job = Box<dyn FnOnce(&mut [Block]) + Send>;

/// Hashes waiting per worker, besides the one it runs. At roughly 70
/// hashes a second per core, a full queue is about half a second of work.
pub const QUEUE_PER_WORKER: usize = 32;

/// How long a sign-in waits to get into a full queue before `503`.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(5);

/// Seconds a refused caller is told to wait.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// How long a caller is prepared to wait for room in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A sign-in: at most `Duration`, then `503 server_busy`.
    Within(Duration),
    /// Setting a password: as long as it takes.
    Wait,
}

pub struct HashPool {
    jobs: Sender<Job>,
    /// One permit per job queued or running: the queue's bound, handed out
    /// in arrival order.
    room: Arc<Semaphore>,
}

impl HashPool {
    /// Starts `workers` threads, each owning `blocks` argon2 blocks (1 KiB
    /// each), with room for `queue` jobs waiting besides those running.
    pub fn start(workers: usize, queue: usize, blocks: usize) -> HashPool {
        let workers = workers.max(1);
        let (jobs, inbox) = channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers {
            let inbox = Arc::clone(&inbox);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&inbox, blocks));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing worker");
            }
        }
        HashPool {
            jobs,
            room: Arc::new(Semaphore::new(workers + queue)),
        }
    }

    /// Runs `f` on a worker with its memory once there is room.
    ///
    /// # Errors
    /// `server_busy` when `admission` gives up waiting, or a worker that
    /// went away.
    pub async fn run<T, F>(&self, admission: Admission, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut [Block]) -> Result<T> + Send + 'static,
    {
        let room = Arc::clone(&self.room);
        let permit = match admission {
            Admission::Wait => room.acquire_owned().await.ok(),
            Admission::Within(limit) => {
                match tokio::time::timeout(limit, room.acquire_owned()).await {
                    Ok(permit) => permit.ok(),
                    Err(_) => return Err(server_busy().into()),
                }
            }
        }
        .ok_or_else(|| Error::Hash("the hashing queue is closed".into()))?;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = tx.send(f(memory));
            drop(permit);
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Hash("the hashing workers stopped".into()))?;
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

    #[tokio::test]
    async fn a_full_queue_makes_sign_ins_wait_then_answer_busy_and_the_rest_finish() {
        let pool = Arc::new(HashPool::start(1, 2, 8));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        // The worker is held by the first job; two more fill the queue.
        let mut running = Vec::new();
        for _ in 0..3 {
            let pool = Arc::clone(&pool);
            let hold = Arc::clone(&hold);
            running.push(tokio::spawn(async move {
                pool.run(Admission::Wait, move |memory| {
                    let _ = hold.lock().unwrap().recv_timeout(Duration::from_secs(5));
                    Ok(memory.len())
                })
                .await
            }));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let refused = pool
            .run(Admission::Within(Duration::from_millis(100)), |memory| {
                Ok(memory.len())
            })
            .await
            .unwrap_err();
        match refused {
            Error::Api(e) => {
                assert_eq!(e.code, app::model::ErrorCode::ServerBusy);
                assert_eq!(e.retry_after, Some(RETRY_AFTER_SECONDS));
            }
            other => panic!("{other}"),
        }
        // A patient caller gets in once there is room.
        let patient = {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move { pool.run(Admission::Wait, |memory| Ok(memory.len())).await })
        };
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
        assert_eq!(patient.await.unwrap().unwrap(), 8);
    }
}
