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

/// Where the site is built: `site` in cargo's target directory (the
/// `CARGO_TARGET_DIR/site` of `site-root` in the workspace's Cargo.toml).
pub fn site_root(root: &Path) -> PathBuf {
    crate::cargo_target_dir(root).join("site")
}

/// The digest of the last complete build's inputs, in the site root.
const STAMP: &str = ".rollcall-inputs";

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
    // How the site is put together (the boot script's table, the build
    // folder) is this file's.
    files.push(root.join("xtask/src/site.rs"));
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
    let site = site_root(root);
    let stamp = site.join(STAMP);
    let built = site.join("index.html").exists();
    if built && fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == digest) {
        println!(
            "  the site's sources and tools are unchanged since its last build: kept (delete {} to rebuild)",
            site.display()
        );
        return Ok(());
    }
    let _ = fs::remove_file(&stamp);
    build_site(root)?;
    fs::write(&stamp, format!("{digest}\n")).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// The name of a build's folder under `pkg/`: the first 20 hex digits of a
/// SHA-256 over every file cargo-leptos wrote there (names and contents).
/// Every module, script and style sheet of a build is served from that
/// folder, so a URL under it never changes content and is cached as
/// immutable. (Per-file names cannot all carry their own digest: the main
/// script and the split loader name each other.)
fn build_digest(pkg: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for name in file_names(pkg)? {
        let path = pkg.join(&name);
        if path.is_file() {
            let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            hash.update(format!("{name}\0{}\0", bytes.len()));
            hash.update(&bytes);
        }
    }
    Ok(hash.finalize()[..10]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `text` (the shell or the boot script) pointing at the build's folder:
/// `/pkg/rollcall.js` becomes `/pkg/<digest>/rollcall.js`.
fn point_at_build(text: &str, digest: &str) -> String {
    text.replace("/pkg/rollcall.", &format!("/pkg/{digest}/rollcall."))
}

/// The build's folder in `pkg`: its only subfolder.
fn build_dir(pkg: &Path) -> Result<PathBuf> {
    let dirs: Vec<PathBuf> = file_names(pkg)?
        .into_iter()
        .map(|n| pkg.join(n))
        .filter(|p| p.is_dir())
        .collect();
    match dirs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "{} should hold exactly one build folder: build the site again",
            pkg.display()
        )),
    }
}

