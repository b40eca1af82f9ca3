//! Every endpoint probed across tenants (#14): an administrator of tenant A
//! calls each registered route with the ids of tenant B's rows and gets 404
//! or 403; endpoints that take no ids act on A only. Nothing of B changes.
//! The routes come from the router, so a new endpoint without a probe here
//! fails this test.

use super::http::{send, session_cookie};
use super::support::*;
use app::model::NewPassword;
use axum::http::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// What one probe expects.
enum Probe {
    /// Names B's rows: must answer 404 or 403.
    Foreign(Value),
    /// Takes no ids (or A's own): may answer anything but a server fault.
    Own(Value),
}

struct TenantB {
    account: Uuid,
    invited: Uuid,
    group: Uuid,
    form: Uuid,
    column: Uuid,
    client: Uuid,
    token: Uuid,
    batch: Uuid,
}

fn probes(b: &TenantB) -> Vec<(&'static str, Probe)> {
    use Probe::{Foreign, Own};
    let account = json!({ "username": "probe-new", "first_name": "Pro", "last_name": "Be",
        "email": "probe@example.org", "role": "user", "password": PASSWORD, "password_confirm": PASSWORD });
    let mut with_clients = account.clone();
    with_clients["clients"] = json!([b.client]);
    // A copy's owner is invited: it takes no password.
    with_clients["password"] = json!("");
    with_clients["password_confirm"] = json!("");
    let csv = "username,first_name,last_name,email\nprobed,Pro,Bed,probed@example.org\n";
    vec![
        (
            "/api/accounts/clear-throttle",
            Foreign(json!({ "id": b.account })),
        ),
        ("/api/accounts/create", Own(json!({ "account": account }))),
        ("/api/accounts/delete", Foreign(json!({ "id": b.account }))),
        (
            "/api/accounts/duplicate",
            Foreign(
                json!({ "request": { "source": b.account, "account": with_clients, "parts": ["role"] } }),
            ),
        ),
        ("/api/accounts/export", Own(json!({ "query": {} }))),
        ("/api/accounts/form-options", Own(json!({}))),
        ("/api/accounts/get", Foreign(json!({ "id": b.account }))),
        (
            "/api/accounts/import/commit",
            Foreign(json!({ "batch": b.batch })),
        ),
        ("/api/accounts/import/preview", Own(json!({ "csv": csv }))),
        (
            "/api/accounts/import/stage",
            Foreign(json!({ "chunk": { "batch": b.batch, "lines": [2], "csv": csv } })),
        ),
        (
            "/api/accounts/invitation/resend",
            Foreign(json!({ "id": b.invited })),
        ),
        (
            "/api/accounts/invitation/revoke",
            Foreign(json!({ "id": b.invited })),
        ),
        ("/api/accounts/list", Own(json!({ "query": {} }))),
        (
            "/api/accounts/refresh-directory",
            Foreign(json!({ "id": b.account })),
        ),
        (
            "/api/accounts/reset-password",
            Foreign(
                json!({ "reset": { "id": b.account, "password": "Probe-pass 1!", "password_confirm": "Probe-pass 1!" } }),
            ),
        ),
        (
            "/api/accounts/update",
            Foreign(
                json!({ "account": { "id": b.account, "version": 1, "first_name": "Pw", "last_name": "Ned",
                "email": "pwned@example.org", "role": "administrator", "status": "active" } }),
            ),
        ),
        (
            "/api/access/check",
            Foreign(json!({ "username": "bert", "form": "Timesheet", "column": "Hours" })),
        ),
        ("/api/access/matrix", Foreign(json!({ "username": "bert" }))),
        ("/api/audit/export", Own(json!({ "query": {} }))),
        ("/api/audit/list", Own(json!({ "query": {} }))),
        (
            "/api/clients/archive",
            Foreign(json!({ "id": b.client, "archived": true })),
        ),
        ("/api/clients/list", Own(json!({}))),
        (
            "/api/clients/save",
            Foreign(json!({ "client": { "id": b.client, "version": 1, "name": "Pwned" } })),
        ),
        ("/api/directory/get", Own(json!({}))),
        ("/api/directory/lookup", Own(json!({ "username": "bert" }))),
        (
            "/api/directory/save",
            Own(json!({ "directory": { "enabled": false, "url": "ldaps://127.0.0.1:1" } })),
        ),
        (
            "/api/directory/test",
            Own(json!({ "directory": { "enabled": false, "url": "ldaps://127.0.0.1:1" } })),
        ),
        (
            "/api/forms/columns/retire",
            Foreign(json!({ "id": b.column, "retired": true })),
        ),
        (
            "/api/forms/columns/save",
            Foreign(json!({ "column": { "form": b.form, "name": "Pwned" } })),
        ),
        ("/api/forms/list", Own(json!({}))),
        (
            "/api/forms/retire",
            Foreign(json!({ "id": b.form, "retired": true })),
        ),
        (
            "/api/forms/save",
            Foreign(json!({ "form": { "id": b.form, "version": 1, "name": "Pwned" } })),
        ),
        (
            "/api/groups/delete",
            Foreign(json!({ "id": b.group, "confirm": true })),
        ),
        ("/api/groups/list", Own(json!({}))),
        ("/api/groups/members", Foreign(json!({ "id": b.group }))),
        (
            "/api/groups/save",
            Foreign(json!({ "group": { "id": b.group, "version": 1, "name": "Pwned" } })),
        ),
        ("/api/heartbeat", Own(json!({}))),
        ("/api/license", Own(json!({}))),
        ("/api/license/usage", Own(json!({ "period": "12m" }))),
        (
            "/api/license/sign-out",
            Foreign(json!({ "account_id": b.account })),
        ),
        (
            "/api/login",
            Own(json!({ "tenant": "alpha", "username": "alpha-admin", "password": PASSWORD })),
        ),
        ("/api/logout", Own(json!({}))),
        ("/api/logout-everywhere", Own(json!({}))),
        (
            "/api/password/change",
            Own(
                json!({ "change": { "current_password": "wrong", "password": "Probe-pass 1!", "password_confirm": "Probe-pass 1!" } }),
            ),
        ),
        (
            "/api/password/forgot",
            Own(json!({ "tenant": "alpha", "username": "alpha-admin" })),
        ),
        (
            "/api/password/link",
            Own(json!({ "token": "x".repeat(43) })),
        ),
        ("/api/password/policy", Own(json!({}))),
        (
            "/api/password/set",
            Own(
                json!({ "request": { "token": "x".repeat(43), "password": "Probe-pass 1!", "password_confirm": "Probe-pass 1!" } }),
            ),
        ),
        (
            "/api/permissions/get",
            Foreign(json!({ "level": { "level": "group", "id": b.group } })),
        ),
        (
            "/api/permissions/set",
            Foreign(
                json!({ "change": { "level": { "level": "account", "id": b.account },
                "cells": [{ "column": b.column, "setting": "allow" }] } }),
            ),
        ),
        ("/api/session", Own(json!({}))),
        ("/api/settings/get", Own(json!({}))),
        ("/api/settings/update", Own(json!({ "settings": {} }))),
        ("/api/tokens/create", Own(json!({ "name": "Probe" }))),
        ("/api/tokens/list", Own(json!({}))),
        ("/api/tokens/revoke", Foreign(json!({ "id": b.token }))),
    ]
}

