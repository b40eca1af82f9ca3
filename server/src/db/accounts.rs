use app::model::text;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
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
    pub account_type: String,
    pub case_access: String,
    pub must_change_password: bool,
    pub rotate_password: bool,
    pub password_changed_at: Option<OffsetDateTime>,
    pub expires_on: Option<Date>,
    pub has_password: bool,
    pub created_at: OffsetDateTime,
    /// Goes up whenever anything the account's form shows changes
    /// (migration `20261207000003_record_versions.sql`).
    pub version: i64,
}

pub struct InsertAccount<'a> {
    pub tenant_id: Uuid,
    pub username: &'a str,
    pub username_key: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub status: &'a str,
    pub account_type: &'a str,
    pub case_access: &'a str,
    pub must_change_password: bool,
    pub rotate_password: bool,
    pub expires_on: Option<Date>,
    pub password_hash: Option<&'a str>,
    pub now: OffsetDateTime,
}

pub async fn insert(conn: &mut PgConnection, a: InsertAccount<'_>) -> sqlx::Result<AccountRow> {
    sqlx::query_as!(
        AccountRow,
        r#"INSERT INTO accounts (tenant_id, username, username_key, first_name, last_name, email,
                               role, status, account_type, case_access, must_change_password,
                               rotate_password, expires_on, password_hash, password_changed_at,
                               created_at, updated_at, search_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 CASE WHEN $14::text IS NULL THEN NULL ELSE $15::timestamptz END, $15, $15, $16)
         RETURNING id, tenant_id, username, first_name, last_name, email, role, status,
                   account_type, case_access, must_change_password, rotate_password,
                   password_changed_at, expires_on, password_hash IS NOT NULL AS "has_password!",
                   created_at, version"#,
        a.tenant_id,
        a.username,
        a.username_key,
        a.first_name,
        a.last_name,
        a.email,
        a.role,
        a.status,
        a.account_type,
        a.case_access,
        a.must_change_password,
        a.rotate_password,
        a.expires_on,
        a.password_hash,
        a.now,
        text::account_search_key(a.username, a.first_name, a.last_name, a.email)
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
        r#"SELECT id, tenant_id, username, first_name, last_name, email, role, status,
                  account_type, case_access, must_change_password, rotate_password,
                  password_changed_at, expires_on, created_at, password_hash, version
         FROM accounts WHERE tenant_id = $1 AND username_key = $2"#,
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
            account_type: r.account_type,
            case_access: r.case_access,
            must_change_password: r.must_change_password,
            rotate_password: r.rotate_password,
            password_changed_at: r.password_changed_at,
            expires_on: r.expires_on,
            has_password: r.password_hash.is_some(),
            created_at: r.created_at,
            version: r.version,
        },
        password_hash: r.password_hash,
    }))
}

