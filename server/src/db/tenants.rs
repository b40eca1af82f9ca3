use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub seat_limit: i32,
    pub idle_lease_seconds: i32,
    pub password_policy: serde_json::Value,
    /// Devices one person may keep signed in at once (1 to 10).
    pub sessions_per_person: i32,
    /// `refuse` or `evict_idle` ([`app::model::WhenFull`]).
    pub when_full: String,
    pub evict_idle_minutes: i32,
    /// Seats only administrators may take; 0, or fewer than `seat_limit`.
    pub admin_reserve: i32,
    /// The organisation's IANA time zone ([`crate::zone::Zone`]).
    pub time_zone: String,
}

pub async fn insert(
    conn: &mut PgConnection,
    slug: &str,
    name: &str,
    seat_limit: i32,
    now: OffsetDateTime,
) -> sqlx::Result<TenantRow> {
    sqlx::query_as!(
        TenantRow,
        "INSERT INTO tenants (slug, name, seat_limit, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id, slug, name, seat_limit, idle_lease_seconds, password_policy,
                   sessions_per_person, when_full, evict_idle_minutes, admin_reserve, time_zone",
        slug,
        name,
        seat_limit,
        now
    )
    .fetch_one(conn)
    .await
}

pub async fn by_slug(conn: &mut PgConnection, slug: &str) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as!(
        TenantRow,
        "SELECT id, slug, name, seat_limit, idle_lease_seconds, password_policy,
                   sessions_per_person, when_full, evict_idle_minutes, admin_reserve, time_zone FROM tenants WHERE slug = $1",
        slug
    )
    .fetch_optional(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as!(
        TenantRow,
        "SELECT id, slug, name, seat_limit, idle_lease_seconds, password_policy,
                   sessions_per_person, when_full, evict_idle_minutes, admin_reserve, time_zone FROM tenants WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Locks the tenant's row for the rest of the transaction: every seat decision
/// for a tenant is taken under this lock, whichever server instance takes it.
///
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: holders queue behind each other,
/// but a row that merely references the tenant (an audit event, a sign-in
/// failure's) can still be inserted, since its foreign-key check takes only
/// `FOR KEY SHARE`. With `FOR UPDATE` a sign-in that clears a username's
/// failures under this lock deadlocked with a wrong password for the same
/// username, which holds those rows while it writes its audit event.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<TenantRow> {
    sqlx::query_as!(
        TenantRow,
        "SELECT id, slug, name, seat_limit, idle_lease_seconds, password_policy,
                   sessions_per_person, when_full, evict_idle_minutes, admin_reserve, time_zone FROM tenants WHERE id = $1 FOR NO KEY UPDATE",
        id
    )
    .fetch_one(conn)
    .await
}

pub async fn set_seats(
    conn: &mut PgConnection,
    id: Uuid,
    seat_limit: i32,
    admin_reserve: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE tenants SET seat_limit = $2, admin_reserve = $3 WHERE id = $1",
        id,
        seat_limit,
        admin_reserve
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub struct SettingsRow {
    pub directory_signin_enabled: bool,
    pub password_policy: serde_json::Value,
    pub invitation_hours: i32,
    pub session_lifetime_hours: i32,
    pub sessions_per_person: i32,
    pub when_full: String,
    pub evict_idle_minutes: i32,
    pub seat_alerts: bool,
    pub time_zone: String,
    /// Goes up whenever one of the Settings screen's fields changes.
    pub settings_version: i64,
}

pub async fn settings(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<SettingsRow> {
    sqlx::query_as!(
        SettingsRow,
        "SELECT directory_signin_enabled, password_policy, invitation_hours, session_lifetime_hours,
                sessions_per_person, when_full, evict_idle_minutes, seat_alerts, time_zone,
                settings_version
         FROM tenants WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await
}

/// The settings an administrator edits (Settings page), as stored.
pub struct SettingsUpdate<'a> {
    pub password_policy: &'a serde_json::Value,
    pub invitation_hours: i32,
    pub session_lifetime_hours: i32,
    pub sessions_per_person: i32,
    pub when_full: &'a str,
    pub evict_idle_minutes: i32,
    pub seat_alerts: bool,
    /// A canonical IANA identifier ([`crate::zone::Zone::name`]).
    pub time_zone: &'a str,
}

pub async fn set_settings(
    conn: &mut PgConnection,
    id: Uuid,
    s: SettingsUpdate<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE tenants SET password_policy = $2, invitation_hours = $3, session_lifetime_hours = $4,
                sessions_per_person = $5, when_full = $6, evict_idle_minutes = $7, seat_alerts = $8,
                time_zone = $9
         WHERE id = $1",
        id,
        s.password_policy,
        s.invitation_hours,
        s.session_lifetime_hours,
        s.sessions_per_person,
        s.when_full,
        s.evict_idle_minutes,
        s.seat_alerts,
        s.time_zone
    )
    .execute(conn)
    .await
    .map(|_| ())
}
