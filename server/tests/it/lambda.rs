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
