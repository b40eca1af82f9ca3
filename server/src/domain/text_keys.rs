//! `server migrate` recomputes every stored text key with the one folding in
//! `app::model::text`, so rows written before a migration (whose SQL can only
//! approximate the folding with `lower()`) or by an older release match
//! exactly as new ones do. Idempotent: a second run changes nothing.

use crate::db::text_keys::{self as keys, Named};
use crate::db::{self, Scope};
use crate::error::{unique_violation, Error, Result};
use app::model::text;
use uuid::Uuid;

/// What a refresh did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Rows whose stored keys changed.
    pub updated: u64,
    /// Rows whose proper key is another row's (parked, see [`parked_key`]):
    /// one line each, saying what to do.
    pub conflicts: Vec<String>,
}

/// The key a row keeps when its proper key is another row's: the proper key,
/// a control character (which no name or username may contain) and the
/// row's id. Unique, and never what [`text::fold`] gives for a look-up, so
/// the row cannot be reached by name instead of being confused with the
/// other; each later run tries the proper key again.
fn parked_key(key: &str, id: Uuid) -> String {
    format!("{key}\u{1}{id}")
}

/// One row's new keys.
enum NewKeys<'a> {
    Account {
        id: Uuid,
        username_key: &'a str,
        search_key: &'a str,
    },
    Name {
        table: Named,
        id: Uuid,
        key: &'a str,
    },
}

/// Writes `new` inside a savepoint of `tx`: `Ok(false)` when that broke a
/// unique constraint (rolled back, so the page goes on), `Ok(true)` when done.
async fn try_update(tx: &mut sqlx::PgConnection, new: NewKeys<'_>) -> Result<bool> {
    let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
    let written = match new {
        NewKeys::Account {
            id,
            username_key,
            search_key,
        } => keys::set_account_keys(&mut savepoint, id, username_key, search_key).await,
        NewKeys::Name { table, id, key } => {
            keys::set_name_key(&mut savepoint, table, id, key).await
        }
    };
    match written.map_err(Error::from) {
        Ok(()) => {
            savepoint.commit().await?;
            Ok(true)
        }
        Err(e) if unique_violation(&e).is_some() => {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Recomputes `username_key` and `search_key` of every account and
/// `name_key` of every group, form, form column and client, in all tenants,
/// a page of rows per transaction. A row whose new key is taken by another
/// row of its tenant (two names that only now fold alike, e.g. `STRASSE` and
/// `straße`) is parked ([`parked_key`]) and reported; nothing is merged or
/// renamed.
pub async fn refresh(pool: &sqlx::PgPool) -> Result<Refreshed> {
    let mut out = Refreshed::default();
    let mut after = Uuid::nil();
    loop {
        // `server migrate` re-keys every tenant's names.
        let mut tx = db::begin(pool, Scope::EveryTenant).await?;
        let page = keys::accounts_after(&mut tx, after).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for a in &page {
            let username_key = text::username_key(&a.username);
            let search_key =
                text::account_search_key(&a.username, &a.first_name, &a.last_name, &a.email);
            if username_key == a.username_key && search_key == a.search_key {
                continue;
            }
            let new = NewKeys::Account {
                id: a.id,
                username_key: &username_key,
                search_key: &search_key,
            };
            if try_update(&mut tx, new).await? {
                out.updated += 1;
                continue;
            }
            let parked = parked_key(&username_key, a.id);
            if a.username_key != parked || a.search_key != search_key {
                keys::set_account_keys(&mut tx, a.id, &parked, &search_key).await?;
                out.updated += 1;
            }
            out.conflicts.push(format!(
                "tenant {}: the username “{}” is now the same as another username of the tenant, ignoring case and full-width or styled letters (RFC 8265); this account cannot sign in or be found by its username until the other is deleted (then run `server migrate` again)",
                a.slug, a.username
            ));
        }
        tx.commit().await?;
    }
    for table in Named::ALL {
        let mut after = Uuid::nil();
        loop {
            let mut tx = db::begin(pool, Scope::EveryTenant).await?;
            let page = keys::names_after(&mut tx, table, after).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in &page {
                let key = text::fold(&row.name);
                if key == row.name_key {
                    continue;
                }
                let new = NewKeys::Name {
                    table,
                    id: row.id,
                    key: &key,
                };
                if try_update(&mut tx, new).await? {
                    out.updated += 1;
                    continue;
                }
                let parked = parked_key(&key, row.id);
                if row.name_key != parked {
                    keys::set_name_key(&mut tx, table, row.id, &parked).await?;
                    out.updated += 1;
                }
                out.conflicts.push(format!(
                    "tenant {}: the {noun} name “{}” is now the same as another {noun} name ignoring case; it cannot be found by name (access API, import) until one of the two is renamed (then run `server migrate` again)",
                    row.slug,
                    row.name,
                    noun = table.noun(),
                ));
            }
            tx.commit().await?;
        }
    }
    Ok(out)
}

/// The `409 conflict` on `name` for a name that another row of `table`
/// already has ignoring case (the one folding, `text::fold`), quoting the
/// existing row's spelling. `form` is the column's form (id, name) when
/// `table` is [`Named::FormColumns`]; other names are unique per tenant.
///
/// A failed insert or rename leaves its transaction unusable, so the
/// existing name is asked for on another connection; when it cannot be
/// found, `name` itself is quoted.
pub async fn name_taken(
    pool: &sqlx::PgPool,
    tenant_id: Uuid,
    table: Named,
    form: Option<(Uuid, &str)>,
    name: &str,
) -> crate::error::Error {
    let owner = form.map_or(tenant_id, |(id, _)| id);
    let found = async {
        let mut conn = db::begin(pool, Scope::Tenant(tenant_id)).await?;
        keys::name_with_key(&mut conn, table, owner, &text::fold(name)).await
    };
    let existing = match found.await {
        Ok(Some(existing)) => existing,
        _ => name.to_owned(),
    };
    let noun = table.noun();
    let message = match form {
        Some((_, form)) => format!(
            "The form “{form}” already has a {noun} named “{existing}” (names ignore case). Choose another name."
        ),
        None => format!(
            "There is already a {noun} named “{existing}” (names ignore case). Choose another name."
        ),
    };
    app::model::ApiError::conflict("name", message).into()
}
