//! Bulk import of accounts from CSV: preview (nothing written), staging a
//! chunk at a time (passwords hashed, so progress can be shown), and one
//! commit transaction that creates every staged account or none.

use super::accounts::{check_directory_allowed, check_new_clients, insert_new, NewRow};
use super::audit::{self, Action};
use super::caller::AdminCaller;
use super::tenant::tenant_settings;
use super::Services;
use crate::crypto;
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use app::model::import::{
    read_import, ImportChunk, ImportFile, ImportLine, ImportPreview, ImportResult, PreviewRow,
    StagedChunk,
};
use app::model::permissions::GroupId;
use app::model::NewPassword;
use app::model::{
    text, AccountType, ApiError, ClientId, CreateAccountRequest, ErrorCode, FormContext,
    NewAccount, TenantSettings, Username,
};
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// What the tenant offers that the rows are checked against.
struct Context {
    settings: TenantSettings,
    /// Active clients by name key ([`text::fold`]).
    clients: HashMap<String, ClientId>,
    /// Groups by name key.
    groups: HashMap<String, GroupId>,
    clients_required: bool,
    today: time::Date,
}

async fn context(conn: &mut PgConnection, tenant_id: Uuid, today: time::Date) -> Result<Context> {
    let settings = tenant_settings(conn, tenant_id).await?;
    let clients: HashMap<String, ClientId> = db::clients::list(conn, tenant_id)
        .await?
        .into_iter()
        .filter(|c| c.archived_at.is_none())
        .map(|c| (text::fold(&c.name), ClientId::from_uuid(c.id)))
        .collect();
    let groups = db::permissions::list_groups(conn, tenant_id)
        .await?
        .into_iter()
        .map(|g| (text::fold(&g.name), GroupId::from_uuid(g.id)))
        .collect();
    Ok(Context {
        clients_required: !clients.is_empty(),
        settings,
        clients,
        groups,
        today,
    })
}

/// Every row checked: the account it would create, or why not.
async fn check_lines(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    ctx: &Context,
    lines: Vec<ImportLine>,
    earlier: &HashMap<String, u32>,
) -> Result<Vec<(ImportLine, Result<NewAccount, Vec<String>>)>> {
    let keys: Vec<String> = lines
        .iter()
        .filter_map(|l| Username::parse(&l.request.username).ok())
        .map(|u| u.folded())
        .collect();
    let taken = db::imports::taken_usernames(conn, tenant_id, &keys).await?;
    let mut first_seen: HashMap<String, u32> = earlier.clone();
    let form = FormContext {
        policy: &ctx.settings.password_policy,
        today: ctx.today,
        clients_required: ctx.clients_required,
    };
    Ok(lines
        .into_iter()
        .map(|mut line| {
            let mut errors = line.errors.clone();
            for name in &line.client_names {
                match ctx.clients.get(&text::fold(name)) {
                    Some(id) => line.request.form.clients.push(*id),
                    None => errors.push(format!(
                        "There is no active client named “{name}”. Add it on the Clients page first."
                    )),
                }
            }
            for name in &line.group_names {
                match ctx.groups.get(&text::fold(name)) {
                    Some(id) => line.request.form.groups.push(*id),
                    None => errors.push(format!(
                        "There is no group named “{name}”. Add it on the Groups page first."
                    )),
                }
            }
            if let Ok(u) = Username::parse(&line.request.username) {
                let key = u.folded();
                if taken.contains(&key) {
                    errors.push(format!("The username “{u}” is already taken in this organisation."));
                } else if let Some(first) = first_seen.get(&key) {
                    errors.push(format!("The username “{u}” is also on line {first}."));
                } else {
                    first_seen.insert(key, line.line);
                }
            }
            let checked = line.request.validate_with(form, false);
            let outcome = match checked {
                Ok(new) if errors.is_empty() => {
                    match check_directory_allowed(&new, ctx.settings.directory_signin_enabled) {
                        Ok(()) => Ok(new),
                        Err(Error::Api(e)) => Err(vec![e.message]),
                        Err(_) => Err(vec![ApiError::internal().message]),
                    }
                }
                Ok(_) => Err(errors),
                Err(field_errors) => {
                    // A directory row the directory could not fill has
                    // said so: its empty names are no news.
                    let unfilled = line.request.account_type == AccountType::Directory.as_str()
                        && !errors.is_empty();
                    errors.extend(
                        field_errors
                            .into_iter()
                            .filter(|e| {
                                !(unfilled
                                    && matches!(
                                        e.field.as_deref(),
                                        Some("first_name" | "last_name" | "email")
                                    ))
                            })
                            .map(|e| e.message),
                    );
                    Err(errors)
                }
            };
            (line, outcome)
        })
        .collect())
}

