//! Running the same router on AWS Lambda. One function receives two kinds
//! of events:
//! - API Gateway HTTP API (payload 2.0), REST API and ALB requests, answered
//!   by the router. When the request queued mail, the mail is delivered
//!   before the invocation returns (Lambda freezes the process afterwards);
//! - an EventBridge schedule (`"source": "aws.events"`), which delivers due
//!   mail: retries, and anything the request-time attempt did not finish;
//!
//! and, only where `ROLLCALL_ADMIN_EVENTS=on` (the template's AdminFunction,
//! which nothing public invokes, and which alone may read the master user's
//! secret):
//! - `{"rollcall": "migrate"}`, sent once per deployment (`docs/deploy-aws.md`): makes the application's role and database as the master user if
//!   a secret names one, then applies the migrations;
//! - `{"rollcall": "operator", "args": ["tenant", "create", …], "stdin":
//!   "…", "operator": "name"}`: one operator CLI command (`docs/operations.md`, Operator
//!   CLI), for a database only functions can reach; answers what the
//!   command printed.
//!
//! Nothing touches the database at cold start: the checks before serving run
//! at the first request or schedule, so that the first `migrate` event can
//! make the role they log in as.

use crate::mail::{MailSignal, Postman};
use crate::secrets::{DbAddress, DbLogin};
use axum::Router;
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::Adapter;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::{Service, ServiceExt};

/// True when the process was started by the Lambda runtime.
pub fn is_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// At most this many messages, and this long, after a request that queued
/// mail; the schedule sends whatever is left.
const AFTER_REQUEST_LIMIT: u32 = 20;
const AFTER_REQUEST_BUDGET: Duration = Duration::from_secs(10);
/// How long an answer waits for dropped transactions to end.
const SETTLE_LIMIT: Duration = Duration::from_secs(5);
/// A scheduled run sends at most this many messages.
const SCHEDULED_LIMIT: u32 = 500;

/// What one invocation answers.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Output {
    /// The API Gateway / ALB response document.
    Http(Value),
    Mail {
        sent: u32,
        failed: u32,
    },
    Migrated {
        /// Present when the secrets named a master user.
        provisioned: Option<crate::setup::Provisioned>,
        migrated: crate::setup::Migrated,
    },
    /// What an operator command printed.
    Operator {
        output: String,
    },
}

/// The master user's login for [`Migration::Provision`].
pub enum AdminLogin {
    /// In this Secrets Manager secret, read at each `migrate` (RDS rotates
    /// it), for the database at this address.
    Secret { arn: String, at: DbAddress },
    /// Given as is (tests).
    Known(DbLogin, DbAddress),
}

impl AdminLogin {
    async fn resolve(&self) -> Result<(DbLogin, DbAddress), String> {
        match self {
            AdminLogin::Secret { arn, at } => {
                Ok((crate::secrets::read_login(arn).await?, at.clone()))
            }
            AdminLogin::Known(login, at) => Ok((login.clone(), at.clone())),
        }
    }
}

/// The logins of [`Migration::Provision`].
pub struct Provisioning {
    pub admin: AdminLogin,
    /// The application role's login as read at cold start, and where its
    /// database is.
    pub app: (DbLogin, DbAddress),
    /// Its secret, read again at each `migrate`: a rotated password must
    /// reach the role even if this instance is warm.
    pub app_arn: Option<String>,
}

/// How the `migrate` event reaches the database.
pub enum Migration {
    /// As the master user: make the role and database, then migrate as that
    /// role on a direct connection to `admin.1.host` (not through RDS Proxy,
    /// whose connection the migrator's session lock would pin).
    Provision(Box<Provisioning>),
    /// With this URL (`DATABASE_URL` outside Secrets Manager).
    Url(String),
}

pub struct Handler {
    /// The scheduled event also queues the day's seat alerts with these.
    pub services: crate::domain::Services,
    pub router: Router,
    pub postman: Arc<Postman>,
    pub signal: Arc<MailSignal>,
    pub migration: Migration,
    /// Whether `migrate` and `operator` events are taken.
    admin_events: bool,
    /// The configuration operator commands run with.
    config: Option<crate::config::Config>,
    /// Whether `ROLLCALL_PUBLIC_URL` was given: without it the function
    /// answers no HTTP request (cookies and the same-origin check need it),
    /// but still migrates, delivers mail and runs operator commands.
    public_url_set: bool,
    /// Set once the checks before serving passed.
    checked: tokio::sync::OnceCell<()>,
}

