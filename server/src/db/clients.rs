use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: Uuid,
    pub name: String,
    pub archived_at: Option<OffsetDateTime>,
    pub account_count: i64,
    pub created_at: OffsetDateTime,
    /// Goes up when the name changes or the client is archived or restored.
    pub version: i64,
}

pub async fn list(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Vec<ClientRow>> {
    sqlx::query_as!(
        ClientRow,
        r#"SELECT c.id, c.name, c.archived_at, c.created_at, c.version,
                  (SELECT count(*) FROM account_clients ac WHERE ac.client_id = c.id) AS "account_count!"
           FROM clients c WHERE c.tenant_id = $1 ORDER BY c.name_key"#,
        tenant_id
    )
    .fetch_all(conn)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ClientRow>> {
    sqlx::query_as!(
        ClientRow,
        r#"SELECT c.id, c.name, c.archived_at, c.created_at, c.version,
                  (SELECT count(*) FROM account_clients ac WHERE ac.client_id = c.id) AS "account_count!"
           FROM clients c WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE OF c"#,
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    name: &str,
    name_key: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO clients (tenant_id, name, name_key, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id",
        tenant_id,
        name,
        name_key,
        now
    )
    .fetch_one(conn)
    .await
}

pub async fn rename(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    name: &str,
    name_key: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE clients SET name = $3, name_key = $4 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        name,
        name_key
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn set_archived(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    archived_at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE clients SET archived_at = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        archived_at
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// How many of `ids` are active clients of the tenant.
pub async fn count_active_among(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM clients
           WHERE tenant_id = $1 AND id = ANY($2) AND archived_at IS NULL"#,
        tenant_id,
        ids
    )
    .fetch_one(conn)
    .await
}

pub async fn any_active(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM clients WHERE tenant_id = $1 AND archived_at IS NULL) AS "any!""#,
        tenant_id
    )
    .fetch_one(conn)
    .await
}
