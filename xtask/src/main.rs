//! Developer commands: `cargo xtask run | test | bench | db`.
//!
//! Each installs what it needs (idempotently), starts a private PostgreSQL
//! cluster under the project, and cleans up after itself.

mod pg;
mod proc;
mod site;
mod tools;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub type Result<T, E = String> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => run(&root),
        Some("test") => test(&root, &args[1..]),
        Some("bench") => bench(&root),
        Some("db") => db(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run     install what is missing, start Postgres, build and serve Rollcall at http://127.0.0.1:3000\n  test    format check, clippy, every Rust test and the Playwright suite\n          (`test rust` or `test e2e` runs one half)\n  bench   login throughput and hot-path latency against a private Postgres\n  db      start the development cluster and print its DATABASE_URL until Ctrl-C"
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

fn step(what: &str) {
    println!("\n==> {what}");
}

/// `cargo xtask run`
fn run(root: &Path) -> Result<()> {
    tools::ensure_build_tools(root)?;
    step("building the site and the server (release)");
    site::build_frontend(root)?;
    proc::cargo(root, &["build", "--release", "-p", "server"], &[])?;
    let server = root.join("target/release/server");

    step("starting PostgreSQL (data kept in .data/pg)");
    let cluster = pg::Cluster::open(&root.join(".data/pg"), pg::Mode::Persistent)?;
    let guard = cluster.start()?;
    let url = guard.create_database("rollcall")?;
    let env = [("DATABASE_URL", url.as_str())];

    step("applying migrations");
    proc::run_checked(proc::command(&server, &["migrate"], &env))?;
    seed_demo(root, &server, &env)?;

    step("serving Rollcall at http://127.0.0.1:3000 (Ctrl-C stops server and database)");
    let site_root = root.join("target/site");
    let site_root = site_root.to_string_lossy();
    let mut serve = proc::command(&server, &["serve", "--addr", "127.0.0.1:3000"], &env);
    serve.env("ROLLCALL_SITE_ROOT", site_root.as_ref());
    let interrupted = proc::interrupt_flag()?;
    let status = proc::run_until_interrupted(serve, &interrupted)?;
    drop(guard);
    if status.success() || proc::was_interrupted(&interrupted) {
        Ok(())
    } else {
        Err(format!("the server stopped: {status}"))
    }
}

/// Creates the `demo` tenant and its administrator on the first run only. A
/// marker beside the data records that the administrator exists, so a first
/// run that stopped half-way finishes the job next time.
fn seed_demo(root: &Path, server: &Path, env: &[(&str, &str)]) -> Result<()> {
    let marker = root.join(".data/demo-admin-created");
    let tenant_exists = proc::command(server, &["tenant", "show", "--slug", "demo"], env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("could not run the server binary: {e}"))?
        .success();
    if tenant_exists && marker.exists() {
        println!("demo tenant already exists; sign in with the administrator password printed on the first run");
        return Ok(());
    }
    if !tenant_exists {
        step("first run: creating tenant `demo` (3 seats) and its administrator");
        proc::run_checked(proc::command(
            server,
            &[
                "tenant", "create", "--slug", "demo", "--name", "Demo", "--seats", "3",
            ],
            env,
        ))?;
    }
    let password = tools::generate_password()?;
    let mut create = proc::command(
        server,
        &[
            "account",
            "create",
            "--tenant",
            "demo",
            "--username",
            "admin",
            "--first",
            "Demo",
            "--last",
            "Administrator",
            "--email",
            "admin@demo.example",
            "--role",
            "admin",
        ],
        env,
    );
    match proc::run_with_stdin(&mut create, &format!("{password}\n")) {
        Ok(()) => println!(
            "\n  Organisation: demo\n  Username:     admin\n  Password:     {password}\n\n  This password is shown once. Keep it; it is not stored in clear anywhere."
        ),
        // The account was made by hand or by an older run: keep it.
        Err(_) => println!("the demo administrator already exists; its password was printed when it was created"),
    }
    std::fs::write(&marker, "the demo administrator exists\n")
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))
}

