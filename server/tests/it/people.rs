//! A seat is a person (#15): one seat for all of a person's devices, a
//! device limit, the eviction policy, the administrators' reserve and
//! signing a person out from the License page. Time is moved, never slept.

use super::support::*;
use app::model::Secret;
use app::model::{AccountId, ErrorCode, SessionEnd, WhenFull};
use server::domain::Services;
use server::error::Error;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use time::Duration;
use tokio::sync::Barrier;
use uuid::Uuid;

/// Signs `username` in from the device named `device` (its `User-Agent`).
async fn sign_in_on(svc: &Services, tenant: &str, username: &str, device: &str) -> String {
    let mut m = meta(None);
    m.user_agent = Some(device.to_owned());
    svc.login(&m, tenant, username, &Secret::from(PASSWORD))
        .await
        .unwrap_or_else(|e| panic!("{username} on {device}: {e}"))
        .token
        .into_exposed()
}

/// The `reason` of the 401 a request with `token` gets.
async fn ended(svc: &Services, token: &str) -> Option<SessionEnd> {
    let e = api_err(svc.authenticate(&meta(Some(token))).await);
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e:?}");
    e.reason
}

async fn set_policy(pool: &PgPool, tenant: Uuid, sql_set: &str) {
    sqlx::query(&format!("UPDATE tenants SET {sql_set} WHERE id = $1"))
        .bind(tenant)
        .execute(pool)
        .await
        .unwrap();
}

async fn people_signed_in(pool: &PgPool, tenant: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT count(DISTINCT account_id) FROM sessions WHERE tenant_id = $1 AND ended_at IS NULL",
    )
    .bind(tenant)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn three_devices_hold_one_seat_and_a_fourth_ends_the_idlest(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "devices", 2).await;
    account(&svc, "devices", "boss", "admin").await;
    account(&svc, "devices", "ann", "user").await;
    account(&svc, "devices", "bob", "user").await;

    let laptop = sign_in_on(&svc, "devices", "ann", "laptop").await;
    clock.advance(Duration::minutes(1));
    let phone = sign_in_on(&svc, "devices", "ann", "phone").await;
    clock.advance(Duration::minutes(1));
    let tablet = sign_in_on(&svc, "devices", "ann", "tablet").await;
    // Ann's three devices hold one of the two seats: Bob gets the other.
    let bob = sign_in_on(&svc, "devices", "bob", "desk").await;
    assert_eq!(open_sessions(&pool, t).await, 4);
    assert_eq!(people_signed_in(&pool, t).await, 2);

    // The laptop is used again; the phone is now the least recently used.
    clock.advance(Duration::minutes(1));
    svc.authenticate(&meta(Some(&laptop))).await.unwrap();
    let desktop = sign_in_on(&svc, "devices", "ann", "desktop").await;
    assert_eq!(ended(&svc, &phone).await, Some(SessionEnd::DeviceLimit));
    for live in [&laptop, &tablet, &desktop, &bob] {
        svc.authenticate(&meta(Some(live))).await.unwrap();
    }
    assert_eq!(open_sessions(&pool, t).await, 4);
    assert_eq!(audit_count(&pool, t, "seat.device_limit").await, 1);

    // The License page: one row for Ann, with her three devices.
    let admin = {
        set_policy(&pool, t, "seat_limit = 3").await;
        admin_of(&svc, "devices", "boss").await
    };
    let license = svc.license(&admin).await.unwrap();
    assert_eq!(license.seats_in_use, 3);
    let ann = license
        .holders
        .iter()
        .find(|h| h.username == "ann")
        .unwrap();
    let mut devices: Vec<_> = ann
        .devices
        .iter()
        .map(|d| d.user_agent.clone().unwrap())
        .collect();
    assert_eq!(devices[0], "desktop", "most recently active first");
    devices.sort();
    assert_eq!(devices, ["desktop", "laptop", "tablet"]);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_lower_device_limit_applies_at_the_next_sign_in(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "one", 5).await;
    account(&svc, "one", "boss", "admin").await;
    let admin = admin_of(&svc, "one", "boss").await;
    let mut settings = svc.get_settings(&admin).await.unwrap();
    settings.sessions_per_person = 0;
    let refused = api_err(svc.update_settings(&admin, &settings).await);
    assert_eq!(refused.field.as_deref(), Some("sessions_per_person"));
    settings.sessions_per_person = 1;
    svc.update_settings(&admin, &settings).await.unwrap();
    assert_eq!(audit_count(&pool, t, "settings.changed").await, 1);
    // Boss's first session (from admin_of) ends when he signs in again.
    let second = sign_in_on(&svc, "one", "boss", "second").await;
    assert_eq!(open_sessions(&pool, t).await, 1);
    svc.authenticate(&meta(Some(&second))).await.unwrap();
}

