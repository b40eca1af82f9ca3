//! Every endpoint fed arbitrary JSON (#14): nested values, Unicode, huge
//! numbers and strings, missing and extra fields, under the names the API
//! uses and others. None may panic or answer a server fault, and a body that
//! cannot be read is answered with the path of the value at fault. Deterministic
//! (a fixed seed), so a failure reproduces.

use super::http::{send, session_cookie};
use super::support::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use sqlx::PgPool;

/// Bodies per endpoint.
const CASES: usize = 100;

/// Field names the API uses, and some it does not.
const NAMES: &[&str] = &[
    "id",
    "ids",
    "username",
    "password",
    "password_confirm",
    "current_password",
    "tenant",
    "query",
    "account",
    "settings",
    "change",
    "level",
    "cells",
    "column",
    "columns",
    "form",
    "name",
    "csv",
    "chunk",
    "batch",
    "lines",
    "token",
    "request",
    "reset",
    "group",
    "client",
    "directory",
    "email",
    "first_name",
    "last_name",
    "role",
    "status",
    "page",
    "page_size",
    "sort",
    "search",
    "archived",
    "retired",
    "confirm",
    "source",
    "parts",
    "setting",
    "url",
    "invite",
    "expires_on",
    "clients",
    "groups",
    "policy",
    "from",
    "to",
    "action",
    "actor",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        "\\PC{0,40}".prop_map(Value::from),
        Just(Value::from("x".repeat(70_000))),
        Just(Value::from("00000000-0000-0000-0000-000000000000")),
        Just(Value::from("\u{0}\u{202e}\u{1F600}e\u{301}")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![prop::sample::select(NAMES), Just("zz_extra")],
                    inner
                ),
                0..6
            )
            .prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn arbitrary_json_to_every_endpoint_never_faults(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "fuzz", 50).await;
    account(&svc, "fuzz", "fuzz-admin", "admin").await;
    let app = server::http::router(svc.clone(), None);
    let mut runner = TestRunner::deterministic();
    let strategy = value();
    let mut named = 0;
    for (path, _) in server::http::registered_endpoints() {
        let cookie = Some(session_cookie(&app, "fuzz", "fuzz-admin").await);
        for _ in 0..CASES {
            let body = strategy.new_tree(&mut runner).unwrap().current();
            let text = body.to_string();
            let reply = send(&app, "POST", &path, &text, cookie.as_deref()).await;
            let shown: String = text.chars().take(300).collect();
            // Any 5xx is a defect (the tenant has no directory: that is
            // `409 directory_off`, not an outage).
            assert!(
                !reply.status.is_server_error(),
                "{path} answered {} to {shown}: {}",
                reply.status,
                reply.json
            );
            if reply.status.is_client_error() {
                assert!(
                    reply.json["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                    "{path}: an error without a message for {shown}: {}",
                    reply.json
                );
            }
            // A body that is an object but cannot be read names the value
            // at fault by its JSON path.
            if reply.json["code"] == "bad_request" && body.is_object() {
                assert!(
                    reply.json["field"].as_str().is_some_and(|f| !f.is_empty()),
                    "{path}: a 400 without its field for {shown}: {}",
                    reply.json
                );
                named += 1;
            }
        }
    }
    // The generator does reach the readers' errors, not only the handlers.
    assert!(named > 500, "only {named} unreadable object bodies");
}

