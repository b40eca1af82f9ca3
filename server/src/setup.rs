//! Setting a database up and checking it before serving: the migrations
//! (`server migrate`, or the Lambda function's `migrate` event), the role
//! that row-level security binds, and the checks `serve` and Lambda run
//! before their first request.

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::secrets::{DbAddress, DbLogin};
use serde::Serialize;
use sqlx::{Connection, PgPool};

/// What [`migrate`] did, for the CLI's lines and the Lambda event's answer.
#[derive(Debug, Default, Serialize)]
pub struct Migrated {
    /// Versions applied by this run (an empty list: the schema was current).
    pub applied: Vec<i64>,
    /// Tenants that got the default groups and demo forms.
    pub seeded_tenants: Vec<String>,
    /// Case-insensitive keys recomputed.
    pub rekeyed_rows: u64,
    /// Keys that could not take their proper value: one line each.
    pub warnings: Vec<String>,
}

/// Applies pending migrations, then the data steps that follow them (seed
/// groups and forms, recompute case-insensitive keys).
///
/// Two runs at once are safe: the whole of a run holds a session advisory
/// lock on one connection of `pool` (so `pool` needs two: the steps after the
/// migrations use another), and the second run then finds nothing to do.
/// That lock would pin an RDS Proxy connection: give this a direct
/// connection that is closed afterwards, as the Lambda `migrate` event does.
///
/// # Errors
/// One line saying which step failed and, for a changed migration, what to do.
pub async fn migrate(pool: &PgPool) -> Result<Migrated, String> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    sqlx::raw_sql("SELECT pg_advisory_lock(hashtext('rollcall.migrate'))")
        .execute(&mut *conn)
        .await
        .map_err(|e| format!("cannot take the migration lock: {e}"))?;
    let done = migrate_locked(pool, &mut conn).await;
    // Closing the connection would release it too; a failed unlock only
    // says the connection is gone.
    let _ = sqlx::raw_sql("SELECT pg_advisory_unlock(hashtext('rollcall.migrate'))")
        .execute(&mut *conn)
        .await;
    done
}

async fn migrate_locked(pool: &PgPool, conn: &mut sqlx::PgConnection) -> Result<Migrated, String> {
    let before = applied_versions(conn).await;
    crate::db::MIGRATOR.run(&mut *conn).await.map_err(|e| {
        let hint = match e {
            // Landed migrations never change: this database ran a draft of
            // one (a development database).
            sqlx::migrate::MigrateError::VersionMismatch(_) => " (this database was migrated with a different draft of that migration: for a development database from `cargo xtask run`, stop it and remove `.data/` to start afresh)",
            _ => "",
        };
        format!("migrations failed: {e}{hint}")
    })?;
    let after = applied_versions(conn).await;
    let mut out = Migrated {
        applied: after.into_iter().filter(|v| !before.contains(v)).collect(),
        ..Migrated::default()
    };
    out.seeded_tenants = crate::domain::permissions::seed_existing_tenants(pool, SystemClock.now())
        .await
        .map_err(|e| format!("seeding groups and forms failed: {e}"))?;
    let refreshed = crate::domain::text_keys::refresh(pool)
        .await
        .map_err(|e| format!("recomputing the case-insensitive keys failed: {e}"))?;
    out.rekeyed_rows = refreshed.updated;
    out.warnings = refreshed.conflicts;
    Ok(out)
}

/// The versions in `_sqlx_migrations`; none before the first run.
async fn applied_versions(conn: &mut sqlx::PgConnection) -> Vec<i64> {
    sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations WHERE success")
        .persistent(false)
        .fetch_all(conn)
        .await
        .unwrap_or_default()
}

