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

/// How many devices one person may keep signed in at once, unless the
/// tenant chose otherwise (issue #15): a sign-in beyond it ends the person's
/// longest-idle session.
pub const SESSIONS_PER_PERSON_DEFAULT: u32 = 3;
pub const SESSIONS_PER_PERSON_MAX: u32 = 10;

pub fn check_sessions_per_person(n: u32) -> Result<(), ApiError> {
    if (1..=SESSIONS_PER_PERSON_MAX).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "sessions_per_person",
            format!("Allow 1 to {SESSIONS_PER_PERSON_MAX} devices per person."),
        ))
    }
}

/// With [`WhenFull::EvictIdle`], how long the person idle longest must have
/// been inactive before a newcomer takes their seat, in minutes.
pub const EVICT_IDLE_MINUTES_DEFAULT: u32 = 30;
/// A day.
pub const EVICT_IDLE_MINUTES_MAX: u32 = 1440;

pub fn check_evict_idle_minutes(minutes: u32) -> Result<(), ApiError> {
    if (1..=EVICT_IDLE_MINUTES_MAX).contains(&minutes) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "evict_idle_minutes",
            format!("Enter 1 to {EVICT_IDLE_MINUTES_MAX} minutes (a day)."),
        ))
    }
}

/// What a sign-in does when every seat is held (issue #15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// The newest sign-in is refused: "ClockWork will drop the most recent
    /// connection" (vendor page `000_cf546f5a3a895983.txt`).
    #[default]
    Refuse,
    /// The person idle longest is signed out if idle at least the tenant's
    /// `evict_idle_minutes`; otherwise the sign-in is refused.
    EvictIdle,
}

impl WhenFull {
    pub fn as_str(self) -> &'static str {
        match self {
            WhenFull::Refuse => "refuse",
            WhenFull::EvictIdle => "evict_idle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [WhenFull::Refuse, WhenFull::EvictIdle]
            .into_iter()
            .find(|w| w.as_str() == s)
    }
}

pub use super::session_end::SessionEnd;

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
    /// The organisation's IANA time zone (`America/Toronto`): every date and
    /// time on screen is shown in it (#27).
    #[serde(default = "super::clients::default_time_zone")]
    pub time_zone: String,
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
