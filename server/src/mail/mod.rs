//! Outgoing mail. A message is queued in the `outbox` table inside the
//! transaction of the change that causes it; [`Postman::deliver_due`] sends
//! what is due, records every attempt, and retries failures with exponential
//! backoff. A crash between commit and send delays a message, never drops it.
//! A crash after the server accepted a message but before it was marked sent
//! sends it again with the same `Message-ID` (at least once, never zero).

pub mod layout;

pub use layout::{escape, html_page, Composed};

use crate::clock::Clock;
use crate::db;
use crate::error::Result;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::{PgConnection, PgPool};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// The first retry waits this long; each further one twice as long…
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// …up to this.
const MAX_RETRY: Duration = Duration::from_secs(600);

/// How long to wait before attempt `attempts + 1` after `attempts` failures.
pub fn backoff(attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

/// A message to queue.
pub struct Mail<'a> {
    pub tenant_id: Option<Uuid>,
    /// What it is for (`invitation`, `password_reset`, …).
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// A one-time secret in the bodies (a link's token): removed from the
    /// stored copy once the message is sent.
    pub secret: Option<&'a str>,
}

/// Queues `mail` in the caller's transaction.
pub async fn enqueue(conn: &mut PgConnection, mail: Mail<'_>, now: OffsetDateTime) -> Result<i64> {
    let message_id = format!("<{}@rollcall>", Uuid::new_v4());
    Ok(db::outbox::enqueue(
        conn,
        db::outbox::NewMail {
            tenant_id: mail.tenant_id,
            kind: mail.kind,
            message_id: &message_id,
            to_address: mail.to,
            subject: mail.subject,
            text_body: mail.text,
            html_body: mail.html,
            secret: mail.secret,
            now,
        },
    )
    .await?)
}

/// Where mail goes.
pub enum Delivery {
    /// An SMTP server (`ROLLCALL_SMTP_URL`).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Each message as an `.eml` file in this folder (the local default).
    Files(PathBuf),
}

impl Delivery {
    /// `smtp://host:port`, `smtps://…` or `smtp://…?tls=required`, with
    /// optional `user:password@`; `None` writes files to `dir`.
    pub fn from_config(smtp_url: Option<&str>, dir: PathBuf) -> Result<Delivery, String> {
        match smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Delivery::Smtp(b.timeout(Some(Duration::from_secs(20))).build()))
                .map_err(|e| format!("ROLLCALL_SMTP_URL is not a usable SMTP URL: {e}")),
            None => Ok(Delivery::Files(dir)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Delivery::Smtp(_) => "SMTP (ROLLCALL_SMTP_URL)".into(),
            Delivery::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }
}

pub struct Postman {
    pub pool: PgPool,
    pub clock: Arc<dyn Clock>,
    pub delivery: Delivery,
    pub from: Mailbox,
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: u32,
    pub failed: u32,
}

impl Postman {
    /// Sends every message that is due now, one at a time, each under its own
    /// row lock (several workers never send the same message at once).
    /// Stops after `limit` attempts.
    pub async fn deliver_due(&self, limit: u32) -> Result<Round> {
        let mut round = Round::default();
        while round.sent + round.failed < limit {
            let now = self.clock.now();
            // The outbox is one queue for every tenant.
            let mut tx = db::begin(&self.pool, db::Scope::EveryTenant).await?;
            let Some(due) = db::outbox::next_due(&mut tx, now).await? else {
                break;
            };
            let outcome = self.send(&due).await;
            let attempts = u32::try_from(due.attempts).unwrap_or(0) + 1;
            let after = self.clock.now();
            match &outcome {
                Ok(()) => {
                    round.sent += 1;
                    tracing::info!(message = due.id, attempts, "mail sent");
                }
                Err(e) => {
                    round.failed += 1;
                    tracing::warn!(message = due.id, attempts, error = %e, "mail not sent; will retry");
                }
            }
            let retry_at = after + backoff(attempts);
            db::outbox::record_attempt(
                &mut tx,
                due.id,
                after,
                outcome.as_ref().err().map(String::as_str),
                retry_at,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(round)
    }

    async fn send(&self, due: &db::outbox::DueMail) -> Result<(), String> {
        let to: Mailbox = due
            .to_address
            .parse()
            .map_err(|e| format!("bad recipient address: {e}"))?;
        let date = std::time::SystemTime::from(due.created_at);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(due.subject.clone())
            .message_id(Some(due.message_id.clone()))
            .date(date)
            .multipart(MultiPart::alternative_plain_html(
                due.text_body.clone(),
                due.html_body.clone(),
            ))
            .map_err(|e| format!("could not build the message: {e}"))?;
        match &self.delivery {
            Delivery::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Delivery::Files(dir) => {
                let path = dir.join(format!(
                    "{}-{}.eml",
                    due.created_at.unix_timestamp(),
                    due.id
                ));
                let bytes = message.formatted();
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = path.with_extension("eml.tmp");
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, &path)?;
                    tracing::info!(file = %path.display(), "mail written");
                    Ok::<_, std::io::Error>(())
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("could not write the message: {e}"))
            }
        }
    }
}

/// Raised by a request that queued mail, so that it goes out at once rather
/// than at the next poll: the worker wakes up (a server), or the message is
/// sent before the invocation ends (Lambda).
#[derive(Debug, Default)]
pub struct MailSignal {
    wake: tokio::sync::Notify,
    pending: std::sync::atomic::AtomicBool,
}

impl MailSignal {
    pub fn queued(&self) {
        self.pending
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Whether mail was queued since the last call.
    pub fn take(&self) -> bool {
        self.pending
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    async fn wait(&self) {
        self.wake.notified().await;
    }
}

/// Keeps delivering: every `every`, and at once when `signal` is raised (a
/// request queued mail). Runs until the process ends.
pub async fn run_worker(postman: Arc<Postman>, every: Duration, signal: Arc<MailSignal>) {
    loop {
        signal.take();
        match postman.deliver_due(100).await {
            Ok(round) if round.sent + round.failed > 0 => {
                tracing::debug!(?round, "mail round");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "mail worker could not reach the database"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = signal.wait() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(backoff(1000), Duration::from_secs(600));
    }
}
