//! The password inputs shared by every form that sets one: the two fields,
//! Generate with Copy, and the live checklist.

use crate::components::{FormState, PasswordChecklist, TextField};
use crate::model::accounts::fields;
use crate::model::{ApiError, PasswordOwner, PasswordPolicy};
use leptos::prelude::*;

#[component]
pub fn PasswordInputs(
    policy: PasswordPolicy,
    password: RwSignal<String>,
    password_confirm: RwSignal<String>,
    #[prop(into)] username: Signal<String>,
    #[prop(into)] email: Signal<String>,
    form: FormState,
    #[prop(default = "Assign password")] label: &'static str,
    /// Offer Generate password (administrators handing a password over).
    #[prop(default = true)]
    generate: bool,
) -> impl IntoView {
    let generated = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<&'static str>);
    let on_generate = {
        let policy = policy.clone();
        move |_| {
            let (user, mail) = (username.get_untracked(), email.get_untracked());
            let owner = PasswordOwner {
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
                None => form.errors.set(vec![ApiError::validation(
                    fields::PASSWORD,
                    "This browser cannot generate a secure password. Type one instead.",
                )]),
            }
        }
    };
    let copy = move |_| {
        if let Some(pw) = generated.get_untracked() {
            crate::components::copy_to_clipboard(
                pw,
                copied,
                "Could not copy: select the password and copy it by hand.",
            );
        }
    };
    view! {
        <TextField label=label id=fields::PASSWORD value=password error=form.error_for(fields::PASSWORD)
            input_type="password" autocomplete="new-password" />
        <TextField label="Re-type password" id=fields::PASSWORD_CONFIRM value=password_confirm
            error=form.error_for(fields::PASSWORD_CONFIRM) input_type="password" autocomplete="new-password" />
        {generate.then(|| view! {
            <div class="generate">
                <button type="button" class="secondary" on:click=on_generate>"Generate password"</button>
            </div>
        })}
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
    }
}

/// A password from the browser's CSPRNG; `None` if it is unavailable (never
/// a weaker fallback).
#[cfg(target_arch = "wasm32")]
fn generate_in_browser(policy: &PasswordPolicy, owner: PasswordOwner<'_>) -> Option<String> {
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
fn generate_in_browser(_policy: &PasswordPolicy, _owner: PasswordOwner<'_>) -> Option<String> {
    None
}
