//! The server's error, and how it becomes the API's one error type.

use app::model::ApiError;

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
