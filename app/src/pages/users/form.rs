use super::fields::{AccessFields, AccountSignals, IdentityFields};
use super::password::PasswordInputs;
use crate::api::accounts::{create_account, get_account_form_options};
use crate::auth::Auth;
use crate::components::{CheckboxField, ErrorState, FormState, Loading, SelectField, TextField};
use crate::model::accounts::fields;
use crate::model::{AccountForm, AccountFormOptions, CreateAccountRequest, FormContext};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Create administrator / Create user.
#[component]
pub fn CreateAccountPage() -> impl IntoView {
    let auth = Auth::get();
    let options = LocalResource::new(get_account_form_options);
    move || match options.get() {
        None => view! { <Loading what="the account form" /> }.into_any(),
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            view! {
                <h1>"Create account"</h1>
                <ErrorState message=message retry=move || options.refetch() />
            }
            .into_any()
        }
        Some(Ok(o)) => view! { <CreateAccountForm options=o /> }.into_any(),
    }
}

#[component]
fn CreateAccountForm(options: AccountFormOptions) -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    // "Create administrator" / "Create user" links preselect the role.
    let preset = use_query_map().with_untracked(|q| q.get("role"));
    let s = AccountSignals::new(AccountForm {
        role: match preset.as_deref() {
            Some("administrator") => "administrator".to_owned(),
            _ => "user".to_owned(),
        },
        ..AccountForm::default()
    });
    let username = RwSignal::new(String::new());
    let account_type = RwSignal::new("local".to_owned());
    let local = Signal::derive(move || account_type.with(|t| t == "local"));
    let is_admin_role = move || s.role.with(|r| r == "administrator");
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    // Clockwork's "Clear Password": on by default.
    let invite = RwSignal::new(true);
    let invited = Signal::derive(move || local.get() && invite.get());
    let invitation_hours = options.settings.invitation_hours;
    let input_policy = StoredValue::new(options.settings.password_policy.clone());
    let form = FormState::new();
    let busy = form.busy;
    let policy = options.settings.password_policy.clone();
    let directory_enabled = options.settings.directory_signin_enabled;
    let clients_required = options.clients.iter().any(|c| !c.archived);
    let today = options.today;

    let submit = {
        let policy = policy.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let is_local = local.get_untracked();
            let sets_password = is_local && !invite.get_untracked();
            let request = CreateAccountRequest {
                invite: is_local && invite.get_untracked(),
                username: username.get_untracked(),
                account_type: account_type.get_untracked(),
                form: s.form(),
                password: if sets_password {
                    password.get_untracked()
                } else {
                    String::new()
                },
                password_confirm: if sets_password {
                    password_confirm.get_untracked()
                } else {
                    String::new()
                },
            };
            // The same rules the server enforces, all at once.
            let checked = request
                .validate(FormContext {
                    policy: &policy,
                    today,
                    clients_required,
                })
                .map(|_| ());
            let navigate = navigate.clone();
            form.submit(
                checked,
                move || create_account(request),
                move |created| {
                    auth.flash.set(Some(if created.invited {
                        format!(
                            "Account {} created. An invitation to choose a password was emailed to {}.",
                            created.username, created.email
                        )
                    } else {
                        format!("Account {} created.", created.username)
                    }));
                    navigate("/accounts", Default::default());
                },
            );
        }
    };

    view! {
        <div class="page-head">
            <h1>{move || if is_admin_role() { "Create administrator" } else { "Create user" }}</h1>
        </div>
        <form class="panel form" on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <fieldset>
                <legend>"Identity"</legend>
                {if directory_enabled {
                    view! {
                        <SelectField label="Account type" id=fields::ACCOUNT_TYPE value=account_type
                            error=form.error_for(fields::ACCOUNT_TYPE)
                            options=vec![("local", "Local account"), ("directory", "Active Directory domain account")] />
                    }.into_any()
                } else {
                    view! {
                        <p class="hint">"Account type: local account. Active Directory accounts are offered when directory sign-in is enabled in Settings."</p>
                    }.into_any()
                }}
                <TextField label="Username" id=fields::USERNAME value=username error=form.error_for(fields::USERNAME)
                    hint="Letters, digits and . _ - @. It cannot be changed later." />
                <IdentityFields s=s form=form read_only=false />
            </fieldset>
            <fieldset>
                <legend>"Access"</legend>
                <AccessFields s=s form=form options=options.clone() local=local invited=invited />
            </fieldset>
            <Show
                when=move || local.get()
                fallback=|| view! {
                    <p class="hint">"A directory account signs in with its domain password; Rollcall keeps none."</p>
                }
            >
                <fieldset>
                    <legend>"Password"</legend>
                    <CheckboxField label="Send an invitation instead of setting a password" id=fields::INVITE
                        checked=invite error=form.error_for(fields::INVITE)
                        hint=Signal::derive(move || format!(
                            "They get an email with a link to choose their own password. The link works once, for {} hours.",
                            invitation_hours
                        )) />
                    <Show when=move || !invite.get()>
                        <PasswordInputs policy=input_policy.get_value() password=password password_confirm=password_confirm
                            username=username email=s.email form=form />
                    </Show>
                </fieldset>
            </Show>
            <div class="actions">
                <A href="/accounts" attr:class="button secondary">"Cancel"</A>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || match (busy.get(), is_admin_role()) {
                        (true, _) => "Creating…",
                        (false, true) => "Create administrator",
                        (false, false) => "Create user",
                    }}
                </button>
            </div>
        </form>
    }
}
