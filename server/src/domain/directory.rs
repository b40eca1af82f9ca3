//! A tenant's Active Directory connection: settings (administrators and the
//! operator CLI), Test connection, and looking people up. The look-up
//! password is write-only: sealed with `ROLLCALL_SECRET_KEY` before it is
//! stored, opened only to bind, never returned, logged or audited.

use super::audit::{self, Action};
use super::caller::{Actor, AdminCaller, Operator, Origin};
use super::Services;
use crate::db::{self, Scope};
use crate::directory::Directory;
use crate::error::{check_version, first_error, Error, Result};
use app::model::directory::{
    fields, parse_url, CheckedDirectory, DirectoryCheck, DirectoryPerson, DirectorySettings,
    DirectoryTestResult, SaveDirectoryRequest,
};
use app::model::Secret;
use app::model::{ApiError, ErrorCode};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

fn no_key() -> Error {
    ApiError::new(
        ErrorCode::DirectoryUnavailable,
        "The server has no secret key to protect the look-up password with. Ask your Rollcall operator to set ROLLCALL_SECRET_KEY.",
    )
    .into()
}

fn view(row: Option<db::directories::DirectoryRow>) -> DirectorySettings {
    let Some(r) = row else {
        return DirectorySettings::default();
    };
    DirectorySettings {
        enabled: r.enabled,
        url: r.url,
        allow_plain: r.allow_plain,
        ca_pem: r.ca_pem.unwrap_or_default(),
        domain: r.netbios_domain.unwrap_or_default(),
        upn_suffix: r.upn_suffix.unwrap_or_default(),
        base_dn: r.base_dn,
        bind_name: r.bind_name.unwrap_or_default(),
        bind_password_set: r.bind_password_sealed.is_some(),
        version: r.version,
    }
}

/// A CA certificate that does not parse is refused beside its field, before
/// any connection (rather than looking like an untrusted server).
fn check_ca(c: &CheckedDirectory) -> Result<()> {
    match &c.ca_pem {
        Some(pem) => crate::directory::check_ca_pem(pem)
            .map_err(|m| ApiError::validation(fields::CA_PEM, m).into()),
        None => Ok(()),
    }
}

/// Whether the stored look-up password may be used with settings `c`: same
/// look-up account, same server, same transport and trusted CA.
fn keeps_password(row: &db::directories::DirectoryRow, c: &CheckedDirectory) -> bool {
    row.bind_name.as_deref() == c.bind_name.as_deref()
        && row.url == c.url_text
        && row.allow_plain == c.allow_plain
        && row.ca_pem.as_deref() == c.ca_pem.as_deref()
}

/// Whether a [`Directory`] built from the stored settings carries the
/// look-up account: finding people needs it; binding as a person (sign-in)
/// does not, so sign-in works even when its password cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    With,
    Without,
}

impl Services {
    fn open_lookup_password(&self, tenant_id: Uuid, sealed: &[u8]) -> Result<Secret> {
        let key = self.settings.secret_key.as_ref().ok_or_else(no_key)?;
        key.open(sealed, tenant_id.as_bytes()).ok_or_else(|| {
            tracing::error!(%tenant_id, "the directory look-up password does not open with ROLLCALL_SECRET_KEY (changed key?)");
            ApiError::new(
                ErrorCode::DirectoryUnavailable,
                "The stored look-up password cannot be read with the server's current key. Enter the look-up password again in Settings → Directory.",
            )
            .into()
        })
    }

    fn directory_from_row(
        &self,
        tenant_id: Uuid,
        row: &db::directories::DirectoryRow,
        lookup: Lookup,
    ) -> Result<Directory> {
        let url = parse_url(&row.url, row.allow_plain).map_err(|m| {
            tracing::error!(%tenant_id, problem = %m, "stored directory URL does not parse");
            Error::Api(ApiError::internal())
        })?;
        let lookup = match (&row.bind_name, &row.bind_password_sealed) {
            (Some(name), Some(sealed)) if lookup == Lookup::With => {
                Some((name.clone(), self.open_lookup_password(tenant_id, sealed)?))
            }
            _ => None,
        };
        Ok(Directory {
            url,
            ca_pem: row.ca_pem.clone(),
            domain: row.netbios_domain.clone(),
            upn_suffix: row.upn_suffix.clone(),
            base_dn: row.base_dn.clone(),
            lookup,
        })
    }

