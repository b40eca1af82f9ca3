use app::api::port::RequestMeta;
use app::model::NewPassword;
use app::model::Secret;
use app::model::{AccountForm, CreateAccountRequest, UpdateAccountRequest};
use server::clock::{Clock, ManualClock};
use server::config::Settings;
use server::db;
use server::domain::caller::AdminCaller;
use server::domain::caller::Operator;
use server::domain::Services;
use server::error::Error;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::Arc;
use time::macros::datetime;
use uuid::Uuid;

pub const PASSWORD: &str = "Seat-test 1!";

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::starting_at(datetime!(2026-11-22 09:00 UTC)))
}

/// `ROLLCALL_SECRET_KEY` of the tests' services.
pub const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The services under test, as the server runs them: connected as
/// [`APP_ROLE`], which row-level security binds. `pool` (the test's own, a
/// superuser's) stays for arranging and checking rows across tenants.
pub async fn services(pool: PgPool, clock: Arc<ManualClock>) -> Services {
    let clock: Arc<dyn Clock> = clock;
    let settings = Settings {
        secret_key: Some(server::crypto::SecretKey::parse(SECRET_KEY).unwrap()),
        ..Settings::default()
    };
    Services::new(app_pool(&pool).await, clock, settings)
}

/// The role the services under test log in as: no superuser, no
/// `BYPASSRLS`, only row privileges on the test's database. Its password is
/// no secret: it opens throwaway databases on a loopback cluster.
pub const APP_ROLE: &str = "rollcall_it";
const APP_PASSWORD: &str = "rollcall-it-loopback";

/// A pool on the test's database as [`APP_ROLE`], creating the role on first
/// use and granting it the rows of this database.
pub async fn app_pool(pool: &PgPool) -> PgPool {
    sqlx::query(&format!(
        "DO $$ BEGIN
             CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{APP_PASSWORD}';
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$"
    ))
    .execute(pool)
    .await
    .unwrap();
    for grant in [
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO",
    ] {
        sqlx::query(&format!("{grant} {APP_ROLE}"))
            .execute(pool)
            .await
            .unwrap();
    }
    PgPoolOptions::new()
        .max_connections(pool.options().get_max_connections())
        .idle_timeout(std::time::Duration::from_secs(1))
        .connect_with(app_options(pool))
        .await
        .unwrap()
}

/// The URL of the test's database as [`APP_ROLE`] (for `server serve`).
pub fn app_url(pool: &PgPool) -> String {
    let o = pool.connect_options();
    format!(
        "postgres://{APP_ROLE}:{APP_PASSWORD}@{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap()
    )
}

/// How [`APP_ROLE`] reaches the test's database.
pub fn app_options(pool: &PgPool) -> PgConnectOptions {
    pool.connect_options()
        .as_ref()
        .clone()
        .username(APP_ROLE)
        .password(APP_PASSWORD)
}

/// Where the domain controller `cargo xtask test` started is (`AD_*`).
pub fn ad(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: these tests need the domain controller that `cargo xtask test` starts (or `cargo xtask dc`)")
    })
}

/// The harness's DC over LDAPS at `url`, trusting its CA, with the look-up
/// account; directory sign-in on.
pub fn directory_request(url: &str) -> app::model::directory::SaveDirectoryRequest {
    app::model::directory::SaveDirectoryRequest {
        enabled: true,
        url: url.to_owned(),
        allow_plain: false,
        ca_pem: std::fs::read_to_string(ad("AD_CA")).unwrap(),
        domain: ad("AD_DOMAIN"),
        upn_suffix: ad("AD_REALM"),
        base_dn: ad("AD_BASE"),
        bind_name: ad("AD_LOOKUP"),
        bind_password: Secret::from(ad("AD_LOOKUP_PASSWORD")),
        version: None,
    }
}

/// Connects the administrator's tenant to the harness's DC.
pub async fn connect_directory(svc: &Services, admin: &AdminCaller) {
    svc.save_directory(
        admin,
        &directory_now(svc, admin, directory_request(&ad("AD_URL"))).await,
    )
    .await
    .unwrap();
}

/// A directory account request for a person the harness's DC holds.
pub fn directory_account(username: &str, role: &str) -> CreateAccountRequest {
    CreateAccountRequest {
        username: username.into(),
        account_type: "directory".into(),
        form: AccountForm {
            role: role.into(),
            ..AccountForm::default()
        },
        ..CreateAccountRequest::default()
    }
}

