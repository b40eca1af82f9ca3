//! Whose rows a transaction may see: the server's half of row-level
//! security (migration `20261201000001_row_level_security.sql`).
//!
//! Every statement the server sends runs in a transaction opened by
//! [`begin`], whose first (and only extra) round trip sets the scope with
//! `set_config(…, true)`: transaction-local, so nothing outlives the
//! transaction on a pooled or RDS Proxy connection. Postgres then filters
//! every table that holds tenant data by that scope, whatever the query's own
//! `WHERE` says (OWASP ASVS 5.0 V8.4.1).

use sqlx::{PgPool, Postgres, Transaction};
use std::fmt::Write;
use uuid::Uuid;

/// What a transaction may see.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// One tenant's rows.
    Tenant(Uuid),
    /// The tenant whose slug this is (sign-in, forgot password, invitations
    /// by organisation name); nothing when there is no such tenant.
    TenantSlug(&'a str),
    /// The tenant of the session whose token has this SHA-256.
    Session(&'a [u8]),
    /// The tenant of the invitation or reset link whose token has this SHA-256.
    Link(&'a [u8]),
    /// The tenant of the API token whose secret has this SHA-256.
    ApiToken(&'a [u8]),
    /// Every tenant. Only operator commands and background work that span
    /// tenants (lease reclaim, mail delivery, key back-fills) use it, and each
    /// use says why beside it.
    EveryTenant,
}

impl Scope<'_> {
    /// The simple-query text that opens the transaction and sets the scope.
    /// Only values the server formats itself reach the text: uuids, hex
    /// digests and slugs checked against the slug alphabet.
    pub fn begin_statement(&self) -> String {
        // Every setting is written, so nothing set on the connection before
        // (even at session level) carries into this scope.
        let mut sql = String::from(
            "BEGIN; SELECT set_config('rollcall.tenant_id', '', true), \
             set_config('rollcall.all_tenants', '', true), \
             set_config('rollcall.tenant_slug', '', true), \
             set_config('rollcall.credential', '', true); ",
        );
        match self {
            Scope::Tenant(id) => {
                let _ = write!(sql, "SELECT set_config('rollcall.tenant_id', '{id}', true)");
            }
            Scope::TenantSlug(slug) => {
                let slug = if is_slug_shaped(slug) { slug } else { "" };
                let _ = write!(
                    sql,
                    "SELECT set_config('rollcall.tenant_slug', '{slug}', true); \
                     SELECT set_config('rollcall.tenant_id', \
                         coalesce((SELECT id::text FROM tenants WHERE slug = rollcall_tenant_slug()), ''), true)"
                );
            }
            Scope::Session(hash) => credential(&mut sql, "sessions", hash),
            Scope::Link(hash) => credential(&mut sql, "password_links", hash),
            Scope::ApiToken(hash) => credential(&mut sql, "api_tokens", hash),
            Scope::EveryTenant => {
                sql.push_str("SELECT set_config('rollcall.all_tenants', 'on', true)")
            }
        }
        sql
    }
}

fn credential(sql: &mut String, table: &str, hash: &[u8]) {
    let mut hex = String::with_capacity(hash.len() * 2);
    for b in hash {
        let _ = write!(hex, "{b:02x}");
    }
    let _ = write!(
        sql,
        "SELECT set_config('rollcall.credential', '{hex}', true); \
         SELECT set_config('rollcall.tenant_id', \
             coalesce((SELECT tenant_id::text FROM {table} WHERE token_hash = rollcall_credential()), ''), true)"
    );
}

/// The alphabet of `tenants.slug` (lower-case letters, digits, hyphens; at
/// most 63): anything else cannot name a tenant, so it scopes to nothing.
fn is_slug_shaped(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Opens a transaction limited to `scope`. Reads may simply drop it (the pool
/// rolls it back); writes commit.
///
/// On a pool made by [`super::connect_lambda`] the transaction also closes
/// the prepared statements it made before it ends, so that nothing outlives
/// it on the connection (an RDS Proxy pins a client connection that keeps
/// named statements between transactions).
///
/// # Errors
/// Whatever acquiring a connection or the `BEGIN` round trip fails with.
pub async fn begin(pool: &PgPool, scope: Scope<'_>) -> sqlx::Result<Tx> {
    let inner = pool.begin_with(scope.begin_statement()).await?;
    Ok(Tx {
        inner: Some(inner),
        close_statements: super::closes_statements(pool),
    })
}

/// A transaction opened by [`begin`]: dereferences to the connection, like
/// `sqlx::Transaction`.
pub struct Tx {
    /// Present until [`Tx::commit`] or the drop takes it.
    inner: Option<Transaction<'static, Postgres>>,
    close_statements: bool,
}

impl Tx {
    #[allow(clippy::expect_used)] // only commit and drop take it, and both end the Tx
    fn inner(&mut self) -> &mut Transaction<'static, Postgres> {
        self.inner
            .as_mut()
            .expect("the transaction is present until it ends")
    }

    /// Commits.
    ///
    /// # Errors
    /// Whatever closing the statements or `COMMIT` fails with.
    pub async fn commit(mut self) -> sqlx::Result<()> {
        let Some(mut tx) = self.inner.take() else {
            return Ok(());
        };
        if self.close_statements {
            sqlx::Connection::clear_cached_statements(&mut *tx).await?;
        }
        tx.commit().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::PgConnection;
    #[allow(clippy::expect_used)] // see `inner`
    fn deref(&self) -> &sqlx::PgConnection {
        self.inner
            .as_ref()
            .expect("the transaction is present until it ends")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        self.inner()
    }
}

/// The tasks ending transactions that were dropped on a Lambda pool (see
/// [`Tx`]'s `Drop`), until [`settle_dropped`] waits for them.
static ENDING: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Waits until every transaction dropped on a Lambda pool has rolled back.
/// The Lambda handler calls it before it answers: Lambda freezes the process
/// once the answer is sent, and a rollback left for later would hold its
/// locks (the tenant's seat lock, say) until the next invocation.
pub async fn settle_dropped() {
    loop {
        let pending: Vec<_> = match ENDING.lock() {
            Ok(mut tasks) => tasks.drain(..).collect(),
            Err(_) => return,
        };
        if pending.is_empty() {
            return;
        }
        for task in pending {
            let _ = task.await;
        }
    }
}

impl Drop for Tx {
    /// A transaction dropped without commit rolls back. Where statements are
    /// closed per transaction, that happens on a task (a drop cannot wait),
    /// which [`settle_dropped`] waits for: close them, then roll back; the
    /// connection returns to the pool after.
    fn drop(&mut self) {
        let Some(mut tx) = self.inner.take() else {
            return;
        };
        if !self.close_statements {
            return; // sqlx queues the ROLLBACK
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let task = runtime.spawn(async move {
                // Close is accepted in a failed transaction too.
                let closed = sqlx::Connection::clear_cached_statements(&mut *tx).await;
                let rolled_back = tx.rollback().await;
                if let Err(e) = closed.and(rolled_back) {
                    tracing::warn!(error = %e, "ending a dropped transaction failed; the pool discards the connection");
                }
            });
            if let Ok(mut tasks) = ENDING.lock() {
                tasks.retain(|t| !t.is_finished());
                tasks.push(task);
            }
        }
    }
}

/// Why the server refuses its database role, if it does: a role that
/// bypasses row-level security (a superuser, or one with `BYPASSRLS`) would
/// make the second wall between tenants silently absent.
///
/// # Errors
/// Whatever the catalog query fails with.
pub async fn role_refusal(pool: &PgPool) -> sqlx::Result<Option<String>> {
    // Unprepared: outside a transaction, a named statement would stay on a
    // Lambda pool's connection.
    let row: (String, bool, bool) = sqlx::query_as(
        "SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .persistent(false)
    .fetch_one(pool)
    .await?;
    let (role, superuser, bypass) = row;
    Ok(match (superuser, bypass) {
        (false, false) => None,
        (true, _) => Some(format!(
            "the database role \"{role}\" is a superuser, which row-level security does not bind: connect as a role without SUPERUSER and BYPASSRLS (docs/operations.md, \"Database roles\")"
        )),
        (false, true) => Some(format!(
            "the database role \"{role}\" has BYPASSRLS: connect as a role without it (ALTER ROLE \"{role}\" NOBYPASSRLS; docs/operations.md, \"Database roles\")"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slug_shaped_names_reach_the_statement() {
        let sql = Scope::TenantSlug("acme-2").begin_statement();
        assert!(sql.contains("'rollcall.tenant_slug', 'acme-2'"));
        for hostile in [
            "a'; DROP TABLE tenants; --",
            "ACME",
            "",
            "a\0b",
            &"a".repeat(64),
        ] {
            let sql = Scope::TenantSlug(hostile).begin_statement();
            // Reset first, then set to nothing: twice the empty slug.
            assert_eq!(
                sql.matches("'rollcall.tenant_slug', ''").count(),
                2,
                "{hostile:?} → {sql}"
            );
            assert!(hostile.is_empty() || !sql.contains(hostile), "{sql}");
        }
    }

    #[test]
    fn credentials_are_hex() {
        let sql = Scope::Session(&[0x00, 0xab, 0xff]).begin_statement();
        assert!(sql.contains("'rollcall.credential', '00abff'"));
        assert!(sql.contains("FROM sessions WHERE"));
        assert!(Scope::Link(&[1])
            .begin_statement()
            .contains("FROM password_links"));
        assert!(Scope::ApiToken(&[1])
            .begin_statement()
            .contains("FROM api_tokens"));
    }

    #[test]
    fn every_tenant_is_explicit() {
        assert!(Scope::EveryTenant
            .begin_statement()
            .contains("'rollcall.all_tenants', 'on'"));
        let id = Uuid::nil();
        assert!(Scope::Tenant(id)
            .begin_statement()
            .contains(&format!("'rollcall.tenant_id', '{id}'")));
    }
}