/// Whether an event asks for the migrations: `{"rollcall": "migrate"}`.
pub fn is_migrate(event: &Value) -> bool {
    event.get("rollcall").and_then(Value::as_str) == Some("migrate")
}

/// Whether an event comes from an EventBridge rule (a schedule).
pub fn is_scheduled(event: &Value) -> bool {
    event.get("source").and_then(Value::as_str) == Some("aws.events")
        || event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
}

impl Handler {
    pub fn new(
        services: crate::domain::Services,
        router: Router,
        postman: Arc<Postman>,
        migration: Migration,
    ) -> Handler {
        Handler {
            signal: services.mail_signal.clone(),
            services,
            router,
            postman,
            migration,
            admin_events: false,
            config: None,
            public_url_set: true,
            checked: tokio::sync::OnceCell::new(),
        }
    }

    /// Takes `migrate` and `operator` events; the latter run with `config`.
    pub fn with_admin_events(self, config: Option<crate::config::Config>) -> Handler {
        Handler {
            admin_events: true,
            config,
            ..self
        }
    }

    /// Answers HTTP requests only if `set` (see `public_url_set`).
    pub fn with_public_url(self, set: bool) -> Handler {
        Handler {
            public_url_set: set,
            ..self
        }
    }

    fn admin_events_allowed(&self, what: &str) -> Result<(), String> {
        if self.admin_events {
            Ok(())
        } else {
            Err(format!(
                "this function does not take {what} events: send them to the administration function (ROLLCALL_ADMIN_EVENTS=on; docs/deploy-aws.md)"
            ))
        }
    }

    /// Answers one event. Before it returns, every transaction the event
    /// dropped has rolled back (Lambda freezes the process afterwards).
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Output, lambda_http::Error> {
        let answer = self.answer(event).await;
        // Bounded: a connection that hangs is left to the role's
        // idle_in_transaction_session_timeout (crate::setup::provision).
        if tokio::time::timeout(SETTLE_LIMIT, crate::db::scope::settle_dropped())
            .await
            .is_err()
        {
            tracing::warn!("a dropped transaction did not end within 5 s");
        }
        answer
    }

    async fn answer(&self, event: LambdaEvent<Value>) -> Result<Output, lambda_http::Error> {
        let LambdaEvent { payload, context } = event;
        if is_migrate(&payload) {
            self.admin_events_allowed("migrate")?;
            return Ok(self.migrate().await?);
        }
        if payload.get("rollcall").and_then(Value::as_str) == Some("operator") {
            self.admin_events_allowed("operator")?;
            return Ok(self.operator(&payload, &context.request_id).await?);
        }
        self.checked
            .get_or_try_init(|| {
                crate::setup::check_before_serving(&self.services.pool, &self.services.settings)
            })
            .await?;
        if is_scheduled(&payload) {
            // Yesterday's refused sign-ins first, so their mail goes out now.
            match self.services.queue_seat_alerts().await {
                Ok(0) => {}
                Ok(queued) => tracing::info!(queued, "seat alerts queued"),
                Err(e) => tracing::error!(error = %e, "seat alerts could not be queued"),
            }
            let round = self.postman.deliver_due(SCHEDULED_LIMIT).await?;
            tracing::info!(
                sent = round.sent,
                failed = round.failed,
                "scheduled mail delivery"
            );
            return Ok(Output::Mail {
                sent: round.sent,
                failed: round.failed,
            });
        }
        if !self.public_url_set {
            // An answer, not an invocation error: the browser shows why.
            tracing::error!(
                "ROLLCALL_PUBLIC_URL is not set: deploy again with the PublicUrl parameter"
            );
            let body = serde_json::json!({
                "code": "internal",
                "message": "Rollcall is not configured yet: its operator must set its public address (PublicUrl) and deploy again.",
            });
            return Ok(Output::Http(serde_json::json!({
                "statusCode": 503,
                "headers": { "content-type": "application/json", "cache-control": "no-store" },
                "body": body.to_string(),
                "isBase64Encoded": false,
            })));
        }
        let request: LambdaRequest = serde_json::from_value(payload)?;
        let mut adapter = Adapter::from(self.router.clone());
        let response = adapter
            .ready()
            .await?
            .call(LambdaEvent::new(request, context))
            .await?;
        if self.signal.take() {
            self.deliver_after_request().await;
        }
        Ok(Output::Http(serde_json::to_value(response)?))
    }

