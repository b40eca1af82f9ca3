//! Domain services. Transactions live here; SQL lives in `db`.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod import;
pub mod licensing;
pub mod operator;
pub mod settings;

use crate::clock::Clock;
use crate::config::Settings;
use sqlx::PgPool;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl Services {
    pub fn new(pool: PgPool, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            pool,
            clock,
            settings,
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}