fn file_names(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Release wasm + JS + CSS into the site root, moved into a folder named
/// by the build's digest ([`build_digest`]), then the SPA shell and the boot
/// script pointing at it (cargo-leptos reserves `index.html` in the assets
/// folder, so both are written here from `frontend/index.html` and
/// `public/boot.js`), then a brotli and a gzip file beside every file.
/// `--split` puts the signed-in frame, the link pages and each area of
/// screens (the `lazy_route!` list in `app/src/pages/shell.rs`) into
/// modules fetched when first needed.
fn build_site(root: &Path) -> Result<()> {
    let path = path_with_node_tools(root);
    let site = site_root(root);
    // Old builds would otherwise pile up beside the new one.
    if site.exists() {
        fs::remove_dir_all(&site).map_err(|e| format!("cannot clear {}: {e}", site.display()))?;
    }
    proc::cargo(
        root,
        &["leptos", "build", "--release", "--frontend-only", "--split"],
        &[("PATH", path.as_str())],
    )?;
    let pkg = site.join("pkg");
    let digest = build_digest(&pkg)?;
    let build = pkg.join(&digest);
    fs::create_dir(&build).map_err(|e| format!("{}: {e}", build.display()))?;
    for name in file_names(&pkg)? {
        let from = pkg.join(&name);
        if from.is_file() {
            fs::rename(&from, build.join(&name))
                .map_err(|e| format!("cannot move {}: {e}", from.display()))?;
        }
    }
    let boot = fs::read_to_string(root.join("public/boot.js"))
        .map_err(|e| format!("public/boot.js: {e}"))?;
    let areas = split_areas(&build, &boot)?;
    for (from, to) in [
        ("frontend/index.html", "index.html"),
        ("public/boot.js", "boot.js"),
    ] {
        let text = fs::read_to_string(root.join(from)).map_err(|e| format!("{from}: {e}"))?;
        if to == "boot.js" && !text.contains(AREAS_MARKER) {
            return Err(format!("{from} lost its marker {AREAS_MARKER}"));
        }
        let text = text.replace(AREAS_MARKER, &areas);
        fs::write(site.join(to), point_at_build(&text, &digest))
            .map_err(|e| format!("cannot write {to}: {e}"))?;
    }
    precompress(&site)
}

/// Where `public/boot.js` takes the areas' files ([`split_areas`]).
const AREAS_MARKER: &str = "{/* split areas */}";

/// The split manifest of the build in `build` as the boot script's table:
/// the chunks, as number ranges, of the frame and of each module the boot
/// script names in quotes (`'accounts'`), e.g.
/// `{"accounts":"9-52,56","frame":"11-13"}` (its own `split_<area>.wasm`
/// is implied). Small, because the sign-in page downloads it.
fn split_areas(build: &Path, boot: &str) -> Result<String> {
    let name = file_names(build)?
        .into_iter()
        .find(|n| n.starts_with("__wasm_split_manifest") && n.ends_with(".json"))
        .ok_or("no split manifest in the build")?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(build.join(&name)).map_err(|e| format!("{name}: {e}"))?)
            .map_err(|e| format!("{name}: {e}"))?;
    let modules = manifest
        .as_object()
        .ok_or_else(|| format!("{name}: not an object"))?;
    let mut table = serde_json::Map::new();
    let named = |m: &str| m == "frame" || boot.contains(&format!("'{m}'"));
    for (module, files) in modules.iter().filter(|(m, _)| named(m)) {
        let mut chunks: Vec<u32> = files
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.as_str()?.strip_prefix("chunk_")?.parse().ok())
            .collect();
        chunks.sort_unstable();
        table.insert(module.clone(), ranges(&chunks).into());
    }
    Ok(serde_json::Value::Object(table).to_string())
}

/// Sorted numbers as ranges: `[9, 10, 11, 14]` is `9-11,14`.
fn ranges(numbers: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip, level 9)
/// beside every file under `dir`, which the server sends by the request's
/// `Accept-Encoding`.
fn precompress(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    for file in files {
        let name = file.to_string_lossy();
        if name.ends_with(".br") || name.ends_with(".gz") || name.ends_with(STAMP) {
            continue;
        }
        let bytes = fs::read(&file).map_err(|e| format!("{name}: {e}"))?;
        fs::write(format!("{name}.br"), brotli_bytes(&bytes)?)
            .map_err(|e| format!("{name}.br: {e}"))?;
        fs::write(format!("{name}.gz"), gzip_bytes(&bytes)?)
            .map_err(|e| format!("{name}.gz: {e}"))?;
    }
    Ok(())
}

fn brotli_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    use flate2::write::GzEncoder;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).map_err(|e| format!("gzip: {e}"))?;
    gz.finish().map_err(|e| format!("gzip: {e}"))
}

/// Raw, gzip and brotli sizes of one built file: the precompressed files
/// beside it, which are what the server sends.
fn sizes(path: &Path) -> Result<[u64; 3]> {
    let len = |p: &Path| {
        fs::metadata(p)
            .map(|m| m.len())
            .map_err(|e| format!("{}: {e} (build the site again)", p.display()))
    };
    let name = path.to_string_lossy();
    Ok([
        len(path)?,
        len(Path::new(&format!("{name}.gz")))?,
        len(Path::new(&format!("{name}.br")))?,
    ])
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// The budget file: `initial_download_brotli_kb = <KB>`, 1 KB = 1,024 bytes.
const BUDGET_FILE: &str = "site-budget.toml";

/// The initial-download budget in bytes, from [`BUDGET_FILE`].
fn budget_bytes(root: &Path) -> Result<u64> {
    let text =
        fs::read_to_string(root.join(BUDGET_FILE)).map_err(|e| format!("{BUDGET_FILE}: {e}"))?;
    parse_budget(&text)
        .ok_or_else(|| format!("{BUDGET_FILE}: no line `initial_download_brotli_kb = <whole KB>`"))
}

fn parse_budget(text: &str) -> Option<u64> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == "initial_download_brotli_kb")
                .then(|| value.trim().parse::<u64>().ok())
                .flatten()
        })
        .map(|kb| kb * 1024)
}

