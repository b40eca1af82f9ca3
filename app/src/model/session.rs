use super::values::{AccountId, Role};
use super::ApiError;
use serde::{Deserialize, Serialize};

/// A session ends this long after sign-in, whatever its activity, unless
/// the tenant chose otherwise (OWASP ASVS 5.0 V7.3.2).
pub const SESSION_LIFETIME_HOURS_DEFAULT: u32 = 12;
pub const SESSION_LIFETIME_HOURS_MIN: u32 = 1;
/// A week.
pub const SESSION_LIFETIME_HOURS_MAX: u32 = 168;

pub fn check_session_lifetime_hours(hours: u32) -> Result<(), ApiError> {
    if (SESSION_LIFETIME_HOURS_MIN..=SESSION_LIFETIME_HOURS_MAX).contains(&hours) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "session_lifetime_hours",
            format!(
                "A session must last {SESSION_LIFETIME_HOURS_MIN} to {SESSION_LIFETIME_HOURS_MAX} hours (a week) after sign-in."
            ),
        ))
    }
}

/// Who is signed in, as the browser needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub account_id: AccountId,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    /// How often the open app should send a heartbeat to keep its seat.
    pub heartbeat_seconds: u32,
    /// A seat not seen for this long is given to the next person who signs in.
    pub idle_lease_seconds: u32,
    /// The session may do nothing but set a new password (required at next
    /// sign-in, or the rotation interval has passed).
    #[serde(default)]
    pub password_change_required: bool,
    /// An Active Directory account: the password is changed in the
    /// directory, not in Rollcall.
    #[serde(default)]
    pub directory_account: bool,
}

impl SessionInfo {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Administrator
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatInfo {
    /// Seconds the seat stays held without another heartbeat.
    pub lease_seconds: u32,
}

/// The session cookie's name, with the `__Host-` prefix when served over HTTPS.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rollcall_session"
    } else {
        "rollcall_session"
    }
}
