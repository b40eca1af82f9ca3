//! Invitations and password-reset links: created with their mail in one
//! transaction, single use, expiring, revocable; "forgot password" answers
//! the same whatever happened. The clock is moved, never slept on.

use super::http::send;
use super::mail::{postman, Sink};
use super::support::*;
use app::model::invitations::{LinkKind, LinkState, LinkStatus, SetPasswordRequest};
use app::model::NewPassword;
use app::model::Secret;
use app::model::{AccountId, ErrorCode, ResetPasswordRequest, TenantSettings};
use http::StatusCode;
use serde_json::json;
use server::clock::Clock;
use server::domain::Services;
use server::mail::Delivery;
use sqlx::PgPool;
use std::sync::Arc;
use time::Duration;

const GOOD: &str = "Chosen pass 7!";

struct Queued {
    kind: String,
    to: String,
    subject: String,
    text: String,
    html: String,
}

async fn outbox(pool: &PgPool) -> Vec<Queued> {
    sqlx::query_as::<_, (String, String, String, String, String)>(
        "SELECT kind, to_address, subject, text_body, html_body FROM outbox ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(kind, to, subject, text, html)| Queued {
        kind,
        to,
        subject,
        text,
        html,
    })
    .collect()
}

/// The token of the link in a message (after `/invitation#` or `/reset-password#`).
fn token_in(text: &str) -> String {
    let at = text.find('#').expect("a link with a token");
    text[at + 1..at + 44].to_owned()
}

async fn latest_token(pool: &PgPool, kind: &str) -> String {
    let all = outbox(pool).await;
    let m = all
        .iter()
        .rev()
        .find(|m| m.kind == kind)
        .expect("a message");
    token_in(&m.text)
}

fn set(token: &str, password: &str) -> SetPasswordRequest {
    SetPasswordRequest {
        token: token.into(),
        new_password: NewPassword::new(password, password),
    }
}

fn invited(username: &str) -> app::model::CreateAccountRequest {
    let mut r = account_request(username, "user");
    r.new_password = NewPassword::default();
    r.invite = true;
    r
}

