//! Outgoing mail through a real SMTP server (aiosmtpd on loopback): queued
//! in the change's transaction, delivered once, retried with backoff.

use super::support::*;
use server::clock::Clock;
use server::mail::{self, Delivery, Mail, Postman};
use sqlx::PgPool;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use time::Duration;

/// The SMTP server, stopped when dropped.
pub struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Sink {
    pub fn start(refuse_first: u32) -> Sink {
        let python = std::env::var("ROLLCALL_TEST_PYTHON").unwrap_or_else(|_| {
            panic!("ROLLCALL_TEST_PYTHON is not set: run `cargo xtask test`, or point it at a Python with aiosmtpd")
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("rollcall-smtp-{}", uuid::Uuid::new_v4()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(&dir)
            .arg(port.to_string())
            .arg(refuse_first.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "listening", "the SMTP server did not start");
        Sink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages it accepted, in order.
    pub fn received(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn postman(pool: &PgPool, clock: Arc<dyn Clock>, delivery: Delivery) -> Postman {
    Postman {
        pool: pool.clone(),
        clock,
        delivery,
        from: "Rollcall <rollcall@example.org>".parse().unwrap(),
    }
}

async fn queue(pool: &PgPool, clock: &dyn Clock, to: &str) {
    let mut tx = pool.begin().await.unwrap();
    mail::enqueue(
        &mut tx,
        Mail {
            tenant_id: None,
            kind: "test",
            to,
            subject: "Welcome to Rollcall",
            text: "Plain words.",
            html: "<p>Rich words.</p>",
            secret: None,
        },
        clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn attempts(pool: &PgPool) -> Vec<(bool, Option<String>)> {
    sqlx::query_as("SELECT ok, error FROM outbox_attempts ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn mail_queued_before_a_crash_goes_out_once_when_the_worker_returns(pool: PgPool) {
    let clock = clock();
    let sink = Sink::start(0);
    // Committed while no worker runs (it crashed, or was never started).
    queue(&pool, clock.as_ref(), "jane@example.org").await;
    // A rolled-back change sends nothing.
    let mut tx = pool.begin().await.unwrap();
    mail::enqueue(
        &mut tx,
        Mail {
            tenant_id: None,
            kind: "test",
            to: "ghost@example.org",
            subject: "x",
            text: "x",
            html: "x",
            secret: None,
        },
        clock.now(),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();

    let worker = postman(
        &pool,
        clock.clone(),
        Delivery::from_config(Some(&sink.url()), PathBuf::new()).unwrap(),
    );
    let round = worker.deliver_due(10).await.unwrap();
    assert_eq!((round.sent, round.failed), (1, 0));
    // A second worker round (or a restarted worker) sends nothing again.
    let again = postman(
        &pool,
        clock.clone(),
        Delivery::from_config(Some(&sink.url()), PathBuf::new()).unwrap(),
    );
    assert_eq!(again.deliver_due(10).await.unwrap().sent, 0);

    let received = sink.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert!(message.contains("To: jane@example.org"));
    assert!(message.contains("Subject: Welcome to Rollcall"));
    assert!(message.contains("text/plain") && message.contains("Plain words."));
    assert!(message.contains("text/html") && message.contains("<p>Rich words.</p>"));
    assert!(!message.contains("ghost@example.org"));
    assert_eq!(attempts(&pool).await, vec![(true, None)]);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn refused_attempts_are_retried_with_backoff_and_recorded(pool: PgPool) {
    let clock = clock();
    let sink = Sink::start(2);
    queue(&pool, clock.as_ref(), "jane@example.org").await;
    let worker = postman(
        &pool,
        clock.clone(),
        Delivery::from_config(Some(&sink.url()), PathBuf::new()).unwrap(),
    );

    assert_eq!(worker.deliver_due(10).await.unwrap().failed, 1);
    // Not due again for 30 s: nothing happens before then.
    clock.advance(Duration::seconds(29));
    assert_eq!(worker.deliver_due(10).await.unwrap(), Default::default());
    clock.advance(Duration::seconds(1));
    assert_eq!(worker.deliver_due(10).await.unwrap().failed, 1);
    // Then 60 s.
    clock.advance(Duration::seconds(59));
    assert_eq!(worker.deliver_due(10).await.unwrap(), Default::default());
    clock.advance(Duration::seconds(1));
    assert_eq!(worker.deliver_due(10).await.unwrap().sent, 1);

    assert_eq!(sink.received().len(), 1, "delivered exactly once");
    let tries = attempts(&pool).await;
    assert_eq!(tries.len(), 3);
    assert!(!tries[0].0 && !tries[1].0 && tries[2].0);
    assert!(
        tries[0].1.as_deref().unwrap().contains("451"),
        "{:?}",
        tries[0].1
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn without_smtp_each_message_is_an_eml_file(pool: PgPool) {
    let clock = clock();
    let dir = std::env::temp_dir().join(format!("rollcall-mail-{}", uuid::Uuid::new_v4()));
    queue(&pool, clock.as_ref(), "jane@example.org").await;
    let worker = postman(
        &pool,
        clock.clone(),
        Delivery::from_config(None, dir.clone()).unwrap(),
    );
    assert_eq!(worker.deliver_due(10).await.unwrap().sent, 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains("Subject: Welcome to Rollcall"));
    std::fs::remove_dir_all(&dir).unwrap();
    // An unusable SMTP URL is refused with the setting named.
    let bad = Delivery::from_config(Some("carrier-pigeon://x"), PathBuf::new())
        .err()
        .unwrap();
    assert!(bad.contains("ROLLCALL_SMTP_URL"));
}
