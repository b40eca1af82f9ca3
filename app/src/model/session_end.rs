//! Why a session ended, as every `401 unauthenticated` says it: shared by
//! the error type and the session rules, below both.

use serde::{Deserialize, Serialize};

/// Why a request has no live session: the `reason` of every `401
/// unauthenticated` (documented in `docs/api.md`, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    /// No session cookie, or one the server does not know.
    NoSession,
    /// The person signed out (on this device, or this tab is stale).
    Logout,
    /// The person chose "Sign out everywhere".
    SignedOutEverywhere,
    /// An administrator signed the person out on the License page.
    SignedOut,
    /// Every seat was held and the tenant's policy gave this idle seat to
    /// someone signing in.
    Evicted,
    /// The person signed in on more devices than the tenant allows; this,
    /// their longest-idle session, was ended.
    DeviceLimit,
    /// No activity for the tenant's idle lease: the seat was freed.
    LeaseExpired,
    /// The tenant's session lifetime after sign-in was reached.
    Lifetime,
    /// The account was deactivated.
    Deactivated,
    /// The account's expiry date came.
    Expired,
    /// An administrator reset the password.
    PasswordReset,
    /// The person changed their password on another device.
    PasswordChanged,
    /// A reason this version of the app does not know.
    #[serde(other)]
    Unknown,
}

impl SessionEnd {
    /// From `sessions.end_reason`.
    pub fn from_end_reason(db: &str) -> Self {
        match db {
            "logout" => SessionEnd::Logout,
            "signed_out_everywhere" => SessionEnd::SignedOutEverywhere,
            "signed_out_by_admin" => SessionEnd::SignedOut,
            "evicted" => SessionEnd::Evicted,
            "device_limit" => SessionEnd::DeviceLimit,
            "lease_expired" => SessionEnd::LeaseExpired,
            "lifetime" => SessionEnd::Lifetime,
            "account_deactivated" => SessionEnd::Deactivated,
            "account_expired" => SessionEnd::Expired,
            "password_reset" => SessionEnd::PasswordReset,
            "password_changed" => SessionEnd::PasswordChanged,
            _ => SessionEnd::Unknown,
        }
    }

    /// Ended by someone or something else while the person may still be
    /// looking at the app: worth a full-page notice rather than the bare
    /// sign-in form.
    pub fn needs_notice(self) -> bool {
        !matches!(
            self,
            SessionEnd::NoSession | SessionEnd::Logout | SessionEnd::Unknown
        )
    }

    /// What the person is told, in general terms (the server adds numbers
    /// where it knows them, e.g. the lifetime in hours).
    pub fn message(self) -> String {
        match self {
            SessionEnd::NoSession | SessionEnd::Unknown => "Your session has ended. Sign in again to continue.",
            SessionEnd::Logout => "You signed out. Sign in again to continue.",
            SessionEnd::SignedOutEverywhere => "You signed out on every device. Sign in again to continue.",
            SessionEnd::SignedOut => "Your administrator signed you out to free a seat.",
            SessionEnd::Evicted => "You were signed out to free a seat for someone else: every seat was in use, and you had been inactive the longest.",
            SessionEnd::DeviceLimit => "You were signed out on this device because you signed in on another one, and your organisation limits how many devices one person uses at once.",
            SessionEnd::LeaseExpired => "You were signed out after a while without activity, and your seat was freed. Sign in again to continue.",
            SessionEnd::Lifetime => "Your session reached the longest a session lasts in your organisation. Sign in again to continue.",
            SessionEnd::Deactivated => "You were signed out because this account was deactivated. Ask your administrator to reactivate it.",
            SessionEnd::Expired => "You were signed out because this account has expired. Ask your administrator to extend it.",
            SessionEnd::PasswordReset => "Your password was reset, so you were signed out. Sign in with the new password.",
            SessionEnd::PasswordChanged => "Your password was changed, so this device was signed out. Sign in with the new password.",
        }
        .to_owned()
    }
}
