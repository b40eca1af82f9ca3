//! Groups, the catalogue and form permissions at three levels, against real
//! Postgres; the access API with a tenant API token; the operator CLI.

use super::http::send;
use super::support::*;
use app::model::permissions::{
    CellChange, Level, Matrix, SaveColumnRequest, SaveFormRequest, SaveGroupRequest,
    SetPermissionsRequest, Setting, Source,
};
use app::model::NewPassword;
use app::model::{AccountId, ErrorCode, UpdateAccountRequest};
use http::StatusCode;
use serde_json::json;
use server::domain::api_tokens::AccessCaller;
use server::domain::caller::AdminCaller;
use server::domain::Services;
use sqlx::PgPool;

fn cell<'a>(m: &'a Matrix, form: &str, column: &str) -> &'a app::model::permissions::MatrixCell {
    m.forms
        .iter()
        .find(|f| f.name == form)
        .and_then(|f| f.columns.iter().find(|c| c.name == column))
        .unwrap_or_else(|| panic!("{form} / {column} is in the matrix"))
}

async fn setup(pool: &PgPool) -> (Services, AdminCaller, uuid::Uuid) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "perm", 5).await;
    account(&svc, "perm", "boss", "admin").await;
    let admin = admin_of(&svc, "perm", "boss").await;
    (svc, admin, t)
}

async fn set(
    svc: &Services,
    admin: &AdminCaller,
    level: Level,
    cells: &[(app::model::permissions::ColumnId, Setting)],
) -> Matrix {
    svc.set_permissions(
        admin,
        &SetPermissionsRequest {
            level,
            cells: cells
                .iter()
                .map(|(column, setting)| CellChange {
                    column: *column,
                    setting: *setting,
                })
                .collect(),
        },
    )
    .await
    .unwrap()
}

async fn join_groups(
    svc: &Services,
    admin: &AdminCaller,
    id: uuid::Uuid,
    groups: Vec<app::model::permissions::GroupId>,
) {
    let details = svc
        .get_account(admin, AccountId::from_uuid(id))
        .await
        .unwrap();
    let mut form = app::model::AccountForm::from(&details);
    form.groups = groups;
    svc.update_account(
        admin,
        &UpdateAccountRequest {
            id: AccountId::from_uuid(id),
            version: details.summary.version,
            form,
            new_password: NewPassword::default(),
        },
    )
    .await
    .unwrap();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_new_tenant_starts_with_groups_and_a_demo_catalogue(pool: PgPool) {
    let (svc, admin, _) = setup(&pool).await;
    let groups: Vec<String> = svc
        .list_groups(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(groups, ["Admin", "Editor", "View Only"]);
    let forms = svc.catalogue(&admin).await.unwrap();
    assert!(forms.len() >= 5, "a realistic catalogue");
    let timesheet = forms.iter().find(|f| f.name == "Timesheet").unwrap();
    assert!(timesheet.columns.iter().any(|c| c.name == "Hours"));
}

async fn counts(pool: &PgPool, tenant_id: uuid::Uuid) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM groups WHERE tenant_id = $1),
                (SELECT count(*) FROM forms WHERE tenant_id = $1),
                (SELECT count(*) FROM group_permissions WHERE tenant_id = $1)",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn wipe_catalogue(pool: &PgPool, tenant_id: uuid::Uuid) {
    for table in ["group_permissions", "form_columns", "forms", "groups"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(pool)
            .await
            .unwrap();
    }
}

