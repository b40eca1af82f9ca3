//! Changing one's own password: required after an administrator asked for
//! it or the rotation interval passed, or by choice from the menu; and
//! signing out on every device.

use crate::api::sessions::logout_everywhere;
use crate::api::settings::{change_password, get_password_policy};
use crate::auth::Auth;
use crate::components::{ConfirmDialog, ErrorState, FormState, Loading, TextField};
use crate::model::{ChangePasswordRequest, NewPassword, PasswordOwner, PasswordPolicy};
use crate::pages::users::password::PasswordInputs;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let auth = Auth::get();
    if auth
        .session
        .with_untracked(|s| s.as_ref().is_some_and(|s| s.directory_account))
    {
        return view! {
            <h1>"Change password"</h1>
            <p class="lede">"You sign in with your organisation's directory account, so your password is changed there, not in Rollcall: use your organisation's usual password tools (on a work computer: Ctrl+Alt+Del, Change a password) or ask your IT desk."</p>
            <SignOutEverywhere />
        }
        .into_any();
    }
    let policy = LocalResource::new(get_password_policy);
    (move || match policy.get() {
        None => view! { <Loading what="the password policy" /> }.into_any(),
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            view! {
                <h1>"Change password"</h1>
                <ErrorState message=message retry=move || policy.refetch() />
            }
            .into_any()
        }
        Some(Ok(p)) => view! { <ChangePasswordForm policy=p /> <SignOutEverywhere /> }.into_any(),
    })
    .into_any()
}

/// Ends every session of the signed-in person, this one included.
#[component]
fn SignOutEverywhere() -> impl IntoView {
    let auth = Auth::get();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = move || {
        busy.set(true);
        spawn_local(async move {
            match logout_everywhere().await {
                Ok(ended) => {
                    open.set(false);
                    auth.signed_out(format!(
                        "You signed out on every device ({ended} session{} ended).",
                        if ended == 1 { "" } else { "s" }
                    ));
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="everywhere-heading">
            <h2 id="everywhere-heading">"Sign out everywhere"</h2>
            <p>"Signs you out on every computer, phone and browser where you are signed in, this one included, and frees their seats. Use it if you left yourself signed in somewhere or think someone else is using your account."</p>
            <button type="button" class="secondary" on:click=move |_| { error.set(None); open.set(true); }>
                "Sign out everywhere"
            </button>
        </section>
        <ConfirmDialog
            open=open
            title="Sign out everywhere?"
            message="You will be signed out on every device, this one included, and need to sign in again."
            confirm_label="Sign out everywhere"
            busy=busy
            error=error
            on_confirm=confirm
        />
    }
}

#[component]
fn ChangePasswordForm(policy: PasswordPolicy) -> impl IntoView {
    let auth = Auth::get();
    let required = auth
        .session
        .with_untracked(|s| s.as_ref().is_some_and(|s| s.password_change_required));
    let username = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.username.clone()).unwrap_or_default());
    let username = RwSignal::new(username);
    // The email rule is checked on the server, which knows the address.
    let email = RwSignal::new(String::new());
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let submit = {
        let policy = policy.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = ChangePasswordRequest {
                current_password: current.get_untracked().into(),
                new_password: NewPassword::new(
                    password.get_untracked(),
                    password_confirm.get_untracked(),
                ),
            };
            let user = username.get_untracked();
            let checked = request.validate(
                &policy,
                PasswordOwner {
                    username: &user,
                    email: "",
                },
            );
            form.submit(
                checked,
                move || change_password(request),
                move |session| {
                    current.set(String::new());
                    password.set(String::new());
                    password_confirm.set(String::new());
                    auth.flash
                        .set(Some("Your password has been changed.".into()));
                    auth.session.set(Some(session));
                },
            );
        }
    };
    view! {
        <div class="page-head">
            <h1>{if required { "Set a new password" } else { "Change password" }}</h1>
        </div>
        {required.then(|| view! {
            <p class="notice warn" role="status">
                "You must set a new password before you continue. Your administrator asked for it, or your password is older than your organisation allows."
            </p>
        })}
        <form class="panel form" on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <TextField label="Current password" id="current_password" value=current
                error=form.error_for("current_password") input_type="password" autocomplete="current-password" />
            <PasswordInputs policy=policy password=password password_confirm=password_confirm
                username=username email=email form=form label="New password" generate=false />
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Set new password" }}
                </button>
            </div>
        </form>
    }
}
