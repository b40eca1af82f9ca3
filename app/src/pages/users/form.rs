use crate::api::accounts::create_account;
use crate::auth::Auth;
use crate::components::{FormState, PasswordChecklist, SelectField, TextField};
use crate::model::accounts::fields;
use crate::model::{CreateAccountRequest, PasswordPolicy};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn CreateAccountPage() -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    // "Create administrator" / "Create user" links preselect the role.
    let preset = use_query_map().with_untracked(|q| q.get("role"));
    let role = RwSignal::new(match preset.as_deref() {
        Some("administrator") => "administrator".to_owned(),
        _ => "user".to_owned(),
    });
    let is_admin_role = move || role.with(|r| r == "administrator");
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let policy = PasswordPolicy::default();
    let generated = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<&'static str>);
    let generate = {
        let policy = policy.clone();
        move |_| {
            let (user, mail) = (username.get_untracked(), email.get_untracked());
            let owner = crate::model::PasswordOwner {
                username: user.trim(),
                email: mail.trim(),
            };
            match generate_in_browser(&policy, owner) {
                Some(pw) => {
                    password.set(pw.clone());
                    password_confirm.set(pw.clone());
                    generated.set(Some(pw));
                    copied.set(None);
                }
                None => form.errors.set(vec![crate::model::ApiError::validation(
                    fields::PASSWORD,
                    "This browser cannot generate a secure password. Type one instead.",
                )]),
            }
        }
    };
    let copy = move |_| {
        if let Some(pw) = generated.get_untracked() {
            copy_to_clipboard(pw, copied);
        }
    };
    let error_for = move |name: &'static str| form.error_for(name);
    let form_error = move || form.form_error();

    let submit = {
        let policy = policy.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = CreateAccountRequest {
                username: username.get_untracked(),
                first_name: first_name.get_untracked(),
                last_name: last_name.get_untracked(),
                email: email.get_untracked(),
                role: role.get_untracked(),
                password: password.get_untracked(),
                password_confirm: password_confirm.get_untracked(),
            };
            // The same rules the server enforces, all at once.
            let checked = request.validate(&policy).map(|_| ());
            let navigate = navigate.clone();
            form.submit(
                checked,
                move || create_account(request),
                move |created| {
                    auth.flash
                        .set(Some(format!("Account {} created.", created.username)));
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
            {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <fieldset>
                <legend>"Identity"</legend>
                <TextField label="Username" id=fields::USERNAME value=username error=error_for(fields::USERNAME)
                    hint="Letters, digits and . _ - @. It cannot be changed later." />
                <TextField label="First name" id=fields::FIRST_NAME value=first_name error=error_for(fields::FIRST_NAME) autocomplete="given-name" />
                <TextField label="Last name" id=fields::LAST_NAME value=last_name error=error_for(fields::LAST_NAME) autocomplete="family-name" />
                <TextField label="Email" id=fields::EMAIL value=email error=error_for(fields::EMAIL) input_type="email" autocomplete="email" />
                <SelectField label="Role" id=fields::ROLE value=role error=error_for(fields::ROLE)
                    options=vec![("user", "User"), ("administrator", "Administrator")] />
            </fieldset>
            <fieldset>
                <legend>"Password"</legend>
                <TextField label="Assign password" id=fields::PASSWORD value=password error=error_for(fields::PASSWORD)
                    input_type="password" autocomplete="new-password" />
                <TextField label="Re-type password" id=fields::PASSWORD_CONFIRM value=password_confirm
                    error=error_for(fields::PASSWORD_CONFIRM) input_type="password" autocomplete="new-password" />
                <div class="generate">
                    <button type="button" class="secondary" on:click=generate>"Generate password"</button>
                </div>
                {move || generated.get().map(|pw| view! {
                    <div class="generated">
                        <label for="generated-password">"Generated password"</label>
                        <div class="generated-row">
                            <input id="generated-password" readonly aria-describedby="generated-hint" prop:value=pw />
                            <button type="button" class="secondary small" on:click=copy>"Copy"</button>
                        </div>
                        <p class="hint" id="generated-hint">
                            "Save it now to give to the account owner: it is shown only here."
                        </p>
                        <p class="hint" aria-live="polite">{move || copied.get()}</p>
                    </div>
                })}
                <PasswordChecklist policy=policy password=password username=username email=email />
            </fieldset>
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

/// A password from the browser's CSPRNG; `None` if it is unavailable (never
/// a weaker fallback).
#[cfg(target_arch = "wasm32")]
fn generate_in_browser(
    policy: &crate::model::PasswordPolicy,
    owner: crate::model::PasswordOwner<'_>,
) -> Option<String> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut failed = false;
    let password = policy.generate(owner, |buf| {
        if crypto.get_random_values_with_u8_array(buf).is_err() {
            failed = true;
        }
    })?;
    (!failed).then_some(password)
}

#[cfg(not(target_arch = "wasm32"))]
fn generate_in_browser(
    _policy: &crate::model::PasswordPolicy,
    _owner: crate::model::PasswordOwner<'_>,
) -> Option<String> {
    None
}

#[cfg(target_arch = "wasm32")]
fn copy_to_clipboard(text: String, copied: RwSignal<Option<&'static str>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(&text);
    leptos::task::spawn_local(async move {
        let outcome = wasm_bindgen_futures::JsFuture::from(promise).await;
        copied.set(Some(match outcome {
            Ok(_) => "Copied to the clipboard.",
            Err(_) => "Could not copy: select the password and copy it by hand.",
        }));
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn copy_to_clipboard(_text: String, _copied: RwSignal<Option<&'static str>>) {}
