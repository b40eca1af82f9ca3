//! The operator CLI: what a platform operator scripts. Every command reads
//! `DATABASE_URL`, prints one clear line on error and exits non-zero.

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::caller::Operator;
use crate::domain::Services;
use crate::error::Error;
use app::model::{ApiError, CreateAccountRequest, Role};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "server",
    version,
    about = "Rollcall: serve the app, or administer tenants"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending database migrations.
    Migrate,
    /// Serve the site and the API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
    },
    /// Manage tenants (organisations).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Outgoing mail.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// A tenant's catalogue of forms.
    Forms {
        #[command(subcommand)]
        command: FormsCommand,
    },
    /// Form permissions.
    Access {
        #[command(subcommand)]
        command: AccessCommand,
    },
    /// A tenant's Active Directory connection.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// A tenant's seat usage history as CSV (UTC): per hour or day, the most
    /// people signed in at once, the seats owned and the sign-ins refused.
    Usage {
        #[arg(long)]
        tenant: String,
        /// `hour` or `day`.
        #[arg(long, default_value = "day")]
        by: String,
        /// First day, YYYY-MM-DD (default: 29 days before --to by day,
        /// --to itself by hour).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD, included (default: today).
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every link of the tenant's SHA-256 audit chain: prints
    /// `OK <events>`, or names the first event that does not match and
    /// exits 1.
    Verify {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Connect a tenant to Active Directory and switch directory sign-in on.
    /// With --bind-name, the look-up password is read from standard input
    /// (one line) and stored sealed with ROLLCALL_SECRET_KEY.
    Set {
        #[arg(long)]
        tenant: String,
        /// ldaps://host[:port], or ldap://host[:port] (StartTLS)
        #[arg(long)]
        url: String,
        /// Where people are looked up, e.g. DC=example,DC=org
        #[arg(long)]
        base_dn: String,
        /// NetBIOS domain: a bare username binds as DOMAIN\name
        #[arg(long)]
        domain: Option<String>,
        /// UPN suffix: a bare username binds as name@suffix
        #[arg(long)]
        upn_suffix: Option<String>,
        /// PEM file of the CA(s) to trust for the directory's certificate
        #[arg(long)]
        ca_file: Option<std::path::PathBuf>,
        /// The look-up account (DOMAIN\name or a UPN)
        #[arg(long)]
        bind_name: Option<String>,
        /// Permit ldap:// without TLS: passwords cross the network readable
        /// (testing only)
        #[arg(long)]
        allow_plain: bool,
        /// Save the settings but leave directory sign-in switched off
        #[arg(long)]
        off: bool,
    },
    /// Bind with the look-up account and say what happened; exits 1 unless OK.
    Test {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FormsCommand {
    /// Print each form and its columns (retired ones are marked).
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Print whether an account may see a column of a form, and the level
    /// that decided (person, group or tenant default).
    Check {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        form: String,
        #[arg(long)]
        column: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send every message that is due now (for a scheduler), then exit;
    /// exits 1 when some could not be sent (they stay queued for a retry).
    Deliver,
    /// Queue a test message to ADDRESS and deliver it now: checks the mail
    /// settings end to end.
    Test {
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, allow_negative_numbers = true)]
        seats: i64,
    },
    /// Change how many concurrent seats a tenant owns, and how many of them
    /// only administrators may take.
    SetSeats {
        #[arg(long)]
        slug: String,
        #[arg(long, allow_negative_numbers = true)]
        seats: i64,
        /// Seats reserved for administrators: 0, or fewer than --seats
        /// (unchanged when left out).
        #[arg(long, allow_negative_numbers = true)]
        admin_reserve: Option<i64>,
    },
    /// Print a tenant's settings; exits 1 when it does not exist.
    Show {
        #[arg(long)]
        slug: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; the password is read from standard input (one
    /// line), or with --invite the owner is emailed an invitation to set one.
    ///
    /// With --type ad the account signs in with its Active Directory password:
    /// names and email are read from the tenant's directory, nothing is read
    /// from standard input.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        /// local (default) or ad
        #[arg(long = "type", default_value = "local")]
        account_type: String,
        /// Required for local accounts
        #[arg(long)]
        first: Option<String>,
        /// Required for local accounts
        #[arg(long)]
        last: Option<String>,
        /// Required for local accounts
        #[arg(long)]
        email: Option<String>,
        /// admin or user
        #[arg(long)]
        role: String,
        /// Email an invitation instead of reading a password (the running
        /// server's mail worker, or `server mail deliver`, sends it).
        #[arg(long)]
        invite: bool,
    },
}

/// A failure to print as one line.
pub struct Failure(pub String);

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure(ApiError::from(e).message)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure(e.message)
    }
}

/// `pool` if given (the Lambda function's own), else a new pool on
/// `DATABASE_URL`.
async fn connection(config: &Config, pool: Option<&sqlx::PgPool>) -> Result<sqlx::PgPool, Failure> {
    match pool {
        Some(pool) => Ok(pool.clone()),
        None => crate::db::connect(&config.database_url, 2)
            .await
            .map_err(|e| Failure(format!("cannot connect to the database: {e}"))),
    }
}

async fn services(config: &Config, pool: Option<&sqlx::PgPool>) -> Result<Services, Failure> {
    let pool = connection(config, pool).await?;
    Ok(Services::new(
        pool,
        Arc::new(SystemClock),
        config.settings.clone(),
    ))
}

fn read_password(stdin: &mut dyn BufRead) -> Result<String, Failure> {
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| Failure(format!("cannot read the password from standard input: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Failure(
            "no password on standard input: pipe one line, e.g. `printf '%s\\n' \"$PW\" | server account create ...`".into(),
        ));
    }
    Ok(password.to_owned())
}

