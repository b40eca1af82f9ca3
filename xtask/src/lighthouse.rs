//! `cargo xtask bench`'s Lighthouse run: the performance and accessibility
//! scores of the sign-in page and of an accounts list of 40 people, served
//! by the release server with the release site, in Debian's Chromium
//! (`xtask/lighthouse/run.mjs`, npm `lighthouse`).

use crate::pg::{self, Running};
use crate::{proc, site, tools, Result};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// People in the measured tenant besides its administrator.
const PEOPLE: usize = 40;

pub fn run(root: &Path, cluster: &Running<'_>) -> Result<()> {
    tools::ensure_lighthouse(root)?;
    proc::cargo(
        root,
        &["build", "--release", "-p", "server"],
        &[("SQLX_OFFLINE", "true")],
    )?;
    let server = crate::cargo_target_dir(root).join("release/server");
    let url = cluster.create_database("rollcall_lighthouse")?;
    let env = [("DATABASE_URL", url.as_str())];
    proc::run_checked(proc::command(&server, &["migrate"], &env))?;
    proc::run_checked(proc::command(
        &server,
        &[
            "tenant",
            "create",
            "--slug",
            "lighthouse",
            "--name",
            "Lighthouse",
            "--seats",
            "10",
        ],
        &env,
    ))?;
    let password = tools::generate_password()?;
    let people = (0..=PEOPLE).map(|i| {
        if i == 0 {
            ("lh-admin".to_owned(), "admin")
        } else {
            (format!("person-{i:02}"), "user")
        }
    });
    for (username, role) in people {
        let email = format!("{username}@lighthouse.example");
        let mut cmd = proc::command(
            &server,
            &[
                "account",
                "create",
                "--tenant",
                "lighthouse",
                "--username",
                &username,
                "--first",
                "Test",
                "--last",
                &username,
                "--email",
                &email,
                "--role",
                role,
            ],
            &env,
        );
        cmd.stdout(Stdio::null());
        proc::run_with_stdin(&mut cmd, &format!("{password}\n"))?;
    }

    let addr = format!("127.0.0.1:{}", pg::free_port()?);
    let base_url = format!("http://{addr}");
    let mut serve = proc::command(&server, &["serve", "--addr", &addr], &env);
    serve
        .env("ROLLCALL_SITE_ROOT", site::site_root(root))
        .env("ROLLCALL_PUBLIC_URL", &base_url)
        .env("ROLLCALL_SECRET_KEY", tools::generate_secret_key()?)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = serve
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let outcome = site::wait_healthy(&addr).and_then(|()| {
        let mut cmd = proc::command(
            "node",
            &["run.mjs"],
            &[
                ("BASE_URL", base_url.as_str()),
                ("ORG", "lighthouse"),
                ("USERNAME", "lh-admin"),
                ("PASSWORD", password.as_str()),
                ("CHROME_PATH", tools::chromium().as_str()),
            ],
        );
        cmd.current_dir(root.join("xtask/lighthouse"));
        proc::run_checked(cmd)
    });
    proc::stop_child(&mut child, Duration::from_secs(10));
    outcome
}
