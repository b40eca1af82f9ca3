//! The organisation's clients, and the settings page's data.

use super::password::PasswordPolicy;
use super::values::ClientId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    /// Archived clients stay on the accounts that have them but cannot be
    /// chosen for more.
    pub archived: bool,
    /// How many accounts work on this client.
    pub account_count: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Goes up whenever this changes; a rename sends the version it was
    /// based on (#25).
    #[serde(default)]
    pub version: i64,
}

/// Create (no `id`) or rename (with `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveClientRequest {
    #[serde(default)]
    pub id: Option<ClientId>,
    /// With `id`: the version the rename was based on (required; an older
    /// one than the stored client's is `409 stale`).
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
}

/// The tenant-wide settings an administrator edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Offers "Active Directory domain account" on the account form.
    /// Read-only here: switched with `POST /api/directory/save`.
    #[serde(default)]
    pub directory_signin_enabled: bool,
    pub password_policy: PasswordPolicy,
    /// How long an invitation link works, in hours (1 to 720).
    #[serde(default = "default_invitation_hours")]
    pub invitation_hours: u32,
    /// How long a session lasts after sign-in, however active, in hours
    /// (1 to 168); then the person signs in again.
    #[serde(default = "default_session_lifetime_hours")]
    pub session_lifetime_hours: u32,
    /// How many devices one person may keep signed in at once (1 to 10);
    /// a sign-in beyond it ends their longest-idle session. All of them
    /// share one seat.
    #[serde(default = "default_sessions_per_person")]
    pub sessions_per_person: u32,
    /// What a sign-in does when every seat is held.
    #[serde(default)]
    pub when_full: super::session::WhenFull,
    /// With `when_full: evict_idle`, how long (minutes, 1 to 1440) the
    /// person idle longest must have been inactive to lose their seat.
    #[serde(default = "default_evict_idle_minutes")]
    pub evict_idle_minutes: u32,
    /// Mail the administrators, at most once a day, when sign-ins were
    /// refused for lack of a seat the day before.
    #[serde(default = "default_true")]
    pub seat_alerts: bool,
    /// The organisation's IANA time zone, e.g. `America/Toronto` (default
    /// `UTC`). Every date and time the app, the CSV files, the mails and the
    /// CLI show is in it, and an account's expiry date begins at 00:00
    /// there. Unknown names are `422 validation` on `time_zone` (#27).
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Goes up whenever one of these settings changes. `settings/update`
    /// must send the version `settings/get` answered: an older one is
    /// `409 stale` (#25).
    pub version: i64,
}

/// `UTC`, the zone of an organisation that has not chosen one.
pub fn default_time_zone() -> String {
    "UTC".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_sessions_per_person() -> u32 {
    super::session::SESSIONS_PER_PERSON_DEFAULT
}

fn default_evict_idle_minutes() -> u32 {
    super::session::EVICT_IDLE_MINUTES_DEFAULT
}

fn default_session_lifetime_hours() -> u32 {
    super::session::SESSION_LIFETIME_HOURS_DEFAULT
}

fn default_invitation_hours() -> u32 {
    super::invitations::INVITATION_HOURS_DEFAULT
}

/// What the account form needs to draw itself: the policy, whether the
/// directory option is offered, the clients to choose from, and today's date
/// on the server (expiry dates must be later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFormOptions {
    pub settings: TenantSettings,
    pub clients: Vec<Client>,
    /// For Group Memberships.
    #[serde(default)]
    pub groups: Vec<super::permissions::Group>,
    #[serde(with = "super::accounts::date")]
    pub today: time::Date,
}
