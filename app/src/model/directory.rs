//! A tenant's Active Directory connection (Settings → Directory): what the
//! administrator types, how it is checked, and what Test connection says.
//! The vendor page `004_6fe26ccb98a0acad.txt` ("Active Directory Domain
//! Account") is the source of directory accounts; issue #13 of the rest.

use super::error::ApiError;
use super::secret::Secret;
use serde::{Deserialize, Serialize};

pub mod fields {
    pub const URL: &str = "url";
    pub const CA_PEM: &str = "ca_pem";
    pub const DOMAIN: &str = "domain";
    pub const UPN_SUFFIX: &str = "upn_suffix";
    pub const BASE_DN: &str = "base_dn";
    pub const BIND_NAME: &str = "bind_name";
    pub const BIND_PASSWORD: &str = "bind_password";
    pub const ENABLED: &str = "enabled";
}

/// The settings as stored, without the look-up password (write-only: no
/// endpoint ever returns it, only whether one is stored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DirectorySettings {
    /// Directory accounts may sign in, and can be created.
    pub enabled: bool,
    /// `ldaps://host[:port]` (TLS from the start, port 636 by default) or
    /// `ldap://host[:port]` (StartTLS, RFC 4513 §3, port 389).
    pub url: String,
    /// `ldap://` without StartTLS: passwords cross the network readable.
    /// Testing only.
    pub allow_plain: bool,
    /// PEM certificates to trust for the directory's TLS certificate;
    /// empty trusts the system's roots.
    pub ca_pem: String,
    /// NetBIOS domain (`RC`): a bare username binds as `RC\name`.
    pub domain: String,
    /// UPN suffix (`rc.test`): a bare username binds as `name@rc.test`;
    /// preferred over the domain when both are set.
    pub upn_suffix: String,
    /// Where people are looked up (`DC=rc,DC=test`).
    pub base_dn: String,
    /// The look-up account (`RC\svc-rollcall` or a UPN).
    pub bind_name: String,
    /// A look-up password is stored (encrypted with `ROLLCALL_SECRET_KEY`).
    pub bind_password_set: bool,
    /// Goes up with every save; 0 before the first. `directory/save` sends
    /// the version `directory/get` answered: an older one is `409 stale`.
    pub version: i64,
}

/// `POST /api/directory/save` and `/api/directory/test`: the settings as
/// typed. An empty `bind_password` keeps the stored one. `Debug` never
/// shows the password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SaveDirectoryRequest {
    pub enabled: bool,
    pub url: String,
    pub allow_plain: bool,
    pub ca_pem: String,
    pub domain: String,
    pub upn_suffix: String,
    pub base_dn: String,
    pub bind_name: String,
    pub bind_password: Secret,
    /// For `save`: the `version` of the connection the edit was based on
    /// (required from administrators; `directory/test` ignores it).
    pub version: Option<i64>,
}

impl std::fmt::Debug for SaveDirectoryRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveDirectoryRequest")
            .field("enabled", &self.enabled)
            .field("url", &self.url)
            .field("allow_plain", &self.allow_plain)
            .field("domain", &self.domain)
            .field("upn_suffix", &self.upn_suffix)
            .field("base_dn", &self.base_dn)
            .field("bind_name", &self.bind_name)
            .field(
                "bind_password",
                &(!self.bind_password.is_empty()).then_some(&self.bind_password),
            )
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CheckedDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedDirectory")
            .field("enabled", &self.enabled)
            .field("url", &self.url_text)
            .field("base_dn", &self.base_dn)
            .field("bind_name", &self.bind_name)
            .field("bind_password", &self.bind_password)
            .finish_non_exhaustive()
    }
}

impl From<&DirectorySettings> for SaveDirectoryRequest {
    fn from(s: &DirectorySettings) -> Self {
        Self {
            enabled: s.enabled,
            url: s.url.clone(),
            allow_plain: s.allow_plain,
            ca_pem: s.ca_pem.clone(),
            domain: s.domain.clone(),
            upn_suffix: s.upn_suffix.clone(),
            base_dn: s.base_dn.clone(),
            bind_name: s.bind_name.clone(),
            bind_password: Secret::default(),
            version: Some(s.version),
        }
    }
}

