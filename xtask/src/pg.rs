//! A private PostgreSQL cluster inside the project, on a free loopback port.
//!
//! `initdb` and `postgres` refuse to run as root; when xtask runs as root (CI)
//! the cluster belongs to the `postgres` system user and commands run through
//! `runuser`. The superuser `rollcall` has a generated password kept beside the
//! data folder.

use crate::proc;
use crate::Result;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Kept between runs (`cargo xtask run`).
    Persistent,
    /// Recreated on every start; durability traded for speed (tests).
    Throwaway,
    /// Recreated on every start, with the durable settings of a real
    /// deployment so write latencies are honest (benchmarks).
    FreshDurable,
}

pub struct Cluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<&'static str>,
    password: String,
    mode: Mode,
}

pub struct Running<'a> {
    cluster: &'a Cluster,
    port: u16,
    /// False when another command started the cluster: it is left running.
    owned: bool,
}

const SUPERUSER: &str = "rollcall";

/// The role that owns the server's databases and that the server logs in
/// as: no superuser and no `BYPASSRLS`, so row-level security binds it (the
/// tables force it on their owner too). Same password as the superuser's.
pub const OWNER: &str = "rollcall_app";

/// Gives [`OWNER`] the tables, views and functions of a database the
/// superuser made (before roles were split), outside extensions.
const HAND_OVER: &str = "DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               AND pg_get_userbyid(c.relowner) <> 'rollcall_app'
               AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO rollcall_app', r.name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> 'rollcall_app'
               AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO rollcall_app', r.name);
    END LOOP;
END $$";

