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
         RETURNING id, slug, name, seat_limit, idle_lease_seconds, password_policy",
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
        "SELECT id, slug, name, seat_limit, idle_lease_seconds, password_policy FROM tenants WHERE slug = $1",
        slug
    )
    .fetch_optional(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TenantRow>> {
    sqlx::query_as!(
        TenantRow,
        "SELECT id, slug, name, seat_limit, idle_lease_seconds, password_policy FROM tenants WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Locks the tenant's row for the rest of the transaction: every seat decision
/// for a tenant is taken under this lock, whichever server instance takes it.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<TenantRow> {
    sqlx::query_as!(
        TenantRow,
        "SELECT id, slug, name, seat_limit, idle_lease_seconds, password_policy FROM tenants WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_one(conn)
    .await
}

pub async fn set_seats(conn: &mut PgConnection, id: Uuid, seat_limit: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE tenants SET seat_limit = $2 WHERE id = $1",
        id,
        seat_limit
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
}

pub async fn settings(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<SettingsRow> {
    sqlx::query_as!(
        SettingsRow,
        "SELECT directory_signin_enabled, password_policy, invitation_hours, session_lifetime_hours
         FROM tenants WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await
}

pub async fn set_settings(
    conn: &mut PgConnection,
    id: Uuid,
    password_policy: &serde_json::Value,
    invitation_hours: i32,
    session_lifetime_hours: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE tenants SET password_policy = $2, invitation_hours = $3, session_lifetime_hours = $4
         WHERE id = $1",
        id,
        password_policy,
        invitation_hours,
        session_lifetime_hours
    )
    .execute(conn)
    .await
    .map(|_| ())
}
