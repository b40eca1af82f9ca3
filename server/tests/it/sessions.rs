//! Sign-in rules, sign-out, heartbeats and leases (time is moved, never slept).

use super::support::*;
use app::model::ErrorCode;
use app::model::Secret;
use server::error::Error;
use sqlx::PgPool;
use time::Duration;

fn code_of<T>(r: Result<T, Error>) -> ErrorCode {
    api_err(r).code
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn stale_seat_is_reclaimed_by_the_next_login(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "lease", 1).await;
    account(&svc, "lease", "first", "user").await;
    account(&svc, "lease", "second", "user").await;

    let first = login(&svc, "lease", "first").await;
    // Within the lease the seat is held.
    clock.advance(Duration::minutes(14));
    assert_eq!(
        code_of(
            svc.login(&meta(None), "lease", "second", &Secret::from(PASSWORD))
                .await
        ),
        ErrorCode::SeatsExhausted
    );
    // The tab was closed: no heartbeat for more than 15 minutes.
    clock.advance(Duration::minutes(2));
    let second = login(&svc, "lease", "second").await;
    assert_eq!(open_sessions(&pool, t).await, 1);
    let reason: String = sqlx::query_scalar(
        "SELECT s.end_reason FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'first'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(reason, "lease_expired");
    // The stale session is not revived by a late heartbeat.
    assert_eq!(
        code_of(svc.authenticate(&meta(Some(&first))).await),
        ErrorCode::Unauthenticated
    );
    assert!(svc.authenticate(&meta(Some(&second))).await.is_ok());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn heartbeats_keep_the_seat(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    tenant(&svc, "beat", 1).await;
    account(&svc, "beat", "keeper", "user").await;
    account(&svc, "beat", "waiter", "user").await;
    let token = login(&svc, "beat", "keeper").await;
    for _ in 0..4 {
        clock.advance(Duration::minutes(10));
        svc.authenticate(&meta(Some(&token))).await.unwrap();
    }
    // 40 minutes after sign-in, still held thanks to the heartbeats.
    assert_eq!(
        code_of(
            svc.login(&meta(None), "beat", "waiter", &Secret::from(PASSWORD))
                .await
        ),
        ErrorCode::SeatsExhausted
    );
    // An expired lease is not revived even if nobody took the seat.
    clock.advance(Duration::minutes(16));
    assert_eq!(
        code_of(svc.authenticate(&meta(Some(&token))).await),
        ErrorCode::Unauthenticated
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn logout_frees_the_seat_at_once(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "out", 1).await;
    account(&svc, "out", "alice", "user").await;
    account(&svc, "out", "bob", "user").await;
    let a = login(&svc, "out", "alice").await;
    svc.logout(&meta(Some(&a))).await.unwrap();
    assert_eq!(open_sessions(&pool, t).await, 0);
    login(&svc, "out", "bob").await;
    // Signing out twice, or without a session, is harmless.
    svc.logout(&meta(Some(&a))).await.unwrap();
    svc.logout(&meta(None)).await.unwrap();
    assert_eq!(audit_count(&pool, t, "logout").await, 1);
    assert_eq!(
        code_of(svc.authenticate(&meta(Some(&a))).await),
        ErrorCode::Unauthenticated
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn wrong_username_and_wrong_password_look_the_same(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "creds", 5).await;
    account(&svc, "creds", "real", "user").await;
    let wrong_password = svc
        .login(&meta(None), "creds", "real", &Secret::from("Nope-123!"))
        .await;
    let wrong_user = svc
        .login(&meta(None), "creds", "ghost", &Secret::from(PASSWORD))
        .await;
    let wrong_tenant = svc
        .login(&meta(None), "nowhere", "real", &Secret::from(PASSWORD))
        .await;
    let malformed_tenant = svc
        .login(&meta(None), "NOT A SLUG!", "real", &Secret::from(PASSWORD))
        .await;
    let messages: Vec<_> = [wrong_password, wrong_user, wrong_tenant, malformed_tenant]
        .into_iter()
        .map(|r| match r {
            Err(Error::Api(e)) => (e.code, e.message),
            _ => panic!("expected a refusal"),
        })
        .collect();
    assert!(messages.iter().all(|m| m == &messages[0]), "{messages:?}");
    assert_eq!(messages[0].0, ErrorCode::InvalidCredentials);
    assert_eq!(open_sessions(&pool, t).await, 0);
    assert_eq!(audit_count(&pool, t, "login.failed").await, 2);
    // Usernames match ignoring case.
    svc.login(&meta(None), "CREDS", "REAL", &Secret::from(PASSWORD))
        .await
        .unwrap();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn empty_fields_are_named(pool: PgPool) {
    let svc = services(pool, clock()).await;
    for (tenant, user, pw, field) in [
        ("", "u", "p", "tenant"),
        ("t", " ", "p", "username"),
        ("t", "u", "", "password"),
    ] {
        match svc
            .login(&meta(None), tenant, user, &Secret::from(pw))
            .await
        {
            Err(Error::Api(e)) => {
                assert_eq!(e.code, ErrorCode::Validation);
                assert_eq!(e.field.as_deref(), Some(field));
            }
            _ => panic!("expected a validation error for {field}"),
        }
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn inactive_accounts_are_refused_after_the_password_check(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "inact", 5).await;
    let id = account(&svc, "inact", "sleepy", "user").await;
    sqlx::query("UPDATE accounts SET status = 'inactive' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    // A wrong password does not reveal the status.
    assert_eq!(
        code_of(
            svc.login(&meta(None), "inact", "sleepy", &Secret::from("Wrong-pw1!"))
                .await
        ),
        ErrorCode::InvalidCredentials
    );
    assert_eq!(
        code_of(
            svc.login(&meta(None), "inact", "sleepy", &Secret::from(PASSWORD))
                .await
        ),
        ErrorCode::AccountInactive
    );
    assert_eq!(audit_count(&pool, t, "login.refused_inactive").await, 1);
    assert_eq!(open_sessions(&pool, t).await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sessions_are_stored_hashed_with_origin(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "hash", 5).await;
    account(&svc, "hash", "who", "user").await;
    let token = login(&svc, "hash", "who").await;
    let (stored, ip, ua): (Vec<u8>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT token_hash, ip, user_agent FROM sessions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, server::crypto::token_hash(&token).to_vec());
    assert_ne!(stored, token.as_bytes());
    assert_eq!(ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(ua.as_deref(), Some("integration-test"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn audit_events_cannot_be_changed(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "audit", 1).await;
    let update = sqlx::query("UPDATE audit_events SET action = 'x'")
        .execute(&pool)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_events").execute(&pool).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let truncate = sqlx::query("TRUNCATE audit_events").execute(&pool).await;
    assert!(truncate.is_err());
    let n = count_rows(&pool, "SELECT count(*) FROM audit_events").await;
    assert_eq!(n, 1, "the tenant.created event is still there");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sessions_end_at_the_tenant_lifetime_however_active_and_say_why(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "life", 1).await;
    // Heartbeats an hour apart keep the seat; the lifetime stays the default.
    sqlx::query("UPDATE tenants SET idle_lease_seconds = 86400 WHERE id = $1")
        .bind(t)
        .execute(&pool)
        .await
        .unwrap();
    account(&svc, "life", "boss", "admin").await;
    account(&svc, "life", "waiter", "user").await;
    let token = login(&svc, "life", "boss").await;
    for _ in 0..11 {
        clock.advance(Duration::hours(1));
        svc.authenticate(&meta(Some(&token))).await.unwrap();
    }
    clock.advance(Duration::hours(1));
    let ended = api_err(svc.authenticate(&meta(Some(&token))).await);
    assert_eq!(ended.code, ErrorCode::Unauthenticated);
    assert!(
        ended.message.starts_with("You signed in 12 hours ago"),
        "{}",
        ended.message
    );
    // Its seat is free, and the session is recorded as ended by its lifetime.
    let waiter = login(&svc, "life", "waiter").await;
    let reason: String = sqlx::query_scalar(
        "SELECT end_reason FROM sessions s JOIN accounts a ON a.id = s.account_id
         WHERE a.username = 'boss'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(reason, "lifetime");

    // The administrator shortens it; bad values change nothing.
    svc.logout(&meta(Some(&waiter))).await.unwrap();
    let boss_token = login(&svc, "life", "boss").await;
    let admin = svc.require_admin(&meta(Some(&boss_token))).await.unwrap();
    let settings = svc.get_settings(&admin).await.unwrap();
    assert_eq!(settings.session_lifetime_hours, 12);
    for bad in [0, 169] {
        let e = api_err(
            svc.update_settings(
                &admin,
                &app::model::TenantSettings {
                    session_lifetime_hours: bad,
                    ..settings.clone()
                },
            )
            .await,
        );
        assert_eq!(e.field.as_deref(), Some("session_lifetime_hours"));
    }
    svc.update_settings(
        &admin,
        &app::model::TenantSettings {
            session_lifetime_hours: 2,
            ..settings
        },
    )
    .await
    .unwrap();
    clock.advance(Duration::hours(2));
    let ended = api_err(svc.authenticate(&meta(Some(&boss_token))).await);
    assert!(
        ended.message.starts_with("You signed in 2 hours ago"),
        "{}",
        ended.message
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sign_out_everywhere_ends_every_session_of_the_caller_only(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "all", 5).await;
    account(&svc, "all", "roamer", "user").await;
    account(&svc, "all", "other", "user").await;
    let laptop = login(&svc, "all", "roamer").await;
    let phone = login(&svc, "all", "roamer").await;
    let other = login(&svc, "all", "other").await;
    assert_eq!(svc.logout_everywhere(&meta(Some(&phone))).await.unwrap(), 2);
    for token in [&laptop, &phone] {
        let e = api_err(svc.authenticate(&meta(Some(token))).await);
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        assert!(
            e.message.contains("signed out on every device"),
            "{}",
            e.message
        );
    }
    assert!(svc.authenticate(&meta(Some(&other))).await.is_ok());
    assert_eq!(open_sessions(&pool, t).await, 1);
    assert_eq!(audit_count(&pool, t, "logout.everywhere").await, 1);
    // Without a live session it is a 401, and nothing else ends.
    assert_eq!(
        code_of(svc.logout_everywhere(&meta(Some(&laptop))).await),
        ErrorCode::Unauthenticated
    );
    assert_eq!(open_sessions(&pool, t).await, 1);
}
