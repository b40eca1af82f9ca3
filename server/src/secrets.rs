//! The secrets a Lambda function reads from AWS Secrets Manager at cold
//! start, so that none of them is in the template, the function's
//! configuration or a log (deploy/template.yaml creates them).
//!
//! The function's environment names the secrets, never their values:
//!
//! | variable | the secret's JSON | stands for |
//! | --- | --- | --- |
//! | `ROLLCALL_DATABASE_SECRET_ARN` | `{"username", "password"}` (the RDS shape) | `DATABASE_URL`, with `ROLLCALL_DATABASE_HOST`, `_PORT` (5432), `_NAME` (`rollcall`), `_SSLMODE` (`require`; the template sets `verify-full`) and `_SSLROOTCERT` (the CA bundle's path) |
//! | `ROLLCALL_DATABASE_ADMIN_SECRET_ARN` | `{"username", "password"}`: the RDS master user, which RDS keeps and rotates | the `migrate` event's connection, to `ROLLCALL_DATABASE_ADMIN_HOST` (default: the database host); read at each `migrate`, not at cold start |
//! | `ROLLCALL_APP_SECRET_ARN` | `{"secret_key", "smtp_url"}`, either may be empty | `ROLLCALL_SECRET_KEY`, `ROLLCALL_SMTP_URL` |
//! | `ROLLCALL_ORIGIN_SECRET_ARN` | `{"origin_header"}`: what CloudFront adds to every API request (`x-rollcall-origin`) | `ROLLCALL_ORIGIN_SECRET` |
//!
//! The SDK finds its credentials and region as everywhere on Lambda; the
//! standard `AWS_ENDPOINT_URL_SECRETS_MANAGER` points it at another endpoint
//! (the test suite's).

use app::model::Secret;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use std::collections::HashMap;

/// A database login as RDS stores it in Secrets Manager (further keys, such
/// as `engine` or `host`, are ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct DbLogin {
    pub username: String,
    pub password: Secret,
}

/// Where the database is, from the plain environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbAddress {
    pub host: String,
    pub port: u16,
    pub name: String,
    /// A libpq `sslmode`: `require` (default; encrypted), `verify-full` …
    pub sslmode: String,
    /// A libpq `sslrootcert`: the PEM file of the certificate authorities
    /// `verify-ca`/`verify-full` trust (the template ships the RDS and RDS
    /// Proxy ones beside `bootstrap`); `None`: sqlx's built-in roots.
    pub sslrootcert: Option<String>,
}

/// Everything but the unreserved characters of RFC 3986, §2.3.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl DbAddress {
    /// A `postgres://` URL for `login` (RFC 3986 userinfo, percent-encoded).
    pub fn url(&self, login: &DbLogin, database: &str) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{}?sslmode={}{}",
            utf8_percent_encode(&login.username, USERINFO),
            utf8_percent_encode(login.password.expose(), USERINFO),
            self.host,
            self.port,
            utf8_percent_encode(database, USERINFO),
            self.sslmode,
            self.sslrootcert
                .as_deref()
                .map(|path| format!("&sslrootcert={}", utf8_percent_encode(path, USERINFO)))
                .unwrap_or_default()
        )
    }
}

/// The app secret's shape.
#[derive(Deserialize)]
struct AppSecret {
    #[serde(default)]
    secret_key: String,
    #[serde(default)]
    smtp_url: String,
}

/// What the secrets gave. `Debug` names the values, never shows them.
#[derive(Default)]
pub struct LambdaSecrets {
    /// Values by the variable they stand for (`DATABASE_URL`,
    /// `ROLLCALL_SECRET_KEY`, `ROLLCALL_SMTP_URL`).
    values: HashMap<&'static str, String>,
    /// The application role's login and where its database is.
    pub app: Option<(DbLogin, DbAddress)>,
    /// The master user's secret and its host (same port), for migrations.
    pub admin_arn: Option<(String, DbAddress)>,
}

impl std::fmt::Debug for LambdaSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.values.keys().copied().collect();
        names.sort_unstable();
        f.debug_struct("LambdaSecrets")
            .field("values", &names)
            .field("app", &self.app)
            .field("admin_arn", &self.admin_arn)
            .finish()
    }
}

impl LambdaSecrets {
    /// The value standing for variable `name`, if a secret gave one.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// Reads the secrets the environment names, both at once (the master
    /// user's only when a `migrate` event needs it: [`read_login`]). Nothing
    /// is read when it names none (the plain variables then apply, as off
    /// Lambda).
    ///
    /// # Errors
    /// One line naming the secret (its ARN, never its value) or variable at
    /// fault.
    pub async fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<LambdaSecrets, String> {
        let db = env("ROLLCALL_DATABASE_SECRET_ARN");
        let app = env("ROLLCALL_APP_SECRET_ARN");
        let origin = env("ROLLCALL_ORIGIN_SECRET_ARN").filter(|a| !a.is_empty());
        let (db, app, origin) = if db.is_none() && app.is_none() && origin.is_none() {
            (None, None, None)
        } else {
            let client = client().await;
            tokio::try_join!(
                read(&client, db.as_deref()),
                read(&client, app.as_deref()),
                read(&client, origin.as_deref())
            )?
        };
        Self::from_documents(env, db, app)?.with_origin(origin)
    }

