//! Developer commands: `cargo xtask run | test | bench | db | dc | lambda | site`.
//!
//! Each installs what it needs (idempotently), starts a private PostgreSQL
//! cluster under the project, and cleans up after itself.

mod dc;
mod deploy;
mod docs;
mod lambda;
mod lighthouse;
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
        Some("run") => run(&root, &args[1..]),
        Some("test") => test(&root, &args[1..]),
        Some("bench") => bench(&root),
        Some("db") => db(&root),
        Some("dc") => dc(&root),
        Some("lambda") => lambda::build(&root),
        Some("site") => site(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run     install what is missing, start Postgres, build and serve Rollcall at http://127.0.0.1:3000\n          (`run --ad` also starts a test Active Directory and connects the demo tenant to it)\n  test    format check, clippy, every Rust test and the Playwright suite\n          (`test rust` or `test e2e` runs one half; `test lambda` only the Lambda run;\n          `--project chromium|firefox` runs the browser suite in one engine)\n  bench   login throughput and hot-path latency against a private Postgres, and Lighthouse scores\n          of the sign-in page and the accounts list\n  db      start the development cluster and print its DATABASE_URL until Ctrl-C\n  dc      start the test Active Directory DCs and print their AD_* variables until Ctrl-C\n  lambda  build the AWS Lambda function (arm64 bootstrap.zip for deploy/template.yaml)\n  site    build the release site into target/site (under CARGO_TARGET_DIR when set), print its sizes\n          and check the size budget in site-budget.toml (what `run` serves and a deployment uploads)"
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

/// The checkout `cargo xtask` was run in. Cargo sets `CARGO_MANIFEST_DIR`
/// when it runs the binary; the compile-time value is only a fallback, since
/// two checkouts sharing `CARGO_TARGET_DIR` share one xtask binary too.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// Where cargo puts what it builds, as `cargo metadata` reports it (and as
/// cargo-leptos reads it): `CARGO_TARGET_DIR` or `build.target-dir` when
/// set (so a second checkout can reuse the first one's build output), else
/// `target/` of the project. Asked once per run.
pub fn cargo_target_dir(root: &Path) -> PathBuf {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let reported = DIR.get_or_init(|| {
        let out = proc::command(
            "cargo",
            &[
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ],
            &[],
        )
        .current_dir(root)
        .output()
        .ok()?;
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        meta["target_directory"].as_str().map(PathBuf::from)
    });
    match reported {
        Some(dir) => dir.clone(),
        None => match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        },
    }
}

pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// `cargo xtask run [--ad]`
fn run(root: &Path, args: &[String]) -> Result<()> {
    let ad_marker = root.join(".data/demo-ad");
    let with_ad = match args.first().map(String::as_str) {
        None => ad_marker.exists(),
        Some("--ad") => true,
        Some(other) => return Err(format!("unknown option `{other}`: `run` takes only --ad")),
    };
    tools::ensure_build_tools(root)?;
    step("building the site and the server (release)");
    site::build_frontend(root)?;
    proc::cargo(root, &["build", "--release", "-p", "server"], &[])?;
    let server = cargo_target_dir(root).join("release/server");

    step("starting PostgreSQL (data kept in .data/pg)");
    let cluster = pg::Cluster::open(&root.join(".data/pg"), pg::Mode::Persistent)?;
    let guard = cluster.start()?;
    let url = guard.create_database("rollcall")?;
    let secret_key = secret_key(root)?;
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ROLLCALL_SECRET_KEY", secret_key.as_str()),
    ];

    step("applying migrations");
    proc::run_checked(proc::command(&server, &["migrate"], &env))?;
    seed_demo(root, &server, &env)?;
    let _dc = if with_ad {
        step("starting the test Active Directory domain controller");
        let dc = dc::Dc::start(
            root,
            "run",
            dc::RUN_IP,
            std::time::Duration::from_secs(7 * 86_400),
        )?;
        if !ad_marker.exists() {
            connect_demo_to_ad(&server, &env, &dc)?;
            std::fs::write(&ad_marker, "cargo xtask run starts the test AD for demo\n")
                .map_err(|e| format!("cannot write {}: {e}", ad_marker.display()))?;
        }
        Some(dc)
    } else {
        None
    };

    step("serving Rollcall at http://127.0.0.1:3000 (Ctrl-C stops server and database)");
    let site_root = site::site_root(root);
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

