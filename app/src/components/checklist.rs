use crate::model::{PasswordOwner, PasswordPolicy};
use leptos::prelude::*;

/// Each policy rule, met or not, updated as the password is typed. The same
/// validator runs on the server. When the policy rejects common passwords
/// the list is fetched once (`/common-passwords.txt`) rather than shipped in
/// the initial download.
#[component]
pub fn PasswordChecklist(
    policy: PasswordPolicy,
    #[prop(into)] password: Signal<String>,
    #[prop(into)] username: Signal<String>,
    #[prop(into)] email: Signal<String>,
) -> impl IntoView {
    let list_ready = RwSignal::new(crate::model::common_passwords().is_some());
    if policy.reject_common && !list_ready.get_untracked() {
        load_common_passwords(list_ready);
    }
    let items = move || {
        list_ready.track();
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

#[cfg(target_arch = "wasm32")]
fn load_common_passwords(ready: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    leptos::task::spawn_local(async move {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(response) = JsFuture::from(window.fetch_with_str("/common-passwords.txt")).await
        else {
            return; // The server still checks; the rule shows as met meanwhile.
        };
        let Ok(response) = response.dyn_into::<web_sys::Response>() else {
            return;
        };
        if !response.ok() {
            return;
        }
        let Ok(text) = response.text() else {
            return;
        };
        if let Ok(text) = JsFuture::from(text).await {
            if let Some(text) = text.as_string() {
                crate::model::install_common_passwords(&text);
                ready.set(true);
            }
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn load_common_passwords(_ready: RwSignal<bool>) {}
