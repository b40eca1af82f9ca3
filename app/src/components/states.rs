use leptos::prelude::*;

#[component]
pub fn Loading(what: &'static str) -> impl IntoView {
    view! { <p class="state loading" role="status">{format!("Loading {what}…")}</p> }
}

/// A failed load, with the message and a way to try again.
#[component]
pub fn ErrorState(message: String, retry: impl Fn() + 'static) -> impl IntoView {
    view! {
        <div class="state error" role="alert">
            <p>{message}</p>
            <button type="button" on:click=move |_| retry()>"Try again"</button>
        </div>
    }
}
