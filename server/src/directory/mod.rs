//! Active Directory over LDAP (ldap3 on rustls): binding as a person, looking
//! people up with the tenant's look-up account, testing a connection, and
//! reading AD's diagnostic codes. Nothing else in Rollcall speaks LDAP.
//!
//! Every call connects afresh (a sign-in is one bind and one search), with
//! [`CONNECT_TIMEOUT`] for TCP and TLS and [`OPERATION_TIMEOUT`] per LDAP
//! operation, so a directory that stops answering costs a sign-in seconds,
//! never a hung request. Nothing here holds a database connection or lock.

use app::model::directory::{
    CheckedDirectory, DirectoryCheck, DirectoryPerson, DirectoryUrl, Transport,
};
use app::model::Secret;
use ldap3::{LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use std::sync::Arc;
use std::time::Duration;

/// TCP connect plus the TLS handshake (and StartTLS), in one budget.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Each bind or search.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// LDAP result codes used here (RFC 4511 §4.1.9).
const RC_STRONGER_AUTH_REQUIRED: u32 = 8;
const RC_NO_SUCH_OBJECT: u32 = 32;
const RC_INVALID_CREDENTIALS: u32 = 49;

/// One tenant's directory, ready to connect: the settings with the
/// look-up password decrypted.
#[derive(Clone)]
pub struct Directory {
    pub url: DirectoryUrl,
    pub ca_pem: Option<String>,
    pub domain: Option<String>,
    pub upn_suffix: Option<String>,
    pub base_dn: String,
    /// Bind name and password of the look-up account.
    pub lookup: Option<(String, Secret)>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The look-up password never reaches a log through Debug.
        f.debug_struct("Directory")
            .field("url", &self.url.connect_url())
            .field("base_dn", &self.base_dn)
            .field("lookup", &self.lookup.as_ref().map(|(name, _)| name))
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Settings that passed [`SaveDirectoryRequest::validate`] (typed, or
    /// as stored), with the look-up account's password when there is one.
    ///
    /// [`SaveDirectoryRequest::validate`]: app::model::directory::SaveDirectoryRequest::validate
    pub fn from_checked(c: &CheckedDirectory, lookup_password: Option<Secret>) -> Directory {
        Directory {
            url: c.url.clone(),
            ca_pem: c.ca_pem.clone(),
            domain: c.domain.clone(),
            upn_suffix: c.upn_suffix.clone(),
            base_dn: c.base_dn.clone(),
            lookup: c.bind_name.clone().zip(lookup_password),
        }
    }
}

/// The name a person binds with: a bare username becomes `name@suffix` (the
/// UPN form, preferred) or `DOMAIN\name` (down-level logon name); a name
/// that already has `@` or `\` is used as typed. Samba and AD refuse a bare
/// name (`data 52e`), see ACTIVE-DIRECTORY.md §7.
pub fn qualify(username: &str, upn_suffix: Option<&str>, domain: Option<&str>) -> String {
    if username.contains(['@', '\\']) {
        return username.to_owned();
    }
    match (upn_suffix, domain) {
        (Some(suffix), _) => format!("{username}@{suffix}"),
        (None, Some(domain)) => format!("{domain}\\{username}"),
        (None, None) => username.to_owned(),
    }
}

/// Why AD refused a bind with result 49: the Win32 error code after
/// `data ` in its diagnostic message (`80090308: LdapErr: DSID-0C0903A9,
/// comment: AcceptSecurityContext error, data 52e, v1db1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `52e` ERROR_LOGON_FAILURE (and anything unrecognised): wrong name or
    /// password.
    BadCredentials,
    /// `533` ERROR_ACCOUNT_DISABLED.
    Disabled,
    /// `701` ERROR_ACCOUNT_EXPIRED.
    AccountExpired,
    /// `532` ERROR_PASSWORD_EXPIRED.
    PasswordExpired,
    /// `773` ERROR_PASSWORD_MUST_CHANGE.
    MustChangePassword,
    /// `775` ERROR_ACCOUNT_LOCKED_OUT.
    LockedOut,
}

impl Refusal {
    pub fn from_diagnostic(text: &str) -> Refusal {
        let code = text.split(", data ").nth(1).and_then(|rest| {
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            u32::from_str_radix(&hex, 16).ok()
        });
        match code {
            Some(0x533) => Refusal::Disabled,
            Some(0x701) => Refusal::AccountExpired,
            Some(0x532) => Refusal::PasswordExpired,
            Some(0x773) => Refusal::MustChangePassword,
            Some(0x775) => Refusal::LockedOut,
            _ => Refusal::BadCredentials,
        }
    }
}

/// The directory could not give an answer about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub check: DirectoryCheck,
    /// For the server log only.
    pub detail: String,
}

