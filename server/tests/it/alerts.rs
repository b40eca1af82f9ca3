//! The once-a-day mail about refused sign-ins (#15): sent the day after,
//! to active administrators only, once however many workers ask at once,
//! and not at all when the tenant turned it off.

use super::support::*;
use server::clock::Clock;
use sqlx::PgPool;
use time::macros::datetime;
use time::Duration;

fn at(clock: &std::sync::Arc<server::clock::ManualClock>, t: time::OffsetDateTime) {
    let now = clock.now();
    clock.advance(t - now);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn refused_sign_ins_are_reported_once_the_next_day(pool: PgPool) {
    let clock = clock(); // 2026-11-22 09:00 UTC
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "alerts", 1).await;
    sqlx::query("UPDATE tenants SET idle_lease_seconds = 3600 WHERE id = $1")
        .bind(t)
        .execute(&pool)
        .await
        .unwrap();
    account(&svc, "alerts", "boss", "admin").await;
    account(&svc, "alerts", "deputy", "admin").await;
    account(&svc, "alerts", "retired", "admin").await;
    account(&svc, "alerts", "ann", "user").await;
    account(&svc, "alerts", "bob", "user").await;
    sqlx::query("UPDATE accounts SET status = 'inactive' WHERE username = 'retired'")
        .execute(&pool)
        .await
        .unwrap();
    // A tenant that turned the mail off, refusing sign-ins too.
    let quiet = tenant(&svc, "quiet", 1).await;
    sqlx::query("UPDATE tenants SET seat_alerts = false, idle_lease_seconds = 86400 WHERE id = $1")
        .bind(quiet)
        .execute(&pool)
        .await
        .unwrap();
    account(&svc, "quiet", "qa", "admin").await;
    account(&svc, "quiet", "qb", "user").await;

    at(&clock, datetime!(2026-11-22 09:12 UTC));
    let ann = login(&svc, "alerts", "ann").await;
    login(&svc, "quiet", "qa").await;
    for (h, m) in [(10, 0), (10, 30), (11, 0)] {
        at(
            &clock,
            datetime!(2026-11-22 00:00 UTC) + Duration::hours(h) + Duration::minutes(m),
        );
        svc.authenticate(&meta(Some(&ann))).await.unwrap();
        assert!(try_login(&svc, "alerts", "bob").await.is_err());
        assert!(try_login(&svc, "quiet", "qb").await.is_err());
    }
    at(&clock, datetime!(2026-11-22 11:40 UTC));
    svc.logout(&meta(Some(&ann))).await.unwrap();

    // The day is not over: nothing yet.
    assert_eq!(svc.queue_seat_alerts().await.unwrap(), 0);

    at(&clock, datetime!(2026-11-23 00:05 UTC));
    // Four workers at once: one mail per active administrator, once.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            svc.queue_seat_alerts().await.unwrap()
        }));
    }
    let mut queued = 0;
    for task in tasks {
        queued += task.await.unwrap();
    }
    assert_eq!(queued, 2);
    assert_eq!(svc.queue_seat_alerts().await.unwrap(), 0);
    let mails: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT to_address, subject, text_body FROM outbox WHERE kind = 'seat_alert' ORDER BY to_address",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        ["boss@example.org", "deputy@example.org"]
    );
    let (_, subject, text) = &mails[0];
    assert_eq!(
        subject,
        "3 sign-ins were refused on 22 Nov: no free seat at Tenant alerts"
    );
    assert!(
        text.starts_with(
            "3 sign-ins were refused on 22 Nov (UTC) for Tenant alerts; the only seat was in use from 09:12 to 11:40."
        ),
        "{text}"
    );
    assert!(text.contains("/license"), "{text}");
    let recorded: (i32, i32) =
        sqlx::query_as("SELECT refused, recipients FROM seat_alerts WHERE tenant_id = $1")
            .bind(t)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, (3, 2));
}