/// 200 sign-ins at once, 10 by each of 20 people, on a 5-seat tenant whose
/// people may each use 3 devices: exactly 5 people get in, none on more than
/// 3 devices, and everyone else is refused for lack of a seat.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_storm_of_people_and_their_devices_never_exceeds_either_cap(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    const PEOPLE: usize = 20;
    const DEVICES_EACH: usize = 10;
    let observer = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(connect.clone())
        .await
        .unwrap();
    let mut nodes = Vec::new();
    let clock = clock();
    for _ in 0..4 {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(connect.clone())
            .await
            .unwrap();
        nodes.push(services(pool, clock.clone()).await);
    }
    let t = tenant(&nodes[0], "storm", 5).await;
    let names = many_accounts(&observer, t, "p", PEOPLE).await;
    let barrier = Arc::new(Barrier::new(PEOPLE * DEVICES_EACH));
    let mut tasks = Vec::new();
    for i in 0..PEOPLE * DEVICES_EACH {
        let svc = nodes[i % nodes.len()].clone();
        let name = names[i % PEOPLE].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            (name.clone(), login_patiently(&svc, "storm", &name).await)
        }));
    }
    let mut admitted: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let (name, result) = task.await.unwrap();
        match result {
            Ok(_) => *admitted.entry(name).or_default() += 1,
            Err(Error::Api(e)) => assert_eq!(e.code, ErrorCode::SeatsExhausted, "{e:?}"),
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(admitted.len(), 5, "people admitted: {admitted:?}");
    assert!(
        admitted.values().all(|&n| n == DEVICES_EACH),
        "{admitted:?}"
    );
    assert_eq!(people_signed_in(&observer, t).await, 5);
    // Each admitted person's 10 sign-ins left their 3 latest sessions.
    assert_eq!(open_sessions(&observer, t).await, 15);
    assert_eq!(
        audit_count(&observer, t, "login.refused_seats").await,
        (PEOPLE as i64 - 5) * DEVICES_EACH as i64
    );
}