impl Failure {
    fn new(check: DirectoryCheck, detail: impl Into<String>) -> Failure {
        Failure {
            check,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check.as_str(), self.detail)
    }
}

/// I/O errors of a server that answered and then broke off mid-handshake,
/// as a TLS mismatch does (TLS to a plain port, or the reverse). Anything
/// else (refused, no route, a name that does not resolve) is unreachable.
fn broke_off(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | InvalidData
    )
}

/// An `LdapError` from connecting or from a bind that is not about the
/// person's credentials.
fn failure(e: LdapError) -> Failure {
    match e {
        LdapError::Timeout { .. } => Failure::new(DirectoryCheck::Unreachable, "timed out"),
        LdapError::Io { source } => {
            let tls = source
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned();
            match tls {
                Some(t @ rustls::Error::InvalidCertificate(_)) => {
                    Failure::new(DirectoryCheck::CertificateNotTrusted, t.to_string())
                }
                Some(t) => Failure::new(DirectoryCheck::TlsFailed, t.to_string()),
                None if broke_off(source.kind()) => {
                    Failure::new(DirectoryCheck::TlsFailed, source.to_string())
                }
                // tokio's resolver reports an unknown name as `Other` with
                // getaddrinfo's text.
                None if source.to_string().contains("lookup address")
                    || source.to_string().contains("not known") =>
                {
                    Failure::new(DirectoryCheck::HostNotFound, source.to_string())
                }
                None => Failure::new(DirectoryCheck::Unreachable, source.to_string()),
            }
        }
        LdapError::Rustls { source } => match source {
            rustls::Error::InvalidCertificate(_) => {
                Failure::new(DirectoryCheck::CertificateNotTrusted, source.to_string())
            }
            other => Failure::new(DirectoryCheck::TlsFailed, other.to_string()),
        },
        LdapError::LdapResult { result } if result.rc == RC_STRONGER_AUTH_REQUIRED => {
            Failure::new(DirectoryCheck::TlsRequired, result.to_string())
        }
        LdapError::LdapResult { result } if result.rc == RC_NO_SUCH_OBJECT => {
            Failure::new(DirectoryCheck::BaseDnNotFound, result.to_string())
        }
        other => Failure::new(DirectoryCheck::Failed, other.to_string()),
    }
}

/// Whether `pem` holds at least one certificate rustls can use as a trust
/// anchor: the sentence for the CA field otherwise.
pub fn check_ca_pem(pem: &str) -> Result<(), String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let unreadable = "The CA certificate could not be read: paste the whole PEM text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----, of the authority's certificate.";
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|_| unreadable.to_owned())?;
        roots.add(cert).map_err(|_| {
            "That certificate cannot be used as a trusted authority (it is damaged or not a CA certificate). Paste the certificate of the authority that signed the directory's certificate.".to_owned()
        })?;
    }
    if roots.is_empty() {
        return Err(unreadable.to_owned());
    }
    Ok(())
}

