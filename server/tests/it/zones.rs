//! The organisation's time zone (#27): an account set to deactivate on a
//! date stops at 00:00 of that date in the organisation's zone, on ordinary
//! days and on the days clocks change; "a date in the past" is judged there;
//! a changed zone keeps every stored date; usage days and the seat-alert
//! mail follow the zone.

use super::support::*;
use app::model::usage::UsageBucket;
use app::model::ErrorCode;
use server::clock::{Clock, ManualClock};
use server::domain::caller::AdminCaller;
use server::domain::Services;
use sqlx::PgPool;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

async fn set_zone(svc: &Services, admin: &AdminCaller, zone: &str) {
    let mut settings = svc.get_settings(admin).await.unwrap();
    settings.time_zone = zone.to_owned();
    let saved = svc.update_settings(admin, &settings).await.unwrap();
    assert_eq!(saved.time_zone, zone);
}

fn move_to(clock: &ManualClock, t: OffsetDateTime) {
    let now = clock.now();
    clock.advance(t - now);
}

/// Each case: the zone, the expiry date, and that date's first instant
/// there (local midnight), in UTC.
#[rustfmt::skip]
const CASES: [(&str, &str, OffsetDateTime); 10] = [
    ("America/Toronto", "2026-12-31", datetime!(2026-12-31 05:00 UTC)),
    // Spring forward (8 March, 02:00 EST → 03:00 EDT): the day starts in EST.
    ("America/Toronto", "2026-03-08", datetime!(2026-03-08 05:00 UTC)),
    ("America/Toronto", "2026-03-09", datetime!(2026-03-09 04:00 UTC)),
    // Fall back (1 November, 02:00 EDT → 01:00 EST): the day starts in EDT.
    ("America/Toronto", "2026-11-01", datetime!(2026-11-01 04:00 UTC)),
    ("Pacific/Auckland", "2026-12-31", datetime!(2026-12-30 11:00 UTC)),
    // Spring forward (27 September, 02:00 NZST → 03:00 NZDT).
    ("Pacific/Auckland", "2026-09-27", datetime!(2026-09-26 12:00 UTC)),
    // Fall back (5 April, 03:00 NZDT → 02:00 NZST).
    ("Pacific/Auckland", "2026-04-05", datetime!(2026-04-04 11:00 UTC)),
    ("Pacific/Auckland", "2026-04-06", datetime!(2026-04-05 12:00 UTC)),
    // Midnight skipped (6 September, 00:00 -04 → 01:00 -03): the day starts at 01:00.
    ("America/Santiago", "2026-09-06", datetime!(2026-09-06 04:00 UTC)),
    // Midnight twice (1 November, 01:00 CDT → 00:00 CST): the day starts at the first.
    ("America/Havana", "2026-11-01", datetime!(2026-11-01 04:00 UTC)),
];

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_account_deactivates_at_local_midnight_including_when_clocks_change(pool: PgPool) {
    for (i, (zone, date, midnight)) in CASES.into_iter().enumerate() {
        // The evening before, there: the date is tomorrow's, and the
        // day-long lease outlives the wait.
        let clock = Arc::new(ManualClock::starting_at(midnight - Duration::hours(20)));
        let svc = services(pool.clone(), clock.clone()).await;
        let slug = format!("zone{i}");
        let (t, admin) = tenant_with_boss(&svc, &slug).await;
        day_long_lease(&pool, t).await;
        set_zone(&svc, &admin, zone).await;
        let admin = admin_of(&svc, &slug, "boss").await;
        let mut request = account_request("temp", "user");
        request.form.expires_on = date.into();
        let temp = svc.create_account(&admin, &request).await.unwrap();
        let token = login(&svc, &slug, "temp").await;

        let case = format!("{zone} {date}");
        move_to(&clock, midnight - Duration::SECOND);
        assert!(
            svc.authenticate(&meta(Some(&token))).await.is_ok(),
            "{case}: still signed in one second before"
        );
        let admin = admin_of(&svc, &slug, "boss").await;
        assert!(
            !listed_expired(&svc, &admin, temp.id).await,
            "{case}: listed as active one second before"
        );

        move_to(&clock, midnight);
        assert!(
            svc.authenticate(&meta(Some(&token))).await.is_err(),
            "{case}: signed out at local midnight"
        );
        assert!(
            listed_expired(&svc, &admin, temp.id).await,
            "{case}: listed as expired at local midnight"
        );
        let refused = api_err(try_login(&svc, &slug, "temp").await);
        assert_eq!(refused.code, ErrorCode::AccountExpired, "{case}");
        // The next sign-in counts the seats: Postgres ends the expired
        // person's session as of that instant (its own copy of the zone).
        account(&svc, &slug, "other", "user").await;
        login(&svc, &slug, "other").await;
        let ended: OffsetDateTime = sqlx::query_scalar(
            "SELECT s.ended_at FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE a.tenant_id = $1 AND a.username = 'temp'",
        )
        .bind(t)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            ended, midnight,
            "{case}: the session ended at local midnight"
        );
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_date_in_the_past_is_judged_in_the_organisations_zone(pool: PgPool) {
    // 03:00 UTC on 8 December: still the 7th in Toronto, already the 8th in
    // Auckland (and in UTC).
    let clock = Arc::new(ManualClock::starting_at(datetime!(2026-12-08 03:00 UTC)));
    let svc = services(pool.clone(), clock).await;
    for (slug, zone, accepted) in [
        ("tor", "America/Toronto", true),
        ("akl", "Pacific/Auckland", false),
        ("utc", "UTC", false),
    ] {
        let (_, admin) = tenant_with_boss(&svc, slug).await;
        set_zone(&svc, &admin, zone).await;
        let admin = admin_of(&svc, slug, "boss").await;
        let options = svc.account_form_options(&admin).await.unwrap();
        let mut request = account_request("temp", "user");
        request.form.expires_on = "2026-12-08".into();
        let created = svc.create_account(&admin, &request).await;
        if accepted {
            assert_eq!(options.today, time::macros::date!(2026 - 12 - 07));
            assert!(created.is_ok(), "{zone}: tomorrow there");
        } else {
            assert_eq!(options.today, time::macros::date!(2026 - 12 - 08));
            let err = api_err(created);
            assert_eq!(
                err.field.as_deref(),
                Some("expires_on"),
                "{zone}: today there"
            );
        }
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn changing_the_zone_keeps_every_stored_date(pool: PgPool) {
    let clock = Arc::new(ManualClock::starting_at(datetime!(2026-12-20 12:00 UTC)));
    let svc = services(pool.clone(), clock.clone()).await;
    let (t, admin) = tenant_with_boss(&svc, "move").await;
    day_long_lease(&pool, t).await;
    let mut request = account_request("temp", "user");
    request.form.expires_on = "2026-12-31".into();
    let temp = svc.create_account(&admin, &request).await.unwrap();
    let before = svc.get_settings(&admin).await.unwrap();
    set_zone(&svc, &admin, "America/Toronto").await;

    // The change is audited and raised the settings' version.
    let changed = last_audit_details(&pool, t, "settings.changed").await;
    assert_eq!(
        changed["changes"]["time_zone"]["after"], "America/Toronto",
        "{changed}"
    );
    let after = svc.get_settings(&admin).await.unwrap();
    assert!(after.version > before.version);

    // The date is still 31 December, now Toronto's.
    let admin = admin_of(&svc, "move", "boss").await;
    let stored = svc.get_account(&admin, temp.id).await.unwrap();
    assert_eq!(
        stored.summary.expires_on,
        Some(time::macros::date!(2026 - 12 - 31))
    );
    move_to(&clock, datetime!(2026-12-31 04:59:59 UTC));
    let admin = admin_of(&svc, "move", "boss").await;
    assert!(!listed_expired(&svc, &admin, temp.id).await);
    move_to(&clock, datetime!(2026-12-31 05:00 UTC));
    assert!(listed_expired(&svc, &admin, temp.id).await);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn unknown_zones_are_refused_beside_the_field_and_change_nothing(pool: PgPool) {
    let (svc, t, admin) = tenant_with_admin(&pool, "badzone").await;
    let settings = svc.get_settings(&admin).await.unwrap();
    assert_eq!(settings.time_zone, "UTC");
    for bad in ["Mars/Olympus", "EST", "+05:00", "", "America/Toronto\u{0}"] {
        let mut s = settings.clone();
        s.time_zone = bad.into();
        let err = api_err(svc.update_settings(&admin, &s).await);
        assert_eq!(err.field.as_deref(), Some("time_zone"), "{bad:?}");
        assert!(err.message.contains("America/Toronto"), "{}", err.message);
    }
    // Any letter case is the canonical name.
    let mut s = settings.clone();
    s.time_zone = "europe/paris".into();
    assert_eq!(
        svc.update_settings(&admin, &s).await.unwrap().time_zone,
        "Europe/Paris"
    );
    let stored: String = sqlx::query_scalar("SELECT time_zone FROM tenants WHERE id = $1")
        .bind(t)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, "Europe/Paris");
    // Postgres itself refuses a name it does not know.
    let refused = sqlx::query("UPDATE tenants SET time_zone = 'Mars/Olympus' WHERE id = $1")
        .bind(t)
        .execute(&pool)
        .await;
    assert!(refused.is_err());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn usage_days_and_the_alert_mail_follow_the_zone(pool: PgPool) {
    // 22:00 in Toronto on 29 November.
    let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-30 03:00 UTC)));
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "tor", 1).await;
    day_long_lease(&pool, t).await;
    account(&svc, "tor", "boss", "admin").await;
    account(&svc, "tor", "ann", "user").await;
    let boss = login(&svc, "tor", "boss").await;
    let admin = svc.require_admin(&meta(Some(&boss))).await.unwrap();
    set_zone(&svc, &admin, "America/Toronto").await;
    svc.logout(&meta(Some(&boss))).await.unwrap();

    // Ann holds the one seat from 22:00 to 01:00 local, across midnight;
    // the boss is refused at 22:30 (29th) and 00:30 (30th).
    let ann = login(&svc, "tor", "ann").await;
    move_to(&clock, datetime!(2026-11-30 03:30 UTC));
    assert!(try_login(&svc, "tor", "boss").await.is_err());
    move_to(&clock, datetime!(2026-11-30 05:30 UTC));
    assert!(try_login(&svc, "tor", "boss").await.is_err());
    move_to(&clock, datetime!(2026-11-30 06:00 UTC));
    svc.logout(&meta(Some(&ann))).await.unwrap();

    move_to(&clock, datetime!(2026-12-01 12:00 UTC));
    let (days, zone) = svc
        .operator_usage(
            "tor",
            UsageBucket::Day,
            Some("2026-11-29"),
            Some("2026-11-30"),
        )
        .await
        .unwrap();
    assert_eq!(zone.name(), "America/Toronto");
    let summary: Vec<(OffsetDateTime, u32, u32)> = days
        .iter()
        .map(|d| (d.start, d.peak_people, d.refused))
        .collect();
    assert_eq!(
        summary,
        [
            (datetime!(2026-11-29 05:00 UTC), 1, 1),
            (datetime!(2026-11-30 05:00 UTC), 1, 1),
        ],
        "one refusal on each side of Toronto's midnight"
    );

    // One mail per local day, each naming its own day.
    assert_eq!(svc.queue_seat_alerts().await.unwrap(), 2);
    let subjects: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM outbox WHERE kind = 'seat_alert' ORDER BY subject")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        subjects,
        [
            "1 sign-in was refused on 29 Nov: no free seat at Tenant tor",
            "1 sign-in was refused on 30 Nov: no free seat at Tenant tor",
        ]
    );
    let text: String = sqlx::query_scalar(
        "SELECT text_body FROM outbox WHERE kind = 'seat_alert' AND subject LIKE '%29 Nov%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        text.contains("(America/Toronto time)") && text.contains("from 22:00 to 24:00"),
        "{text}"
    );
}
