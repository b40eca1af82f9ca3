//! `cargo xtask bench`: login throughput next to raw argon2 throughput (same
//! run, same machine), and server-side latency of the hot paths through the
//! real router. Needs DATABASE_URL pointing at a maintenance database; it
//! creates and drops its own database.

use app::model::CreateAccountRequest;
use app::model::NewPassword;
use app::model::Secret;
use axum::body::Body;
use http::{header, Request};
use server::clock::SystemClock;
use server::config::Settings;
use server::domain::caller::Operator;
use server::domain::Services;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const PASSWORD: &str = "Bench-pass 1!";
const HASHES: usize = 160;
const LOGINS: usize = 160;
/// Accounts in the benchmark tenant: the list must stay fast at this size.
const LIST_ACCOUNTS: usize = 100_000;
const SAMPLES: usize = 400;
/// Simultaneous sign-ins in the flood.
const FLOOD: usize = 1_000;

/// `(resident MB, peak resident MB, threads)` of this process, from
/// `/proc/self/status` (Linux).
fn process_status() -> (f64, f64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (
        field("VmRSS:") as f64 / 1024.0,
        field("VmHWM:") as f64 / 1024.0,
        field("Threads:"),
    )
}

type Fail = Box<dyn std::error::Error>;
/// What a spawned task fails with.
type TaskFail = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Fail> {
    let admin_url = std::env::var("DATABASE_URL")?;
    let db = "rollcall_bench";
    let mut admin = PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    // The server's own kind of role, which row-level security binds (as
    // the table owner, through FORCE), so its cost is in the numbers.
    sqlx::query(
        "DO $$ BEGIN
             CREATE ROLE rollcall_bench LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'bench-loopback';
         EXCEPTION WHEN duplicate_object THEN NULL;
         END $$",
    )
    .execute(&mut admin)
    .await?;
    sqlx::query(&format!("CREATE DATABASE {db} OWNER rollcall_bench"))
        .execute(&mut admin)
        .await?;
    let options = PgConnectOptions::from_str(&admin_url)?
        .username("rollcall_bench")
        .password("bench-loopback")
        .database(db);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect_with(options)
        .await?;
    if let Some(refusal) = server::db::scope::role_refusal(&pool).await? {
        return Err(refusal.into());
    }
    server::db::MIGRATOR.run(&pool).await?;
    // Bulk loading writes across the policies as the superuser.
    let loader = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(PgConnectOptions::from_str(&admin_url)?.database(db))
        .await?;
    let settings = Settings {
        // Seals the benchmark tenant's directory look-up password.
        secret_key: Some(server::crypto::SecretKey::parse(
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )?),
        ..Settings::default()
    };
    let svc = Services::new(pool.clone(), Arc::new(SystemClock), settings);
    let op = Operator {
        name: "bench".into(),
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "machine: {cores} cores; argon2id m={} KiB t={} p={}",
        server::crypto::ARGON2_MEMORY_KIB,
        server::crypto::ARGON2_PASSES,
        server::crypto::ARGON2_LANES
    );

    // Both phases keep the same number of operations in flight.
    let in_flight = cores * 2;

    // 1. argon2id alone (after a warm-up hash per lane).
    for _ in 0..in_flight {
        server::crypto::hash_password(PASSWORD.into()).await?;
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..in_flight {
        tasks.push(tokio::spawn(async move {
            let mut i = lane;
            while i < HASHES {
                server::crypto::hash_password(PASSWORD.into()).await?;
                i += in_flight;
            }
            Ok::<_, server::error::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let hashes_per_s = HASHES as f64 / start.elapsed().as_secs_f64();

    // 2. Full logins (verify + seat transaction + audit), `cores * 2` in flight.
    svc.create_tenant(&op, "bench", "Bench", 100_000).await?;
    // 100,000 accounts in one statement (hashing each would take an hour and
    // measure nothing here): varied names, a tenth of them on a client,
    // some inactive, some expired (above the first 1,000, which sign in).
    let hash = server::crypto::hash_password(PASSWORD.into()).await?;
    let tenant_id = svc.find_tenant("bench").await?.id;
    let client_id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO clients (tenant_id, name, name_key, created_at) VALUES ($1, 'Acme', 'acme', now()) RETURNING id",
    )
    .bind(tenant_id)
    .fetch_one(&loader)
    .await?;
    let loaded = Instant::now();
    sqlx::query(
        "INSERT INTO accounts (tenant_id, username, username_key, first_name, last_name, email, role,
                               status, password_hash, password_changed_at, expires_on, created_at, updated_at,
                               search_key)
         SELECT $1, 'user' || lpad(i::text, 6, '0'), 'user' || lpad(i::text, 6, '0'),
                (ARRAY['Ada','Ben','Chloe','Dev','Eva','Femi','Gus','Hana','Ivan','Jo'])[1 + i % 10],
                (ARRAY['Smith','Jones','Patel','Nguyen','Garcia','Kowalski','Okafor','Rossi','Schmidt','Tanaka','Dubois','Silva'])[1 + i % 12] || (i % 997)::text,
                'user' || lpad(i::text, 6, '0') || '@bench.example',
                'user', CASE WHEN i > 1000 AND i % 50 = 0 THEN 'inactive' ELSE 'active' END,
                $2, now(), CASE WHEN i > 1000 AND i % 40 = 0 THEN current_date - 1 END,
                now() - make_interval(mins => i), now(), ''
         FROM generate_series(1, $3) AS i",
    )
    .bind(tenant_id)
    .bind(&hash)
    .bind(LIST_ACCOUNTS as i32)
    .execute(&loader)
    .await?;
    sqlx::query(
        "INSERT INTO account_clients (tenant_id, account_id, client_id)
         SELECT tenant_id, id, $2 FROM accounts WHERE tenant_id = $1 AND username_key LIKE '%0'",
    )
    .bind(tenant_id)
    .bind(client_id)
    .execute(&loader)
    .await?;
    println!(
        "loaded {LIST_ACCOUNTS} accounts in {:.1} s",
        loaded.elapsed().as_secs_f64()
    );
    // Their search keys are computed as `server migrate` computes them after
    // a migration: in Rust, every row. A second run finds nothing to change.
    for run in ["first (every key new)", "second (nothing to change)"] {
        let keyed = Instant::now();
        let done = server::domain::text_keys::refresh(&pool)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "server migrate, case-insensitive keys, {run}: {} rows updated in {:.1} s",
            done.updated,
            keyed.elapsed().as_secs_f64()
        );
    }
    // What autovacuum would have done by the time anyone lists them.
    sqlx::query("VACUUM ANALYZE").execute(&loader).await?;
    svc.operator_create_account(
        &op,
        "bench",
        &local_account("boss", ("Bench", "Admin"), "administrator"),
    )
    .await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..in_flight {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = lane;
            while i < LOGINS {
                svc.login(
                    &Default::default(),
                    "bench",
                    &format!("user{:06}", i + 1),
                    &Secret::from(PASSWORD),
                )
                .await?;
                i += in_flight;
            }
            Ok::<_, server::error::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let logins_per_s = LOGINS as f64 / start.elapsed().as_secs_f64();
    println!("\nthroughput (same run)");
    println!("  argon2id hashes alone   {hashes_per_s:>8.1} /s");
    println!(
        "  full logins             {logins_per_s:>8.1} /s  ({:.0}% of hashing)",
        100.0 * logins_per_s / hashes_per_s
    );

    // 2b. A sign-in flood: 1,000 at once, each retrying when told to
    // (503 server_busy, Retry-After), as browsers would.
    let before = process_status();
    let start = Instant::now();
    let mut flood = Vec::new();
    for i in 0..FLOOD {
        let svc = svc.clone();
        flood.push(tokio::spawn(async move {
            let mut busy = 0u32;
            loop {
                match svc
                    .login(
                        &Default::default(),
                        "bench",
                        &format!("user{:06}", i + 1),
                        &Secret::from(PASSWORD),
                    )
                    .await
                {
                    Ok(done) => return Ok::<_, server::error::Error>((busy, done.token)),
                    Err(server::error::Error::Api(e)) if e.retry_after.is_some() => {
                        busy += 1;
                        let wait = u64::from(e.retry_after.unwrap_or(1));
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                    }
                    Err(e) => return Err(e),
                }
            }
        }));
    }
    let mut refusals = 0;
    let mut tokens = Vec::new();
    for t in flood {
        let (busy, token) = t.await??;
        refusals += busy;
        tokens.push(token);
    }
    let flood_per_s = FLOOD as f64 / start.elapsed().as_secs_f64();
    let after = process_status();
    // Signed out again, so the License page below measures the same holders.
    for token in tokens {
        let meta = app::api::port::RequestMeta {
            session_token: Some(token),
            ..Default::default()
        };
        svc.logout(&meta).await?;
    }
    println!(
        "  {FLOOD} sign-ins at once     {flood_per_s:>8.1} /s  ({refusals} answers of 503 server_busy, retried after Retry-After)"
    );
    println!(
        "  process: resident {:.0} MB before, {:.0} MB after, peak {:.0} MB; {} threads",
        before.0, after.0, after.1, after.2
    );

    // 3. Hot paths through the router, one at a time (server-side latency).
    let app = server::http::router(svc.clone(), None);
    let cookie = session_cookie(&app, "bench", "boss").await?;
    println!("\nlatency through the router ({SAMPLES} sequential requests each; {} accounts, {} open sessions)",
        LIST_ACCOUNTS + 1, LOGINS + 1);
    println!(
        "  {:<34} {:>9} {:>9} {:>9}",
        "endpoint", "p50", "p95", "p99"
    );
    let list = |query: &str| format!(r#"{{"query":{query}}}"#);
    let client = format!(r#"{{"status":"active","client":"{client_id}"}}"#);
    let cases: Vec<(&str, &str, String, usize)> = vec![
        ("heartbeat", "/api/heartbeat", "{}".into(), SAMPLES),
        ("session", "/api/session", "{}".into(), SAMPLES),
        ("license", "/api/license", "{}".into(), SAMPLES),
        (
            "list: page 1 by username",
            "/api/accounts/list",
            list("{}"),
            SAMPLES / 4,
        ),
        (
            "list: page 1 by name desc",
            "/api/accounts/list",
            list(r#"{"sort":"name","descending":true}"#),
            SAMPLES / 4,
        ),
        (
            "list: page 1 by created",
            "/api/accounts/list",
            list(r#"{"sort":"created"}"#),
            SAMPLES / 4,
        ),
        (
            "list: page 1000 of 2000",
            "/api/accounts/list",
            list(r#"{"page":1000}"#),
            SAMPLES / 4,
        ),
        (
            "list: users, active, 1 client",
            "/api/accounts/list",
            list(&client),
            SAMPLES / 4,
        ),
        (
            "search: \"user04213\" (10 hits)",
            "/api/accounts/list",
            list(r#"{"search":"user04213"}"#),
            SAMPLES / 4,
        ),
        (
            "search: \"kowalski\" (8,333 hits)",
            "/api/accounts/list",
            list(r#"{"search":"kowalski"}"#),
            SAMPLES / 4,
        ),
        (
            "search: \"zzz\" (no hits)",
            "/api/accounts/list",
            list(r#"{"search":"zzz"}"#),
            SAMPLES / 4,
        ),
    ];
    for (label, path, body, samples) in &cases {
        let mut times = Vec::with_capacity(*samples);
        for _ in 0..*samples {
            let t = Instant::now();
            let res = app
                .clone()
                .oneshot(json_post(path, body, Some(&cookie)))
                .await?;
            let status = res.status();
            let _ = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
            times.push(t.elapsed());
            if !status.is_success() {
                return Err(format!("{label} answered {status}").into());
            }
        }
        print_row(label, &mut times);
    }

    // 4. Form permissions: 50 forms x 40 columns, 20 groups, 10,000
    //    accounts in three groups each, with person-level overrides; asked
    //    through the router with a tenant API token, as another system would.
    permissions(&svc, &loader, &app).await?;

    // 5. Sign-in latency, local next to Active Directory, same run.
    sign_in_latency(&svc).await?;

    // 6. The seat transaction alone, on one hot tenant.
    seat_transactions(&svc, &pool, &loader, in_flight).await?;

    // 7. The usage history of a tenant with a year of sign-ins.
    usage_history(&svc, &loader, &op).await?;

    pool.close().await;
    loader.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

const SIGN_IN_SAMPLES: usize = 60;

/// People signing in to the hot tenant, each once, with no password check.
const SEAT_SIGN_INS: usize = 2_000;

/// Sign-ins per second through the seat transaction alone (lock the tenant,
/// reclaim lapsed seats, decide, insert the session, audit, commit) on one
/// tenant, `in_flight` at a time: what bounds sign-ins to one busy
/// organisation once passwords are checked (issue #15).
async fn seat_transactions(
    svc: &Services,
    pool: &sqlx::PgPool,
    loader: &sqlx::PgPool,
    in_flight: usize,
) -> Result<(), Fail> {
    use server::db::scope::Scope;
    use server::domain::caller::Origin;
    svc.create_tenant(
        &Operator {
            name: "bench".into(),
        },
        "hot",
        "Hot",
        100_000,
    )
    .await?;
    let tenant_id = svc.find_tenant("hot").await?.id;
    sqlx::query(
        "INSERT INTO accounts (tenant_id, username, username_key, first_name, last_name, email, role,
                               status, created_at, updated_at, search_key)
         SELECT $1, 'hot' || i, 'hot' || i, 'Hot', 'Person' || i, 'hot' || i || '@bench.example',
                'user', 'active', now(), now(), ''
         FROM generate_series(1, $2) AS i",
    )
    .bind(tenant_id)
    .bind(SEAT_SIGN_INS as i32)
    .execute(loader)
    .await?;
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE tenant_id = $1 ORDER BY username_key")
            .bind(tenant_id)
            .fetch_all(loader)
            .await?;
    let mut accounts = Vec::with_capacity(ids.len());
    let mut tx = server::db::begin(pool, Scope::Tenant(tenant_id)).await?;
    for id in ids {
        let row = server::db::accounts::lock(&mut tx, tenant_id, id).await?;
        accounts.push(row.ok_or("no account")?);
    }
    tx.commit().await?;
    let accounts = Arc::new(accounts);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..in_flight {
        let (svc, accounts) = (svc.clone(), accounts.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = lane;
            while i < accounts.len() {
                let now = server::clock::Clock::now(&SystemClock);
                // The sign-in's own step: seat, session and audit in one
                // transaction under the tenant's row lock.
                svc.open_session(&accounts[i], None, None, &Origin::default(), now)
                    .await
                    .map_err(|e| format!("the seat transaction failed: {e}"))?;
                i += in_flight;
            }
            Ok::<(), TaskFail>(())
        }));
    }
    for t in tasks {
        t.await?.map_err(|e| e.to_string())?;
    }
    let per_s = SEAT_SIGN_INS as f64 / start.elapsed().as_secs_f64();
    println!("\nseat transactions on one tenant (no password check; {in_flight} in flight)");
    println!(
        "  {SEAT_SIGN_INS} people signing in      {per_s:>8.1} /s  (0 to {SEAT_SIGN_INS} people holding seats)"
    );
    Ok(())
}

/// Sessions a day in the usage history tenant, over a year.
const USAGE_SESSIONS_PER_DAY: i32 = 1_000;

/// `POST /api/license/usage` for a tenant with 1,000 sessions a day for a
/// year: the first call (which rolls the year up) and then each period.
async fn usage_history(svc: &Services, loader: &sqlx::PgPool, op: &Operator) -> Result<(), Fail> {
    svc.create_tenant(op, "history", "History", 300).await?;
    let tenant_id = svc.find_tenant("history").await?.id;
    svc.operator_create_account(
        op,
        "history",
        &local_account("keeper", ("Kay", "Keeper"), "admin"),
    )
    .await?;
    let loaded = Instant::now();
    // Created 400 days ago; 500 people, 1,000 sessions a day of 30 minutes to
    // 8 hours, all ended.
    sqlx::query("UPDATE tenants SET created_at = now() - interval '400 days' WHERE id = $1")
        .bind(tenant_id)
        .execute(loader)
        .await?;
    sqlx::query(
        "INSERT INTO accounts (tenant_id, username, username_key, first_name, last_name, email, role,
                               status, created_at, updated_at, search_key)
         SELECT $1, 'h' || i, 'h' || i, 'History', 'Person' || i, 'h' || i || '@bench.example',
                'user', 'active', now() - interval '400 days', now(), ''
         FROM generate_series(1, 500) AS i",
    )
    .bind(tenant_id)
    .execute(loader)
    .await?;
    let sessions = sqlx::query(
        "WITH people AS (SELECT array_agg(id ORDER BY username_key) AS ids FROM accounts
                         WHERE tenant_id = $1 AND username_key LIKE 'h%')
         INSERT INTO sessions (tenant_id, account_id, token_hash, created_at, last_seen_at, active_at,
                               ended_at, end_reason)
         SELECT $1, people.ids[1 + (i::bigint * 7919) % 500], sha256(('history-' || i)::bytea),
                start, start + span, start + span, start + span, 'logout'
         FROM people, generate_series(1, $2 * 365) AS i,
              LATERAL (SELECT now() - make_interval(mins => (i::bigint * 525600 / ($2 * 365))::int) AS start,
                              make_interval(mins => 30 + (i * 31) % 450) AS span) t",
    )
    .bind(tenant_id)
    .bind(USAGE_SESSIONS_PER_DAY)
    .execute(loader)
    .await?
    .rows_affected();
    sqlx::query("ANALYZE sessions").execute(loader).await?;
    println!(
        "\nusage history ({sessions} sessions over 365 days, loaded in {:.1} s)",
        loaded.elapsed().as_secs_f64()
    );
    let app = server::http::router(svc.clone(), None);
    let cookie = session_cookie(&app, "history", "keeper").await?;
    let first = Instant::now();
    let res = app
        .clone()
        .oneshot(json_post(
            "/api/license/usage",
            r#"{"period":"12m"}"#,
            Some(&cookie),
        ))
        .await?;
    if !res.status().is_success() {
        return Err(format!("usage answered {}", res.status()).into());
    }
    let _ = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
    println!(
        "  first call, rolling up the year   {:>9}",
        ms(first.elapsed())
    );
    println!("  {:<34} {:>9} {:>9} {:>9}", "period", "p50", "p95", "p99");
    for period in ["24h", "7d", "30d", "12m"] {
        let body = format!(r#"{{"period":"{period}"}}"#);
        let mut times = Vec::with_capacity(SAMPLES / 4);
        for _ in 0..SAMPLES / 4 {
            let t = Instant::now();
            let res = app
                .clone()
                .oneshot(json_post("/api/license/usage", &body, Some(&cookie)))
                .await?;
            let status = res.status();
            let _ = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
            times.push(t.elapsed());
            if !status.is_success() {
                return Err(format!("usage {period} answered {status}").into());
            }
        }
        print_row(&format!("usage: {period}"), &mut times);
    }
    Ok(())
}

/// A local account with the benchmark password.
fn local_account(username: &str, (first, last): (&str, &str), role: &str) -> CreateAccountRequest {
    CreateAccountRequest {
        username: username.into(),
        account_type: "local".into(),
        form: app::model::AccountForm {
            first_name: first.into(),
            last_name: last.into(),
            email: format!("{username}@bench.example"),
            role: role.into(),
            ..app::model::AccountForm::default()
        },
        new_password: NewPassword::new(PASSWORD, PASSWORD),
        invite: false,
    }
}

/// One latency row: p50, p95 and p99 of `times` (sorted here).
fn print_row(label: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "  {:<34} {:>9} {:>9} {:>9}",
        label,
        ms(pct(times, 50)),
        ms(pct(times, 95)),
        ms(pct(times, 99))
    );
}

fn ad(var: &str) -> Result<String, Fail> {
    std::env::var(var)
        .map_err(|_| format!("{var} is not set: run the benchmarks with `cargo xtask bench`, which starts the test domain controller").into())
}

/// Sequential sign-ins (one at a time, so each number is one person's
/// wait): a local account (argon2id verify + seat transaction) and an
/// Active Directory account (LDAPS bind and entry read against the test DC
/// on loopback + the same seat transaction), and the directory part alone.
async fn sign_in_latency(svc: &Services) -> Result<(), Fail> {
    let op = Operator {
        name: "bench".into(),
    };
    svc.create_tenant(&op, "signin", "Sign-in", 10_000).await?;
    let request = app::model::directory::SaveDirectoryRequest {
        enabled: true,
        url: ad("AD_URL")?,
        allow_plain: false,
        ca_pem: std::fs::read_to_string(ad("AD_CA")?)?,
        domain: ad("AD_DOMAIN")?,
        upn_suffix: ad("AD_REALM")?,
        base_dn: ad("AD_BASE")?,
        bind_name: ad("AD_LOOKUP")?,
        bind_password: Secret::from(ad("AD_LOOKUP_PASSWORD")?),
        version: None,
    };
    svc.operator_set_directory(&op, "signin", &request).await?;
    svc.operator_create_account(
        &op,
        "signin",
        &local_account("local", ("Local", "Person"), "user"),
    )
    .await?;
    svc.operator_create_account(
        &op,
        "signin",
        &CreateAccountRequest {
            username: "alice".into(),
            account_type: "directory".into(),
            form: app::model::AccountForm {
                role: "user".into(),
                ..app::model::AccountForm::default()
            },
            ..CreateAccountRequest::default()
        },
    )
    .await?;
    let checked = request.validate().map_err(|e| format!("{e:?}"))?;
    let directory = server::directory::Directory::from_checked(&checked, None);

    println!("\nsign-in latency ({SIGN_IN_SAMPLES} sequential sign-ins each, same run)");
    println!("  {:<34} {:>9} {:>9} {:>9}", "sign-in", "p50", "p95", "p99");
    let mut rows: Vec<(&str, Vec<Duration>)> = Vec::new();
    for (label, username, password) in [
        ("local (argon2id + seat)", "local", PASSWORD),
        ("Active Directory (bind + seat)", "alice", "AlicePass1"),
    ] {
        let mut times = Vec::with_capacity(SIGN_IN_SAMPLES);
        for i in 0..SIGN_IN_SAMPLES + 3 {
            let t = Instant::now();
            svc.login(
                &Default::default(),
                "signin",
                username,
                &Secret::from(password),
            )
            .await?;
            if i >= 3 {
                times.push(t.elapsed());
            }
        }
        rows.push((label, times));
    }
    let mut times = Vec::with_capacity(SIGN_IN_SAMPLES);
    for i in 0..SIGN_IN_SAMPLES + 3 {
        let t = Instant::now();
        directory
            .authenticate("alice", "AlicePass1")
            .await
            .map_err(|f| f.to_string())?
            .map_err(|r| format!("{r:?}"))?;
        if i >= 3 {
            times.push(t.elapsed());
        }
    }
    rows.push(("  of which the LDAPS bind + read", times));
    for (label, mut times) in rows {
        print_row(label, &mut times);
    }
    Ok(())
}

const PERM_FORMS: i32 = 50;
const PERM_COLUMNS: i32 = 40;
const PERM_GROUPS: i32 = 20;
const PERM_ACCOUNTS: i32 = 10_000;
const CHECK_SAMPLES: usize = 2_000;
const MATRIX_SAMPLES: usize = 200;

async fn permissions(svc: &Services, pool: &sqlx::PgPool, app: &axum::Router) -> Result<(), Fail> {
    let op = Operator {
        name: "bench".into(),
    };
    let t = svc
        .create_tenant(&op, "perm", "Permissions", 1_000)
        .await?
        .id;
    let loaded = Instant::now();
    // Replace the demo catalogue and groups with the benchmark's.
    for sql in [
        "DELETE FROM forms WHERE tenant_id = $1",
        "DELETE FROM groups WHERE tenant_id = $1",
    ] {
        sqlx::query(sql).bind(t).execute(pool).await?;
    }
    let steps: [(&str, i32); 7] = [
        ("INSERT INTO forms (tenant_id, name, name_key, position, created_at)
          SELECT $1, 'Form ' || lpad(f::text, 2, '0'), 'form ' || lpad(f::text, 2, '0'), f, now()
          FROM generate_series(1, $2) AS f", PERM_FORMS),
        ("INSERT INTO form_columns (tenant_id, form_id, name, name_key, position, default_allowed, created_at)
          SELECT $1, f.id, 'Column ' || lpad(c::text, 2, '0'), 'column ' || lpad(c::text, 2, '0'), c, c % 3 = 0, now()
          FROM forms f, generate_series(1, $2) AS c WHERE f.tenant_id = $1", PERM_COLUMNS),
        ("INSERT INTO groups (tenant_id, name, name_key, created_at)
          SELECT $1, 'Group ' || lpad(g::text, 2, '0'), 'group ' || lpad(g::text, 2, '0'), now()
          FROM generate_series(1, $2) AS g", PERM_GROUPS),
        // Each group sets about 30% of the cells, a third of them to Deny.
        ("INSERT INTO group_permissions (tenant_id, group_id, column_id, allowed)
          SELECT $1, g.id, c.id, abs(hashtext(g.id::text || c.id::text)) % 3 <> 0
          FROM groups g, form_columns c
          WHERE g.tenant_id = $1 AND c.tenant_id = $1
            AND abs(hashtext(c.id::text || g.id::text)) % 10 < 3 AND $2 > 0", 1),
        ("INSERT INTO accounts (tenant_id, username, username_key, first_name, last_name, email, role,
                                status, password_hash, password_changed_at, created_at, updated_at, search_key)
          SELECT $1, 'p' || lpad(i::text, 5, '0'), 'p' || lpad(i::text, 5, '0'), 'Perm', 'User' || i,
                 'p' || i || '@perm.example', 'user', 'active', NULL, NULL, now(), now(),
                 'p' || lpad(i::text, 5, '0') || ' perm user' || i || ' p' || i || '@perm.example'
          FROM generate_series(1, $2) AS i", PERM_ACCOUNTS),
        // Three groups per account.
        ("INSERT INTO account_groups (tenant_id, account_id, group_id)
          SELECT DISTINCT $1, a.id, g.id
          FROM accounts a
          JOIN groups g ON g.tenant_id = $1
           AND (g.name_key IN ('group ' || lpad((1 + substr(a.username_key, 2)::int % $2)::text, 2, '0'),
                               'group ' || lpad((1 + substr(a.username_key, 2)::int * 7 % $2)::text, 2, '0'),
                               'group ' || lpad((1 + substr(a.username_key, 2)::int * 13 % $2)::text, 2, '0')))
          WHERE a.tenant_id = $1", PERM_GROUPS),
        // About 1% of the cells (20 per account) set on the person.
        ("INSERT INTO account_permissions (tenant_id, account_id, column_id, allowed)
          SELECT $1, a.id, c.id, abs(hashtext(c.id::text || a.id::text)) % 2 = 0
          FROM accounts a, form_columns c
          WHERE a.tenant_id = $1 AND c.tenant_id = $1
            AND abs(hashtext(a.id::text || c.id::text)) % 100 = 0 AND $2 > 0", 1),
    ];
    for (sql, n) in steps {
        sqlx::query(sql).bind(t).bind(n).execute(pool).await?;
    }
    sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM group_permissions WHERE tenant_id = $1),
                (SELECT count(*) FROM account_permissions WHERE tenant_id = $1)",
    )
    .bind(t)
    .fetch_one(pool)
    .await?;
    let secret = "rc_bench-token-for-the-access-api-benchmark-0001";
    sqlx::query(
        "INSERT INTO api_tokens (tenant_id, name, token_hash, created_at) VALUES ($1, 'bench', $2, now())",
    )
    .bind(t)
    .bind(server::crypto::token_hash(secret).to_vec())
    .execute(pool)
    .await?;
    println!(
        "\nform permissions: {PERM_FORMS} forms x {PERM_COLUMNS} columns, {PERM_GROUPS} groups, {PERM_ACCOUNTS} accounts in 3 groups each; {} group cells, {} person cells (loaded in {:.1} s)",
        counts.0,
        counts.1,
        loaded.elapsed().as_secs_f64()
    );
    println!(
        "  {:<34} {:>9} {:>9} {:>9}",
        "endpoint (API token)", "p50", "p95", "p99"
    );
    let bearer = format!("Bearer {secret}");
    let cases: [(&str, &str, usize); 2] = [
        (
            "access check (one cell)",
            "/api/access/check",
            CHECK_SAMPLES,
        ),
        (
            "access matrix (2,000 cells)",
            "/api/access/matrix",
            MATRIX_SAMPLES,
        ),
    ];
    for (label, path, samples) in cases {
        let mut times = Vec::with_capacity(samples);
        for i in 0..samples {
            // Different accounts, forms and columns, so no one row stays hot.
            let user = format!("p{:05}", 1 + (i * 37) % PERM_ACCOUNTS as usize);
            let body = if path.ends_with("check") {
                format!(
                    r#"{{"username":"{user}","form":"Form {:02}","column":"Column {:02}"}}"#,
                    1 + (i * 7) % PERM_FORMS as usize,
                    1 + (i * 11) % PERM_COLUMNS as usize
                )
            } else {
                format!(r#"{{"username":"{user}"}}"#)
            };
            let mut req = json_post(path, &body, None);
            req.headers_mut()
                .insert(header::AUTHORIZATION, bearer.parse()?);
            let start = Instant::now();
            let res = app.clone().oneshot(req).await?;
            let status = res.status();
            let _ = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
            times.push(start.elapsed());
            if !status.is_success() {
                return Err(format!("{label} answered {status}").into());
            }
        }
        print_row(label, &mut times);
    }
    Ok(())
}

/// Signs `username` of `tenant` in through the router; the session cookie.
async fn session_cookie(app: &axum::Router, tenant: &str, username: &str) -> Result<String, Fail> {
    let body =
        format!(r#"{{"tenant":"{tenant}","username":"{username}","password":"{PASSWORD}"}}"#);
    let login = app
        .clone()
        .oneshot(json_post("/api/login", &body, None))
        .await?;
    Ok(login
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("login gave no cookie")?
        .to_owned())
}

fn json_post(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap_or_default()
}

fn pct(sorted: &[Duration], p: usize) -> Duration {
    sorted[((sorted.len() * p) / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