/// Under the eviction policy, a storm of newcomers while every seat is held
/// by idle people: each newcomer gets the seat of someone idle at least the
/// tenant's minutes, never more people than seats, and nobody active loses
/// their seat.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn eviction_under_a_storm_takes_only_seats_idle_long_enough(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "evict", 6).await;
    set_policy(
        &pool,
        t,
        "when_full = 'evict_idle', evict_idle_minutes = 20, idle_lease_seconds = 3600",
    )
    .await;
    let names = many_accounts(&pool, t, "e", 26).await;
    // Six people sign in; three stay active, three go idle.
    let mut tokens = Vec::new();
    for name in &names[..6] {
        tokens.push(login(&svc, "evict", name).await);
    }
    clock.advance(Duration::minutes(25));
    for token in &tokens[..3] {
        svc.authenticate(&meta(Some(token))).await.unwrap();
    }
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for name in &names[6..] {
        let name = name.clone();
        let svc = svc.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            login_patiently(&svc, "evict", &name).await
        }));
    }
    let mut admitted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => admitted += 1,
            Err(e) => assert_eq!(api_err::<()>(Err(e)).code, ErrorCode::SeatsExhausted),
        }
    }
    assert_eq!(admitted, 3, "one newcomer per idle seat");
    assert_eq!(people_signed_in(&pool, t).await, 6);
    for token in &tokens[..3] {
        svc.authenticate(&meta(Some(token))).await.unwrap();
    }
    for token in &tokens[3..] {
        assert_eq!(ended(&svc, token).await, Some(SessionEnd::Evicted));
    }
    assert_eq!(audit_count(&pool, t, "seat.evicted").await, 3);
    // The evictions name both people.
    let details: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('actor', actor_label, 'target', target_label, 'details', details)
         FROM audit_events WHERE tenant_id = $1 AND action = 'seat.evicted'",
    )
    .bind(t)
    .fetch_all(&pool)
    .await
    .unwrap();
    for d in details {
        let (actor, target) = (d["actor"].as_str().unwrap(), d["target"].as_str().unwrap());
        assert!(names[6..].iter().any(|n| actor.contains(n.as_str())), "{d}");
        assert!(
            names[3..6].iter().any(|n| target.contains(n.as_str())),
            "{d}"
        );
        assert_eq!(d["details"]["idle_minutes"], 25);
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn reserved_seats_admit_administrators_and_refuse_users(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "reserve", 3).await;
    svc.set_seats(&operator(), "reserve", 3, Some(1))
        .await
        .unwrap();
    for (name, role) in [
        ("u1", "user"),
        ("u2", "user"),
        ("u3", "user"),
        ("a1", "admin"),
        ("a2", "admin"),
    ] {
        account(&svc, "reserve", name, role).await;
    }
    login(&svc, "reserve", "u1").await;
    login(&svc, "reserve", "u2").await;
    let refused = api_err(
        svc.login(&meta(None), "reserve", "u3", &Secret::from(PASSWORD))
            .await,
    );
    assert_eq!(refused.code, ErrorCode::SeatsExhausted);
    assert!(
        refused.message.contains("reserved for administrators"),
        "{}",
        refused.message
    );
    let admin = admin_of(&svc, "reserve", "a1").await;
    let license = svc.license(&admin).await.unwrap();
    assert_eq!(
        (
            license.seats_owned,
            license.seats_reserved,
            license.seats_in_use
        ),
        (3, 1, 3)
    );
    let full = api_err(
        svc.login(&meta(None), "reserve", "a2", &Secret::from(PASSWORD))
            .await,
    );
    assert_eq!(full.code, ErrorCode::SeatsExhausted);
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT details->>'reason' FROM audit_events
         WHERE tenant_id = $1 AND action = 'login.refused_seats' ORDER BY occurred_at, id",
    )
    .bind(t)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(reasons, ["reserved_for_administrators", "tenant_full"]);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn signing_a_person_out_ends_all_their_sessions_and_frees_the_seat(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "free", 2).await;
    account(&svc, "free", "boss", "admin").await;
    let ann = account(&svc, "free", "ann", "user").await;
    account(&svc, "free", "bob", "user").await;
    let admin = admin_of(&svc, "free", "boss").await;
    let laptop = sign_in_on(&svc, "free", "ann", "laptop").await;
    let phone = sign_in_on(&svc, "free", "ann", "phone").await;
    assert_eq!(
        api_err(
            svc.login(&meta(None), "free", "bob", &Secret::from(PASSWORD))
                .await
        )
        .code,
        ErrorCode::SeatsExhausted
    );

    let answer = svc
        .sign_out_holder(&admin, AccountId::from_uuid(ann))
        .await
        .unwrap();
    assert_eq!(answer.sessions_ended, 2);
    for token in [&laptop, &phone] {
        let e = api_err(svc.authenticate(&meta(Some(token))).await);
        assert_eq!(e.reason, Some(SessionEnd::SignedOut));
        assert_eq!(
            e.message,
            "Your administrator signed you out to free a seat."
        );
    }
    // The seat is free at once.
    login(&svc, "free", "bob").await;
    assert_eq!(audit_count(&pool, t, "seat.signed_out_by_admin").await, 1);
    // Again: nothing left to end, nothing audited.
    let again = svc
        .sign_out_holder(&admin, AccountId::from_uuid(ann))
        .await
        .unwrap();
    assert_eq!(again.sessions_ended, 0);
    assert_eq!(audit_count(&pool, t, "seat.signed_out_by_admin").await, 1);

    // Not yourself; not another tenant's person.
    let own = api_err(svc.sign_out_holder(&admin, admin.account_id).await);
    assert_eq!(own.field.as_deref(), Some("account_id"));
    let other_tenant = tenant(&svc, "other", 2).await;
    let stranger = account(&svc, "other", "olga", "user").await;
    let _ = other_tenant;
    let token = login(&svc, "other", "olga").await;
    assert_eq!(
        api_err(
            svc.sign_out_holder(&admin, AccountId::from_uuid(stranger))
                .await
        )
        .code,
        ErrorCode::NotFound
    );
    svc.authenticate(&meta(Some(&token))).await.unwrap();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_eviction_setting_round_trips_and_is_audited(pool: PgPool) {
    let (svc, t, admin) = tenant_with_admin(&pool, "policy").await;
    let mut settings = svc.get_settings(&admin).await.unwrap();
    assert_eq!(settings.when_full, WhenFull::Refuse);
    assert_eq!(settings.sessions_per_person, 3);
    settings.when_full = WhenFull::EvictIdle;
    settings.evict_idle_minutes = 1441;
    assert_eq!(
        api_err(svc.update_settings(&admin, &settings).await)
            .field
            .as_deref(),
        Some("evict_idle_minutes")
    );
    settings.evict_idle_minutes = 45;
    let saved = svc.update_settings(&admin, &settings).await.unwrap();
    assert_eq!(
        (saved.when_full, saved.evict_idle_minutes),
        (WhenFull::EvictIdle, 45)
    );
    let changes: serde_json::Value = sqlx::query_scalar(
        "SELECT details->'changes' FROM audit_events WHERE tenant_id = $1 AND action = 'settings.changed'",
    )
    .bind(t)
    .fetch_one(&pool)
    .await
    .unwrap();
    let text = changes.to_string();
    assert!(
        text.contains("when_full") && text.contains("evict_idle_minutes"),
        "{text}"
    );
}

