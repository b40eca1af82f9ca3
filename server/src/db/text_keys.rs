//! Reading and rewriting the stored text keys (`username_key`, `search_key`,
//! `name_key`) for `server migrate`, which recomputes them in Rust after a
//! migration or a change of folding. Operator work: these span all tenants,
//! a page of rows (by id) at a time, each page locked (`FOR UPDATE`) until
//! its transaction ends, so an edit made meanwhile is never overwritten
//! with a key of the old text.

use sqlx::PgConnection;
use uuid::Uuid;

/// Rows read per query.
pub const PAGE: i64 = 2_000;

pub struct AccountKeys {
    pub id: Uuid,
    pub slug: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub username_key: String,
    pub search_key: String,
}

/// Accounts of every tenant with `id > after`, by id.
pub async fn accounts_after(
    conn: &mut PgConnection,
    after: Uuid,
) -> sqlx::Result<Vec<AccountKeys>> {
    sqlx::query_as!(
        AccountKeys,
        "SELECT a.id, t.slug, a.username, a.first_name, a.last_name, a.email, a.username_key,
                a.search_key
         FROM accounts a JOIN tenants t ON t.id = a.tenant_id
         WHERE a.id > $1 ORDER BY a.id LIMIT $2 FOR UPDATE OF a",
        after,
        PAGE
    )
    .fetch_all(conn)
    .await
}

pub async fn set_account_keys(
    conn: &mut PgConnection,
    id: Uuid,
    username_key: &str,
    search_key: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE accounts SET username_key = $2, search_key = $3 WHERE id = $1",
        id,
        username_key,
        search_key
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A named row of a catalogue table (groups, forms, form columns, clients).
pub struct NameKey {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub name_key: String,
}

/// The tables whose names are unique ignoring case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Groups,
    Forms,
    FormColumns,
    Clients,
}

impl Named {
    pub const ALL: [Named; 4] = [
        Named::Groups,
        Named::Forms,
        Named::FormColumns,
        Named::Clients,
    ];

    /// What one row is called in a message.
    pub fn noun(self) -> &'static str {
        match self {
            Named::Groups => "group",
            Named::Forms => "form",
            Named::FormColumns => "column",
            Named::Clients => "client",
        }
    }
}

/// Runs the query macro `$query!` for `table`, giving it the table's name
/// and the column its unique names are scoped by. Table names cannot be
/// bound, so each table needs its own query; this way the SQL is written
/// once and sqlx still checks every table's version at compile time (it
/// accepts string literals joined with `+`).
macro_rules! on_table {
    ($table:expr, $query:ident ! ($($arg:expr),*)) => {
        match $table {
            Named::Groups => $query!("groups", "tenant_id" $(, $arg)*),
            Named::Forms => $query!("forms", "tenant_id" $(, $arg)*),
            Named::FormColumns => $query!("form_columns", "form_id" $(, $arg)*),
            Named::Clients => $query!("clients", "tenant_id" $(, $arg)*),
        }
    };
}

macro_rules! names_after_in {
    ($table:tt, $owner:tt, $conn:expr, $after:expr) => {
        sqlx::query_as!(
            NameKey,
            "SELECT x.id, t.slug, x.name, x.name_key FROM "
                + $table
                + " x
             JOIN tenants t ON t.id = x.tenant_id WHERE x.id > $1 ORDER BY x.id LIMIT $2
             FOR UPDATE OF x",
            $after,
            PAGE
        )
        .fetch_all($conn)
        .await
    };
}

macro_rules! set_name_key_in {
    ($table:tt, $owner:tt, $conn:expr, $id:expr, $key:expr) => {
        sqlx::query!(
            "UPDATE " + $table + " SET name_key = $2 WHERE id = $1",
            $id,
            $key
        )
        .execute($conn)
        .await
        .map(|_| ())
    };
}

macro_rules! name_with_key_in {
    ($table:tt, $owner:tt, $conn:expr, $scope:expr, $key:expr) => {
        sqlx::query_scalar!(
            "SELECT name FROM " + $table + " WHERE " + $owner + " = $1 AND name_key = $2",
            $scope,
            $key
        )
        .fetch_optional($conn)
        .await
    };
}

/// Rows of `table` with `id > after`, by id, locked.
pub async fn names_after(
    conn: &mut PgConnection,
    table: Named,
    after: Uuid,
) -> sqlx::Result<Vec<NameKey>> {
    on_table!(table, names_after_in!(conn, after))
}

pub async fn set_name_key(
    conn: &mut PgConnection,
    table: Named,
    id: Uuid,
    name_key: &str,
) -> sqlx::Result<()> {
    on_table!(table, set_name_key_in!(conn, id, name_key))
}

/// The name of the row of `table` whose key is `key`, within `owner`: the
/// tenant for groups, forms and clients, the form for columns. For saying
/// which existing name a new one clashes with.
pub async fn name_with_key(
    conn: &mut PgConnection,
    table: Named,
    owner: Uuid,
    key: &str,
) -> sqlx::Result<Option<String>> {
    on_table!(table, name_with_key_in!(conn, owner, key))
}
