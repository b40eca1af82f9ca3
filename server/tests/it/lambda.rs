//! The Lambda adapter: an API Gateway HTTP API (payload 2.0) event through
//! the same router.

use super::support::*;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::Adapter;
use serde_json::{json, Value};
use server::config::Settings;
use server::domain::Services;
use sqlx::PgPool;
use tower::{Service, ServiceExt};

fn login_event(body: &Value) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/login",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "accept": "application/json",
            "host": "rollcall.example.com",
            "user-agent": "lambda-test",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "rollcall.example.com",
            "domainPrefix": "rollcall",
            "http": {
                "method": "POST",
                "path": "/api/login",
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.9",
                "userAgent": "lambda-test"
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:09:00:00 +0000",
            "timeEpoch": 1795338000000u64
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    })
}

async fn invoke(app: axum::Router, event: Value) -> Value {
    let request: LambdaRequest = serde_json::from_value(event).unwrap();
    let mut adapter = Adapter::from(app);
    let adapter = adapter.ready().await.unwrap();
    let response = adapter
        .call(LambdaEvent::new(request, Context::default()))
        .await
        .unwrap();
    serde_json::to_value(response).unwrap()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn api_gateway_v2_login(pool: PgPool) {
    let settings = Settings {
        secure_cookies: true,
        ..Settings::default()
    };
    let svc = Services::new(app_pool(&pool).await, clock(), settings);
    tenant(&svc, "demo", 1).await;
    account(&svc, "demo", "admin", "admin").await;
    account(&svc, "demo", "other", "user").await;
    let app = server::http::router(svc, None);

    let ok = invoke(
        app.clone(),
        login_event(&json!({ "tenant": "demo", "username": "admin", "password": PASSWORD })),
    )
    .await;
    assert_eq!(ok["statusCode"], 200, "{ok}");
    let body: Value = serde_json::from_str(ok["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["username"], "admin");
    assert_eq!(body["tenant_slug"], "demo");
    let cookies = ok["cookies"]
        .as_array()
        .expect("payload 2.0 returns cookies");
    let cookie = cookies[0].as_str().unwrap();
    assert!(cookie.starts_with("__Host-rollcall_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Strict")
    );

    let ip: Option<String> = sqlx::query_scalar("SELECT ip FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(ip.as_deref(), Some("198.51.100.9"));

    let full = invoke(
        app,
        login_event(&json!({ "tenant": "demo", "username": "other", "password": PASSWORD })),
    )
    .await;
    assert_eq!(full["statusCode"], 409);
    let body: Value = serde_json::from_str(full["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["code"], "seats_exhausted");
}

/// What a connection keeps between transactions that would pin it to one
/// database connection behind RDS Proxy: named prepared statements, settings
/// changed for the session, `LISTEN` channels, session advisory locks,
/// cursors held open, temporary tables.
async fn session_state(conn: &mut sqlx::PgConnection) -> Value {
    // Simple-protocol queries: the check itself prepares nothing.
    let row: (i64, Vec<String>, i64, i64, i64, bool, String) = {
        let r = sqlx::raw_sql(
            "SELECT (SELECT count(*) FROM pg_prepared_statements), \
                    ARRAY(SELECT name FROM pg_settings WHERE source = 'session' ORDER BY name), \
                    (SELECT count(*) FROM pg_listening_channels()), \
                    (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), \
                    (SELECT count(*) FROM pg_cursors), \
                    pg_my_temp_schema() <> 0, \
                    coalesce(current_setting('rollcall.tenant_id', true), '')",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        use sqlx::Row;
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
        )
    };
    json!({
        "prepared_statements": row.0,
        "session_settings": row.1,
        "listening": row.2,
        "advisory_locks": row.3,
        "cursors": row.4,
        "temporary_tables": row.5,
        "tenant_scope": row.6,
    })
}

/// Forty requests at once through the router: sign-ins (one with a wrong
/// password), the session, lists, the License page, a lookup of a missing
/// account (an error that drops its transaction).
async fn burst(app: &axum::Router) {
    use super::http::{send, session_cookie};
    let cookie = session_cookie(app, "pin", "admin").await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let app = app.clone();
        let cookie = cookie.clone();
        set.spawn(async move {
            let (path, body) = match i % 8 {
                0 => ("/api/login", json!({ "tenant": "pin", "username": format!("u{}", i % 5), "password": PASSWORD })),
                1 => ("/api/login", json!({ "tenant": "pin", "username": "u1", "password": "wrong" })),
                2 => ("/api/session", json!({})),
                3 => ("/api/license", json!({})),
                4 => ("/api/accounts/list", json!({ "query": {} })),
                5 => ("/api/accounts/get", json!({ "id": uuid::Uuid::nil() })),
                6 => ("/api/heartbeat", json!({ "active": true })),
                _ => ("/api/audit/list", json!({ "query": {} })),
            };
            let reply = send(&app, "POST", path, &body.to_string(), Some(&cookie)).await;
            assert!(!reply.status.is_server_error(), "{path}: {} {}", reply.status, reply.json);
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

async fn pin_tenant(svc: &Services) {
    tenant(svc, "pin", 50).await;
    account(svc, "pin", "admin", "admin").await;
    for i in 0..5 {
        account(svc, "pin", &format!("u{i}"), "user").await;
    }
}

/// Issue #16: in Lambda mode the pool holds at most two connections, opens
/// none before the first query, and leaves nothing on them that would pin an
/// RDS Proxy connection. The server's own pool, which keeps its statements
/// prepared, is the control: the same burst leaves named statements there.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn lambda_pool_leaves_nothing_that_pins_a_proxy(pool: PgPool) {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
    app_pool(&pool).await; // the role and its grants
    let lambda_pool = server::db::connect_lambda(&app_url(&pool)).unwrap();
    assert_eq!(
        lambda_pool.size(),
        0,
        "no connection before the first query"
    );
    let svc = Services::new(lambda_pool.clone(), clock(), Settings::default());
    // What the handler runs before the first request, outside a transaction.
    server::setup::check_before_serving(&svc.pool, &svc.settings)
        .await
        .unwrap();
    pin_tenant(&svc).await;
    let app = server::http::router(svc, None);
    burst(&app).await;
    // A dropped transaction ends on a task, which the handler waits for
    // before it answers.
    server::db::scope::settle_dropped().await;
    let size = lambda_pool.size();
    assert!((1..=2).contains(&size), "{size} connections");
    let mut held = Vec::new();
    for _ in 0..size {
        held.push(lambda_pool.acquire().await.unwrap());
    }
    for conn in &mut held {
        let state = session_state(conn).await;
        assert_eq!(
            state,
            json!({
                "prepared_statements": 0, "session_settings": [], "listening": 0,
                "advisory_locks": 0, "cursors": 0, "temporary_tables": false, "tenant_scope": "",
            }),
            "a Lambda connection after the burst"
        );
    }
    drop(held);

    // The control: the server's pool keeps named statements between
    // transactions (cheaper where no proxy multiplexes connections).
    let server_pool = server::db::connect(&app_url(&pool), 2).await.unwrap();
    let app = server::http::router(
        Services::new(server_pool.clone(), clock(), Settings::default()),
        None,
    );
    burst(&app).await;
    let mut prepared = 0;
    for _ in 0..server_pool.size() {
        let mut conn = server_pool.acquire().await.unwrap();
        prepared += session_state(&mut conn).await["prepared_statements"]
            .as_i64()
            .unwrap();
        conn.detach();
    }
    assert!(prepared > 0, "the control keeps its statements");
}

/// A Lambda handler whose pool would reach `app` on `at` (lazily: nothing
/// connects until a request), migrating through `admin`.
fn handler_for(
    admin: &(server::secrets::DbLogin, server::secrets::DbAddress),
    app: &server::secrets::DbLogin,
    at: &server::secrets::DbAddress,
) -> server::http::lambda::Handler {
    let pool = server::db::connect_lambda(&at.url(app, &at.name)).unwrap();
    let svc = Services::new(pool.clone(), clock(), Settings::default());
    let postman = idle_postman(pool);
    server::http::lambda::Handler::new(
        svc.clone(),
        server::http::router(svc, None),
        std::sync::Arc::new(postman),
        server::http::lambda::Migration::Provision(Box::new(server::http::lambda::Provisioning {
            admin: server::http::lambda::AdminLogin::Known(admin.0.clone(), admin.1.clone()),
            app: (app.clone(), at.clone()),
            app_arn: None,
        })),
    )
    .with_admin_events(None)
}

/// A postman these tests never let send anything.
fn idle_postman(pool: sqlx::PgPool) -> server::mail::Postman {
    server::mail::Postman {
        pool,
        clock: clock(),
        delivery: server::mail::Delivery::Files(std::env::temp_dir().join("rollcall-it-unused")),
        from: "Rollcall <rollcall@localhost>".parse().unwrap(),
    }
}

/// `GET /api/health` as an HTTP API (payload 2.0) event.
fn health_event() -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/api/health", "rawQueryString": "",
        "headers": { "accept": "application/json" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "rollcall.example.com",
            "domainPrefix": "rollcall", "requestId": "req-h", "routeKey": "$default", "stage": "$default",
            "time": "22/Nov/2026:09:00:00 +0000", "timeEpoch": 1795338000000u64,
            "http": { "method": "GET", "path": "/api/health", "protocol": "HTTP/1.1",
                      "sourceIp": "198.51.100.9", "userAgent": "lambda-test" }
        },
        "isBase64Encoded": false
    })
}

async fn event(handler: &server::http::lambda::Handler, event: Value) -> Value {
    let out = handler
        .handle(LambdaEvent::new(event, Context::default()))
        .await
        .unwrap();
    serde_json::to_value(out).unwrap()
}

/// Issue #16: the `migrate` event, sent twice at once as a deployment might,
/// run by a master user like RDS's (`CREATEROLE`, `CREATEDB`, no superuser):
/// the application's role is made once, bound by row-level security, owns
/// its database, and every migration is applied exactly once. A rotated
/// password is applied by the next run.
#[sqlx::test(migrations = false)]
async fn the_migrate_event_makes_the_role_and_database_once(pool: PgPool) {
    use server::secrets::{DbAddress, DbLogin};
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let master = DbLogin {
        username: format!("master_{tag}"),
        password: "master-loopback".into(),
    };
    sqlx::raw_sql(&format!(
        "CREATE ROLE {} LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '{}'",
        master.username,
        master.password.expose()
    ))
    .execute(&pool)
    .await
    .unwrap();
    let o = pool.connect_options();
    let at = DbAddress {
        host: o.get_host().to_owned(),
        port: o.get_port(),
        name: format!("lambda_{tag}"),
        sslmode: "prefer".into(),
        sslrootcert: None,
    };
    let app = DbLogin {
        username: format!("lambda_app_{tag}"),
        password: "first-password".into(),
    };
    let admin = (master.clone(), at.clone());
    let (one, two) = (
        handler_for(&admin, &app, &at),
        handler_for(&admin, &app, &at),
    );
    let migrate = json!({ "rollcall": "migrate" });
    let (a, b) = tokio::join!(event(&one, migrate.clone()), event(&two, migrate.clone()));
    let created = |v: &Value, what: &str| v["provisioned"][what].as_bool().unwrap();
    assert!(
        created(&a, "role_created") ^ created(&b, "role_created"),
        "{a} {b}"
    );
    let applied = |v: &Value| v["migrated"]["applied"].as_array().unwrap().len();
    assert_eq!(
        applied(&a) + applied(&b),
        server::db::MIGRATOR.iter().count(),
        "every migration once: {a} {b}"
    );

    let role: (bool, bool, bool, String) = sqlx::query_as(
        "SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, pg_get_userbyid(d.datdba)::text \
         FROM pg_roles r, pg_database d WHERE r.rolname = $1 AND d.datname = $2",
    )
    .bind(&app.username)
    .bind(&at.name)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(role, (false, false, false, app.username.clone()));

    // The function serves as that role: its checks pass, and a request works.
    let health = health_event();
    assert_eq!(event(&one, health.clone()).await["statusCode"], 200);

    // A rotated secret: the next migrate event sets the new password, and
    // nothing is applied twice.
    let rotated = DbLogin {
        password: "second-password".into(),
        ..app.clone()
    };
    let three = handler_for(&admin, &rotated, &at);
    let again = event(&three, migrate).await;
    assert_eq!(applied(&again), 0, "{again}");
    assert!(!created(&again, "role_created") && !created(&again, "database_created"));
    assert_eq!(event(&three, health).await["statusCode"], 200);

    for h in [one, two, three] {
        h.services.pool.close().await;
    }
    for sql in [
        format!("DROP DATABASE {} WITH (FORCE)", at.name),
        format!("DROP ROLE {}", app.username),
        format!("DROP ROLE {}", master.username),
    ] {
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
    }
}

/// The API's function as the template starts it (no administrative events)
/// on the test's database.
async fn api_handler(pool: &PgPool) -> server::http::lambda::Handler {
    let svc = Services::new(app_pool(pool).await, clock(), Settings::default());
    let postman = idle_postman(svc.pool.clone());
    server::http::lambda::Handler::new(
        svc.clone(),
        server::http::router(svc, None),
        std::sync::Arc::new(postman),
        server::http::lambda::Migration::Url(app_url(pool)),
    )
}

/// The API's function takes no administrative events: only the one started
/// with `ROLLCALL_ADMIN_EVENTS=on` migrates or runs operator commands (the
/// template gives only that one the master user's secret).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_api_function_refuses_administrative_events(pool: PgPool) {
    let handler = api_handler(&pool).await;
    for event in [
        json!({ "rollcall": "migrate" }),
        json!({ "rollcall": "operator", "args": ["tenant", "create", "--slug", "x", "--name", "X", "--seats", "1"] }),
    ] {
        let refused = handler
            .handle(LambdaEvent::new(event.clone(), Context::default()))
            .await
            .err()
            .unwrap_or_else(|| panic!("{event} was taken"));
        assert!(
            refused.to_string().contains("ROLLCALL_ADMIN_EVENTS"),
            "{refused}"
        );
    }
    let tenants = count_rows(&pool, "SELECT count(*) FROM tenants").await;
    assert_eq!(tenants, 0);
}

/// Without `ROLLCALL_PUBLIC_URL` (a first deployment without a domain) the
/// API's function answers every request 503 saying why, instead of serving
/// with cookies and links for the wrong address.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn without_a_public_url_requests_get_a_503_that_says_why(pool: PgPool) {
    let handler = api_handler(&pool).await.with_public_url(false);
    let out = event(&handler, health_event()).await;
    assert_eq!(out["statusCode"], 503, "{out}");
    assert!(out["body"].as_str().unwrap().contains("PublicUrl"), "{out}");
}
