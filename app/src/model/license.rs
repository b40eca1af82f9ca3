use super::values::AccountId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseInfo {
    pub tenant_name: String,
    pub seats_owned: u32,
    pub seats_in_use: u32,
    pub idle_lease_seconds: u32,
    /// Who holds a seat now, longest-held first.
    pub holders: Vec<SeatHolder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHolder {
    pub account_id: AccountId,
    pub username: String,
    pub full_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}