fn tls_config(pem: &str) -> Result<Arc<rustls::ClientConfig>, Failure> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| {
            Failure::new(
                DirectoryCheck::CertificateNotTrusted,
                format!("CA PEM: {e}"),
            )
        })?;
        roots.add(cert).map_err(|e| {
            Failure::new(
                DirectoryCheck::CertificateNotTrusted,
                format!("CA certificate: {e}"),
            )
        })?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Failure::new(DirectoryCheck::TlsFailed, e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// An open connection; unbound when dropped by the driver task ending.
struct Session {
    ldap: ldap3::Ldap,
}

impl Directory {
    async fn connect(&self) -> Result<Session, Failure> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(CONNECT_TIMEOUT)
            .set_starttls(self.url.transport == Transport::StartTls);
        if let Some(pem) = &self.ca_pem {
            settings = settings.set_config(tls_config(pem)?);
        }
        let starttls = self.url.transport == Transport::StartTls;
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.url.connect_url())
            .await
            .map_err(|e| match e {
                // The StartTLS extended operation itself was refused.
                LdapError::LdapResult { result } if starttls => Failure::new(
                    DirectoryCheck::TlsFailed,
                    format!("StartTLS refused: {result}"),
                ),
                // No LDAP answer to StartTLS: most likely the LDAPS port.
                e @ (LdapError::EndOfStream
                | LdapError::ResultRecv { .. }
                | LdapError::OpSend { .. })
                    if starttls =>
                {
                    Failure::new(DirectoryCheck::TlsFailed, e.to_string())
                }
                other => failure(other),
            })?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "directory connection ended");
            }
        });
        Ok(Session { ldap })
    }

    /// Binds as `name`. `Ok(Err(_))` is the directory refusing these
    /// credentials (result 49); `Err` is everything else.
    async fn bind(
        session: &mut Session,
        name: &str,
        password: &str,
    ) -> Result<Result<(), Refusal>, Failure> {
        let result = session
            .ldap
            .with_timeout(OPERATION_TIMEOUT)
            .simple_bind(name, password)
            .await
            .map_err(failure)?;
        if result.rc == RC_INVALID_CREDENTIALS {
            return Ok(Err(Refusal::from_diagnostic(&result.text)));
        }
        result.success().map_err(failure)?;
        Ok(Ok(()))
    }

    /// Reads one person under the base DN by `sAMAccountName` (or by
    /// `userPrincipalName` when the name has an `@`). Referrals are skipped.
    async fn search_person(
        &self,
        session: &mut Session,
        username: &str,
    ) -> Result<Option<DirectoryPerson>, Failure> {
        let username = self.bare_username(username);
        let escaped = ldap3::ldap_escape(username);
        let filter = if username.contains('@') {
            format!("(&(objectCategory=person)(objectClass=user)(userPrincipalName={escaped}))")
        } else {
            format!("(&(objectCategory=person)(objectClass=user)(sAMAccountName={escaped}))")
        };
        let (entries, _) = session
            .ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(
                &self.base_dn,
                Scope::Subtree,
                &filter,
                vec![
                    "sAMAccountName",
                    "userPrincipalName",
                    "givenName",
                    "sn",
                    "mail",
                ],
            )
            .await
            .map_err(failure)?
            .success()
            .map_err(failure)?;
        let mut people = entries
            .into_iter()
            .filter(|e| !e.is_ref())
            .map(SearchEntry::construct);
        let Some(entry) = people.next() else {
            return Ok(None);
        };
        let attr = |name: &str| {
            entry
                .attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first().cloned())
                .unwrap_or_default()
        };
        let upn = attr("userPrincipalName");
        Ok(Some(DirectoryPerson {
            username: attr("sAMAccountName"),
            upn: (!upn.is_empty()).then_some(upn),
            first_name: attr("givenName"),
            last_name: attr("sn"),
            email: attr("mail"),
        }))
    }

    /// The username part of what a person typed in this directory's own
    /// forms: `RC\alice` (any down-level domain) and `alice@rc.test` (this
    /// tenant's UPN suffix, any case) both give `alice`; a UPN with another
    /// suffix is a name of its own and stays whole.
    pub fn bare_username<'a>(&self, typed: &'a str) -> &'a str {
        let typed = typed.trim();
        if let Some((_, name)) = typed.split_once('\\') {
            return name;
        }
        match (typed.rsplit_once('@'), &self.upn_suffix) {
            (Some((name, suffix)), Some(own)) if suffix.eq_ignore_ascii_case(own) => name,
            _ => typed,
        }
    }

    /// Checks a person's password by binding as them, then reads their own
    /// entry. An empty password is refused without connecting: AD treats a
    /// simple bind with a name and no password as an anonymous bind that
    /// *succeeds* (RFC 4513 §5.1.2, "unauthenticated authentication").
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Result<Option<DirectoryPerson>, Refusal>, Failure> {
        if password.is_empty() {
            return Ok(Err(Refusal::BadCredentials));
        }
        let mut session = self.connect().await?;
        let name = qualify(username, self.upn_suffix.as_deref(), self.domain.as_deref());
        if let Err(refusal) = Self::bind(&mut session, &name, password).await? {
            return Ok(Err(refusal));
        }
        // Reading the entry is a courtesy (names kept current); the
        // password was right either way.
        let person = match self.search_person(&mut session, username).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "signed in to the directory but could not read the person's entry");
                None
            }
        };
        let _ = session.ldap.unbind().await;
        Ok(Ok(person))
    }

    async fn lookup_session(&self) -> Result<Session, Failure> {
        let Some((name, password)) = &self.lookup else {
            return Err(Failure::new(
                DirectoryCheck::NoLookupAccount,
                "no look-up account",
            ));
        };
        let mut session = self.connect().await?;
        match Self::bind(&mut session, name, password.expose()).await? {
            Ok(()) => Ok(session),
            Err(refusal) => Err(Failure::new(
                DirectoryCheck::LookupCredentialsRejected,
                format!("{refusal:?}"),
            )),
        }
    }

    /// Finds a person with the look-up account.
    pub async fn find(&self, username: &str) -> Result<Option<DirectoryPerson>, Failure> {
        let mut session = self.lookup_session().await?;
        let person = self.search_person(&mut session, username).await;
        let _ = session.ldap.unbind().await;
        person
    }

    /// [`Self::find`] for many names over one connection (an import).
    pub async fn find_many(
        &self,
        usernames: &[String],
    ) -> Result<Vec<Option<DirectoryPerson>>, Failure> {
        let mut session = self.lookup_session().await?;
        let mut people = Vec::with_capacity(usernames.len());
        for name in usernames {
            people.push(self.search_person(&mut session, name).await?);
        }
        let _ = session.ldap.unbind().await;
        Ok(people)
    }

    /// What an unknown username (or a wrong local password) costs at
    /// sign-in when the tenant has a directory: a bind with the typed
    /// password as a random name no directory holds, so that a directory
    /// outage, a refused bind or a slow one answers every failed sign-in
    /// alike and in about the same time as a directory account's. No real
    /// person's bad-password count is touched.
    pub async fn probe(&self, password: &str) -> Result<(), Failure> {
        let mut session = self.connect().await?;
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = qualify(
            &format!("rollcall-probe-{}", &random[..12]),
            self.upn_suffix.as_deref(),
            self.domain.as_deref(),
        );
        // Some password, never empty: an empty one is an anonymous bind.
        let password = if password.is_empty() { "-" } else { password };
        let answered = Self::bind(&mut session, &name, password).await;
        let _ = session.ldap.unbind().await;
        answered.map(|_| ())
    }

    /// Test connection: binds with the look-up account, reads the base DN
    /// and the rootDSE's `defaultNamingContext`.
    pub async fn test(&self) -> (DirectoryCheck, Option<String>) {
        match self.test_inner().await {
            Ok(naming) => (DirectoryCheck::Ok, naming),
            Err(f) => {
                tracing::info!(outcome = f.check.as_str(), detail = %f.detail, "directory test connection");
                (f.check, None)
            }
        }
    }

    async fn test_inner(&self) -> Result<Option<String>, Failure> {
        if self.lookup.is_none() {
            // Still worth knowing whether the server answers.
            let mut session = self.connect().await?;
            let _ = session.ldap.unbind().await;
            return Err(Failure::new(
                DirectoryCheck::NoLookupAccount,
                "no look-up account",
            ));
        }
        let mut session = self.lookup_session().await?;
        let read = |entries: Vec<ldap3::ResultEntry>, attr: &str| {
            entries
                .into_iter()
                .filter(|e| !e.is_ref())
                .map(SearchEntry::construct)
                .find_map(|e| e.attrs.get(attr).and_then(|v| v.first().cloned()))
        };
        let (root, _) = session
            .ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(
                "",
                Scope::Base,
                "(objectClass=*)",
                vec!["defaultNamingContext"],
            )
            .await
            .map_err(failure)?
            .success()
            .map_err(failure)?;
        let naming = read(root, "defaultNamingContext");
        session
            .ldap
            .with_timeout(OPERATION_TIMEOUT)
            .search(&self.base_dn, Scope::Base, "(objectClass=*)", vec!["1.1"])
            .await
            .map_err(failure)?
            .success()
            .map_err(failure)?;
        let _ = session.ldap.unbind().await;
        Ok(naming)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_are_qualified_upn_first() {
        assert_eq!(
            qualify("alice", Some("rc.test"), Some("RC")),
            "alice@rc.test"
        );
        assert_eq!(qualify("alice", None, Some("RC")), "RC\\alice");
        assert_eq!(qualify("alice", None, None), "alice");
        assert_eq!(
            qualify("alice@other.test", Some("rc.test"), None),
            "alice@other.test"
        );
        assert_eq!(
            qualify("OTHER\\alice", Some("rc.test"), None),
            "OTHER\\alice"
        );
    }

    fn ldap_result(rc: u32) -> LdapError {
        LdapError::LdapResult {
            result: ldap3::LdapResult {
                rc,
                matched: String::new(),
                text: String::new(),
                refs: Vec::new(),
                ctrls: Vec::new(),
            },
        }
    }

    #[test]
    fn connection_failures_have_their_outcome() {
        use std::io::{Error, ErrorKind};
        // Samba in the harness accepts plain binds (so plain LDAP can be
        // tested), so "TLS required" is only ever seen here.
        assert_eq!(failure(ldap_result(8)).check, DirectoryCheck::TlsRequired);
        assert_eq!(
            failure(ldap_result(32)).check,
            DirectoryCheck::BaseDnNotFound
        );
        assert_eq!(failure(ldap_result(80)).check, DirectoryCheck::Failed);
        let io = |kind, text: &str| {
            failure(LdapError::Io {
                source: Error::new(kind, text.to_owned()),
            })
            .check
        };
        assert_eq!(
            io(ErrorKind::ConnectionRefused, "refused"),
            DirectoryCheck::Unreachable
        );
        assert_eq!(
            io(ErrorKind::ConnectionReset, "reset"),
            DirectoryCheck::TlsFailed
        );
        assert_eq!(
            io(
                ErrorKind::Other,
                "failed to lookup address information: Name or service not known"
            ),
            DirectoryCheck::HostNotFound
        );
        let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert_eq!(
            failure(LdapError::Io {
                source: Error::new(ErrorKind::InvalidData, untrusted)
            })
            .check,
            DirectoryCheck::CertificateNotTrusted
        );
    }

    #[test]
    fn text_that_is_no_certificate_is_refused() {
        let garbage = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----";
        assert!(check_ca_pem(garbage).is_err());
        assert!(check_ca_pem("no pem here")
            .unwrap_err()
            .contains("could not be read"));
        assert!(check_ca_pem("").is_err());
    }

    #[test]
    fn typed_qualified_names_come_back_bare() {
        let d = Directory {
            url: app::model::directory::parse_url("ldaps://dc1", false).unwrap(),
            ca_pem: None,
            domain: Some("RC".into()),
            upn_suffix: Some("rc.test".into()),
            base_dn: "DC=rc,DC=test".into(),
            lookup: None,
        };
        assert_eq!(d.bare_username("RC\\alice"), "alice");
        assert_eq!(d.bare_username(" alice@RC.test "), "alice");
        assert_eq!(d.bare_username("alice@other.test"), "alice@other.test");
        assert_eq!(d.bare_username("alice"), "alice");
    }

    #[test]
    fn every_ad_diagnostic_code_has_its_refusal() {
        let text = |code: &str| {
            format!("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data {code}, v1db1")
        };
        for (code, refusal) in [
            ("52e", Refusal::BadCredentials),
            ("533", Refusal::Disabled),
            ("701", Refusal::AccountExpired),
            ("532", Refusal::PasswordExpired),
            ("773", Refusal::MustChangePassword),
            ("775", Refusal::LockedOut),
            ("525", Refusal::BadCredentials),
        ] {
            assert_eq!(Refusal::from_diagnostic(&text(code)), refusal, "{code}");
        }
        assert_eq!(Refusal::from_diagnostic(""), Refusal::BadCredentials);
        assert_eq!(
            Refusal::from_diagnostic("Invalid credentials"),
            Refusal::BadCredentials
        );
    }

    #[tokio::test]
    async fn an_empty_password_is_refused_before_any_bind() {
        // A TEST-NET address where nothing answers: a connection attempt
        // would end in a Failure (unreachable), so a refusal proves none
        // was made.
        let d = Directory {
            url: app::model::directory::parse_url("ldaps://192.0.2.1:9", false).unwrap(),
            ca_pem: None,
            domain: Some("RC".into()),
            upn_suffix: None,
            base_dn: "DC=rc,DC=test".into(),
            lookup: None,
        };
        assert_eq!(
            d.authenticate("alice", "").await.unwrap(),
            Err(Refusal::BadCredentials)
        );
    }
}
