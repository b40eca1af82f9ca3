//! Active Directory sign-in against the real Samba AD DC that `cargo xtask
//! test` starts (ACTIVE-DIRECTORY.md): `AD_*` variables say where it is and
//! which people it holds (xtask/src/dc.rs, PEOPLE).

use super::cli::{run_env, run_ok, stderr, stdout};
use super::support::*;
use app::model::directory::{DirectoryCheck, SaveDirectoryRequest};
use app::model::NewPassword;
use app::model::Secret;
use app::model::{CreateAccountRequest, ErrorCode};
use server::config::Settings;
use server::domain::caller::AdminCaller;
use server::domain::Services;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

const KEY: &str = SECRET_KEY;

/// A tenant `slug` (5 seats, administrator `boss` signed in) connected to
/// the directory at `url`.
async fn connected(pool: &PgPool, slug: &str, url: &str) -> (Services, Uuid, AdminCaller) {
    let svc = services(pool.clone(), clock()).await;
    let t = tenant(&svc, slug, 5).await;
    account(&svc, slug, "boss", "admin").await;
    let admin = admin_of(&svc, slug, "boss").await;
    svc.save_directory(
        &admin,
        &directory_now(&svc, &admin, directory_request(url)).await,
    )
    .await
    .unwrap();
    (svc, t, admin)
}

fn directory_account(username: &str) -> CreateAccountRequest {
    super::support::directory_account(username, "user")
}

/// Creates the directory account of alice (Alice Anderson).
async fn alice(svc: &Services, admin: &AdminCaller) -> app::model::AccountSummary {
    svc.create_account(admin, &directory_account("alice"))
        .await
        .unwrap()
}

