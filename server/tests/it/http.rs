//! The HTTP contract of the API, through the real router.

use super::support::*;
use axum::body::Body;
use axum::Router;
use http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::config::Settings;
use server::domain::Services;
use sqlx::PgPool;
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub json: Value,
}

pub async fn send(
    app: &Router,
    method: &str,
    path: &str,
    body: &str,
    cookie: Option<&str>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let (status, headers, bytes) =
        exchange(app, req.body(Body::from(body.to_owned())).unwrap()).await;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        json,
    }
}

/// Sends `req` through `app` and reads the whole answer.
pub async fn exchange(app: &Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

/// Signs `username` of `tenant` in through `app` (the test password) and
/// returns the session cookie as a `Cookie` header wants it.
pub async fn session_cookie(app: &Router, tenant: &str, username: &str) -> String {
    let body = json!({ "tenant": tenant, "username": username, "password": PASSWORD });
    let reply = send(app, "POST", "/api/login", &body.to_string(), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{username}: {}", reply.json);
    cookie_of(&reply)
}

pub fn cookie_of(r: &Reply) -> String {
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn setup(pool: PgPool, settings: Settings) -> (Services, Router) {
    let svc = Services::new(app_pool(&pool).await, clock(), settings);
    tenant(&svc, "demo", 1).await;
    account(&svc, "demo", "admin", "admin").await;
    account(&svc, "demo", "user", "user").await;
    let app = server::http::router(svc.clone(), None);
    (svc, app)
}

async fn login_as(app: &Router, user: &str) -> Reply {
    send(app, "POST", "/api/login", &login_body(user, PASSWORD), None).await
}

fn login_body(user: &str, password: &str) -> String {
    json!({ "tenant": "demo", "username": user, "password": password }).to_string()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn login_contract(pool: PgPool) {
    let (_, app) = setup(pool, Settings::default()).await;

    let ok = login_as(&app, "admin").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json["username"], "admin");
    assert_eq!(ok.json["role"], "administrator");
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("rollcall_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP locally: {set}");
    assert!(!ok.json.to_string().contains(PASSWORD));

    let wrong = send(
        &app,
        "POST",
        "/api/login",
        &login_body("admin", "Bad-pass1!"),
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json["code"], "invalid_credentials");
    assert!(wrong.json["message"]
        .as_str()
        .unwrap()
        .contains("not correct"));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());

    let full = login_as(&app, "user").await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert_eq!(full.json["code"], "seats_exhausted");
    assert_eq!(
        full.json["message"],
        "The only seat for Tenant demo is in use. Try again when someone signs out, or ask your administrator for more seats."
    );

    let malformed = send(&app, "POST", "/api/login", "{not json", None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json["code"], "bad_request");

    assert!(malformed.json.get("field").is_none(), "{}", malformed.json);

    let missing = send(&app, "POST", "/api/login", r#"{"tenant":"demo"}"#, None).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json["code"], "bad_request");
    assert_eq!(missing.json["field"], "username", "{}", missing.json);

    let wrong_type = send(
        &app,
        "POST",
        "/api/login",
        r#"{"tenant":"demo","username":["admin"],"password":"x"}"#,
        None,
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.json["field"], "username", "{}", wrong_type.json);
    assert!(
        wrong_type.json["message"]
            .as_str()
            .unwrap()
            .contains("expected a string"),
        "{}",
        wrong_type.json
    );

    let empty = send(&app, "POST", "/api/login", &login_body("", "x"), None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.json["code"], "validation");
    assert_eq!(empty.json["field"], "username");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn logout_and_heartbeat_use_the_cookie(pool: PgPool) {
    let (_, app) = setup(pool, Settings::default()).await;
    let ok = login_as(&app, "admin").await;
    let cookie = cookie_of(&ok);

    let beat = send(&app, "POST", "/api/heartbeat", "{}", Some(&cookie)).await;
    assert_eq!(beat.status, StatusCode::OK);
    assert_eq!(beat.json["lease_seconds"], 900);

    let me = send(&app, "POST", "/api/session", "{}", Some(&cookie)).await;
    assert_eq!(me.json["username"], "admin");

    let out = send(&app, "POST", "/api/logout", "{}", Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));

    let beat = send(&app, "POST", "/api/heartbeat", "{}", Some(&cookie)).await;
    assert_eq!(beat.status, StatusCode::UNAUTHORIZED);
    assert_eq!(beat.json["code"], "unauthenticated");
    let me = send(&app, "POST", "/api/session", "{}", Some(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json, Value::Null);

    // The freed seat goes to the next person.
    let next = login_as(&app, "user").await;
    assert_eq!(next.status, StatusCode::OK);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn admin_endpoints_check_the_role_on_the_server(pool: PgPool) {
    let (svc, app) = setup(pool, Settings::default()).await;
    svc.set_seats(&operator(), "demo", 5, None).await.unwrap();
    let user = cookie_of(&login_as(&app, "user").await);
    let admin = cookie_of(&login_as(&app, "admin").await);

    let admin_only = [
        ("/api/accounts/list", json!({ "query": {} }).to_string()),
        ("/api/license", "{}".to_owned()),
        (
            "/api/accounts/create",
            json!({ "account": account_request("sneaky", "admin") }).to_string(),
        ),
        (
            "/api/accounts/delete",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string(),
        ),
        (
            "/api/accounts/get",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string(),
        ),
        ("/api/audit/list", json!({ "query": {} }).to_string()),
        ("/api/audit/export", json!({ "query": {} }).to_string()),
        (
            "/api/accounts/update",
            json!({ "account": { "id": "00000000-0000-0000-0000-000000000000", "version": 1,
                "first_name": "A", "last_name": "B", "email": "a@b.co",
                "role": "administrator", "status": "active" } })
            .to_string(),
        ),
        ("/api/accounts/export", json!({ "query": {} }).to_string()),
        (
            "/api/accounts/reset-password",
            json!({ "reset": { "id": "00000000-0000-0000-0000-000000000000",
                "password": "x", "password_confirm": "x" } })
            .to_string(),
        ),
        (
            "/api/accounts/clear-throttle",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string(),
        ),
        ("/api/accounts/form-options", "{}".to_owned()),
        ("/api/settings/get", "{}".to_owned()),
        (
            "/api/settings/update",
            json!({ "settings": { "directory_signin_enabled": true, "password_policy": {}, "version": 1 } })
                .to_string(),
        ),
        ("/api/clients/list", "{}".to_owned()),
        (
            "/api/clients/save",
            json!({ "client": { "name": "Sneaky" } }).to_string(),
        ),
        (
            "/api/clients/archive",
            json!({ "id": "00000000-0000-0000-0000-000000000000", "archived": true }).to_string(),
        ),
        (
            "/api/accounts/invitation/resend",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string(),
        ),
        (
            "/api/accounts/invitation/revoke",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string(),
        ),        (
            "/api/accounts/duplicate",
            json!({ "request": { "source": "00000000-0000-0000-0000-000000000000",
                "account": account_request("copy", "user"), "parts": [] } })
            .to_string(),
        ),
        ("/api/groups/list", "{}".to_owned()),
        ("/api/groups/save", json!({ "group": { "name": "Sneaky" } }).to_string()),
        ("/api/groups/members", json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string()),
        ("/api/groups/delete", json!({ "id": "00000000-0000-0000-0000-000000000000", "confirm": true }).to_string()),
        ("/api/forms/list", "{}".to_owned()),
        ("/api/forms/save", json!({ "form": { "name": "Sneaky" } }).to_string()),
        ("/api/forms/retire", json!({ "id": "00000000-0000-0000-0000-000000000000", "retired": true }).to_string()),
        (
            "/api/forms/columns/save",
            json!({ "column": { "form": "00000000-0000-0000-0000-000000000000", "name": "Sneaky" } }).to_string(),
        ),
        ("/api/forms/columns/retire", json!({ "id": "00000000-0000-0000-0000-000000000000", "retired": true }).to_string()),
        ("/api/permissions/get", json!({ "level": { "level": "tenant" } }).to_string()),
        (
            "/api/permissions/set",
            json!({ "change": { "level": { "level": "tenant" }, "cells": [] } }).to_string(),
        ),
        (
            "/api/access/check",
            json!({ "username": "user", "form": "Timesheet", "column": "Hours" }).to_string(),
        ),
        ("/api/access/matrix", json!({ "username": "user" }).to_string()),
        ("/api/tokens/list", "{}".to_owned()),
        ("/api/tokens/create", json!({ "name": "Sneaky" }).to_string()),
        ("/api/tokens/revoke", json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string()),
        ("/api/directory/get", "{}".to_owned()),
        ("/api/directory/save", json!({ "directory": { "url": "ldaps://evil.example" } }).to_string()),
        ("/api/directory/test", json!({ "directory": { "url": "ldaps://evil.example" } }).to_string()),
        ("/api/directory/lookup", json!({ "username": "alice" }).to_string()),
        (
            "/api/accounts/refresh-directory",
            json!({ "id": "00000000-0000-0000-0000-000000000000" }).to_string(),
        ),
    ];
    for (path, body) in &admin_only {
        let anon = send(&app, "POST", path, body, None).await;
        assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{path}");
        let as_user = send(&app, "POST", path, body, Some(&user)).await;
        assert_eq!(as_user.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(as_user.json["code"], "forbidden");
    }

    let listed = send(
        &app,
        "POST",
        "/api/accounts/list",
        &admin_only[0].1,
        Some(&admin),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json["total"], 2);
    let created = send(
        &app,
        "POST",
        "/api/accounts/create",
        &admin_only[2].1,
        Some(&admin),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.json);
    let dup = send(
        &app,
        "POST",
        "/api/accounts/create",
        &admin_only[2].1,
        Some(&admin),
    )
    .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.json["field"], "username");
    let gone = send(
        &app,
        "POST",
        "/api/accounts/delete",
        &admin_only[3].1,
        Some(&admin),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let license = send(&app, "POST", "/api/license", "{}", Some(&admin)).await;
    assert_eq!(license.json["seats_owned"], 5);
    assert_eq!(license.json["seats_in_use"], 2);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn unknown_paths_and_methods(pool: PgPool) {
    let (_, app) = setup(pool, Settings::default()).await;
    let nope = send(&app, "POST", "/api/nope", "{}", None).await;
    assert_eq!(nope.status, StatusCode::NOT_FOUND);
    assert_eq!(nope.json["code"], "not_found");
    let get = send(&app, "GET", "/api/login", "", None).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers[header::ALLOW], "POST");
    let health = send(&app, "GET", "/api/health", "", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json["status"], "ok");
    assert_eq!(health.headers[header::CACHE_CONTROL], "no-store");
    assert!(health.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn https_deployments_get_host_prefixed_secure_cookies(pool: PgPool) {
    let settings = Settings {
        secure_cookies: true,
        ..Settings::default()
    };
    let (_, app) = setup(pool, settings).await;
    let ok = login_as(&app, "admin").await;
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("__Host-rollcall_session="), "{set}");
    assert!(set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"));
    let cookie = cookie_of(&ok);
    let me = send(&app, "POST", "/api/session", "{}", Some(&cookie)).await;
    assert_eq!(me.json["username"], "admin");
    assert!(ok.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

/// Every `#[server]` function the `app` crate declares, read from its
/// source (`endpoint = "…"` under `app/src/api/`), as `/api/…` paths.
fn server_fns_in_source() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/src/api");
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("#[server(endpoint = \"") {
                paths.push(format!("/api/{}", &rest[..rest.find('"').unwrap()]));
            }
        }
    }
    paths.sort();
    paths
}

/// Issue #26: the router's explicit list names every server function, so
/// none answers only because `inventory` happened to register it.
#[test]
fn every_server_function_is_registered_explicitly() {
    let registered: Vec<String> = server::http::registered_endpoints()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let in_source = server_fns_in_source();
    assert!(in_source.len() >= 50, "{in_source:?}");
    assert_eq!(
        registered, in_source,
        "add the function to ENDPOINTS in server/src/http/router.rs"
    );
    assert_eq!(registered, server::http::declared_server_fns());
}

#[test]
fn every_endpoint_is_documented() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    let endpoints = server::http::registered_endpoints();
    assert!(endpoints.len() >= 8);
    for (path, method) in endpoints {
        let heading = format!("`{method} {path}`");
        assert!(docs.contains(&heading), "docs/api.md lacks {heading}");
    }
    assert!(docs.contains("`GET /api/health`"));
}

/// CSRF defence in depth (issue #14): with the session cookie, another
/// site's Origin (or Sec-Fetch-Site: cross-site) is refused; the app's own
/// origin and header-less clients pass.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn requests_from_another_site_with_the_session_cookie_are_refused(pool: PgPool) {
    let (svc, app) = setup(pool.clone(), Settings::default()).await;
    let cookie = cookie_of(&login_as(&app, "admin").await);
    let call = |headers: Vec<(&'static str, String)>| {
        let app = app.clone();
        let cookie = cookie.clone();
        async move {
            let mut req = Request::builder()
                .method("POST")
                .uri("/api/clients/save")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, cookie);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let body = json!({ "client": { "name": "Forged" } }).to_string();
            let (status, _, bytes) = exchange(&app, req.body(Body::from(body)).unwrap()).await;
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    for forged in [
        vec![("origin", "https://evil.example".to_owned())],
        vec![("origin", "null".to_owned())],
        vec![("sec-fetch-site", "cross-site".to_owned())],
    ] {
        let (status, body) = call(forged.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{forged:?}");
        assert_eq!(body["code"], "cross_origin");
    }
    let clients = count_rows(&pool, "SELECT count(*) FROM clients").await;
    assert_eq!(clients, 0, "nothing forged was written");

    let own = svc.settings.public_url.clone();
    let (status, _) = call(vec![
        ("origin", own),
        ("sec-fetch-site", "same-origin".to_owned()),
    ])
    .await;
    assert_eq!(status, StatusCode::OK);
    // A script sends neither header.
    let reply = send(&app, "POST", "/api/heartbeat", "{}", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::OK);
    // Every forged request with the cookie is in the audit trail, naming
    // the endpoint it tried.
    let tenant_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE slug = 'demo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit_count(&pool, tenant_id, "access.denied").await, 3);
}

/// Login CSRF (#25): without any cookie, another site's page must not sign
/// its visitor in (to an account the other site controls), and a body not
/// declared as JSON is never read.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn another_site_cannot_sign_a_visitor_in(pool: PgPool) {
    let (_, app) = setup(pool.clone(), Settings::default()).await;
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let app = app.clone();
        async move {
            let mut req = Request::builder().method("POST").uri("/api/login");
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let req = req.body(Body::from(login_body("user", PASSWORD))).unwrap();
            let (status, headers, bytes) = exchange(&app, req).await;
            let cookie = headers.get(header::SET_COOKIE).cloned();
            let json = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
            (status, cookie, json)
        }
    };
    for (headers, status, code) in [
        // The reported form post: text/plain carrying JSON, from elsewhere.
        (
            vec![
                ("origin", "http://evil.example"),
                ("content-type", "text/plain"),
            ],
            StatusCode::FORBIDDEN,
            "cross_origin",
        ),
        (
            vec![
                ("origin", "http://evil.example"),
                ("content-type", "application/json"),
            ],
            StatusCode::FORBIDDEN,
            "cross_origin",
        ),
        (
            vec![
                ("sec-fetch-site", "cross-site"),
                ("content-type", "application/json"),
            ],
            StatusCode::FORBIDDEN,
            "cross_origin",
        ),
        // Same site, but not declared JSON: a form could have sent it.
        (
            vec![("content-type", "text/plain")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            vec![("content-type", "application/x-www-form-urlencoded")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            vec![],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ] {
        let (got, cookie, json) = post(headers.clone()).await;
        assert_eq!(got, status, "{headers:?}: {json}");
        assert_eq!(json["code"], code, "{headers:?}");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(cookie.is_none(), "{headers:?} set a cookie");
    }
    assert_eq!(count_rows(&pool, "SELECT count(*) FROM sessions").await, 0);
    // The app's own page, and a script, still sign in.
    let (got, cookie, _) = post(vec![
        ("origin", "http://127.0.0.1:3000"),
        ("content-type", "application/json; charset=utf-8"),
    ])
    .await;
    assert_eq!(got, StatusCode::OK);
    assert!(cookie.is_some());
}

/// Bodies above the limit (256 KiB) are refused before any work (issue
/// #14: "request bodies above a sane size answer 413").
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_oversized_body_answers_413(pool: PgPool) {
    let (_, app) = setup(pool, Settings::default()).await;
    let cookie = cookie_of(&login_as(&app, "admin").await);
    let name = "x".repeat(300 * 1024);
    let body = json!({ "client": { "name": name } }).to_string();
    let reply = send(&app, "POST", "/api/clients/save", &body, Some(&cookie)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.json
    );
    assert_eq!(reply.json["code"], "payload_too_large");
    // Just under the limit is read (and refused for what it says).
    let name = "x".repeat(200 * 1024);
    let body = json!({ "client": { "name": name } }).to_string();
    let reply = send(&app, "POST", "/api/clients/save", &body, Some(&cookie)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.json
    );
}

/// Throttling (issue #14): the sixth failed sign-in in a row from one
/// address answers 429 with `Retry-After`, whatever the password.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn throttled_sign_ins_answer_429_with_retry_after(pool: PgPool) {
    let (_, app) = setup(pool, Settings::default()).await;
    let from_peer = |password: &str| {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(login_body("user", password)))
            .unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(
            "203.0.113.77:50000"
                .parse::<std::net::SocketAddr>()
                .unwrap(),
        ));
        app.clone().oneshot(req)
    };
    for _ in 0..5 {
        assert_eq!(
            from_peer("wrong").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = from_peer(PASSWORD).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["code"], "too_many_attempts");
    assert_eq!(json["retry_after"], 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn directory_work_without_a_directory_is_a_conflict_not_an_outage(pool: PgPool) {
    let (_, app) = setup(pool, Settings::default()).await;
    let cookie = cookie_of(&login_as(&app, "admin").await);
    let reply = send(
        &app,
        "POST",
        "/api/directory/lookup",
        r#"{"username":"jdoe"}"#,
        Some(&cookie),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.json);
    assert_eq!(reply.json["code"], "directory_off");
    assert!(reply.json["message"]
        .as_str()
        .unwrap()
        .contains("Settings → Directory"));
}

/// GET `path` with `Accept-Encoding: encoding` (none when empty): status,
/// headers and the body as sent.
async fn get_file(
    app: &Router,
    path: &str,
    encoding: &str,
) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method("GET").uri(path);
    if !encoding.is_empty() {
        req = req.header(header::ACCEPT_ENCODING, encoding);
    }
    exchange(app, req.body(Body::empty()).unwrap()).await
}

#[sqlx::test(migrations = "../migrations")]
async fn site_files_are_sent_precompressed_and_hashed_names_are_immutable(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("rollcall-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg/0123456789abcdef0123")).unwrap();
    let module = "/pkg/0123456789abcdef0123/rollcall.wasm";
    for (file, bytes) in [
        ("index.html", &b"<!doctype html>shell"[..]),
        ("index.html.br", b"shell as brotli"),
        ("index.html.gz", b"shell as gzip"),
        (&module[1..], b"\0asm module"),
        (&format!("{}.br", &module[1..]), b"module as brotli"),
        (&format!("{}.gz", &module[1..]), b"module as gzip"),
    ] {
        std::fs::write(site.join(file), bytes).unwrap();
    }
    let svc = Services::new(app_pool(&pool).await, clock(), Settings::default());
    let app = server::http::router(svc, Some(site.clone()));

    for (encoding, body, sent_as) in [
        ("br, gzip", &b"module as brotli"[..], Some("br")),
        ("gzip", b"module as gzip", Some("gzip")),
        ("", b"\0asm module", None),
    ] {
        let (status, headers, got) = get_file(&app, module, encoding).await;
        assert_eq!(status, StatusCode::OK, "{encoding}");
        assert_eq!(got, body, "{encoding}");
        assert_eq!(
            headers
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            sent_as
        );
        assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }

    // Revalidated, it stays immutable: a 304's headers replace the stored ones.
    let (_, headers, _) = get_file(&app, module, "br").await;
    let revalidate = Request::builder()
        .uri(module)
        .header(header::ACCEPT_ENCODING, "br")
        .header(
            header::IF_MODIFIED_SINCE,
            headers[header::LAST_MODIFIED].clone(),
        )
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(revalidate).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );

    // Any other path is the app's shell, revalidated on every use.
    let (status, headers, got) = get_file(&app, "/accounts/new", "br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, b"shell as brotli");
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::VARY], "accept-encoding");

    // A module of a build this server does not have is a 404, not the shell
    // under an immutable address.
    let (status, headers, _) =
        get_file(&app, "/pkg/fedcba9876543210fedc/rollcall.wasm", "br").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    std::fs::remove_dir_all(&site).unwrap();
}

/// Behind CloudFront (#25): with `ROLLCALL_ORIGIN_SECRET` set, a request
/// that reaches the API without the header CloudFront adds, or with another
/// value, is refused before anything runs; the header's value is never
/// echoed.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn only_requests_through_the_front_reach_the_api(pool: PgPool) {
    let secret = "a-value-only-the-distribution-and-the-function-know";
    let settings = Settings {
        origin_secret: Some(server::config::OriginSecret::parse(secret).unwrap()),
        ..Settings::default()
    };
    let (_, app) = setup(pool.clone(), settings).await;
    let call = |path: &'static str, body: String, origin: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = Request::builder()
                .method(if path == "/api/health" { "GET" } else { "POST" })
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(o) = origin {
                req = req.header(server::config::ORIGIN_HEADER, o);
            }
            let (status, _, bytes) = exchange(&app, req.body(Body::from(body)).unwrap()).await;
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    for origin in [
        None,
        Some("wrong"),
        Some("a-value-only-the-distribution-and-the-function-kno"),
    ] {
        let (status, body) = call("/api/health", String::new(), origin).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}");
        assert!(!body.contains(secret));
        let (status, _) = call("/api/login", login_body("user", PASSWORD), origin).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}");
    }
    assert_eq!(count_rows(&pool, "SELECT count(*) FROM sessions").await, 0);
    let (status, _) = call("/api/health", String::new(), Some(secret)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call("/api/login", login_body("user", PASSWORD), Some(secret)).await;
    assert_eq!(status, StatusCode::OK);
}
