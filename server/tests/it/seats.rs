//! The product's core rule under load: never more people signed in than seats,
//! however many sign in at once and however many server instances answer.

use super::support::*;
use app::model::ErrorCode;
use app::model::Secret;
use server::domain::signin::LoggedIn;
use server::domain::Services;
use server::error::Error;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use tokio::sync::Barrier;

const ATTEMPTS: usize = 200;
/// Separate pools stand in for separate server instances (Lambda containers):
/// they share nothing but the database.
const INSTANCES: usize = 4;

async fn instances(connect: &PgConnectOptions) -> (PgPool, Vec<Services>) {
    let clock = clock();
    let mut all = Vec::new();
    for _ in 0..INSTANCES {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(connect.clone())
            .await
            .unwrap();
        all.push(services(pool, clock.clone()).await);
    }
    let observer = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(connect.clone())
        .await
        .unwrap();
    (observer, all)
}

fn code(r: &Result<LoggedIn, Error>) -> Option<ErrorCode> {
    match r {
        Ok(_) => None,
        Err(Error::Api(e)) => Some(e.code),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

async fn simultaneous_logins(connect: PgConnectOptions, seats: i64) {
    let (observer, nodes) = instances(&connect).await;
    let busy = tenant(&nodes[0], "busy", seats).await;
    let quiet = tenant(&nodes[0], "quiet", 2).await;
    let names = many_accounts(&observer, busy, "u", ATTEMPTS).await;
    let quiet_names = many_accounts(&observer, quiet, "q", 2).await;

    let barrier = Arc::new(Barrier::new(ATTEMPTS + quiet_names.len()));
    let mut tasks = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let svc = nodes[i % INSTANCES].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            login_patiently(&svc, "busy", &name).await
        }));
    }
    // The other tenant signs in during the storm and is not affected by it.
    let mut quiet_tasks = Vec::new();
    for (i, name) in quiet_names.into_iter().enumerate() {
        let svc = nodes[i % INSTANCES].clone();
        let barrier = barrier.clone();
        quiet_tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            login_patiently(&svc, "quiet", &name).await
        }));
    }

    let mut granted = 0;
    let mut refused = 0;
    for t in tasks {
        match code(&t.await.unwrap()) {
            None => granted += 1,
            Some(ErrorCode::SeatsExhausted) => refused += 1,
            Some(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    for t in quiet_tasks {
        assert!(t.await.unwrap().is_ok(), "the quiet tenant was refused");
    }
    assert_eq!(granted, seats, "granted sessions must equal seats");
    assert_eq!(refused, ATTEMPTS as i64 - seats);
    assert_eq!(open_sessions(&observer, busy).await, seats);
    assert_eq!(open_sessions(&observer, quiet).await, 2);
    assert_eq!(audit_count(&observer, busy, "login.succeeded").await, seats);
    assert_eq!(
        audit_count(&observer, busy, "login.refused_seats").await,
        ATTEMPTS as i64 - seats
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_hundred_simultaneous_logins_one_seat(_: PgPoolOptions, connect: PgConnectOptions) {
    simultaneous_logins(connect, 1).await;
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_hundred_simultaneous_logins_ten_seats(_: PgPoolOptions, connect: PgConnectOptions) {
    simultaneous_logins(connect, 10).await;
}

/// Logins and logouts interleaved: every task signs in, and on success holds
/// the seat briefly and signs out. An observer samples the number of open
/// sessions throughout; it must never exceed the seats.
async fn interleaved(connect: PgConnectOptions, seats: i64) {
    let (observer, nodes) = instances(&connect).await;
    let busy = tenant(&nodes[0], "busy", seats).await;
    let quiet = tenant(&nodes[0], "quiet", 1).await;
    let names = many_accounts(&observer, busy, "u", ATTEMPTS).await;
    let quiet_name = many_accounts(&observer, quiet, "q", 1).await.remove(0);

    let done = Arc::new(AtomicBool::new(false));
    let max_seen = Arc::new(AtomicI64::new(0));
    let watcher = {
        let (done, max_seen, observer) = (done.clone(), max_seen.clone(), observer.clone());
        tokio::spawn(async move {
            let mut samples = 0u32;
            while !done.load(Ordering::SeqCst) {
                let n = open_sessions(&observer, busy).await;
                max_seen.fetch_max(n, Ordering::SeqCst);
                samples += 1;
                tokio::task::yield_now().await;
            }
            samples
        })
    };

    let barrier = Arc::new(Barrier::new(ATTEMPTS));
    let mut tasks = Vec::new();
    for (i, name) in names.iter().cloned().enumerate() {
        let svc = nodes[i % INSTANCES].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            match login_patiently(&svc, "busy", &name).await {
                Ok(session) => {
                    tokio::task::yield_now().await;
                    svc.logout(&meta(Some(session.token.expose())))
                        .await
                        .unwrap();
                    true
                }
                Err(Error::Api(e)) if e.code == ErrorCode::SeatsExhausted => false,
                Err(other) => panic!("unexpected error: {other}"),
            }
        }));
    }
    let quiet_login = login_patiently(&nodes[1], "quiet", &quiet_name).await;
    let mut granted = 0;
    for t in tasks {
        granted += i64::from(t.await.unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let samples = watcher.await.unwrap();

    assert!(quiet_login.is_ok(), "the other tenant was affected");
    assert!(samples > 0);
    assert!(
        max_seen.load(Ordering::SeqCst) <= seats,
        "{} open sessions seen with {seats} seats",
        max_seen.load(Ordering::SeqCst)
    );
    assert!(granted >= seats, "freed seats were not reused");
    assert_eq!(
        open_sessions(&observer, busy).await,
        0,
        "every session signed out"
    );
    assert_eq!(
        audit_count(&observer, busy, "login.succeeded").await,
        granted
    );
    assert_eq!(audit_count(&observer, busy, "logout").await, granted);

    // Everything was freed: exactly `seats` of the next wave get in.
    let mut again = 0;
    for name in &names[..(seats as usize + 3)] {
        if nodes[0]
            .login(&meta(None), "busy", name, &Secret::from(PASSWORD))
            .await
            .is_ok()
        {
            again += 1;
        }
    }
    assert_eq!(again, seats);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn interleaved_logins_and_logouts_one_seat(_: PgPoolOptions, connect: PgConnectOptions) {
    interleaved(connect, 1).await;
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn interleaved_logins_and_logouts_ten_seats(_: PgPoolOptions, connect: PgConnectOptions) {
    interleaved(connect, 10).await;
}
