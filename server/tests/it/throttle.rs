//! Sign-in throttling without lockout (issue #14): time is moved, never
//! slept.

use super::support::*;
use app::api::port::RequestMeta;
use app::model::ErrorCode;
use app::model::NewPassword;
use app::model::Secret;
use server::clock::ManualClock;
use server::domain::Services;
use server::error::Error;
use sqlx::PgPool;
use std::sync::Arc;
use time::Duration;
use uuid::Uuid;

fn from(ip: &str) -> RequestMeta {
    RequestMeta {
        ip: Some(ip.to_owned()),
        ..meta(None)
    }
}

/// The outcome of one attempt: `Ok`, the error code, and any wait.
async fn attempt(
    svc: &Services,
    ip: &str,
    user: &str,
    password: &str,
) -> Result<(), (ErrorCode, Option<u32>)> {
    match svc
        .login(&from(ip), "thr", user, &Secret::from(password))
        .await
    {
        Ok(_) => Ok(()),
        Err(Error::Api(e)) => Err((e.code, e.retry_after)),
        Err(e) => panic!("{e}"),
    }
}

/// The tenant `thr` (10 seats) with the user `ann`, on a clock the test moves.
async fn setup(pool: &PgPool) -> (Services, Arc<ManualClock>, Uuid, Uuid) {
    let clock = clock();
    let svc = services(pool.clone(), clock.clone()).await;
    let t = tenant(&svc, "thr", 10).await;
    let ann = account(&svc, "thr", "ann", "user").await;
    (svc, clock, t, ann)
}

const BAD: (ErrorCode, Option<u32>) = (ErrorCode::InvalidCredentials, None);