    /// The tenant's directory when directory sign-in is switched on, with
    /// or without its look-up account.
    pub(crate) async fn enabled_directory(
        &self,
        conn: &mut PgConnection,
        tenant_id: Uuid,
        lookup: Lookup,
    ) -> Result<Option<Directory>> {
        match db::directories::get(conn, tenant_id).await? {
            Some(row) if row.enabled => Ok(Some(self.directory_from_row(tenant_id, &row, lookup)?)),
            _ => Ok(None),
        }
    }

    /// As [`Self::enabled_directory`], or a 503 saying directory sign-in is
    /// off: for creating and refreshing directory accounts.
    pub(crate) async fn required_directory(&self, tenant_id: Uuid) -> Result<Directory> {
        let mut conn = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
        self.enabled_directory(&mut conn, tenant_id, Lookup::With)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::DirectoryOff,
                    "Directory sign-in is switched off for your organisation. Connect it in Settings → Directory first.",
                )
                .into()
            })
    }

    pub async fn get_directory(&self, admin: &AdminCaller) -> Result<DirectorySettings> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        Ok(view(
            db::directories::get(&mut conn, admin.tenant_id.as_uuid()).await?,
        ))
    }

    pub async fn save_directory(
        &self,
        admin: &AdminCaller,
        req: &SaveDirectoryRequest,
    ) -> Result<DirectorySettings> {
        let version = app::model::permissions::required_version(req.version)?;
        self.store_directory(
            admin.tenant_id.as_uuid(),
            (admin.actor(), &admin.origin),
            Some(version),
            req,
        )
        .await
    }

    /// `server directory set`.
    pub async fn operator_set_directory(
        &self,
        op: &Operator,
        tenant_slug: &str,
        req: &SaveDirectoryRequest,
    ) -> Result<DirectorySettings> {
        let tenant = self.find_tenant(tenant_slug).await?;
        // The operator states the whole connection: no version to match.
        self.store_directory(tenant.id, (&op.actor(), &Origin::default()), None, req)
            .await
    }

    /// Validates, seals a new look-up password, saves, and audits the
    /// changed settings (the password only as "changed"). With `expected`,
    /// refuses as stale unless the stored connection is at that version (0:
    /// none stored yet).
    async fn store_directory(
        &self,
        tenant_id: Uuid,
        (actor, origin): (&Actor, &Origin),
        expected: Option<i64>,
        req: &SaveDirectoryRequest,
    ) -> Result<DirectorySettings> {
        let c = req.validate().map_err(first_error)?;
        check_ca(&c)?;
        let sealed_new = match &c.bind_password {
            Some(pw) => {
                let key = self.settings.secret_key.as_ref().ok_or_else(no_key)?;
                Some(key.seal(pw.expose(), tenant_id.as_bytes())?)
            }
            None => None,
        };
        let mut tx = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
        let tenant = db::tenants::lock(&mut tx, tenant_id).await?;
        let before_row = db::directories::get(&mut tx, tenant_id).await?;
        if let Some(sent) = expected {
            // The tenant is locked: an edit of an older connection puts
            // nothing back.
            let stored = before_row.as_ref().map_or(0, |r| r.version);
            check_version("directory connection", sent, stored, || {
                view(before_row.clone())
            })?;
        }
        let kept = before_row
            .as_ref()
            .and_then(|r| r.bind_password_sealed.clone());
        // A stored password is kept only for the same account at the same
        // server: otherwise a changed address would send it to whoever
        // answers there (Keycloak's CVE-2022-3782 class of leak).
        let same_target = before_row.as_ref().is_some_and(|r| keeps_password(r, &c));
        let sealed = match (sealed_new, &c.bind_name) {
            (Some(s), _) => Some(s),
            (None, Some(_)) if same_target => kept.clone(),
            _ => None,
        };
        if c.enabled && c.bind_name.is_some() && sealed.is_none() {
            return Err(ApiError::validation(
                fields::BIND_PASSWORD,
                if kept.is_some() {
                    "The server address or look-up account changed: enter the look-up account's password again."
                } else {
                    "Enter the look-up account's password."
                },
            )
            .into());
        }
        db::directories::save(
            &mut tx,
            db::directories::SaveDirectory {
                tenant_id,
                enabled: c.enabled,
                url: &c.url_text,
                allow_plain: c.allow_plain,
                ca_pem: c.ca_pem.as_deref(),
                netbios_domain: c.domain.as_deref(),
                upn_suffix: c.upn_suffix.as_deref(),
                base_dn: &c.base_dn,
                bind_name: c.bind_name.as_deref(),
                bind_password_sealed: sealed.as_deref(),
                now: self.now(),
            },
        )
        .await?;
        let before = view(before_row.clone());
        let after = db::directories::get(&mut tx, tenant_id).await?;
        let password_changed = c.bind_password.is_some()
            || before_row.and_then(|r| r.bind_password_sealed).is_some() != sealed.is_some();
        let after_view = view(after);
        // A certificate is long and a password secret: the audit says
        // whether each was there, and that it changed, never what it is.
        let stored = |there: bool, changed: bool| match (there, changed) {
            (false, _) => "none",
            (true, false) => "set",
            (true, true) => "replaced",
        };
        let flat = |s: &DirectorySettings, changed: bool, password_there: bool| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.remove("bind_password_set");
                m.insert(
                    "ca_pem".into(),
                    json!(stored(
                        !s.ca_pem.is_empty(),
                        changed && !s.ca_pem.is_empty()
                    )),
                );
                m.insert("bind_password".into(), json!(stored(password_there, false)));
            }
            v
        };
        let ca_changed = before.ca_pem != after_view.ca_pem;
        let mut changed = audit::changes(
            &flat(&before, false, before.bind_password_set),
            &flat(&after_view, ca_changed, after_view.bind_password_set),
        );
        if password_changed {
            changed.insert(
                "bind_password".into(),
                json!({
                    "before": stored(before.bind_password_set, false),
                    "after": stored(after_view.bind_password_set, before.bind_password_set),
                }),
            );
        }
        if !changed.is_empty() {
            audit::record(
                &mut tx,
                audit::Event::on_tenant(
                    (tenant_id, &tenant.slug),
                    Action::DirectoryChanged,
                    json!({ "changes": changed }),
                    actor,
                    origin,
                    self.now(),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after_view)
    }

    /// Test connection with the settings as typed (an empty password uses
    /// the stored one), before or after saving.
    pub async fn test_directory(
        &self,
        admin: &AdminCaller,
        req: &SaveDirectoryRequest,
    ) -> Result<DirectoryTestResult> {
        let c = req.validate().map_err(first_error)?;
        self.test_checked(admin.tenant_id.as_uuid(), &c).await
    }

    /// `server directory test`: the saved settings.
    pub async fn operator_test_directory(&self, tenant_slug: &str) -> Result<DirectoryTestResult> {
        let tenant = self.find_tenant(tenant_slug).await?;
        let mut conn = db::begin(&self.pool, Scope::Tenant(tenant.id)).await?;
        let row = db::directories::get(&mut conn, tenant.id).await?;
        drop(conn);
        let Some(row) = row else {
            return Err(ApiError::not_found_named("directory for tenant", &tenant.slug).into());
        };
        let req = SaveDirectoryRequest::from(&view(Some(row)));
        let c = req.validate().map_err(first_error)?;
        self.test_checked(tenant.id, &c).await
    }

    async fn test_checked(
        &self,
        tenant_id: Uuid,
        c: &CheckedDirectory,
    ) -> Result<DirectoryTestResult> {
        check_ca(c)?;
        let password = match &c.bind_password {
            Some(p) => Some(p.clone()),
            None => {
                let mut conn = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
                let row = db::directories::get(&mut conn, tenant_id).await?;
                drop(conn);
                match row {
                    Some(r) if keeps_password(&r, c) => match r.bind_password_sealed {
                        Some(sealed) => Some(self.open_lookup_password(tenant_id, &sealed)?),
                        None => None,
                    },
                    _ => None,
                }
            }
        };
        let directory = Directory::from_checked(c, password);
        let (outcome, naming_context) = directory.test().await;
        let message = match (&outcome, &naming_context) {
            (DirectoryCheck::Ok, Some(nc)) => {
                format!("{} Naming context: {nc}.", outcome.message())
            }
            _ => outcome.message().to_owned(),
        };
        Ok(DirectoryTestResult {
            outcome,
            message,
            naming_context,
        })
    }

    /// Finds a person in the caller's directory, for the create form.
    pub async fn lookup_directory_person(
        &self,
        admin: &AdminCaller,
        username: &str,
    ) -> Result<DirectoryPerson> {
        let directory = self.required_directory(admin.tenant_id.as_uuid()).await?;
        find_person(&directory, username).await
    }
}

