//! The audit page's queries: newest first, filters, pages, tenant scope, export.

use super::support::*;
use app::model::audit::AUDIT_PAGE_SIZE;
use app::model::Secret;
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
                                      // Guesses at many names from many addresses: none is throttled.
    for i in 0..(AUDIT_PAGE_SIZE + 5) {
        let _ = svc
            .login(
                &from_address(i),
                "aud",
                &format!("worker{i}"),
                &Secret::from("Wrong-pass1!"),
            )
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

/// Many writers at once, of one tenant and of no tenant (platform events),
/// still make one unbroken chain per tenant, and `server audit verify` says so;
/// a changed or removed event is then named.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_audit_chain_holds_under_a_storm_and_names_tampering(pool: PgPool) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, "chain", 1_000).await;
    let names = many_accounts(&pool, t, "storm", 24).await;
    let mut tasks = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let token = login(&svc, "chain", &name).await;
            svc.logout(&meta(Some(&token))).await.unwrap();
            // A failed guess at an organisation nobody has: a platform event.
            let _ = svc
                .login(
                    &meta(None),
                    &format!("nowhere-{i}"),
                    &name,
                    &Secret::from(PASSWORD),
                )
                .await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE tenant_id = $1")
        .bind(t)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(events >= 49, "{events}");
    assert_eq!(
        svc.verify_audit_chain("chain").await.unwrap(),
        Ok(u64::try_from(events).unwrap())
    );
    let platform = count_rows(
        &pool,
        "SELECT count(*) FROM audit_chain WHERE tenant_id IS NULL",
    )
    .await;
    assert_eq!(platform, 24);

    let verify = || {
        let out = super::cli::run_env(&pool, &["audit", "verify", "--tenant", "chain"], None, &[]);
        let text = super::cli::stdout(&out) + &super::cli::stderr(&out);
        (out.status.success(), text)
    };
    let (ok, out) = verify();
    assert!(ok && out.trim() == format!("OK {events}"), "{out}");

    // Changing an event (past the append-only trigger, as only the owner or a
    // superuser could) breaks its link.
    let victim: i64 =
        sqlx::query_scalar("SELECT event_id FROM audit_chain WHERE tenant_id = $1 AND seq = 7")
            .bind(t)
            .fetch_one(&pool)
            .await
            .unwrap();
    let original: String = sqlx::query_scalar("SELECT actor_label FROM audit_events WHERE id = $1")
        .bind(victim)
        .fetch_one(&pool)
        .await
        .unwrap();
    let tamper = |statements: &'static [&'static str], label: String| {
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            for table in ["audit_events", "audit_chain"] {
                sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            for sql in statements {
                sqlx::query(sql)
                    .bind(victim)
                    .bind(&label)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            for table in ["audit_events", "audit_chain"] {
                sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
    };
    let relabel: &[&str] = &["UPDATE audit_events SET actor_label = $2 WHERE id = $1"];
    tamper(relabel, "someone-else".into()).await;
    let (ok, out) = verify();
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("link 7 does not match event {victim}")),
        "{out}"
    );
    // Put back, the chain holds again: it is the content that is checked.
    tamper(relabel, original).await;
    assert!(verify().0);

    // Removing the newest event and its link leaves the head pointing past
    // the end.
    tamper(
        &[
            "DELETE FROM audit_chain
             WHERE tenant_id = (SELECT tenant_id FROM audit_events WHERE id = $1) AND $2 <> ''
               AND seq = (SELECT max(seq) FROM audit_chain c
                          WHERE c.tenant_id = (SELECT tenant_id FROM audit_events WHERE id = $1))",
            "DELETE FROM audit_events e
             WHERE e.tenant_id = (SELECT tenant_id FROM audit_events WHERE id = $1) AND $2 <> ''
               AND NOT EXISTS (SELECT FROM audit_chain c WHERE c.event_id = e.id)",
        ],
        "x".into(),
    )
    .await;
    let (ok, out) = verify();
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "the chain ends at link {} but its head records link {events}",
            events - 1
        )),
        "{out}"
    );
}
