//! Domain services. Transactions live here; SQL lives in `db`.

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
