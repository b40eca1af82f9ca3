use crate::model::{PasswordOwner, PasswordPolicy};
use leptos::prelude::*;

/// Each policy rule, met or not, updated as the password is typed. The same
/// validator runs on the server.
#[component]
pub fn PasswordChecklist(
    policy: PasswordPolicy,
    password: RwSignal<String>,
    username: RwSignal<String>,
    email: RwSignal<String>,
) -> impl IntoView {
    let items = move || {
        let (pw, user, mail) = (password.get(), username.get(), email.get());
        policy
            .checklist(
                &pw,
                PasswordOwner {
                    username: user.trim(),
                    email: mail.trim(),
                },
            )
            .into_iter()
            .map(|(rule, met)| {
                let state = if met { "met" } else { "unmet" };
                view! {
                    <li class=state>
                        <span class="mark" aria-hidden="true">{if met { "✓" } else { "•" }}</span>
                        {rule.describe()}
                        <span class="visually-hidden">{if met { " (met)" } else { " (not met yet)" }}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="checklist" aria-live="polite">
            <p id="password-rules-title">"The password needs:"</p>
            <ul aria-labelledby="password-rules-title">{items}</ul>
        </div>
    }
}