/// Over HTTP: `POST /api/license/sign-out`, then the person's heartbeat and
/// a page opened afresh (`/api/session`) answer 401 with `reason`.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_signed_out_browser_is_told_why_on_its_next_request(pool: PgPool) {
    use super::http::{send, session_cookie};
    use axum::http::StatusCode;
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "web", 3).await;
    account(&svc, "web", "boss", "admin").await;
    let ann = account(&svc, "web", "ann", "user").await;
    let app = server::http::router(svc.clone(), None);
    let cookie = |username: &'static str| session_cookie(&app, "web", username);
    let boss = cookie("boss").await;
    let ann_cookie = cookie("ann").await;
    let out = send(
        &app,
        "POST",
        "/api/license/sign-out",
        &serde_json::json!({ "account_id": ann }).to_string(),
        Some(&boss),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.json);
    assert_eq!(out.json["sessions_ended"], 1);
    for path in ["/api/heartbeat", "/api/session"] {
        let reply = send(&app, "POST", path, "{}", Some(&ann_cookie)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(reply.json["code"], "unauthenticated");
        assert_eq!(reply.json["reason"], "signed_out", "{path}");
        assert_eq!(
            reply.json["message"],
            "Your administrator signed you out to free a seat."
        );
        // A page opened afresh is told once: the cookie goes with the answer.
        let cleared = reply
            .headers
            .get(axum::http::header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            cleared.is_some_and(|c| c.contains("Max-Age=0")),
            path == "/api/session",
            "{path}"
        );
    }
    // Without a cookie: no error from /api/session, `no_session` elsewhere.
    let fresh = send(&app, "POST", "/api/session", "{}", None).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert!(fresh.json.is_null());
    let bare = send(&app, "POST", "/api/heartbeat", "{}", None).await;
    assert_eq!(bare.json["reason"], "no_session");
    // A user may not sign anyone out.
    let ann_again = cookie("ann").await;
    let refused = send(
        &app,
        "POST",
        "/api/license/sign-out",
        &serde_json::json!({ "account_id": ann }).to_string(),
        Some(&ann_again),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// Idle means no activity, not no heartbeat: an open tab that only
/// heartbeats loses its seat to the eviction policy; one in use keeps it.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn heartbeats_alone_do_not_make_a_person_active(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "busy", 1).await;
    set_policy(
        &pool,
        t,
        "when_full = 'evict_idle', evict_idle_minutes = 10",
    )
    .await;
    for name in ["ann", "bob", "cat"] {
        account(&svc, "busy", name, "user").await;
    }
    let ann = login(&svc, "busy", "ann").await;
    for _ in 0..4 {
        clock.advance(Duration::minutes(5));
        svc.heartbeat(&meta(Some(&ann)), false).await.unwrap();
    }
    // 20 minutes of heartbeats from an unused tab: idle, so Bob gets the seat.
    let bob = login(&svc, "busy", "bob").await;
    assert_eq!(ended(&svc, &ann).await, Some(SessionEnd::Evicted));
    // Bob keeps using the app (input reported with the heartbeat).
    for _ in 0..4 {
        clock.advance(Duration::minutes(5));
        svc.heartbeat(&meta(Some(&bob)), true).await.unwrap();
    }
    assert_eq!(
        api_err(
            svc.login(&meta(None), "busy", "cat", &Secret::from(PASSWORD))
                .await
        )
        .code,
        ErrorCode::SeatsExhausted
    );
    svc.authenticate(&meta(Some(&bob))).await.unwrap();
}

/// Signing out a person whose session had already lapsed records the lapse,
/// not the sign-out: the usage history must not stretch it to now.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_lapsed_session_ended_later_keeps_its_lapse(pool: PgPool) {
    let clock = clock(); // 09:00
    let svc = services(pool.clone(), clock.clone()).await;
    tenant(&svc, "late", 3).await;
    account(&svc, "late", "ann", "user").await;
    let ann_id = account(&svc, "late", "asleep", "user").await;
    account(&svc, "late", "boss", "admin").await;
    // The administrator's capability is taken first: no sign-in later
    // reclaims the lapsed seat before the sign-out below.
    let admin = admin_of(&svc, "late", "boss").await;
    login(&svc, "late", "asleep").await; // lease 15 minutes, never renewed
    clock.advance(Duration::hours(3));
    let out = svc
        .sign_out_holder(&admin, AccountId::from_uuid(ann_id))
        .await
        .unwrap();
    assert_eq!(out.sessions_ended, 0, "they had gone already");
    let (ended_at, reason): (time::OffsetDateTime, String) =
        sqlx::query_as("SELECT ended_at, end_reason FROM sessions WHERE account_id = $1")
            .bind(ann_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(ended_at, time::macros::datetime!(2026-11-22 09:15 UTC));
    assert_eq!(reason, "lease_expired");
}
