//! Groups and memberships, the forms catalogue, permission cells at group
//! and person level, and tenant API tokens.

use app::model::text;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct GroupRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    /// Goes up when the name or description changes.
    pub version: i64,
}

pub async fn list_groups(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Vec<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id, g.name, g.description,
                  (SELECT count(*) FROM account_groups ag WHERE ag.group_id = g.id) AS "member_count!",
                  g.version
           FROM groups g WHERE g.tenant_id = $1 ORDER BY g.name_key"#,
        tenant_id
    )
    .fetch_all(conn)
    .await
}

pub async fn get_group(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<GroupRow>> {
    sqlx::query_as!(
        GroupRow,
        r#"SELECT g.id, g.name, g.description,
                  (SELECT count(*) FROM account_groups ag WHERE ag.group_id = g.id) AS "member_count!",
                  g.version
           FROM groups g WHERE g.tenant_id = $1 AND g.id = $2"#,
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Tenants with neither forms nor groups: created before the seed existed.
pub async fn unseeded_tenants(conn: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, String)>> {
    Ok(sqlx::query!(
        "SELECT t.id, t.slug FROM tenants t
         WHERE NOT EXISTS (SELECT 1 FROM forms f WHERE f.tenant_id = t.id)
           AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.tenant_id = t.id)
         ORDER BY t.slug"
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.slug))
    .collect())
}

/// Locks the tenant's row, then says whether it still has neither forms nor
/// groups (`None`: the tenant is gone). Two statements on purpose: under READ
/// COMMITTED the second one sees what a transaction that held the lock first
/// committed.
pub async fn lock_if_unseeded(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> sqlx::Result<Option<bool>> {
    let locked = sqlx::query_scalar!(
        "SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE",
        tenant_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if locked.is_none() {
        return Ok(None);
    }
    sqlx::query_scalar!(
        r#"SELECT (NOT EXISTS (SELECT 1 FROM forms WHERE tenant_id = $1)
                AND NOT EXISTS (SELECT 1 FROM groups WHERE tenant_id = $1)) AS "unseeded!""#,
        tenant_id
    )
    .fetch_one(conn)
    .await
    .map(Some)
}

pub async fn insert_group(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    name: &str,
    description: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO groups (tenant_id, name, name_key, description, created_at)
         VALUES ($1, $2, $5, $3, $4) RETURNING id",
        tenant_id,
        name,
        description,
        now,
        text::fold(name)
    )
    .fetch_one(conn)
    .await
}

/// Renames and describes the group if it is still at `version`; `false`
/// when it is not (changed or deleted since).
pub async fn update_group(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    (id, version): (Uuid, i64),
    name: &str,
    description: &str,
) -> sqlx::Result<bool> {
    sqlx::query!(
        "UPDATE groups SET name = $3, name_key = $5, description = $4
         WHERE tenant_id = $1 AND id = $2 AND version = $6",
        tenant_id,
        id,
        name,
        description,
        text::fold(name),
        version
    )
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

pub async fn delete_group(conn: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM groups WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub struct MemberRow {
    pub id: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

pub async fn group_members(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    group_id: Uuid,
) -> sqlx::Result<Vec<MemberRow>> {
    sqlx::query_as!(
        MemberRow,
        "SELECT a.id, a.username, a.first_name, a.last_name
         FROM account_groups ag JOIN accounts a ON a.id = ag.account_id
         WHERE ag.tenant_id = $1 AND ag.group_id = $2 ORDER BY a.username_key",
        tenant_id,
        group_id
    )
    .fetch_all(conn)
    .await
}

/// The account's groups, by name.
pub async fn account_groups(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    Ok(sqlx::query!(
        "SELECT g.id, g.name FROM account_groups ag JOIN groups g ON g.id = ag.group_id
         WHERE ag.account_id = $1 ORDER BY g.name_key",
        account_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.name))
    .collect())
}

pub async fn count_groups_among(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM groups WHERE tenant_id = $1 AND id = ANY($2)"#,
        tenant_id,
        ids
    )
    .fetch_one(conn)
    .await
}

pub async fn set_account_groups(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    account_id: Uuid,
    groups: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM account_groups WHERE account_id = $1 AND NOT (group_id = ANY($2))",
        account_id,
        groups
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO account_groups (tenant_id, account_id, group_id)
         SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING",
        tenant_id,
        account_id,
        groups
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub struct FormRow {
    pub id: Uuid,
    pub name: String,
    pub retired_at: Option<OffsetDateTime>,
    /// Goes up when the name changes or the form is retired or restored.
    pub version: i64,
}

pub async fn list_forms(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Vec<FormRow>> {
    sqlx::query_as!(
        FormRow,
        "SELECT id, name, retired_at, version FROM forms WHERE tenant_id = $1 ORDER BY position, name_key",
        tenant_id
    )
    .fetch_all(conn)
    .await
}

pub async fn get_form(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<FormRow>> {
    sqlx::query_as!(
        FormRow,
        "SELECT id, name, retired_at, version FROM forms WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn insert_form(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    name: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO forms (tenant_id, name, name_key, position, created_at)
         VALUES ($1, $2, $4,
                 (SELECT coalesce(max(position), 0) + 1 FROM forms WHERE tenant_id = $1), $3)
         RETURNING id",
        tenant_id,
        name,
        now,
        text::fold(name)
    )
    .fetch_one(conn)
    .await
}

/// Renames the form if it is still at `version`; `false` when it is not.
pub async fn rename_form(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    (id, version): (Uuid, i64),
    name: &str,
) -> sqlx::Result<bool> {
    sqlx::query!(
        "UPDATE forms SET name = $3, name_key = $4 WHERE tenant_id = $1 AND id = $2 AND version = $5",
        tenant_id,
        id,
        name,
        text::fold(name),
        version
    )
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

pub async fn set_form_retired(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE forms SET retired_at = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        at
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub struct ColumnRow {
    pub id: Uuid,
    pub form_id: Uuid,
    pub name: String,
    pub default_allowed: bool,
    pub retired_at: Option<OffsetDateTime>,
    /// Goes up when the name changes or the column is retired or restored.
    pub version: i64,
}

/// Every column of the tenant's forms, in form order.
pub async fn list_columns(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> sqlx::Result<Vec<ColumnRow>> {
    sqlx::query_as!(
        ColumnRow,
        "SELECT c.id, c.form_id, c.name, c.default_allowed, c.retired_at, c.version
         FROM form_columns c WHERE c.tenant_id = $1 ORDER BY c.form_id, c.position, c.name_key",
        tenant_id
    )
    .fetch_all(conn)
    .await
}

pub async fn get_column(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ColumnRow>> {
    sqlx::query_as!(
        ColumnRow,
        "SELECT id, form_id, name, default_allowed, retired_at, version
         FROM form_columns WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn insert_column(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    form_id: Uuid,
    name: &str,
    default_allowed: bool,
    now: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO form_columns (tenant_id, form_id, name, name_key, position, default_allowed, created_at)
         VALUES ($1, $2, $3, $6,
                 (SELECT coalesce(max(position), 0) + 1 FROM form_columns WHERE form_id = $2), $4, $5)
         RETURNING id",
        tenant_id,
        form_id,
        name,
        default_allowed,
        now,
        text::fold(name)
    )
    .fetch_one(conn)
    .await
}

/// Renames the column if it is still at `version`; `false` when it is not.
pub async fn rename_column(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    (id, version): (Uuid, i64),
    name: &str,
) -> sqlx::Result<bool> {
    sqlx::query!(
        "UPDATE form_columns SET name = $3, name_key = $4
         WHERE tenant_id = $1 AND id = $2 AND version = $5",
        tenant_id,
        id,
        name,
        text::fold(name),
        version
    )
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

pub async fn set_column_retired(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE form_columns SET retired_at = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        at
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn set_column_default(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    allowed: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE form_columns SET default_allowed = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        allowed
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A group's cells (rows present: Allow or Deny).
pub async fn group_cells(
    conn: &mut PgConnection,
    group_id: Uuid,
) -> sqlx::Result<Vec<(Uuid, bool)>> {
    Ok(sqlx::query!(
        "SELECT column_id, allowed FROM group_permissions WHERE group_id = $1",
        group_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.column_id, r.allowed))
    .collect())
}

/// A person's own cells.
pub async fn account_cells(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> sqlx::Result<Vec<(Uuid, bool)>> {
    Ok(sqlx::query!(
        "SELECT column_id, allowed FROM account_permissions WHERE account_id = $1",
        account_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.column_id, r.allowed))
    .collect())
}

/// The cells of every group the account belongs to: (column, group name, allowed).
pub async fn account_group_cells(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, bool)>> {
    Ok(sqlx::query!(
        "SELECT gp.column_id, g.name, gp.allowed
         FROM account_groups ag
         JOIN group_permissions gp ON gp.group_id = ag.group_id
         JOIN groups g ON g.id = ag.group_id
         WHERE ag.account_id = $1",
        account_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.column_id, r.name, r.allowed))
    .collect())
}

pub async fn set_group_cell(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    group_id: Uuid,
    column_id: Uuid,
    allowed: Option<bool>,
) -> sqlx::Result<()> {
    match allowed {
        None => sqlx::query!(
            "DELETE FROM group_permissions WHERE group_id = $1 AND column_id = $2",
            group_id,
            column_id
        )
        .execute(conn)
        .await
        .map(|_| ()),
        Some(allowed) => sqlx::query!(
            "INSERT INTO group_permissions (tenant_id, group_id, column_id, allowed)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (group_id, column_id) DO UPDATE SET allowed = EXCLUDED.allowed",
            tenant_id,
            group_id,
            column_id,
            allowed
        )
        .execute(conn)
        .await
        .map(|_| ()),
    }
}

pub async fn set_account_cell(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    account_id: Uuid,
    column_id: Uuid,
    allowed: Option<bool>,
) -> sqlx::Result<()> {
    match allowed {
        None => sqlx::query!(
            "DELETE FROM account_permissions WHERE account_id = $1 AND column_id = $2",
            account_id,
            column_id
        )
        .execute(conn)
        .await
        .map(|_| ()),
        Some(allowed) => sqlx::query!(
            "INSERT INTO account_permissions (tenant_id, account_id, column_id, allowed)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, column_id) DO UPDATE SET allowed = EXCLUDED.allowed",
            tenant_id,
            account_id,
            column_id,
            allowed
        )
        .execute(conn)
        .await
        .map(|_| ()),
    }
}

/// Everything one access check needs, in one round trip: the account (by
/// its folded username), the cell's tenant default, the person's setting,
/// and the first denying and first allowing group by name.
pub struct CheckRow {
    pub username: String,
    pub form: Option<String>,
    pub column: Option<String>,
    pub default_allowed: Option<bool>,
    pub person: Option<bool>,
    pub deny_group: Option<String>,
    pub allow_group: Option<String>,
}

/// `None` when the account does not exist; `form` is `None` when the
/// catalogue has no such live column.
pub async fn check(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username_key: &str,
    form_key: &str,
    column_key: &str,
) -> sqlx::Result<Option<CheckRow>> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT a.username,
                  cell.form AS "form?", cell.column AS "column?", cell.default_allowed AS "default_allowed?",
                  (SELECT ap.allowed FROM account_permissions ap
                    WHERE ap.account_id = a.id AND ap.column_id = cell.id) AS person,
                  (SELECT g.name FROM account_groups ag
                     JOIN group_permissions gp ON gp.group_id = ag.group_id AND gp.column_id = cell.id
                     JOIN groups g ON g.id = ag.group_id
                    WHERE ag.account_id = a.id AND NOT gp.allowed
                    ORDER BY g.name LIMIT 1) AS deny_group,
                  (SELECT g.name FROM account_groups ag
                     JOIN group_permissions gp ON gp.group_id = ag.group_id AND gp.column_id = cell.id
                     JOIN groups g ON g.id = ag.group_id
                    WHERE ag.account_id = a.id AND gp.allowed
                    ORDER BY g.name LIMIT 1) AS allow_group
           FROM accounts a
           LEFT JOIN LATERAL (
               SELECT c.id, f.name AS form, c.name AS column, c.default_allowed
               FROM forms f JOIN form_columns c ON c.form_id = f.id
               WHERE f.tenant_id = $1 AND f.name_key = $3 AND c.name_key = $4
                 AND f.retired_at IS NULL AND c.retired_at IS NULL
           ) cell ON true
           WHERE a.tenant_id = $1 AND a.username_key = $2"#,
        tenant_id,
        username_key,
        form_key,
        column_key
    )
    .fetch_optional(conn)
    .await
}

pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

pub async fn insert_token(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    name: &str,
    hash: &[u8],
    created_by: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO api_tokens (tenant_id, name, token_hash, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        tenant_id,
        name,
        hash,
        created_by,
        now
    )
    .fetch_one(conn)
    .await
}

pub async fn list_tokens(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        r#"SELECT t.id, t.name, t.created_at, a.username AS "created_by?", t.last_used_at, t.revoked_at
           FROM api_tokens t LEFT JOIN accounts a ON a.id = t.created_by
           WHERE t.tenant_id = $1 ORDER BY t.created_at DESC, t.name"#,
        tenant_id
    )
    .fetch_all(conn)
    .await
}

pub async fn revoke_token(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3)
         WHERE tenant_id = $1 AND id = $2 RETURNING name",
        tenant_id,
        id,
        now
    )
    .fetch_optional(conn)
    .await
}

pub struct LiveToken {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub last_used_at: Option<OffsetDateTime>,
}

/// The live (not revoked) token with this hash.
pub async fn live_token(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<Option<LiveToken>> {
    sqlx::query_as!(
        LiveToken,
        "SELECT id, tenant_id, name, last_used_at FROM api_tokens
         WHERE token_hash = $1 AND revoked_at IS NULL",
        hash
    )
    .fetch_optional(conn)
    .await
}

pub async fn touch_token(
    conn: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
        id,
        now
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Copies one account's person-level cells to another of the same tenant.
pub async fn copy_account_cells(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    from: Uuid,
    to: Uuid,
) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "INSERT INTO account_permissions (tenant_id, account_id, column_id, allowed)
         SELECT tenant_id, $3, column_id, allowed FROM account_permissions
         WHERE tenant_id = $1 AND account_id = $2
         ON CONFLICT (account_id, column_id) DO UPDATE SET allowed = EXCLUDED.allowed",
        tenant_id,
        from,
        to
    )
    .execute(conn)
    .await?
    .rows_affected())
}
