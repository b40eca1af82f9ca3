//! A private Samba Active Directory domain controller on a loopback address,
//! for the tests and for `cargo xtask run --ad`. Every step, timing and
//! pitfall behind this file is in `../shared/ACTIVE-DIRECTORY.md`.
//!
//! The domain is provisioned once into `target/ad-dc/pristine` (about 5 s,
//! redone when the Samba version or the seeded people change); each start
//! copies it, so lockouts and bad-password counts never leak between runs.

use crate::{proc, tools, Result};
use base64::Engine;
use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const REALM: &str = "rc.test";
pub const DOMAIN: &str = "RC";
pub const BASE_DN: &str = "DC=rc,DC=test";
/// The look-up account a tenant's directory settings name.
pub const LOOKUP: (&str, &str) = ("lookup", "LookupPass1");
/// The address of the DC every test uses; the second one is stopped by a
/// test to see an outage.
pub const MAIN_IP: &str = "127.77.0.1";
pub const DOOMED_IP: &str = "127.77.0.2";
/// `cargo xtask run --ad`, so it can run beside the tests.
pub const RUN_IP: &str = "127.77.0.3";

const PACKAGES: &[&str] = &[
    "samba",
    "samba-dsdb-modules",
    "samba-vfs-modules",
    "samba-ad-provision",
    "ldb-tools",
    "ldap-utils",
];

/// What a seeded person's directory entry says about them.
#[derive(Clone, Copy)]
enum State {
    Normal,
    /// `userAccountControl` ACCOUNTDISABLE: binds answer `data 533`.
    Disabled,
    /// `pwdLastSet` 0: `data 773`.
    MustChange,
    /// `accountExpires` in the past: `data 701`.
    AccountExpired,
    /// `pwdLastSet` past the 42-day maximum age: `data 532`.
    PasswordExpired,
    /// A password settings object locking out after 3 bad binds: `data 775`.
    LocksOutAfter3,
}

/// sAMAccountName, given name, surname, password, state. Changing this list
/// re-provisions the pristine copy (the stamp hashes it).
const PEOPLE: &[(&str, &str, &str, &str, State)] = &[
    ("lookup", "Rollcall", "Lookup", "LookupPass1", State::Normal),
    ("alice", "Alice", "Anderson", "AlicePass1", State::Normal),
    ("hank", "Hank", "Hill", "HankPass1", State::Normal),
    ("ivy", "Ivy", "Irwin", "IvyPass1", State::Normal),
    ("frank", "Frånk", "O'Neil", "Frånk-Pass1", State::Normal),
    ("bob", "Bob", "Brown", "BobPass1", State::Disabled),
    ("carol", "Carol", "Clark", "CarolPass1", State::MustChange),
    ("dave", "Dave", "Davis", "DavePass1", State::LocksOutAfter3),
    ("erin", "Erin", "Evans", "ErinPass1", State::AccountExpired),
    ("gina", "Gina", "Green", "GinaPass1", State::PasswordExpired),
];

const SEED_VERSION: &str = "seed-2";