/// The checks before the first request: the role is bound by row-level
/// security, and sealed directory passwords have their key.
///
/// # Errors
/// One line saying what to change.
pub async fn check_before_serving(pool: &PgPool, settings: &Settings) -> Result<(), String> {
    if let Some(refusal) = crate::db::scope::role_refusal(pool)
        .await
        .map_err(|e| format!("cannot read the database role: {e}"))?
    {
        return Err(refusal);
    }
    if settings.secret_key.is_none() {
        // A start-up check over every tenant's directory settings.
        let mut conn = crate::db::begin(pool, crate::db::Scope::EveryTenant)
            .await
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let sealed = crate::db::directories::sealed_password_count(&mut conn)
            .await
            .map_err(|e| {
                format!("cannot read the directory settings (run `server migrate`?): {e}")
            })?;
        if sealed > 0 {
            return Err(format!(
                "ROLLCALL_SECRET_KEY is not set, but {sealed} organisation(s) keep a directory look-up password sealed with it: set it to the key they were saved with"
            ));
        }
    }
    Ok(())
}

/// What [`provision`] found or made.
#[derive(Debug, Default, Serialize)]
pub struct Provisioned {
    pub role_created: bool,
    pub database_created: bool,
}

/// A role or database name we put into SQL text: lower-case letters,
/// digits and underscores, at most 63, not starting with a digit.
fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Makes the application's role and database as the database's master user
/// (the RDS master user: `CREATEROLE` and `CREATEDB`, not a superuser), so
/// the function never runs as a role that row-level security does not bind:
/// - the role `app.username`, `LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE
///   NOCREATEDB`, its password set to `app.password` on every run (so a
///   rotated secret is applied by the next migration step);
/// - the database `at.name`, owned by that role.
///
/// Two runs at once are safe: the role is made under a transaction-level
/// advisory lock, and a database made by the other run is accepted.
///
/// # Errors
/// One line naming what failed: an unusable name, a role that bypasses
/// row-level security and cannot be changed by this user, a refused
/// statement.
pub async fn provision(
    admin: &(DbLogin, DbAddress),
    app: &DbLogin,
    database: &str,
) -> Result<Provisioned, String> {
    let role = app.username.as_str();
    if !is_plain_identifier(role) || !is_plain_identifier(database) {
        return Err(format!(
            "the role `{role}` and database `{database}` must be plain lower-case names (letters, digits, _)"
        ));
    }
    let (login, at) = admin;
    let url = at.url(login, "postgres");
    let mut conn = sqlx::PgConnection::connect(&url).await.map_err(|e| {
        format!(
            "cannot connect to {}:{} as the master user {}: {e}",
            at.host, at.port, login.username
        )
    })?;
    let mut out = Provisioned::default();
    let failed = |what: &str, e: sqlx::Error| format!("{what} failed: {e}");

    let mut tx = conn.begin().await.map_err(|e| failed("BEGIN", e))?;
    // One provisioning at a time; released at COMMIT (no session lock).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('rollcall.provision'))")
        .persistent(false)
        .execute(&mut *tx)
        .await
        .map_err(|e| failed("the provisioning lock", e))?;
    let existing: Option<(bool, bool)> =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .persistent(false)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| failed("reading the roles", e))?;
    let mut statements = Vec::new();
    match existing {
        None => {
            statements.push(format!(
                "CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB"
            ));
            out.role_created = true;
        }
        Some((true, _)) => {
            return Err(format!(
                "the role {role} is a superuser, which row-level security does not bind: give the application another role name"
            ))
        }
        Some((false, true)) => statements.push(format!("ALTER ROLE {role} NOBYPASSRLS")),
        Some((false, false)) => {}
    }
    // The password goes in as its SCRAM verifier, never in clear (statement
    // logs, pg_stat_statements), as a literal quoted by Postgres itself.
    let verifier = scram_verifier(app.password.expose())?;
    let set_password: String =
        sqlx::query_scalar("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)")
            .bind(role)
            .bind(&verifier)
            .persistent(false)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| failed("quoting the password", e))?;
    // The master user needs membership to make the database owned by it.
    let grant = format!("GRANT {role} TO CURRENT_USER");
    // A backstop: a transaction left open by a process that stopped (a
    // frozen or killed Lambda instance) gives up its locks after this.
    let idle = format!("ALTER ROLE {role} SET idle_in_transaction_session_timeout = '5min'");
    for sql in statements.iter().map(String::as_str).chain([
        set_password.as_str(),
        grant.as_str(),
        idle.as_str(),
    ]) {
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(|e| {
            let shown = if sql.contains("PASSWORD") {
                "ALTER ROLE … PASSWORD"
            } else {
                sql
            };
            failed(shown, e)
        })?;
    }
    tx.commit().await.map_err(|e| failed("COMMIT", e))?;

    let owner: Option<String> = sqlx::query_scalar(
        "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
    )
    .bind(database)
    .persistent(false)
    .fetch_optional(&mut conn)
    .await
    .map_err(|e| failed("reading the databases", e))?;
    match owner.as_deref() {
        None => {
            match sqlx::raw_sql(&format!("CREATE DATABASE {database} OWNER {role}"))
                .execute(&mut conn)
                .await
            {
                Ok(_) => out.database_created = true,
                // Made by a run at the same time: duplicate_database, or the
                // catalog's unique index when both got past the check.
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
                Err(e) => return Err(failed(&format!("CREATE DATABASE {database}"), e)),
            }
        }
        Some(o) if o == role => {}
        Some(_) => {
            sqlx::raw_sql(&format!("ALTER DATABASE {database} OWNER TO {role}"))
                .execute(&mut conn)
                .await
                .map_err(|e| failed(&format!("ALTER DATABASE {database} OWNER"), e))?;
        }
    }
    let _ = conn.close().await;
    Ok(out)
}

