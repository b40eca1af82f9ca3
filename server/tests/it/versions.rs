//! Lost updates (#25): an edit based on an older version of a record than
//! the stored one is refused as `409 stale` with the record as it is now,
//! and changes nothing. Two administrators, one page each.

use super::http::{send, session_cookie};
use super::support::*;
use app::model::permissions::{SaveColumnRequest, SaveFormRequest, SaveGroupRequest};
use app::model::{ErrorCode, SaveClientRequest};
use http::StatusCode;
use serde_json::json;
use server::domain::Services;
use sqlx::PgPool;

/// `answer` must be `409 stale`, with the record's `field` now `value`.
fn assert_stale<T: std::fmt::Debug>(
    answer: Result<T, server::error::Error>,
    field: &str,
    value: serde_json::Value,
) -> app::model::ApiError {
    let refused = api_err(answer);
    assert_eq!(refused.code, ErrorCode::Stale);
    assert_eq!(
        refused.current.as_ref().expect("the record now")[field],
        value,
        "{field}"
    );
    refused
}

async fn two_admins(
    pool: &PgPool,
) -> (
    Services,
    uuid::Uuid,
    [server::domain::caller::AdminCaller; 2],
) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "two", 10).await;
    account(&svc, "two", "ada", "admin").await;
    account(&svc, "two", "bea", "admin").await;
    let ada = admin_of(&svc, "two", "ada").await;
    let bea = admin_of(&svc, "two", "bea").await;
    (svc, t, [ada, bea])
}