pub fn ensure_samba() -> Result<()> {
    let have = Path::new("/usr/sbin/samba").exists()
        && proc::succeeds("samba-tool", &["--version"])
        && proc::succeeds("ldbmodify", &["--version"])
        && proc::succeeds("ldapsearch", &["-VV"]);
    if have {
        return Ok(());
    }
    // The packages' scripts would start smbd and nmbd with the system's
    // smb.conf; a policy-rc.d that says "no" keeps them stopped (Debian's
    // invoke-rc.d honours it). Containers usually have one already.
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let ours = !policy.exists()
        && fs::write(
            policy,
            "#!/bin/sh\n# cargo xtask: no daemons while installing\nexit 101\n",
        )
        .is_ok();
    if ours {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(policy, fs::Permissions::from_mode(0o755));
    }
    let installed = tools::apt_install(PACKAGES);
    if ours {
        let _ = fs::remove_file(policy);
    }
    installed
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An LDIF line, base64-encoded when the value is not plain ASCII.
fn ldif_attr(name: &str, value: &str) -> String {
    if value.is_ascii() && !value.starts_with([' ', ':', '<']) {
        format!("{name}: {value}\n")
    } else {
        format!("{name}:: {}\n", b64(value.as_bytes()))
    }
}

/// Windows file time (100 ns since 1601) of `now - days`. The harness is
/// not product code: the wall clock is what Samba compares against.
#[allow(clippy::disallowed_methods)]
fn nt_time_days_ago(days: u64) -> Result<u64> {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    Ok((unix - days * 86_400 + 11_644_473_600) * 10_000_000)
}

fn people_ldif() -> String {
    let mut out = String::new();
    for (sam, given, sn, password, state) in PEOPLE {
        let quoted: Vec<u8> = format!("\"{password}\"")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        // 512 NORMAL_ACCOUNT, +2 ACCOUNTDISABLE, +65536 DONT_EXPIRE_PASSWD
        // (so a cached pristine copy never ages out).
        let uac = match state {
            State::Disabled => 66_050,
            State::MustChange | State::PasswordExpired => 512,
            _ => 66_048,
        };
        out += &ldif_attr("dn", &format!("CN={given} {sn},CN=Users,{BASE_DN}"));
        out += "objectClass: user\n";
        out += &ldif_attr("sAMAccountName", sam);
        out += &ldif_attr("userPrincipalName", &format!("{sam}@{REALM}"));
        out += &ldif_attr("givenName", given);
        out += &ldif_attr("sn", sn);
        out += &ldif_attr("mail", &format!("{sam}@{REALM}"));
        out += &format!("unicodePwd:: {}\n", b64(&quoted));
        out += &format!("userAccountControl: {uac}\n");
        match state {
            State::MustChange => out += "pwdLastSet: 0\n",
            // 2012-12-16: long past.
            State::AccountExpired => out += "accountExpires: 130000000000000000\n",
            _ => {}
        }
        out += "\n";
    }
    out
}

fn stamp_text() -> Result<String> {
    use sha2::Digest;
    let samba = proc::output(proc::command("samba", &["--version"], &[]))?;
    let digest = sha2::Sha256::digest(people_ldif().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{} {SEED_VERSION} {hex}\n", samba.trim()))
}

fn samba_tool(conf: &Path, args: &[&str]) -> Result<()> {
    let conf = conf.to_string_lossy();
    let mut full = args.to_vec();
    full.extend_from_slice(&["-s", &conf]);
    let mut cmd = proc::command("samba-tool", &full, &[]);
    cmd.stdout(Stdio::null());
    proc::run_checked(cmd)
}

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let mut cmd = proc::command("openssl", args, &[]);
    cmd.current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    proc::run_checked(cmd)
}

/// A CA, a server certificate with the SANs rustls needs (it ignores the
/// CN), and a second CA that signed nothing (for "not trusted").
fn make_tls(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (ca, cn) in [("ca", "Rollcall test CA"), ("other-ca", "Some other CA")] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
                "-days",
                "3650",
                "-subj",
                &format!("/CN={cn}"),
            ],
        )?;
    }
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "req.csr",
            "-subj",
            "/CN=dc1.rc.test",
        ],
    )?;
    let ext = format!(
        "subjectAltName=DNS:dc1.{REALM},DNS:localhost,IP:127.0.0.1,IP:{MAIN_IP},IP:{DOOMED_IP},IP:{RUN_IP}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    );
    fs::write(dir.join("ext.cnf"), ext).map_err(|e| e.to_string())?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "req.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "3650",
            "-extfile",
            "ext.cnf",
        ],
    )?;
    // Samba refuses a key file others can read.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.join("key.pem"), fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())
}

