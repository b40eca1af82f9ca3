use crate::api::sessions::login;
use crate::auth::Auth;
use crate::components::{query_value, TextField};
use crate::device;
use crate::model::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = Auth::get();
    // Filled in from the address (the organisation's sign-in link
    // `/?org=acme`, or after a password was set from a link), else from
    // what this device remembers.
    let query = use_query_map();
    let kept = device::recall();
    let from_query = |names: &[&str]| {
        query.with_untracked(|q| {
            names
                .iter()
                .find_map(|n| q.get(n).filter(|v| !v.trim().is_empty()))
        })
    };
    // The remembered username only goes with the remembered organisation:
    // a link to another organisation does not show it.
    let (org, remembered_username) = match from_query(&["org", "tenant"]) {
        Some(org) if org.trim() != kept.org => (org, String::new()),
        Some(org) => (org, kept.username),
        None => (kept.org, kept.username),
    };
    let tenant = RwSignal::new(org);
    let username = RwSignal::new(from_query(&["username"]).unwrap_or(remembered_username));
    let remember_me = RwSignal::new(kept.remember_me);
    if query.with_untracked(|q| q.get("password_set").is_some()) {
        auth.flash
            .set(Some("Your password is set. Sign in with it now.".into()));
    }
    let forgot_href = move || {
        let (t, u) = (tenant.get(), username.get());
        if t.trim().is_empty() && u.trim().is_empty() {
            "/forgot-password".to_owned()
        } else {
            format!(
                "/forgot-password?tenant={}&username={}",
                query_value(t.trim()),
                query_value(u.trim())
            )
        }
    };
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let field_error = move |name: &'static str| {
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.for_field(name))))
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        auth.flash.set(None);
        let (t, u, p) = (
            tenant.get_untracked(),
            username.get_untracked(),
            password.get_untracked(),
        );
        let remember = remember_me.get_untracked();
        // The signed-in frame's module is fetched while the server checks the
        // password, so a successful sign-in shows it without a wait.
        spawn_local(async move {
            let _ = crate::app::preload_frame().await;
        });
        spawn_local(async move {
            match login(t, u, p.into()).await {
                Ok(session) => {
                    password.set(String::new());
                    device::keep(&session.tenant_slug, &session.username, remember);
                    // The focused button goes away: focus the page that
                    // replaces it.
                    crate::components::focus_main_heading();
                    auth.session.set(Some(session));
                }
                Err(e) => {
                    password.set(String::new());
                    error.set(Some(e));
                    crate::components::focus_first_invalid();
                }
            }
            busy.set(false);
        });
    };

    view! {
        <main class="login" id="main">
            <div class="login-card">
                <h1 class="brand">"Rollcall"</h1>
                <h2>"Sign in"</h2>
                {move || auth.flash.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
                {move || {
                    error
                        .get()
                        .filter(|e| e.field.is_none())
                        .map(|e| view! { <p class="form-error" role="alert">{e.message}</p> })
                }}
                <form on:submit=submit novalidate>
                    <TextField
                        label="Organisation"
                        id="tenant"
                        value=tenant
                        error=field_error("tenant")
                        autocomplete="organization"
                        hint="Your organisation's short name, e.g. demo"
                    />
                    <TextField
                        label="Username"
                        id="username"
                        value=username
                        error=field_error("username")
                        autocomplete="username"
                    />
                    <TextField
                        label="Password"
                        id="password"
                        value=password
                        error=field_error("password")
                        input_type="password"
                        autocomplete="current-password"
                    />
                    // Plain markup rather than CheckboxField: the sign-in
                    // page's module stays small (issue #17).
                    <div class="field checkbox">
                        <label for="remember">
                            <input type="checkbox" id="remember" name="remember" bind:checked=remember_me aria-describedby="remember-hint" />
                            "Remember me on this device"
                        </label>
                        <p class="hint" id="remember-hint">"Your organisation is always remembered here. Untick on a shared computer so your username is not."</p>
                    </div>
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <p class="aside"><A href=forgot_href>"Forgot password?"</A></p>
            </div>
        </main>
    }
}

/// The full page shown when the session was ended by someone or something
/// else (issue #15): the reason in words, and a way back to sign-in with
/// the organisation and username filled in.
#[component]
pub fn SessionEndedPage() -> impl IntoView {
    let auth = Auth::get();
    let navigate = leptos_router::hooks::use_navigate();
    let notice = auth.notice.get_untracked();
    let message = notice
        .as_ref()
        .map(|n| n.message.clone())
        .unwrap_or_default();
    let again = move |_| {
        let target = match auth.notice.get_untracked() {
            Some(n) if !n.tenant.is_empty() => format!(
                "/?tenant={}&username={}",
                query_value(&n.tenant),
                query_value(&n.username)
            ),
            _ => "/".to_owned(),
        };
        auth.notice.set(None);
        navigate(&target, Default::default());
    };
    view! {
        <main class="login" id="main">
            <div class="login-card">
                <h1 class="brand">"Rollcall"</h1>
                <h2 id="ended-heading">"You have been signed out"</h2>
                <p class="notice" role="alert">{message}</p>
                <button type="button" class="primary" autofocus on:click=again>"Sign in again"</button>
            </div>
        </main>
    }
}