/// `.data/secret-key`, made on the first run: the `ROLLCALL_SECRET_KEY` the
/// development server seals directory look-up passwords with.
fn secret_key(root: &Path) -> Result<String> {
    let path = root.join(".data/secret-key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Ok(key.trim().to_owned());
    }
    let key = tools::generate_secret_key()?;
    std::fs::create_dir_all(root.join(".data")).map_err(|e| e.to_string())?;
    std::fs::write(&path, format!("{key}\n"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())?;
    println!("generated ROLLCALL_SECRET_KEY into {}", path.display());
    Ok(key)
}

/// Points the `demo` tenant at the test DC, with its look-up account.
fn connect_demo_to_ad(server: &Path, env: &[(&str, &str)], dc: &dc::Dc) -> Result<()> {
    let ca = dc.ca().to_string_lossy().into_owned();
    let url = format!("ldaps://{}", dc.ip);
    let bind = format!("{}@{}", dc::LOOKUP.0, dc::REALM);
    let mut set = proc::command(
        server,
        &[
            "directory",
            "set",
            "--tenant",
            "demo",
            "--url",
            &url,
            "--base-dn",
            dc::BASE_DN,
            "--upn-suffix",
            dc::REALM,
            "--domain",
            dc::DOMAIN,
            "--ca-file",
            &ca,
            "--bind-name",
            &bind,
        ],
        env,
    );
    proc::run_with_stdin(&mut set, &format!("{}\n", dc::LOOKUP.1))?;
    println!("the demo tenant signs in with the test directory: try alice / AlicePass1 after creating her account");
    Ok(())
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

/// `cargo xtask site`
fn site(root: &Path) -> Result<()> {
    tools::ensure_build_tools(root)?;
    step("building the site (release)");
    site::build_frontend(root)?;
    site::report_sizes(root)
}

/// `cargo xtask db`
fn db(root: &Path) -> Result<()> {
    let cluster = pg::Cluster::open(&root.join(".data/pg"), pg::Mode::Persistent)?;
    let guard = cluster.start()?;
    let url = guard.create_database("rollcall")?;
    println!(
        "DATABASE_URL={url}\n(the server's role; for `cargo test -p server`, which creates databases, use the superuser's DATABASE_URL={})\n(Ctrl-C stops the cluster)",
        guard.admin_url()
    );
    let interrupted = proc::interrupt_flag()?;
    proc::wait_for_interrupt(&interrupted);
    drop(guard);
    Ok(())
}

/// `cargo xtask dc`: the domain controllers `test` starts, for running the
/// directory tests by hand.
fn dc(root: &Path) -> Result<()> {
    let day = std::time::Duration::from_secs(86_400);
    let main = dc::Dc::start(root, "main", dc::MAIN_IP, day)?;
    let doomed = dc::Dc::start(root, "doomed", dc::DOOMED_IP, day)?;
    for (k, v) in main.env() {
        println!("export {k}='{v}'");
    }
    println!("export AD_DOOMED_URL='ldaps://{}'", doomed.ip);
    println!("export AD_DOOMED_PID='{}'", doomed.pid());
    println!("(Ctrl-C stops both)");
    let interrupted = proc::interrupt_flag()?;
    proc::wait_for_interrupt(&interrupted);
    drop(doomed);
    drop(main);
    Ok(())
}

/// `cargo xtask test [rust|e2e]`
fn test(root: &Path, args: &[String]) -> Result<()> {
    let which = args.first().map(String::as_str).unwrap_or("all");
    // `--project NAME` (repeatable) runs the browser suite in those engines
    // only; both by default.
    let mut engines = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        match (arg.as_str(), rest.next()) {
            ("--project", Some(name)) => engines.push(site::Engine::parse(name)?),
            _ => {
                return Err(format!(
                    "unexpected `{arg}`: the one option is --project chromium|firefox"
                ))
            }
        }
    }
    if engines.is_empty() {
        engines = site::Engine::ALL.to_vec();
    }
    // `lambda` runs only the Lambda part of the browser tests.
    let (rust, e2e, lambda_only) = match which {
        "all" => (true, true, false),
        "rust" => (true, false, false),
        "e2e" => (false, true, false),
        "lambda" => (false, true, true),
        other => {
            return Err(format!(
                "unknown test selection `{other}`: use rust, e2e or lambda"
            ))
        }
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
        step("documentation: every relative link and `path/in/backticks` exists");
        docs::check(root)?;
    }

    step("starting a fresh PostgreSQL cluster for the tests");
    let cluster = pg::Cluster::open(&root.join("target/xtask/pg-test"), pg::Mode::Throwaway)?;
    let guard = cluster.start()?;

    step("starting a private Active Directory domain controller");
    let dc_started = std::time::Instant::now();
    let suite = std::time::Duration::from_secs(3 * 3600);
    let dc = dc::Dc::start(root, "main", dc::MAIN_IP, suite)?;
    // A second DC that a test stops, to see an outage.
    let doomed = if rust {
        Some(dc::Dc::start(root, "doomed", dc::DOOMED_IP, suite)?)
    } else {
        None
    };
    let mut ad_env = dc.env();
    if let Some(d) = &doomed {
        ad_env.push(("AD_DOOMED_URL".into(), format!("ldaps://{}", d.ip)));
        ad_env.push(("AD_DOOMED_PID".into(), d.pid().to_string()));
    }
    println!(
        "  the domain controllers took {:.1} s to start",
        dc_started.elapsed().as_secs_f64()
    );
    let ad_env: Vec<(&str, &str)> = ad_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

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

        step("deploy/template.yaml: cfn-lint, and the resources docs/deploy-aws.md names");
        deploy::lint(root)?;

        step("Rust tests (each database test gets its own database)");
        let admin_url = guard.admin_url();
        let python = tools::ensure_smtp_python(root)?;
        let python = python.to_string_lossy();
        let mut env = vec![
            ("SQLX_OFFLINE", "true"),
            ("DATABASE_URL", admin_url.as_str()),
            ("ROLLCALL_TEST_PYTHON", python.as_ref()),
        ];
        env.extend_from_slice(&ad_env);
        proc::cargo(root, &["test", "--workspace"], &env)?;
    }

    if e2e {
        step("building the site (release wasm) and the server");
        site::build_frontend(root)?;
        site::report_sizes(root)?;
        proc::cargo(root, &["build", "-p", "server"], &offline)?;
        if !lambda_only {
            site::run_e2e_engines(root, &guard, &ad_env, &engines)?;
        }
        step("the same server as a Lambda function, under the runtime emulator");
        let password = tools::generate_password()?;
        let mail_dir = root.join("target/xtask/e2e-mail");
        fs_create_dir(&mail_dir)?;
        let suite = site::Suite {
            password: &password,
            mail_dir: &mail_dir,
            arrange_url: String::new(),
            psql: guard.psql_path(),
            ad_env: &ad_env,
        };
        let python = tools::ensure_smtp_python(root)?;
        lambda::run_e2e(root, &guard, &suite, &python)?;
    }
    drop(doomed);
    drop(dc);
    drop(guard);
    println!("\nxtask: all checks passed");
    Ok(())
}

fn fs_create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
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
    step("starting the test Active Directory domain controller");
    let dc = dc::Dc::start(
        root,
        "bench",
        dc::MAIN_IP,
        std::time::Duration::from_secs(7200),
    )?;
    let ad_env = dc.env();
    step("benchmarks (release build)");
    let mut env = vec![("SQLX_OFFLINE", "true"), ("DATABASE_URL", url.as_str())];
    env.extend(ad_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    proc::cargo(
        root,
        &["bench", "-p", "server", "--bench", "hot_paths"],
        &env,
    )?;
    step("Lighthouse: the sign-in page and the accounts list (release server and site)");
    lighthouse::run(root, &guard)?;
    drop(dc);
    drop(guard);
    Ok(())
}
