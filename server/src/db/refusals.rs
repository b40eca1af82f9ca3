//! The windows that rate-limit the audit of refused attempts
//! (`refusal_audit_windows`).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// One actor's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRow {
    pub window_start: OffsetDateTime,
    pub recorded: i32,
    pub suppressed: i32,
}

/// The actor's window, locked until the transaction ends; `None` before
/// their first refusal.
pub async fn lock(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    actor_key: &str,
) -> sqlx::Result<Option<WindowRow>> {
    sqlx::query_as!(
        WindowRow,
        "SELECT window_start, recorded, suppressed FROM refusal_audit_windows
         WHERE tenant_id = $1 AND actor_key = $2 FOR UPDATE",
        tenant_id,
        actor_key
    )
    .fetch_optional(conn)
    .await
}

/// Stores the actor's window as it is now.
pub async fn store(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    actor_key: &str,
    w: WindowRow,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO refusal_audit_windows (tenant_id, actor_key, window_start, recorded, suppressed)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, actor_key) DO UPDATE
         SET window_start = EXCLUDED.window_start, recorded = EXCLUDED.recorded,
             suppressed = EXCLUDED.suppressed",
        tenant_id,
        actor_key,
        w.window_start,
        w.recorded,
        w.suppressed
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the tenant's windows that started before `before`.
pub async fn prune(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    before: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM refusal_audit_windows WHERE tenant_id = $1 AND window_start < $2",
        tenant_id,
        before
    )
    .execute(conn)
    .await?;
    Ok(())
}
