//! The operator CLI, run as a real process against the test's database.

use sqlx::PgPool;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The test database's URL: the harness's server URL with this test's database.
fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL for tests");
    let db = pool.connect_options().get_database().unwrap().to_owned();
    let cut = base.rfind('/').unwrap();
    format!("{}/{db}", &base[..cut])
}

fn run(pool: &PgPool, args: &[&str], stdin: Option<&str>) -> Output {
    run_env(pool, args, stdin, &[])
}

/// As `run`, with more environment (and `RUST_LOG` as given there).
pub fn run_env(pool: &PgPool, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", database_url(pool))
        .env("ROLLCALL_OPERATOR", "ops-test")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// As `run_env`, failing the test (with the command's stderr) unless it
/// exits 0.
pub fn run_ok(pool: &PgPool, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let out = run_env(pool, args, stdin, env);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn operator_commands(pool: PgPool) {
    run_ok(
        &pool,
        &[
            "tenant", "create", "--slug", "acme", "--name", "Acme Ltd", "--seats", "3",
        ],
        None,
        &[],
    );

    let dup = run(
        &pool,
        &[
            "tenant", "create", "--slug", "acme", "--name", "Again", "--seats", "3",
        ],
        None,
    );
    assert!(!dup.status.success());
    assert_eq!(
        stderr(&dup).lines().count(),
        1,
        "one clear line: {}",
        stderr(&dup)
    );
    assert!(stderr(&dup).contains("already exists"));

    let bad_seats = run(
        &pool,
        &["tenant", "set-seats", "--slug", "acme", "--seats", "-1"],
        None,
    );
    assert!(!bad_seats.status.success());
    assert!(stderr(&bad_seats).contains("Seats must be"));

    run_ok(
        &pool,
        &["tenant", "set-seats", "--slug", "acme", "--seats", "7"],
        None,
        &[],
    );
    // The administrator reserve: fewer than the seats, kept when left out.
    let whole = run(
        &pool,
        &[
            "tenant",
            "set-seats",
            "--slug",
            "acme",
            "--seats",
            "7",
            "--admin-reserve",
            "7",
        ],
        None,
    );
    assert!(!whole.status.success());
    assert_eq!(stderr(&whole).lines().count(), 1, "{}", stderr(&whole));
    assert!(
        stderr(&whole).contains("0 to 6 for 7 seats"),
        "{}",
        stderr(&whole)
    );
    let reserved = run_ok(
        &pool,
        &[
            "tenant",
            "set-seats",
            "--slug",
            "acme",
            "--seats",
            "7",
            "--admin-reserve",
            "2",
        ],
        None,
        &[],
    );
    assert!(
        stdout(&reserved).contains("2 reserved for administrators"),
        "{}",
        stdout(&reserved)
    );
    let kept = run_ok(
        &pool,
        &["tenant", "set-seats", "--slug", "acme", "--seats", "8"],
        None,
        &[],
    );
    assert!(
        stdout(&kept).contains("8 seats, 2 reserved"),
        "{}",
        stdout(&kept)
    );
    let shown = run_ok(&pool, &["tenant", "show", "--slug", "acme"], None, &[]);
    assert!(
        stdout(&shown).contains("administrator reserve: 2\nsessions per person: 3"),
        "{}",
        stdout(&shown)
    );
    let squeezed = run(
        &pool,
        &["tenant", "set-seats", "--slug", "acme", "--seats", "2"],
        None,
    );
    assert!(!squeezed.status.success());
    assert!(
        stderr(&squeezed).contains("give --admin-reserve too"),
        "{}",
        stderr(&squeezed)
    );
    run_ok(
        &pool,
        &[
            "tenant",
            "set-seats",
            "--slug",
            "acme",
            "--seats",
            "7",
            "--admin-reserve",
            "0",
        ],
        None,
        &[],
    );
    // The usage history as CSV: created just now, so one day, one hour.
    let by_day = run_ok(&pool, &["usage", "--tenant", "acme"], None, &[]);
    let lines: Vec<String> = stdout(&by_day).lines().map(str::to_owned).collect();
    assert_eq!(lines[0], "start,end,peak_people,seats,refused");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].ends_with(",0,7,0"), "{lines:?}");
    let by_hour = run_ok(
        &pool,
        &["usage", "--tenant", "acme", "--by", "hour"],
        None,
        &[],
    );
    assert_eq!(stdout(&by_hour).lines().count(), 2, "{}", stdout(&by_hour));
    for (args, says) in [
        (vec!["--by", "week"], "--by must be `hour` or `day`"),
        (vec!["--from", "2026-13-01"], "is not a date"),
        (
            vec!["--from", "2026-11-02", "--to", "2026-11-01"],
            "before the start date",
        ),
    ] {
        let mut all = vec!["usage", "--tenant", "acme"];
        all.extend(args);
        let bad = run(&pool, &all, None);
        assert!(!bad.status.success());
        assert_eq!(stderr(&bad).lines().count(), 1, "{}", stderr(&bad));
        assert!(stderr(&bad).contains(says), "{}", stderr(&bad));
    }

    let unknown = run(
        &pool,
        &["tenant", "set-seats", "--slug", "nope", "--seats", "7"],
        None,
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no tenant named “nope”"),
        "{}",
        stderr(&unknown)
    );

    let account = [
        "account",
        "create",
        "--tenant",
        "acme",
        "--username",
        "ops",
        "--first",
        "Olga",
        "--last",
        "Ops",
        "--email",
        "olga@acme.example",
        "--role",
        "admin",
    ];
    let ok = run(&pool, &account, Some("Strong-pass 9!\n"));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let again = run(&pool, &account, Some("Strong-pass 9!\n"));
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already taken"));

    let weak = run(
        &pool,
        &[&account[..5], &["weak"], &account[6..]].concat(),
        Some("weak\n"),
    );
    assert!(!weak.status.success());
    assert!(
        stderr(&weak).contains("8 to 128 characters"),
        "{}",
        stderr(&weak)
    );
    let no_password = run(
        &pool,
        &[&account[..5], &["nopw"], &account[6..]].concat(),
        Some(""),
    );
    assert!(!no_password.status.success());
    assert!(stderr(&no_password).contains("no password on standard input"));
    let bad_role = run(
        &pool,
        &[&account[..13], &["root"]].concat(),
        Some("Strong-pass 9!\n"),
    );
    assert!(!bad_role.status.success());

    // Nothing half-written: one tenant, one account, audited as the operator.
    let accounts = super::support::count_rows(&pool, "SELECT count(*) FROM accounts").await;
    assert_eq!(accounts, 1);
    let seat_limit: i32 = sqlx::query_scalar("SELECT seat_limit FROM tenants")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(seat_limit, 7);
    let actors: Vec<(String, String)> =
        sqlx::query_as("SELECT actor_label, action FROM audit_events ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        actors,
        [
            ("operator:ops-test".into(), "tenant.created".into()),
            // 7; 7 with 2 reserved; 8 keeping them; 7 with none. Refused
            // changes are not recorded.
            ("operator:ops-test".into(), "tenant.seats_changed".into()),
            ("operator:ops-test".into(), "tenant.seats_changed".into()),
            ("operator:ops-test".into(), "tenant.seats_changed".into()),
            ("operator:ops-test".into(), "tenant.seats_changed".into()),
            ("operator:ops-test".into(), "account.created".into()),
        ]
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn operators_can_invite_instead_of_setting_a_password(pool: PgPool) {
    run_ok(
        &pool,
        &[
            "tenant", "create", "--slug", "acme", "--name", "Acme Ltd", "--seats", "3",
        ],
        None,
        &[],
    );
    let invited = run_ok(
        &pool,
        &[
            "account",
            "create",
            "--tenant",
            "acme",
            "--username",
            "ann",
            "--first",
            "Ann",
            "--last",
            "Lee",
            "--email",
            "ann@acme.example",
            "--role",
            "admin",
            "--invite",
        ],
        None,
        &[],
    );
    assert!(
        String::from_utf8_lossy(&invited.stdout).contains("invitation queued for ann@acme.example")
    );
    let (to, subject): (String, String) =
        sqlx::query_as("SELECT to_address, subject FROM outbox WHERE kind = 'invitation'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(to, "ann@acme.example");
    assert_eq!(
        subject,
        "Your administrator invited you to Acme Ltd on Rollcall"
    );
    let actor: String =
        sqlx::query_scalar("SELECT actor_label FROM audit_events WHERE action = 'invitation.sent'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(actor, "operator:ops-test");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn operators_list_forms_and_check_access(pool: PgPool) {
    run_ok(
        &pool,
        &[
            "tenant", "create", "--slug", "acme", "--name", "Acme Ltd", "--seats", "3",
        ],
        None,
        &[],
    );
    let forms = run(&pool, &["forms", "list", "--tenant", "acme"], None);
    assert!(forms.status.success(), "{}", stderr(&forms));
    let out = String::from_utf8_lossy(&forms.stdout).into_owned();
    assert!(
        out.contains("Timesheet: Date, Client, Matter, Hours"),
        "{out}"
    );
    run_ok(
        &pool,
        &[
            "account",
            "create",
            "--tenant",
            "acme",
            "--username",
            "ann",
            "--first",
            "Ann",
            "--last",
            "Lee",
            "--email",
            "ann@acme.example",
            "--role",
            "user",
        ],
        Some("Strong-pass 9!\n"),
        &[],
    );
    let check = run_ok(
        &pool,
        &[
            "access",
            "check",
            "--tenant",
            "acme",
            "--username",
            "ann",
            "--form",
            "Staff directory",
            "--column",
            "Phone",
        ],
        None,
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        "ann may see Staff directory / Phone: Allow — tenant default"
    );
    let unknown = run(
        &pool,
        &[
            "access",
            "check",
            "--tenant",
            "acme",
            "--username",
            "ann",
            "--form",
            "Nope",
            "--column",
            "Phone",
        ],
        None,
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no live column"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn missing_database_url_is_one_clear_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["tenant", "show", "--slug", "x"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("DATABASE_URL is not set"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn migrate_recomputes_case_insensitive_keys_and_reports_clashes(pool: PgPool) {
    run_ok(
        &pool,
        &[
            "tenant", "create", "--slug", "uni", "--name", "Uni", "--seats", "3",
        ],
        None,
        &[],
    );
    // Keys as Postgres' lower() wrote them before issue #12: "İnce" lost its
    // dot, and "straße" differs from an existing "STRASSE" only by folding.
    for (name, key) in [
        ("İnce", "ince"),
        ("STRASSE", "strasse"),
        ("straße", "straße"),
    ] {
        sqlx::query(
            "INSERT INTO groups (tenant_id, name, name_key, created_at)
             SELECT id, $1, $2, now() FROM tenants WHERE slug = 'uni'",
        )
        .bind(name)
        .bind(key)
        .execute(&pool)
        .await
        .unwrap();
    }
    let first = run(&pool, &["migrate"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(
        out.contains("recomputed the case-insensitive keys of 2 rows"),
        "{out}"
    );
    assert!(
        out.contains(
            "warning: tenant uni: the group name “straße” is now the same as another group name"
        ),
        "{out}"
    );
    let again = run(&pool, &["migrate"], None);
    let out = stdout(&again);
    assert!(
        again.status.success() && !out.contains("recomputed"),
        "{out}"
    );
    assert_eq!(out.matches("warning:").count(), 1, "{out}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn serve_refuses_a_role_that_row_level_security_does_not_bind(pool: PgPool) {
    // The harness's role is a superuser.
    let out = run(&pool, &["serve", "--addr", "127.0.0.1:0"], None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("is a superuser, which row-level security does not bind")
            && err.contains("without SUPERUSER and BYPASSRLS"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    sqlx::query(
        "DO $$ BEGIN
             CREATE ROLE rollcall_bypass LOGIN BYPASSRLS PASSWORD 'bypass-loopback';
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$",
    )
    .execute(&pool)
    .await
    .unwrap();
    let o = pool.connect_options();
    let url = format!(
        "postgres://rollcall_bypass:bypass-loopback@{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap()
    );
    let out = run_env(
        &pool,
        &["serve", "--addr", "127.0.0.1:0"],
        None,
        &[("DATABASE_URL", url.as_str())],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("has BYPASSRLS: connect as a role without it"),
        "{}",
        stderr(&out)
    );
}
