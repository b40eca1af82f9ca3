use clap::Parser;
use server::cli::{self, Cli, Command};
use server::clock::SystemClock;
use server::config::Config;
use server::domain::Services;
use server::http::{self, lambda};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

fn init_logging(lambda: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if lambda {
        // CloudWatch reads JSON lines; no ANSI colours or timestamps (it adds its own).
        builder.json().without_time().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let on_lambda = lambda::is_lambda();
    init_logging(on_lambda);
    if on_lambda {
        return match serve_lambda().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                // CloudWatch keeps stderr; the runtime reports the exit.
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let command = Cli::parse().command;
    let config = match Config::from_env(false) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        None => serve(config, "127.0.0.1:3000".parse().ok()).await,
        Some(Command::Serve { addr }) => serve(config, Some(addr)).await,
        Some(other) => cli::run_admin_command(other, &config)
            .await
            .map_err(|f| f.0),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn services(config: &Config) -> Result<Services, String> {
    let pool = server::db::connect(&config.database_url, config.max_connections)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    server::setup::check_before_serving(&pool, &config.settings).await?;
    server::crypto::prepare()
        .await
        .map_err(|e| format!("cannot prepare password hashing: {e}"))?;
    Ok(Services::new(
        pool,
        Arc::new(SystemClock),
        config.settings.clone(),
    ))
}

async fn serve(config: Config, addr: Option<SocketAddr>) -> Result<(), String> {
    let addr = addr.ok_or("no address to listen on")?;
    let services = services(&config).await?;
    if let Some(root) = &config.site_root {
        if !root.join("index.html").exists() {
            tracing::warn!(site_root = %root.display(), "no index.html in the site root: build the site first (cargo xtask run does)");
        }
    }
    let postman = config
        .mail
        .postman(services.pool.clone(), services.clock.clone())?;
    tracing::info!(delivery = %postman.delivery.describe(), "mail worker started");
    tokio::spawn(server::mail::run_worker(
        Arc::new(postman),
        std::time::Duration::from_secs(config.mail.poll_seconds),
        services.mail_signal.clone(),
    ));
    tokio::spawn(server::domain::seat_alerts::run(
        services.clone(),
        server::domain::seat_alerts::EVERY,
    ));
    let app = http::router(services, config.site_root.clone());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, public_url = %config.public_url, "Rollcall is serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server error: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Lambda mode: the secrets first (Secrets Manager, named by the
/// environment), then the configuration they complete; the pool connects at
/// the first query ([`server::db::connect_lambda`]).
async fn serve_lambda() -> Result<(), String> {
    let env = |name: &str| std::env::var(name).ok();
    let secrets = server::secrets::LambdaSecrets::load(&env).await?;
    let config = Config::from_lookup(true, &|name| secrets.get(name).or_else(|| env(name)))?;
    if config.settings.origin_secret.is_none() {
        tracing::warn!(
            "no ROLLCALL_ORIGIN_SECRET_ARN: API requests are not checked for CloudFront's x-rollcall-origin header"
        );
    }
    let pool = server::db::connect_lambda(&config.database_url)
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    server::crypto::prepare()
        .await
        .map_err(|e| format!("cannot prepare password hashing: {e}"))?;
    let services = Services::new(pool, Arc::new(SystemClock), config.settings.clone());
    let postman = config
        .mail
        .postman(services.pool.clone(), services.clock.clone())?;
    let migration = match (secrets.admin_arn, secrets.app) {
        (Some((arn, at)), Some(app)) => {
            lambda::Migration::Provision(Box::new(lambda::Provisioning {
                admin: lambda::AdminLogin::Secret { arn, at },
                app,
                app_arn: env("ROLLCALL_DATABASE_SECRET_ARN"),
            }))
        }
        _ => lambda::Migration::Url(config.database_url.clone()),
    };
    let admin_events = env("ROLLCALL_ADMIN_EVENTS").is_some_and(|v| v == "on");
    let public_url_set = env("ROLLCALL_PUBLIC_URL").is_some_and(|v| !v.trim().is_empty());
    let handler = lambda::Handler::new(
        services.clone(),
        http::router(services, config.site_root.clone()),
        Arc::new(postman),
        migration,
    )
    .with_public_url(public_url_set);
    let handler = if admin_events {
        handler.with_admin_events(Some(config))
    } else {
        handler
    };
    lambda::run(handler)
        .await
        .map_err(|e| format!("lambda runtime: {e}"))
}