    async fn migrate(&self) -> Result<Output, String> {
        let (provisioned, url) = match &self.migration {
            Migration::Provision(p) => {
                let Provisioning {
                    admin,
                    app,
                    app_arn,
                } = p.as_ref();
                let admin = admin.resolve().await?;
                let (cached, at) = app;
                let fresh = match app_arn {
                    Some(arn) => Some(crate::secrets::read_login(arn).await?),
                    None => None,
                };
                let login = fresh.as_ref().unwrap_or(cached);
                let done = crate::setup::provision(&admin, login, &at.name).await?;
                let direct = DbAddress {
                    host: admin.1.host.clone(),
                    ..at.clone()
                };
                (Some(done), direct.url(login, &at.name))
            }
            Migration::Url(url) => (None, url.clone()),
        };
        // Two: the migration lock holds one (crate::setup::migrate).
        let pool = crate::db::connect(&url, 2)
            .await
            .map_err(|e| format!("cannot connect to the database to migrate it: {e}"))?;
        let migrated = crate::setup::migrate(&pool).await;
        pool.close().await;
        let migrated = migrated?;
        tracing::info!(applied = migrated.applied.len(), "migrations applied");
        Ok(Output::Migrated {
            provisioned,
            migrated,
        })
    }

    /// One operator CLI command from the event's `args`, with its `stdin`
    /// (a password, for `account create` without `--invite`), audited as
    /// the event's `operator` with the invocation's request id (CloudTrail's
    /// data events tell who invoked it).
    async fn operator(&self, event: &Value, request_id: &str) -> Result<Output, String> {
        use clap::Parser;
        let config = self
            .config
            .as_ref()
            .ok_or("this function was started without operator commands")?;
        let args: Vec<String> = event
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let cli = crate::cli::Cli::try_parse_from(std::iter::once("server".to_owned()).chain(args))
            .map_err(|e| e.render().to_string())?;
        let command = match cli.command {
            Some(crate::cli::Command::Serve { .. }) | None => return Err(
                "`serve` is what the function does already: give an operator command in \"args\""
                    .into(),
            ),
            Some(crate::cli::Command::Migrate) => {
                return Err("send {\"rollcall\": \"migrate\"} to migrate".into())
            }
            Some(command) => command,
        };
        let named = event
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or("operator");
        let op = crate::domain::caller::Operator::named(&format!(
            "{} (Lambda request {request_id})",
            named.trim()
        ));
        let stdin = event.get("stdin").and_then(Value::as_str).unwrap_or("");
        let mut input = std::io::Cursor::new(stdin.as_bytes());
        let mut output = Vec::new();
        let mut io = crate::cli::Io {
            stdin: &mut input,
            out: &mut output,
        };
        crate::cli::run_admin_command_with(
            command,
            config,
            &op,
            &mut io,
            Some(&self.services.pool),
        )
        .await
        .map_err(|f| f.0)?;
        Ok(Output::Operator {
            output: String::from_utf8_lossy(&output).into_owned(),
        })
    }

    /// Sends what the request queued; a failure or a slow server only
    /// delays the mail to the next scheduled run.
    async fn deliver_after_request(&self) {
        match tokio::time::timeout(
            AFTER_REQUEST_BUDGET,
            self.postman.deliver_due(AFTER_REQUEST_LIMIT),
        )
        .await
        {
            Ok(Ok(round)) => tracing::info!(
                sent = round.sent,
                failed = round.failed,
                "mail sent after the request"
            ),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "mail after the request: database unreachable; the schedule retries")
            }
            Err(_) => {
                tracing::warn!("mail after the request took too long; the schedule sends the rest")
            }
        }
    }
}

pub async fn run(handler: Handler) -> Result<(), lambda_http::Error> {
    let handler = Arc::new(handler);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<Value>| {
            let handler = handler.clone();
            async move { handler.handle(event).await }
        },
    ))
    .await
}
