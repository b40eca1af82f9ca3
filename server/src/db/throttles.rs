//! `signin_throttles`: recent consecutive failures per scope (migration
//! `20261201000004`). The rules live in `domain::throttle`.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct ThrottleRow {
    pub scope: String,
    pub username_key: String,
    pub address: String,
    pub failures: i32,
    pub last_failure_at: OffsetDateTime,
}

/// The rows of one attempt's scopes (`account_address`, `account`,
/// `address`). Missing rows mean no failures yet.
pub async fn for_attempt(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username_key: &str,
    address: &str,
) -> sqlx::Result<Vec<ThrottleRow>> {
    sqlx::query_as!(
        ThrottleRow,
        "SELECT scope, username_key, address, failures, last_failure_at FROM signin_throttles
         WHERE tenant_id = $1
           AND ((scope = 'account_address' AND username_key = $2 AND address = $3)
             OR (scope = 'account' AND username_key = $2 AND address = '')
             OR (scope = 'address' AND username_key = '' AND address = $3))",
        tenant_id,
        username_key,
        address
    )
    .fetch_all(conn)
    .await
}

/// Counts a failure in one scope: one more, or the first again when the last
/// one is older than `forget_before`. Answers the new count.
pub async fn count_failure(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    (scope, username_key, address): (&str, &str, &str),
    now: OffsetDateTime,
    forget_before: OffsetDateTime,
) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "INSERT INTO signin_throttles AS t (tenant_id, scope, username_key, address, failures, last_failure_at)
         VALUES ($1, $2, $3, $4, 1, $5)
         ON CONFLICT (tenant_id, scope, username_key, address) DO UPDATE
         SET failures = CASE WHEN t.last_failure_at <= $6 THEN 1 ELSE t.failures + 1 END,
             last_failure_at = $5
         RETURNING failures",
        tenant_id,
        scope,
        username_key,
        address,
        now,
        forget_before
    )
    .fetch_one(conn)
    .await
}

/// Forgets the failures of `username_key` (both its scopes); answers how
/// many rows went.
pub async fn clear_username(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username_key: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM signin_throttles
         WHERE tenant_id = $1 AND username_key = $2 AND scope IN ('account_address', 'account')",
        tenant_id,
        username_key
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The rows of `username_key` (both its scopes), most failures first.
pub async fn for_username(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username_key: &str,
) -> sqlx::Result<Vec<ThrottleRow>> {
    sqlx::query_as!(
        ThrottleRow,
        "SELECT scope, username_key, address, failures, last_failure_at FROM signin_throttles
         WHERE tenant_id = $1 AND username_key = $2 AND scope IN ('account_address', 'account')
         ORDER BY failures DESC, address",
        tenant_id,
        username_key
    )
    .fetch_all(conn)
    .await
}