/// Where a command reads a password and writes what it did: the terminal,
/// or the Lambda `operator` event's answer.
pub struct Io<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub out: &'a mut dyn std::io::Write,
}

/// Writes one line of a command's output (a closed output is not an error
/// of the command).
macro_rules! say {
    ($io:expr, $($arg:tt)*) => {{
        let _ = writeln!($io.out, $($arg)*);
    }};
}

/// What every command runs with: the configuration, the operator named in
/// the audit trail, standard input and output, and the pool to use (else
/// one of its own).
struct Run<'a, 'b> {
    config: &'a Config,
    op: &'a Operator,
    io: &'a mut Io<'b>,
    pool: Option<&'a sqlx::PgPool>,
}

impl Run<'_, '_> {
    async fn services(&self) -> Result<Services, Failure> {
        services(self.config, self.pool).await
    }

    async fn connection(&self) -> Result<sqlx::PgPool, Failure> {
        connection(self.config, self.pool).await
    }
}

/// Runs `command` with the terminal's standard input and output.
///
/// # Errors
/// One line saying what went wrong and what to do.
pub async fn run_admin_command(command: Command, config: &Config) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let mut stdout = std::io::stdout();
    let mut io = Io {
        stdin: &mut stdin,
        out: &mut stdout,
    };
    run_admin_command_with(command, config, &Operator::from_env(), &mut io, None).await
}

/// Runs `command` as `op`, reading and writing through `io`, on `pool` if
/// given (else on a pool of its own).
///
/// # Errors
/// As [`run_admin_command`].
pub async fn run_admin_command_with(
    command: Command,
    config: &Config,
    op: &Operator,
    io: &mut Io<'_>,
    pool: Option<&sqlx::PgPool>,
) -> Result<(), Failure> {
    let run = Run {
        config,
        op,
        io,
        pool,
    };
    match command {
        Command::Migrate => migrate_command(run.config, run.io).await,
        Command::Tenant { command } => tenant_command(command, run).await,
        Command::Account { command } => account_command(command, run).await,
        Command::Forms { command } => forms_command(command, run).await,
        Command::Access { command } => access_command(command, run).await,
        Command::Directory { command } => directory_command(command, run).await,
        Command::Usage {
            tenant,
            by,
            from,
            to,
        } => usage_command((tenant, by, from, to), run).await,
        Command::Audit { command } => audit_command(command, run).await,
        Command::Mail { command } => mail_command(command, run).await,
        Command::Serve { .. } => Err(Failure("serve is not an administrative command".into())),
    }
}

/// `server migrate`: the migrations, then seeding and re-keying what older
/// tenants lack.
async fn migrate_command(config: &Config, io: &mut Io<'_>) -> Result<(), Failure> {
    let pool = crate::db::connect(&config.database_url, 2)
        .await
        .map_err(|e| Failure(format!("cannot connect to the database: {e}")))?;
    let done = crate::setup::migrate(&pool).await.map_err(Failure)?;
    say!(io, "migrations applied");
    for slug in done.seeded_tenants {
        say!(
            io,
            "tenant {slug}: added the groups Admin, Editor and View Only and the demo forms"
        );
    }
    if done.rekeyed_rows > 0 {
        say!(
            io,
            "recomputed the case-insensitive keys of {} row{}",
            done.rekeyed_rows,
            if done.rekeyed_rows == 1 { "" } else { "s" }
        );
    }
    for conflict in &done.warnings {
        say!(io, "warning: {conflict}");
    }
    Ok(())
}