pub fn operator() -> Operator {
    Operator {
        name: "tests".into(),
    }
}

pub async fn tenant(svc: &Services, slug: &str, seats: i64) -> Uuid {
    svc.create_tenant(&operator(), slug, &format!("Tenant {slug}"), seats)
        .await
        .unwrap()
        .id
}

pub fn account_request(username: &str, role: &str) -> CreateAccountRequest {
    CreateAccountRequest {
        username: username.into(),
        account_type: "local".into(),
        form: AccountForm {
            first_name: "Test".into(),
            last_name: username.into(),
            email: format!("{username}@example.org"),
            role: role.into(),
            ..AccountForm::default()
        },
        new_password: NewPassword::new(PASSWORD, PASSWORD),
        invite: false,
    }
}

pub async fn account(svc: &Services, tenant: &str, username: &str, role: &str) -> Uuid {
    svc.operator_create_account(&operator(), tenant, &account_request(username, role))
        .await
        .unwrap()
        .id
}

/// Many accounts sharing one password hash (hashing each would only slow the
/// test down; verification still runs argon2 for every sign-in).
pub async fn many_accounts(pool: &PgPool, tenant_id: Uuid, prefix: &str, n: usize) -> Vec<String> {
    let hash = server::crypto::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let now = datetime!(2026-11-22 08:00 UTC);
    let mut names = Vec::with_capacity(n);
    for i in 0..n {
        let username = format!("{prefix}{i:03}");
        db::accounts::insert(
            &mut conn,
            db::accounts::InsertAccount {
                tenant_id,
                username: &username,
                username_key: &username,
                first_name: "Load",
                last_name: &username,
                email: &format!("{username}@example.org"),
                role: "user",
                status: "active",
                account_type: "local",
                case_access: "standard",
                must_change_password: false,
                rotate_password: false,
                expires_on: None,
                password_hash: Some(&hash),
                now,
            },
        )
        .await
        .unwrap();
        names.push(username);
    }
    names
}

/// No session, from the `n`th address of 198.18.0.0/15 (RFC 2544's
/// benchmarking range).
pub fn from_address(n: u32) -> RequestMeta {
    RequestMeta {
        ip: Some(format!(
            "198.{}.{}.{}",
            18 + (n >> 16) % 2,
            (n >> 8) % 256,
            n % 256
        )),
        ..meta(None)
    }
}

pub fn meta(token: Option<&str>) -> RequestMeta {
    RequestMeta {
        session_token: token.map(Secret::from),
        bearer_token: None,
        ip: Some("192.0.2.7".into()),
        user_agent: Some("integration-test".into()),
    }
}

/// Signs in as a browser does under load: after `503 server_busy`, again
/// once its `Retry-After` has passed.
pub async fn login_patiently(
    svc: &Services,
    tenant: &str,
    username: &str,
) -> Result<server::domain::signin::LoggedIn, Error> {
    loop {
        match try_login(svc, tenant, username).await {
            Err(Error::Api(e)) if e.code == app::model::ErrorCode::ServerBusy => {
                let wait = u64::from(e.retry_after.unwrap_or(1));
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            }
            other => return other,
        }
    }
}

/// Signs in and returns the session token.
pub async fn login(svc: &Services, tenant: &str, username: &str) -> String {
    try_login(svc, tenant, username)
        .await
        .unwrap_or_else(|e| panic!("{username} could not sign in: {e}"))
        .token
        .into_exposed()
}

pub async fn open_sessions(pool: &PgPool, tenant_id: Uuid) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM sessions WHERE tenant_id = $1 AND ended_at IS NULL",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The number `sql` (a `SELECT count(*) …` without parameters) answers,
/// asked on `pool`.
pub async fn count_rows(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn audit_count(pool: &PgPool, tenant_id: Uuid, action: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = $2",
    )
    .bind(tenant_id)
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The `details` of the tenant's latest audit event of `action`.
pub async fn last_audit_details(pool: &PgPool, tenant_id: Uuid, action: &str) -> serde_json::Value {
    sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE tenant_id = $1 AND action = $2
         ORDER BY occurred_at DESC, id DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("no {action} event: {e}"))
}