/// Provisions the domain and seeds [`PEOPLE`] unless the stamp says the
/// pristine copy is current.
fn ensure_pristine(root: &Path) -> Result<PathBuf> {
    let base = root.join("target/ad-dc");
    let pristine = base.join("pristine");
    let stamp = stamp_text()?;
    if fs::read_to_string(pristine.join("stamp")).ok().as_deref() == Some(stamp.as_str()) {
        return Ok(pristine);
    }
    let started = Instant::now();
    println!("provisioning a private Active Directory domain ({REALM}) for the tests");
    let tmp = base.join("pristine.tmp");
    let _ = fs::remove_dir_all(&tmp);
    let _ = fs::remove_dir_all(&pristine);
    fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    // An empty config: otherwise samba-tool copies /etc/samba/smb.conf in.
    let empty = base.join("empty.conf");
    fs::write(&empty, "").map_err(|e| e.to_string())?;
    let mut provision = proc::command(
        "samba-tool",
        &[
            "domain",
            "provision",
            "-q",
            "-s",
            &empty.to_string_lossy(),
            &format!("--targetdir={}", tmp.display()),
            &format!("--realm={}", REALM.to_uppercase()),
            &format!("--domain={DOMAIN}"),
            "--server-role=dc",
            "--dns-backend=NONE",
            "--host-name=dc1",
            "--adminpass=AdminPassw0rd!",
            &format!("--option=interfaces={MAIN_IP}/8"),
            "--option=bind interfaces only=yes",
        ],
        &[],
    );
    provision.stdout(Stdio::null()).stderr(Stdio::null());
    proc::run_checked(provision)?;
    let conf = tmp.join("etc/smb.conf");
    samba_tool(
        &conf,
        &[
            "domain",
            "passwordsettings",
            "set",
            "--complexity=off",
            "--min-pwd-length=1",
            "--history-length=0",
            "--min-pwd-age=0",
        ],
    )?;
    let ldif = tmp.join("people.ldif");
    fs::write(&ldif, people_ldif()).map_err(|e| e.to_string())?;
    let mut add = proc::command(
        "ldbadd",
        &[
            "-H",
            &tmp.join("private/sam.ldb").to_string_lossy(),
            &ldif.to_string_lossy(),
        ],
        &[],
    );
    add.stdout(Stdio::null());
    proc::run_checked(add)?;
    for (sam, given, sn, _, state) in PEOPLE {
        match state {
            State::LocksOutAfter3 => {
                samba_tool(
                    &conf,
                    &[
                        "domain",
                        "passwordsettings",
                        "pso",
                        "create",
                        "lockout3",
                        "10",
                        "--account-lockout-threshold=3",
                        "--account-lockout-duration=5",
                        "--reset-account-lockout-after=5",
                    ],
                )?;
                samba_tool(
                    &conf,
                    &[
                        "domain",
                        "passwordsettings",
                        "pso",
                        "apply",
                        "lockout3",
                        sam,
                    ],
                )?;
            }
            State::PasswordExpired => {
                // Only the raw partition file accepts a pwdLastSet other than
                // 0 or -1 (no DSDB modules are loaded for a tdb:// URL).
                let partition =
                    tmp.join(format!("private/sam.ldb.d/{}.ldb", BASE_DN.to_uppercase()));
                let change = format!(
                    "dn: CN={given} {sn},CN=Users,{BASE_DN}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: {}\n",
                    nt_time_days_ago(100)?
                );
                let mut modify = proc::command(
                    "ldbmodify",
                    &["-H", &format!("tdb://{}", partition.display())],
                    &[],
                );
                modify.stdout(Stdio::null());
                proc::run_with_stdin(&mut modify, &change)?;
            }
            _ => {}
        }
    }
    make_tls(&tmp.join("tls"))?;
    fs::write(tmp.join("stamp"), &stamp).map_err(|e| e.to_string())?;
    fs::rename(&tmp, &pristine).map_err(|e| e.to_string())?;
    println!("  provisioned in {:.1} s", started.elapsed().as_secs_f64());
    Ok(pristine)
}

fn smb_conf(dir: &Path, ip: &str) -> String {
    let d = dir.display();
    format!(
        "[global]
\tnetbios name = DC1
\tworkgroup = {DOMAIN}
\trealm = {realm}
\tserver role = active directory domain controller
\tserver services = ldap
\tinterfaces = {ip}/8
\tbind interfaces only = yes
\tprivate dir = {d}/private
\tlock directory = {d}
\tstate directory = {d}/state
\tcache directory = {d}/cache
\tbinddns dir = {d}/bind-dns
\tpid directory = {d}/run
\tncalrpc dir = {d}/run/ncalrpc
\twinbindd socket directory = {d}/run/winbindd
\tntp signd socket directory = {d}/run/ntp_signd
\tlog file = {d}/log/samba.log
\ttls enabled = yes
\ttls certfile = {d}/tls/cert.pem
\ttls keyfile = {d}/tls/key.pem
\ttls cafile = {d}/tls/ca.pem
\tldap server require strong auth = no
",
        realm = REALM.to_uppercase()
    )
}

/// A running domain controller; dropping it stops samba.
pub struct Dc {
    child: Child,
    /// Samba (`-i`) exits when this pipe closes, so a killed xtask does not
    /// leave it running.
    _stdin: Option<ChildStdin>,
    dir: PathBuf,
    pub ip: &'static str,
}

fn pid_alive(pid: &str) -> bool {
    Path::new("/proc").join(pid.trim()).exists()
}