/// A person the directory knows, or a validation error beside the username.
pub(crate) async fn find_person(directory: &Directory, username: &str) -> Result<DirectoryPerson> {
    let name = username.trim();
    if name.is_empty() {
        return Err(ApiError::validation("username", "Enter the person's domain username.").into());
    }
    match directory.find(name).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(ApiError::validation(
            "username",
            format!("The directory has no person with the username “{name}”. Check the spelling (the domain username, like jdoe)."),
        )
        .into()),
        Err(f) => {
            tracing::warn!(error = %f, "directory look-up failed");
            Err(ApiError::new(
                ErrorCode::DirectoryUnavailable,
                format!(
                    "The directory could not be searched: {} (Settings → Directory → Test connection shows more.)",
                    f.check.message()
                ),
            )
            .into())
        }
    }
}

impl Services {
    /// A directory account's username, names and email come from the
    /// directory, whatever the request says (vendor page 004: "not
    /// editable"): looks the person up and returns the request filled in.
    /// Local requests come back unchanged. Runs before any transaction:
    /// the directory is a network call.
    pub(crate) async fn fill_from_directory(
        &self,
        tenant_id: Uuid,
        request: &app::model::CreateAccountRequest,
    ) -> Result<app::model::CreateAccountRequest> {
        if request.account_type != app::model::AccountType::Directory.as_str() {
            return Ok(request.clone());
        }
        // The type's own rules first: nothing about a person is read for a
        // request that cannot be made anyway.
        if let Some(e) = request.directory_conflicts().into_iter().next() {
            return Err(e.into());
        }
        let directory = {
            let mut conn = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
            self.enabled_directory(&mut conn, tenant_id, Lookup::With)
                .await?
        };
        let Some(directory) = directory else {
            return Err(super::tenant::directory_not_allowed());
        };
        let person = find_person(&directory, &request.username).await?;
        let mut filled = request.clone();
        apply_person(&mut filled.form, &person)?;
        filled.username = person.username;
        Ok(filled)
    }
}