impl Cluster {
    pub fn open(data_dir: &Path, mode: Mode) -> Result<Cluster> {
        let bin_dir = find_bin_dir()?;
        let run_as = is_root().then_some("postgres");
        let parent = data_dir
            .parent()
            .ok_or("the data folder has no parent")?
            .to_path_buf();
        fs::create_dir_all(&parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let password_file = parent.join(format!(
            "{}.password",
            data_dir
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        if mode != Mode::Persistent && data_dir.exists() {
            stop_quietly(&bin_dir, run_as, data_dir);
            fs::remove_dir_all(data_dir)
                .map_err(|e| format!("cannot remove {}: {e}", data_dir.display()))?;
        }
        let password = if data_dir.join("PG_VERSION").exists() {
            fs::read_to_string(&password_file)
                .map_err(|e| {
                    format!(
                        "the cluster in {} exists but its password file {} cannot be read ({e}); remove the folder to start afresh",
                        data_dir.display(),
                        password_file.display()
                    )
                })?
                .trim()
                .to_owned()
        } else {
            let password = crate::tools::generate_password()?;
            initdb(&bin_dir, run_as, data_dir, &password)?;
            write_private(&password_file, &password)?;
            password
        };
        Ok(Cluster {
            data_dir: data_dir.to_path_buf(),
            bin_dir,
            run_as,
            password,
            mode,
        })
    }

    fn pg_command(&self, tool: &str) -> Command {
        pg_command(&self.bin_dir, self.run_as, tool)
    }

    /// The port of this cluster if it is already up (e.g. `cargo xtask db`
    /// in another terminal): line 4 of postmaster.pid.
    fn running_port(&self) -> Option<u16> {
        let pid_file = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let port: u16 = pid_file.lines().nth(3)?.trim().parse().ok()?;
        Command::new(self.bin_dir.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .status()
            .is_ok_and(|s| s.success())
            .then_some(port)
    }

    /// The PEM certificate of the CA that signed a throwaway cluster's
    /// server certificate (for `127.0.0.1`): what a client verifying the
    /// server (`sslmode=verify-full&sslrootcert=…`) trusts.
    pub fn test_ca(&self) -> PathBuf {
        self.tls_dir().join("ca.pem")
    }

    /// A CA that signed nothing here: a client trusting only it must fail
    /// to connect.
    pub fn unrelated_ca(&self) -> PathBuf {
        self.tls_dir().join("other-ca.pem")
    }

    fn tls_dir(&self) -> PathBuf {
        let name = self
            .data_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.data_dir.with_file_name(format!("{name}-tls"))
    }

    /// A fresh test CA (and an unrelated one) and a server certificate for
    /// IP 127.0.0.1 signed by it, written as the data folder's `server.crt`
    /// and `server.key` (Postgres' defaults), owned by the server's user.
    /// openssl's command line, which Debian has everywhere.
    fn issue_test_certificate(&self) -> Result<()> {
        let dir = self.tls_dir();
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let ext = path("server.ext");
        fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| format!("{ext}: {e}"))?;
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for (ca, cn) in [
            ("ca", "Rollcall test CA"),
            ("other-ca", "Unrelated test CA"),
        ] {
            let mut args = vec!["req", "-x509"];
            args.extend(ec);
            let (key, pem, subject) = (
                path(&format!("{ca}.key")),
                path(&format!("{ca}.pem")),
                format!("/CN={cn}"),
            );
            args.extend([
                "-keyout", &key, "-out", &pem, "-days", "30", "-subj", &subject,
            ]);
            openssl(&args)?;
        }
        let mut args = vec!["req"];
        args.extend(ec);
        let (key, csr) = (path("server.key"), path("server.csr"));
        args.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
        openssl(&args)?;
        let (ca, ca_key, crt) = (path("ca.pem"), path("ca.key"), path("server.crt"));
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "30",
            "-extfile",
            &ext,
        ])?;
        for name in ["server.crt", "server.key"] {
            let to = self.data_dir.join(name);
            fs::copy(dir.join(name), &to).map_err(|e| format!("{}: {e}", to.display()))?;
            set_private(&to)?;
            if let Some(user) = self.run_as {
                let mut chown = Command::new("chown");
                chown.arg(user).arg(&to);
                proc::run_checked(chown)?;
            }
        }
        Ok(())
    }

    pub fn start(&self) -> Result<Running<'_>> {
        if self.mode == Mode::Persistent {
            if let Some(port) = self.running_port() {
                println!("(reusing the cluster already running on port {port})");
                return Ok(Running {
                    cluster: self,
                    port,
                    owned: false,
                });
            }
        }
        stop_quietly(&self.bin_dir, self.run_as, &self.data_dir);
        let port = free_port()?;
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300"
        );
        if self.mode == Mode::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            // TLS with a certificate of the test CA ([`Cluster::test_ca`]),
            // so `sslmode=verify-full` is tested against a real server.
            self.issue_test_certificate()?;
            options.push_str(" -c ssl=on");
        }
        let log = self.data_dir.join("server.log");
        let mut cmd = self.pg_command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null());
        proc::run_checked(cmd).map_err(|e| {
            format!(
                "{e}\nPostgreSQL did not start; its log is {}",
                log.display()
            )
        })?;
        let running = Running {
            cluster: self,
            port,
            owned: true,
        };
        running.wait_ready()?;
        Ok(running)
    }
}

