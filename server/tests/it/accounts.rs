//! Account administration: roles, tenants and the rules the server enforces.

use super::support::*;
use app::model::NewPassword;
use app::model::Secret;
use app::model::{AccountId, ErrorCode};
use server::error::Error;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn administrators_create_list_and_delete(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "acme", 5).await;
    account(&svc, "acme", "boss", "admin").await;
    let admin = svc
        .authenticate(&meta(Some(&login(&svc, "acme", "boss").await)))
        .await
        .unwrap()
        .into_admin()
        .unwrap();

    let created = svc
        .create_account(&admin, &account_request("Jane.Doe", "user"))
        .await
        .unwrap();
    assert_eq!(created.username, "Jane.Doe");
    let names: Vec<_> = svc
        .list_accounts(&admin, &Default::default())
        .await
        .unwrap()
        .accounts
        .into_iter()
        .map(|a| a.username)
        .collect();
    assert_eq!(names, ["boss", "Jane.Doe"]);

    // Unique ignoring case, with the field named.
    let dup = api_err(
        svc.create_account(&admin, &account_request("jane.doe", "user"))
            .await,
    );
    assert_eq!(dup.code, ErrorCode::Conflict);
    assert_eq!(dup.field.as_deref(), Some("username"));

    // A policy violation names the field and changes nothing.
    let mut weak = account_request("weak", "user");
    weak.new_password = NewPassword::new("short", "short");
    let err = api_err(svc.create_account(&admin, &weak).await);
    assert_eq!(err.field.as_deref(), Some("password"));
    assert_eq!(
        svc.list_accounts(&admin, &Default::default())
            .await
            .unwrap()
            .total,
        2
    );

    // The new account can sign in, then is deleted and its session ends.
    let token = login(&svc, "acme", "jane.doe").await;
    svc.delete_account(&admin, created.id).await.unwrap();
    assert!(svc.authenticate(&meta(Some(&token))).await.is_err());
    assert_eq!(open_sessions(&pool, t).await, 1);
    assert_eq!(audit_count(&pool, t, "account.created").await, 2);
    assert_eq!(audit_count(&pool, t, "account.deleted").await, 1);
    let details: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'account.deleted'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(details["before"]["username"], "Jane.Doe");
    let all_details: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT details FROM audit_events")
            .fetch_all(&pool)
            .await
            .unwrap();
    for d in all_details {
        let text = d.to_string();
        assert!(
            !text.contains(PASSWORD) && !text.contains("argon2"),
            "secret in audit: {text}"
        );
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn nobody_deletes_themselves(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "self", 5).await;
    let me = account(&svc, "self", "me", "admin").await;
    account(&svc, "self", "other", "admin").await;
    let admin = admin_of(&svc, "self", "me").await;
    let err = api_err(svc.delete_account(&admin, AccountId::from_uuid(me)).await);
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(err.message.contains("your own account"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_last_active_administrator_stays(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "last", 5).await;
    let a1 = account(&svc, "last", "a1", "admin").await;
    let a2 = account(&svc, "last", "a2", "admin").await;
    let as_a1 = admin_of(&svc, "last", "a1").await;
    let as_a2 = admin_of(&svc, "last", "a2").await;
    // Two administrators delete each other at the same moment: the first
    // wins, the second finds a1 is the last active administrator.
    svc.delete_account(&as_a1, AccountId::from_uuid(a2))
        .await
        .unwrap();
    let err = api_err(svc.delete_account(&as_a2, AccountId::from_uuid(a1)).await);
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(
        err.message.contains("last active administrator"),
        "{}",
        err.message
    );
    let count = count_rows(
        &pool,
        "SELECT count(*) FROM accounts WHERE role = 'administrator'",
    )
    .await;
    assert_eq!(count, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn tenants_cannot_touch_each_other(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "alpha", 5).await;
    tenant(&svc, "beta", 5).await;
    account(&svc, "alpha", "admin", "admin").await;
    let victim = account(&svc, "beta", "victim", "user").await;
    let alpha_admin = admin_of(&svc, "alpha", "admin").await;
    let err = api_err(
        svc.delete_account(&alpha_admin, AccountId::from_uuid(victim))
            .await,
    );
    assert_eq!(err.code, ErrorCode::NotFound);
    let listed = svc
        .list_accounts(&alpha_admin, &Default::default())
        .await
        .unwrap();
    assert!(listed.accounts.iter().all(|a| a.username != "victim"));
    // The same username may exist in both tenants.
    account(&svc, "beta", "admin", "admin").await;
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn users_get_no_administrator_capability(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "roles", 5).await;
    account(&svc, "roles", "plain", "user").await;
    let token = login(&svc, "roles", "plain").await;
    let err = api_err(svc.require_admin(&meta(Some(&token))).await);
    assert_eq!(err.code, ErrorCode::Forbidden);
    let err = api_err(svc.require_admin(&meta(None)).await);
    assert_eq!(err.code, ErrorCode::Unauthenticated);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn license_shows_who_holds_seats(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    tenant(&svc, "lic", 3).await;
    account(&svc, "lic", "boss", "admin").await;
    account(&svc, "lic", "worker", "user").await;
    let boss = login(&svc, "lic", "boss").await;
    clock.advance(time::Duration::minutes(1));
    login(&svc, "lic", "worker").await;
    let admin = svc.require_admin(&meta(Some(&boss))).await.unwrap();
    let info = svc.license(&admin).await.unwrap();
    assert_eq!((info.seats_owned, info.seats_in_use), (3, 2));
    let holders: Vec<_> = info.holders.iter().map(|h| h.username.as_str()).collect();
    assert_eq!(holders, ["boss", "worker"]);
    assert_eq!(info.holders[0].full_name, "Test boss");
    assert!(info.holders[0].since < info.holders[1].since);
}

fn edit(id: uuid::Uuid, role: &str, status: &str) -> app::model::UpdateAccountRequest {
    app::model::UpdateAccountRequest {
        id: AccountId::from_uuid(id),
        version: 0,
        form: app::model::AccountForm {
            first_name: "Renamed".into(),
            last_name: "Person".into(),
            email: "renamed@example.org".into(),
            role: role.into(),
            status: status.into(),
            ..app::model::AccountForm::default()
        },
        new_password: NewPassword::default(),
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn edits_are_saved_and_audited_with_before_and_after(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "edit", 5).await;
    account(&svc, "edit", "boss", "admin").await;
    let worker = account(&svc, "edit", "worker", "user").await;
    let admin = admin_of(&svc, "edit", "boss").await;
    let saved = svc
        .update_account(
            &admin,
            &current(&pool, edit(worker, "user", "active")).await,
        )
        .await
        .unwrap();
    assert_eq!(saved.username, "worker", "the username never changes");
    assert_eq!(saved.display_name(), "Renamed Person");
    let details: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_events WHERE action = 'account.updated'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(details["changes"]["first_name"]["before"], "Test");
    assert_eq!(details["changes"]["first_name"]["after"], "Renamed");
    assert!(
        details["changes"].get("role").is_none(),
        "only changed fields"
    );

    // Saving the same values again records nothing.
    svc.update_account(
        &admin,
        &current(&pool, edit(worker, "user", "active")).await,
    )
    .await
    .unwrap();
    assert_eq!(audit_count(&pool, t, "account.updated").await, 1);

    let mut bad = edit(worker, "user", "active");
    bad.form.email = "not-an-email".into();
    let err = api_err(
        svc.update_account(&admin, &current(&pool, bad.clone()).await)
            .await,
    );
    assert_eq!(err.field.as_deref(), Some("email"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn deactivating_ends_sessions_at_once_and_blocks_sign_in(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "deact", 2).await;
    account(&svc, "deact", "boss", "admin").await;
    let worker = account(&svc, "deact", "worker", "user").await;
    let admin = admin_of(&svc, "deact", "boss").await;
    let token = login(&svc, "deact", "worker").await;
    assert_eq!(open_sessions(&pool, t).await, 2);

    svc.update_account(
        &admin,
        &current(&pool, edit(worker, "user", "inactive")).await,
    )
    .await
    .unwrap();
    assert_eq!(
        open_sessions(&pool, t).await,
        1,
        "the seat is freed at once"
    );
    assert!(svc.authenticate(&meta(Some(&token))).await.is_err());
    match svc
        .login(&meta(None), "deact", "worker", &Secret::from(PASSWORD))
        .await
    {
        Err(Error::Api(e)) => {
            assert_eq!(e.code, ErrorCode::AccountInactive);
            assert!(e.message.contains("deactivated"));
        }
        _ => panic!("an inactive account signed in"),
    }
    assert_eq!(audit_count(&pool, t, "account.deactivated").await, 1);

    svc.update_account(
        &admin,
        &current(&pool, edit(worker, "user", "active")).await,
    )
    .await
    .unwrap();
    assert_eq!(audit_count(&pool, t, "account.reactivated").await, 1);
    login(&svc, "deact", "worker").await;
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn administrators_keep_their_own_role_and_the_last_one_stays(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "keep", 5).await;
    let a1 = account(&svc, "keep", "first", "admin").await;
    let a2 = account(&svc, "keep", "second", "admin").await;
    let as_a1 = admin_of(&svc, "keep", "first").await;
    let as_a2 = admin_of(&svc, "keep", "second").await;
    for (role, status) in [("user", "active"), ("administrator", "inactive")] {
        let err = api_err(
            svc.update_account(&as_a1, &current(&pool, edit(a1, role, status)).await)
                .await,
        );
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert!(err.message.contains("your own account"));
    }
    // first demotes second; second (still holding an old capability) can
    // then not demote first, the last active administrator.
    svc.update_account(&as_a1, &current(&pool, edit(a2, "user", "active")).await)
        .await
        .unwrap();
    let err = api_err(
        svc.update_account(&as_a2, &current(&pool, edit(a1, "user", "active")).await)
            .await,
    );
    assert!(
        err.message.contains("last active administrator"),
        "{}",
        err.message
    );
    // Another tenant's account is not found.
    tenant(&svc, "other", 1).await;
    let stranger = account(&svc, "other", "stranger", "user").await;
    let err = api_err(
        svc.update_account(
            &as_a1,
            &current(&pool, edit(stranger, "user", "inactive")).await,
        )
        .await,
    );
    assert_eq!(err.code, ErrorCode::NotFound);
}
