//! The audit page's queries: newest first, filters, pages, tenant scope, export.

use super::support::*;
use app::model::audit::AUDIT_PAGE_SIZE;
use app::model::{AuditQuery, ErrorCode};
use sqlx::PgPool;
use time::Duration;

fn query() -> AuditQuery {
    AuditQuery {
        page: 1,
        ..AuditQuery::default()
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn filters_dates_pages_and_scope(pool: PgPool) {
    let clock = clock(); // 2026-11-22 09:00 UTC
    let svc = services(pool.clone(), clock.clone()).await;
    tenant(&svc, "aud", 5).await;
    tenant(&svc, "elsewhere", 5).await;
    account(&svc, "aud", "boss", "admin").await;
    account(&svc, "elsewhere", "spy", "admin").await;
    let admin = admin_of(&svc, "aud", "boss").await;
    svc.create_account(&admin, &account_request("worker", "user"))
        .await
        .unwrap();
    clock.advance(Duration::days(2)); // 2026-11-24
    for _ in 0..(AUDIT_PAGE_SIZE + 5) {
        let _ = svc
            .login(&meta(None), "aud", "worker", "Wrong-pass1!")
            .await;
    }
    login(&svc, "elsewhere", "spy").await;

    // Newest first, only this tenant.
    let page1 = svc.list_audit_events(&admin, &query()).await.unwrap();
    assert_eq!(page1.events.len(), AUDIT_PAGE_SIZE as usize);
    assert!(page1.has_more);
    assert!(page1
        .events
        .windows(2)
        .all(|w| (w[0].at, w[0].id) >= (w[1].at, w[1].id)));
    assert_eq!(page1.events[0].action, "login.failed");
    let page2 = svc
        .list_audit_events(&admin, &AuditQuery { page: 2, ..query() })
        .await
        .unwrap();
    assert!(!page2.has_more);
    let all: Vec<_> = page1.events.iter().chain(&page2.events).collect();
    assert!(
        all.iter().all(|e| e.actor != "spy"),
        "another tenant's events leaked"
    );
    // tenant.created, account.created x2 (boss by the operator, worker), 1 login, 55 failures
    assert_eq!(all.len(), 1 + 2 + 1 + AUDIT_PAGE_SIZE as usize + 5);

    let by_action = svc
        .list_audit_events(
            &admin,
            &AuditQuery {
                action: "account.created".into(),
                ..query()
            },
        )
        .await
        .unwrap();
    let targets: Vec<_> = by_action
        .events
        .iter()
        .filter_map(|e| e.target.clone())
        .collect();
    assert_eq!(targets, ["worker", "boss"]);
    assert_eq!(by_action.events[0].actor, "boss");
    assert_eq!(by_action.events[1].actor, "operator:tests");

    let by_actor = svc
        .list_audit_events(
            &admin,
            &AuditQuery {
                actor: "OPERATOR".into(),
                ..query()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        by_actor.events.len(),
        2,
        "tenant and boss created by the operator"
    );
    let literal = svc
        .list_audit_events(
            &admin,
            &AuditQuery {
                actor: "%".into(),
                ..query()
            },
        )
        .await
        .unwrap();
    assert!(literal.events.is_empty(), "% is matched literally");

    let day_one = svc
        .list_audit_events(
            &admin,
            &AuditQuery {
                from: "2026-11-22".into(),
                to: "2026-11-22".into(),
                ..query()
            },
        )
        .await
        .unwrap();
    assert_eq!(day_one.events.len(), 4);
    let later = svc
        .list_audit_events(
            &admin,
            &AuditQuery {
                from: "2026-11-23".into(),
                ..query()
            },
        )
        .await
        .unwrap();
    assert!(later.events.iter().all(|e| e.action == "login.failed"));

    let bad_date = api_err(
        svc.list_audit_events(
            &admin,
            &AuditQuery {
                from: "yesterday".into(),
                ..query()
            },
        )
        .await,
    );
    assert_eq!(bad_date.code, ErrorCode::Validation);
    assert_eq!(bad_date.field.as_deref(), Some("from"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn export_is_csv_and_is_itself_audited(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "exp", 5).await;
    account(&svc, "exp", "boss", "admin").await;
    let admin = admin_of(&svc, "exp", "boss").await;
    let csv = svc
        .export_audit_events(
            &admin,
            &AuditQuery {
                action: "login.succeeded".into(),
                ..query()
            },
        )
        .await
        .unwrap();
    let lines: Vec<_> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "time,actor,action,target,details,ip,user_agent");
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains(",boss,login.succeeded,boss,"),
        "{}",
        lines[1]
    );
    assert_eq!(audit_count(&pool, t, "audit.exported").await, 1);
}
