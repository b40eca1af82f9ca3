//! The one error type that crosses the API boundary.
//!
//! Every server function answers `Result<T, ApiError>`. On the wire an error is
//! JSON `{"code": "...", "message": "...", "field": ...}`; the HTTP status is
//! derived from `code`, so the browser, scripts and the docs agree on one table.

use super::session_end::SessionEnd;
use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use std::fmt;

/// Machine-readable error codes, stable and documented in `docs/api.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request could not be read (malformed JSON, missing field).
    BadRequest,
    /// A value was read but breaks a rule; `field` names it.
    Validation,
    /// Wrong organisation, username or password (deliberately not saying which).
    InvalidCredentials,
    /// No valid session: sign in (again).
    Unauthenticated,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// The account may not sign in (deactivated).
    AccountInactive,
    /// The account's Expires/Deactivates on date has passed.
    AccountExpired,
    /// Signed in, but the password must be changed before anything else.
    PasswordChangeRequired,
    /// Directory sign-in could not be checked: the organisation's directory
    /// is not answering or misconfigured (details in the log).
    DirectoryUnavailable,
    /// The organisation has directory sign-in switched off, so a directory
    /// operation cannot run (a state of the tenant, not an outage).
    DirectoryOff,
    /// The directory says the account is disabled (AD `data 533`).
    DirectoryAccountDisabled,
    /// The directory says the account has expired (AD `data 701`).
    DirectoryAccountExpired,
    /// The directory says the password has expired (AD `data 532`).
    DirectoryPasswordExpired,
    /// The directory requires a new password first (AD `data 773`).
    DirectoryPasswordMustChange,
    /// The directory has locked the account out (AD `data 775`).
    DirectoryAccountLocked,
    /// A request with the session cookie sent by another website (CSRF
    /// defence: `Origin` or `Sec-Fetch-Site`).
    CrossOrigin,
    /// The request body is over the server's limit (256 KiB).
    PayloadTooLarge,
    /// The request body is not declared as JSON (`Content-Type:
    /// application/json`): a cross-site form can send only
    /// `text/plain`, form or multipart bodies, so those are never read
    /// (ASVS 5.0 V3.5.2).
    UnsupportedMediaType,
    /// Too many failed sign-ins (or reset requests) for this username or
    /// from this address: wait `retry_after` seconds (also the
    /// `Retry-After` header). Never a lockout.
    TooManyAttempts,
    /// The server is at its limit of sign-ins being checked (password
    /// hashing is bounded): try again after `retry_after` seconds.
    ServerBusy,
    /// Nothing with that id in the caller's organisation.
    NotFound,
    /// The change clashes with existing data; `field` names it.
    Conflict,
    /// The edit was based on an older version of the record than the
    /// stored one (someone else changed it since it was opened); nothing was
    /// changed, and `current` holds the record as it is now.
    Stale,
    /// Every seat of the organisation is held.
    SeatsExhausted,
    /// An invitation or reset link that was used, expired, revoked or replaced.
    LinkClosed,
    /// The browser could not reach the server.
    Network,
    /// Something failed on the server; details are in the server log only.
    Internal,
}

