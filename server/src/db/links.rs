//! Invitation and password-reset links (`password_links`).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct NewLink<'a> {
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub kind: &'a str,
    pub token_hash: &'a [u8],
    pub now: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    pub created_by_name: Option<&'a str>,
}

pub async fn insert(conn: &mut PgConnection, l: NewLink<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO password_links (tenant_id, account_id, kind, token_hash, created_at, expires_at,
                                     created_by, created_by_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        l.tenant_id,
        l.account_id,
        l.kind,
        l.token_hash,
        l.now,
        l.expires_at,
        l.created_by,
        l.created_by_name
    )
    .fetch_one(conn)
    .await
}

/// Closes the account's open links (of `kind`, or of every kind when
/// `None`) for `reason`; returns how many.
pub async fn close_open(
    conn: &mut PgConnection,
    account_id: Uuid,
    kind: Option<&str>,
    reason: &str,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE password_links SET closed_at = $4, closed_reason = $3
         WHERE account_id = $1 AND ($2::text IS NULL OR kind = $2)
           AND used_at IS NULL AND closed_at IS NULL",
        account_id,
        kind,
        reason,
        now
    )
    .execute(conn)
    .await?
    .rows_affected())
}

#[derive(Debug)]
pub struct LinkRow {
    pub id: i64,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub kind: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub created_by_name: Option<String>,
    pub used_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub closed_reason: Option<String>,
}

/// The link with this token hash; locked when `lock` (to use it once).
pub async fn by_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
    lock: bool,
) -> sqlx::Result<Option<LinkRow>> {
    if lock {
        sqlx::query_as!(
            LinkRow,
            "SELECT id, tenant_id, account_id, kind, created_at, expires_at, created_by_name,
                    used_at, closed_at, closed_reason
             FROM password_links WHERE token_hash = $1 FOR UPDATE",
            token_hash
        )
        .fetch_optional(conn)
        .await
    } else {
        sqlx::query_as!(
            LinkRow,
            "SELECT id, tenant_id, account_id, kind, created_at, expires_at, created_by_name,
                    used_at, closed_at, closed_reason
             FROM password_links WHERE token_hash = $1",
            token_hash
        )
        .fetch_optional(conn)
        .await
    }
}

/// The account's latest link of `kind`.
pub async fn latest(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    account_id: Uuid,
    kind: &str,
) -> sqlx::Result<Option<LinkRow>> {
    sqlx::query_as!(
        LinkRow,
        "SELECT id, tenant_id, account_id, kind, created_at, expires_at, created_by_name,
                used_at, closed_at, closed_reason
         FROM password_links WHERE tenant_id = $1 AND account_id = $2 AND kind = $3
         ORDER BY created_at DESC, id DESC LIMIT 1",
        tenant_id,
        account_id,
        kind
    )
    .fetch_optional(conn)
    .await
}

pub async fn mark_used(conn: &mut PgConnection, id: i64, now: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE password_links SET used_at = $2 WHERE id = $1",
        id,
        now
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// How many links of `kind` the account was sent since `since`.
pub async fn count_since(
    conn: &mut PgConnection,
    account_id: Uuid,
    kind: &str,
    since: OffsetDateTime,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM password_links
           WHERE account_id = $1 AND kind = $2 AND created_at > $3"#,
        account_id,
        kind,
        since
    )
    .fetch_one(conn)
    .await
}
