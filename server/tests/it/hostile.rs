//! The classes of fault found by replaying other products' public bug
//! reports (#25), each tested from its rule: a sign-in replaces the
//! browser's session, hostile text is refused naming its field, look-alike
//! usernames are one username, refusals are audited (but cannot flood the
//! trail), the current password cannot be guessed through an open session,
//! and a row deleted under an edit is a conflict, never a fault.

use super::http::{send, session_cookie};
use super::support::*;
use app::model::permissions::{SaveFormRequest, SaveGroupRequest};
use app::model::NewPassword;
use app::model::Secret;
use app::model::{ChangePasswordRequest, ErrorCode};
use http::StatusCode;
use serde_json::json;
use server::domain::refusals::PER_WINDOW;
use sqlx::PgPool;
use time::Duration;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn signing_in_over_a_live_session_ends_it_and_frees_its_seat(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    // One seat: B can only sign in if A's session on this browser goes first.
    let t = tenant(&svc, "desk", 1).await;
    account(&svc, "desk", "anna", "user").await;
    account(&svc, "desk", "ben", "user").await;
    let anna = login(&svc, "desk", "anna").await;
    let ben = svc
        .login(&meta(Some(&anna)), "desk", "ben", &Secret::from(PASSWORD))
        .await
        .expect("ben signs in on the browser anna left signed in")
        .token;
    assert!(svc
        .try_authenticate(&meta(Some(&anna)))
        .await
        .unwrap()
        .is_none());
    assert!(svc
        .try_authenticate(&meta(Some(ben.expose())))
        .await
        .unwrap()
        .is_some());
    assert_eq!(open_sessions(&pool, t).await, 1);
    assert_eq!(audit_count(&pool, t, "logout").await, 1);
    // Signing in again as oneself also gets a new token (ASVS V7.2.4).
    let again = login_with(&svc, Some(ben.expose()), "ben").await;
    assert_ne!(again, ben.expose());
    assert!(svc
        .try_authenticate(&meta(Some(ben.expose())))
        .await
        .unwrap()
        .is_none());
    // A refused sign-in leaves the browser's session alone.
    let wrong = svc
        .login(
            &meta(Some(&again)),
            "desk",
            "anna",
            &Secret::from("not the password"),
        )
        .await;
    assert_eq!(api_err(wrong).code, ErrorCode::InvalidCredentials);
    assert!(svc
        .try_authenticate(&meta(Some(&again)))
        .await
        .unwrap()
        .is_some());
}