/// PBKDF2 iterations of the verifier: Postgres's own default
/// (`scram_iterations`).
const SCRAM_ITERATIONS: u32 = 4096;

/// The SCRAM-SHA-256 verifier Postgres stores for `password`, in its format
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802 §3
/// and RFC 7677; what libpq's `PQencryptPasswordConn` makes).
///
/// # Errors
/// A password that SASLprep (RFC 4013) would change: libpq prepares the
/// password before hashing it, sqlx does not, so such a password would
/// work for one client and not the other. (Generated ones are letters and
/// digits.) Also if the system's random source fails.
fn scram_verifier(password: &str) -> Result<String, String> {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness for a salt: {e}"))?;
    if stringprep::saslprep(password).map_or(true, |p| p != password) {
        return Err("the application role's password must stay the same under SASLprep (RFC 4013): use letters, digits and ASCII punctuation".into());
    }
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, SCRAM_ITERATIONS, &mut salted);
    let hmac = |message: &[u8]| -> Result<Vec<u8>, String> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&salted).map_err(|e| e.to_string())?;
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    };
    let stored_key = Sha256::digest(hmac(b"Client Key")?);
    let server_key = hmac(b"Server Key")?;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!(
        "SCRAM-SHA-256${SCRAM_ITERATIONS}:{}${}:{}",
        b64(&salt),
        b64(&stored_key),
        b64(&server_key)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_verifier_has_postgres_shape_and_no_password() {
        let v = super::scram_verifier("first-password").unwrap();
        assert!(v.starts_with("SCRAM-SHA-256$4096:"), "{v}");
        assert!(!v.contains("first-password"));
        let (salt, keys) = v["SCRAM-SHA-256$4096:".len()..].split_once('$').unwrap();
        assert_eq!(salt.len(), 24, "16 bytes of salt, base64");
        let (stored, server) = keys.split_once(':').unwrap();
        assert_eq!((stored.len(), server.len()), (44, 44), "32-byte keys");
        // A fresh salt each time.
        assert_ne!(v, super::scram_verifier("first-password").unwrap());
        // One that SASLprep changes (a non-breaking space becomes a space)
        // would not work with every client.
        assert!(super::scram_verifier("a\u{a0}b").is_err());
    }

    #[test]
    fn only_plain_names_reach_sql() {
        for ok in ["rollcall", "rollcall_app", "r2"] {
            assert!(super::is_plain_identifier(ok), "{ok}");
        }
        for bad in [
            "",
            "Rollcall",
            "2x",
            "a-b",
            "a;drop",
            "a\"b",
            &"a".repeat(64),
        ] {
            assert!(!super::is_plain_identifier(bad), "{bad}");
        }
    }
}
