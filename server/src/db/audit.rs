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
