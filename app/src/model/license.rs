//! Seat licensing as the administrator sees it (License page, issue #15).

use super::session::WhenFull;
use super::values::{AccountId, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `POST /api/license`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseInfo {
    pub tenant_name: String,
    pub seats_owned: u32,
    /// People signed in now (each holds one seat, whatever their devices).
    pub seats_in_use: u32,
    /// Seats only administrators may take (set by the operator).
    #[serde(default)]
    pub seats_reserved: u32,
    pub idle_lease_seconds: u32,
    #[serde(default)]
    pub sessions_per_person: u32,
    #[serde(default)]
    pub when_full: WhenFull,
    #[serde(default)]
    pub evict_idle_minutes: u32,
    /// Who holds a seat now, one entry per person, longest-held first.
    pub holders: Vec<SeatHolder>,
}

impl LicenseInfo {
    /// Seats nobody holds now (reserved ones included).
    pub fn seats_free(&self) -> u32 {
        self.seats_owned.saturating_sub(self.seats_in_use)
    }
}

/// One person holding a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHolder {
    pub account_id: AccountId,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// When their earliest open session started.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// Their latest heartbeat or request on any device.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// Their latest activity on any device: a request, or keyboard or
    /// pointer input reported with a heartbeat. Idle time counts from here.
    #[serde(with = "time::serde::rfc3339")]
    pub last_active: OffsetDateTime,
    /// Their open sessions, most recently active first.
    #[serde(default)]
    pub devices: Vec<SeatDevice>,
}

/// One open session of a seat holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatDevice {
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_active: OffsetDateTime,
    /// The browser's `User-Agent` as sent at sign-in (capped), if any.
    pub user_agent: Option<String>,
    /// The client address at sign-in, if known.
    pub ip: Option<String>,
}

impl SeatDevice {
    /// "Firefox on Windows": the browser and system named by the
    /// `User-Agent`, for people; "Unknown device" when it says neither.
    pub fn label(&self) -> String {
        device_label(self.user_agent.as_deref().unwrap_or(""))
    }
}

/// `POST /api/license/sign-out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutAnswer {
    /// Sessions ended (0 when the person had already gone).
    pub sessions_ended: u32,
}

/// Names a browser and system from a `User-Agent` (RFC 9110 §10.1.5). Only
/// the common products, checked in the order that their tokens overlap
/// (Edge and Opera also say Chrome; Chrome also says Safari).
pub fn device_label(user_agent: &str) -> String {
    let has = |token: &str| user_agent.contains(token);
    let browser = if has("Edg/") {
        Some("Edge")
    } else if has("OPR/") {
        Some("Opera")
    } else if has("Firefox/") {
        Some("Firefox")
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        Some("Chrome")
    } else if has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("Android") {
        Some("Android")
    } else if has("iPhone") || has("iPad") {
        Some("iOS")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) if user_agent.trim().is_empty() => "Unknown device".to_owned(),
        (None, None) => "Another program".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::device_label;

    #[test]
    fn names_common_browsers_and_systems() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0", "Edge on Windows"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox on Linux"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1", "Chrome on iOS"),
            ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36", "Chrome on Android"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36", "Chrome on Linux"),
            ("curl/8.5.0", "Another program"),
            ("", "Unknown device"),
        ];
        for (ua, label) in cases {
            assert_eq!(device_label(ua), label, "{ua}");
        }
    }
}
