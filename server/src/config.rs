//! Configuration from the environment (documented in docs/operations.md).

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
    /// `ROLLCALL_TRUSTED_PROXIES`: the proxies whose `X-Forwarded-For` names
    /// the client (sign-in throttling and the audit trail use it); from
    /// anyone else the header is ignored.
    pub trusted_proxies: Vec<Cidr>,
    /// `ROLLCALL_ORIGIN_SECRET`: when set, every `/api` request must carry
    /// it in [`ORIGIN_HEADER`], which only CloudFront adds: requests that
    /// reach API Gateway's own `execute-api` address are refused.
    pub origin_secret: Option<OriginSecret>,
}

/// The header CloudFront adds to every request it sends to the API
/// (deploy/template.yaml, `OriginCustomHeaders`).
pub const ORIGIN_HEADER: &str = "x-rollcall-origin";

/// The value CloudFront proves itself with. `Debug` never shows it.
#[derive(Clone)]
pub struct OriginSecret(sha2::digest::Output<sha2::Sha256>);

impl OriginSecret {
    /// At least 32 characters (the template generates 48).
    ///
    /// # Errors
    /// A message naming the variable, never the value.
    pub fn parse(value: &str) -> Result<OriginSecret, String> {
        if value.trim().chars().count() < 32 {
            return Err("ROLLCALL_ORIGIN_SECRET must be at least 32 characters".into());
        }
        Ok(OriginSecret(Self::digest(value.trim())))
    }

    fn digest(value: &str) -> sha2::digest::Output<sha2::Sha256> {
        use sha2::Digest;
        sha2::Sha256::digest(value.as_bytes())
    }

    /// Whether `presented` is the secret, compared in constant time (over
    /// SHA-256 digests, so neither the content nor the length leaks).
    pub fn matches(&self, presented: &str) -> bool {
        let theirs = Self::digest(presented.trim());
        self.0
            .iter()
            .zip(theirs.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for OriginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OriginSecret({})", app::model::secret::REDACTED)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            heartbeat_seconds: 60,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            secret_key: None,
            trusted_proxies: Vec::new(),
            origin_secret: None,
        }
    }
}

/// An address or a block of addresses: `192.0.2.10`, `10.0.0.0/8`,
/// `2001:db8::/32` (RFC 4632 CIDR notation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// # Errors
    /// A message naming `text` when it is not an address or a block.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || format!("`{text}` is not an IP address or a block like 10.0.0.0/8");
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: std::net::IpAddr = addr.parse().map_err(|_| bad())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(bad)?,
            None => bits,
        };
        Ok(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                bits >> (width - prefix)
            }
        }
        match (self.network, ip) {
            (std::net::IpAddr::V4(n), std::net::IpAddr::V4(a)) => {
                masked(u32::from(n).into(), 32, self.prefix)
                    == masked(u32::from(a).into(), 32, self.prefix)
            }
            (std::net::IpAddr::V6(n), std::net::IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod origin_tests {
    use super::OriginSecret;

    #[test]
    fn the_origin_secret_matches_only_itself_and_never_shows() {
        let value = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        let s = OriginSecret::parse(value).unwrap();
        assert!(s.matches(value));
        assert!(!s.matches(&value[1..]));
        assert!(!s.matches(""));
        assert!(!s.matches(&format!("{value}x")));
        assert!(!format!("{s:?}").contains("abc"));
        assert!(OriginSecret::parse("short").unwrap_err().contains("32"));
    }
}

#[cfg(test)]
mod cidr_tests {
    use super::Cidr;

    #[test]
    fn blocks_and_single_addresses() {
        let block = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(block.contains("10.200.3.4".parse().unwrap()));
        assert!(!block.contains("11.0.0.1".parse().unwrap()));
        assert!(!block.contains("::1".parse().unwrap()));
        let one = Cidr::parse("192.0.2.10").unwrap();
        assert!(one.contains("192.0.2.10".parse().unwrap()));
        assert!(!one.contains("192.0.2.11".parse().unwrap()));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains("2001:db8::7".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "ten", "10.0.0.0/x", ""] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }
}

/// `Debug` leaves out what may hold a password: the database URL and the
/// SMTP URL.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub max_connections: u32,
    pub site_root: Option<PathBuf>,
    pub public_url: String,
    pub settings: Settings,
    pub mail: MailConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &app::model::secret::REDACTED)
            .field("max_connections", &self.max_connections)
            .field("site_root", &self.site_root)
            .field("public_url", &self.public_url)
            .field("settings", &self.settings)
            .field("mail", &self.mail)
            .finish()
    }
}