/// How the connection is protected, from the URL and the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `ldaps://`: TLS from the first byte.
    Ldaps,
    /// `ldap://` upgraded with the StartTLS extended operation.
    StartTls,
    /// `ldap://` as is (testing only).
    Plain,
}

/// A directory server address that passed [`parse_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUrl {
    pub transport: Transport,
    pub host: String,
    pub port: u16,
}

impl DirectoryUrl {
    /// The URL to connect to (`ldap://` for StartTLS and plain).
    pub fn connect_url(&self) -> String {
        let scheme = match self.transport {
            Transport::Ldaps => "ldaps",
            Transport::StartTls | Transport::Plain => "ldap",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}", self.port)
    }
}

/// `ldaps://host[:port]` or `ldap://host[:port]` (RFC 4516 without DN,
/// attributes or filter); a trailing `/` is allowed.
pub fn parse_url(input: &str, allow_plain: bool) -> Result<DirectoryUrl, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter the directory server's address, like ldaps://dc1.example.org.".into());
    }
    let (transport, rest, default_port) = if let Some(rest) = s.strip_prefix("ldaps://") {
        (Transport::Ldaps, rest, 636)
    } else if let Some(rest) = s.strip_prefix("ldap://") {
        let t = if allow_plain {
            Transport::Plain
        } else {
            Transport::StartTls
        };
        (t, rest, 389)
    } else {
        return Err("The address starts with ldaps:// (or ldap:// for StartTLS), like ldaps://dc1.example.org.".into());
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '@', ' ']) {
        return Err("Give only the server and port, like ldaps://dc1.example.org:636: no path, user or spaces.".into());
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err("Write an IPv6 address as [2001:db8::1]:636.".into()),
            },
            None => return Err("Write an IPv6 address as [2001:db8::1]:636.".into()),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    {
        return Err("Enter the server's host name or IP address after the ://.".into());
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("The port must be a number from 1 to 65535, not “{p}”."))?,
    };
    Ok(DirectoryUrl {
        transport,
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// The request after every field rule: text trimmed, empty optional fields
/// `None`. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedDirectory {
    pub enabled: bool,
    pub url: DirectoryUrl,
    pub url_text: String,
    pub allow_plain: bool,
    pub ca_pem: Option<String>,
    pub domain: Option<String>,
    pub upn_suffix: Option<String>,
    pub base_dn: String,
    pub bind_name: Option<String>,
    /// Typed now; `None` keeps (or, without a bind name, clears) the stored one.
    pub bind_password: Option<Secret>,
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl SaveDirectoryRequest {
    /// Every field error at once, each naming its field.
    pub fn validate(&self) -> Result<CheckedDirectory, Vec<ApiError>> {
        let mut e = Vec::new();
        let plain_asked = self.allow_plain && self.url.trim().starts_with("ldap://");
        let url = parse_url(&self.url, plain_asked)
            .map_err(|m| e.push(ApiError::validation(fields::URL, m)))
            .ok();
        let ca_pem = optional(&self.ca_pem);
        if let Some(pem) = &ca_pem {
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                e.push(ApiError::validation(
                    fields::CA_PEM,
                    "Paste the CA certificate in PEM form: the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.",
                ));
            }
        }
        let domain = optional(&self.domain).map(|d| d.to_uppercase());
        if let Some(d) = &domain {
            if d.chars().count() > 15
                || !d
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                e.push(ApiError::validation(
                    fields::DOMAIN,
                    "A NetBIOS domain name has at most 15 letters, digits, - _ or . (like RC).",
                ));
            }
        }
        let upn_suffix =
            optional(&self.upn_suffix).map(|s| s.trim_start_matches('@').to_ascii_lowercase());
        if let Some(s) = &upn_suffix {
            if s.is_empty()
                || s.starts_with('.')
                || s.ends_with('.')
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            {
                e.push(ApiError::validation(
                    fields::UPN_SUFFIX,
                    "A UPN suffix is a domain name like example.org (without the @).",
                ));
            }
        }
        if domain.is_none() && upn_suffix.is_none() {
            e.push(ApiError::validation(
                fields::UPN_SUFFIX,
                "Enter the UPN suffix (like example.org) or the NetBIOS domain (like EXAMPLE): people type only their username, and one of these completes it.",
            ));
        }
        let base_dn = self.base_dn.trim().to_owned();
        if !base_dn.contains('=') || base_dn.starts_with(',') || base_dn.ends_with(',') {
            e.push(ApiError::validation(
                fields::BASE_DN,
                "Enter where people are found, as a DN like DC=example,DC=org.",
            ));
        }
        let bind_name = optional(&self.bind_name);
        let bind_password = (!self.bind_password.is_empty()).then(|| self.bind_password.clone());
        if bind_name.is_none() && bind_password.is_some() {
            e.push(ApiError::validation(
                fields::BIND_NAME,
                "Enter the look-up account the password belongs to.",
            ));
        }
        if let Some(name) = &bind_name {
            if name.chars().any(super::text::is_disallowed_in_name) || name.chars().count() > 256 {
                e.push(ApiError::validation(
                    fields::BIND_NAME,
                    "Enter the look-up account as DOMAIN\\name or name@example.org.",
                ));
            }
        }
        match url {
            Some(url) if e.is_empty() => Ok(CheckedDirectory {
                enabled: self.enabled,
                allow_plain: url.transport == Transport::Plain,
                url,
                url_text: self.url.trim().trim_end_matches('/').to_owned(),
                ca_pem,
                domain,
                upn_suffix,
                base_dn,
                bind_name,
                bind_password,
            }),
            _ => Err(e),
        }
    }
}