/// Copies the directory's names and email onto a form; a person the
/// directory describes too thinly to make an account is refused beside the
/// username, saying what to add there.
pub(crate) fn apply_person(form: &mut app::model::AccountForm, p: &DirectoryPerson) -> Result<()> {
    let missing: Vec<&str> = [
        ("first name (givenName)", &p.first_name),
        ("last name (sn)", &p.last_name),
        ("email (mail)", &p.email),
    ]
    .into_iter()
    .filter(|(_, v)| v.trim().is_empty())
    .map(|(what, _)| what)
    .collect();
    if !missing.is_empty() {
        return Err(ApiError::validation(
            "username",
            format!(
                "The directory entry of “{}” has no {}: add it in Active Directory, then try again.",
                p.username,
                missing.join(", ")
            ),
        )
        .into());
    }
    form.first_name = p.first_name.clone();
    form.last_name = p.last_name.clone();
    form.email = p.email.clone();
    Ok(())
}

/// Stores the directory's names and email for a directory account when they
/// differ from Rollcall's copy, audited with both values, in the caller's
/// transaction. Values Rollcall could not store (an unusable email) are
/// logged and left as they were. Returns the stored first name, last name
/// and email when something changed.
pub(crate) async fn record_directory_names(
    tx: &mut PgConnection,
    account: &db::accounts::AccountRow,
    person: &DirectoryPerson,
    actor: &Actor,
    origin: &Origin,
    now: time::OffsetDateTime,
) -> Result<Option<[String; 3]>> {
    use app::model::{Email, PersonName};
    let parsed = (
        PersonName::parse(&person.first_name, "first name"),
        PersonName::parse(&person.last_name, "last name"),
        Email::parse(&person.email),
    );
    let (Ok(first), Ok(last), Ok(email)) = parsed else {
        tracing::warn!(account_id = %account.id, "the directory's names or email for this account are not usable; kept Rollcall's");
        return Ok(None);
    };
    let before = json!({
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
    });
    let after = json!({
        "first_name": first.as_str(),
        "last_name": last.as_str(),
        "email": email.as_str(),
    });
    let changed = audit::changes(&before, &after);
    if changed.is_empty() {
        return Ok(None);
    }
    db::accounts::set_directory_names(
        tx,
        account.tenant_id,
        account.id,
        (first.as_str(), last.as_str(), email.as_str()),
        &account.username,
        now,
    )
    .await?;
    audit::record(
        tx,
        audit::Event::on_account(
            account,
            Action::AccountDirectoryRefreshed,
            json!({ "changes": changed }),
            actor,
            origin,
            now,
        ),
    )
    .await?;
    Ok(Some([
        first.as_str().to_owned(),
        last.as_str().to_owned(),
        email.as_str().to_owned(),
    ]))
}