fn wait(seconds: u32) -> (ErrorCode, Option<u32>) {
    (ErrorCode::TooManyAttempts, Some(seconds))
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn five_failures_make_that_address_wait_even_with_the_right_password(pool: PgPool) {
    let (svc, clock, t, _) = setup(&pool).await;
    account(&svc, "thr", "bob", "user").await;
    for _ in 0..5 {
        assert_eq!(attempt(&svc, "203.0.113.1", "ann", "wrong").await, Err(BAD));
    }
    assert_eq!(
        attempt(&svc, "203.0.113.1", "ann", PASSWORD).await,
        Err(wait(1))
    );
    assert_eq!(audit_count(&pool, t, "login.throttled").await, 1);
    // Another address, and another account from this address, are not slowed.
    assert_eq!(attempt(&svc, "203.0.113.2", "bob", PASSWORD).await, Ok(()));
    assert_eq!(attempt(&svc, "203.0.113.1", "bob", PASSWORD).await, Ok(()));
    // The wait doubles with each further failure.
    clock.advance(Duration::seconds(1));
    assert_eq!(attempt(&svc, "203.0.113.1", "ann", "wrong").await, Err(BAD));
    assert_eq!(
        attempt(&svc, "203.0.113.1", "ann", PASSWORD).await,
        Err(wait(2))
    );
    clock.advance(Duration::seconds(2));
    assert_eq!(attempt(&svc, "203.0.113.1", "ann", "wrong").await, Err(BAD));
    assert_eq!(
        attempt(&svc, "203.0.113.1", "ann", PASSWORD).await,
        Err(wait(4))
    );
    // The owner, from elsewhere, signs in; that forgets the failures.
    assert_eq!(attempt(&svc, "198.51.100.7", "ann", PASSWORD).await, Ok(()));
    assert_eq!(attempt(&svc, "203.0.113.1", "ann", PASSWORD).await, Ok(()));
    // Unknown usernames are counted the same: a 429 tells nothing.
    for _ in 0..5 {
        assert_eq!(
            attempt(&svc, "203.0.113.9", "nobody", PASSWORD).await,
            Err(BAD)
        );
    }
    assert_eq!(
        attempt(&svc, "203.0.113.9", "nobody", PASSWORD).await,
        Err(wait(1))
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn spread_and_sprayed_guesses_are_slowed_later(pool: PgPool) {
    let (svc, clock, _, _) = setup(&pool).await;
    // 50 addresses, one guess each: then the account waits, from anywhere.
    for i in 0..50 {
        assert_eq!(
            attempt(&svc, &format!("10.0.0.{i}"), "ann", "wrong").await,
            Err(BAD)
        );
    }
    assert_eq!(
        attempt(&svc, "10.0.1.1", "ann", PASSWORD).await,
        Err(wait(1))
    );
    clock.advance(Duration::seconds(1));
    assert_eq!(attempt(&svc, "10.0.1.1", "ann", PASSWORD).await, Ok(()));
    // One address, 30 usernames: then that address waits, for any username.
    for i in 0..30 {
        assert_eq!(
            attempt(&svc, "10.9.9.9", &format!("guess{i}"), "wrong").await,
            Err(BAD)
        );
    }
    assert_eq!(
        attempt(&svc, "10.9.9.9", "ann", PASSWORD).await,
        Err(wait(1))
    );
    assert_eq!(attempt(&svc, "10.9.9.8", "ann", PASSWORD).await, Ok(()));
    // An hour later everything is forgotten.
    clock.advance(Duration::hours(1));
    assert_eq!(attempt(&svc, "10.9.9.9", "ann", PASSWORD).await, Ok(()));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn administrators_see_and_clear_an_accounts_throttles(pool: PgPool) {
    let (svc, clock, t, ann) = setup(&pool).await;
    account(&svc, "thr", "boss", "admin").await;
    let admin = admin_of(&svc, "thr", "boss").await;
    let id = app::model::AccountId::from_uuid(ann);
    assert!(svc
        .get_account(&admin, id)
        .await
        .unwrap()
        .throttles
        .is_empty());
    for _ in 0..6 {
        let _ = attempt(&svc, "203.0.113.1", "ann", "wrong").await;
        clock.advance(Duration::seconds(1));
    }
    let shown = svc.get_account(&admin, id).await.unwrap().throttles;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].address.as_deref(), Some("203.0.113.1"));
    assert_eq!(shown[0].failures, 6);
    assert_eq!(
        shown[0].waits_until,
        shown[0].last_failure_at + Duration::seconds(2)
    );
    assert_eq!(svc.clear_throttle(&admin, id).await.unwrap(), 2);
    assert!(svc
        .get_account(&admin, id)
        .await
        .unwrap()
        .throttles
        .is_empty());
    assert_eq!(attempt(&svc, "203.0.113.1", "ann", PASSWORD).await, Ok(()));
    assert_eq!(audit_count(&pool, t, "login.throttle_cleared").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn forgot_password_requests_are_throttled_too(pool: PgPool) {
    let (svc, _, _, _) = setup(&pool).await;
    // Requests count for their address only: ann's own sign-in is not slowed.
    for _ in 0..30 {
        svc.forgot_password(&from("203.0.113.1"), "thr", "ann")
            .await
            .unwrap();
    }
    assert_eq!(attempt(&svc, "198.51.100.3", "ann", PASSWORD).await, Ok(()));
    let e = api_err(
        svc.forgot_password(&from("203.0.113.1"), "thr", "ann")
            .await,
    );
    assert_eq!((e.code, e.retry_after), wait(1));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_password_set_by_an_administrator_forgets_the_failures(pool: PgPool) {
    let (svc, _, _, ann) = setup(&pool).await;
    account(&svc, "thr", "boss", "admin").await;
    let admin = admin_of(&svc, "thr", "boss").await;
    for _ in 0..5 {
        let _ = attempt(&svc, "203.0.113.1", "ann", "wrong").await;
    }
    assert_eq!(
        attempt(&svc, "203.0.113.1", "ann", PASSWORD).await,
        Err(wait(1))
    );
    svc.reset_password(
        &admin,
        &app::model::ResetPasswordRequest {
            id: app::model::AccountId::from_uuid(ann),
            new_password: NewPassword::new("Fresh-pass 9!", "Fresh-pass 9!"),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        attempt(&svc, "203.0.113.1", "ann", "Fresh-pass 9!").await,
        Ok(())
    );
}

/// The scripted guessing attack of the closing note: an attacker who tries
/// again the moment `Retry-After` allows, for one simulated hour.
async fn guesses_in_an_hour(
    svc: &Services,
    clock: &server::clock::ManualClock,
    addresses: usize,
) -> u32 {
    use server::clock::Clock;
    let end = clock.now() + Duration::hours(1);
    let (mut guesses, mut i) = (0, 0);
    while clock.now() < end {
        let ip = format!("10.{}.{}.1", i % addresses / 256, i % addresses % 256);
        match attempt(svc, &ip, "ann", "wrong").await {
            Err((ErrorCode::InvalidCredentials, _)) => {
                guesses += 1;
                i += 1;
            }
            Err((ErrorCode::TooManyAttempts, Some(s))) => {
                clock.advance(Duration::seconds(i64::from(s)));
            }
            other => panic!("{other:?}"),
        }
    }
    guesses
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_scripted_guessing_attack_gets_few_guesses_an_hour(pool: PgPool) {
    let (svc, clock, _, _) = setup(&pool).await;
    let one = guesses_in_an_hour(&svc, &clock, 1).await;
    clock.advance(Duration::hours(2));
    let hundred = guesses_in_an_hour(&svc, &clock, 100).await;
    println!("guesses in the first hour against one account: from one address {one}, from 100 addresses {hundred}");
    // 5 free, then waits of 1 s … 512 s (17 min), then one every 15 min:
    // at 0 s (5), 1 s … 1,023 s (10), 1,923 s and 2,823 s.
    assert_eq!(one, 5 + 10 + 2);
    // 50 free across addresses (the account's threshold), then the same.
    assert!((50..=70).contains(&hundred), "{hundred}");
    // And the owner still signs in (from their own address) once the wait is over.
    clock.advance(Duration::minutes(15));
    assert_eq!(attempt(&svc, "192.0.2.200", "ann", PASSWORD).await, Ok(()));
}

/// Right and wrong passwords for one account at once (a person signing in on
/// two devices, one mistyped) end in answers, never a deadlock: the sign-in
/// clears the username's failures under the tenant's seat lock while the
/// wrong ones hold those rows and write their audit events (found by the
/// Lambda pool's burst test, issue #16).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn right_and_wrong_passwords_at_once_never_deadlock(pool: PgPool) {
    let (svc, _, _, _) = setup(&pool).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..24 {
        let svc = svc.clone();
        set.spawn(async move {
            // One address each, so no attempt waits out a throttle.
            let ip = format!("192.0.2.{}", i + 1);
            let password = if i % 3 == 0 {
                PASSWORD
            } else {
                "wrong password"
            };
            match svc
                .login(&from(&ip), "thr", "ann", &Secret::from(password))
                .await
            {
                Ok(_) => None,
                Err(Error::Api(e)) => Some(e.code),
                Err(e) => panic!("attempt {i}: {e}"),
            }
        });
    }
    while let Some(outcome) = set.join_next().await {
        if let Some(code) = outcome.unwrap() {
            assert!(
                matches!(
                    code,
                    ErrorCode::InvalidCredentials | ErrorCode::TooManyAttempts
                ),
                "{code:?}"
            );
        }
    }
}
