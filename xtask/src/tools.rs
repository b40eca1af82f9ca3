//! Installs what the commands need, once. Each check is cheap when the tool
//! is already there, so every command calls these unconditionally.

use crate::proc;
use crate::Result;
use std::fs;
use std::io::Read;
use std::path::Path;

/// Installed `--locked`, which fixes its wasm-split at
/// `wasm_split_cli_support` 0.2.3: `SPLIT_LAYOUT_SLACK` in
/// `frontend/src/lib.rs` works around that version's data layout; check it
/// (the size budget fails by about 40 KB if not) when moving this pin.
const CARGO_LEPTOS_VERSION: &str = "0.3.10";
const SQLX_CLI_VERSION: &str = "0.8.6";

fn cargo_install(args: &[&str]) -> Result<()> {
    println!("installing: cargo install {}", args.join(" "));
    let mut full = vec!["install"];
    full.extend_from_slice(args);
    proc::run_checked(proc::command("cargo", &full, &[]))
}

fn version_of(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The Rust side of the site build: wasm target, cargo-leptos, a wasm-bindgen
/// CLI matching the library in Cargo.lock, and wasm-opt.
pub fn ensure_build_tools(root: &Path) -> Result<()> {
    let targets = version_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        proc::run_checked(proc::command(
            "rustup",
            &["target", "add", "wasm32-unknown-unknown"],
            &[],
        ))?;
    }
    let leptos = version_of("cargo", &["leptos", "--version"]).unwrap_or_default();
    if !leptos.contains(CARGO_LEPTOS_VERSION) {
        // `no_downloads`: use the tools on PATH instead of fetching binaries.
        cargo_install(&[
            "cargo-leptos",
            "--version",
            &format!("={CARGO_LEPTOS_VERSION}"),
            "--locked",
            "--features",
            "no_downloads",
        ])?;
    }
    let wanted = locked_version(root, "wasm-bindgen")?;
    let have = version_of("wasm-bindgen", &["--version"]).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == wanted) {
        // No --locked: the CLI's own lock file names a yanked crate.
        cargo_install(&["wasm-bindgen-cli", "--version", &format!("={wanted}")])?;
    }
    ensure_node()?;
    let node_dir = root.join("xtask/node");
    if !node_dir.join("node_modules/.bin/wasm-opt").exists() {
        npm_ci(&node_dir)?;
    }
    Ok(())
}

/// A Python with aiosmtpd for the mail tests' SMTP server, in its own
/// virtual environment under `target/` (Debian's Python refuses `pip install`
/// into the system). Returns the interpreter's path.
pub fn ensure_smtp_python(root: &Path) -> Result<std::path::PathBuf> {
    let env = root.join("target/xtask/pyenv");
    let python = env.join("bin/python");
    let ready = std::process::Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        if !proc::succeeds("python3", &["-c", "import venv, ensurepip"]) {
            apt_install(&["python3-venv"])?;
        }
        println!("installing: aiosmtpd into {}", env.display());
        proc::run_checked(proc::command(
            "python3",
            &["-m", "venv", &env.to_string_lossy()],
            &[],
        ))?;
        proc::run_checked(proc::command(
            env.join("bin/pip"),
            &["install", "--quiet", "aiosmtpd==1.4.6"],
            &[],
        ))?;
    }
    Ok(python)
}

/// What the AWS tooling installs from PyPI (prebuilt wheels, seconds):
/// cargo-lambda (its binary runs the Lambda runtime emulator and builds the
/// function), cfn-lint (validates deploy/template.yaml), moto's server (a
/// Secrets Manager endpoint for the emulated function) and, to cross-link
/// the arm64 build only, ziglang.
const AWS_TOOLS: &[&str] = &[
    "cargo-lambda==1.9.2",
    "cfn-lint==1.58.0",
    "moto[server]==5.2.6",
];
const ZIG: &str = "ziglang==0.17.1";

/// A virtual environment under `target/` with [`AWS_TOOLS`] (and [`ZIG`]
/// when `with_zig`); returns its `bin` folder. A stamp file lists what is
/// installed, so a second call costs nothing.
pub fn ensure_aws_tools(root: &Path, with_zig: bool) -> Result<std::path::PathBuf> {
    let env = root.join("target/xtask/awsenv");
    let bin = env.join("bin");
    let stamp = env.join("rollcall-installed");
    let mut wanted: Vec<&str> = AWS_TOOLS.to_vec();
    if with_zig {
        wanted.push(ZIG);
    }
    let have = fs::read_to_string(&stamp).unwrap_or_default();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|p| !have.lines().any(|l| l == *p))
        .collect();
    if missing.is_empty() {
        return Ok(bin);
    }
    if !bin.join("pip").exists() {
        if !proc::succeeds("python3", &["-c", "import venv, ensurepip"]) {
            apt_install(&["python3-venv"])?;
        }
        proc::run_checked(proc::command(
            "python3",
            &["-m", "venv", &env.to_string_lossy()],
            &[],
        ))?;
    }
    println!(
        "installing from PyPI into {}: {}",
        env.display(),
        missing.join(" ")
    );
    let started = std::time::Instant::now();
    let mut args = vec!["install", "--quiet", "--disable-pip-version-check"];
    args.extend_from_slice(&missing);
    proc::run_checked(proc::command(bin.join("pip"), &args, &[]))?;
    println!("  took {:.0} s", started.elapsed().as_secs_f64());
    let mut all: Vec<&str> = have.lines().collect();
    all.extend_from_slice(&missing);
    fs::write(&stamp, all.join("\n") + "\n").map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(bin)
}

