use super::fields::{AccessFields, AccountSignals, IdentityFields};
use super::invitation::InvitationPanel;
use super::password::PasswordInputs;
use super::throttle::ThrottlePanel;
use crate::api::accounts::{
    delete_account, get_account, get_account_form_options, reset_password, update_account,
};
use crate::api::directory::refresh_from_directory;
use crate::auth::Auth;
use crate::components::{
    format_time, CheckboxField, ConfirmDialog, ErrorState, FormState, Loading, ZoneNote,
};
use crate::model::{
    format_date, AccountDetails, AccountForm, AccountFormOptions, AccountId, AccountType, ApiError,
    CurrentAccount, FormContext, NewPassword, PasswordOwner, ResetPasswordRequest,
    UpdateAccountRequest,
};
use crate::pages::access::account::AccountTabs;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

/// "Manage": one account's details, editable but for the username.
#[component]
pub fn EditAccountPage() -> impl IntoView {
    let auth = Auth::get();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| uuid::Uuid::parse_str(&s).ok())
            .map(AccountId::from_uuid)
    };
    let loaded = LocalResource::new(move || {
        let id = id();
        async move {
            let Some(id) = id else {
                return Err(ApiError::not_found("account"));
            };
            let account = get_account(id).await?;
            let options = get_account_form_options().await?;
            Ok((account, options))
        }
    });
    move || match loaded.get() {
        None => view! { <Loading what="the account" /> }.into_any(),
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            view! {
                <h1>"Account"</h1>
                <ErrorState message=message retry=move || loaded.refetch() />
                <A href="/accounts">"Back to accounts"</A>
            }
            .into_any()
        }
        Some(Ok((a, o))) => view! { <EditAccountForm account=a options=o /> }.into_any(),
    }
}

/// "Refresh from directory": reads the names and email again.
#[component]
fn RefreshFromDirectory(id: AccountId, s: AccountSignals, version: RwSignal<i64>) -> impl IntoView {
    let auth = Auth::get();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let refresh = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match refresh_from_directory(id).await {
                Ok(a) => {
                    let changed = s.first_name.get_untracked() != a.first_name
                        || s.last_name.get_untracked() != a.last_name
                        || s.email.get_untracked() != a.email;
                    s.first_name.set(a.first_name);
                    s.last_name.set(a.last_name);
                    s.email.set(a.email);
                    // This page changed the account: its next save builds
                    // on that, not on what it first loaded.
                    version.set(a.version);
                    auth.flash.set(Some(if changed {
                        format!(
                            "Names and email of {} updated from the directory.",
                            a.username
                        )
                    } else {
                        format!("{} is up to date with the directory.", a.username)
                    }));
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="generate">
            <button type="button" class="secondary small" disabled=move || busy.get() on:click=refresh>
                {move || if busy.get() { "Refreshing…" } else { "Refresh from directory" }}
            </button>
        </div>
        {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
    }
}

#[component]
fn EditAccountForm(account: AccountDetails, options: AccountFormOptions) -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let summary = account.summary.clone();
    let is_me = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.account_id))
        == Some(summary.id);
    let s = AccountSignals::new(AccountForm::from(&account));
    let local = summary.account_type == AccountType::Local;
    let username_value = RwSignal::new(summary.username.clone());
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let policy = options.settings.password_policy.clone();
    let clients_required = options.clients.iter().any(|c| !c.archived);
    let today = options.today;
    let expired = summary.expired;
    let previous_expiry = summary.expires_on;

    let id = summary.id;
    // Sent back with the edit: saving over someone else's newer change is
    // refused (409 stale) and said above the form. The page's own actions
    // (refresh from the directory, reset password) move it on.
    let version = RwSignal::new(summary.version);
    let submit = {
        let navigate = navigate.clone();
        let policy = policy.clone();
        let username = summary.username.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = UpdateAccountRequest {
                id,
                version: version.get_untracked(),
                form: s.form(),
                new_password: NewPassword::new(
                    password.get_untracked(),
                    password_confirm.get_untracked(),
                ),
            };
            let checked = request
                .validate(
                    FormContext {
                        policy: &policy,
                        today,
                        clients_required,
                    },
                    CurrentAccount {
                        username: &username,
                        account_type: summary.account_type,
                        expires_on: previous_expiry,
                        expired,
                    },
                )
                .map(|_| ());
            let navigate = navigate.clone();
            form.submit(
                checked,
                move || update_account(request),
                move |saved| {
                    auth.flash
                        .set(Some(format!("Changes to {} saved.", saved.username)));
                    navigate("/accounts", Default::default());
                },
            );
        }
    };

    let dialog_open = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let username = summary.username.clone();
    let confirm_delete = {
        let navigate = navigate.clone();
        move || {
            deleting.set(true);
            let navigate = navigate.clone();
            let username = username.clone();
            spawn_local(async move {
                match delete_account(id).await {
                    Ok(()) => {
                        dialog_open.set(false);
                        auth.flash.set(Some(format!("Account {username} deleted.")));
                        navigate("/accounts", Default::default());
                    }
                    Err(e) => delete_error.set(Some(auth.message_for(&e))),
                }
                deleting.set(false);
            });
        }
    };
    let role_label = summary.role.label().to_lowercase();
    let active = summary.status == crate::model::AccountStatus::Active && !expired;
    let can_invite = local && !account.has_password && active && !is_me;
    let show_invitation = local && !is_me && (account.invitation.is_some() || can_invite);
    let status_line = {
        let mut parts = vec![
            summary.account_type.label().to_owned(),
            format!("created {}", format_time(summary.created_at)),
        ];
        if let Some(at) = account.password_changed_at {
            parts.push(format!("password set {}", format_time(at)));
        }
        parts.join(" · ")
    };

    view! {
        <div class="page-head">
            <h1>{format!("Account {}", summary.username)}</h1>
            <A href=format!("/accounts/new?from={id}") attr:class="button secondary"
                attr:aria-label=format!("Duplicate {}", summary.username)>"Duplicate"</A>
        </div>
        <AccountTabs id=id current="Details" />
        <p class="lede">{status_line}</p>
        <ZoneNote />
        {expired.then(|| view! {
            <p class="notice warn" role="status">
                {format!(
                    "This account expired on {}. To reactivate it, clear or move the Expires/Deactivates on date{}.",
                    summary.expires_on.map(format_date).unwrap_or_default(),
                    if local { " and set a new password" } else { "" },
                )}
            </p>
        })}
        <form class="panel form" on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <fieldset>
                <legend>"Identity"</legend>
                <div class="field">
                    <label for="username">"Username"</label>
                    <p class="hint" id="username-hint">"A username cannot be changed."</p>
                    <input id="username" readonly aria-describedby="username-hint" bind:value=username_value />
                </div>
                <IdentityFields s=s form=form read_only=!local />
                {(!local).then(|| view! { <RefreshFromDirectory id=id s=s version=version /> })}
            </fieldset>
            <fieldset>
                <legend>"Access"</legend>
                <AccessFields s=s form=form options=options.clone() local=local is_me=is_me />
            </fieldset>
            {(expired && local).then(|| view! {
                <fieldset>
                    <legend>"New password"</legend>
                    <p class="hint">"Reactivating an expired account requires a new password."</p>
                    <PasswordInputs policy=policy.clone() password=password password_confirm=password_confirm
                        username=username_value email=s.email form=form label="New password" />
                </fieldset>
            })}
            <div class="actions">
                <A href="/accounts" attr:class="button secondary">"Cancel"</A>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save changes" }}
                </button>
            </div>
        </form>
        {show_invitation.then(|| view! {
            <InvitationPanel id=id username=summary.username.clone() email=summary.email.clone()
                invitation=account.invitation.clone() can_invite=can_invite />
        })}
        {(!account.throttles.is_empty()).then(|| view! {
            <ThrottlePanel id=id username=summary.username.clone() throttles=account.throttles.clone() />
        })}
        {(local && !is_me && !expired).then(|| view! {
            <ResetPasswordPanel id=id username=summary.username.clone() s=s version=version policy=policy.clone() />
        })}
        {(!is_me).then(|| view! {
            <section class="panel danger-zone" aria-labelledby="delete-heading">
                <h2 id="delete-heading">"Delete this account"</h2>
                <p>"The account is removed and signed out at once. Its audit history stays."</p>
                <button type="button" class="danger" on:click=move |_| { delete_error.set(None); dialog_open.set(true); }>
                    {format!("Delete {role_label}")}
                </button>
            </section>
        })}
        <ConfirmDialog
            open=dialog_open
            title=format!("Delete {}?", summary.username)
            message=format!(
                "Delete the account {} ({})? They are signed out at once. This cannot be undone.",
                summary.username,
                summary.display_name(),
            )
            confirm_label=format!("Delete {}", summary.username)
            busy=deleting
            error=delete_error
            on_confirm=confirm_delete
        />
    }
}