/// `server tenant …`: create, set seats, show.
async fn tenant_command(command: TenantCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    let svc = run.services().await?;
    match command {
        TenantCommand::Create { slug, name, seats } => {
            let t = svc.create_tenant(run.op, &slug, &name, seats).await?;
            say!(
                run.io,
                "created tenant {} ({}) with {} seats",
                t.slug,
                t.name,
                t.seat_limit
            );
        }
        TenantCommand::SetSeats {
            slug,
            seats,
            admin_reserve,
        } => {
            let t = svc.set_seats(run.op, &slug, seats, admin_reserve).await?;
            say!(
                run.io,
                "tenant {} now has {} seats, {} reserved for administrators",
                t.slug,
                t.seat_limit,
                t.admin_reserve
            );
        }
        TenantCommand::Show { slug } => {
            let t = svc.find_tenant(&slug).await?;
            say!(run.io,
                        "slug: {}\nname: {}\nseats: {}\nadministrator reserve: {}\nsessions per person: {}\nwhen full: {}\nidle lease: {} s\ntime zone: {}",
                        t.slug,
                        t.name,
                        t.seat_limit,
                        t.admin_reserve,
                        t.sessions_per_person,
                        t.when_full,
                        t.idle_lease_seconds,
                        t.time_zone
                    );
        }
    }
    Ok(())
}

/// `server account create …`.
async fn account_command(command: AccountCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    match command {
        AccountCommand::Create {
            tenant,
            username,
            account_type,
            first,
            last,
            email,
            role,
            invite,
        } => {
            let role = Role::parse(&role).map_err(Failure)?;
            let directory = match account_type.as_str() {
                "local" => false,
                "ad" | "directory" => true,
                other => return Err(Failure(format!("--type is local or ad, not `{other}`"))),
            };
            if !directory {
                for (flag, value) in [("--first", &first), ("--last", &last), ("--email", &email)] {
                    if value.is_none() {
                        return Err(Failure(format!("{flag} is required for a local account")));
                    }
                }
            }
            let password = if invite || directory {
                String::new()
            } else {
                read_password(run.io.stdin)?
            };
            let account_type = if directory {
                app::model::AccountType::Directory
            } else {
                app::model::AccountType::Local
            };
            let request = CreateAccountRequest {
                username,
                account_type: account_type.as_str().to_owned(),
                form: app::model::AccountForm {
                    first_name: first.unwrap_or_default(),
                    last_name: last.unwrap_or_default(),
                    email: email.unwrap_or_default(),
                    role: role.as_str().to_owned(),
                    ..app::model::AccountForm::default()
                },
                new_password: app::model::NewPassword::new(password.clone(), password),
                invite,
            };
            let svc = run.services().await?;
            let a = svc
                .operator_create_account(run.op, &tenant, &request)
                .await?;
            if directory {
                say!(
                    run.io,
                    "created {} directory account {} ({} {}, {}) in tenant {}",
                    a.role,
                    a.username,
                    a.first_name,
                    a.last_name,
                    a.email,
                    tenant
                );
            } else {
                say!(
                    run.io,
                    "created {} account {} in tenant {}",
                    a.role,
                    a.username,
                    tenant
                );
            }
            if invite {
                say!(run.io,
                    "invitation queued for {}: the server's mail worker (or `server mail deliver`) sends it",
                    a.email
                );
            }
        }
    }
    Ok(())
}

/// `server forms list`.
async fn forms_command(command: FormsCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    match command {
        FormsCommand::List { tenant } => {
            let svc = run.services().await?;
            for form in svc.operator_catalogue(&tenant).await? {
                let columns: Vec<String> = form
                    .columns
                    .iter()
                    .map(|c| {
                        if c.retired {
                            format!("{} (retired)", c.name)
                        } else {
                            c.name.clone()
                        }
                    })
                    .collect();
                let retired = if form.retired { " (retired)" } else { "" };
                say!(run.io, "{}{retired}: {}", form.name, columns.join(", "));
            }
        }
    }
    Ok(())
}

/// `server access check`.
async fn access_command(command: AccessCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    match command {
        AccessCommand::Check {
            tenant,
            username,
            form,
            column,
        } => {
            let svc = run.services().await?;
            let t = svc.find_tenant(&tenant).await?;
            let answer = svc
                .check_access(
                    &crate::domain::api_tokens::AccessCaller { tenant_id: t.id },
                    &app::model::permissions::AccessQuestion {
                        username,
                        form,
                        column,
                    },
                )
                .await?;
            say!(
                run.io,
                "{} may {}see {} / {}: {}",
                answer.username,
                if answer.decision.allowed { "" } else { "not " },
                answer.form,
                answer.column,
                answer.explanation
            );
        }
    }
    Ok(())
}

