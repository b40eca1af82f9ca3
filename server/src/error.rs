//! The server's error, and how it becomes the API's one error type.

use app::model::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Already phrased for the caller.
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("encryption: {0}")]
    Crypto(&'static str),
    #[error("blocking task: {0}")]
    Join(#[from] tokio::task::JoinError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Api(api) => api,
            // A row this change needed was deleted by a concurrent request
            // (a group removed while another administrator saved its
            // permissions): a conflict the person can resolve by
            // reloading, never a server fault (#25).
            Error::Db(ref db) if is_vanished_row(db) => {
                tracing::warn!(error = %err, "a row vanished under a concurrent change");
                ApiError::new(
                    ErrorCode::Conflict,
                    "Something this change refers to was deleted by someone else meanwhile. Reload the page to see what is there now, then try again.",
                )
            }
            // Two transactions that each waited for the other: Postgres
            // ended one. Nothing of it was kept; the same request again
            // goes through.
            Error::Db(sqlx::Error::Database(ref db))
                if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
            {
                tracing::warn!(error = %err, "a transaction gave way to a concurrent one");
                ApiError::new(
                    ErrorCode::Conflict,
                    "Someone else was changing the same thing at that moment, so nothing was saved. Try again.",
                )
            }
            other => {
                // Internals stay in the log; the caller gets a generic message.
                tracing::error!(error = %other, "internal error");
                ApiError::internal()
            }
        }
    }
}

/// The first of a validator's errors (the form shows them all; the API
/// answers the first).
pub fn first_error(errors: Vec<ApiError>) -> Error {
    Error::Api(errors.into_iter().next().unwrap_or_else(ApiError::internal))
}

/// The constraint a unique-violation error names, if that is what it is.
pub fn unique_violation(err: &Error) -> Option<&str> {
    match err {
        Error::Db(sqlx::Error::Database(db)) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}

/// Whether `err` says that a row the statement relied on is gone: a foreign
/// key whose parent was deleted meanwhile (SQLSTATE 23503,
/// `foreign_key_violation`), or an insert or update that found its parent
/// row no longer there ([`crate::db::one_row`], `RowNotFound`).
pub fn is_vanished_row(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::RowNotFound => true,
        sqlx::Error::Database(db) => db.is_foreign_key_violation(),
        _ => false,
    }
}

/// `id` when the compare-and-set update `done`; else `409 stale` (another
/// edit committed between the check and the update; the page reloads).
pub fn stale_unless(done: bool, what: &str, id: uuid::Uuid) -> Result<uuid::Uuid> {
    if done {
        Ok(id)
    } else {
        Err(ApiError {
            current: None,
            ..ApiError::stale(what, serde_json::Value::Null)
        }
        .into())
    }
}

/// `Ok` when an edit based on `sent` may replace a record stored at
/// `stored`; else the `409 stale` answer with `current`, the record now.
pub fn check_version<T: serde::Serialize>(
    what: &str,
    sent: i64,
    stored: i64,
    current: impl FnOnce() -> T,
) -> Result<()> {
    if sent == stored {
        Ok(())
    } else {
        Err(ApiError::stale(what, serde_json::to_value(current()).unwrap_or_default()).into())
    }
}
