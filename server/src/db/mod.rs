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
pub mod refusals;
pub mod scope;
pub mod seat_alerts;
pub mod sessions;
pub mod tenants;
pub mod text_keys;
pub mod throttles;
pub mod usage;

pub use scope::{begin, Scope, Tx};
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

/// The `application_name` of the server's connections (`pg_stat_activity`).
pub const APPLICATION_NAME: &str = "rollcall";
/// The `application_name` of a Lambda function's connections, which also
/// tells [`begin`] to close each transaction's statements.
pub const LAMBDA_APPLICATION_NAME: &str = "rollcall-lambda";

/// The pool of `server serve` and the CLI: connects now, so a wrong URL
/// fails at start; statements stay prepared on their connection.
///
/// # Errors
/// A malformed URL, or the first connection failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name(APPLICATION_NAME);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

/// The most connections one Lambda instance holds: it serves one event at a
/// time, and a dropped transaction may still be ending on a second one.
pub const LAMBDA_MAX_CONNECTIONS: u32 = 2;

/// The pool of a Lambda instance, made for RDS Proxy
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html>):
/// - at most [`LAMBDA_MAX_CONNECTIONS`], none opened before the first query
///   (a cold start that only runs migrations, or fails its checks, opens none
///   through the proxy);
/// - nothing that pins a proxied connection to one database connection:
///   every transaction closes the statements it prepared before it ends
///   ([`begin`]), the scope is set transaction-locally (`set_config(…, true)`),
///   and nothing uses `SET`, `LISTEN` or session advisory locks. The
///   migration lock is taken on a separate connection (the `migrate` event of
///   [`crate::http::lambda`]).
///
/// # Errors
/// A malformed URL.
pub fn connect_lambda(url: &str) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name(LAMBDA_APPLICATION_NAME);
    Ok(PgPoolOptions::new()
        .max_connections(LAMBDA_MAX_CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options))
}

/// Whether `pool`'s transactions close their statements (a Lambda pool).
pub fn closes_statements(pool: &PgPool) -> bool {
    pool.connect_options().get_application_name() == Some(LAMBDA_APPLICATION_NAME)
}
