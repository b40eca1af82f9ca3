//! Row-level security: the second wall between tenants holds even for a
//! query that forgets its `WHERE tenant_id`.

use super::support::*;
use server::crypto;
use server::db::{self, Scope};
use sqlx::PgPool;
use uuid::Uuid;

/// Two tenants with an administrator and a signed-in user each.
async fn two_tenants(pool: &PgPool) -> (sqlx::PgPool, Uuid, Uuid, String) {
    let svc = services(pool.clone(), clock()).await;
    let a = tenant(&svc, "alpha", 5).await;
    let b = tenant(&svc, "beta", 5).await;
    for (slug, user) in [("alpha", "anna"), ("beta", "bert")] {
        account(&svc, slug, &format!("{slug}-admin"), "admin").await;
        account(&svc, slug, user, "user").await;
    }
    let token = login(&svc, "alpha", "anna").await;
    login(&svc, "beta", "bert").await;
    (svc.pool.clone(), a, b, token)
}

async fn usernames(tx: &mut sqlx::PgConnection) -> Vec<String> {
    sqlx::query_scalar("SELECT username FROM accounts ORDER BY username")
        .fetch_all(tx)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_query_without_its_tenant_filter_sees_only_its_tenant(pool: PgPool) {
    let (app, a, b, _) = two_tenants(&pool).await;

    let mut tx = db::begin(&app, Scope::Tenant(a)).await.unwrap();
    assert_eq!(usernames(&mut tx).await, ["alpha-admin", "anna"]);
    for table in [
        "sessions",
        "audit_events",
        "groups",
        "forms",
        "form_columns",
        "outbox",
    ] {
        let foreign: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE tenant_id IS DISTINCT FROM $1"
        ))
        .bind(a)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(foreign, 0, "{table} shows another tenant's rows");
    }
    let tenants: Vec<String> = sqlx::query_scalar("SELECT slug FROM tenants")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(tenants, ["alpha"]);

    // Writes are bound too: an UPDATE without WHERE touches only the scope's
    // rows, and a row for another tenant is refused.
    let touched = sqlx::query("UPDATE accounts SET first_name = 'Scoped'")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(touched, 2);
    let deleted = sqlx::query("DELETE FROM sessions WHERE tenant_id = $1")
        .bind(b)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(deleted, 0);
    let smuggled = sqlx::query(
        "INSERT INTO clients (tenant_id, name, name_key, created_at) VALUES ($1, 'X', 'x', now())",
    )
    .bind(b)
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(
        smuggled.to_string().contains("row-level security"),
        "{smuggled}"
    );
    drop(tx);

    // Nothing changed in beta.
    let beta: Vec<String> = sqlx::query_scalar(
        "SELECT first_name FROM accounts WHERE tenant_id = $1 AND first_name = 'Scoped'",
    )
    .bind(b)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(beta.is_empty());
    assert_eq!(open_sessions(&pool, b).await, 1);

    // The scope does not outlive its transaction on the pooled connection.
    let mut bare = app.acquire().await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(&mut *bare)
        .await
        .unwrap();
    assert_eq!(seen, 0, "a connection without a scope sees no tenant data");
    let setting: Option<String> =
        sqlx::query_scalar("SELECT current_setting('rollcall.tenant_id', true)")
            .fetch_one(&mut *bare)
            .await
            .unwrap();
    assert!(setting.unwrap_or_default().is_empty());
    drop(bare);

    // Operator work that spans tenants says so and sees both.
    let mut every = db::begin(&app, Scope::EveryTenant).await.unwrap();
    assert_eq!(usernames(&mut every).await.len(), 4);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn credentials_and_slugs_find_only_their_own_tenant(pool: PgPool) {
    let (app, a, _b, token) = two_tenants(&pool).await;

    let hash = crypto::token_hash(&token);
    let mut tx = db::begin(&app, Scope::Session(&hash)).await.unwrap();
    let tenant: String = sqlx::query_scalar("SELECT current_setting('rollcall.tenant_id')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(tenant, a.to_string());
    assert_eq!(usernames(&mut tx).await, ["alpha-admin", "anna"]);
    drop(tx);

    let mut tx = db::begin(&app, Scope::Session(&[7; 32])).await.unwrap();
    assert!(usernames(&mut tx).await.is_empty());
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    drop(tx);

    let mut tx = db::begin(&app, Scope::TenantSlug("beta")).await.unwrap();
    assert_eq!(usernames(&mut tx).await, ["bert", "beta-admin"]);
    drop(tx);
    let mut tx = db::begin(&app, Scope::TenantSlug("nobody")).await.unwrap();
    assert!(usernames(&mut tx).await.is_empty());
}

/// `FORCE ROW LEVEL SECURITY` binds the tables' owner too (the role the
/// server runs as in `cargo xtask run` and on RDS).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_table_owner_is_bound_too(pool: PgPool) {
    let (_app, a, _b, _) = two_tenants(&pool).await;
    sqlx::query(
        "DO $$ BEGIN CREATE ROLE rollcall_owner_probe NOLOGIN;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ALTER TABLE accounts OWNER TO rollcall_owner_probe")
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE rollcall_owner_probe")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(usernames(&mut tx).await.is_empty());
    sqlx::query("SELECT set_config('rollcall.tenant_id', $1, true)")
        .bind(a.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(usernames(&mut tx).await, ["alpha-admin", "anna"]);
}

/// A table added later cannot be forgotten: every table of the schema has
/// row-level security, forced, and a tenant column (tenants: its id).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn every_table_forces_row_level_security(pool: PgPool) {
    let rows: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                        AND a.attname = 'tenant_id' AND NOT a.attisdropped)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND c.relname <> '_sqlx_migrations'
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(rows.len() >= 20, "{rows:?}");
    for (table, enabled, forced, has_tenant) in rows {
        assert!(enabled && forced, "{table}: row-level security not forced");
        assert!(has_tenant || table == "tenants", "{table}: no tenant_id");
    }
}