/// Outgoing mail (docs/operations.md, Configuration).
#[derive(Clone)]
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

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field(
                "smtp_url",
                &self.smtp_url.as_ref().map(|_| app::model::secret::REDACTED),
            )
            .field("dir", &self.dir)
            .field("from", &self.from)
            .field("poll_seconds", &self.poll_seconds)
            .finish()
    }
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
    /// The configuration from the process environment (docs/operations.md,
    /// Configuration).
    ///
    /// # Errors
    /// One line naming the variable that is missing or malformed.
    pub fn from_env(lambda: bool) -> Result<Config, String> {
        Self::from_lookup(lambda, &|name| std::env::var(name).ok())
    }

    /// The configuration from `get`, which answers a variable's value by its
    /// name: the environment, or on Lambda the secrets read at cold start
    /// before it ([`crate::secrets`]).
    ///
    /// # Errors
    /// One line naming the variable that is missing or malformed.
    pub fn from_lookup(
        lambda: bool,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let database_url = get("DATABASE_URL").ok_or_else(|| {
            "DATABASE_URL is not set: point it at the Rollcall database".to_owned()
        })?;
        let max_connections = match get("ROLLCALL_DB_MAX_CONNECTIONS") {
            Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!("ROLLCALL_DB_MAX_CONNECTIONS must be a positive number, not `{v}`")
            })?,
            // One Lambda instance serves one request at a time.
            None if lambda => crate::db::LAMBDA_MAX_CONNECTIONS,
            None => 16,
        };
        let site_root = match get("ROLLCALL_SITE_ROOT") {
            Some(p) => Some(PathBuf::from(p)),
            None if lambda => None,
            // Where `cargo xtask site` builds it, run from the checkout.
            None => Some(
                get("CARGO_TARGET_DIR")
                    .filter(|d| !d.is_empty())
                    .map_or_else(|| PathBuf::from("target"), PathBuf::from)
                    .join("site"),
            ),
        };
        // Empty is unset (a template parameter left empty).
        let public_url = get("ROLLCALL_PUBLIC_URL")
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(format!(
                "ROLLCALL_PUBLIC_URL must start with https:// (or http:// locally), not `{public_url}`"
            ));
        }
        let secure_cookies = public_url.starts_with("https://");
        let secret_key = match get("ROLLCALL_SECRET_KEY") {
            Some(v) if !v.trim().is_empty() => Some(crate::crypto::SecretKey::parse(&v)?),
            _ => None,
        };
        let trusted_proxies = match get("ROLLCALL_TRUSTED_PROXIES") {
            Some(v) => v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(Cidr::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("ROLLCALL_TRUSTED_PROXIES: {e}"))?,
            None => Vec::new(),
        };
        let origin_secret = match get("ROLLCALL_ORIGIN_SECRET") {
            Some(v) if !v.trim().is_empty() => Some(OriginSecret::parse(&v)?),
            _ => None,
        };
        let mail = MailConfig {
            smtp_url: get("ROLLCALL_SMTP_URL").filter(|s| !s.is_empty()),
            dir: get("ROLLCALL_MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".data/mail")),
            from: get("ROLLCALL_MAIL_FROM")
                .unwrap_or_else(|| "Rollcall <rollcall@localhost>".to_owned()),
            poll_seconds: match get("ROLLCALL_MAIL_POLL_SECONDS") {
                Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("ROLLCALL_MAIL_POLL_SECONDS must be a positive number, not `{v}`")
                })?,
                None => 15,
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
                trusted_proxies,
                origin_secret,
                ..Settings::default()
            },
        })
    }
}
