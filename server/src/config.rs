//! Configuration from the environment (documented in README.md).

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Cookies get `Secure` and the `__Host-` prefix (public URL is https).
    pub secure_cookies: bool,
    /// How often the open app sends a heartbeat.
    pub heartbeat_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            heartbeat_seconds: 60,
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
        let public_url =
            std::env::var("ROLLCALL_PUBLIC_URL").unwrap_or_else(|_| DEFAULT_PUBLIC_URL.to_owned());
        let secure_cookies = public_url.starts_with("https://");
        Ok(Config {
            database_url,
            max_connections,
            site_root,
            public_url,
            settings: Settings {
                secure_cookies,
                ..Settings::default()
            },
        })
    }
}