/// A digest of every row of `tenant` in every table that has a tenant
/// (and of its `tenants` row), read as the superuser.
async fn snapshot(pool: &PgPool, tenant: Uuid) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables.into_iter().chain(["tenants".to_owned()]) {
        let column = if table == "tenants" {
            "id"
        } else {
            "tenant_id"
        };
        let digest: String = sqlx::query_scalar(&format!(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t WHERE {column} = $1"
        ))
        .bind(tenant)
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((table, digest));
    }
    out
}

async fn id(pool: &PgPool, sql: &str, tenant: Uuid) -> Uuid {
    sqlx::query_scalar(sql)
        .bind(tenant)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn every_endpoint_refuses_another_tenants_ids_and_changes_nothing_there(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "alpha", 50).await;
    let beta = tenant(&svc, "beta", 50).await;
    account(&svc, "alpha", "alpha-admin", "admin").await;
    account(&svc, "beta", "beta-admin", "admin").await;
    let bert = account(&svc, "beta", "bert", "user").await;
    let admin_b = admin_of(&svc, "beta", "beta-admin").await;
    let mut invite = account_request("ivan", "user");
    invite.new_password = NewPassword::default();
    invite.invite = true;
    let invited = svc
        .create_account(&admin_b, &invite)
        .await
        .unwrap()
        .id
        .as_uuid();
    let token = svc
        .create_api_token(&admin_b, "B's token")
        .await
        .unwrap()
        .token
        .id;
    let batch = svc
        .stage_import(
            &admin_b,
            &app::model::import::ImportChunk {
                batch: None,
                lines: vec![2],
                first_line: None,
                csv: "username,first_name,last_name,email\nstaged,St,Aged,staged@example.org\n"
                    .into(),
            },
        )
        .await
        .unwrap()
        .batch;
    let b = TenantB {
        account: bert,
        invited,
        group: id(&pool, "SELECT id FROM groups WHERE tenant_id = $1 LIMIT 1", beta).await,
        form: id(&pool, "SELECT id FROM forms WHERE tenant_id = $1 LIMIT 1", beta).await,
        column: id(&pool, "SELECT id FROM form_columns WHERE tenant_id = $1 LIMIT 1", beta).await,
        client: id(
            &pool,
            "INSERT INTO clients (tenant_id, name, name_key, created_at) VALUES ($1, 'Beta Ltd', 'beta ltd', now()) RETURNING id",
            beta,
        )
        .await,
        token,
        batch,
    };
    let before = snapshot(&pool, beta).await;
    let b_rows: Vec<String> = [
        b.account, b.invited, b.group, b.form, b.column, b.client, b.token, b.batch,
    ]
    .iter()
    .map(Uuid::to_string)
    .chain([
        "beta-admin".to_owned(),
        "Beta Ltd".to_owned(),
        "ivan@".to_owned(),
    ])
    .collect();

    let app = server::http::router(svc.clone(), None);
    let probes = probes(&b);
    let registered: Vec<String> = server::http::registered_endpoints()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    for path in &registered {
        assert!(
            probes.iter().any(|(p, _)| p == path),
            "{path} has no cross-tenant probe: add one to tests/it/probe.rs"
        );
    }
    for (path, probe) in &probes {
        assert!(
            registered.iter().any(|r| r == path),
            "{path} is not an endpoint"
        );
        // A fresh session each time: some probes end their own.
        let cookie = session_cookie(&app, "alpha", "alpha-admin").await;
        let (body, foreign) = match probe {
            Probe::Foreign(body) => (body, true),
            Probe::Own(body) => (body, false),
        };
        let reply = send(&app, "POST", path, &body.to_string(), Some(&cookie)).await;
        if foreign {
            assert!(
                reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::FORBIDDEN,
                "{path} with tenant B's ids answered {}: {}",
                reply.status,
                reply.json
            );
        } else {
            assert!(
                !reply.status.is_server_error(),
                "{path} answered {}: {}",
                reply.status,
                reply.json
            );
            // And it shows nothing of B (lists, exports, catalogues), but
            // for the ids A's own refused probes sent, which the audit
            // trail quotes back to A (`access.denied`, #25).
            let shown = without_refusals(&reply.json).to_string();
            for b_row in &b_rows {
                assert!(
                    !shown.contains(b_row.as_str()),
                    "{path} showed tenant B's {b_row}: {shown}"
                );
            }
        }
        send(&app, "POST", "/api/logout", "{}", Some(&cookie)).await;
    }
    assert_eq!(snapshot(&pool, beta).await, before, "tenant B changed");

    // The control: B's own administrator sends the same bodies and is
    // answered 2xx, so each refusal above was about the tenant, not a
    // malformed probe. Destructive calls go last, each after every call
    // that needs what it removes.
    let mut controls: Vec<_> = probes
        .iter()
        .filter_map(|(path, probe)| match probe {
            Probe::Foreign(body) => Some((*path, body)),
            Probe::Own(_) => None,
        })
        .collect();
    controls.sort_by_key(|(path, _)| CONTROL_LAST.iter().position(|p| p == path));
    for (path, body) in controls {
        let cookie = session_cookie(&app, "beta", "beta-admin").await;
        // An edit sends the version of the record as it is now (#25):
        // earlier controls may have changed it.
        let body = at_current_version(&pool, body).await;
        let reply = send(&app, "POST", path, &body.to_string(), Some(&cookie)).await;
        match CONTROL_REFUSED.iter().find(|(p, _)| *p == path) {
            Some((_, code)) => assert_eq!(
                reply.json["code"], *code,
                "{path} as B's own administrator: {}",
                reply.json
            ),
            None => assert!(
                reply.status.is_success(),
                "{path} as B's own administrator answered {}: {}",
                reply.status,
                reply.json
            ),
        }
        send(&app, "POST", "/api/logout", "{}", Some(&cookie)).await;
    }
}