/// Prints what the sign-in page downloads before its form is usable (the
/// shell, the boot script, the main module, its script, the split loader it
/// imports, the style sheet) and what each lazy module fetches when first
/// needed (its own file and the chunks of code it shares with others, from
/// the split manifest), raw, gzip -9 and brotli q11; fails when the initial
/// download, brotli, exceeds the budget in [`BUDGET_FILE`].
pub fn report_sizes(root: &Path) -> Result<()> {
    let site = site_root(root);
    let pkg = build_dir(&site.join("pkg"))?;
    let names = file_names(&pkg)?;
    let loader = names
        .iter()
        .find(|n| n.starts_with("__wasm_split.") && n.ends_with(".js"))
        .ok_or("no split loader (__wasm_split.*.js) in the site")?;
    let first: Vec<PathBuf> = vec![
        site.join("index.html"),
        site.join("boot.js"),
        pkg.join("rollcall.js"),
        pkg.join(loader),
        pkg.join("rollcall.wasm"),
        pkg.join("rollcall.css"),
    ];
    let row = |name: &str, s: [u64; 3]| {
        println!(
            "  {name:<44} {:>9.1} KB {:>9.1} KB {:>9.1} KB",
            kb(s[0]),
            kb(s[1]),
            kb(s[2])
        )
    };
    println!(
        "  {:<44} {:>12} {:>12} {:>12}",
        "initial download (sign-in page)", "raw", "gzip -9", "brotli 11"
    );
    let mut total = [0u64; 3];
    for file in &first {
        let s = sizes(file)?;
        for i in 0..3 {
            total[i] += s[i];
        }
        // Files of the build folder by their name alone (it is printed below).
        let name = file
            .strip_prefix(&pkg)
            .or_else(|_| file.strip_prefix(&site))
            .unwrap_or(file)
            .to_string_lossy();
        row(&name, s);
    }
    row("total", total);
    println!(
        "  (the build folder: {})",
        pkg.strip_prefix(&site).unwrap_or(&pkg).display()
    );

    let manifest_name = names
        .iter()
        .find(|n| n.starts_with("__wasm_split_manifest") && n.ends_with(".json"))
        .ok_or("no split manifest in the site")?;
    let manifest: serde_json::Value = serde_json::from_slice(
        &fs::read(pkg.join(manifest_name)).map_err(|e| format!("{manifest_name}: {e}"))?,
    )
    .map_err(|e| format!("{manifest_name}: {e}"))?;
    let modules = manifest
        .as_object()
        .ok_or_else(|| format!("{manifest_name}: not an object"))?;
    println!(
        "  {:<44} {:>12} {:>12} {:>12}",
        "lazy modules (with the chunks each fetches)", "raw", "gzip -9", "brotli 11"
    );
    let mut rows = Vec::new();
    for (module, files) in modules {
        let mut sum = [0u64; 3];
        let files = files.as_array().map(Vec::as_slice).unwrap_or_default();
        for stem in files.iter().filter_map(|f| f.as_str()) {
            let s = sizes(&pkg.join(format!("{stem}.wasm")))?;
            for i in 0..3 {
                sum[i] += s[i];
            }
        }
        rows.push((sum, format!("{module} ({} files)", files.len())));
    }
    rows.sort_by(|a, b| b.0[2].cmp(&a.0[2]));
    for (sum, label) in &rows {
        row(label, *sum);
    }
    let budget = budget_bytes(root)?;
    println!(
        "  initial download {:.1} KB brotli of a {:.0} KB budget ({BUDGET_FILE})",
        kb(total[2]),
        kb(budget)
    );
    if total[2] > budget {
        return Err(format!(
            "the sign-in page's initial download is {:.1} KB brotli, over the {:.0} KB budget in {BUDGET_FILE}: \
             make it smaller, or raise the budget in the same commit and say why",
            kb(total[2]),
            kb(budget)
        ));
    }
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
    /// `npx playwright test --project=<engine> [files]` against `base_url`.
    pub fn run(&self, root: &Path, base_url: &str, engine: Engine, files: &[&str]) -> Result<()> {
        let mail_dir = self.mail_dir.to_string_lossy();
        let psql = self.psql.to_string_lossy();
        // `--project=NAME`: the spaced form takes the files after it as
        // more project names.
        let project = format!("--project={}", engine.project());
        let mut args = vec!["playwright", "test", project.as_str()];
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

/// A browser engine of the suite: a project in `e2e/playwright.config.ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Chromium, Engine::Firefox];

    /// The Playwright project's name, also what `--project` takes.
    pub fn project(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
        }
    }

    pub fn parse(name: &str) -> Result<Engine> {
        Engine::ALL
            .into_iter()
            .find(|e| e.project() == name)
            .ok_or_else(|| format!("unknown engine `{name}`: use chromium or firefox"))
    }
}

