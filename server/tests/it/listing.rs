//! The accounts list: search, every filter and sort, pages, and the export.

use super::support::*;
use app::model::{AccountListQuery, AccountSort};
use sqlx::PgPool;

fn q() -> AccountListQuery {
    AccountListQuery::default()
}

fn names(page: &app::model::AccountPage) -> Vec<String> {
    page.accounts.iter().map(|a| a.username.clone()).collect()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn search_filter_sort_and_page_on_the_server(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "list", 5).await;
    let other = tenant(&svc, "elsewhere", 5).await;
    account(&svc, "list", "boss", "admin").await;
    many_accounts(&pool, t, "staff", 25).await;
    many_accounts(&pool, other, "staff", 5).await;
    let admin = admin_of(&svc, "list", "boss").await;

    let first = svc.list_accounts(&admin, &q()).await.unwrap();
    assert_eq!(first.total, 26, "only this tenant's accounts");
    assert_eq!(names(&first)[0], "boss");

    let paged = AccountListQuery {
        page_size: 10,
        page: 3,
        ..q()
    };
    let third = svc.list_accounts(&admin, &paged).await.unwrap();
    assert_eq!(third.accounts.len(), 6);
    assert_eq!(third.pages(), 3);

    // Search: any part of username, name or email, any case, % literal.
    let found = svc
        .list_accounts(
            &admin,
            &AccountListQuery {
                search: "STAFF01".into(),
                ..q()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        names(&found),
        (10..20).map(|i| format!("staff0{i}")).collect::<Vec<_>>()
    );
    let none = svc
        .list_accounts(
            &admin,
            &AccountListQuery {
                search: "staff%".into(),
                ..q()
            },
        )
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    let by_email = svc
        .list_accounts(
            &admin,
            &AccountListQuery {
                search: "boss@EXAMPLE".into(),
                ..q()
            },
        )
        .await
        .unwrap();
    assert_eq!(names(&by_email), ["boss"]);

    // Role filter.
    let admins = AccountListQuery {
        role: "administrator".into(),
        ..q()
    };
    assert_eq!(
        names(&svc.list_accounts(&admin, &admins).await.unwrap()),
        ["boss"]
    );

    // Every sort, both ways, runs; descending by username reverses.
    for sort in AccountSort::ALL {
        for descending in [false, true] {
            let query = AccountListQuery {
                sort: sort.as_str().into(),
                descending,
                ..q()
            };
            let page = svc.list_accounts(&admin, &query).await.unwrap();
            assert_eq!(page.total, 26, "{sort:?} {descending}");
        }
    }
    let desc = AccountListQuery {
        descending: true,
        page_size: 1,
        ..q()
    };
    assert_eq!(
        names(&svc.list_accounts(&admin, &desc).await.unwrap()),
        ["staff024"]
    );

    // Bad input is refused with its field.
    let bad = AccountListQuery {
        sort: "password_hash".into(),
        ..q()
    };
    assert_eq!(
        api_err(svc.list_accounts(&admin, &bad).await)
            .field
            .as_deref(),
        Some("sort")
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn status_type_and_client_filters(pool: PgPool) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    tenant(&svc, "filt", 5).await;
    account(&svc, "filt", "boss", "admin").await;
    let admin = admin_of(&svc, "filt", "boss").await;
    let acme = new_client(&svc, &admin, "Acme").await;
    let mut on_acme = account_request("onacme", "user");
    on_acme.form.clients = vec![acme.id];
    svc.create_account(&admin, &on_acme).await.unwrap();
    let mut leaving = account_request("leaving", "user");
    leaving.form.clients = vec![acme.id];
    leaving.form.expires_on = "2026-11-24".into();
    svc.create_account(&admin, &leaving).await.unwrap();
    let mut off = account_request("off", "user");
    off.form.clients = vec![acme.id];
    off.form.status = "inactive".into();
    svc.create_account(&admin, &off).await.unwrap();
    connect_directory(&svc, &admin).await;
    svc.create_account(&admin, &directory_account("hank", "administrator"))
        .await
        .unwrap();

    clock.advance(time::Duration::days(3));
    let admin = admin_of(&svc, "filt", "boss").await;
    let list = |query: AccountListQuery| {
        let svc = svc.clone();
        let admin = admin.clone();
        async move { names(&svc.list_accounts(&admin, &query).await.unwrap()) }
    };
    assert_eq!(
        list(AccountListQuery {
            status: "expired".into(),
            ..q()
        })
        .await,
        ["leaving"]
    );
    assert_eq!(
        list(AccountListQuery {
            status: "inactive".into(),
            ..q()
        })
        .await,
        ["off"]
    );
    assert_eq!(
        list(AccountListQuery {
            status: "active".into(),
            ..q()
        })
        .await,
        ["boss", "hank", "onacme"]
    );
    assert_eq!(
        list(AccountListQuery {
            account_type: "directory".into(),
            ..q()
        })
        .await,
        ["hank"]
    );
    assert_eq!(
        list(AccountListQuery {
            client: Some(acme.id),
            ..q()
        })
        .await,
        ["leaving", "off", "onacme"]
    );
    let page = svc
        .list_accounts(
            &admin,
            &AccountListQuery {
                status: "expired".into(),
                ..q()
            },
        )
        .await
        .unwrap();
    assert!(page.accounts[0].expired);
    assert_eq!(page.accounts[0].status_label(), "Expired");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_export_is_csv_of_the_filtered_accounts_and_audited(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "exp", 5).await;
    account(&svc, "exp", "boss", "admin").await;
    let admin = admin_of(&svc, "exp", "boss").await;
    let acme = new_client(&svc, &admin, "Acme, Inc.").await;
    let mut worker = account_request("worker", "user");
    worker.form.clients = vec![acme.id];
    worker.form.first_name = "=cmd".into();
    svc.create_account(&admin, &worker).await.unwrap();
    let csv = svc
        .export_accounts(
            &admin,
            &AccountListQuery {
                role: "user".into(),
                ..q()
            },
        )
        .await
        .unwrap();
    let lines: Vec<_> = csv.trim_end().split("\r\n").collect();
    assert_eq!(
        lines[0],
        "username,first_name,last_name,email,role,status,account_type,expires_on,clients,groups,case_access,must_change_password,rotate_password,created_at"
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].starts_with(
            "worker,'=cmd,worker,worker@example.org,user,active,local,,\"Acme, Inc.\","
        ),
        "{}",
        lines[1]
    );
    assert_eq!(audit_count(&pool, t, "accounts.exported").await, 1);
}
