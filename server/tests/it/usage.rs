//! Usage history (#15): the figures equal a scenario worked out by hand, with
//! a person on two devices, a refused sign-in, a session that lapsed by its
//! lease, a seat change, a deleted account and a session across midnight;
//! the same before and after the hours are rolled up.

use super::support::*;
use app::model::usage::{UsageBucket, UsageRow};
use app::model::AccountId;
use app::model::Secret;
use server::domain::Services;
use sqlx::PgPool;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Moves the clock to `t` (it only moves forward).
fn at(clock: &Arc<server::clock::ManualClock>, t: OffsetDateTime) {
    use server::clock::Clock;
    let now = clock.now();
    assert!(t >= now, "{t} is before {now}");
    clock.advance(t - now);
}

async fn beat(svc: &Services, token: &str) {
    svc.authenticate(&meta(Some(token))).await.unwrap();
}

async fn logout(svc: &Services, token: &str) {
    svc.logout(&meta(Some(token))).await.unwrap();
}

/// (hour, peak_people, seats, refused) for every hour that is not all zero
/// people and refusals.
fn busy(rows: &[UsageRow]) -> Vec<(OffsetDateTime, u32, u32, u32)> {
    rows.iter()
        .filter(|r| r.peak_people > 0 || r.refused > 0)
        .map(|r| (r.start, r.peak_people, r.seats, r.refused))
        .collect()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn usage_equals_the_scenario_worked_out_by_hand(pool: PgPool) {
    let clock = clock(); // 2026-11-22 09:00 UTC
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "usage", 3).await;
    // An hour's idle lease: only the session that stops on purpose lapses.
    sqlx::query("UPDATE tenants SET idle_lease_seconds = 3600 WHERE id = $1")
        .bind(t)
        .execute(&pool)
        .await
        .unwrap();
    for (name, role) in [
        ("ann", "user"),
        ("bob", "user"),
        ("cat", "user"),
        ("dan", "user"),
        ("boss", "admin"),
    ] {
        account(&svc, "usage", name, role).await;
    }
    let day = |h: u8, m: u8| {
        datetime!(2026-11-22 00:00 UTC)
            + Duration::hours(i64::from(h))
            + Duration::minutes(i64::from(m))
    };

    at(&clock, day(10, 5));
    let laptop = login(&svc, "usage", "ann").await;
    at(&clock, day(10, 20));
    let phone = login(&svc, "usage", "ann").await; // Ann again: still one person
    at(&clock, day(10, 30));
    let bob = login(&svc, "usage", "bob").await;
    at(&clock, day(10, 40));
    logout(&svc, &laptop).await;
    at(&clock, day(10, 45));
    let cat = login(&svc, "usage", "cat").await; // Ann, Bob, Cat: 3 of 3
    at(&clock, day(10, 46));
    assert!(svc
        .login(&meta(None), "usage", "dan", &Secret::from(PASSWORD))
        .await
        .is_err()); // refused at 10:46
    at(&clock, day(10, 50));
    beat(&svc, &phone).await;
    at(&clock, day(10, 55));
    logout(&svc, &bob).await;
    at(&clock, day(11, 0));
    beat(&svc, &phone).await; // Ann's last sign of life: her lease ends 12:00
    at(&clock, day(11, 10));
    beat(&svc, &cat).await;
    at(&clock, day(11, 25));
    beat(&svc, &cat).await;
    at(&clock, day(11, 30));
    logout(&svc, &cat).await;
    at(&clock, day(12, 0));
    svc.set_seats(&operator(), "usage", 5, None).await.unwrap();
    at(&clock, day(13, 0));
    let boss = login(&svc, "usage", "boss").await;
    let admin = svc.require_admin(&meta(Some(&boss))).await.unwrap();
    let bob_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'bob'")
        .fetch_one(&pool)
        .await
        .unwrap();
    svc.delete_account(&admin, AccountId::from_uuid(bob_id))
        .await
        .unwrap(); // Bob's 10:30–10:55 stays in the history
    at(&clock, day(13, 10));
    logout(&svc, &boss).await;
    at(&clock, day(23, 40));
    let late = login(&svc, "usage", "ann").await;
    for m in [50, 60, 70] {
        at(&clock, day(23, 0) + Duration::minutes(m));
        beat(&svc, &late).await;
    }
    at(&clock, day(24, 20));
    logout(&svc, &late).await; // 23:40 to 00:20 the next day

    let expected_hours = vec![
        (day(10, 0), 3, 3, 1),
        (day(11, 0), 2, 3, 0),
        (day(13, 0), 1, 5, 0),
        (day(23, 0), 1, 5, 0),
        (day(24, 0), 1, 5, 0),
    ];
    let expected_days = vec![(day(0, 0), 3, 5, 1), (day(24, 0), 1, 5, 0)];
    let check = |svc: Services, now: OffsetDateTime| async move {
        let hours = svc
            .operator_usage(
                "usage",
                UsageBucket::Hour,
                Some("2026-11-22"),
                Some("2026-11-23"),
            )
            .await
            .unwrap()
            .0;
        // From the organisation's first hour to the current one.
        assert_eq!(hours[0].start, day(9, 0));
        assert_eq!(
            hours.last().unwrap().start,
            UsageBucket::Hour.start_of(now).min(day(47, 0))
        );
        assert!(hours
            .windows(2)
            .all(|w| w[1].start - w[0].start == Duration::HOUR));
        assert_eq!(hours[0].seats, 3);
        assert_eq!(hours.last().unwrap().seats, 5);
        let days = svc
            .operator_usage(
                "usage",
                UsageBucket::Day,
                Some("2026-11-22"),
                Some("2026-11-23"),
            )
            .await
            .unwrap()
            .0;
        (busy(&hours), busy(&days))
    };

    // Half an hour later most of it is still computed afresh ...
    at(&clock, day(24, 50));
    let (hours, days) = check(svc.clone(), server::clock::Clock::now(&*clock)).await;
    assert_eq!(hours, expected_hours);
    assert_eq!(days, expected_days);
    // ... two days later it is all rolled up, with the same figures.
    at(&clock, day(72, 0));
    let (hours, days) = check(svc.clone(), server::clock::Clock::now(&*clock)).await;
    assert_eq!(hours, expected_hours);
    assert_eq!(days, expected_days);
    let rolled = count_rows(&pool, "SELECT count(*) FROM seat_usage_hours").await;
    // From 09:00 on the 22nd up to the 24th, a day before now (the 25th).
    assert_eq!(rolled, 15 + 24);
    // Asking again rolls up nothing twice.
    check(svc.clone(), server::clock::Clock::now(&*clock)).await;
    let again = count_rows(&pool, "SELECT count(*) FROM seat_usage_hours").await;
    assert_eq!(again, rolled);
}