fn preview_row(line: &ImportLine, outcome: &Result<NewAccount, Vec<String>>) -> PreviewRow {
    let r = &line.request;
    PreviewRow {
        line: line.line,
        username: r.username.clone(),
        name: format!("{} {}", r.form.first_name, r.form.last_name)
            .trim()
            .to_owned(),
        email: r.form.email.clone(),
        role: r.form.role.clone(),
        errors: outcome.as_ref().err().cloned().unwrap_or_default(),
        note: {
            let mut notes = line.notes.clone();
            if let Ok(new) = outcome {
                if new.invite {
                    notes.push(
                        "No password in the file: an invitation to choose one will be emailed."
                            .into(),
                    );
                }
            }
            (!notes.is_empty()).then(|| notes.join(" "))
        },
    }
}

impl Services {
    /// Directory rows take username, names and email from the directory
    /// (one look-up session for the file, before any transaction); a person
    /// the directory does not know is an error on that row. With directory
    /// sign-in off the rows are left to be refused by the form rules.
    async fn fill_directory_lines(&self, tenant_id: Uuid, lines: &mut [ImportLine]) -> Result<()> {
        let directory_rows: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.request.account_type == AccountType::Directory.as_str()
                    && !l.request.username.trim().is_empty()
            })
            .map(|(i, _)| i)
            .collect();
        if directory_rows.is_empty() {
            return Ok(());
        }
        let directory = {
            let mut conn = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
            self.enabled_directory(&mut conn, tenant_id, super::directory::Lookup::With)
                .await?
        };
        let Some(directory) = directory else {
            return Ok(());
        };
        let names: Vec<String> = directory_rows
            .iter()
            .map(|&i| lines[i].request.username.trim().to_owned())
            .collect();
        let people = directory.find_many(&names).await.map_err(|f| {
            tracing::warn!(error = %f, "directory look-up for an import failed");
            ApiError::new(
                ErrorCode::DirectoryUnavailable,
                format!(
                    "The file has directory accounts, and the directory could not be searched: {}",
                    f.check.message()
                ),
            )
        })?;
        for (i, person) in directory_rows.into_iter().zip(people) {
            let line = &mut lines[i];
            match person {
                Some(p) => match super::directory::apply_person(&mut line.request.form, &p) {
                    Ok(()) => line.request.username = p.username,
                    Err(e) => line.errors.push(ApiError::from(e).message),
                },
                None => line.errors.push(format!(
                    "The directory has no person with the username “{}”.",
                    line.request.username.trim()
                )),
            }
        }
        Ok(())
    }

    /// Reads and checks the whole file; writes nothing.
    pub async fn preview_import(&self, admin: &AdminCaller, csv: &str) -> Result<ImportPreview> {
        let ImportFile { mut lines, notices } = read_import(csv)?;
        let tenant_id = admin.tenant_id.as_uuid();
        self.fill_directory_lines(tenant_id, &mut lines).await?;
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        let ctx = context(&mut conn, tenant_id, admin.today(self.now())).await?;
        let checked = check_lines(&mut conn, tenant_id, &ctx, lines, &HashMap::new()).await?;
        let rows: Vec<PreviewRow> = checked.iter().map(|(l, o)| preview_row(l, o)).collect();
        let valid = rows.iter().filter(|r| r.errors.is_empty()).count();
        Ok(ImportPreview {
            valid: u32::try_from(valid).unwrap_or(u32::MAX),
            invalid: u32::try_from(rows.len() - valid).unwrap_or(u32::MAX),
            rows,
            notices,
        })
    }

    /// Stages the valid rows of one chunk (hashing their passwords) in the
    /// caller's batch, starting one when `batch` is `None`. Nothing reaches
    /// the accounts table until [`Services::commit_import`].
    pub async fn stage_import(
        &self,
        admin: &AdminCaller,
        chunk: &ImportChunk,
    ) -> Result<StagedChunk> {
        let mut lines = read_import(&chunk.csv)?.lines;
        let at_lines = chunk.row_lines(lines.len())?;
        for (l, at) in lines.iter_mut().zip(at_lines) {
            l.line = at;
        }
        let tenant_id = admin.tenant_id.as_uuid();
        self.fill_directory_lines(tenant_id, &mut lines).await?;
        let now = self.now();
        let checked = {
            let mut conn = db::begin(&self.pool, admin.scope()).await?;
            let ctx = context(&mut conn, tenant_id, admin.today(now)).await?;
            // Usernames staged by earlier chunks count as seen in the file.
            let mut earlier = HashMap::new();
            if let Some(batch) = chunk.batch {
                for row in db::imports::rows(&mut conn, batch).await? {
                    let staged: Option<CreateAccountRequest> =
                        serde_json::from_value(row.request).ok();
                    if let Some(u) = staged.and_then(|r| Username::parse(&r.username).ok()) {
                        earlier.insert(u.folded(), u32::try_from(row.line).unwrap_or(0));
                    }
                }
            }
            check_lines(&mut conn, tenant_id, &ctx, lines, &earlier).await?
        };
        // Hash on the blocking pool, all at once: the cores work in parallel.
        let mut pending = Vec::new();
        for (line, outcome) in checked {
            if let Ok(new) = outcome {
                let hashing = new
                    .password
                    .clone()
                    .map(|pw| tokio::spawn(crypto::hash_password(pw)));
                pending.push((line, hashing));
            }
        }
        let mut staged_rows = Vec::with_capacity(pending.len());
        for (line, hashing) in pending {
            let hash = match hashing {
                Some(task) => Some(task.await??),
                None => None,
            };
            let mut request: CreateAccountRequest = line.request;
            request.new_password = NewPassword::default();
            staged_rows.push((line.line, request, hash));
        }
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let batch = match chunk.batch {
            Some(id) => {
                if !db::imports::lock_batch(&mut tx, tenant_id, admin.account_id.as_uuid(), id)
                    .await?
                {
                    return Err(import_gone().into());
                }
                id
            }
            None => {
                db::imports::remove_stale(&mut tx, now).await?;
                db::imports::create_batch(&mut tx, tenant_id, admin.account_id.as_uuid(), now)
                    .await?
            }
        };
        for (line, request, hash) in &staged_rows {
            let json = serde_json::to_value(request).map_err(|_| ApiError::internal())?;
            db::imports::stage_row(
                &mut tx,
                batch,
                i32::try_from(*line).unwrap_or(i32::MAX),
                &json,
                hash.as_deref(),
            )
            .await?;
        }
        let staged = db::imports::count_rows(&mut tx, batch).await?;
        tx.commit().await?;
        Ok(StagedChunk {
            batch,
            staged: u32::try_from(staged).unwrap_or(u32::MAX),
        })
    }

    /// Creates every staged account in one transaction, or none: a row that
    /// no longer passes (a username taken meanwhile, a client archived) stops
    /// the whole import and names its line.
    pub async fn commit_import(&self, admin: &AdminCaller, batch: Uuid) -> Result<ImportResult> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        db::tenants::lock(&mut tx, tenant_id).await?;
        if !db::imports::lock_batch(&mut tx, tenant_id, admin.account_id.as_uuid(), batch).await? {
            return Err(import_gone().into());
        }
        let ctx = context(&mut tx, tenant_id, admin.today(now)).await?;
        let form = FormContext {
            policy: &ctx.settings.password_policy,
            today: ctx.today,
            clients_required: ctx.clients_required,
        };
        let rows = db::imports::rows(&mut tx, batch).await?;
        if rows.is_empty() {
            return Err(ApiError::validation("file", "No valid rows to import.").into());
        }
        let actor = admin.actor();
        for row in &rows {
            let stop = |message: String| {
                ApiError::new(
                    ErrorCode::Conflict,
                    format!(
                        "Nothing was imported. Line {}: {message} Fix the file and try again.",
                        row.line
                    ),
                )
            };
            let request: CreateAccountRequest =
                serde_json::from_value(row.request.clone()).map_err(|_| ApiError::internal())?;
            let new = request.validate_with(form, false).map_err(|e| {
                stop(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            })?;
            check_directory_allowed(&new, ctx.settings.directory_signin_enabled)
                .map_err(|e| stop(ApiError::from(e).message))?;
            let clients = check_new_clients(&mut tx, tenant_id, &new.values.clients, &[])
                .await
                .map_err(|e| stop(ApiError::from(e).message))?;
            insert_new(
                &mut tx,
                NewRow {
                    tenant_id,
                    new: &new,
                    clients: &clients,
                    hash: row.password_hash.as_deref(),
                    source: Some(json!({ "import_line": row.line })),
                    public_url: &self.settings.public_url,
                },
                actor,
                &admin.origin,
                now,
            )
            .await
            .map_err(|e| stop(ApiError::from(e).message))?;
        }
        db::imports::delete_batch(&mut tx, batch).await?;
        audit::record(
            &mut tx,
            audit::Event {
                tenant_id: Some(tenant_id),
                at: now,
                actor,
                action: Action::AccountsImported,
                target: None,
                details: json!({ "created": rows.len() }),
                origin: &admin.origin,
            },
        )
        .await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(ImportResult {
            created: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        })
    }
}

fn import_gone() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "This import is no longer waiting (it was committed, or left for over an hour). Upload the file again.",
    )
}