impl ErrorCode {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Validation => 422,
            ErrorCode::InvalidCredentials | ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden
            | ErrorCode::AccountInactive
            | ErrorCode::AccountExpired
            | ErrorCode::PasswordChangeRequired
            | ErrorCode::DirectoryAccountDisabled
            | ErrorCode::DirectoryAccountExpired
            | ErrorCode::DirectoryPasswordExpired
            | ErrorCode::DirectoryPasswordMustChange
            | ErrorCode::DirectoryAccountLocked
            | ErrorCode::CrossOrigin => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::Conflict
            | ErrorCode::Stale
            | ErrorCode::SeatsExhausted
            | ErrorCode::DirectoryOff => 409,
            ErrorCode::LinkClosed => 410,
            ErrorCode::Network | ErrorCode::DirectoryUnavailable | ErrorCode::ServerBusy => 503,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Validation => "validation",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::AccountInactive => "account_inactive",
            ErrorCode::AccountExpired => "account_expired",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::DirectoryUnavailable => "directory_unavailable",
            ErrorCode::DirectoryOff => "directory_off",
            ErrorCode::DirectoryAccountDisabled => "directory_account_disabled",
            ErrorCode::DirectoryAccountExpired => "directory_account_expired",
            ErrorCode::DirectoryPasswordExpired => "directory_password_expired",
            ErrorCode::DirectoryPasswordMustChange => "directory_password_must_change",
            ErrorCode::DirectoryAccountLocked => "directory_account_locked",
            ErrorCode::CrossOrigin => "cross_origin",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::ServerBusy => "server_busy",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Stale => "stale",
            ErrorCode::SeatsExhausted => "seats_exhausted",
            ErrorCode::LinkClosed => "link_closed",
            ErrorCode::Network => "network",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Human-readable, says what to do next. Never contains internals.
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `too_many_attempts`: seconds to wait before trying again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// With `unauthenticated`: why the session is no longer valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<SessionEnd>,
    /// With `stale`: the record as it is now (the same shape its `get`
    /// answers), so a client can show what changed. The app itself only
    /// says so (the person reloads), so the browser build neither reads nor
    /// writes it: a generic JSON reader would cost the sign-in page 4 KB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub current: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
            reason: None,
            current: None,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Validation,
            message: message.into(),
            field: Some(field.into()),
            retry_after: None,
            reason: None,
            current: None,
        }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Conflict,
            message: message.into(),
            field: Some(field.into()),
            retry_after: None,
            reason: None,
            current: None,
        }
    }

    /// `409 stale`: an edit of `what` ("account", "group" …) based on
    /// `sent`, an older version than the stored one; `current` is the
    /// record now.
    pub fn stale(what: &str, current: serde_json::Value) -> Self {
        Self {
            current: Some(current),
            ..Self::new(
                ErrorCode::Stale,
                format!(
                    "{} changed by someone else since you opened it, so your changes were not saved. Reload to see the changes, then make yours again.",
                    if what.ends_with('s') {
                        format!("These {what} were")
                    } else {
                        format!("This {what} was")
                    }
                ),
            )
        }
    }

    /// `401 unauthenticated` for a request without a live session.
    pub fn unauthenticated() -> Self {
        Self::session_ended(SessionEnd::NoSession, &SessionEnd::NoSession.message())
    }

    /// `401 unauthenticated` for a session that ended, saying why.
    pub fn session_ended(reason: SessionEnd, message: &str) -> Self {
        Self {
            reason: Some(reason),
            ..Self::new(ErrorCode::Unauthenticated, message)
        }
    }

    pub fn forbidden() -> Self {
        Self::new(
            ErrorCode::Forbidden,
            "Only administrators can do this. Ask an administrator of your organisation.",
        )
    }

    /// Forbidden, with the reason and what to do instead.
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!(
                "That {what} does not exist in your organisation. Reload the page and try again."
            ),
        )
    }

    pub fn not_found_named(what: &str, name: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("There is no {what} named “{name}”."),
        )
    }

    pub fn invalid_credentials() -> Self {
        Self::new(
            ErrorCode::InvalidCredentials,
            "The organisation, username or password is not correct. Check them and try again.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on our side. Try again in a moment; if it keeps happening, contact support.",
        )
    }

    /// `too_many_attempts`, to try again after `seconds`.
    pub fn too_many_attempts(message: impl Into<String>, seconds: u32) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(ErrorCode::TooManyAttempts, message)
        }
    }

    /// `server_busy`, to try again after `seconds`.
    pub fn server_busy(message: impl Into<String>, seconds: u32) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(ErrorCode::ServerBusy, message)
        }
    }

    pub fn status(&self) -> u16 {
        self.code.http_status()
    }

    /// The message to show beside `field`, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        (self.field.as_deref() == Some(field)).then(|| self.message.clone())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Raised on the server while reading the request.
            // Our codec's failures carry the JSON path of the value at fault.
            ServerFnErrorErr::Deserialization(msg) => {
                let failure = crate::api::codec::DecodeFailure::parse(&msg);
                let message = match &failure.field {
                    Some(field) => format!(
                        "The request could not be read: “{field}”: {}",
                        clip(&failure.message)
                    ),
                    None => format!("The request could not be read: {}", clip(&failure.message)),
                };
                Self {
                    field: failure.field,
                    ..Self::new(ErrorCode::BadRequest, message)
                }
            }
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => Self::new(
                ErrorCode::BadRequest,
                format!("The request could not be read: {}", clip(&msg)),
            ),
            ServerFnErrorErr::UnsupportedRequestMethod(msg) => {
                Self::new(ErrorCode::BadRequest, msg)
            }
            ServerFnErrorErr::Registration(_) => Self::new(
                ErrorCode::NotFound,
                "There is no such API endpoint. Check the path in docs/api.md.",
            ),
            // Raised in the browser when the request never got an answer.
            ServerFnErrorErr::Request(_) => Self::new(
                ErrorCode::Network,
                "The server could not be reached. Check your connection and try again.",
            ),
            ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::Response(_) => Self::internal(),
        }
    }
}