async fn sign_in(
    svc: &Services,
    slug: &str,
    username: &str,
    password: &str,
) -> Result<(), ErrorCode> {
    // Each from its own address: these tests are about the directory's
    // answers, not about throttling.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    svc.login(&from_address(n), slug, username, &Secret::from(password))
        .await
        .map(|_| ())
        .map_err(|e| app::model::ApiError::from(e).code)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_directory_account_signs_in_over_ldaps_with_names_from_the_directory(pool: PgPool) {
    let (svc, t, admin) = connected(&pool, "ldaps", &ad("AD_URL")).await;
    // Names typed in the request are ignored: the directory's win.
    let mut req = directory_account("ALICE");
    req.form.first_name = "Mallory".into();
    let created = svc.create_account(&admin, &req).await.unwrap();
    assert_eq!(
        (
            created.username.as_str(),
            created.first_name.as_str(),
            created.last_name.as_str(),
            created.email.as_str()
        ),
        ("alice", "Alice", "Anderson", "alice@rc.test")
    );
    assert_eq!(sign_in(&svc, "ldaps", "alice", "AlicePass1").await, Ok(()));
    assert_eq!(
        open_sessions(&pool, t).await,
        2,
        "the administrator and alice"
    );
    // The forms people know from Windows name the same account.
    assert_eq!(
        sign_in(&svc, "ldaps", "RC\\alice", "AlicePass1").await,
        Ok(())
    );
    assert_eq!(
        sign_in(&svc, "ldaps", "Alice@RC.TEST", "AlicePass1").await,
        Ok(())
    );
    assert_eq!(
        svc.lookup_directory_person(&admin, "RC\\ivy")
            .await
            .unwrap()
            .username,
        "ivy"
    );
    // Wrong password and unknown username: the same 401.
    assert_eq!(
        sign_in(&svc, "ldaps", "alice", "wrong").await,
        Err(ErrorCode::InvalidCredentials)
    );
    assert_eq!(
        sign_in(&svc, "ldaps", "nobody", "AlicePass1").await,
        Err(ErrorCode::InvalidCredentials)
    );
    // The empty password never reaches the directory (AD would let it in).
    assert_eq!(
        sign_in(&svc, "ldaps", "alice", "").await,
        Err(ErrorCode::Validation)
    );

    // Non-ASCII names and password, an apostrophe.
    let frank = svc
        .create_account(&admin, &directory_account("frank"))
        .await
        .unwrap();
    assert_eq!(
        (frank.first_name.as_str(), frank.last_name.as_str()),
        ("Frånk", "O'Neil")
    );
    assert_eq!(sign_in(&svc, "ldaps", "frank", "Frånk-Pass1").await, Ok(()));

    // An unknown name is refused beside the username field.
    let unknown = api_err(svc.create_account(&admin, &directory_account("zed")).await);
    assert_eq!(unknown.field.as_deref(), Some("username"));
    assert!(unknown.message.contains("no person"), "{}", unknown.message);

    // Password operations do not apply.
    let mut with_pw = directory_account("hank");
    with_pw.new_password = NewPassword::new("Some-pass-1", "Some-pass-1");
    assert_eq!(
        api_err(svc.create_account(&admin, &with_pw).await)
            .field
            .as_deref(),
        Some("password")
    );
    let reset = svc
        .reset_password(
            &admin,
            &app::model::ResetPasswordRequest {
                id: created.id,
                new_password: NewPassword::new("Some-pass-1", "Some-pass-1"),
                must_change_password: false,
            },
        )
        .await;
    assert_eq!(api_err(reset).code, ErrorCode::Forbidden);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn starttls_and_allowed_plain_ldap_sign_in_too(pool: PgPool) {
    let (svc, _, admin) = connected(&pool, "starttls", &ad("AD_STARTTLS_URL")).await;
    alice(&svc, &admin).await;
    assert_eq!(
        sign_in(&svc, "starttls", "alice", "AlicePass1").await,
        Ok(())
    );

    let mut plain = directory_request(&ad("AD_STARTTLS_URL"));
    plain.allow_plain = true;
    let saved = svc
        .save_directory(&admin, &directory_now(&svc, &admin, plain.clone()).await)
        .await
        .unwrap();
    assert!(saved.allow_plain && saved.bind_password_set);
    assert_eq!(
        sign_in(&svc, "starttls", "alice", "AlicePass1").await,
        Ok(())
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn each_directory_state_has_its_own_code(pool: PgPool) {
    let (svc, t, admin) = connected(&pool, "states", &ad("AD_URL")).await;
    for name in ["bob", "carol", "dave", "erin", "gina"] {
        svc.create_account(&admin, &directory_account(name))
            .await
            .unwrap();
    }
    for (name, password, code) in [
        ("bob", "BobPass1", ErrorCode::DirectoryAccountDisabled),
        (
            "carol",
            "CarolPass1",
            ErrorCode::DirectoryPasswordMustChange,
        ),
        ("erin", "ErinPass1", ErrorCode::DirectoryAccountExpired),
        ("gina", "GinaPass1", ErrorCode::DirectoryPasswordExpired),
    ] {
        assert_eq!(
            sign_in(&svc, "states", name, password).await,
            Err(code),
            "{name}"
        );
        assert_eq!(code.http_status(), 403);
    }
    // A disabled person with a wrong password learns nothing.
    assert_eq!(
        sign_in(&svc, "states", "bob", "wrong").await,
        Err(ErrorCode::InvalidCredentials)
    );
    // dave locks out after 3 bad binds (his own password policy).
    for _ in 0..3 {
        assert_eq!(
            sign_in(&svc, "states", "dave", "wrong").await,
            Err(ErrorCode::InvalidCredentials)
        );
    }
    assert_eq!(
        sign_in(&svc, "states", "dave", "DavePass1").await,
        Err(ErrorCode::DirectoryAccountLocked)
    );
    assert_eq!(audit_count(&pool, t, "login.refused_directory").await, 5);
    assert_eq!(open_sessions(&pool, t).await, 1, "only the administrator");

    // Rollcall's own status still applies on top of the directory's.
    let alice = alice(&svc, &admin).await;
    let page = svc.get_account(&admin, alice.id).await.unwrap();
    svc.update_account(&admin, &edit_of(&page, |f| f.status = "inactive".into()))
        .await
        .unwrap();
    assert_eq!(
        sign_in(&svc, "states", "alice", "AlicePass1").await,
        Err(ErrorCode::AccountInactive)
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn test_connection_says_what_happened(pool: PgPool) {
    let (svc, _, admin) = connected(&pool, "probe", &ad("AD_URL")).await;
    let test = |r: SaveDirectoryRequest| {
        let svc = svc.clone();
        let admin = admin.clone();
        async move { svc.test_directory(&admin, &r).await.unwrap() }
    };
    let ok = test(directory_request(&ad("AD_URL"))).await;
    assert_eq!(ok.outcome, DirectoryCheck::Ok);
    assert_eq!(ok.naming_context.as_deref(), Some(ad("AD_BASE").as_str()));
    assert!(ok.message.contains(&ad("AD_BASE")));

    // The stored password is used when none is typed…
    let mut stored = directory_request(&ad("AD_URL"));
    stored.bind_password = Secret::default();
    assert_eq!(test(stored.clone()).await.outcome, DirectoryCheck::Ok);
    // …but never sent to another address: it would leak to whoever answers.
    let mut elsewhere = stored.clone();
    elsewhere.url = ad("AD_STARTTLS_URL");
    assert_eq!(
        test(elsewhere.clone()).await.outcome,
        DirectoryCheck::NoLookupAccount
    );
    let refused = api_err(
        svc.save_directory(
            &admin,
            &directory_now(&svc, &admin, elsewhere.clone()).await,
        )
        .await,
    );
    assert_eq!(refused.field.as_deref(), Some("bind_password"));
    assert!(refused.message.contains("again"), "{}", refused.message);

    let mut other_ca = directory_request(&ad("AD_URL"));
    other_ca.ca_pem = std::fs::read_to_string(ad("AD_OTHER_CA")).unwrap();
    let untrusted = test(other_ca).await;
    assert_eq!(untrusted.outcome, DirectoryCheck::CertificateNotTrusted);
    assert!(untrusted.message.contains("not trusted"));

    // Text that is no certificate is refused beside its field, unsent.
    let mut garbage = directory_request(&ad("AD_URL"));
    garbage.ca_pem =
        "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----".into();
    let refused = api_err(svc.test_directory(&admin, &garbage).await);
    assert_eq!(refused.field.as_deref(), Some("ca_pem"));

    let unknown_host = test(directory_request("ldaps://no-such-host.invalid")).await;
    assert_eq!(unknown_host.outcome, DirectoryCheck::HostNotFound);

    let mut wrong = directory_request(&ad("AD_URL"));
    wrong.bind_password = "not-it".into();
    assert_eq!(
        test(wrong).await.outcome,
        DirectoryCheck::LookupCredentialsRejected
    );

    let mut base = directory_request(&ad("AD_URL"));
    base.base_dn = "OU=Nowhere,DC=rc,DC=test".into();
    assert_eq!(test(base).await.outcome, DirectoryCheck::BaseDnNotFound);

    // Nothing listens on this loopback address.
    let nobody = test(directory_request("ldaps://127.77.0.250")).await;
    assert_eq!(nobody.outcome, DirectoryCheck::Unreachable);

    // LDAPS spoken to the plain LDAP port.
    let host = ad("AD_URL").trim_start_matches("ldaps://").to_owned();
    let tls_on_389 = test(directory_request(&format!("ldaps://{host}:389"))).await;
    assert_eq!(tls_on_389.outcome, DirectoryCheck::TlsFailed);

    // With an untrusted certificate saved, the directory cannot be asked.
    let mut untrusted = directory_request(&ad("AD_URL"));
    untrusted.ca_pem = std::fs::read_to_string(ad("AD_OTHER_CA")).unwrap();
    svc.save_directory(
        &admin,
        &directory_now(&svc, &admin, untrusted.clone()).await,
    )
    .await
    .unwrap();
    let refused = api_err(
        svc.create_account(&admin, &directory_account("alice"))
            .await,
    );
    assert_eq!(refused.code, ErrorCode::DirectoryUnavailable);
    assert!(
        refused.message.contains("not trusted"),
        "{}",
        refused.message
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_full_tenant_refuses_a_directory_sign_in_without_holding_a_seat(pool: PgPool) {
    let (svc, t, admin) = connected(&pool, "full", &ad("AD_URL")).await;
    alice(&svc, &admin).await;
    server::db::tenants::set_seats(&mut pool.acquire().await.unwrap(), t, 1, 0)
        .await
        .unwrap();
    assert_eq!(
        sign_in(&svc, "full", "alice", "AlicePass1").await,
        Err(ErrorCode::SeatsExhausted)
    );
    assert_eq!(open_sessions(&pool, t).await, 1, "only the administrator's");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn names_follow_the_directory_on_sign_in_and_on_refresh(pool: PgPool) {
    let (svc, t, admin) = connected(&pool, "names", &ad("AD_URL")).await;
    let alice = alice(&svc, &admin).await;
    let stale = || async {
        sqlx::query(
            "UPDATE accounts SET first_name = 'Old', email = 'old@example.org' WHERE id = $1",
        )
        .bind(alice.id.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    };
    stale().await;
    assert_eq!(sign_in(&svc, "names", "alice", "AlicePass1").await, Ok(()));
    let after = svc.get_account(&admin, alice.id).await.unwrap().summary;
    assert_eq!(
        (after.first_name.as_str(), after.email.as_str()),
        ("Alice", "alice@rc.test")
    );
    assert_eq!(
        audit_count(&pool, t, "account.directory_refreshed").await,
        1
    );

    stale().await;
    let refreshed = svc.refresh_from_directory(&admin, alice.id).await.unwrap();
    assert_eq!(refreshed.first_name, "Alice");
    assert_eq!(
        audit_count(&pool, t, "account.directory_refreshed").await,
        2
    );
    // Nothing changed: nothing audited.
    svc.refresh_from_directory(&admin, alice.id).await.unwrap();
    assert_eq!(
        audit_count(&pool, t, "account.directory_refreshed").await,
        2
    );

    // Editing the names of a directory account is refused.
    let page = svc.get_account(&admin, alice.id).await.unwrap();
    let edit = svc
        .update_account(&admin, &edit_of(&page, |f| f.last_name = "Changed".into()))
        .await;
    assert_eq!(api_err(edit).code, ErrorCode::Validation);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn with_directory_sign_in_off_a_directory_account_gets_the_uniform_401(pool: PgPool) {
    let (svc, t, admin) = connected(&pool, "off", &ad("AD_URL")).await;
    alice(&svc, &admin).await;
    let mut off = directory_request(&ad("AD_URL"));
    off.enabled = false;
    svc.save_directory(&admin, &directory_now(&svc, &admin, off.clone()).await)
        .await
        .unwrap();
    for password in ["AlicePass1", "wrong"] {
        assert_eq!(
            sign_in(&svc, "off", "alice", password).await,
            Err(ErrorCode::InvalidCredentials)
        );
    }
    assert_eq!(open_sessions(&pool, t).await, 1);
    // And no new directory account can be made.
    let refused = api_err(svc.create_account(&admin, &directory_account("hank")).await);
    assert_eq!(refused.field.as_deref(), Some("account_type"));
}

/// Connection refused at the DC's LDAPS port: it has stopped.
fn stopped(url: &str) -> bool {
    let host = url.trim_start_matches("ldaps://");
    std::net::TcpStream::connect((host, 636)).is_err()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_directory_outage_answers_503_to_every_failure_and_local_accounts_still_sign_in(
    pool: PgPool,
) {
    let url = ad("AD_DOOMED_URL");
    let (svc, t, admin) = connected(&pool, "outage", &url).await;
    alice(&svc, &admin).await;
    account(&svc, "outage", "local", "user").await;
    assert_eq!(sign_in(&svc, "outage", "alice", "AlicePass1").await, Ok(()));

    let budget = server::directory::CONNECT_TIMEOUT + server::directory::OPERATION_TIMEOUT;
    let every_failure_is_503 = || async {
        for (who, password) in [("alice", "AlicePass1"), ("nobody", "x"), ("local", "wrong")] {
            let started = Instant::now();
            assert_eq!(
                sign_in(&svc, "outage", who, password).await,
                Err(ErrorCode::DirectoryUnavailable),
                "{who}"
            );
            // The timeouts are the point here: a hung directory must not
            // hang the sign-in.
            assert!(started.elapsed() < budget, "{who} waited past the timeouts");
        }
    };
    // The second DC the harness started for this test alone: first it
    // hangs (accepts connections, answers nothing), then it is gone.
    let pid = ad("AD_DOOMED_PID");
    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
    };
    signal("-STOP");
    every_failure_is_503().await;
    signal("-KILL");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !stopped(&url) {
        assert!(Instant::now() < deadline, "the doomed DC did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    every_failure_is_503().await;
    assert_eq!(sign_in(&svc, "outage", "local", PASSWORD).await, Ok(()));
    assert_eq!(open_sessions(&pool, t).await, 3);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_lookup_password_is_write_only(pool: PgPool) {
    let (svc, t, admin) = connected(&pool, "secret", &ad("AD_URL")).await;
    let secret = ad("AD_LOOKUP_PASSWORD");
    let shown = serde_json::to_string(&svc.get_directory(&admin).await.unwrap()).unwrap();
    assert!(!shown.contains(&secret));
    let saved = svc
        .save_directory(
            &admin,
            &directory_now(&svc, &admin, directory_request(&ad("AD_URL"))).await,
        )
        .await
        .unwrap();
    let tested = svc
        .test_directory(&admin, &directory_request(&ad("AD_URL")))
        .await
        .unwrap();
    for answer in [
        serde_json::to_string(&saved).unwrap(),
        serde_json::to_string(&tested).unwrap(),
    ] {
        assert!(!answer.contains(&secret), "{answer}");
    }
    assert!(shown.contains("\"bind_password_set\":true"));
    let stored: Vec<u8> = sqlx::query_scalar(
        "SELECT bind_password_sealed FROM tenant_directories WHERE tenant_id = $1",
    )
    .bind(t)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT details::text FROM audit_events WHERE tenant_id = $1")
            .bind(t)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(audit.iter().any(|d| d.contains("bind_password")));
    assert!(audit.iter().all(|d| !d.contains(&secret)));

    // Without the key, saving a password is refused, and nothing is stored.
    let keyless = Services::new(app_pool(&pool).await, clock(), Settings::default());
    let refused = api_err(
        keyless
            .save_directory(
                &admin,
                &directory_now(&svc, &admin, directory_request(&ad("AD_URL"))).await,
            )
            .await,
    );
    assert_eq!(refused.code, ErrorCode::DirectoryUnavailable);
    assert!(refused.message.contains("ROLLCALL_SECRET_KEY"));

    // The operator CLI, with every log line on: the password goes in on
    // standard input and comes out nowhere.
    let env = [("ROLLCALL_SECRET_KEY", KEY), ("RUST_LOG", "trace")];
    let ca_file = ad("AD_CA");
    let set = run_ok(
        &pool,
        &[
            "directory",
            "set",
            "--tenant",
            "secret",
            "--url",
            &ad("AD_URL"),
            "--base-dn",
            &ad("AD_BASE"),
            "--upn-suffix",
            &ad("AD_REALM"),
            "--ca-file",
            &ca_file,
            "--bind-name",
            &ad("AD_LOOKUP"),
        ],
        Some(&format!("{secret}\n")),
        &env,
    );
    let tested = run_ok(
        &pool,
        &["directory", "test", "--tenant", "secret"],
        None,
        &env,
    );
    assert!(stdout(&tested).contains(&ad("AD_BASE")));
    let created = run_ok(
        &pool,
        &[
            "account",
            "create",
            "--tenant",
            "secret",
            "--type",
            "ad",
            "--username",
            "hank",
            "--role",
            "user",
        ],
        None,
        &env,
    );
    assert!(
        stdout(&created).contains("Hank Hill"),
        "{}",
        stdout(&created)
    );
    for out in [&set, &tested, &created] {
        assert!(!stderr(out).contains(&secret) && !stdout(out).contains(&secret));
    }
    // A server without the key refuses to start while a password is sealed.
    let app = app_url(&pool);
    let serve = run_env(
        &pool,
        &["serve", "--addr", "127.0.0.1:0"],
        None,
        &[("DATABASE_URL", app.as_str())],
    );
    assert!(!serve.status.success());
    assert!(
        stderr(&serve).contains("ROLLCALL_SECRET_KEY is not set"),
        "{}",
        stderr(&serve)
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn imports_and_duplicates_read_directory_people_too(pool: PgPool) {
    let (svc, _, admin) = connected(&pool, "bulk", &ad("AD_URL")).await;
    let csv = "username,first_name,last_name,email,type\nAlice,,,,ad\nzed,,,,AD\nloc,Lo,Cal,loc@example.org,\n";
    let preview = svc.preview_import(&admin, csv).await.unwrap();
    let rows: Vec<(&str, &str, usize)> = preview
        .rows
        .iter()
        .map(|r| (r.username.as_str(), r.name.as_str(), r.errors.len()))
        .collect();
    assert_eq!(
        rows,
        [
            ("alice", "Alice Anderson", 0),
            ("zed", "", 1),
            ("loc", "Lo Cal", 0)
        ]
    );
    assert!(preview.rows[1].errors[0].contains("no person"));

    // A copy of a directory account is looked up like a new one, and takes
    // no invitation.
    let alice = alice(&svc, &admin).await;
    let copy = |username: &str, invite: bool| app::model::duplicate::DuplicateAccountRequest {
        source: alice.id,
        account: CreateAccountRequest {
            invite,
            ..directory_account(username)
        },
        parts: vec![],
    };
    let refused = api_err(svc.duplicate_account(&admin, &copy("hank", true)).await);
    assert_eq!(refused.field.as_deref(), Some("invite"));
    let hank = svc
        .duplicate_account(&admin, &copy("hank", false))
        .await
        .unwrap();
    assert_eq!(
        (hank.first_name.as_str(), hank.email.as_str()),
        ("Hank", "hank@rc.test")
    );
    assert!(!hank.invited);
}