impl Running<'_> {
    /// [`Cluster::test_ca`] of the running cluster.
    pub fn test_ca(&self) -> PathBuf {
        self.cluster.test_ca()
    }

    /// [`Cluster::unrelated_ca`] of the running cluster.
    pub fn unrelated_ca(&self) -> PathBuf {
        self.cluster.unrelated_ca()
    }

    /// `database` as the superuser (which row-level security does not bind:
    /// for the harness's own arranging, never for the server).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.cluster.password, self.port
        )
    }

    /// The cluster's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The maintenance database: what `#[sqlx::test]` needs to create its own.
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    fn psql(&self, sql: &str) -> Result<String> {
        self.psql_in("postgres", sql)
    }

    /// Runs `sql` in `database` as the superuser; returns the unaligned output.
    /// The `psql` of this cluster's PostgreSQL.
    pub fn psql_path(&self) -> PathBuf {
        self.cluster.bin_dir.join("psql")
    }

    pub fn psql_in(&self, database: &str, sql: &str) -> Result<String> {
        let mut cmd = Command::new(self.cluster.bin_dir.join("psql"));
        cmd.args([
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &self.url(database),
            "-c",
            sql,
        ]);
        proc::output(cmd)
    }

    fn wait_ready(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut cmd = Command::new(self.cluster.bin_dir.join("pg_isready"));
            cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"]);
            if cmd.status().is_ok_and(|s| s.success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("PostgreSQL did not accept connections within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates `name` unless it exists, owned by [`OWNER`]; returns the URL
    /// the server uses, as that owner. A database created before the owner
    /// role existed (by the superuser) is handed over to it, with every
    /// table and function in it.
    pub fn create_database(&self, name: &str) -> Result<String> {
        self.psql(&format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER}') THEN
                     CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
                 END IF;
             END $$;
             ALTER ROLE {OWNER} PASSWORD '{}'",
            self.cluster.password
        ))?;
        let owner = self.psql(&format!(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'"
        ))?;
        match owner.trim() {
            "" => {
                self.psql(&format!("CREATE DATABASE \"{name}\" OWNER {OWNER}"))?;
            }
            OWNER => {}
            _ => {
                self.psql(&format!("ALTER DATABASE \"{name}\" OWNER TO {OWNER}"))?;
                self.psql_in(name, HAND_OVER)?;
            }
        }
        Ok(self.owner_url(name))
    }

    /// `name` as [`OWNER`].
    fn owner_url(&self, database: &str) -> String {
        format!(
            "postgres://{OWNER}:{}@127.0.0.1:{}/{database}",
            self.cluster.password, self.port
        )
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        stop_quietly(
            &self.cluster.bin_dir,
            self.cluster.run_as,
            &self.cluster.data_dir,
        );
    }
}

fn pg_command(bin_dir: &Path, run_as: Option<&str>, tool: &str) -> Command {
    let program = bin_dir.join(tool);
    match run_as {
        Some(user) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", user, "--"]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

fn stop_quietly(bin_dir: &Path, run_as: Option<&str>, data_dir: &Path) {
    if !data_dir.join("postmaster.pid").exists() {
        return;
    }
    let _ = pg_command(bin_dir, run_as, "pg_ctl")
        .arg("-D")
        .arg(data_dir)
        .args(["-m", "fast", "-w", "stop"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn initdb(bin_dir: &Path, run_as: Option<&str>, data_dir: &Path, password: &str) -> Result<()> {
    fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let pwfile = data_dir.with_extension("initpw");
    write_private(&pwfile, password)?;
    if let Some(user) = run_as {
        for path in [data_dir, pwfile.as_path()] {
            proc::run_checked(proc::command(
                "chown",
                &[user, &path.to_string_lossy()],
                &[],
            ))?;
        }
        ensure_traversable(data_dir, user)?;
    }
    let mut cmd = pg_command(bin_dir, run_as, "initdb");
    cmd.arg("-D")
        .arg(data_dir)
        .args([
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .stdout(Stdio::null());
    let result = proc::run_checked(cmd);
    let _ = fs::remove_file(&pwfile);
    result
}

/// The `postgres` user must reach the data folder through every parent.
fn ensure_traversable(data_dir: &Path, user: &str) -> Result<()> {
    let ok = Command::new("runuser")
        .args(["-u", user, "--", "test", "-w"])
        .arg(data_dir)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the `{user}` user cannot reach {}; run from a folder whose parents it can enter (chmod o+x)",
            data_dir.display()
        ))
    }
}

fn write_private(path: &Path, content: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut f, content.as_bytes()).map_err(|e| e.to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Finds `initdb`, installing PostgreSQL through apt when it is missing.
fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = locate_bin_dir() {
        return Ok(dir);
    }
    crate::tools::apt_install(&["postgresql"])?;
    locate_bin_dir()
        .ok_or_else(|| "PostgreSQL's initdb was not found even after installing postgresql".into())
}

fn locate_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).or_else(|| {
        let out = Command::new("pg_config").arg("--bindir").output().ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        dir.join("initdb").exists().then_some(dir)
    })
}

fn openssl(args: &[&str]) -> Result<()> {
    let mut cmd = Command::new("openssl");
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    proc::run_checked(cmd).map_err(|e| format!("openssl {}: {e}", args.first().unwrap_or(&"")))
}

/// Readable by its owner only (Postgres refuses a key others can read).
fn set_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", path.display()))
}
