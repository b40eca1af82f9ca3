//! Domain services: every rule and transaction of Rollcall. SQL lives in
//! `db`; HTTP, cookies and the Lambda events in `http`; the browser and the
//! API contract in the `app` crate.
//!
//! The files form floors: each imports only files listed before it (no
//! import circle; `Services` methods called through `self` are not
//! imports). Read them bottom up:
//!
//! 1. [`text_keys`] (Unicode folding of stored keys), [`tenant`] (an
//!    organisation found by its short name, its decoded settings);
//! 2. [`caller`]: who acts — a signed-in [`caller::Caller`], the
//!    [`caller::AdminCaller`] capability, an [`caller::Operator`], and how
//!    each is named in the audit trail;
//! 3. [`audit`] (events written in the change's own transaction),
//!    [`usage`] (seat-usage history), [`account_summary`] (how a stored
//!    account is answered);
//! 4. [`throttle`], [`licensing`] (the seat rule under the tenant's row
//!    lock), [`sessions`], [`api_tokens`], [`seat_alerts`];
//! 5. [`passwords`] (setting a password, the one path), [`refusals`],
//!    [`permissions`] (groups, catalogue, matrix, access API);
//! 6. [`settings`], [`invitations`], [`directory`], then [`accounts`], then
//!    [`listing`], [`operator`], then [`import`];
//! 7. [`signin`]: signing in as named steps, on top of all of them.

pub mod account_summary;
pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod caller;
pub mod directory;
pub mod import;
pub mod invitations;
pub mod licensing;
pub mod listing;
pub mod operator;
pub mod passwords;
pub mod permissions;
pub mod refusals;
pub mod seat_alerts;
pub mod sessions;
pub mod settings;
pub mod signin;
pub mod tenant;
pub mod text_keys;
pub mod throttle;
pub mod usage;

use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::MailSignal;
use sqlx::PgPool;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// Raised when a request queued mail.
    pub mail_signal: Arc<MailSignal>,
}

impl Services {
    pub fn new(pool: PgPool, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            pool,
            clock,
            settings,
            mail_signal: Arc::new(MailSignal::default()),
        }
    }

    /// Mail was committed to the outbox: send it now rather than at the next
    /// poll.
    pub fn mail_queued(&self) {
        self.mail_signal.queued();
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}