/// `server migrate` gives tenants that predate groups and forms the start a
/// new tenant gets, once, and leaves the others alone.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn migrate_seeds_tenants_created_before_groups_and_forms(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let old = tenant(&svc, "old", 2).await;
    let kept = tenant(&svc, "kept", 2).await;
    let fresh = counts(&pool, old).await;
    assert_eq!(fresh.0, 3);
    // "old" as it was before the migration: no groups, no forms.
    wipe_catalogue(&pool, old).await;
    // "kept" made the catalogue its own: one group left, no forms.
    sqlx::query("DELETE FROM groups WHERE tenant_id = $1 AND name <> 'Editor'")
        .bind(kept)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM forms WHERE tenant_id = $1")
        .bind(kept)
        .execute(&pool)
        .await
        .unwrap();
    let kept_before = counts(&pool, kept).await;
    assert_eq!(counts(&pool, old).await, (0, 0, 0));

    let now = server::clock::Clock::now(&*clock());
    let seeded = server::domain::permissions::seed_existing_tenants(&pool, now)
        .await
        .unwrap();
    assert_eq!(seeded, ["old"]);
    assert_eq!(
        counts(&pool, old).await,
        fresh,
        "the same start as a new tenant"
    );
    assert_eq!(counts(&pool, kept).await, kept_before);
    // Again: nothing more.
    let again = server::domain::permissions::seed_existing_tenants(&pool, now)
        .await
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(counts(&pool, old).await, fresh);

    // Two deploy steps at once seed a tenant once.
    wipe_catalogue(&pool, old).await;
    let (a, b) = tokio::join!(
        server::domain::permissions::seed_existing_tenants(&pool, now),
        server::domain::permissions::seed_existing_tenants(&pool, now)
    );
    let mut both = a.unwrap();
    both.extend(b.unwrap());
    assert_eq!(both, ["old"]);
    assert_eq!(counts(&pool, old).await, fresh);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn person_overrides_group_overrides_tenant_and_deny_beats_allow(pool: PgPool) {
    let (svc, admin, t) = setup(&pool).await;
    let ann = account(&svc, "perm", "ann", "user").await;
    let groups = svc.list_groups(&admin).await.unwrap();
    let id_of = |n: &str| groups.iter().find(|g| g.name == n).unwrap().id;
    let tenant = svc.permission_matrix(&admin, Level::Tenant).await.unwrap();
    let hours = cell(&tenant, "Timesheet", "Hours").column;
    let rate = cell(&tenant, "Timesheet", "Rate").column;

    // Nobody's groups say anything yet: the tenant default (Deny) decides.
    let mine = svc
        .permission_matrix(&admin, Level::Account(AccountId::from_uuid(ann)))
        .await
        .unwrap();
    assert_eq!(
        cell(&mine, "Timesheet", "Hours").effective.describe(),
        "Deny — tenant default"
    );

    // Editor allows timesheets; Ann joins it.
    join_groups(&svc, &admin, ann, vec![id_of("Editor")]).await;
    let mine = svc
        .permission_matrix(&admin, Level::Account(AccountId::from_uuid(ann)))
        .await
        .unwrap();
    assert_eq!(
        cell(&mine, "Timesheet", "Hours").effective.describe(),
        "Allow — group Editor"
    );

    // View Only denies Rate; with both groups, Deny wins.
    join_groups(&svc, &admin, ann, vec![id_of("Editor"), id_of("View Only")]).await;
    let mine = svc
        .permission_matrix(&admin, Level::Account(AccountId::from_uuid(ann)))
        .await
        .unwrap();
    assert_eq!(
        cell(&mine, "Timesheet", "Rate").effective.describe(),
        "Deny — group View Only"
    );
    assert_eq!(
        cell(&mine, "Timesheet", "Hours").effective.describe(),
        "Allow — group Editor"
    );

    // A person-level Allow overrides the groups; Inherit clears it again.
    let mine = set(
        &svc,
        &admin,
        Level::Account(AccountId::from_uuid(ann)),
        &[(rate, Setting::Allow)],
    )
    .await;
    assert_eq!(
        cell(&mine, "Timesheet", "Rate").effective.describe(),
        "Allow — set on this person"
    );
    assert_eq!(cell(&mine, "Timesheet", "Rate").setting, Setting::Allow);
    let mine = set(
        &svc,
        &admin,
        Level::Account(AccountId::from_uuid(ann)),
        &[(rate, Setting::Inherit)],
    )
    .await;
    assert_eq!(
        cell(&mine, "Timesheet", "Rate").effective.describe(),
        "Deny — group View Only"
    );

    // The tenant default changes what inheriting everywhere gives.
    let t_after = set(&svc, &admin, Level::Tenant, &[(hours, Setting::Allow)]).await;
    assert_eq!(cell(&t_after, "Timesheet", "Hours").setting, Setting::Allow);
    assert_eq!(
        api_err(
            svc.set_permissions(
                &admin,
                &SetPermissionsRequest {
                    level: Level::Tenant,
                    cells: vec![CellChange {
                        column: hours,
                        setting: Setting::Inherit
                    }],
                },
            )
            .await
        )
        .field
        .as_deref(),
        Some("cells")
    );

    // Group level edits: a group Deny on Hours now beats Editor's Allow.
    set(
        &svc,
        &admin,
        Level::Group(id_of("View Only")),
        &[(hours, Setting::Deny)],
    )
    .await;
    let answer = svc
        .check_access(
            &AccessCaller { tenant_id: t },
            &app::model::permissions::AccessQuestion {
                username: "ANN".into(),
                form: "timesheet".into(),
                column: "hours".into(),
            },
        )
        .await
        .unwrap();
    assert!(!answer.decision.allowed);
    assert_eq!(
        answer.decision.source,
        Source::Group {
            group: "View Only".into()
        }
    );
    assert_eq!(answer.explanation, "Deny — group View Only");

    // Every change is audited with the cells before and after.
    assert_eq!(audit_count(&pool, t, "permissions.changed").await, 4);
    let details: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'permissions.changed' ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        details["cells"][0],
        json!({ "form": "Timesheet", "column": "Rate", "before": "inherit", "after": "allow" })
    );
    // Memberships are audited on the account.
    let changes: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'account.updated' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        changes["changes"]["groups"]["after"],
        json!(["Editor", "View Only"])
    );

    // The whole effective matrix agrees with the single checks.
    let whole = svc
        .effective_matrix(&AccessCaller { tenant_id: t }, "ann")
        .await
        .unwrap();
    let ts = whole.forms.iter().find(|f| f.form == "Timesheet").unwrap();
    let hours_cell = ts.columns.iter().find(|c| c.column == "Hours").unwrap();
    assert_eq!(hours_cell.decision, answer.decision);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn groups_are_managed_and_deleting_one_in_use_needs_confirmation(pool: PgPool) {
    let (svc, admin, t) = setup(&pool).await;
    let g = svc
        .save_group(
            &admin,
            &SaveGroupRequest {
                id: None,
                version: None,
                name: "Auditors".into(),
                description: "Read-only reviewers".into(),
            },
        )
        .await
        .unwrap();
    let dup = api_err(
        svc.save_group(
            &admin,
            &SaveGroupRequest {
                id: None,
                version: None,
                name: "auditors".into(),
                description: String::new(),
            },
        )
        .await,
    );
    assert_eq!(dup.code, ErrorCode::Conflict);
    let renamed = svc
        .save_group(
            &admin,
            &SaveGroupRequest {
                id: Some(g.id),
                version: Some(g.version),
                name: "External auditors".into(),
                description: "Reviewers from the audit firm".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "External auditors");

    let ann = account(&svc, "perm", "ann", "user").await;
    join_groups(&svc, &admin, ann, vec![g.id]).await;
    let members = svc.group_members(&admin, g.id).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].username, "ann");
    let refused = api_err(svc.delete_group(&admin, g.id, false).await);
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert!(refused.message.contains("ann"), "{}", refused.message);
    svc.delete_group(&admin, g.id, true).await.unwrap();
    let details = svc
        .get_account(&admin, AccountId::from_uuid(ann))
        .await
        .unwrap();
    assert!(details.groups.is_empty());
    for action in ["group.created", "group.changed", "group.deleted"] {
        assert_eq!(audit_count(&pool, t, action).await, 1, "{action}");
    }

    // Another tenant's group is neither usable nor visible.
    tenant(&svc, "other", 2).await;
    account(&svc, "other", "chief", "admin").await;
    let stranger = admin_of(&svc, "other", "chief").await;
    let theirs = svc.list_groups(&stranger).await.unwrap()[0].id;
    let mut req = account_request("mixed", "user");
    req.form.groups = vec![theirs];
    let e = api_err(svc.create_account(&admin, &req).await);
    assert_eq!(e.field.as_deref(), Some("groups"));
    assert_eq!(
        api_err(svc.group_members(&admin, theirs).await).code,
        ErrorCode::NotFound
    );
    assert_eq!(
        api_err(svc.delete_group(&admin, theirs, true).await).code,
        ErrorCode::NotFound
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_catalogue_grows_and_retired_columns_leave_the_matrix(pool: PgPool) {
    let (svc, admin, t) = setup(&pool).await;
    let forms = svc
        .save_form(
            &admin,
            &SaveFormRequest {
                id: None,
                version: None,
                name: "Leave requests".into(),
            },
        )
        .await
        .unwrap();
    let leave = forms
        .iter()
        .find(|f| f.name == "Leave requests")
        .unwrap()
        .id;
    let forms = svc
        .save_column(
            &admin,
            &SaveColumnRequest {
                form: leave,
                id: None,
                version: None,
                name: "Days".into(),
            },
        )
        .await
        .unwrap();
    let days = forms.iter().find(|f| f.id == leave).unwrap().columns[0].id;
    let dup = api_err(
        svc.save_column(
            &admin,
            &SaveColumnRequest {
                form: leave,
                id: None,
                version: None,
                name: "DAYS".into(),
            },
        )
        .await,
    );
    assert_eq!(dup.code, ErrorCode::Conflict);
    svc.save_column(
        &admin,
        &SaveColumnRequest {
            form: leave,
            id: Some(days),
            version: Some(version_of(&pool, "form_columns", days.as_uuid()).await),
            name: "Days off".into(),
        },
    )
    .await
    .unwrap();
    let m = svc.permission_matrix(&admin, Level::Tenant).await.unwrap();
    assert_eq!(
        cell(&m, "Leave requests", "Days off").setting,
        Setting::Deny
    );

    svc.retire_column(&admin, days, true).await.unwrap();
    let m = svc.permission_matrix(&admin, Level::Tenant).await.unwrap();
    assert!(m
        .forms
        .iter()
        .find(|f| f.name == "Leave requests")
        .unwrap()
        .columns
        .is_empty());
    let all = svc.catalogue(&admin).await.unwrap();
    assert!(all.iter().find(|f| f.id == leave).unwrap().columns[0].retired);
    svc.retire_form(&admin, leave, true).await.unwrap();
    let m = svc.permission_matrix(&admin, Level::Tenant).await.unwrap();
    assert!(m.forms.iter().all(|f| f.name != "Leave requests"));
    for action in [
        "form.created",
        "column.created",
        "column.renamed",
        "column.retired",
        "form.retired",
    ] {
        assert_eq!(audit_count(&pool, t, action).await, 1, "{action}");
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn other_systems_ask_with_a_tenant_api_token(pool: PgPool) {
    let (svc, admin, t) = setup(&pool).await;
    account(&svc, "perm", "ann", "user").await;
    let created = svc.create_api_token(&admin, "Timesheet app").await.unwrap();
    assert!(created.secret.expose().starts_with("rc_"));
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(created.secret.expose())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "only the hash is stored");
    let app = server::http::router(svc.clone(), None);
    let ask = |bearer: Option<String>, body: serde_json::Value| {
        let app = app.clone();
        async move {
            let mut req = http::Request::builder()
                .method("POST")
                .uri("/api/access/check")
                .header("content-type", "application/json");
            if let Some(b) = bearer {
                req = req.header("authorization", format!("Bearer {b}"));
            }
            let res = tower::ServiceExt::oneshot(
                app,
                req.body(axum::body::Body::from(body.to_string())).unwrap(),
            )
            .await
            .unwrap();
            let status = res.status();
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    let question = json!({ "username": "ann", "form": "Staff directory", "column": "Phone" });
    let (status, body) = ask(
        Some((created.secret.clone()).into_exposed()),
        question.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["allowed"], true);
    assert_eq!(body["level"], "tenant");
    assert_eq!(body["explanation"], "Allow — tenant default");

    let (status, _) = ask(None, question.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = ask(Some("rc_wrong".into()), question.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = ask(
        Some((created.secret.clone()).into_exposed()),
        json!({ "username": "ann", "form": "Staff directory", "column": "Salary" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = ask(
        Some((created.secret.clone()).into_exposed()),
        json!({ "username": "nobody", "form": "Staff directory", "column": "Phone" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The whole matrix, with the same token.
    let matrix = send(
        &app,
        "POST",
        "/api/access/matrix",
        &json!({ "username": "ann" }).to_string(),
        None,
    )
    .await;
    assert_eq!(
        matrix.status,
        StatusCode::UNAUTHORIZED,
        "no token, no session"
    );

    // A token only sees its own tenant's accounts.
    tenant(&svc, "other", 2).await;
    account(&svc, "other", "zed", "user").await;
    let (status, _) = ask(
        Some((created.secret.clone()).into_exposed()),
        json!({ "username": "zed", "form": "Staff directory", "column": "Phone" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Revoked tokens stop working; both are audited.
    svc.revoke_api_token(&admin, created.token.id)
        .await
        .unwrap();
    let (status, _) = ask(Some((created.secret.clone()).into_exposed()), question).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(audit_count(&pool, t, "api_token.created").await, 1);
    assert_eq!(audit_count(&pool, t, "api_token.revoked").await, 1);
    let listed = svc.list_api_tokens(&admin).await.unwrap();
    assert!(listed[0].revoked && listed[0].last_used_at.is_some());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn duplicating_copies_the_chosen_parts_and_invites_the_copy(pool: PgPool) {
    use app::model::duplicate::{DuplicateAccountRequest, DuplicatePart};
    let (svc, admin, t) = setup(&pool).await;
    let ann = account(&svc, "perm", "ann", "user").await;
    let groups = svc.list_groups(&admin).await.unwrap();
    let editor = groups.iter().find(|g| g.name == "Editor").unwrap().id;
    join_groups(&svc, &admin, ann, vec![editor]).await;
    let tenant_m = svc.permission_matrix(&admin, Level::Tenant).await.unwrap();
    let rate = cell(&tenant_m, "Invoices", "Amount").column;
    set(
        &svc,
        &admin,
        Level::Account(AccountId::from_uuid(ann)),
        &[(rate, Setting::Allow)],
    )
    .await;
    let source = svc
        .get_account(&admin, AccountId::from_uuid(ann))
        .await
        .unwrap();

    let copy_of = |username: &str, parts: Vec<DuplicatePart>| {
        let mut account = account_request(username, "user");
        account.new_password = NewPassword::default();
        account.form = app::model::AccountForm {
            first_name: "Copy".into(),
            last_name: username.into(),
            email: format!("{username}@example.org"),
            ..app::model::AccountForm::from(&source)
        };
        if !parts.contains(&DuplicatePart::Groups) {
            account.form.groups.clear();
        }
        DuplicateAccountRequest {
            source: source.summary.id,
            account,
            parts,
        }
    };
    let everything = DuplicatePart::ALL.to_vec();
    let full = svc
        .duplicate_account(&admin, &copy_of("twin", everything))
        .await
        .unwrap();
    assert!(full.invited, "the copy is invited");
    let source_m = svc
        .effective_matrix(&AccessCaller { tenant_id: t }, "ann")
        .await
        .unwrap();
    let twin_m = svc
        .effective_matrix(&AccessCaller { tenant_id: t }, "twin")
        .await
        .unwrap();
    assert_eq!(
        source_m.forms, twin_m.forms,
        "a full copy has the same matrix"
    );

    // Leaving the groups out: everything Editor granted differs, nothing else.
    let no_groups: Vec<DuplicatePart> = DuplicatePart::ALL
        .into_iter()
        .filter(|p| *p != DuplicatePart::Groups)
        .collect();
    svc.duplicate_account(&admin, &copy_of("solo", no_groups))
        .await
        .unwrap();
    let solo_m = svc
        .effective_matrix(&AccessCaller { tenant_id: t }, "solo")
        .await
        .unwrap();
    for (a, b) in source_m.forms.iter().zip(&solo_m.forms) {
        for (ca, cb) in a.columns.iter().zip(&b.columns) {
            match &ca.decision.source {
                Source::Group { .. } => assert_eq!(cb.decision.source, Source::Tenant),
                _ => assert_eq!(ca.decision, cb.decision, "{} / {}", a.form, ca.column),
            }
        }
    }
    let invoices = solo_m.forms.iter().find(|f| f.form == "Invoices").unwrap();
    let amount = invoices
        .columns
        .iter()
        .find(|c| c.column == "Amount")
        .unwrap();
    assert_eq!(
        amount.decision.source,
        Source::Person,
        "person cells were copied"
    );

    assert_eq!(audit_count(&pool, t, "account.duplicated").await, 2);
    assert_eq!(audit_count(&pool, t, "invitation.sent").await, 2);
    let details: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'account.duplicated' ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(details["duplicated_from"], "ann");

    // Another tenant's account cannot be the source.
    tenant(&svc, "other", 2).await;
    account(&svc, "other", "chief", "admin").await;
    let stranger = admin_of(&svc, "other", "chief").await;
    assert_eq!(
        api_err(
            svc.duplicate_account(&stranger, &copy_of("spy", vec![]))
                .await
        )
        .code,
        ErrorCode::NotFound
    );
}
