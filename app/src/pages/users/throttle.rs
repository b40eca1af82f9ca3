//! The account page's "Sign-in attempts" panel: where failed sign-ins are
//! slowing this account down, and a way to clear them.

use crate::api::accounts::clear_throttle;
use crate::auth::Auth;
use crate::components::format_time;
use crate::model::accounts::SignInThrottle;
use crate::model::AccountId;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn describe(t: &SignInThrottle) -> String {
    let place = match &t.address {
        Some(a) => format!("from {a}"),
        None => "from any address".to_owned(),
    };
    format!(
        "{} failed sign-ins {place}, the last at {}: the next attempt {place} waits until {}.",
        t.failures,
        format_time(t.last_failure_at),
        format_time(t.waits_until),
    )
}

/// Shown when the account page opens on an account with throttles (the
/// last hour).
#[component]
pub fn ThrottlePanel(
    id: AccountId,
    username: String,
    throttles: Vec<SignInThrottle>,
) -> impl IntoView {
    let auth = Auth::get();
    let shown = RwSignal::new(throttles);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let username = StoredValue::new(username);
    let clear = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match clear_throttle(id).await {
                Ok(_) => {
                    shown.set(Vec::new());
                    done.set(Some(format!(
                        "The failed sign-ins of {} were cleared: they can try again at once.",
                        username.get_value()
                    )));
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="throttle-heading">
            <h2 id="throttle-heading">"Sign-in attempts"</h2>
            {move || done.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {move || error.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            {move || (!shown.with(Vec::is_empty)).then(|| view! {
                <p>"Sign-in is being slowed down after failed attempts (never locked):"</p>
                <ul>
                    {shown.get().iter().map(|t| view! { <li>{describe(t)}</li> }).collect_view()}
                </ul>
                <p class="hint">"If these were the person's own mistakes, clear them so they can try again at once."</p>
                <button type="button" class="secondary" on:click=clear disabled=move || busy.get()>
                    {move || if busy.get() { "Clearing…" } else { "Clear failed sign-ins" }}
                </button>
            })}
        </section>
    }
}
