use crate::api::accounts::{delete_account, get_account, update_account};
use crate::auth::Auth;
use crate::components::{
    format_time, ConfirmDialog, ErrorState, FormState, Loading, SelectField, TextField,
};
use crate::model::accounts::fields;
use crate::model::{AccountId, AccountSummary, ApiError, UpdateAccountRequest};
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
    let account = LocalResource::new(move || {
        let id = id();
        async move {
            match id {
                Some(id) => get_account(id).await,
                None => Err(ApiError::not_found("account")),
            }
        }
    });
    move || match account.get() {
        None => view! { <Loading what="the account" /> }.into_any(),
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            view! {
                <h1>"Account"</h1>
                <ErrorState message=message retry=move || account.refetch() />
                <A href="/accounts">"Back to accounts"</A>
            }
            .into_any()
        }
        Some(Ok(a)) => view! { <EditAccountForm account=a /> }.into_any(),
    }
}

#[component]
fn EditAccountForm(account: AccountSummary) -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let is_me = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.account_id))
        == Some(account.id);
    let first_name = RwSignal::new(account.first_name.clone());
    let last_name = RwSignal::new(account.last_name.clone());
    let email = RwSignal::new(account.email.clone());
    let role = RwSignal::new(account.role.as_str().to_owned());
    let status = RwSignal::new(account.status.as_str().to_owned());
    let username_value = RwSignal::new(account.username.clone());
    let form = FormState::new();
    let busy = form.busy;
    let error_for = move |name: &'static str| form.error_for(name);
    let form_error = move || form.form_error();

    let id = account.id;
    let submit = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = UpdateAccountRequest {
                id,
                first_name: first_name.get_untracked(),
                last_name: last_name.get_untracked(),
                email: email.get_untracked(),
                role: role.get_untracked(),
                status: status.get_untracked(),
            };
            let checked = request.validate().map(|_| ());
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
    let username = account.username.clone();
    let confirm_delete = move || {
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
    };
    let role_label = account.role.label().to_lowercase();

    view! {
        <div class="page-head">
            <h1>{format!("Account {}", account.username)}</h1>
        </div>
        <p class="lede">{format!("Created {}.", format_time(account.created_at))}</p>
        <form class="panel form" on:submit=submit novalidate>
            {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="field">
                <label for="username">"Username"</label>
                <p class="hint" id="username-hint">"A username cannot be changed."</p>
                <input id="username" readonly aria-describedby="username-hint" bind:value=username_value />
            </div>
            <TextField label="First name" id=fields::FIRST_NAME value=first_name error=error_for(fields::FIRST_NAME) autocomplete="given-name" />
            <TextField label="Last name" id=fields::LAST_NAME value=last_name error=error_for(fields::LAST_NAME) autocomplete="family-name" />
            <TextField label="Email" id=fields::EMAIL value=email error=error_for(fields::EMAIL) input_type="email" autocomplete="email" />
            {if is_me {
                view! {
                    <p class="hint">"You cannot change your own role or status; another administrator can."</p>
                }.into_any()
            } else {
                view! {
                    <SelectField label="Role" id=fields::ROLE value=role error=error_for(fields::ROLE)
                        options=vec![("user", "User"), ("administrator", "Administrator")] />
                    <SelectField label="Status" id=fields::STATUS value=status error=error_for(fields::STATUS)
                        options=vec![("active", "Active"), ("inactive", "Inactive (cannot sign in; signed out at once)")] />
                }.into_any()
            }}
            <div class="actions">
                <A href="/accounts" attr:class="button secondary">"Cancel"</A>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save changes" }}
                </button>
            </div>
        </form>
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
            title=format!("Delete {}?", account.username)
            message=format!(
                "Delete the account {} ({})? They are signed out at once. This cannot be undone.",
                account.username,
                account.display_name(),
            )
            confirm_label=format!("Delete {}", account.username)
            busy=deleting
            error=delete_error
            on_confirm=confirm_delete
        />
    }
}