/// `server directory set` and `server directory test`.
async fn directory_command(command: DirectoryCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    match command {
        DirectoryCommand::Set {
            tenant,
            url,
            base_dn,
            domain,
            upn_suffix,
            ca_file,
            bind_name,
            allow_plain,
            off,
        } => {
            let ca_pem = match ca_file {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?,
                None => String::new(),
            };
            let bind_password = match &bind_name {
                Some(_) => read_password(run.io.stdin)?.into(),
                None => app::model::Secret::default(),
            };
            let request = app::model::directory::SaveDirectoryRequest {
                enabled: !off,
                url,
                allow_plain,
                ca_pem,
                domain: domain.unwrap_or_default(),
                upn_suffix: upn_suffix.unwrap_or_default(),
                base_dn,
                bind_name: bind_name.unwrap_or_default(),
                bind_password,
                version: None,
            };
            let svc = run.services().await?;
            let saved = svc
                .operator_set_directory(run.op, &tenant, &request)
                .await?;
            say!(
                run.io,
                "directory of tenant {tenant}: {} (sign-in {}){}",
                saved.url,
                if saved.enabled { "on" } else { "off" },
                if saved.bind_password_set {
                    format!(", look-up account {}", saved.bind_name)
                } else {
                    String::new()
                }
            );
        }
        DirectoryCommand::Test { tenant } => {
            let svc = run.services().await?;
            let result = svc.operator_test_directory(&tenant).await?;
            if result.outcome != app::model::directory::DirectoryCheck::Ok {
                return Err(Failure(format!(
                    "{}: {}",
                    result.outcome.as_str(),
                    result.message
                )));
            }
            say!(run.io, "{}", result.message);
        }
    }
    Ok(())
}

/// `server usage`: the seat-usage history as CSV.
async fn usage_command(
    (tenant, by, from, to): (String, String, Option<String>, Option<String>),
    run: Run<'_, '_>,
) -> Result<(), Failure> {
    let bucket = app::model::usage::UsageBucket::parse(&by)
        .ok_or_else(|| Failure(format!("--by must be `hour` or `day`, not `{by}`")))?;
    let svc = run.services().await?;
    let (rows, zone) = svc
        .operator_usage(&tenant, bucket, from.as_deref(), to.as_deref())
        .await?;
    let _ = write!(
        run.io.out,
        "{}",
        app::model::usage::usage_csv(bucket, &rows, &|t| zone.rfc3339(t))
    );
    Ok(())
}

/// `server audit verify`: the audit trail's hash chain.
async fn audit_command(command: AuditCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    match command {
        AuditCommand::Verify { tenant } => {
            let svc = run.services().await?;
            match svc.verify_audit_chain(&tenant).await? {
                Ok(rows) => say!(run.io, "OK {rows}"),
                Err(broken) => {
                    return Err(Failure(format!(
                        "the audit chain of tenant {tenant} is broken: {}",
                        broken.0
                    )))
                }
            }
        }
    }
    Ok(())
}

/// `server mail test` and `server mail deliver`.
async fn mail_command(command: MailCommand, run: Run<'_, '_>) -> Result<(), Failure> {
    let pool = run.connection().await?;
    let clock: Arc<dyn crate::clock::Clock> = Arc::new(SystemClock);
    let postman = run
        .config
        .mail
        .postman(pool.clone(), clock.clone())
        .map_err(Failure)?;
    if let MailCommand::Test { to } = &command {
        if to.parse::<lettre::message::Mailbox>().is_err() {
            return Err(Failure(format!("`{to}` is not a mail address")));
        }
        // A test message belongs to no tenant: an operator's write.
        let mut tx = crate::db::begin(&pool, crate::db::Scope::EveryTenant)
            .await
            .map_err(|e| Failure(format!("database: {e}")))?;
        crate::mail::enqueue(
            &mut tx,
            crate::mail::Mail {
                tenant_id: None,
                kind: "test",
                to,
                subject: "Rollcall test message",
                text: "This is a test message from Rollcall: outgoing mail works.",
                html: "<p>This is a test message from Rollcall: outgoing mail works.</p>",
                secret: None,
            },
            clock.now(),
        )
        .await
        .map_err(|e| Failure(e.to_string()))?;
        tx.commit()
            .await
            .map_err(|e| Failure(format!("database: {e}")))?;
    }
    if matches!(command, MailCommand::Deliver) {
        // As a scheduler runs it: yesterday's seat alerts go out too.
        let queued = services(run.config, Some(&pool))
            .await?
            .queue_seat_alerts()
            .await
            .map_err(|e| Failure(e.to_string()))?;
        if queued > 0 {
            say!(run.io, "queued {queued} seat alert(s)");
        }
    }
    let round = postman
        .deliver_due(10_000)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    say!(
        run.io,
        "sent {}, not sent {} (via {})",
        round.sent,
        round.failed,
        postman.delivery.describe()
    );
    if round.failed > 0 {
        return Err(Failure(format!(
            "{} message(s) could not be sent; they stay queued and are retried",
            round.failed
        )));
    }
    Ok(())
}