pub fn ensure_sqlx_cli() -> Result<()> {
    let have = version_of("cargo", &["sqlx", "--version"]).unwrap_or_default();
    if !have.contains(SQLX_CLI_VERSION) {
        cargo_install(&[
            "sqlx-cli",
            "--version",
            &format!("={SQLX_CLI_VERSION}"),
            "--locked",
            "--no-default-features",
            "--features",
            "postgres,rustls",
        ])?;
    }
    Ok(())
}

/// Chromium and Firefox ESR from Debian (Playwright cannot download
/// browsers here) and the suite's npm packages.
pub fn ensure_e2e_tools(root: &Path) -> Result<()> {
    ensure_chromium()?;
    if !Path::new("/usr/bin/firefox-esr").exists() && std::env::var_os("ROLLCALL_FIREFOX").is_none()
    {
        let started = std::time::Instant::now();
        apt_install(&["firefox-esr"])?;
        println!(
            "  installing Firefox ESR took {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    npm_ci_if_stale(&root.join("e2e"))
}

fn ensure_chromium() -> Result<()> {
    ensure_node()?;
    if !Path::new("/usr/bin/chromium").exists() && std::env::var_os("ROLLCALL_CHROMIUM").is_none() {
        apt_install(&["chromium"])?;
    }
    Ok(())
}

/// Node, Chromium and `xtask/lighthouse`'s npm packages (`cargo xtask bench`).
pub fn ensure_lighthouse(root: &Path) -> Result<()> {
    ensure_chromium()?;
    npm_ci_if_stale(&root.join("xtask/lighthouse"))
}

/// The Chromium the suite and Lighthouse drive: `ROLLCALL_CHROMIUM`, else
/// Debian's.
pub fn chromium() -> String {
    std::env::var("ROLLCALL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// `npm ci` in `dir` unless its `node_modules` is newer than its lock file.
fn npm_ci_if_stale(dir: &Path) -> Result<()> {
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let stale = match (fs::metadata(&stamp), fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => match (s.modified(), l.modified()) {
            (Ok(s), Ok(l)) => s < l,
            _ => true,
        },
        _ => true,
    };
    if stale {
        npm_ci(dir)?;
    }
    Ok(())
}

fn ensure_node() -> Result<()> {
    if proc::succeeds("npm", &["--version"]) {
        return Ok(());
    }
    apt_install(&["nodejs", "npm"])
}

pub fn npm_ci(dir: &Path) -> Result<()> {
    let mut cmd = proc::command("npm", &["ci", "--no-audit", "--no-fund"], &[]);
    cmd.current_dir(dir);
    proc::run_checked(cmd)
}

/// Installs Debian packages; only possible as root with apt.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    if !proc::succeeds("apt-get", &["--version"]) {
        return Err(format!(
            "{} is missing and this machine has no apt-get: install it with your package manager",
            packages.join(", ")
        ));
    }
    println!("installing with apt-get: {}", packages.join(" "));
    proc::run_checked(proc::command("apt-get", &["update", "-qq"], &[]))?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    proc::run_checked(proc::command(
        "apt-get",
        &args,
        &[("DEBIAN_FRONTEND", "noninteractive")],
    ))
}

/// The version of `name` that Cargo.lock pins.
fn locked_version(root: &Path, name: &str) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let needle = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(v.trim_matches('"').to_owned());
            }
        }
    }
    Err(format!("{name} is not in Cargo.lock"))
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    Ok(bytes)
}

/// A fresh `ROLLCALL_SECRET_KEY`: 32 random bytes, base64 (docs/operations.md,
/// Configuration).
pub fn generate_secret_key() -> Result<String> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?))
}

/// A random password meeting the default policy: four groups of five letters
/// and digits joined by hyphens, with at least one digit (about 119 bits).
pub fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let bytes = random_bytes::<64>()?;
    // 256 is not a multiple of the alphabet's size: reject the biased tail.
    let limit = 256 - 256 % ALPHABET.len();
    let mut chars = bytes
        .iter()
        .filter(|b| usize::from(**b) < limit)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    let mut groups = Vec::new();
    for _ in 0..4 {
        let group: String = chars.by_ref().take(5).collect();
        if group.len() < 5 {
            return Err("not enough randomness for a password".into());
        }
        groups.push(group);
    }
    let mut password = groups.join("-");
    if !password.chars().any(|c| c.is_ascii_digit()) {
        password.push('7');
    }
    Ok(password)
}
