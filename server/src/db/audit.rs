use app::model::text;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct InsertAuditEvent<'a> {
    pub tenant_id: Option<Uuid>,
    pub occurred_at: OffsetDateTime,
    pub actor_kind: &'a str,
    pub actor_account_id: Option<Uuid>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_kind: Option<&'a str>,
    pub target_id: Option<String>,
    pub target_label: Option<&'a str>,
    pub details: serde_json::Value,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert(conn: &mut PgConnection, e: InsertAuditEvent<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_account_id,
             actor_label, action, target_kind, target_id, target_label, details, ip, user_agent,
             actor_key, target_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        e.tenant_id,
        e.occurred_at,
        e.actor_kind,
        e.actor_account_id,
        e.actor_label,
        e.action,
        e.target_kind,
        e.target_id,
        e.target_label,
        e.details,
        e.ip,
        e.user_agent,
        text::search_key(e.actor_label),
        e.target_label.map(text::search_key)
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub struct AuditRow {
    pub id: i64,
    pub occurred_at: OffsetDateTime,
    pub actor_label: String,
    pub action: String,
    pub target_label: Option<String>,
    pub details: serde_json::Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub struct AuditFilterSql<'a> {
    /// `LIKE` patterns over the search keys ([`text::contains_pattern`]).
    pub actor_like: Option<&'a str>,
    pub target_like: Option<&'a str>,
    /// `ILIKE` patterns of the term as typed, for events recorded before
    /// the search keys existed (their keys are NULL: events never change).
    pub actor_ilike: Option<&'a str>,
    pub target_ilike: Option<&'a str>,
    pub action: Option<&'a str>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// The tenant's events, newest first.
pub async fn list(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    f: &AuditFilterSql<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT id, occurred_at, actor_label, action, target_label, details, ip, user_agent
           FROM audit_events
           WHERE tenant_id = $1
             AND ($2::text IS NULL OR CASE WHEN actor_key IS NULL THEN actor_label ILIKE $9
                                           ELSE actor_key LIKE $2 END)
             AND ($3::text IS NULL OR CASE WHEN target_key IS NULL THEN target_label ILIKE $10
                                           ELSE target_key LIKE $3 END)
             AND ($4::text IS NULL OR action = $4)
             AND ($5::timestamptz IS NULL OR occurred_at >= $5)
             AND ($6::timestamptz IS NULL OR occurred_at < $6)
           ORDER BY occurred_at DESC, id DESC
           LIMIT $7 OFFSET $8"#,
        tenant_id,
        f.actor_like,
        f.target_like,
        f.action,
        f.from,
        f.until,
        limit,
        offset,
        f.actor_ilike,
        f.target_ilike
    )
    .fetch_all(conn)
    .await
}

/// One link of a tenant's audit chain with the digest of its event,
/// recomputed here (not by the database's `audit_event_digest`, which a
/// tamperer could have replaced).
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub event_id: i64,
    pub occurred_at: OffsetDateTime,
    pub action: String,
    pub seq: i64,
    pub hash: Vec<u8>,
    pub digest: Vec<u8>,
}

/// Up to `limit` links of the chain of `tenant_id` (`None`: platform events)
/// after link number `after` and up to link `last`, in order.
pub async fn links_after(
    conn: &mut PgConnection,
    tenant_id: Option<Uuid>,
    after: i64,
    last: i64,
    limit: i64,
) -> sqlx::Result<Vec<LinkRow>> {
    sqlx::query_as!(
        LinkRow,
        r#"SELECT e.id AS event_id, e.occurred_at, e.action, c.seq, c.hash,
                  sha256(convert_to(jsonb_build_array(
                      e.id, e.tenant_id,
                      to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                      e.actor_kind, e.actor_account_id, e.actor_label, e.action,
                      e.target_kind, e.target_id, e.target_label, e.details, e.ip, e.user_agent
                  )::text, 'UTF8')) AS "digest!"
           FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
           WHERE c.tenant_id IS NOT DISTINCT FROM $1 AND c.seq > $2 AND c.seq <= $3
           ORDER BY c.seq LIMIT $4"#,
        tenant_id,
        after,
        last,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The first event of `tenant_id` with no link in the chain.
pub async fn first_unlinked(
    conn: &mut PgConnection,
    tenant_id: Option<Uuid>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT e.id FROM audit_events e
         WHERE e.tenant_id IS NOT DISTINCT FROM $1
           AND NOT EXISTS (SELECT FROM audit_chain c WHERE c.event_id = e.id)
         ORDER BY e.id LIMIT 1",
        tenant_id
    )
    .fetch_optional(conn)
    .await
}

/// The recorded last link of the chain: `(seq, hash)`.
pub async fn chain_head(
    conn: &mut PgConnection,
    tenant_id: Option<Uuid>,
) -> sqlx::Result<Option<(i64, Vec<u8>)>> {
    let row = sqlx::query!(
        "SELECT seq, hash FROM audit_chain_heads WHERE tenant_id IS NOT DISTINCT FROM $1",
        tenant_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.seq, r.hash)))
}