/// An administrator sets a new password for someone else's local account.
#[component]
fn ResetPasswordPanel(
    id: AccountId,
    username: String,
    s: AccountSignals,
    version: RwSignal<i64>,
    policy: crate::model::PasswordPolicy,
) -> impl IntoView {
    let email = s.email;
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let must_change = RwSignal::new(true);
    let form = FormState::new();
    let busy = form.busy;
    let done = RwSignal::new(None::<String>);
    let username_signal = RwSignal::new(username.clone());
    let submit = {
        let policy = policy.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = ResetPasswordRequest {
                id,
                new_password: NewPassword::new(
                    password.get_untracked(),
                    password_confirm.get_untracked(),
                ),
                must_change_password: must_change.get_untracked(),
            };
            let mail = email.get_untracked();
            let checked = request.validate(
                &policy,
                PasswordOwner {
                    username: &username,
                    email: mail.trim(),
                },
            );
            let name = username.clone();
            done.set(None);
            form.submit(
                checked,
                move || reset_password(request),
                move |()| {
                    password.set(String::new());
                    password_confirm.set(String::new());
                    // The reset set "must change at next sign-in": the form
                    // above shows it, and saves on the account as it is now.
                    spawn_local(async move {
                        if let Ok(now) = get_account(id).await {
                            s.must_change_password.set(now.must_change_password);
                            version.set(now.summary.version);
                        }
                    });
                    done.set(Some(format!(
                        "The password of {name} was reset; they were signed out."
                    )));
                },
            );
        }
    };
    view! {
        <section class="panel form" aria-labelledby="reset-heading">
            <h2 id="reset-heading">"Reset password"</h2>
            <p class="hint">"Sets a new password and signs the account out everywhere."</p>
            <form on:submit=submit novalidate>
                {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <PasswordInputs policy=policy password=password password_confirm=password_confirm
                    username=username_signal email=email form=form label="New password" />
                <CheckboxField label="Require password change at next login" id="reset-must-change" checked=must_change />
                {move || done.get().map(|m| view! { <p class="hint" role="status">{m}</p> })}
                <div class="actions">
                    <button type="submit" class="secondary" disabled=move || busy.get()>
                        {move || if busy.get() { "Resetting…" } else { "Reset password" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