    /// Adds `ROLLCALL_ORIGIN_SECRET` from the origin secret's document
    /// `(arn, json)`, `{"origin_header": "…"}`.
    ///
    /// # Errors
    /// As [`LambdaSecrets::load`].
    pub fn with_origin(mut self, origin: Option<(String, String)>) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct OriginDocument {
            origin_header: String,
        }
        if let Some((arn, json)) = origin {
            let doc: OriginDocument = parse(&arn, &json, "{\"origin_header\"}")?;
            // Named but empty would silently let everyone past the check.
            if doc.origin_header.trim().is_empty() {
                return Err(format!("the secret {arn} has an empty origin_header"));
            }
            self.values
                .insert("ROLLCALL_ORIGIN_SECRET", doc.origin_header);
        }
        Ok(self)
    }

    /// Builds the values from the secrets' documents (`(arn, json)`) and the
    /// environment.
    ///
    /// # Errors
    /// As [`LambdaSecrets::load`].
    pub fn from_documents(
        env: &dyn Fn(&str) -> Option<String>,
        db: Option<(String, String)>,
        app: Option<(String, String)>,
    ) -> Result<LambdaSecrets, String> {
        let mut out = LambdaSecrets::default();
        let address = || -> Result<DbAddress, String> {
            let host = env("ROLLCALL_DATABASE_HOST")
                .filter(|h| !h.is_empty())
                .ok_or("ROLLCALL_DATABASE_HOST is not set: the database (or RDS Proxy) endpoint")?;
            let port = match env("ROLLCALL_DATABASE_PORT") {
                Some(p) => p.parse().map_err(|_| {
                    format!("ROLLCALL_DATABASE_PORT must be a port number, not `{p}`")
                })?,
                None => 5432,
            };
            Ok(DbAddress {
                host,
                port,
                name: env("ROLLCALL_DATABASE_NAME").unwrap_or_else(|| "rollcall".into()),
                sslmode: env("ROLLCALL_DATABASE_SSLMODE").unwrap_or_else(|| "require".into()),
                sslrootcert: env("ROLLCALL_DATABASE_SSLROOTCERT").filter(|p| !p.is_empty()),
            })
        };
        if let Some((arn, json)) = db {
            let login: DbLogin = parse(&arn, &json, "{\"username\", \"password\"}")?;
            let at = address()?;
            out.values.insert("DATABASE_URL", at.url(&login, &at.name));
            out.app = Some((login, at));
        }
        if let Some(arn) = env("ROLLCALL_DATABASE_ADMIN_SECRET_ARN").filter(|a| !a.is_empty()) {
            let mut at = address()?;
            if let Some(host) = env("ROLLCALL_DATABASE_ADMIN_HOST").filter(|h| !h.is_empty()) {
                at.host = host;
            }
            out.admin_arn = Some((arn, at));
        }
        if let Some((arn, json)) = app {
            let secret: AppSecret = parse(&arn, &json, "{\"secret_key\", \"smtp_url\"}")?;
            for (name, value) in [
                ("ROLLCALL_SECRET_KEY", secret.secret_key),
                ("ROLLCALL_SMTP_URL", secret.smtp_url),
            ] {
                if !value.trim().is_empty() {
                    out.values.insert(name, value);
                }
            }
        }
        Ok(out)
    }
}

fn parse<T: for<'de> Deserialize<'de>>(arn: &str, json: &str, shape: &str) -> Result<T, String> {
    // serde's message would quote the value: say only where it went wrong.
    serde_json::from_str(json).map_err(|e| {
        format!(
            "the secret {arn} is not the JSON object {shape} (line {}, column {})",
            e.line(),
            e.column()
        )
    })
}

async fn client() -> aws_sdk_secretsmanager::Client {
    use aws_smithy_http_client::tls;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&config)
}

/// The database login in secret `arn`, read now (RDS rotates the master
/// user's password, so a warm instance must not keep it).
///
/// # Errors
/// As [`LambdaSecrets::load`].
pub async fn read_login(arn: &str) -> Result<DbLogin, String> {
    let client = client().await;
    let (arn, json) = read(&client, Some(arn)).await?.ok_or("no secret named")?;
    parse(&arn, &json, "{\"username\", \"password\"}")
}