/// A reader's message, which may quote the request (serde quotes the value
/// it could not read), cut to a length fit for an error body.
fn clip(msg: &str) -> String {
    const MAX: usize = 300;
    if msg.chars().count() <= MAX {
        msg.to_owned()
    } else {
        let mut cut: String = msg.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_request_is_clipped() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Deserialization(format!(
            "invalid type: string \"{}\"",
            "x".repeat(70_000)
        )));
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(e.message.chars().count() < 400);
    }

    #[test]
    fn wire_format_is_code_message_field() {
        let e = ApiError::conflict("username", "taken");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "conflict", "message": "taken", "field": "username"})
        );
        let plain = serde_json::to_value(ApiError::unauthenticated()).unwrap();
        assert!(plain.get("field").is_none());
        assert_eq!(plain["code"], "unauthenticated");
    }

    #[test]
    fn statuses_follow_codes() {
        assert_eq!(ApiError::invalid_credentials().status(), 401);
        assert_eq!(ApiError::new(ErrorCode::SeatsExhausted, "x").status(), 409);
        assert_eq!(ApiError::validation("f", "x").status(), 422);
        assert_eq!(ApiError::new(ErrorCode::BadRequest, "x").status(), 400);
        assert_eq!(ApiError::forbidden().status(), 403);
        assert_eq!(ApiError::internal().status(), 500);
    }

    #[test]
    fn as_str_matches_serde_name() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::Validation,
            ErrorCode::InvalidCredentials,
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::AccountInactive,
            ErrorCode::AccountExpired,
            ErrorCode::PasswordChangeRequired,
            ErrorCode::DirectoryUnavailable,
            ErrorCode::DirectoryOff,
            ErrorCode::DirectoryAccountDisabled,
            ErrorCode::DirectoryAccountExpired,
            ErrorCode::DirectoryPasswordExpired,
            ErrorCode::DirectoryPasswordMustChange,
            ErrorCode::DirectoryAccountLocked,
            ErrorCode::CrossOrigin,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::TooManyAttempts,
            ErrorCode::ServerBusy,
            ErrorCode::NotFound,
            ErrorCode::Conflict,
            ErrorCode::Stale,
            ErrorCode::SeatsExhausted,
            ErrorCode::Network,
            ErrorCode::Internal,
        ] {
            let v = serde_json::to_value(code).unwrap();
            assert_eq!(v.as_str(), Some(code.as_str()));
        }
    }

    #[test]
    fn a_decoding_failure_names_its_field() {
        let failure = crate::api::codec::DecodeFailure {
            field: Some("request.username".into()),
            message: "invalid type: integer `5`, expected a string".into(),
        };
        let e =
            ApiError::from_server_fn_error(ServerFnErrorErr::Deserialization(failure.to_string()));
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert_eq!(e.field.as_deref(), Some("request.username"));
        assert_eq!(
            e.message,
            "The request could not be read: “request.username”: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn unreadable_request_is_bad_request() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(e.message.contains("missing field"));
    }
}