/// The API error a call must have answered.
pub fn api_err<T>(r: Result<T, Error>) -> app::model::ApiError {
    match r {
        Err(Error::Api(e)) => e,
        Err(other) => panic!("expected an API error, got {other}"),
        Ok(_) => panic!("expected an API error, got success"),
    }
}

/// Signs `username` in and returns the administrator capability.
pub async fn admin_of(svc: &Services, tenant: &str, username: &str) -> AdminCaller {
    svc.require_admin(&meta(Some(&login(svc, tenant, username).await)))
        .await
        .unwrap()
}

/// A tenant `slug` with 5 seats and one administrator, `boss`, signed in:
/// the services, the tenant's id and the administrator's capability.
pub async fn tenant_with_admin(pool: &PgPool, slug: &str) -> (Services, Uuid, AdminCaller) {
    let svc = services(pool.clone(), clock()).await;
    let (t, admin) = tenant_with_boss(&svc, slug).await;
    (svc, t, admin)
}

/// [`tenant_with_admin`] on the caller's services (and so its clock): the
/// tenant's id and `boss`'s administrator capability.
pub async fn tenant_with_boss(svc: &Services, slug: &str) -> (Uuid, AdminCaller) {
    let t = tenant(svc, slug, 5).await;
    account(svc, slug, "boss", "admin").await;
    (t, admin_of(svc, slug, "boss").await)
}

/// Whether the account `id` is listed as expired (its date has come in the
/// organisation's time zone), as `admin` sees it.
pub async fn listed_expired(
    svc: &Services,
    admin: &AdminCaller,
    id: app::model::AccountId,
) -> bool {
    svc.get_account(admin, id).await.unwrap().summary.expired
}

/// A sign-in with the fixtures' password, as it answered.
pub async fn try_login(
    svc: &Services,
    tenant: &str,
    username: &str,
) -> Result<server::domain::signin::LoggedIn, Error> {
    svc.login(&meta(None), tenant, username, &Secret::from(PASSWORD))
        .await
}

/// Gives the tenant a 24-hour idle lease and a week-long session lifetime
/// (tests that move the clock by hours without sending heartbeats).
pub async fn day_long_lease(pool: &PgPool, tenant_id: Uuid) {
    sqlx::query(
        "UPDATE tenants SET idle_lease_seconds = 86400, session_lifetime_hours = 168 WHERE id = $1",
    )
    .bind(tenant_id)
    .execute(pool)
    .await
    .unwrap();
}

/// The stored `version` of row `id` of `table` (`accounts`, `groups`,
/// `forms`, `form_columns`, `clients`): what an edit based on the current
/// record sends (#25).
pub async fn version_of(pool: &PgPool, table: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{table} {id}: {e}"))
}

/// `edit` at the account's stored version: an edit made by someone who has
/// the account open as it is now.
pub async fn current(pool: &PgPool, mut edit: UpdateAccountRequest) -> UpdateAccountRequest {
    edit.version = version_of(pool, "accounts", edit.id.as_uuid()).await;
    edit
}

/// `request` at the version of the tenant's stored directory connection:
/// a save by someone who has Settings → Directory open as it is now.
pub async fn directory_now(
    svc: &Services,
    admin: &AdminCaller,
    mut request: app::model::directory::SaveDirectoryRequest,
) -> app::model::directory::SaveDirectoryRequest {
    request.version = Some(svc.get_directory(admin).await.unwrap().version);
    request
}

/// The edit of the account `details` show, changed by `f`, at the version
/// they were read at: what Save sends from an account page.
pub fn edit_of(
    details: &app::model::AccountDetails,
    f: impl FnOnce(&mut AccountForm),
) -> UpdateAccountRequest {
    let mut form = AccountForm::from(details);
    f(&mut form);
    UpdateAccountRequest {
        id: details.summary.id,
        version: details.summary.version,
        form,
        new_password: NewPassword::default(),
    }
}

/// A new client of `admin`'s organisation.
pub async fn new_client(svc: &Services, admin: &AdminCaller, name: &str) -> app::model::Client {
    svc.save_client(
        admin,
        &app::model::SaveClientRequest {
            id: None,
            version: None,
            name: name.into(),
        },
    )
    .await
    .unwrap()
}