/// An account and a group made by `admin`.
async fn account_and_group(
    svc: &Services,
    admin: &server::domain::caller::AdminCaller,
    username: &str,
    group: &str,
) -> (app::model::AccountId, app::model::permissions::Group) {
    let id = svc
        .create_account(admin, &account_request(username, "user"))
        .await
        .unwrap()
        .id;
    let group = svc
        .save_group(
            admin,
            &SaveGroupRequest {
                id: None,
                version: None,
                name: group.into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    (id, group)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_account_edit_from_an_older_page_puts_nothing_back(pool: PgPool) {
    let (svc, _, [ada, bea]) = two_admins(&pool).await;
    let id = svc
        .create_account(&ada, &account_request("sam", "user"))
        .await
        .unwrap()
        .id;
    // Both open the account.
    let ada_page = svc.get_account(&ada, id).await.unwrap();
    let bea_page = svc.get_account(&bea, id).await.unwrap();
    // Ada saves a new last name.
    let saved = svc
        .update_account(&ada, &edit_of(&ada_page, |f| f.last_name = "Smith".into()))
        .await
        .unwrap();
    assert!(saved.version > ada_page.summary.version);
    // Bea, whose page is older, saves a new email: refused, nothing changed.
    let email = edit_of(&bea_page, |f| f.email = "sam@new.example".into());
    let refused = assert_stale(
        svc.update_account(&bea, &email).await,
        "last_name",
        json!("Smith"),
    );
    assert!(refused
        .message
        .contains("changed by someone else since you opened it"));
    let current = refused.current.expect("the account as it is now");
    assert_eq!(current["last_name"], "Smith");
    assert_eq!(current["version"], saved.version);
    let now = svc.get_account(&ada, id).await.unwrap();
    assert_eq!(
        (now.summary.last_name.as_str(), now.summary.email.as_str()),
        ("Smith", "sam@example.org")
    );
    // Reloaded, her edit goes through and keeps Ada's.
    let again = svc
        .update_account(&bea, &edit_of(&now, |f| f.email = "sam@new.example".into()))
        .await
        .unwrap();
    assert_eq!(
        (again.last_name.as_str(), again.email.as_str()),
        ("Smith", "sam@new.example")
    );
    // The answer's version is the stored one: the same page saves again.
    let page = svc.get_account(&bea, id).await.unwrap();
    assert_eq!(page.summary.version, again.version);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn memberships_and_deleted_groups_count_as_changes(pool: PgPool) {
    let (svc, _, [ada, bea]) = two_admins(&pool).await;
    let (id, group) = account_and_group(&svc, &ada, "kim", "Night shift").await;
    let page = svc.get_account(&ada, id).await.unwrap();
    svc.update_account(&ada, &edit_of(&page, |f| f.groups = vec![group.id]))
        .await
        .unwrap();
    let bea_page = svc.get_account(&bea, id).await.unwrap();
    // The group goes while Bea has the account open: her save would put
    // back a membership of a group that no longer exists.
    svc.delete_group(&ada, group.id, true).await.unwrap();
    let name = edit_of(&bea_page, |f| f.first_name = "Kimberly".into());
    assert_stale(svc.update_account(&bea, &name).await, "groups", json!([]));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn renames_from_an_older_page_are_stale(pool: PgPool) {
    let (svc, _, [ada, bea]) = two_admins(&pool).await;
    // Groups.
    let group = svc
        .save_group(
            &ada,
            &SaveGroupRequest {
                id: None,
                version: None,
                name: "Desk".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let rename = |name: &str, version| SaveGroupRequest {
        id: Some(group.id),
        version,
        name: name.into(),
        description: String::new(),
    };
    svc.save_group(&ada, &rename("Front desk", Some(group.version)))
        .await
        .unwrap();
    assert_stale(
        svc.save_group(&bea, &rename("Reception", Some(group.version)))
            .await,
        "name",
        json!("Front desk"),
    );
    let missing = api_err(svc.save_group(&bea, &rename("Reception", None)).await);
    assert_eq!(
        (missing.code, missing.field.as_deref()),
        (ErrorCode::Validation, Some("version"))
    );
    let listed = svc.list_groups(&bea).await.unwrap();
    let now = listed.iter().find(|g| g.id == group.id).unwrap();
    assert_eq!(now.name, "Front desk");
    svc.save_group(&bea, &rename("Reception", Some(now.version)))
        .await
        .unwrap();

    // Forms and columns.
    let forms = svc.catalogue(&ada).await.unwrap();
    let form = forms[0].clone();
    let column = form.columns[0].clone();
    let form_rename = |name: &str| SaveFormRequest {
        id: Some(form.id),
        version: Some(form.version),
        name: name.into(),
    };
    svc.save_form(&ada, &form_rename("Renamed by Ada"))
        .await
        .unwrap();
    let refused = api_err(svc.save_form(&bea, &form_rename("Renamed by Bea")).await);
    assert_eq!(refused.code, ErrorCode::Stale);
    // Retiring counts as a change of the column too.
    svc.retire_column(&ada, column.id, true).await.unwrap();
    assert_stale(
        svc.save_column(
            &bea,
            &SaveColumnRequest {
                form: form.id,
                id: Some(column.id),
                version: Some(column.version),
                name: "Minutes".into(),
            },
        )
        .await,
        "retired",
        json!(true),
    );

    // Clients.
    let client = new_client(&svc, &ada, "Acme").await;
    svc.archive_client(&ada, client.id, true).await.unwrap();
    assert_stale(
        svc.save_client(
            &bea,
            &SaveClientRequest {
                id: Some(client.id),
                version: Some(client.version),
                name: "Acme Corp".into(),
            },
        )
        .await,
        "archived",
        json!(true),
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn settings_and_the_directory_from_an_older_page_are_stale(pool: PgPool) {
    let (svc, _, [ada, bea]) = two_admins(&pool).await;
    let ada_page = svc.get_settings(&ada).await.unwrap();
    let bea_page = svc.get_settings(&bea).await.unwrap();
    let saved = svc
        .update_settings(
            &ada,
            &app::model::TenantSettings {
                invitation_hours: 24,
                ..ada_page.clone()
            },
        )
        .await
        .unwrap();
    assert!(saved.version > ada_page.version);
    let refused = api_err(
        svc.update_settings(
            &bea,
            &app::model::TenantSettings {
                seat_alerts: false,
                ..bea_page
            },
        )
        .await,
    );
    assert_eq!(refused.code, ErrorCode::Stale);
    assert!(refused
        .message
        .starts_with("These settings were changed by someone else"));
    assert_eq!(refused.current.unwrap()["invitation_hours"], 24);
    assert_eq!(svc.get_settings(&bea).await.unwrap().invitation_hours, 24);
    // The answer's version saves again from the same page.
    svc.update_settings(
        &ada,
        &app::model::TenantSettings {
            seat_alerts: false,
            ..saved
        },
    )
    .await
    .unwrap();

    let directory = |url: &str, version| app::model::directory::SaveDirectoryRequest {
        enabled: false,
        url: url.into(),
        upn_suffix: "two.example".into(),
        base_dn: "DC=two,DC=example".into(),
        version,
        ..Default::default()
    };
    assert_eq!(svc.get_directory(&ada).await.unwrap().version, 0);
    let first = svc
        .save_directory(&ada, &directory("ldaps://dc1.two.example", Some(0)))
        .await
        .unwrap();
    assert_stale(
        svc.save_directory(&bea, &directory("ldaps://dc2.two.example", Some(0)))
            .await,
        "url",
        json!("ldaps://dc1.two.example"),
    );
    svc.save_directory(
        &bea,
        &directory("ldaps://dc2.two.example", Some(first.version)),
    )
    .await
    .unwrap();
}

/// Through the API: a script that leaves the version out is told to send
/// it, and a stale edit is a 409 whose body carries the record now.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_api_requires_the_version_and_answers_409_stale(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    tenant(&svc, "api", 5).await;
    account(&svc, "api", "boss", "admin").await;
    let worker = account(&svc, "api", "worker", "user").await;
    let app = server::http::router(svc.clone(), None);
    let cookie = session_cookie(&app, "api", "boss").await;
    let got = send(
        &app,
        "POST",
        "/api/accounts/get",
        &json!({ "id": worker }).to_string(),
        Some(&cookie),
    )
    .await;
    let version = got.json["version"]
        .as_i64()
        .expect("get answers the version");
    let body = |version: Option<i64>| {
        let mut account = json!({ "id": worker, "first_name": "Test", "last_name": "Worker",
            "email": "worker@example.org", "role": "user", "status": "active" });
        if let Some(v) = version {
            account["version"] = json!(v);
        }
        json!({ "account": account }).to_string()
    };
    let missing = send(
        &app,
        "POST",
        "/api/accounts/update",
        &body(None),
        Some(&cookie),
    )
    .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json["field"], "account.version");
    let ok = send(
        &app,
        "POST",
        "/api/accounts/update",
        &body(Some(version)),
        Some(&cookie),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.json);
    let stale = send(
        &app,
        "POST",
        "/api/accounts/update",
        &body(Some(version)),
        Some(&cookie),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json["code"], "stale");
    assert_eq!(stale.json["current"]["last_name"], "Worker");
}

/// Two administrators save the same page at the same moment: exactly one
/// edit lands, the other is stale, whatever the interleaving (the check and
/// the write are one under the row's lock).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn of_two_simultaneous_saves_of_one_page_exactly_one_lands(pool: PgPool) {
    let (svc, _, [ada, bea]) = two_admins(&pool).await;
    let (id, group) = account_and_group(&svc, &ada, "lee", "Pair").await;
    for round in 0..10 {
        let page = svc.get_account(&ada, id).await.unwrap();
        let a = edit_of(&page, |f| f.last_name = format!("Ada {round}"));
        let b = edit_of(&page, |f| f.last_name = format!("Bea {round}"));
        let (ra, rb) = tokio::join!(svc.update_account(&ada, &a), svc.update_account(&bea, &b));
        let landed = [ra.is_ok(), rb.is_ok()];
        assert_eq!(landed.iter().filter(|ok| **ok).count(), 1, "round {round}");
        let stale = if ra.is_ok() { api_err(rb) } else { api_err(ra) };
        assert_eq!(stale.code, ErrorCode::Stale, "round {round}");

        let groups = svc.list_groups(&ada).await.unwrap();
        let g = groups.iter().find(|g| g.id == group.id).unwrap();
        let rename = |name: String| SaveGroupRequest {
            id: Some(g.id),
            version: Some(g.version),
            name,
            description: String::new(),
        };
        let (to_a, to_b) = (
            rename(format!("Pair A{round}")),
            rename(format!("Pair B{round}")),
        );
        let (ga, gb) = tokio::join!(svc.save_group(&ada, &to_a), svc.save_group(&bea, &to_b));
        assert_eq!(
            [ga.is_ok(), gb.is_ok()].iter().filter(|ok| **ok).count(),
            1,
            "group round {round}"
        );
    }
}