/// Control calls that remove or close what others use, in the order they
/// run after all the rest.
const CONTROL_LAST: &[&str] = &[
    "/api/accounts/import/commit",
    "/api/accounts/invitation/revoke",
    "/api/tokens/revoke",
    "/api/forms/columns/retire",
    "/api/forms/retire",
    "/api/groups/delete",
    "/api/accounts/delete",
];

/// Control calls refused for B's own administrator too, for a reason that is
/// not the tenant, with the code that says so.
const CONTROL_REFUSED: &[(&str, &str)] = &[
    // Bert is a local account: only directory accounts are refreshed.
    ("/api/accounts/refresh-directory", "forbidden"),
];

/// `answer` without the `access.denied` audit events in it (as JSON events of
/// `audit/list`, or as lines of the CSV text of `audit/export`).
fn without_refusals(answer: &serde_json::Value) -> serde_json::Value {
    match answer {
        serde_json::Value::String(csv) => serde_json::Value::from(
            csv.split("\r\n")
                .filter(|line| !line.contains(",access.denied,"))
                .collect::<Vec<_>>()
                .join("\r\n"),
        ),
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), without_refusals(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .filter(|e| e.get("action").and_then(|a| a.as_str()) != Some("access.denied"))
                .map(without_refusals)
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `body` with the `version` of the record it edits (`account`, `group`,
/// `form`, `column`, `client` with an `id`) as stored now.
async fn at_current_version(pool: &PgPool, body: &serde_json::Value) -> serde_json::Value {
    let mut body = body.clone();
    for (key, table) in [
        ("account", "accounts"),
        ("group", "groups"),
        ("form", "forms"),
        ("column", "form_columns"),
        ("client", "clients"),
    ] {
        let Some(record) = body.get_mut(key) else {
            continue;
        };
        let id = record.get("id").and_then(|v| v.as_str()).map(str::to_owned);
        if let (Some(id), true) = (id, record.get("version").is_some()) {
            let id: uuid::Uuid = id.parse().unwrap();
            record["version"] = serde_json::json!(version_of(pool, table, id).await);
        }
    }
    body
}