fn kill(signal: &str, target: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops a samba left behind by an earlier run that was killed outright.
fn stop_leftover(dir: &Path) {
    let Ok(pid) = fs::read_to_string(dir.join("run/samba.pid")) else {
        return;
    };
    let pid = pid.trim().to_owned();
    // Only a samba: the pid may have been reused since.
    let cmdline = fs::read(Path::new("/proc").join(&pid).join("cmdline")).unwrap_or_default();
    if !pid_alive(&pid) || !String::from_utf8_lossy(&cmdline).contains("samba") {
        return;
    }
    kill("-TERM", &pid);
    let deadline = Instant::now() + Duration::from_secs(5);
    while pid_alive(&pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if pid_alive(&pid) {
        kill("-KILL", &format!("-{pid}"));
    }
}

impl Dc {
    /// Starts a fresh copy of the pristine domain named `name`, listening on
    /// `ip` (389/636), and waits for a real bind over LDAPS.
    pub fn start(root: &Path, name: &str, ip: &'static str, max_runtime: Duration) -> Result<Dc> {
        ensure_samba()?;
        let pristine = ensure_pristine(root)?;
        let dir = root.join("target/ad-dc").join(name);
        stop_leftover(&dir);
        let _ = fs::remove_dir_all(&dir);
        proc::run_checked(proc::command(
            "cp",
            &["-a", &pristine.to_string_lossy(), &dir.to_string_lossy()],
            &[],
        ))?;
        for sub in ["run", "log", "cache"] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
        }
        let conf = dir.join("etc/smb.conf");
        fs::write(&conf, smb_conf(&dir, ip)).map_err(|e| e.to_string())?;
        for port in [389, 636] {
            if std::net::TcpListener::bind((ip, port)).is_err() {
                return Err(format!(
                    "{ip}:{port} is taken or cannot be bound (binding LDAP ports needs root): stop what listens there"
                ));
            }
        }
        let log = fs::File::create(dir.join("log/stdout.log")).map_err(|e| e.to_string())?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = proc::command(
            "samba",
            &[
                "-s",
                &conf.to_string_lossy(),
                "-i",
                "-M",
                "single",
                &format!("--maximum-runtime={}", max_runtime.as_secs()),
            ],
            &[],
        );
        cmd.stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start samba: {e}"))?;
        let stdin = child.stdin.take();
        let mut dc = Dc {
            child,
            _stdin: stdin,
            dir,
            ip,
        };
        dc.wait_ready(started)?;
        println!(
            "Active Directory DC `{name}` at ldaps://{ip} ready in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(dc)
    }

    fn wait_ready(&mut self, started: Instant) -> Result<()> {
        let deadline = started + Duration::from_secs(30);
        let ca = self.ca();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "samba exited ({status}) before answering; its log:\n{}",
                    self.log_tail()
                ));
            }
            let out = Command::new("ldapsearch")
                .args([
                    "-x",
                    "-H",
                    &format!("ldaps://{}", self.ip),
                    "-D",
                    &format!("{}@{REALM}", LOOKUP.0),
                    "-w",
                    LOOKUP.1,
                    "-b",
                    "",
                    "-s",
                    "base",
                    "defaultNamingContext",
                ])
                .env("LDAPTLS_CACERT", &ca)
                .stderr(Stdio::null())
                .output();
            if out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(BASE_DN)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "samba did not answer a bind at ldaps://{} within 30 s; its log:\n{}",
                    self.ip,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("log/stdout.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.pem")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The variables tests read (`AD_*`), for the DC at `MAIN_IP`.
    pub fn env(&self) -> Vec<(String, String)> {
        let s = |v: &str| v.to_owned();
        vec![
            (s("AD_URL"), format!("ldaps://{}", self.ip)),
            (s("AD_STARTTLS_URL"), format!("ldap://{}", self.ip)),
            (s("AD_CA"), self.ca().to_string_lossy().into_owned()),
            (
                s("AD_OTHER_CA"),
                self.dir
                    .join("tls/other-ca.pem")
                    .to_string_lossy()
                    .into_owned(),
            ),
            (s("AD_REALM"), s(REALM)),
            (s("AD_DOMAIN"), s(DOMAIN)),
            (s("AD_BASE"), s(BASE_DN)),
            (s("AD_LOOKUP"), format!("{}@{REALM}", LOOKUP.0)),
            (s("AD_LOOKUP_PASSWORD"), s(LOOKUP.1)),
        ]
    }
}

impl Drop for Dc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        kill("-TERM", &self.child.id().to_string());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill("-KILL", &format!("-{}", self.child.id()));
        let _ = self.child.wait();
        let _ = std::io::stdout().flush();
    }
}
