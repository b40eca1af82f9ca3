//! The once-a-day mail about refused sign-ins (issue #15).

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub struct DueAlert {
    pub tenant_id: Uuid,
    pub day: Date,
}

/// Tenants with alerts on and the days of their calendar (their time zone)
/// on which they refused sign-ins for lack of a seat, without a mail yet:
/// the `look_back_days` days before each tenant's today at `now`. Spans
/// tenants: run with [`super::Scope::EveryTenant`].
pub async fn due(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    look_back_days: i32,
) -> sqlx::Result<Vec<DueAlert>> {
    sqlx::query_as!(
        DueAlert,
        r#"SELECT DISTINCT e.tenant_id AS "tenant_id!", (e.occurred_at AT TIME ZONE t.time_zone)::date AS "day!"
           FROM audit_events e JOIN tenants t ON t.id = e.tenant_id
           WHERE e.action = 'login.refused_seats'
             AND e.occurred_at >= $1::timestamptz - make_interval(days => $2 + 1)
             AND (e.occurred_at AT TIME ZONE t.time_zone)::date
                 >= ($1::timestamptz AT TIME ZONE t.time_zone)::date - $2
             AND (e.occurred_at AT TIME ZONE t.time_zone)::date
                 < ($1::timestamptz AT TIME ZONE t.time_zone)::date
             AND t.seat_alerts
             AND NOT EXISTS (SELECT 1 FROM seat_alerts a
                             WHERE a.tenant_id = e.tenant_id
                               AND a.day = (e.occurred_at AT TIME ZONE t.time_zone)::date)
           ORDER BY 1, 2"#,
        now,
        look_back_days
    )
    .fetch_all(conn)
    .await
}

pub struct RefusedRow {
    /// Every seat was held.
    pub full: i64,
    /// Only seats reserved for administrators were free.
    pub reserved: i64,
}

/// Sign-ins refused for lack of a seat in `[from, to)`, by the reason
/// recorded with each.
pub async fn refused_on(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<RefusedRow> {
    sqlx::query_as!(
        RefusedRow,
        r#"SELECT count(*) FILTER (WHERE details->>'reason' IS DISTINCT FROM 'reserved_for_administrators') AS "full!",
                  count(*) FILTER (WHERE details->>'reason' = 'reserved_for_administrators') AS "reserved!"
           FROM audit_events
           WHERE tenant_id = $1 AND action = 'login.refused_seats'
             AND occurred_at >= $2 AND occurred_at < $3"#,
        tenant_id,
        from,
        to
    )
    .fetch_one(conn)
    .await
}

/// The addresses of the tenant's administrators active on `today`.
pub async fn administrators(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    today: Date,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT email FROM accounts
         WHERE tenant_id = $1 AND role = 'administrator' AND status = 'active'
           AND (expires_on IS NULL OR expires_on > $2) AND email <> ''
         ORDER BY username_key",
        tenant_id,
        today
    )
    .fetch_all(conn)
    .await
}

/// Records the day's mail; `false` when another worker already did.
pub async fn claim(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    day: Date,
    refused: i32,
    recipients: i32,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO seat_alerts (tenant_id, day, refused, recipients, queued_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, day) DO NOTHING",
        tenant_id,
        day,
        refused,
        recipients,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
