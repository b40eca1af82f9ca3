//! The pages anyone may open without signing in: "Forgot password?", and the
//! page behind an invitation or reset link.

use crate::api::invitations::{forgot_password, get_link_status, set_password_from_link};
use crate::components::{format_time, query_value, FormState, Loading, TextField};
use crate::model::invitations::{LinkInfo, LinkKind, LinkStatus, SetPasswordRequest};
use crate::model::{ApiError, NewPassword, PasswordOwner};
use crate::pages::users::password::PasswordInputs;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The public pages, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicPage {
    ForgotPassword,
    Link(LinkKind),
}

impl PublicPage {
    pub fn for_path(path: &str) -> Option<PublicPage> {
        match path.trim_end_matches('/') {
            "/forgot-password" => Some(PublicPage::ForgotPassword),
            "/invitation" => Some(PublicPage::Link(LinkKind::Invitation)),
            "/reset-password" => Some(PublicPage::Link(LinkKind::Reset)),
            _ => None,
        }
    }
}

#[component]
pub fn PublicPageView(page: PublicPage) -> impl IntoView {
    view! {
        <main class="login" id="main">
            <div class="login-card">
                <p class="brand">"Rollcall"</p>
                {match page {
                    PublicPage::ForgotPassword => view! { <ForgotPasswordPage /> }.into_any(),
                    PublicPage::Link(kind) => view! { <LinkPage kind=kind /> }.into_any(),
                }}
            </div>
        </main>
    }
}

/// "Forgot password?": the answer is the same whether or not the account
/// exists.
#[component]
fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let tenant = RwSignal::new(query.with_untracked(|q| q.get("tenant").unwrap_or_default()));
    let username = RwSignal::new(query.with_untracked(|q| q.get("username").unwrap_or_default()));
    let form = FormState::new();
    let busy = form.busy;
    let answer = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (t, u) = (tenant.get_untracked(), username.get_untracked());
        let mut errors = Vec::new();
        if t.trim().is_empty() {
            errors.push(ApiError::validation("tenant", "Enter your organisation."));
        }
        if u.trim().is_empty() {
            errors.push(ApiError::validation("username", "Enter your username."));
        }
        let checked = if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        };
        form.submit(
            checked,
            move || forgot_password(t, u),
            move |a| answer.set(Some(a.message)),
        );
    };
    view! {
        <h1>"Forgot password?"</h1>
        {move || match answer.get() {
            Some(message) => view! {
                <p class="notice" role="status">{message}</p>
                <p class="hint">"Check your inbox (and spam folder). Nothing arrived after a few minutes? Ask your administrator."</p>
                <p><A href="/">"Back to sign in"</A></p>
            }.into_any(),
            None => view! {
                <p class="hint">"Enter your organisation and username; we email the account a link to choose a new password."</p>
                {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <form on:submit=submit novalidate>
                    <TextField label="Organisation" id="tenant" value=tenant error=form.error_for("tenant")
                        autocomplete="organization" />
                    <TextField label="Username" id="username" value=username error=form.error_for("username")
                        autocomplete="username" />
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Sending…" } else { "Send reset link" }}
                    </button>
                </form>
                <p><A href="/">"Back to sign in"</A></p>
            }.into_any(),
        }}
    }
}

/// The page behind a link: the token is in the address's fragment, which
/// is removed from the address bar (and history) once read. A second link
/// pasted into the same tab (only the fragment changes) is read as well.
#[component]
fn LinkPage(kind: LinkKind) -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let read = move || location.hash.get().trim_start_matches('#').to_owned();
    let token = RwSignal::new(
        location
            .hash
            .with_untracked(|h| h.trim_start_matches('#').to_owned()),
    );
    Effect::new(move |_| {
        let fresh = read();
        if fresh.is_empty() {
            return;
        }
        if fresh != token.get_untracked() {
            token.set(fresh);
        }
        navigate(
            &location.pathname.get_untracked(),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let status = LocalResource::new(move || get_link_status(token.get().into()));
    let noun = match kind {
        LinkKind::Invitation => "invitation",
        LinkKind::Reset => "reset link",
    };
    move || {
        match status.get() {
        None => view! { <Loading what=noun /> }.into_any(),
        Some(Err(e)) => view! {
            <h1>"Something went wrong"</h1>
            <p class="form-error" role="alert">{e.message}</p>
            <button type="button" class="secondary" on:click=move |_| status.refetch()>"Try again"</button>
        }
        .into_any(),
        Some(Ok(LinkStatus::Unknown)) => view! {
            <h1>"This link is not valid"</h1>
            <p>"Check that you opened the whole link from the email. Links are long; some mail programs break them across lines."</p>
            <p><A href="/forgot-password">"Ask for a new reset link"</A>" · "<A href="/">"Sign in"</A></p>
        }
        .into_any(),
        Some(Ok(LinkStatus::Closed(closed))) => {
            let (title, what) = closed.explain();
            let forgot = format!("/forgot-password?tenant={}", query_value(&closed.tenant_slug));
            view! {
                <h1>{title}</h1>
                <p role="status">{what}</p>
                <p class="hint">{format!("Since {}.", format_time(closed.at))}</p>
                <p><A href="/">"Sign in"</A>" · "<A href=forgot>"Forgot password?"</A></p>
            }
            .into_any()
        }
        Some(Ok(LinkStatus::Valid(info))) => {
            view! { <SetPasswordForm info=info token=token.get_untracked() /> }.into_any()
        }
    }
    }
}

#[component]
fn SetPasswordForm(info: LinkInfo, token: String) -> impl IntoView {
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    let username = RwSignal::new(info.username.clone());
    let email = RwSignal::new(info.email.clone());
    let form = FormState::new();
    let busy = form.busy;
    let policy = info.policy.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SetPasswordRequest {
            token: token.clone().into(),
            new_password: NewPassword::new(
                password.get_untracked(),
                password_confirm.get_untracked(),
            ),
        };
        let (u, m) = (username.get_untracked(), email.get_untracked());
        let checked = request.validate(
            &policy,
            PasswordOwner {
                username: &u,
                email: &m,
            },
        );
        let navigate = navigate.clone();
        form.submit(
            checked,
            move || set_password_from_link(request),
            move |done| {
                password.set(String::new());
                password_confirm.set(String::new());
                navigate(
                    &format!(
                        "/?tenant={}&username={}&password_set=1",
                        query_value(&done.tenant_slug),
                        query_value(&done.username)
                    ),
                    Default::default(),
                );
            },
        );
    };
    let (heading, intro) = match info.kind {
        LinkKind::Invitation => (
            format!("Welcome to {}", info.tenant_name),
            "Choose your password. You will sign in with it next.",
        ),
        LinkKind::Reset => (
            "Choose a new password".to_owned(),
            "Your old password stops working, and any open sessions are signed out.",
        ),
    };
    view! {
        <h1>{heading}</h1>
        <p class="hint">{intro}</p>
        <dl class="facts">
            <dt>"Organisation"</dt><dd>{format!("{} ({})", info.tenant_name, info.tenant_slug)}</dd>
            <dt>"Username"</dt><dd>{info.username.clone()}</dd>
            <dt>"Link works until"</dt><dd>{format_time(info.expires_at)}</dd>
        </dl>
        <form on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <PasswordInputs policy=info.policy.clone() password=password password_confirm=password_confirm
                username=username email=email form=form label="New password" generate=false />
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { "Saving…" } else { "Set password" }}
            </button>
        </form>
    }
}