async fn setup(pool: &PgPool) -> (Services, Arc<server::clock::ManualClock>, uuid::Uuid) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "inv", 5).await;
    account(&svc, "inv", "boss", "admin").await;
    (svc, clock, t)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_invited_person_sets_a_password_once_then_signs_in(pool: PgPool) {
    let (svc, _clock, t) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    let created = svc.create_account(&admin, &invited("ivy")).await.unwrap();
    assert!(created.invited);
    assert_eq!(created.status_label(), "Invited");

    // One message, queued with the account: tenant, inviter, expiry, link.
    let mail = outbox(&pool).await;
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert_eq!(
        (m.kind.as_str(), m.to.as_str()),
        ("invitation", "ivy@example.org")
    );
    assert_eq!(m.subject, "Test boss invited you to Tenant inv on Rollcall");
    assert!(
        m.text.contains("http://127.0.0.1:3000/invitation#"),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("until 25 November 2026 at 09:00 UTC"),
        "72 hours: {}",
        m.text
    );
    assert!(m.html.contains("Tenant inv") && m.html.contains("<a href="));
    let token = token_in(&m.text);
    // Only its hash is stored.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM password_links WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(&token)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, 1);
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM password_links WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'",
    )
    .bind(&token)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(plain, 0);
    assert_eq!(audit_count(&pool, t, "invitation.sent").await, 1);

    // No password works before the invitation is accepted.
    let refused = api_err(
        svc.login(&meta(None), "inv", "ivy", &Secret::from(GOOD))
            .await,
    );
    assert_eq!(refused.code, ErrorCode::InvalidCredentials);

    let LinkStatus::Valid(info) = svc
        .link_status(&Secret::from(&token.as_str()))
        .await
        .unwrap()
    else {
        panic!("the link should work");
    };
    assert_eq!(info.kind, LinkKind::Invitation);
    assert_eq!(
        (info.tenant_slug.as_str(), info.username.as_str()),
        ("inv", "ivy")
    );

    // A weak password is refused with the rule, and changes nothing.
    let weak = api_err(
        svc.set_password_from_link(&meta(None), &set(&token, "short"))
            .await,
    );
    assert_eq!(weak.code, ErrorCode::Validation);
    assert_eq!(weak.field.as_deref(), Some("password"));
    assert!(matches!(
        svc.link_status(&Secret::from(&token.as_str()))
            .await
            .unwrap(),
        LinkStatus::Valid(_)
    ));
    let mismatch = api_err(
        svc.set_password_from_link(
            &meta(None),
            &SetPasswordRequest {
                new_password: NewPassword::new(GOOD, "Other pass 7!"),
                ..set(&token, GOOD)
            },
        )
        .await,
    );
    assert_eq!(mismatch.field.as_deref(), Some("password_confirm"));

    let done = svc
        .set_password_from_link(&meta(None), &set(&token, GOOD))
        .await
        .unwrap();
    assert_eq!(
        (done.tenant_slug.as_str(), done.username.as_str()),
        ("inv", "ivy")
    );
    assert_eq!(audit_count(&pool, t, "invitation.accepted").await, 1);
    // Setting the password takes no seat; signing in does.
    assert_eq!(open_sessions(&pool, t).await, 1, "only the administrator's");
    svc.login(&meta(None), "inv", "ivy", &Secret::from(GOOD))
        .await
        .unwrap();
    assert_eq!(open_sessions(&pool, t).await, 2);

    // The link is spent.
    let LinkStatus::Closed(closed) = svc
        .link_status(&Secret::from(&token.as_str()))
        .await
        .unwrap()
    else {
        panic!("a used link is closed");
    };
    assert_eq!(closed.state, LinkState::Accepted);
    let again = api_err(
        svc.set_password_from_link(&meta(None), &set(&token, "Another pass 8!"))
            .await,
    );
    assert_eq!(again.code, ErrorCode::LinkClosed);
    assert!(again.message.contains("already used"), "{}", again.message);
    svc.login(&meta(None), "inv", "ivy", &Secret::from(GOOD))
        .await
        .unwrap();

    let details = svc.get_account(&admin, created.id).await.unwrap();
    assert!(details.has_password && !details.summary.invited);
    let view = details.invitation.unwrap();
    assert_eq!(view.state, LinkState::Accepted);
    assert_eq!(view.sent_by.as_deref(), Some("Test boss"));

    // Unknown and malformed tokens are simply unknown.
    assert_eq!(
        svc.link_status(&Secret::from("nope")).await.unwrap(),
        LinkStatus::Unknown
    );
    let (other, _) = server::crypto::new_session_token().unwrap();
    assert_eq!(svc.link_status(&other).await.unwrap(), LinkStatus::Unknown);
    assert_eq!(
        api_err(
            svc.set_password_from_link(&meta(None), &set(other.expose(), GOOD))
                .await
        )
        .code,
        ErrorCode::NotFound
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invitations_expire_after_the_tenants_setting(pool: PgPool) {
    let (svc, clock, _) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    let defaults = svc.get_settings(&admin).await.unwrap();
    assert_eq!(defaults.invitation_hours, 72);
    for bad in [0, 721] {
        let e = api_err(
            svc.update_settings(
                &admin,
                &TenantSettings {
                    invitation_hours: bad,
                    ..defaults.clone()
                },
            )
            .await,
        );
        assert_eq!(e.field.as_deref(), Some("invitation_hours"));
    }
    svc.update_settings(
        &admin,
        &TenantSettings {
            invitation_hours: 2,
            ..defaults
        },
    )
    .await
    .unwrap();
    svc.create_account(&admin, &invited("ivy")).await.unwrap();
    let token = latest_token(&pool, "invitation").await;

    clock.advance(Duration::hours(2) - Duration::seconds(1));
    assert!(matches!(
        svc.link_status(&Secret::from(&token.as_str()))
            .await
            .unwrap(),
        LinkStatus::Valid(_)
    ));
    clock.advance(Duration::seconds(1));
    let LinkStatus::Closed(closed) = svc
        .link_status(&Secret::from(&token.as_str()))
        .await
        .unwrap()
    else {
        panic!("expired");
    };
    assert_eq!(closed.state, LinkState::Expired);
    let e = api_err(
        svc.set_password_from_link(&meta(None), &set(&token, GOOD))
            .await,
    );
    assert_eq!(e.code, ErrorCode::LinkClosed);
    assert!(e.message.contains("expired") && e.message.contains("new invitation"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn resend_replaces_the_link_and_revoke_withdraws_it(pool: PgPool) {
    let (svc, _clock, t) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    let ivy = svc.create_account(&admin, &invited("ivy")).await.unwrap();
    let first = latest_token(&pool, "invitation").await;

    let view = svc.resend_invitation(&admin, ivy.id).await.unwrap();
    assert_eq!(view.state, LinkState::Pending);
    let second = latest_token(&pool, "invitation").await;
    assert_ne!(first, second);
    let LinkStatus::Closed(old) = svc
        .link_status(&Secret::from(&first.as_str()))
        .await
        .unwrap()
    else {
        panic!("the first link no longer works");
    };
    assert_eq!(old.state, LinkState::Replaced);
    assert_eq!(audit_count(&pool, t, "invitation.resent").await, 1);

    let revoked = svc.revoke_invitation(&admin, ivy.id).await.unwrap();
    assert_eq!(revoked.state, LinkState::Revoked);
    let LinkStatus::Closed(gone) = svc
        .link_status(&Secret::from(&second.as_str()))
        .await
        .unwrap()
    else {
        panic!("revoked");
    };
    assert_eq!(gone.state, LinkState::Revoked);
    assert_eq!(
        api_err(
            svc.set_password_from_link(&meta(None), &set(&second, GOOD))
                .await
        )
        .code,
        ErrorCode::LinkClosed
    );
    assert_eq!(audit_count(&pool, t, "invitation.revoked").await, 1);
    // Nothing left to revoke.
    assert_eq!(
        api_err(svc.revoke_invitation(&admin, ivy.id).await).code,
        ErrorCode::Forbidden
    );

    // Another organisation's administrator cannot touch it.
    tenant(&svc, "other", 2).await;
    account(&svc, "other", "chief", "admin").await;
    let stranger = admin_of(&svc, "other", "chief").await;
    assert_eq!(
        api_err(svc.resend_invitation(&stranger, ivy.id).await).code,
        ErrorCode::NotFound
    );
    assert_eq!(
        api_err(svc.revoke_invitation(&stranger, ivy.id).await).code,
        ErrorCode::NotFound
    );

    // An account with a password is not invited: it is reset.
    let boss_id = admin.account_id;
    let user_id = AccountId::from_uuid(account(&svc, "inv", "usr", "user").await);
    assert_eq!(
        api_err(svc.resend_invitation(&admin, user_id).await).code,
        ErrorCode::Forbidden
    );
    assert_ne!(boss_id, user_id);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_password_set_another_way_closes_the_invitation(pool: PgPool) {
    let (svc, _clock, t) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    let ivy = svc.create_account(&admin, &invited("ivy")).await.unwrap();
    let token = latest_token(&pool, "invitation").await;
    svc.reset_password(
        &admin,
        &ResetPasswordRequest {
            id: ivy.id,
            new_password: NewPassword::new(GOOD, GOOD),
            must_change_password: true,
        },
    )
    .await
    .unwrap();
    let LinkStatus::Closed(closed) = svc
        .link_status(&Secret::from(&token.as_str()))
        .await
        .unwrap()
    else {
        panic!("closed");
    };
    assert_eq!(closed.state, LinkState::Superseded);
    let details = svc.get_account(&admin, ivy.id).await.unwrap();
    assert_eq!(details.invitation.unwrap().state, LinkState::Superseded);
    assert_eq!(audit_count(&pool, t, "invitation.accepted").await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invitations_refuse_directory_accounts_and_typed_passwords(pool: PgPool) {
    let (svc, _clock, _) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    let mut both = invited("ivy");
    both.new_password = NewPassword::new(GOOD, GOOD);
    let e = api_err(svc.create_account(&admin, &both).await);
    assert_eq!(e.field.as_deref(), Some("password"));
    let mut directory = invited("alice");
    directory.account_type = "directory".into();
    let e = api_err(svc.create_account(&admin, &directory).await);
    assert_eq!(e.field.as_deref(), Some("invite"), "no directory yet");
    connect_directory(&svc, &admin).await;
    let e = api_err(svc.create_account(&admin, &directory).await);
    assert_eq!(e.field.as_deref(), Some("invite"));
    assert!(outbox(&pool).await.is_empty(), "nothing was queued");
}

async fn forgot(svc: &Services, tenant: &str, username: &str) {
    svc.forgot_password(&meta(None), tenant, username)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn forgot_password_mails_a_reset_link_to_existing_local_accounts_only(pool: PgPool) {
    let (svc, clock, t) = setup(&pool).await;
    day_long_lease(&pool, t).await;
    account(&svc, "inv", "ann", "user").await;
    let ann_session = login(&svc, "inv", "ann").await;

    forgot(&svc, "inv", "nobody").await;
    forgot(&svc, "nowhere", "ann").await;
    assert!(
        outbox(&pool).await.is_empty(),
        "unknown accounts get nothing"
    );
    assert_eq!(audit_count(&pool, t, "password.reset_requested").await, 1);

    forgot(&svc, "inv", "ANN").await;
    let mail = outbox(&pool).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0].kind.as_str(), mail[0].to.as_str()),
        ("reset", "ann@example.org")
    );
    assert_eq!(
        mail[0].subject,
        "Reset your Rollcall password for Tenant inv"
    );
    assert!(mail[0].text.contains("/reset-password#"));
    assert!(
        mail[0].text.contains("until 22 November 2026 at 10:00 UTC"),
        "60 minutes"
    );
    let token = token_in(&mail[0].text);

    // The link sets a new password, ends the account's sessions, and the
    // old password stops working.
    svc.set_password_from_link(&meta(None), &set(&token, GOOD))
        .await
        .unwrap();
    assert!(svc.authenticate(&meta(Some(&ann_session))).await.is_err());
    assert_eq!(
        api_err(
            svc.login(&meta(None), "inv", "ann", &Secret::from(PASSWORD))
                .await
        )
        .code,
        ErrorCode::InvalidCredentials
    );
    svc.login(&meta(None), "inv", "ann", &Secret::from(GOOD))
        .await
        .unwrap();
    assert_eq!(audit_count(&pool, t, "password.reset_completed").await, 1);
    // The password history applies to links as well.
    forgot(&svc, "inv", "ann").await;
    let again = latest_token(&pool, "reset").await;
    let reused = api_err(
        svc.set_password_from_link(&meta(None), &set(&again, GOOD))
            .await,
    );
    assert!(
        reused.message.contains("used recently"),
        "{}",
        reused.message
    );

    // At most three links an hour for one account; the fourth request
    // answers the same and sends nothing.
    forgot(&svc, "inv", "ann").await;
    forgot(&svc, "inv", "ann").await;
    let before = outbox(&pool).await.len();
    assert_eq!(before, 3, "three links within the hour");
    forgot(&svc, "inv", "ann").await;
    assert_eq!(outbox(&pool).await.len(), before);
    clock.advance(Duration::hours(1));
    forgot(&svc, "inv", "ann").await;
    assert_eq!(outbox(&pool).await.len(), before + 1);
    // Only the newest link works.
    let newest = latest_token(&pool, "reset").await;
    let LinkStatus::Closed(old) = svc
        .link_status(&Secret::from(&again.as_str()))
        .await
        .unwrap()
    else {
        panic!("replaced");
    };
    assert_eq!(old.state, LinkState::Replaced);
    assert!(matches!(
        svc.link_status(&Secret::from(&newest.as_str()))
            .await
            .unwrap(),
        LinkStatus::Valid(_)
    ));

    // A deactivated account gets nothing.
    sqlx::query("UPDATE accounts SET status = 'inactive' WHERE username = 'ann'")
        .execute(&pool)
        .await
        .unwrap();
    forgot(&svc, "inv", "ann").await;
    assert_eq!(outbox(&pool).await.len(), before + 1);
    // …and its open link stops working.
    assert_eq!(
        api_err(
            svc.set_password_from_link(&meta(None), &set(&newest, "Newer pass 9!"))
                .await
        )
        .code,
        ErrorCode::AccountInactive
    );

    // Empty fields are the only error.
    assert_eq!(
        api_err(svc.forgot_password(&meta(None), "inv", " ").await)
            .field
            .as_deref(),
        Some("username")
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn directory_accounts_are_reminded_to_use_their_directory_password(pool: PgPool) {
    let (svc, _clock, _) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    connect_directory(&svc, &admin).await;
    let d = directory_account("ivy", "user");
    svc.create_account(&admin, &d).await.unwrap();

    forgot(&svc, "inv", "ivy").await;
    let mail = outbox(&pool).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].kind, "directory_reminder");
    assert!(mail[0].text.contains("Active Directory"));
    assert!(!mail[0].text.contains("http"), "no link");
    let links = count_rows(&pool, "SELECT count(*) FROM password_links").await;
    assert_eq!(links, 0);
}

/// The public endpoint: 202 and the same body whether the account exists,
/// does not, or signs in with the directory.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_forgot_password_endpoint_answers_the_same_in_every_case(pool: PgPool) {
    let (svc, _clock, _) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    connect_directory(&svc, &admin).await;
    let d = directory_account("ivy", "user");
    svc.create_account(&admin, &d).await.unwrap();
    let app = server::http::router(svc, None);

    let mut bodies = Vec::new();
    for (tenant, username) in [
        ("inv", "boss"),
        ("inv", "ghost"),
        ("ghost", "boss"),
        ("inv", "ivy"),
    ] {
        let body = json!({ "tenant": tenant, "username": username }).to_string();
        let r = send(&app, "POST", "/api/password/forgot", &body, None).await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "{tenant}/{username}: {:?}",
            r.json
        );
        bodies.push(r.json);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert!(bodies[0]["message"]
        .as_str()
        .unwrap()
        .contains("If this account exists"));
    assert_eq!(
        outbox(&pool).await.len(),
        2,
        "a link for boss, a reminder for ivy"
    );

    let empty = send(
        &app,
        "POST",
        "/api/password/forgot",
        &json!({ "tenant": "inv", "username": "" }).to_string(),
        None,
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The link endpoints are public too; a closed link answers 410.
    let token = latest_token(&pool, "reset").await;
    let status = send(
        &app,
        "POST",
        "/api/password/link",
        &json!({ "token": token }).to_string(),
        None,
    )
    .await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.json["status"], "valid");
    assert_eq!(status.json["username"], "boss");
    let body = json!({ "request": { "token": token, "password": GOOD, "password_confirm": GOOD } })
        .to_string();
    let first = send(&app, "POST", "/api/password/set", &body, None).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.json);
    let second = send(&app, "POST", "/api/password/set", &body, None).await;
    assert_eq!(second.status, StatusCode::GONE);
    assert_eq!(second.json["code"], "link_closed");
}

/// Through a real SMTP server: the mail goes out once, and the stored copy
/// no longer holds the token afterwards.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_sent_invitation_keeps_no_usable_token(pool: PgPool) {
    let (svc, clock, _) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    svc.create_account(&admin, &invited("ivy")).await.unwrap();
    let token = latest_token(&pool, "invitation").await;

    let sink = Sink::start(0);
    let clock: Arc<dyn Clock> = clock;
    let p = postman(
        &pool,
        clock,
        Delivery::from_config(Some(&sink.url()), "unused".into()).unwrap(),
    );
    assert_eq!(p.deliver_due(10).await.unwrap().sent, 1);
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("Subject: Test boss invited you to Tenant inv on Rollcall"));
    let flat = received[0].replace("=\r\n", "").replace("=\n", "");
    assert!(flat.contains(&token), "the person gets the link");

    let stored = outbox(&pool).await;
    assert!(!stored[0].text.contains(&token) && !stored[0].html.contains(&token));
    assert!(stored[0].text.contains("[removed once sent]"));
    assert!(matches!(
        svc.link_status(&Secret::from(&token.as_str()))
            .await
            .unwrap(),
        LinkStatus::Valid(_)
    ));
}

/// On Lambda: mail a request queued and woke the worker for is sent before
/// the invocation returns (but not a reset mail: its timing would tell the
/// account exists), and an EventBridge schedule sends whatever is due.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn lambda_delivers_after_the_request_and_on_schedule(pool: PgPool) {
    use lambda_http::lambda_runtime::{Context, LambdaEvent};
    use server::http::lambda::{is_scheduled, Handler, Migration};

    let (svc, clock, _) = setup(&pool).await;
    let dir = std::env::temp_dir().join(format!("rollcall-lambda-{}", uuid::Uuid::new_v4()));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let handler = Handler::new(
        svc.clone(),
        server::http::router(svc.clone(), None),
        Arc::new(postman(&pool, dyn_clock, Delivery::Files(dir.clone()))),
        Migration::Url(app_url(&pool)),
    );
    let files = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);

    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/password/forgot",
        "rawQueryString": "",
        "headers": { "content-type": "application/json", "accept": "application/json" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "rollcall.example.com",
            "domainPrefix": "rollcall",
            "http": { "method": "POST", "path": "/api/password/forgot", "protocol": "HTTP/1.1",
                      "sourceIp": "198.51.100.9", "userAgent": "lambda-test" },
            "requestId": "req-1", "routeKey": "$default", "stage": "$default",
            "time": "22/Nov/2026:09:00:00 +0000", "timeEpoch": 1795338000000u64
        },
        "body": json!({ "tenant": "inv", "username": "boss" }).to_string(),
        "isBase64Encoded": false
    });
    assert!(!is_scheduled(&event));
    let out = handler
        .handle(LambdaEvent::new(event.clone(), Context::default()))
        .await
        .unwrap();
    let out = serde_json::to_value(out).unwrap();
    assert_eq!(out["statusCode"], 202, "{out}");
    assert_eq!(files(), 0, "a reset mail waits for the worker's round");

    // A request after which the worker was woken (as creating an invited
    // account wakes it) sends what is due before the invocation returns.
    svc.mail_queued();
    let mut health = event.clone();
    health["rawPath"] = json!("/api/health");
    health["requestContext"]["http"]["method"] = json!("GET");
    health["requestContext"]["http"]["path"] = json!("/api/health");
    health["body"] = json!(null);
    let out = handler
        .handle(LambdaEvent::new(health, Context::default()))
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(out).unwrap()["statusCode"], 200);
    assert_eq!(files(), 1, "sent before the invocation returned");

    // Mail queued outside a request (or whose first attempt failed) waits
    // for the schedule.
    let mut tx = pool.begin().await.unwrap();
    server::mail::enqueue(
        &mut tx,
        server::mail::Mail {
            tenant_id: None,
            kind: "test",
            to: "ops@example.org",
            subject: "s",
            text: "t",
            html: "h",
            secret: None,
        },
        clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let scheduled = json!({
        "version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-22T09:05:00Z", "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/rollcall-mail"], "detail": {}
    });
    assert!(is_scheduled(&scheduled));
    let out = handler
        .handle(LambdaEvent::new(scheduled, Context::default()))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(out).unwrap(),
        json!({ "sent": 1, "failed": 0 })
    );
    assert_eq!(files(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Known and unknown accounts answer "forgot password" in the same time:
/// every answer waits out the same floor, which is longer than the work.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn forgot_password_takes_as_long_for_unknown_accounts(pool: PgPool) {
    let (svc, _clock, _) = setup(&pool).await;
    let floor = server::domain::invitations::FORGOT_PASSWORD_ANSWER;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..8 {
        // From a new address each time, so throttling does not step in.
        let client = app::api::port::RequestMeta {
            ip: Some(format!("198.51.100.{i}")),
            ..meta(None)
        };
        let started = std::time::Instant::now();
        svc.forgot_password(&client, "inv", "boss").await.unwrap();
        known.push(started.elapsed());
        let started = std::time::Instant::now();
        svc.forgot_password(&meta(None), "inv", &format!("nobody{i}"))
            .await
            .unwrap();
        unknown.push(started.elapsed());
    }
    known.sort();
    unknown.sort();
    assert!(
        known[0] >= floor && unknown[0] >= floor,
        "{known:?} {unknown:?}"
    );
    let (a, b) = (known[known.len() / 2], unknown[unknown.len() / 2]);
    let gap = a.max(b) - a.min(b);
    assert!(
        gap < std::time::Duration::from_millis(30),
        "median known {a:?}, unknown {b:?}"
    );
}

/// Links outlive the address they were mailed to (#25): an invitation sent
/// to a mistyped address, and a reset link sent to the old one, stop working
/// once an administrator changes the email; deactivating closes them too.
/// The link page says why, and the edit's audit event counts them.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn changing_the_email_or_deactivating_closes_open_links(pool: PgPool) {
    let (svc, _clock, t) = setup(&pool).await;
    let admin = admin_of(&svc, "inv", "boss").await;
    let edit = |id: AccountId, email: &str, status: &str| app::model::UpdateAccountRequest {
        id,
        version: 0,
        form: app::model::AccountForm {
            first_name: "Test".into(),
            last_name: "ivy".into(),
            email: email.into(),
            status: status.into(),
            ..app::model::AccountForm::default()
        },
        new_password: NewPassword::default(),
    };
    let ivy = svc.create_account(&admin, &invited("ivy")).await.unwrap();
    let invitation = latest_token(&pool, "invitation").await;
    // The typo is corrected: the link in the wrong mailbox is dead.
    svc.update_account(
        &admin,
        &current(&pool, edit(ivy.id, "ivy@example.com", "active")).await,
    )
    .await
    .unwrap();
    let LinkStatus::Closed(closed) = svc
        .link_status(&Secret::from(&invitation.as_str()))
        .await
        .unwrap()
    else {
        panic!("the invitation mailed to the old address must be closed");
    };
    assert_eq!(closed.state, LinkState::EmailChanged);
    assert!(closed.explain().1.contains("current address"));
    let refused = api_err(
        svc.set_password_from_link(&meta(None), &set(&invitation, GOOD))
            .await,
    );
    assert_eq!(refused.code, ErrorCode::LinkClosed);
    let details = last_audit_details(&pool, t, "account.updated").await;
    assert_eq!(details["links_closed"]["count"], 1, "{details}");
    assert_eq!(details["links_closed"]["reason"], "email_changed");

    // A new invitation goes to the new address; deactivating closes it.
    svc.resend_invitation(&admin, ivy.id).await.unwrap();
    let second = latest_token(&pool, "invitation").await;
    assert_eq!(outbox(&pool).await.last().unwrap().to, "ivy@example.com");
    svc.update_account(
        &admin,
        &current(&pool, edit(ivy.id, "ivy@example.com", "inactive")).await,
    )
    .await
    .unwrap();
    let LinkStatus::Closed(closed) = svc
        .link_status(&Secret::from(&second.as_str()))
        .await
        .unwrap()
    else {
        panic!("a deactivated account's link must be closed");
    };
    assert_eq!(closed.state, LinkState::AccountDeactivated);

    // An edit that changes neither leaves a pending link alone.
    svc.update_account(
        &admin,
        &current(&pool, edit(ivy.id, "ivy@example.com", "active")).await,
    )
    .await
    .unwrap();
    svc.resend_invitation(&admin, ivy.id).await.unwrap();
    let third = latest_token(&pool, "invitation").await;
    let mut renamed = edit(ivy.id, "IVY@example.com", "active");
    renamed.form.first_name = "Ivy".into();
    svc.update_account(&admin, &current(&pool, renamed.clone()).await)
        .await
        .unwrap();
    assert!(matches!(
        svc.link_status(&Secret::from(&third.as_str()))
            .await
            .unwrap(),
        LinkStatus::Valid(_)
    ));
}
