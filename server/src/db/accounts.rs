use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: String,
    pub status: String,
    pub created_at: OffsetDateTime,
}

pub struct InsertAccount<'a> {
    pub tenant_id: Uuid,
    pub username: &'a str,
    pub username_key: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub password_hash: Option<&'a str>,
    pub now: OffsetDateTime,
}

pub async fn insert(conn: &mut PgConnection, a: InsertAccount<'_>) -> sqlx::Result<AccountRow> {
    sqlx::query_as!(
        AccountRow,
        "INSERT INTO accounts (tenant_id, username, username_key, first_name, last_name, email,
                               role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         RETURNING id, tenant_id, username, first_name, last_name, email, role, status, created_at",
        a.tenant_id,
        a.username,
        a.username_key,
        a.first_name,
        a.last_name,
        a.email,
        a.role,
        a.password_hash,
        a.now
    )
    .fetch_one(conn)
    .await
}

pub struct LoginRow {
    pub account: AccountRow,
    pub password_hash: Option<String>,
}

pub async fn for_login(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username_key: &str,
) -> sqlx::Result<Option<LoginRow>> {
    let row = sqlx::query!(
        "SELECT id, tenant_id, username, first_name, last_name, email, role, status, created_at,
                password_hash
         FROM accounts WHERE tenant_id = $1 AND username_key = $2",
        tenant_id,
        username_key
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| LoginRow {
        account: AccountRow {
            id: r.id,
            tenant_id: r.tenant_id,
            username: r.username,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            role: r.role,
            status: r.status,
            created_at: r.created_at,
        },
        password_hash: r.password_hash,
    }))
}

pub async fn list(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, tenant_id, username, first_name, last_name, email, role, status, created_at
         FROM accounts WHERE tenant_id = $1 ORDER BY username_key",
        tenant_id
    )
    .fetch_all(conn)
    .await
}

/// Fetches and locks one account of the tenant.
pub async fn lock(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, tenant_id, username, first_name, last_name, email, role, status, created_at
         FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn count_active_admins(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM accounts
           WHERE tenant_id = $1 AND role = 'administrator' AND status = 'active'"#,
        tenant_id
    )
    .fetch_one(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM accounts WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct UpdateAccount<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub status: &'a str,
    pub now: OffsetDateTime,
}

pub async fn update(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    u: UpdateAccount<'_>,
) -> sqlx::Result<AccountRow> {
    sqlx::query_as!(
        AccountRow,
        "UPDATE accounts
         SET first_name = $3, last_name = $4, email = $5, role = $6, status = $7, updated_at = $8
         WHERE tenant_id = $1 AND id = $2
         RETURNING id, tenant_id, username, first_name, last_name, email, role, status, created_at",
        tenant_id,
        id,
        u.first_name,
        u.last_name,
        u.email,
        u.role,
        u.status,
        u.now
    )
    .fetch_one(conn)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, tenant_id, username, first_name, last_name, email, role, status, created_at
         FROM accounts WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}