/// What Test connection found, in the order a connection goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryCheck {
    /// Bound with the look-up account and read the base DN.
    Ok,
    /// No answer at that address and port (refused, no route, timed out).
    Unreachable,
    /// The server's name does not resolve (DNS).
    HostNotFound,
    /// The server's TLS certificate is not signed by a trusted CA, or does
    /// not name the host.
    CertificateNotTrusted,
    /// TLS could not be set up (StartTLS refused, not a TLS port).
    TlsFailed,
    /// The server demands an encrypted connection (result 8,
    /// strongerAuthRequired).
    TlsRequired,
    /// The look-up account or its password was refused (result 49).
    LookupCredentialsRejected,
    /// No look-up account is set: people cannot be looked up.
    NoLookupAccount,
    /// The base DN does not exist (result 32, noSuchObject).
    BaseDnNotFound,
    /// The server answered something unexpected (details in the log).
    Failed,
}

impl DirectoryCheck {
    /// The words an administrator reads; [`DirectoryTestResult::naming_context`]
    /// completes the OK case.
    pub fn message(self) -> &'static str {
        match self {
            DirectoryCheck::Ok => "Connected, and the look-up account signed in.",
            DirectoryCheck::Unreachable => "Nothing answered at that address and port. Check the server name and port, and that Rollcall's network can reach it.",
            DirectoryCheck::HostNotFound => "The server's name could not be found (DNS). Check the spelling of the address, or use its IP address.",
            DirectoryCheck::CertificateNotTrusted => "The server's TLS certificate is not trusted: paste the CA certificate that signed it, and check that the address is a name the certificate carries.",
            DirectoryCheck::TlsFailed => "A secure (TLS) connection could not be set up. Check that ldaps:// goes to the LDAPS port (636) and ldap:// to the LDAP port (389).",
            DirectoryCheck::TlsRequired => "The server requires an encrypted connection: use ldaps:// or untick “Allow unencrypted”.",
            DirectoryCheck::LookupCredentialsRejected => "The directory refused the look-up account's name or password. Check both (the name as DOMAIN\\name or name@example.org).",
            DirectoryCheck::NoLookupAccount => "Connected, but there is no look-up account with a password to sign in with: enter both (the password is needed again whenever the address, certificate or account changes) so Rollcall can find people when you create their accounts.",
            DirectoryCheck::BaseDnNotFound => "Signed in, but the base DN does not exist in the directory. Check it (like DC=example,DC=org).",
            DirectoryCheck::Failed => "The directory answered something unexpected. The details are in the server log; check the settings or try again.",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryCheck::Ok => "ok",
            DirectoryCheck::Unreachable => "unreachable",
            DirectoryCheck::HostNotFound => "host_not_found",
            DirectoryCheck::CertificateNotTrusted => "certificate_not_trusted",
            DirectoryCheck::TlsFailed => "tls_failed",
            DirectoryCheck::TlsRequired => "tls_required",
            DirectoryCheck::LookupCredentialsRejected => "lookup_credentials_rejected",
            DirectoryCheck::NoLookupAccount => "no_lookup_account",
            DirectoryCheck::BaseDnNotFound => "base_dn_not_found",
            DirectoryCheck::Failed => "failed",
        }
    }
}

