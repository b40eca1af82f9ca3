//! What the usage history reads and rolls up (issue #15).

use app::model::usage::UsageRow;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct SpanRow {
    pub account_id: Uuid,
    pub started_at: OffsetDateTime,
    pub ended_at: OffsetDateTime,
}

/// Every session span of the tenant that overlaps `[from, to)`, as known at
/// `now`: ended sessions end when they ended; open ones past their idle
/// lease or lifetime end when that ran out (as `reclaim_expired` will
/// record); live ones end `now`. Deleted accounts' spans included. A
/// session lasts at most 168 hours (the longest lifetime), which bounds the
/// search by start.
pub async fn spans(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<SpanRow>> {
    sqlx::query_as!(
        SpanRow,
        r#"SELECT account_id AS "account_id!", started_at AS "started_at!", ended_at AS "ended_at!"
           FROM (
               SELECT s.account_id, s.created_at AS started_at,
                      COALESCE(s.ended_at,
                               LEAST($4, rollcall_lapse_at(s.last_seen_at, s.created_at,
                                                           t.idle_lease_seconds,
                                                           t.session_lifetime_hours))) AS ended_at
               FROM sessions s JOIN tenants t ON t.id = s.tenant_id
               WHERE s.tenant_id = $1 AND s.created_at < $3
                 AND s.created_at > $2::timestamptz - interval '168 hours'
               UNION ALL
               SELECT r.account_id, r.started_at, r.ended_at
               FROM retired_session_spans r
               WHERE r.tenant_id = $1 AND r.started_at < $3
                 AND r.started_at > $2::timestamptz - interval '168 hours'
           ) spans
           WHERE ended_at > $2"#,
        tenant_id,
        from,
        to,
        now
    )
    .fetch_all(conn)
    .await
}

pub struct RefusalRow {
    pub hour: OffsetDateTime,
    pub refused: i64,
}

/// Sign-ins refused for lack of a seat in `[from, to)`, by UTC hour.
pub async fn refusals(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<RefusalRow>> {
    sqlx::query_as!(
        RefusalRow,
        r#"SELECT date_bin('1 hour', occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS "hour!",
                  count(*) AS "refused!"
           FROM audit_events
           WHERE tenant_id = $1 AND action = 'login.refused_seats'
             AND occurred_at >= $2 AND occurred_at < $3
           GROUP BY 1"#,
        tenant_id,
        from,
        to
    )
    .fetch_all(conn)
    .await
}

pub struct SeatChangeRow {
    pub at: OffsetDateTime,
    pub seats: i32,
}

/// The tenant's seat count as created and after each change, oldest first
/// (from the audit trail, which is never rewritten).
pub async fn seat_changes(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> sqlx::Result<Vec<SeatChangeRow>> {
    sqlx::query_as!(
        SeatChangeRow,
        r#"SELECT occurred_at AS "at!", (details->'after'->>'seat_limit')::int AS "seats!"
           FROM audit_events
           WHERE tenant_id = $1 AND action IN ('tenant.created', 'tenant.seats_changed')
             AND details->'after' ? 'seat_limit'
           ORDER BY occurred_at, id"#,
        tenant_id
    )
    .fetch_all(conn)
    .await
}

pub async fn tenant_created(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!("SELECT created_at FROM tenants WHERE id = $1", tenant_id)
        .fetch_optional(conn)
        .await
}

pub async fn last_rolled_hour(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!(
        "SELECT max(hour) FROM seat_usage_hours WHERE tenant_id = $1",
        tenant_id
    )
    .fetch_one(conn)
    .await
}

/// Stores final hours; an hour another request stored first is kept.
pub async fn store_hours(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    rows: &[UsageRow],
) -> sqlx::Result<()> {
    let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let hours: Vec<OffsetDateTime> = rows.iter().map(|r| r.start).collect();
    let peaks: Vec<i32> = rows.iter().map(|r| int(r.peak_people)).collect();
    let refused: Vec<i32> = rows.iter().map(|r| int(r.refused)).collect();
    let seats: Vec<i32> = rows.iter().map(|r| int(r.seats)).collect();
    sqlx::query!(
        "INSERT INTO seat_usage_hours (tenant_id, hour, peak_people, refused, seats)
         SELECT $1, * FROM unnest($2::timestamptz[], $3::int4[], $4::int4[], $5::int4[])
         ON CONFLICT (tenant_id, hour) DO NOTHING",
        tenant_id,
        &hours,
        &peaks,
        &refused,
        &seats
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Rolled-up hours in `[from, to)`, oldest first.
pub async fn stored_hours(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<UsageRow>> {
    let rows = sqlx::query!(
        "SELECT hour, peak_people, refused, seats FROM seat_usage_hours
         WHERE tenant_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour",
        tenant_id,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|r| UsageRow {
            start: r.hour,
            peak_people: n(r.peak_people),
            seats: n(r.seats),
            refused: n(r.refused),
        })
        .collect())
}