/// `(arn, SecretString)` of `arn`, if one is named.
async fn read(
    client: &aws_sdk_secretsmanager::Client,
    arn: Option<&str>,
) -> Result<Option<(String, String)>, String> {
    let Some(arn) = arn else {
        return Ok(None);
    };
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot read the secret {arn}: {} (does the function's role allow secretsmanager:GetSecretValue on it, and can the function reach Secrets Manager?)",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            )
        })?;
    let text = out
        .secret_string()
        .ok_or_else(|| format!("the secret {arn} holds binary data, not a JSON string"))?;
    Ok(Some((arn.to_owned(), text.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn a_database_login_becomes_an_encoded_url() {
        let env = vars(&[
            ("ROLLCALL_DATABASE_HOST", "proxy.example"),
            ("ROLLCALL_DATABASE_NAME", "rc"),
        ]);
        let db = r#"{"username":"rollcall_app","password":"p@ss/w:rd%","engine":"postgres"}"#;
        let app = r#"{"secret_key":"k","smtp_url":""}"#;
        let s = LambdaSecrets::from_documents(
            &env,
            Some(("arn:db".into(), db.into())),
            Some(("arn:app".into(), app.into())),
        )
        .unwrap();
        assert_eq!(
            s.get("DATABASE_URL").unwrap(),
            "postgres://rollcall_app:p%40ss%2Fw%3Ard%25@proxy.example:5432/rc?sslmode=require"
        );
        assert_eq!(s.get("ROLLCALL_SECRET_KEY").unwrap(), "k");
        // An empty value leaves the variable unset.
        assert_eq!(s.get("ROLLCALL_SMTP_URL"), None);
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("p@ss") && !shown.contains("p%40ss") && !shown.contains("\"k\""),
            "{shown}"
        );
        assert!(shown.contains("DATABASE_URL"), "{shown}");

        let origin = r#"{"origin_header":"from-cloudfront-only"}"#;
        let s = s
            .with_origin(Some(("arn:origin".into(), origin.into())))
            .unwrap();
        assert_eq!(
            s.get("ROLLCALL_ORIGIN_SECRET").unwrap(),
            "from-cloudfront-only"
        );
        assert!(!format!("{s:?}").contains("from-cloudfront-only"));
        let e = LambdaSecrets::default()
            .with_origin(Some(("arn:origin".into(), "{}".into())))
            .unwrap_err();
        assert!(
            e.contains("arn:origin") && e.contains("origin_header"),
            "{e}"
        );
    }

    #[test]
    fn a_ca_bundle_path_goes_into_the_url() {
        let env = vars(&[
            ("ROLLCALL_DATABASE_HOST", "proxy.example"),
            ("ROLLCALL_DATABASE_SSLMODE", "verify-full"),
            (
                "ROLLCALL_DATABASE_SSLROOTCERT",
                "/var/task/rds-ca-bundle.pem",
            ),
        ]);
        let db = r#"{"username":"rollcall_app","password":"pw"}"#;
        let s =
            LambdaSecrets::from_documents(&env, Some(("arn:db".into(), db.into())), None).unwrap();
        let url = s.get("DATABASE_URL").unwrap();
        assert!(
            url.ends_with("?sslmode=verify-full&sslrootcert=%2Fvar%2Ftask%2Frds-ca-bundle.pem"),
            "{url}"
        );
        let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        assert_eq!(options.get_host(), "proxy.example");
    }

    #[test]
    fn the_admin_secret_is_named_not_read_and_may_go_to_another_host() {
        let env = vars(&[
            ("ROLLCALL_DATABASE_HOST", "proxy.example"),
            ("ROLLCALL_DATABASE_ADMIN_HOST", "db.example"),
            ("ROLLCALL_DATABASE_PORT", "6432"),
            ("ROLLCALL_DATABASE_ADMIN_SECRET_ARN", "arn:admin"),
        ]);
        let s = LambdaSecrets::from_documents(&env, None, None).unwrap();
        let (arn, at) = s.admin_arn.unwrap();
        assert_eq!(arn, "arn:admin");
        assert_eq!((at.host.as_str(), at.port), ("db.example", 6432));
    }

    #[test]
    fn errors_name_the_secret_never_its_value() {
        let env = vars(&[("ROLLCALL_DATABASE_HOST", "h")]);
        let typo = r#"{"username":"u","pasword":"hunter2"}"#;
        let e = LambdaSecrets::from_documents(&env, Some(("arn:db".into(), typo.into())), None)
            .unwrap_err();
        assert!(e.contains("arn:db") && !e.contains("hunter2"), "{e}");
        let none = vars(&[]);
        let ok = r#"{"username":"u","password":"p"}"#;
        let e = LambdaSecrets::from_documents(&none, Some(("arn:db".into(), ok.into())), None)
            .unwrap_err();
        assert!(e.contains("ROLLCALL_DATABASE_HOST"), "{e}");
    }

    #[test]
    fn a_database_login_never_shows_its_password() {
        let login: DbLogin =
            serde_json::from_str(r#"{"username":"rollcall_app","password":"p@ss-word"}"#).unwrap();
        let shown = format!("{login:?}");
        assert!(
            shown.contains("rollcall_app") && !shown.contains("p@ss-word"),
            "{shown}"
        );
        assert_eq!(login.password.expose(), "p@ss-word");
    }
}