/// The whole suite in each of `engines`, one after the other, each against
/// its own fresh database and server: the tests change some fixtures
/// (reactivation, the NIST policy, the directory), so a second run against
/// the same ones would not start where the first did. Prints each engine's
/// time.
pub fn run_e2e_engines(
    root: &Path,
    cluster: &Running<'_>,
    ad_env: &[(&str, &str)],
    engines: &[Engine],
) -> Result<()> {
    let mut times = Vec::new();
    for &engine in engines {
        crate::step(&format!(
            "Playwright suite in {} against a fresh server and database",
            engine.project()
        ));
        let started = Instant::now();
        run_e2e(root, cluster, ad_env, engine)?;
        times.push((engine, started.elapsed()));
    }
    for (engine, took) in times {
        println!(
            "  the suite took {:.1} min in {}",
            took.as_secs_f64() / 60.0,
            engine.project()
        );
    }
    Ok(())
}

fn run_e2e(
    root: &Path,
    cluster: &Running<'_>,
    ad_env: &[(&str, &str)],
    engine: Engine,
) -> Result<()> {
    let database = format!("rollcall_e2e_{}", engine.project());
    let url = cluster.create_database(&database)?;
    let server = crate::cargo_target_dir(root).join("debug/server");
    let env = [("DATABASE_URL", url.as_str())];
    proc::run_checked(proc::command(&server, &["migrate"], &env))?;
    let password = crate::tools::generate_password()?;
    create_fixtures(&server, &env, cluster, &database, &password)?;

    let port = pg::free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let log_path = root.join(format!("target/xtask/e2e-server-{}.log", engine.project()));
    let log = fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let site_root = site_root(root);
    // The tests read invitation and reset emails from here.
    let mail_dir = root.join(format!("target/xtask/e2e-mail-{}", engine.project()));
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
        arrange_url: cluster.url(&database),
        psql: cluster.psql_path(),
        ad_env,
    };
    let outcome = wait_healthy(&addr).and_then(|()| suite.run(root, &base_url, engine, &[]));
    proc::stop_child(&mut child, Duration::from_secs(10));
    outcome.map_err(|e| format!("{e}\nserver log: {}", log_path.display()))
}