/// The stored hash of one account (for verifying its current password).
pub async fn password_hash(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT password_hash FROM accounts WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

pub async fn list(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id, tenant_id, username, first_name, last_name, email, role, status,
                  account_type, case_access, must_change_password, rotate_password,
                  password_changed_at, expires_on, password_hash IS NOT NULL AS "has_password!",
                  created_at, version
         FROM accounts WHERE tenant_id = $1 ORDER BY username_key"#,
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
        r#"SELECT id, tenant_id, username, first_name, last_name, email, role, status,
                  account_type, case_access, must_change_password, rotate_password,
                  password_changed_at, expires_on, password_hash IS NOT NULL AS "has_password!",
                  created_at, version
         FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE"#,
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT id, tenant_id, username, first_name, last_name, email, role, status,
                  account_type, case_access, must_change_password, rotate_password,
                  password_changed_at, expires_on, password_hash IS NOT NULL AS "has_password!",
                  created_at, version
         FROM accounts WHERE tenant_id = $1 AND id = $2"#,
        tenant_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Active administrators that can sign in on `today` (not expired).
pub async fn count_active_admins(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    today: Date,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM accounts
           WHERE tenant_id = $1 AND role = 'administrator' AND status = 'active'
             AND (expires_on IS NULL OR expires_on > $2)"#,
        tenant_id,
        today
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
    /// Not changed; part of the account's search key.
    pub username: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub status: &'a str,
    pub case_access: &'a str,
    pub must_change_password: bool,
    pub rotate_password: bool,
    pub expires_on: Option<Date>,
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
        r#"UPDATE accounts
         SET first_name = $3, last_name = $4, email = $5, role = $6, status = $7,
             case_access = $8, must_change_password = $9, rotate_password = $10,
             expires_on = $11, updated_at = $12,
             search_key = $13
         WHERE tenant_id = $1 AND id = $2
         RETURNING id, tenant_id, username, first_name, last_name, email, role, status,
                   account_type, case_access, must_change_password, rotate_password,
                   password_changed_at, expires_on, password_hash IS NOT NULL AS "has_password!",
                   created_at, version"#,
        tenant_id,
        id,
        u.first_name,
        u.last_name,
        u.email,
        u.role,
        u.status,
        u.case_access,
        u.must_change_password,
        u.rotate_password,
        u.expires_on,
        u.now,
        text::account_search_key(u.username, u.first_name, u.last_name, u.email)
    )
    .fetch_one(conn)
    .await
}

/// Replaces a hash of the same password made before normalisation with one
/// of its NFKC form, only if the stored hash is still `old` (a password
/// changed meanwhile wins). Not a password change: no dates, no history.
pub async fn upgrade_password_hash(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    old: &str,
    new: &str,
) -> sqlx::Result<bool> {
    Ok(sqlx::query!(
        "UPDATE accounts SET password_hash = $4
         WHERE tenant_id = $1 AND id = $2 AND password_hash = $3",
        tenant_id,
        id,
        old,
        new
    )
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Sets a new password hash, records it in the history, and sets whether the
/// owner must change it at next sign-in.
pub async fn set_password(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    hash: &str,
    must_change_password: bool,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE accounts
         SET password_hash = $3, must_change_password = $4, password_changed_at = $5, updated_at = $5
         WHERE tenant_id = $1 AND id = $2 AND account_type = 'local'",
        tenant_id,
        id,
        hash,
        must_change_password,
        now
    )
    .execute(&mut *conn)
    .await?;
    // A password set any way makes the account's open links pointless.
    super::links::close_open(conn, id, None, "superseded", now).await?;
    remember_password(conn, id, hash, now).await
}

pub async fn remember_password(
    conn: &mut PgConnection,
    account_id: Uuid,
    hash: &str,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO password_history (tenant_id, account_id, password_hash, created_at)
         SELECT tenant_id, id, $2, $3 FROM accounts WHERE id = $1",
        account_id,
        hash,
        now
    )
    .execute(conn)
    .await
    .and_then(super::one_row)
}

/// The account's last `n` password hashes, newest first.
pub async fn recent_passwords(
    conn: &mut PgConnection,
    account_id: Uuid,
    n: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT password_hash FROM password_history WHERE account_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2",
        account_id,
        n
    )
    .fetch_all(conn)
    .await
}

pub async fn client_ids(conn: &mut PgConnection, account_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT ac.client_id FROM account_clients ac JOIN clients c ON c.id = ac.client_id
         WHERE ac.account_id = $1 ORDER BY c.name_key",
        account_id
    )
    .fetch_all(conn)
    .await
}

/// Replaces the account's clients. The foreign keys refuse a client of
/// another tenant.
pub async fn set_clients(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    account_id: Uuid,
    clients: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM account_clients WHERE account_id = $1 AND NOT (client_id = ANY($2))",
        account_id,
        clients
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO account_clients (tenant_id, account_id, client_id)
         SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING",
        tenant_id,
        account_id,
        clients
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// The accounts list's filters, as SQL sees them.
pub struct ListFilter<'a> {
    pub search: Option<&'a str>,
    pub role: Option<&'a str>,
    /// `active` (and not expired), `inactive` or `expired`.
    pub status: Option<&'a str>,
    pub account_type: Option<&'a str>,
    pub client: Option<Uuid>,
    pub today: Date,
}

/// What the list sorts by; each maps to a fixed SQL fragment backed by an
/// index on `(tenant_id, …)`.
#[derive(Debug, Clone, Copy)]
pub enum ListOrder {
    Username,
    Name,
    Email,
    Role,
    Status,
    Created,
}

impl ListOrder {
    fn columns(self) -> &'static [&'static str] {
        match self {
            ListOrder::Username => &["username_key"],
            ListOrder::Name => &["lower(last_name)", "lower(first_name)", "username_key"],
            ListOrder::Email => &["lower(email)", "username_key"],
            ListOrder::Role => &["role", "username_key"],
            ListOrder::Status => &["status", "username_key"],
            ListOrder::Created => &["created_at", "username_key"],
        }
    }
}

/// Appends `WHERE …` for `f`. Values are bound, never spliced in.
fn push_filter<'a>(
    q: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>,
    tenant_id: Uuid,
    f: &ListFilter<'a>,
) {
    q.push(" WHERE tenant_id = ").push_bind(tenant_id);
    if let Some(pattern) = f.search {
        // The key is computed in Rust (text::account_search_key); SQL only
        // compares, so it matches exactly what the browser and server fold.
        q.push(" AND search_key LIKE ").push_bind(pattern);
    }
    if let Some(role) = f.role {
        q.push(" AND role = ").push_bind(role);
    }
    if let Some(t) = f.account_type {
        q.push(" AND account_type = ").push_bind(t);
    }
    match f.status {
        Some("active") => {
            q.push(" AND status = 'active' AND (expires_on IS NULL OR expires_on > ")
                .push_bind(f.today)
                .push(")");
        }
        Some("inactive") => {
            q.push(" AND status = 'inactive'");
        }
        Some("expired") => {
            q.push(" AND expires_on <= ").push_bind(f.today);
        }
        _ => {}
    }
    if let Some(client) = f.client {
        q.push(" AND id IN (SELECT account_id FROM account_clients WHERE client_id = ")
            .push_bind(client)
            .push(")");
    }
}

