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
             actor_label, action, target_kind, target_id, target_label, details, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
        e.user_agent
    )
    .execute(conn)
    .await
    .map(|_| ())
}
