//! Building the browser bundle and running the Playwright suite.

use crate::pg::{self, Running};
use crate::proc;
use crate::Result;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn path_with_node_tools(root: &Path) -> String {
    let tools = root.join("xtask/node/node_modules/.bin");
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", tools.display())
}

/// Where the digest of the last complete build's inputs is kept.
const STAMP: &str = "target/site/.rollcall-inputs";

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// SHA-256 over everything the site is built from: every file of `app/`,
/// `frontend/`, `style/` and `public/`, the workspace's `Cargo.toml` and
/// `Cargo.lock`, and the versions of rustc, cargo-leptos, wasm-bindgen and
/// wasm-opt. Equal digests, equal sites.
fn inputs_digest(root: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut files = Vec::new();
    for dir in ["app", "frontend", "style", "public"] {
        collect_files(&root.join(dir), &mut files)?;
    }
    files.push(root.join("Cargo.toml"));
    files.push(root.join("Cargo.lock"));
    files.sort();
    let mut hash = Sha256::new();
    for file in &files {
        let bytes = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let name = file.strip_prefix(root).unwrap_or(file).to_string_lossy();
        hash.update(format!("{name}\0{}\0", bytes.len()));
        hash.update(&bytes);
    }
    let path = path_with_node_tools(root);
    for (tool, args) in [
        ("rustc", &["-V"][..]),
        ("cargo", &["leptos", "--version"][..]),
        ("wasm-bindgen", &["--version"][..]),
        ("wasm-opt", &["--version"][..]),
    ] {
        let out = proc::command(tool, args, &[("PATH", path.as_str())])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        hash.update(&out);
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Builds the site unless its inputs are those of the last complete build
/// (then it says so and returns at once).
pub fn build_frontend(root: &Path) -> Result<()> {
    let digest = inputs_digest(root)?;
    let stamp = root.join(STAMP);
    let built = root.join("target/site/index.html").exists()
        && root.join("target/site/pkg/rollcall.wasm").exists();
    if built && fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == digest) {
        println!("  the site's sources and tools are unchanged since its last build: kept (delete target/site to rebuild)");
        return Ok(());
    }
    let _ = fs::remove_file(&stamp);
    build_site(root)?;
    fs::write(&stamp, format!("{digest}\n")).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// Release wasm + JS + CSS into `target/site`, and the SPA shell beside them
/// (cargo-leptos reserves `index.html` in the assets folder, so it is copied here).
/// `--split` puts each administrator screen (the `admin_route!` list in
/// `app/src/pages/shell.rs`) into modules fetched when it first opens. Their
/// names are not unique per build, so the old ones are removed first.
fn build_site(root: &Path) -> Result<()> {
    let path = path_with_node_tools(root);
    let pkg = root.join("target/site/pkg");
    if pkg.exists() {
        fs::remove_dir_all(&pkg).map_err(|e| format!("cannot clear {}: {e}", pkg.display()))?;
    }
    proc::cargo(
        root,
        &["leptos", "build", "--release", "--frontend-only", "--split"],
        &[("PATH", path.as_str())],
    )?;
    let site = root.join("target/site");
    fs::copy(root.join("frontend/index.html"), site.join("index.html"))
        .map_err(|e| format!("cannot copy the SPA shell: {e}"))?;
    Ok(())
}

/// Raw and gzip -9 size of one file.
fn sizes(path: &Path) -> Result<(u64, u64)> {
    let raw = fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let out = proc::command("gzip", &["-9c", &path.to_string_lossy()], &[])
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    Ok((raw, out.stdout.len() as u64))
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// Raw and gzip -9 size of what a browser downloads first (the main module,
/// its JS, the split loader it imports, the CSS), then of the modules the
/// administrator screens fetch when first opened.
pub fn report_sizes(root: &Path) -> Result<()> {
    let pkg = root.join("target/site/pkg");
    let mut names: Vec<String> = fs::read_dir(&pkg)
        .map_err(|e| format!("{}: {e}", pkg.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let loader: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("__wasm_split.") && n.ends_with(".js"))
        .collect();
    let mut first: Vec<&str> = vec!["rollcall.wasm", "rollcall.js", "rollcall.css"];
    first.extend(loader.iter().map(|n| n.as_str()));
    println!(
        "  {:<40} {:>10} {:>10}",
        "initial download", "raw", "gzip -9"
    );
    let mut total = (0u64, 0u64);
    for name in first {
        let (raw, gz) = sizes(&pkg.join(name))?;
        total = (total.0 + raw, total.1 + gz);
        println!("  {name:<40} {:>8.1} KB {:>8.1} KB", kb(raw), kb(gz));
    }
    println!(
        "  {:<40} {:>8.1} KB {:>8.1} KB",
        "total",
        kb(total.0),
        kb(total.1)
    );
    let mut lazy = (0usize, 0u64, 0u64);
    for name in names
        .iter()
        .filter(|n| n.ends_with(".wasm") && *n != "rollcall.wasm")
    {
        let (raw, gz) = sizes(&pkg.join(name))?;
        lazy = (lazy.0 + 1, lazy.1 + raw, lazy.2 + gz);
    }
    println!(
        "  {:<40} {:>8.1} KB {:>8.1} KB",
        format!("on demand: {} modules (all screens)", lazy.0),
        kb(lazy.1),
        kb(lazy.2)
    );
    Ok(())
}

struct Fixture {
    tenant: &'static str,
    name: &'static str,
    seats: &'static str,
    accounts: &'static [(&'static str, &'static str)],
}

/// What the suite expects to exist; QA provisions the same on another
/// deployment (see e2e/README.md).
const FIXTURES: &[Fixture] = &[
    Fixture {
        tenant: "e2e",
        name: "End to End",
        seats: "50",
        accounts: &[
            ("e2e-admin", "admin"),
            ("e2e-user", "user"),
            ("e2e-expired", "user"),
        ],
    },
    // Tenants whose settings or clients a test changes, so that the others
    // keep the defaults.
    Fixture {
        tenant: "e2e-forms",
        name: "Forms Test",
        seats: "20",
        accounts: &[("forms-admin", "admin")],
    },
    Fixture {
        tenant: "e2e-policy",
        name: "Policy Test",
        seats: "20",
        accounts: &[("policy-admin", "admin")],
    },
    // Connected to the test domain controller by the directory tests.
    Fixture {
        tenant: "e2e-ad",
        name: "Directory Test",
        seats: "20",
        accounts: &[("ad-admin", "admin")],
    },
    Fixture {
        tenant: "e2e-seats",
        name: "Seat Test",
        seats: "2",
        accounts: &[("seat1", "user"), ("seat2", "user"), ("seat3", "user")],
    },
    // The License page's seat holders, signed out by its administrator.
    Fixture {
        tenant: "e2e-license",
        name: "License Test",
        seats: "3",
        accounts: &[
            ("license-admin", "admin"),
            ("lic1", "user"),
            ("lic2", "user"),
            ("lic3", "user"),
        ],
    },
];

/// Makes the tenants and accounts of [`FIXTURES`] with `server`'s CLI in
/// `database` (of `cluster`), every account with `password`.
pub fn create_fixtures(
    server: &Path,
    env: &[(&str, &str)],
    cluster: &Running<'_>,
    database: &str,
    password: &str,
) -> Result<()> {
    for f in FIXTURES {
        proc::run_checked(proc::command(
            server,
            &[
                "tenant", "create", "--slug", f.tenant, "--name", f.name, "--seats", f.seats,
            ],
            env,
        ))?;
        for (username, role) in f.accounts {
            let email = format!("{username}@{}.example", f.tenant);
            let mut cmd = proc::command(
                server,
                &[
                    "account",
                    "create",
                    "--tenant",
                    f.tenant,
                    "--username",
                    username,
                    "--first",
                    "Test",
                    "--last",
                    username,
                    "--email",
                    &email,
                    "--role",
                    role,
                ],
                env,
            );
            cmd.stdout(Stdio::null());
            proc::run_with_stdin(&mut cmd, &format!("{password}\n"))?;
        }
    }
    // An account whose Expires/Deactivates on date has come: the date is set
    // in the database directly, as if the calendar had moved on.
    cluster.psql_in(
        database,
        "UPDATE accounts SET expires_on = (now() AT TIME ZONE 'UTC')::date - 1 \
         WHERE username_key = 'e2e-expired'",
    )?;
    Ok(())
}

/// What the Playwright suite needs besides the address it tests.
pub struct Suite<'a> {
    pub password: &'a str,
    pub mail_dir: &'a Path,
    /// The suite's direct changes (ageing links) cross tenants: the
    /// superuser's URL of the database under test.
    pub arrange_url: String,
    pub psql: PathBuf,
    pub ad_env: &'a [(&'a str, &'a str)],
}

impl Suite<'_> {
    /// `npx playwright test [files]` against `base_url`.
    pub fn run(&self, root: &Path, base_url: &str, files: &[&str]) -> Result<()> {
        let mail_dir = self.mail_dir.to_string_lossy();
        let psql = self.psql.to_string_lossy();
        let mut args = vec!["playwright", "test"];
        args.extend_from_slice(files);
        let mut cmd = proc::command(
            "npx",
            &args,
            &[
                ("ROLLCALL_BASE_URL", base_url),
                ("ROLLCALL_E2E_PASSWORD", self.password),
                ("ROLLCALL_E2E_MAIL_DIR", mail_dir.as_ref()),
                ("ROLLCALL_E2E_DATABASE_URL", self.arrange_url.as_str()),
                ("ROLLCALL_E2E_PSQL", psql.as_ref()),
            ],
        );
        cmd.envs(self.ad_env.iter().copied());
        cmd.current_dir(root.join("e2e"));
        proc::run_checked(cmd)
    }
}

pub fn run_e2e(root: &Path, cluster: &Running<'_>, ad_env: &[(&str, &str)]) -> Result<()> {
    let url = cluster.create_database("rollcall_e2e")?;
    let server = crate::cargo_target_dir(root).join("debug/server");
    let env = [("DATABASE_URL", url.as_str())];
    proc::run_checked(proc::command(&server, &["migrate"], &env))?;
    let password = crate::tools::generate_password()?;
    create_fixtures(&server, &env, cluster, "rollcall_e2e", &password)?;

    let port = pg::free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let log_path = root.join("target/xtask/e2e-server.log");
    let log = fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let site_root = root.join("target/site");
    // The tests read invitation and reset emails from here.
    let mail_dir = root.join("target/xtask/e2e-mail");
    let _ = fs::remove_dir_all(&mail_dir);
    fs::create_dir_all(&mail_dir).map_err(|e| format!("{}: {e}", mail_dir.display()))?;
    let mut serve = proc::command(&server, &["serve", "--addr", &addr], &env);
    serve
        .env("ROLLCALL_SITE_ROOT", &site_root)
        .env("ROLLCALL_MAIL_DIR", &mail_dir)
        // Reset mails wait for the worker's round (see forgot_password).
        .env("ROLLCALL_MAIL_POLL_SECONDS", "1")
        .env("ROLLCALL_PUBLIC_URL", format!("http://{addr}"))
        .env("RUST_LOG", "info")
        .env("ROLLCALL_SECRET_KEY", crate::tools::generate_secret_key()?)
        .stdout(log)
        .stderr(log_err);
    let mut child = serve
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let base_url = format!("http://{addr}");
    let suite = Suite {
        password: &password,
        mail_dir: &mail_dir,
        arrange_url: cluster.url("rollcall_e2e"),
        psql: cluster.psql_path(),
        ad_env,
    };
    let outcome = wait_healthy(&addr).and_then(|()| suite.run(root, &base_url, &[]));
    proc::stop_child(&mut child, Duration::from_secs(10));
    outcome.map_err(|e| format!("{e}\nserver log: {}", log_path.display()))
}

fn wait_healthy(addr: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(addr) {
            let request =
                format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let mut response = String::new();
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut response).is_ok()
                && response.starts_with("HTTP/1.1 200")
            {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "the server at {addr} did not become healthy within 60 s"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_every_input_file() {
        let root =
            std::env::temp_dir().join(format!("rollcall-site-digest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for dir in ["app/src", "frontend", "style", "public"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for (file, text) in [
            ("app/src/lib.rs", "fn a() {}"),
            ("frontend/index.html", "<html>"),
            ("style/main.css", "body {}"),
            ("public/boot.js", "go()"),
            ("Cargo.toml", "[workspace]"),
            ("Cargo.lock", "# lock"),
        ] {
            fs::write(root.join(file), text).unwrap();
        }
        let first = inputs_digest(&root).unwrap();
        assert_eq!(first, inputs_digest(&root).unwrap(), "stable");
        fs::write(root.join("app/src/lib.rs"), "fn b() {}").unwrap();
        let second = inputs_digest(&root).unwrap();
        assert_ne!(first, second, "a source changed");
        fs::write(root.join("public/new.txt"), "x").unwrap();
        assert_ne!(second, inputs_digest(&root).unwrap(), "a file was added");
        let _ = fs::remove_dir_all(&root);
    }
}