async fn login_with(svc: &server::domain::Services, cookie: Option<&str>, who: &str) -> String {
    svc.login(&meta(cookie), "desk", who, &Secret::from(PASSWORD))
        .await
        .unwrap()
        .token
        .into_exposed()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn look_alike_usernames_are_the_same_username_or_refused(pool: PgPool) {
    let (svc, _, admin) = tenant_with_admin(&pool, "alike").await;
    svc.create_account(&admin, &account_request("bob", "user"))
        .await
        .unwrap();
    // Full-width letters are width-mapped (RFC 8265 §3.3.1): the same name.
    let fullwidth = api_err(
        svc.create_account(&admin, &account_request("ｂｏｂ", "user"))
            .await,
    );
    assert_eq!(
        (fullwidth.code, fullwidth.field.as_deref()),
        (ErrorCode::Conflict, Some("username"))
    );
    // Styled and modifier letters are refused (HasCompat, RFC 8264 §9.17).
    for styled in ["𝐛𝐨𝐛", "ᵇᵒᵇ", "ⓑⓞⓑ", "b\u{200B}ob", "bo\u{202E}b"] {
        let mut request = account_request("x", "user");
        request.username = styled.into();
        let refused = api_err(svc.create_account(&admin, &request).await);
        assert_eq!(
            (refused.code, refused.field.as_deref()),
            (ErrorCode::Validation, Some("username")),
            "{styled}"
        );
        assert!(
            refused.message.contains("U+"),
            "{styled}: {}",
            refused.message
        );
    }
    // Signing in with the full-width spelling finds bob.
    assert!(svc
        .login(&meta(None), "alike", "ＢＯＢ", &Secret::from(PASSWORD))
        .await
        .is_ok());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn migrate_reports_usernames_that_now_collide(pool: PgPool) {
    let (svc, t, admin) = tenant_with_admin(&pool, "old").await;
    svc.create_account(&admin, &account_request("bob", "user"))
        .await
        .unwrap();
    svc.create_account(&admin, &account_request("carl", "user"))
        .await
        .unwrap();
    // An account made before the rule: its username spelled in
    // mathematical bold, keyed as it was then.
    sqlx::query("UPDATE accounts SET username = '𝐛𝐨𝐛', username_key = '𝐛𝐨𝐛' WHERE tenant_id = $1 AND username = 'carl'")
        .bind(t)
        .execute(&pool)
        .await
        .unwrap();
    let refreshed = server::domain::text_keys::refresh(&app_pool(&pool).await)
        .await
        .unwrap();
    assert_eq!(refreshed.conflicts.len(), 1, "{:?}", refreshed.conflicts);
    assert!(refreshed.conflicts[0].contains("𝐛𝐨𝐛"));
    // Reported, never merged: both accounts are still there.
    assert_eq!(
        count_rows(
            &pool,
            "SELECT count(*) FROM accounts WHERE username IN ('bob', '𝐛𝐨𝐛')"
        )
        .await,
        2
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invisible_and_direction_changing_characters_are_refused_in_every_name(pool: PgPool) {
    let (svc, _, admin) = tenant_with_admin(&pool, "names").await;
    for bad in [
        "\u{202E}", "\u{2066}", "\u{200B}", "\u{FEFF}", "\u{00AD}", "\u{E000}",
    ] {
        let name = format!("Ann{bad}a");
        let mut person = account_request("ann", "user");
        person.form.first_name = name.clone();
        let refused = api_err(svc.create_account(&admin, &person).await);
        assert_eq!(refused.field.as_deref(), Some("first_name"), "{bad:?}");
        assert!(refused.message.contains("U+"), "{}", refused.message);
        let group = SaveGroupRequest {
            id: None,
            version: None,
            name: name.clone(),
            description: String::new(),
        };
        let refused = api_err(svc.save_group(&admin, &group).await);
        assert_eq!(refused.field.as_deref(), Some("name"), "group {bad:?}");
        let described = SaveGroupRequest {
            id: None,
            version: None,
            name: "Plain".into(),
            description: name.clone(),
        };
        let refused = api_err(svc.save_group(&admin, &described).await);
        assert_eq!(refused.field.as_deref(), Some("description"), "{bad:?}");
        let form = SaveFormRequest {
            id: None,
            version: None,
            name: name.clone(),
        };
        let refused = api_err(svc.save_form(&admin, &form).await);
        assert_eq!(refused.field.as_deref(), Some("name"), "form {bad:?}");
        let client = app::model::SaveClientRequest {
            id: None,
            version: None,
            name: name.clone(),
        };
        let refused = api_err(svc.save_client(&admin, &client).await);
        assert_eq!(refused.field.as_deref(), Some("name"), "client {bad:?}");
        let refused = api_err(svc.create_api_token(&admin, &name).await);
        assert_eq!(refused.code, ErrorCode::Validation, "token {bad:?}");
    }
    // Scripts that need the joiners keep them: a Persian name with a
    // zero-width non-joiner, and a description on two lines.
    let mut persian = account_request("mina", "user");
    persian.form.first_name = "می\u{200C}خواهم".into();
    svc.create_account(&admin, &persian).await.unwrap();
    let described = SaveGroupRequest {
        id: None,
        version: None,
        name: "Night shift".into(),
        description: "Line one\nline two".into(),
    };
    svc.save_group(&admin, &described).await.unwrap();
}

/// NUL reaches no query (#25): every text of every body is refused with the
/// field's path, and sign-in answers 400, never 500.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn nul_in_any_text_is_a_400_naming_the_field(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "nul", 5).await;
    account(&svc, "nul", "admin", "admin").await;
    let app = server::http::router(svc.clone(), None);
    let cookie = session_cookie(&app, "nul", "admin").await;
    for (path, body, field) in [
        (
            "/api/login",
            json!({"tenant": "nul", "username": "ad\u{0}min", "password": "x"}),
            "username",
        ),
        (
            "/api/password/forgot",
            json!({"tenant": "nul", "username": "a\u{0}"}),
            "username",
        ),
        (
            "/api/accounts/list",
            json!({"query": {"search": "a\u{0}b"}}),
            "query.search",
        ),
        (
            "/api/audit/list",
            json!({"query": {"actor": "\u{0}"}}),
            "query.actor",
        ),
        (
            "/api/access/check",
            json!({"username": "admin", "form": "Time\u{0}sheet", "column": "Hours"}),
            "form",
        ),
        (
            "/api/groups/save",
            json!({"group": {"name": "G", "description": "a\u{0}"}}),
            "group.description",
        ),
    ] {
        let reply = send(&app, "POST", path, &body.to_string(), Some(&cookie)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.json
        );
        assert_eq!(reply.json["field"], field, "{path}: {}", reply.json);
        assert!(reply.json["message"].as_str().unwrap().contains("U+0000"));
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn refused_calls_are_audited_and_a_flood_is_counted_not_stored(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "deny", 5).await;
    let other = tenant(&svc, "else", 5).await;
    account(&svc, "deny", "admin", "admin").await;
    account(&svc, "deny", "user", "user").await;
    let stranger = account(&svc, "else", "stranger", "user").await;
    let app = server::http::router(svc.clone(), None);
    let user = session_cookie(&app, "deny", "user").await;
    let admin = session_cookie(&app, "deny", "admin").await;
    let target = json!({ "id": stranger }).to_string();

    // A user tries an administrator's operation: 403, audited with who,
    // what and which id.
    let reply = send(&app, "POST", "/api/accounts/delete", &target, Some(&user)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let (actor, label, details): (String, String, serde_json::Value) = sqlx::query_as(
        "SELECT actor_label, target_label, details FROM audit_events
         WHERE tenant_id = $1 AND action = 'access.denied'",
    )
    .bind(t)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (actor.as_str(), label.as_str()),
        ("user", "/api/accounts/delete")
    );
    assert_eq!(details["code"], "forbidden");
    assert_eq!(details["ids"][0], stranger.to_string());

    // An administrator reaches for another organisation's account: 404,
    // audited in their own organisation, nothing in the other.
    let reply = send(&app, "POST", "/api/accounts/get", &target, Some(&admin)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(audit_count(&pool, t, "access.denied").await, 2);
    assert_eq!(audit_count(&pool, other, "access.denied").await, 0);

    // A flood: the user's first PER_WINDOW refusals a minute are stored,
    // the rest counted; the next minute's first event says how many.
    for _ in 0..30 {
        send(&app, "POST", "/api/accounts/delete", &target, Some(&user)).await;
    }
    let stored = PER_WINDOW as i64 + 1; // with the admin's one
    assert_eq!(audit_count(&pool, t, "access.denied").await, stored);
    clock.advance(Duration::seconds(61));
    send(&app, "POST", "/api/accounts/delete", &target, Some(&user)).await;
    let details = last_audit_details(&pool, t, "access.denied").await;
    assert_eq!(details["suppressed_before"], 31 - PER_WINDOW, "{details}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn throttled_sign_ins_are_audited(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "slow", 5).await;
    account(&svc, "slow", "sam", "user").await;
    let mut throttled = false;
    for _ in 0..40 {
        let err = api_err(
            svc.login(&meta(None), "slow", "sam", &Secret::from("wrong password"))
                .await,
        );
        if err.code == ErrorCode::TooManyAttempts {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "the throttle never answered 429");
    assert_eq!(audit_count(&pool, t, "login.refused_throttled").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_current_password_cannot_be_guessed_through_an_open_session(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "guess", 5).await;
    account(&svc, "guess", "vic", "user").await;
    let token = login(&svc, "guess", "vic").await;
    let caller = svc.authenticate(&meta(Some(&token))).await.unwrap();
    let guess = |current: &str| ChangePasswordRequest {
        current_password: current.into(),
        new_password: NewPassword::new("A brand new pass 9!", "A brand new pass 9!"),
    };
    let mut wrong = 0;
    let throttled = loop {
        let err = api_err(
            svc.change_password(&caller, &guess(&format!("guess {wrong}")))
                .await,
        );
        match err.code {
            ErrorCode::Validation => {
                assert_eq!(err.field.as_deref(), Some("current_password"));
                wrong += 1;
                assert!(wrong < 40, "never throttled");
            }
            ErrorCode::TooManyAttempts => break err,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(throttled.retry_after.is_some());
    assert_eq!(
        audit_count(&pool, t, "password.change_failed").await,
        wrong + 1
    );
    // Even the right password waits now.
    let err = api_err(svc.change_password(&caller, &guess(PASSWORD)).await);
    assert_eq!(err.code, ErrorCode::TooManyAttempts);
}

/// A row deleted by a concurrent request (a group removed while another
/// administrator saves its permissions) is a conflict with a message, not a
/// server fault: the foreign-key violation Postgres reports is mapped once,
/// for every table.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_row_deleted_under_an_edit_is_a_conflict(pool: PgPool) {
    let (svc, t, admin) = tenant_with_admin(&pool, "race").await;
    let group = svc
        .save_group(
            &admin,
            &SaveGroupRequest {
                id: None,
                version: None,
                name: "Doomed".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    // What the edit's INSERT meets once the delete has committed.
    let app = app_pool(&pool).await;
    let mut tx = server::db::begin(&app, server::db::Scope::Tenant(t))
        .await
        .unwrap();
    sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(group.id.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    let fault = sqlx::query(
        "INSERT INTO account_groups (tenant_id, account_id, group_id)
         SELECT tenant_id, id, $2 FROM accounts WHERE tenant_id = $1 LIMIT 1",
    )
    .bind(t)
    .bind(group.id.as_uuid())
    .execute(&mut *tx)
    .await
    .unwrap_err();
    let answered = app::model::ApiError::from(server::error::Error::Db(fault));
    assert_eq!(answered.code, ErrorCode::Conflict);
    assert!(answered.message.contains("Reload"));
    let vanished = app::model::ApiError::from(server::error::Error::Db(sqlx::Error::RowNotFound));
    assert_eq!(vanished.code, ErrorCode::Conflict);
}

/// A flood that types a new name on every attempt is still one actor: once
/// the address is throttled, its refusals are audited at most
/// `PER_WINDOW` a minute however many names it makes up (#25 review).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_flood_of_made_up_names_from_one_address_is_one_actor(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "flood", 5).await;
    let mut throttled = 0;
    for i in 0..80 {
        let who = format!("nobody-{i}");
        let err = api_err(
            svc.login(&meta(None), "flood", &who, &Secret::from("wrong password"))
                .await,
        );
        if err.code == ErrorCode::TooManyAttempts {
            throttled += 1;
        }
    }
    assert!(
        throttled > PER_WINDOW,
        "only {throttled} attempts were throttled"
    );
    assert_eq!(
        audit_count(&pool, t, "login.refused_throttled").await,
        i64::from(PER_WINDOW)
    );
    // Every label stays short, whatever was typed.
    let long = "x".repeat(5_000);
    let _ = svc
        .login(&meta(None), "flood", &long, &Secret::from("wrong password"))
        .await;
    let longest: i32 = sqlx::query_scalar(
        "SELECT max(length(actor_label)) FROM audit_events WHERE tenant_id = $1",
    )
    .bind(t)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(longest <= 200, "{longest}");
}