pub fn wait_healthy(addr: &str) -> Result<()> {
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

    /// The boot script's `SCREENS` (first path segment → area) must be what
    /// `app/src/pages/shell.rs` routes: a screen moved to another area would
    /// otherwise preload the wrong module.
    #[test]
    fn the_boot_script_knows_each_screens_area() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let shell = fs::read_to_string(root.join("app/src/pages/shell.rs")).unwrap();
        let boot = fs::read_to_string(root.join("public/boot.js")).unwrap();
        // `admin AccountsRoute, accounts / accounts_screen => AccountsPage,`
        let mut area_of = std::collections::HashMap::new();
        for line in shell.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [_, route, area, "/", _, "=>", _] = words.as_slice() {
                area_of.insert(route.trim_end_matches(','), area.to_string());
            }
        }
        // `<Route path=path!("/accounts/new") view={Lazy::<CreateAccountRoute>::new()} />`
        let mut expected = std::collections::BTreeMap::new();
        for line in shell.lines().filter(|l| l.contains("Lazy::<")) {
            let path = line
                .split("path!(\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let route = line
                .split("Lazy::<")
                .nth(1)
                .unwrap()
                .split('>')
                .next()
                .unwrap();
            let segment = path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap()
                .to_owned();
            let area = area_of
                .get(route)
                .unwrap_or_else(|| panic!("no area for {route}"));
            let previous = expected.insert(segment.clone(), area.clone());
            assert!(
                previous.is_none() || previous.as_ref() == Some(area),
                "/{segment} spans two areas"
            );
        }
        assert!(!expected.is_empty());
        let screens = boot
            .split("const SCREENS = {")
            .nth(1)
            .unwrap()
            .split("};")
            .next()
            .unwrap();
        let mut found = std::collections::BTreeMap::new();
        for pair in screens.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once(':').unwrap();
            found.insert(k.trim().to_owned(), v.trim().trim_matches('\'').to_owned());
        }
        assert_eq!(
            found, expected,
            "public/boot.js SCREENS against app/src/pages/shell.rs"
        );
    }

    #[test]
    fn chunk_numbers_become_ranges() {
        assert_eq!(ranges(&[9, 10, 11, 14, 16, 17]), "9-11,14,16-17");
        assert_eq!(ranges(&[3]), "3");
        assert_eq!(ranges(&[]), "");
    }

    #[test]
    fn the_digest_follows_every_input_file() {
        let root =
            std::env::temp_dir().join(format!("rollcall-site-digest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for dir in ["app/src", "frontend", "style", "public", "xtask/src"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for (file, text) in [
            ("app/src/lib.rs", "fn a() {}"),
            ("frontend/index.html", "<html>"),
            ("style/main.css", "body {}"),
            ("public/boot.js", "go()"),
            ("Cargo.toml", "[workspace]"),
            ("Cargo.lock", "# lock"),
            ("xtask/src/site.rs", "fn build() {}"),
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

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn the_budget_is_read_in_kilobytes_ignoring_comments() {
        let text = "# initial_download_brotli_kb = 1\n\ninitial_download_brotli_kb = 150 # KB\n";
        assert_eq!(parse_budget(text), Some(150 * 1024));
        assert_eq!(parse_budget("initial_download_brotli_kb = lots"), None);
        assert_eq!(parse_budget("other = 3"), None);
    }

    #[test]
    fn the_shell_points_at_the_build_folder() {
        let shell = r#"<link href="/pkg/rollcall.css"><link href="/pkg/rollcall.js"><link href="/pkg/rollcall.wasm">"#;
        assert_eq!(
            point_at_build(shell, "0123456789abcdef0123"),
            r#"<link href="/pkg/0123456789abcdef0123/rollcall.css"><link href="/pkg/0123456789abcdef0123/rollcall.js"><link href="/pkg/0123456789abcdef0123/rollcall.wasm">"#
        );
    }

    #[test]
    fn the_build_digest_follows_every_file() {
        let pkg = std::env::temp_dir().join(format!("rollcall-pkg-digest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&pkg);
        fs::create_dir_all(&pkg).unwrap();
        fs::write(pkg.join("rollcall.wasm"), "a").unwrap();
        fs::write(pkg.join("chunk_1.wasm"), "b").unwrap();
        let first = build_digest(&pkg).unwrap();
        assert_eq!(first.len(), 20);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        fs::write(pkg.join("chunk_1.wasm"), "c").unwrap();
        let second = build_digest(&pkg).unwrap();
        assert_ne!(first, second, "a lazy module changed");
        fs::create_dir(pkg.join(&second)).unwrap();
        assert_eq!(build_dir(&pkg).unwrap(), pkg.join(&second));
        let _ = fs::remove_dir_all(&pkg);
    }

    #[test]
    fn precompressed_files_decode_to_the_original() {
        let text = "Rollcall ".repeat(500).into_bytes();
        let br = brotli_bytes(&text).unwrap();
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, text);
        assert!(br.len() < text.len() / 10);
        let gz = gzip_bytes(&text).unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
        assert_eq!(back, text);
    }
}