/// `POST /api/directory/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryTestResult {
    pub outcome: DirectoryCheck,
    pub message: String,
    /// The directory's `defaultNamingContext` (`DC=rc,DC=test`), when read.
    pub naming_context: Option<String>,
}

/// A person as the directory describes them (`POST /api/directory/lookup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPerson {
    /// `sAMAccountName`: the username they sign in with.
    pub username: String,
    /// `userPrincipalName`, if set.
    pub upn: Option<String>,
    /// `givenName`.
    pub first_name: String,
    /// `sn`.
    pub last_name: String,
    /// `mail`.
    pub email: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_transport_host_and_port() {
        let u = parse_url("ldaps://DC1.example.org", false).unwrap();
        assert_eq!(
            (u.transport, u.host.as_str(), u.port),
            (Transport::Ldaps, "dc1.example.org", 636)
        );
        let u = parse_url("ldap://127.77.0.1:3389/", false).unwrap();
        assert_eq!((u.transport, u.port), (Transport::StartTls, 3389));
        assert_eq!(u.connect_url(), "ldap://127.77.0.1:3389");
        let u = parse_url("ldap://dc1", true).unwrap();
        assert_eq!(u.transport, Transport::Plain);
        let u = parse_url("ldaps://[::1]:636", false).unwrap();
        assert_eq!(u.connect_url(), "ldaps://[::1]:636");
        assert!(parse_url("https://dc1", false)
            .unwrap_err()
            .contains("ldaps://"));
        assert!(parse_url("ldaps://dc1:0", false)
            .unwrap_err()
            .contains("1 to 65535"));
        assert!(parse_url("ldaps://dc1/DC=x", false)
            .unwrap_err()
            .contains("no path"));
        assert!(parse_url("ldaps://", false).is_err());
        assert!(parse_url("", false).unwrap_err().contains("Enter"));
    }

    fn request() -> SaveDirectoryRequest {
        SaveDirectoryRequest {
            enabled: true,
            url: "ldaps://dc1.rc.test".into(),
            domain: "rc".into(),
            upn_suffix: "@RC.test".into(),
            base_dn: "DC=rc,DC=test".into(),
            bind_name: "RC\\lookup".into(),
            bind_password: "secret".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_request_is_normalised() {
        let c = request().validate().unwrap();
        assert_eq!(c.domain.as_deref(), Some("RC"));
        assert_eq!(c.upn_suffix.as_deref(), Some("rc.test"));
        assert!(!c.allow_plain);
        assert_eq!(c.bind_password.as_ref().map(Secret::expose), Some("secret"));
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let r = request();
        assert!(!format!("{r:?}").contains("secret"));
        assert!(!format!("{:?}", r.validate().unwrap()).contains("secret"));
        assert!(format!("{r:?}").contains("RC\\\\lookup"));
    }

    #[test]
    fn plain_ldap_only_with_the_switch_and_an_ldap_url() {
        let mut r = request();
        r.allow_plain = true;
        assert!(!r.validate().unwrap().allow_plain, "ldaps:// stays TLS");
        r.url = "ldap://dc1".into();
        assert!(r.validate().unwrap().allow_plain);
        r.allow_plain = false;
        assert_eq!(r.validate().unwrap().url.transport, Transport::StartTls);
    }

    #[test]
    fn each_bad_field_is_named() {
        let r = SaveDirectoryRequest {
            url: "ftp://x".into(),
            ca_pem: "not a cert".into(),
            domain: "WAY-TOO-LONG-FOR-NETBIOS".into(),
            base_dn: "example".into(),
            bind_password: "pw".into(),
            ..Default::default()
        };
        let errs = r.validate().unwrap_err();
        let named: Vec<_> = errs.iter().filter_map(|e| e.field.as_deref()).collect();
        for f in [
            fields::URL,
            fields::CA_PEM,
            fields::DOMAIN,
            fields::BASE_DN,
            fields::BIND_NAME,
        ] {
            assert!(named.contains(&f), "{f} in {named:?}");
        }
        let mut r = request();
        r.domain.clear();
        r.upn_suffix.clear();
        let errs = r.validate().unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some(fields::UPN_SUFFIX));
    }
}