impl Services {
    /// "Refresh from directory": reads the person again and stores what
    /// changed. Directory accounts only.
    pub async fn refresh_from_directory(
        &self,
        admin: &AdminCaller,
        id: app::model::AccountId,
    ) -> Result<app::model::AccountSummary> {
        let tenant_id = admin.tenant_id.as_uuid();
        let account = {
            let mut conn = db::begin(&self.pool, admin.scope()).await?;
            db::accounts::get(&mut conn, tenant_id, id.as_uuid())
                .await?
                .ok_or_else(|| ApiError::not_found("account"))?
        };
        if account.account_type != app::model::AccountType::Directory.as_str() {
            return Err(ApiError::refused(
                "This is a local account: its names and email are edited here, not read from the directory.",
            )
            .into());
        }
        let directory = self.required_directory(tenant_id).await?;
        let person = match directory.find(&account.username).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Err(ApiError::new(
                    ErrorCode::NotFound,
                    format!(
                        "The directory no longer has a person with the username “{}”. If they left, deactivate or delete this account.",
                        account.username
                    ),
                )
                .into())
            }
            Err(f) => {
                tracing::warn!(error = %f, "directory look-up failed");
                return Err(ApiError::new(
                    ErrorCode::DirectoryUnavailable,
                    format!("The directory could not be searched: {}", f.check.message()),
                )
                .into());
            }
        };
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let locked = db::accounts::lock(&mut tx, tenant_id, account.id)
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        record_directory_names(&mut tx, &locked, &person, admin.actor(), &admin.origin, now)
            .await?;
        let after = db::accounts::get(&mut tx, tenant_id, account.id)
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        tx.commit().await?;
        super::account_summary::summary(&after, now, &admin.zone)
    }
}
