//! Configuration from the environment (documented in README.md).

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Cookies get `Secure` and the `__Host-` prefix (public URL is https).
    pub secure_cookies: bool,
    /// How often the open app sends a heartbeat.
    pub heartbeat_seconds: u32,
    /// `ROLLCALL_PUBLIC_URL` without a trailing slash: links in mail start here.
    pub public_url: String,
    /// `ROLLCALL_SECRET_KEY`: seals directory look-up passwords. Optional
    /// until a tenant stores one; then the server will not start without it.
    pub secret_key: Option<crate::crypto::SecretKey>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            heartbeat_seconds: 60,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            secret_key: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub max_connections: u32,
    pub site_root: Option<PathBuf>,
    pub public_url: String,
    pub settings: Settings,
    pub mail: MailConfig,
}

/// Outgoing mail (README.md, Configuration).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `ROLLCALL_SMTP_URL`; unset writes `.eml` files to `dir` instead.
    pub smtp_url: Option<String>,
    /// `ROLLCALL_MAIL_DIR`, default `.data/mail`.
    pub dir: PathBuf,
    /// `ROLLCALL_MAIL_FROM`, default `Rollcall <rollcall@localhost>`.
    pub from: String,
    /// `ROLLCALL_MAIL_POLL_SECONDS`, default 15: how often the worker looks
    /// for due mail besides being woken by a request that queued some.
    pub poll_seconds: u64,
}

impl MailConfig {
    pub fn postman(
        &self,
        pool: sqlx::PgPool,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Result<crate::mail::Postman, String> {
        Ok(crate::mail::Postman {
            pool,
            clock,
            delivery: crate::mail::Delivery::from_config(
                self.smtp_url.as_deref(),
                self.dir.clone(),
            )?,
            from: self.from.parse().map_err(|e| {
                format!(
                    "ROLLCALL_MAIL_FROM is not a mail address (`{}`): {e}",
                    self.from
                )
            })?,
        })
    }
}

pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

impl Config {
    pub fn from_env(lambda: bool) -> Result<Config, String> {
        let database_url = std::env::var("DATABASE_URL")
            .map_err(|_| "DATABASE_URL is not set: point it at the Rollcall database".to_owned())?;
        let max_connections = match std::env::var("ROLLCALL_DB_MAX_CONNECTIONS") {
            Ok(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("ROLLCALL_DB_MAX_CONNECTIONS must be a positive number, not `{v}`")
            })?,
            // One Lambda instance serves one request at a time.
            Err(_) if lambda => 2,
            Err(_) => 16,
        };
        let site_root = match std::env::var_os("ROLLCALL_SITE_ROOT") {
            Some(p) => Some(PathBuf::from(p)),
            None if lambda => None,
            None => Some(PathBuf::from("target/site")),
        };
        let public_url = std::env::var("ROLLCALL_PUBLIC_URL")
            .unwrap_or_else(|_| DEFAULT_PUBLIC_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(format!(
                "ROLLCALL_PUBLIC_URL must start with https:// (or http:// locally), not `{public_url}`"
            ));
        }
        let secure_cookies = public_url.starts_with("https://");
        let secret_key = match std::env::var("ROLLCALL_SECRET_KEY") {
            Ok(v) if !v.trim().is_empty() => Some(crate::crypto::SecretKey::parse(&v)?),
            _ => None,
        };
        let mail = MailConfig {
            smtp_url: std::env::var("ROLLCALL_SMTP_URL")
                .ok()
                .filter(|s| !s.is_empty()),
            dir: std::env::var_os("ROLLCALL_MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".data/mail")),
            from: std::env::var("ROLLCALL_MAIL_FROM")
                .unwrap_or_else(|_| "Rollcall <rollcall@localhost>".to_owned()),
            poll_seconds: match std::env::var("ROLLCALL_MAIL_POLL_SECONDS") {
                Ok(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("ROLLCALL_MAIL_POLL_SECONDS must be a positive number, not `{v}`")
                })?,
                Err(_) => 15,
            },
        };
        Ok(Config {
            mail,
            database_url,
            max_connections,
            site_root,
            public_url: public_url.clone(),
            settings: Settings {
                secure_cookies,
                public_url,
                secret_key,
                ..Settings::default()
            },
        })
    }
}
