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
