use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Removes batches nobody committed within an hour.
pub async fn remove_stale(conn: &mut PgConnection, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM import_batches WHERE created_at < $1::timestamptz - interval '1 hour'",
        now
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn create_batch(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    created_by: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO import_batches (tenant_id, created_by, created_at) VALUES ($1, $2, $3) RETURNING id",
        tenant_id,
        created_by,
        now
    )
    .fetch_one(conn)
    .await
}

/// Locks the batch if it belongs to this tenant and administrator.
pub async fn lock_batch(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    created_by: Uuid,
    id: Uuid,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM import_batches WHERE id = $1 AND tenant_id = $2 AND created_by = $3 FOR UPDATE",
        id,
        tenant_id,
        created_by
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

pub async fn stage_row(
    conn: &mut PgConnection,
    batch: Uuid,
    line: i32,
    request: &serde_json::Value,
    password_hash: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO import_rows (tenant_id, batch_id, line, request, password_hash)
         SELECT tenant_id, id, $2, $3, $4 FROM import_batches WHERE id = $1
         ON CONFLICT (batch_id, line) DO UPDATE SET request = EXCLUDED.request,
             password_hash = EXCLUDED.password_hash",
        batch,
        line,
        request,
        password_hash
    )
    .execute(conn)
    .await
    .and_then(super::one_row)
}

pub async fn count_rows(conn: &mut PgConnection, batch: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM import_rows WHERE batch_id = $1"#,
        batch
    )
    .fetch_one(conn)
    .await
}

pub struct StagedRow {
    pub line: i32,
    pub request: serde_json::Value,
    pub password_hash: Option<String>,
}

pub async fn rows(conn: &mut PgConnection, batch: Uuid) -> sqlx::Result<Vec<StagedRow>> {
    sqlx::query_as!(
        StagedRow,
        "SELECT line, request, password_hash FROM import_rows WHERE batch_id = $1 ORDER BY line",
        batch
    )
    .fetch_all(conn)
    .await
}

pub async fn delete_batch(conn: &mut PgConnection, batch: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM import_batches WHERE id = $1", batch)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Which of `keys` are usernames already taken in the tenant.
pub async fn taken_usernames(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    keys: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT username_key FROM accounts WHERE tenant_id = $1 AND username_key = ANY($2)",
        tenant_id,
        keys
    )
    .fetch_all(conn)
    .await
}