/// One page of the tenant's accounts and how many match in all. The only
/// query built at run time: the sort column and filters vary, and a fixed
/// `ORDER BY CASE …` could not use the indexes. Every fragment is a constant
/// here; the integration tests run every sort and filter.
pub async fn search(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    filter: &ListFilter<'_>,
    order: ListOrder,
    descending: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AccountRow>, i64)> {
    let mut count = sqlx::QueryBuilder::new("SELECT count(*) FROM accounts");
    push_filter(&mut count, tenant_id, filter);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

    let mut q = sqlx::QueryBuilder::new(
        "SELECT id, tenant_id, username, first_name, last_name, email, role, status,
                account_type, case_access, must_change_password, rotate_password,
                password_changed_at, expires_on, password_hash IS NOT NULL AS has_password,
                created_at, version
         FROM accounts",
    );
    push_filter(&mut q, tenant_id, filter);
    q.push(" ORDER BY ");
    let dir = if descending { " DESC" } else { " ASC" };
    for (i, column) in order.columns().iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(*column).push(dir);
    }
    q.push(" LIMIT ").push_bind(limit);
    q.push(" OFFSET ").push_bind(offset);
    let rows = q.build().fetch_all(&mut *conn).await?;
    let accounts = rows
        .into_iter()
        .map(|r| {
            use sqlx::Row;
            Ok(AccountRow {
                id: r.try_get("id")?,
                tenant_id: r.try_get("tenant_id")?,
                username: r.try_get("username")?,
                first_name: r.try_get("first_name")?,
                last_name: r.try_get("last_name")?,
                email: r.try_get("email")?,
                role: r.try_get("role")?,
                status: r.try_get("status")?,
                account_type: r.try_get("account_type")?,
                case_access: r.try_get("case_access")?,
                must_change_password: r.try_get("must_change_password")?,
                rotate_password: r.try_get("rotate_password")?,
                password_changed_at: r.try_get("password_changed_at")?,
                expires_on: r.try_get("expires_on")?,
                has_password: r.try_get("has_password")?,
                created_at: r.try_get("created_at")?,
                version: r.try_get("version")?,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok((accounts, total))
}

/// The clients and groups of each of `account_ids`, each by name, in one
/// round trip: for the export, which writes both.
pub struct AccountNames {
    pub clients: Vec<(Uuid, String)>,
    pub groups: Vec<(Uuid, String)>,
}

pub async fn client_and_group_names(
    conn: &mut PgConnection,
    account_ids: &[Uuid],
) -> sqlx::Result<AccountNames> {
    let rows = sqlx::query!(
        r#"SELECT ac.account_id AS "account_id!", false AS "is_group!", c.name AS "name!",
                  c.name_key AS "name_key!"
           FROM account_clients ac JOIN clients c ON c.id = ac.client_id
           WHERE ac.account_id = ANY($1)
           UNION ALL
           SELECT ag.account_id, true, g.name, g.name_key
           FROM account_groups ag JOIN groups g ON g.id = ag.group_id
           WHERE ag.account_id = ANY($1)
           ORDER BY 4"#,
        account_ids
    )
    .fetch_all(conn)
    .await?;
    let mut names = AccountNames {
        clients: Vec::new(),
        groups: Vec::new(),
    };
    for r in rows {
        let list = if r.is_group {
            &mut names.groups
        } else {
            &mut names.clients
        };
        list.push((r.account_id, r.name));
    }
    Ok(names)
}

/// A directory account's names and email as the directory has them now
/// (sign-in and "Refresh from directory"). Only directory accounts change.
pub async fn set_directory_names(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    names: (&str, &str, &str),
    username: &str,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let (first_name, last_name, email) = names;
    sqlx::query!(
        "UPDATE accounts SET first_name = $3, last_name = $4, email = $5, updated_at = $6,
             search_key = $7
         WHERE tenant_id = $1 AND id = $2 AND account_type = 'directory'",
        tenant_id,
        id,
        first_name,
        last_name,
        email,
        now,
        text::account_search_key(username, first_name, last_name, email)
    )
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// The account's version now (after its memberships were written).
pub async fn version_of(conn: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT version FROM accounts WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )
    .fetch_one(conn)
    .await
}
