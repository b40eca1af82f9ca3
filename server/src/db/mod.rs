//! The only place that writes SQL. Every query is checked against the schema
//! at compile time (`.sqlx/` holds the offline data), every tenant-owned row
//! is reached through its tenant id, and every statement runs in a
//! transaction opened by [`begin`] with its [`Scope`], which row-level
//! security enforces a second time.

pub mod accounts;
pub mod audit;
pub mod clients;
pub mod directories;
pub mod imports;
pub mod links;
pub mod outbox;
pub mod permissions;
pub mod scope;
pub mod seat_alerts;
pub mod sessions;
pub mod tenants;
pub mod text_keys;
pub mod throttles;
pub mod usage;

pub use scope::{begin, Scope};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// `Ok` when `done` wrote exactly one row; else the parent row the insert
/// copies its tenant from was out of the transaction's scope (or gone),
/// reported as [`sqlx::Error::RowNotFound`] rather than passed over.
pub fn one_row(done: sqlx::postgres::PgQueryResult) -> sqlx::Result<()> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(sqlx::Error::RowNotFound)
    }
}

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name("rollcall");
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}
