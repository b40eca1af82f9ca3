//! The account lifecycle at sign-in: expiry, forced and periodic password
//! changes, reactivation and administrator resets. The clock is moved, never
//! slept on.

use super::support::*;
use app::model::NewPassword;
use app::model::Secret;
use app::model::{
    AccountForm, AccountId, ChangePasswordRequest, ErrorCode, ResetPasswordRequest,
    UpdateAccountRequest,
};
use sqlx::PgPool;
use time::Duration;

fn with_form(id: uuid::Uuid, f: impl FnOnce(&mut AccountForm)) -> UpdateAccountRequest {
    let mut form = AccountForm {
        first_name: "Test".into(),
        last_name: "person".into(),
        email: "person@example.org".into(),
        ..AccountForm::default()
    };
    f(&mut form);
    UpdateAccountRequest {
        id: AccountId::from_uuid(id),
        version: 0,
        form,
        new_password: NewPassword::default(),
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_account_expires_at_midnight_utc_and_its_seat_is_freed(pool: PgPool) {
    let clock = clock(); // 2026-11-22 09:00 UTC
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "exp", 2).await;
    // A day-long lease, so sessions live through the day without heartbeats.
    day_long_lease(&pool, t).await;
    account(&svc, "exp", "boss", "admin").await;
    let mut request = account_request("temp", "user");
    request.form.expires_on = "2026-11-23".into();
    let admin = admin_of(&svc, "exp", "boss").await;
    let temp = svc.create_account(&admin, &request).await.unwrap();
    assert!(!temp.expired);
    let token = login(&svc, "exp", "temp").await;
    assert_eq!(open_sessions(&pool, t).await, 2, "both seats held");

    // One minute before midnight it still works; at midnight it does not.
    clock.advance(Duration::hours(14) + Duration::minutes(59));
    assert!(svc.authenticate(&meta(Some(&token))).await.is_ok());
    clock.advance(Duration::minutes(1));
    assert!(svc.authenticate(&meta(Some(&token))).await.is_err());
    let refused = api_err(
        svc.login(&meta(None), "exp", "temp", &Secret::from(PASSWORD))
            .await,
    );
    assert_eq!(refused.code, ErrorCode::AccountExpired);
    assert!(refused.message.contains("expired"));
    assert_eq!(audit_count(&pool, t, "login.refused_expired").await, 1);

    // Its seat is free at once: someone else gets in on a 2-seat tenant
    // where the expired session was never signed out.
    account(&svc, "exp", "other", "user").await;
    login(&svc, "exp", "other").await;
    let reason: String = sqlx::query_scalar(
        "SELECT end_reason FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'temp'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(reason, "account_expired");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn reactivating_an_expired_account_requires_a_new_password(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let (t, admin) = tenant_with_boss(&svc, "react").await;
    let mut request = account_request("temp", "user");
    request.form.expires_on = "2026-11-25".into();
    let temp = svc.create_account(&admin, &request).await.unwrap();
    clock.advance(Duration::days(5));
    let admin = admin_of(&svc, "react", "boss").await;
    let listed = svc.get_account(&admin, temp.id).await.unwrap();
    assert!(listed.summary.expired);

    // Editing other fields while keeping the past date is allowed.
    let keep = with_form(temp.id.as_uuid(), |f| {
        f.last_name = "Kept".into();
        f.expires_on = "2026-11-25".into();
    });
    assert!(
        svc.update_account(&admin, &current(&pool, keep.clone()).await)
            .await
            .unwrap()
            .expired
    );

    // Clearing the date without a password is refused and changes nothing.
    let clear = with_form(temp.id.as_uuid(), |_| {});
    let err = api_err(
        svc.update_account(&admin, &current(&pool, clear.clone()).await)
            .await,
    );
    assert_eq!(err.field.as_deref(), Some("password"));
    assert!(listed_expired(&svc, &admin, temp.id).await);

    // With a new password it is reactivated, audited, and the old password is dead.
    let mut with_password = clear.clone();
    with_password.new_password = NewPassword::new("Brand new 2!", "Brand new 2!");
    let saved = svc
        .update_account(&admin, &current(&pool, with_password.clone()).await)
        .await
        .unwrap();
    assert!(!saved.expired);
    assert_eq!(audit_count(&pool, t, "account.reactivated").await, 1);
    assert!(svc
        .login(&meta(None), "react", "temp", &Secret::from(PASSWORD))
        .await
        .is_err());
    svc.login(&meta(None), "react", "temp", &Secret::from("Brand new 2!"))
        .await
        .unwrap();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn must_change_restricts_the_session_to_setting_a_new_password(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let (t, admin) = tenant_with_boss(&svc, "must").await;
    let mut request = account_request("newbie", "administrator");
    request.form.must_change_password = true;
    svc.create_account(&admin, &request).await.unwrap();

    // Signs in (and holds a seat) but may do nothing else.
    let done = svc
        .login(&meta(None), "must", "newbie", &Secret::from(PASSWORD))
        .await
        .unwrap();
    assert!(done.session.password_change_required);
    assert_eq!(open_sessions(&pool, t).await, 2);
    let m = meta(Some(done.token.expose()));
    let refused = api_err(svc.require_admin(&m).await);
    assert_eq!(refused.code, ErrorCode::PasswordChangeRequired);
    assert_eq!(refused.status(), 403);
    assert!(
        svc.authenticate_restricted(&m).await.is_ok(),
        "heartbeat works"
    );

    // The new password must meet the policy and differ from the old one.
    let caller = svc.authenticate_restricted(&m).await.unwrap();
    let same = ChangePasswordRequest {
        current_password: PASSWORD.into(),
        new_password: NewPassword::new(PASSWORD, PASSWORD),
    };
    assert_eq!(
        api_err(svc.change_password(&caller, &same).await)
            .field
            .as_deref(),
        Some("password")
    );
    let wrong = ChangePasswordRequest {
        current_password: "not it 1!".into(),
        new_password: NewPassword::new("Mine now 12!", "Mine now 12!"),
    };
    assert_eq!(
        api_err(svc.change_password(&caller, &wrong).await)
            .field
            .as_deref(),
        Some("current_password")
    );
    let good = ChangePasswordRequest {
        current_password: PASSWORD.into(),
        ..wrong
    };
    let info = svc.change_password(&caller, &good).await.unwrap();
    assert!(!info.password_change_required);
    // The same session now works in full.
    assert!(svc.require_admin(&m).await.is_ok());
    assert_eq!(audit_count(&pool, t, "password.changed").await, 1);
}

/// ASVS 5.0 V7.4.3: a new password ends the account's other sessions (the
/// laptop left signed in, whoever had the old password); the session that
/// changed it stays.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn changing_your_password_signs_out_your_other_devices(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "devices", 5).await;
    account(&svc, "devices", "pat", "user").await;
    let laptop = login(&svc, "devices", "pat").await;
    let phone = login(&svc, "devices", "pat").await;
    assert_eq!(open_sessions(&pool, t).await, 2);
    let caller = svc.authenticate(&meta(Some(&phone))).await.unwrap();
    svc.change_password(
        &caller,
        &ChangePasswordRequest {
            current_password: PASSWORD.into(),
            new_password: NewPassword::new("Fresh-pass 42!", "Fresh-pass 42!"),
        },
    )
    .await
    .unwrap();
    let ended = api_err(svc.authenticate(&meta(Some(&laptop))).await);
    assert_eq!(ended.code, ErrorCode::Unauthenticated);
    assert!(
        ended.message.contains("password was changed"),
        "{}",
        ended.message
    );
    assert!(svc.authenticate(&meta(Some(&phone))).await.is_ok());
    assert_eq!(
        open_sessions(&pool, t).await,
        1,
        "the laptop's seat is free"
    );
    let details: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE tenant_id = $1 AND action = 'password.changed'",
    )
    .bind(t)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(details["other_sessions_ended"], 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn rotation_comes_due_after_the_policy_interval(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let (t, admin) = tenant_with_boss(&svc, "rot").await;
    // A day-long lease, so sessions live through the day without heartbeats.
    day_long_lease(&pool, t).await;
    let mut request = account_request("rotator", "user");
    request.form.rotate_password = true;
    svc.create_account(&admin, &request).await.unwrap();
    let anonymous = meta(None);
    let password = Secret::from(PASSWORD);
    let login = || svc.login(&anonymous, "rot", "rotator", &password);
    assert!(!login().await.unwrap().session.password_change_required);
    // A day short of the interval: still free. A session opened then works
    // until the interval ends, and is restricted from that moment on.
    clock.advance(Duration::days(89));
    let almost = login().await.unwrap();
    assert!(!almost.session.password_change_required);
    let open = meta(Some(almost.token.expose()));
    assert!(svc.authenticate(&open).await.is_ok());
    clock.advance(Duration::hours(23) + Duration::minutes(50));
    assert!(svc.authenticate(&open).await.is_ok());
    clock.advance(Duration::minutes(10));
    assert_eq!(
        api_err(svc.authenticate(&open).await).code,
        ErrorCode::PasswordChangeRequired
    );
    let due = login().await.unwrap();
    assert!(due.session.password_change_required);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_administrator_reset_forces_a_change_and_ends_sessions(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "reset", 5).await;
    account(&svc, "reset", "boss", "admin").await;
    let worker = account(&svc, "reset", "worker", "user").await;
    let token = login(&svc, "reset", "worker").await;
    let admin = admin_of(&svc, "reset", "boss").await;
    let reset = |password: &str| ResetPasswordRequest {
        id: AccountId::from_uuid(worker),
        new_password: NewPassword::new(password, password),
        must_change_password: true,
    };
    // The current password is in the history (last 3 by default).
    let reused = api_err(svc.reset_password(&admin, &reset(PASSWORD)).await);
    assert!(
        reused.message.contains("used recently"),
        "{}",
        reused.message
    );
    svc.reset_password(&admin, &reset("Temporary 77!"))
        .await
        .unwrap();
    assert!(
        svc.authenticate(&meta(Some(&token))).await.is_err(),
        "signed out"
    );
    let next = svc
        .login(
            &meta(None),
            "reset",
            "worker",
            &Secret::from("Temporary 77!"),
        )
        .await
        .unwrap();
    assert!(next.session.password_change_required);
    assert_eq!(audit_count(&pool, t, "password.reset").await, 1);
    // Nobody resets their own password this way.
    let own = ResetPasswordRequest {
        id: admin.account_id,
        ..reset("Whatever 99!")
    };
    assert_eq!(
        api_err(svc.reset_password(&admin, &own).await).code,
        ErrorCode::Forbidden
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn directory_accounts_need_a_connected_directory(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let (_, admin) = tenant_with_boss(&svc, "ad").await;
    let request = directory_account("alice", "user");
    let off = api_err(svc.create_account(&admin, &request).await);
    assert_eq!(off.field.as_deref(), Some("account_type"));

    // The general settings do not switch directory sign-in on.
    let mut settings = svc.get_settings(&admin).await.unwrap();
    settings.directory_signin_enabled = true;
    svc.update_settings(&admin, &settings).await.unwrap();
    assert!(
        !svc.get_settings(&admin)
            .await
            .unwrap()
            .directory_signin_enabled
    );
    assert_eq!(
        api_err(svc.create_account(&admin, &request).await)
            .field
            .as_deref(),
        Some("account_type")
    );

    connect_directory(&svc, &admin).await;
    assert!(
        svc.get_settings(&admin)
            .await
            .unwrap()
            .directory_signin_enabled
    );
    let created = svc.create_account(&admin, &request).await.unwrap();
    let details = svc.get_account(&admin, created.id).await.unwrap();
    assert!(!details.has_password);

    // Its names come from the directory: not editable here.
    let rename = with_form(created.id.as_uuid(), |f| {
        f.first_name = "Changed".into();
        f.last_name = "Anderson".into();
        f.email = "alice@rc.test".into();
    });
    assert_eq!(
        api_err(
            svc.update_account(&admin, &current(&pool, rename.clone()).await)
                .await
        )
        .field
        .as_deref(),
        Some("first_name")
    );
}