/// `cargo xtask db`
fn db(root: &Path) -> Result<()> {
    let cluster = pg::Cluster::open(&root.join(".data/pg"), pg::Mode::Persistent)?;
    let guard = cluster.start()?;
    let url = guard.create_database("rollcall")?;
    println!("DATABASE_URL={url}\n(Ctrl-C stops the cluster)");
    let interrupted = proc::interrupt_flag()?;
    proc::wait_for_interrupt(&interrupted);
    drop(guard);
    Ok(())
}

/// `cargo xtask test [rust|e2e]`
fn test(root: &Path, args: &[String]) -> Result<()> {
    let which = args.first().map(String::as_str).unwrap_or("all");
    let (rust, e2e) = match which {
        "all" => (true, true),
        "rust" => (true, false),
        "e2e" => (false, true),
        other => return Err(format!("unknown test selection `{other}`: use rust or e2e")),
    };
    tools::ensure_build_tools(root)?;
    if rust {
        tools::ensure_sqlx_cli()?;
    }
    if e2e {
        tools::ensure_e2e_tools(root)?;
    }
    let offline = [("SQLX_OFFLINE", "true")];

    if rust {
        step("format check");
        proc::cargo(root, &["fmt", "--all", "--", "--check"], &[])?;
    }

    step("starting a fresh PostgreSQL cluster for the tests");
    let cluster = pg::Cluster::open(&root.join("target/xtask/pg-test"), pg::Mode::Throwaway)?;
    let guard = cluster.start()?;

    if rust {
        let check_url = guard.create_database("rollcall_prepare")?;
        step("checking .sqlx query data against the schema");
        proc::cargo(
            root,
            &["sqlx", "migrate", "run", "--source", "migrations"],
            &[("DATABASE_URL", check_url.as_str())],
        )?;
        proc::cargo(
            root,
            &[
                "sqlx",
                "prepare",
                "--workspace",
                "--check",
                "--",
                "--all-targets",
            ],
            &[("DATABASE_URL", check_url.as_str())],
        )?;

        step("clippy (host and wasm)");
        proc::cargo(
            root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &offline,
        )?;
        proc::cargo(
            root,
            &[
                "clippy",
                "-p",
                "frontend",
                "-p",
                "app",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
            &offline,
        )?;

        step("Rust tests (each database test gets its own database)");
        let admin_url = guard.admin_url();
        let python = tools::ensure_smtp_python(root)?;
        proc::cargo(
            root,
            &["test", "--workspace"],
            &[
                ("SQLX_OFFLINE", "true"),
                ("DATABASE_URL", admin_url.as_str()),
                ("ROLLCALL_TEST_PYTHON", &python.to_string_lossy()),
            ],
        )?;
    }

    if e2e {
        step("building the site (release wasm) and the server");
        site::build_frontend(root)?;
        site::report_sizes(root)?;
        proc::cargo(root, &["build", "-p", "server"], &offline)?;
        step("Playwright suite against a fresh server and database");
        site::run_e2e(root, &guard)?;
    }
    drop(guard);
    println!("\nxtask: all checks passed");
    Ok(())
}

/// `cargo xtask bench`
fn bench(root: &Path) -> Result<()> {
    tools::ensure_build_tools(root)?;
    step("initial download (release site)");
    site::build_frontend(root)?;
    site::report_sizes(root)?;
    let cluster = pg::Cluster::open(&root.join("target/xtask/pg-bench"), pg::Mode::FreshDurable)?;
    let guard = cluster.start()?;
    let url = guard.admin_url();
    step("benchmarks (release build)");
    proc::cargo(
        root,
        &["bench", "-p", "server", "--bench", "hot_paths"],
        &[("SQLX_OFFLINE", "true"), ("DATABASE_URL", url.as_str())],
    )?;
    drop(guard);
    Ok(())
}
