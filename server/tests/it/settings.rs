//! The tenant's password policy and clients.

use super::support::*;
use app::model::NewPassword;
use app::model::{ErrorCode, PasswordPolicy, SaveClientRequest};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_tenant_policy_applies_everywhere_including_the_cli(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "pol", 5).await;
    account(&svc, "pol", "boss", "admin").await;
    let admin = admin_of(&svc, "pol", "boss").await;
    assert_eq!(
        svc.get_settings(&admin).await.unwrap().password_policy,
        PasswordPolicy::default()
    );

    // Out-of-range settings are refused and change nothing.
    let mut settings = svc.get_settings(&admin).await.unwrap();
    settings.password_policy.min_length = 4;
    let err = api_err(svc.update_settings(&admin, &settings).await);
    assert_eq!(err.field.as_deref(), Some("min_length"));
    assert_eq!(audit_count(&pool, t, "settings.changed").await, 0);

    settings.password_policy = PasswordPolicy::nist();
    svc.update_settings(&admin, &settings).await.unwrap();
    assert!(svc
        .get_settings(&admin)
        .await
        .unwrap()
        .password_policy
        .is_nist());
    assert_eq!(audit_count(&pool, t, "settings.changed").await, 1);

    // The old default password (12 characters) no longer passes, and a
    // common long one is refused: from the browser API and the CLI alike.
    let old = api_err(
        svc.create_account(&admin, &account_request("short", "user"))
            .await,
    );
    assert!(old.message.contains("15 to 128"), "{}", old.message);
    let mut common = account_request("common", "user");
    common.new_password = NewPassword::new("1q2w3e4r5t6y7u8i", "1q2w3e4r5t6y7u8i");
    let via_cli = api_err(
        svc.operator_create_account(&operator(), "pol", &common)
            .await,
    );
    assert!(
        via_cli.message.contains("commonly used"),
        "{}",
        via_cli.message
    );
    let mut fine = account_request("fine", "user");
    fine.new_password = NewPassword::new("a long and unusual phrase", "a long and unusual phrase");
    svc.create_account(&admin, &fine).await.unwrap();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn clients_are_created_renamed_archived_and_chosen(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "cli", 5).await;
    tenant(&svc, "other", 5).await;
    account(&svc, "cli", "boss", "admin").await;
    account(&svc, "other", "them", "admin").await;
    let admin = admin_of(&svc, "cli", "boss").await;
    let theirs = admin_of(&svc, "other", "them").await;
    let save = |name: &str| SaveClientRequest {
        id: None,
        version: None,
        name: name.into(),
    };
    let acme = svc.save_client(&admin, &save("Acme")).await.unwrap();
    let globex = svc.save_client(&admin, &save("Globex")).await.unwrap();
    let foreign = svc.save_client(&theirs, &save("Foreign")).await.unwrap();
    let dup = api_err(svc.save_client(&admin, &save(" ACME ")).await);
    assert_eq!(dup.code, ErrorCode::Conflict);
    assert_eq!(
        api_err(svc.save_client(&admin, &save("  ")).await)
            .field
            .as_deref(),
        Some("name")
    );

    // With active clients, a user needs at least one.
    let none = api_err(
        svc.create_account(&admin, &account_request("worker", "user"))
            .await,
    );
    assert_eq!(none.field.as_deref(), Some("clients"));
    // Another tenant's client is refused.
    let mut stolen = account_request("worker", "user");
    stolen.form.clients = vec![foreign.id];
    assert_eq!(
        api_err(svc.create_account(&admin, &stolen).await)
            .field
            .as_deref(),
        Some("clients")
    );
    let mut ok = account_request("worker", "user");
    ok.form.clients = vec![acme.id, globex.id];
    ok.form.case_access = "read_only".into();
    let worker = svc.create_account(&admin, &ok).await.unwrap();
    let details = svc.get_account(&admin, worker.id).await.unwrap();
    assert_eq!(details.clients, vec![acme.id, globex.id]);
    assert_eq!(details.case_access, app::model::CaseAccess::ReadOnly);

    // Rename and archive; the account keeps the archived client, but it
    // cannot be given to anyone new.
    let renamed = svc
        .save_client(
            &admin,
            &SaveClientRequest {
                id: Some(acme.id),
                version: Some(acme.version),
                name: "Acme Corp".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Acme Corp");
    let archived = svc.archive_client(&admin, acme.id, true).await.unwrap();
    assert!(archived.archived);
    assert_eq!(archived.account_count, 1);
    assert_eq!(
        svc.get_account(&admin, worker.id)
            .await
            .unwrap()
            .clients
            .len(),
        2
    );
    let mut late = account_request("late", "user");
    late.form.clients = vec![acme.id];
    assert_eq!(
        api_err(svc.create_account(&admin, &late).await)
            .field
            .as_deref(),
        Some("clients")
    );
    // Nobody else's client can be renamed or archived.
    assert_eq!(
        api_err(svc.archive_client(&theirs, globex.id, true).await).code,
        ErrorCode::NotFound
    );
    for action in ["client.created", "client.renamed", "client.archived"] {
        assert!(audit_count(&pool, t, action).await >= 1, "{action}");
    }
}
