//! The organisation as every service reads it: found by its short name,
//! its password policy and settings decoded from the `tenants` row. The
//! lowest floor of the domain: it uses only `db` and `app`.

use super::Services;
use crate::db::{self, tenants::TenantRow, Scope};
use crate::error::{Error, Result};
use app::model::invitations::INVITATION_HOURS_DEFAULT;
use app::model::session::{
    EVICT_IDLE_MINUTES_DEFAULT, SESSIONS_PER_PERSON_DEFAULT, SESSION_LIFETIME_HOURS_DEFAULT,
};
use app::model::{ApiError, PasswordPolicy, TenantSettings, TenantSlug, WhenFull};
use sqlx::PgConnection;
use uuid::Uuid;

/// The stored policy document; a key that is missing takes the seed default.
pub fn parse_policy(value: serde_json::Value) -> Result<PasswordPolicy> {
    serde_json::from_value(value).map_err(|e| {
        tracing::error!(error = %e, "unreadable password policy in the tenants table");
        Error::Api(ApiError::internal())
    })
}

pub async fn tenant_policy(conn: &mut PgConnection, tenant_id: Uuid) -> Result<PasswordPolicy> {
    parse_policy(
        db::tenants::settings(conn, tenant_id)
            .await?
            .password_policy,
    )
}

pub async fn tenant_settings(conn: &mut PgConnection, tenant_id: Uuid) -> Result<TenantSettings> {
    let row = db::tenants::settings(conn, tenant_id).await?;
    Ok(TenantSettings {
        directory_signin_enabled: row.directory_signin_enabled,
        password_policy: parse_policy(row.password_policy)?,
        invitation_hours: u32::try_from(row.invitation_hours).unwrap_or(INVITATION_HOURS_DEFAULT),
        session_lifetime_hours: u32::try_from(row.session_lifetime_hours)
            .unwrap_or(SESSION_LIFETIME_HOURS_DEFAULT),
        sessions_per_person: u32::try_from(row.sessions_per_person)
            .unwrap_or(SESSIONS_PER_PERSON_DEFAULT),
        when_full: WhenFull::parse(&row.when_full).unwrap_or_default(),
        evict_idle_minutes: u32::try_from(row.evict_idle_minutes)
            .unwrap_or(EVICT_IDLE_MINUTES_DEFAULT),
        seat_alerts: row.seat_alerts,
        time_zone: row.time_zone,
        version: row.settings_version,
    })
}

impl Services {
    /// The tenant whose short name is `slug`: `400 validation` on `slug`
    /// when it is not a short name, `404 not_found` when no tenant has it.
    pub async fn find_tenant(&self, slug: &str) -> Result<TenantRow> {
        let slug =
            TenantSlug::parse(slug).map_err(|m| Error::from(ApiError::validation("slug", m)))?;
        let mut conn = db::begin(&self.pool, Scope::TenantSlug(slug.as_str())).await?;
        db::tenants::by_slug(&mut conn, slug.as_str())
            .await?
            .ok_or_else(|| ApiError::not_found_named("tenant", slug.as_str()).into())
    }
}

/// The refusal of an Active Directory account where the organisation has
/// not switched directory sign-in on (`422 validation` on `account_type`).
pub(crate) fn directory_not_allowed() -> Error {
    ApiError::validation(
        "account_type",
        "Directory sign-in is not switched on for this organisation: create a local account, or connect the directory in Settings → Directory.",
    )
    .into()
}