/// Text that has broken other products, put in every string of a body each
/// endpoint accepts (#25): a NUL, a right-to-left override, a lone
/// surrogate escape, and 100 KB. Random bodies rarely get past the readers;
/// these reach the handlers and the database. No answer may be a 5xx, and a
/// NUL is always a 400 naming the value's path.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn hostile_text_in_every_field_of_every_endpoint_never_faults(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "fuzz", 50).await;
    account(&svc, "fuzz", "fuzz-admin", "admin").await;
    let user = account(&svc, "fuzz", "fuzz-user", "user").await;
    let app = server::http::router(svc.clone(), None);
    let cookie = session_cookie(&app, "fuzz", "fuzz-admin").await;
    let client = send(
        &app,
        "POST",
        "/api/clients/save",
        &json!({"client": {"name": "Acme"}}).to_string(),
        Some(&cookie),
    )
    .await
    .json["id"]
        .clone();
    let id = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, uuid::Uuid>(sql)
                .bind(t)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let group = id("SELECT id FROM groups WHERE tenant_id = $1 LIMIT 1").await;
    let form = id("SELECT id FROM forms WHERE tenant_id = $1 LIMIT 1").await;
    let column = id("SELECT id FROM form_columns WHERE tenant_id = $1 LIMIT 1").await;
    let settings = send(&app, "POST", "/api/settings/get", "{}", Some(&cookie))
        .await
        .json;
    let person = serde_json::to_value(account_request("newbie", "user")).unwrap();
    let mut edit = person.clone();
    edit["id"] = json!(user);
    edit["version"] = json!(1);
    // Off, and at a port nothing answers: saved and tested without a DC.
    let directory = json!({"enabled": false, "url": "ldaps://127.0.0.1:1", "allow_plain": false,
                           "ca_pem": "", "domain": "RC", "upn_suffix": "rc.test",
                           "base_dn": "DC=rc,DC=test", "bind_name": "lookup@rc.test",
                           "bind_password": "LookupPass1", "version": 0});
    let query = json!({"search": "a", "role": "", "status": "", "account_type": "",
                       "client": null, "sort": "username", "descending": false,
                       "page": 1, "page_size": 25});
    let audit = json!({"actor": "a", "target": "b", "action": "", "from": "", "to": ""});
    let bodies: Vec<(&str, Value)> = vec![
        (
            "/api/login",
            json!({"tenant": "fuzz", "username": "fuzz-user", "password": PASSWORD}),
        ),
        ("/api/logout", json!({})),
        ("/api/logout-everywhere", json!({})),
        ("/api/heartbeat", json!({"active": true})),
        ("/api/session", json!({})),
        ("/api/accounts/list", json!({ "query": query })),
        ("/api/accounts/export", json!({ "query": query })),
        ("/api/accounts/create", json!({ "account": person })),
        ("/api/accounts/get", json!({"id": user})),
        ("/api/accounts/update", json!({ "account": edit })),
        ("/api/accounts/delete", json!({"id": user})),
        (
            "/api/accounts/reset-password",
            json!({"reset": {"id": user, "password": "Another pass 7!", "password_confirm": "Another pass 7!"}}),
        ),
        ("/api/accounts/clear-throttle", json!({"id": user})),
        ("/api/accounts/form-options", json!({})),
        (
            "/api/accounts/import/preview",
            json!({"csv": "username,first_name,last_name,email\nann,Ann,Lee,ann@example.org\n"}),
        ),
        (
            "/api/accounts/import/stage",
            json!({"chunk": {"batch": null, "lines": [2], "csv": "username,first_name,last_name,email\nann,Ann,Lee,ann@example.org\n"}}),
        ),
        (
            "/api/accounts/import/commit",
            json!({"batch": uuid::Uuid::nil()}),
        ),
        (
            "/api/accounts/duplicate",
            json!({"request": {"source": user, "account": person, "parts": []}}),
        ),
        ("/api/accounts/refresh-directory", json!({"id": user})),
        ("/api/accounts/invitation/resend", json!({"id": user})),
        ("/api/accounts/invitation/revoke", json!({"id": user})),
        ("/api/audit/list", json!({ "query": audit })),
        ("/api/audit/export", json!({ "query": audit })),
        ("/api/directory/get", json!({})),
        ("/api/directory/save", json!({ "directory": directory })),
        ("/api/directory/test", json!({ "directory": directory })),
        ("/api/directory/lookup", json!({"username": "alice"})),
        (
            "/api/password/forgot",
            json!({"tenant": "fuzz", "username": "fuzz-user"}),
        ),
        ("/api/password/link", json!({"token": "abc"})),
        (
            "/api/password/set",
            json!({"request": {"token": "abc", "password": "Another pass 7!", "password_confirm": "Another pass 7!"}}),
        ),
        ("/api/password/policy", json!({})),
        (
            "/api/password/change",
            json!({"change": {"current_password": PASSWORD, "password": "Another pass 7!", "password_confirm": "Another pass 7!"}}),
        ),
        ("/api/license", json!({})),
        ("/api/license/sign-out", json!({"account_id": user})),
        ("/api/license/usage", json!({"period": "24h"})),
        ("/api/groups/list", json!({})),
        (
            "/api/groups/save",
            json!({"group": {"id": group, "version": 1, "name": "Editors", "description": "Edits"}}),
        ),
        ("/api/groups/members", json!({"id": group})),
        ("/api/groups/delete", json!({"id": group, "confirm": false})),
        ("/api/forms/list", json!({})),
        (
            "/api/forms/save",
            json!({"form": {"id": form, "version": 1, "name": "Timesheet 2"}}),
        ),
        ("/api/forms/retire", json!({"id": form, "retired": false})),
        (
            "/api/forms/columns/save",
            json!({"column": {"form": form, "id": column, "version": 1, "name": "Hours 2"}}),
        ),
        (
            "/api/forms/columns/retire",
            json!({"id": column, "retired": false}),
        ),
        (
            "/api/permissions/get",
            json!({"level": {"level": "group", "id": group}}),
        ),
        (
            "/api/permissions/set",
            json!({"change": {"level": {"level": "group", "id": group}, "cells": [{"column": column, "setting": "allow"}]}}),
        ),
        (
            "/api/access/check",
            json!({"username": "fuzz-user", "form": "Timesheet", "column": "Hours"}),
        ),
        ("/api/access/matrix", json!({"username": "fuzz-user"})),
        ("/api/tokens/list", json!({})),
        ("/api/tokens/create", json!({"name": "Payroll"})),
        ("/api/tokens/revoke", json!({"id": uuid::Uuid::nil()})),
        ("/api/settings/get", json!({})),
        ("/api/settings/update", json!({ "settings": settings })),
        ("/api/clients/list", json!({})),
        (
            "/api/clients/save",
            json!({"client": {"id": client, "version": 1, "name": "Acme 2"}}),
        ),
        (
            "/api/clients/archive",
            json!({"id": client, "archived": false}),
        ),
    ];
    let covered: std::collections::BTreeSet<&str> = bodies.iter().map(|(p, _)| *p).collect();
    for (path, _) in server::http::registered_endpoints() {
        assert!(
            covered.contains(path.as_str()),
            "no valid body for {path}: add one"
        );
    }
    // Every string leaf, by its JSON path.
    fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::String(_) => out.push(path),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| leaves(x, format!("{path}[{i}]"), out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out)
            }),
            _ => {}
        }
    }
    fn replace(v: &mut Value, path: &str, with: &str) {
        let mut at = v;
        for part in path.split('.') {
            let (key, index) = match part.split_once('[') {
                Some((k, i)) => (k, Some(i.trim_end_matches(']').parse::<usize>().unwrap())),
                None => (part, None),
            };
            at = &mut at[key];
            if let Some(i) = index {
                at = &mut at[i];
            }
        }
        let old = at.as_str().unwrap_or("").to_owned();
        *at = Value::from(format!("{old}{with}"));
    }
    let big = "x".repeat(100_000);
    let hostile: [&str; 4] = ["\u{0}", "\u{202E}evil", "LONE-SURROGATE", &big];
    let mut nul_checked = 0;
    let mut fresh = 0;
    for (path, body) in &bodies {
        let mut fields = Vec::new();
        leaves(body, String::new(), &mut fields);
        let admin = session_cookie(&app, "fuzz", "fuzz-admin").await;
        for field in &fields {
            for text in hostile {
                // A password change may succeed (the new password is only
                // longer): each try is someone else's.
                let cookie = if *path == "/api/password/change" {
                    fresh += 1;
                    let name = format!("fuzz-{fresh}");
                    account(&svc, "fuzz", &name, "admin").await;
                    session_cookie(&app, "fuzz", &name).await
                } else {
                    admin.clone()
                };
                let mut changed = body.clone();
                replace(&mut changed, field, text);
                // JSON text cannot hold a lone surrogate: only its escape can.
                let sent = changed.to_string().replace("LONE-SURROGATE", "\\ud800");
                let reply = send(&app, "POST", path, &sent, Some(&cookie)).await;
                let shown: String = sent.chars().take(200).collect();
                assert!(
                    !reply.status.is_server_error(),
                    "{path} answered {} to {shown}: {}",
                    reply.status,
                    reply.json
                );
                if text == "\u{0}" {
                    assert_eq!(
                        reply.status,
                        http::StatusCode::BAD_REQUEST,
                        "{path} {field}"
                    );
                    assert_eq!(
                        reply.json["field"],
                        field.as_str(),
                        "{path}: {}",
                        reply.json
                    );
                    nul_checked += 1;
                }
            }
        }
    }
    assert!(nul_checked > 100, "only {nul_checked} fields were tried");
}
