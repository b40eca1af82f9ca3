//! An account's invitation, as its administrator manages it.

use crate::api::invitations::{resend_invitation, revoke_invitation};
use crate::auth::Auth;
use crate::components::{format_time, ConfirmDialog};
use crate::model::invitations::{InvitationView, LinkState};
use crate::model::AccountId;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the panel says about the latest invitation.
pub fn describe(view: Option<&InvitationView>) -> String {
    let Some(v) = view else {
        return "No invitation was sent: this account has no password yet.".to_owned();
    };
    let by = v
        .sent_by
        .as_ref()
        .map(|n| format!(" by {n}"))
        .unwrap_or_default();
    let sent = format!("Sent {}{by}", format_time(v.sent_at));
    let ended = v.ended_at.map(format_time).unwrap_or_default();
    match v.state {
        LinkState::Pending => format!(
            "Pending. {sent}; the link works until {}.",
            format_time(v.expires_at)
        ),
        LinkState::Accepted => format!("Accepted {ended}: the password is set. {sent}."),
        LinkState::Expired => format!(
            "Expired {} without being used. {sent}.",
            format_time(v.expires_at)
        ),
        LinkState::Revoked => format!("Revoked {ended}. {sent}."),
        LinkState::Replaced => format!("Replaced by a newer invitation {ended}. {sent}."),
        LinkState::Superseded => {
            format!("Closed {ended}: the password was set another way. {sent}.")
        }
        LinkState::EmailChanged => {
            format!("Closed {ended}: the email address changed after it was sent. {sent}.")
        }
        LinkState::AccountDeactivated => {
            format!("Closed {ended}: the account was deactivated. {sent}.")
        }
        LinkState::TypeChanged => format!(
            "Closed {ended}: the account no longer signs in with a Rollcall password. {sent}."
        ),
    }
}

#[component]
pub fn InvitationPanel(
    id: AccountId,
    username: String,
    email: String,
    invitation: Option<InvitationView>,
    /// The account has no password yet and may be invited (active, local).
    can_invite: bool,
) -> impl IntoView {
    let auth = Auth::get();
    let current = RwSignal::new(invitation);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let pending = move || current.with(|c| c.as_ref().map(|v| v.state) == Some(LinkState::Pending));
    let resend = {
        let email = email.clone();
        move |_| {
            busy.set(true);
            error.set(None);
            done.set(None);
            let email = email.clone();
            spawn_local(async move {
                match resend_invitation(id).await {
                    Ok(v) => {
                        current.set(Some(v));
                        done.set(Some(format!("A new invitation was emailed to {email}. Earlier links no longer work.")));
                    }
                    Err(e) => error.set(Some(auth.message_for(&e))),
                }
                busy.set(false);
            });
        }
    };
    let dialog_open = RwSignal::new(false);
    let revoke_error = RwSignal::new(None::<String>);
    let confirm_revoke = move || {
        busy.set(true);
        spawn_local(async move {
            match revoke_invitation(id).await {
                Ok(v) => {
                    current.set(Some(v));
                    dialog_open.set(false);
                    done.set(Some(
                        "The invitation was revoked: its link no longer works.".into(),
                    ));
                }
                Err(e) => revoke_error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="invitation-heading">
            <h2 id="invitation-heading">"Invitation"</h2>
            <p>{move || current.with(|c| describe(c.as_ref()))}</p>
            {move || error.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            {move || done.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <div class="actions">
                {can_invite.then(|| view! {
                    <button type="button" class="secondary" on:click=resend.clone() disabled=move || busy.get()>
                        {move || if current.with(Option::is_some) { "Resend invitation" } else { "Send invitation" }}
                    </button>
                })}
                <Show when=pending>
                    <button type="button" class="danger" disabled=move || busy.get()
                        on:click=move |_| { revoke_error.set(None); dialog_open.set(true); }>
                        "Revoke invitation"
                    </button>
                </Show>
            </div>
        </section>
        <ConfirmDialog
            open=dialog_open
            title=format!("Revoke the invitation of {username}?")
            message="The link in the email stops working at once. You can send a new invitation later.".to_owned()
            confirm_label="Revoke invitation".to_owned()
            busy=busy
            error=revoke_error
            on_confirm=confirm_revoke
        />
    }
}
