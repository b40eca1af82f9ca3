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

/// What someone sees when a part of the app kept in its own module (a
/// screen, the signed-in frame, the link pages) could not be fetched.
#[component]
pub fn ScreenNotLoaded() -> impl IntoView {
    view! {
        <div class="state error" role="alert">
            <p>"This page could not be loaded. Check your connection, then try again."</p>
            <button type="button" class="secondary" on:click=|_| reload_app()>"Try again"</button>
        </div>
    }
}

#[cfg(target_arch = "wasm32")]
fn reload_app() {
    let _ = window().location().reload();
}

#[cfg(not(target_arch = "wasm32"))]
fn reload_app() {}
