use crate::api::sessions::current_session;
use crate::auth::Auth;
use crate::components::Loading;
use crate::pages::links::{PublicPage, PublicPageView};
use crate::pages::login::{LoginPage, SessionEndedPage};
use crate::pages::shell::Shell;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Router;
use leptos_router::hooks::use_location;

/// The whole single-page app.
#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::new();
    provide_context(auth);
    let checked = RwSignal::new(false);
    spawn_local(async move {
        match current_session().await {
            Ok(session) => auth.session.set(session),
            // The session this browser had was ended by someone else.
            Err(e) if e.code == crate::model::ErrorCode::Unauthenticated => auth.session_ended(&e),
            Err(e) => auth.flash.set(Some(e.message)),
        }
        checked.set(true);
    });
    view! {
        <Router set_is_routing=auth.routing.write_only()>
            <Root checked=checked />
        </Router>
    }
}

/// The public pages (forgot password, invitation and reset links) whoever
/// opens them; otherwise sign-in, the restricted frame, or the app.
#[component]
fn Root(checked: RwSignal<bool>) -> impl IntoView {
    let auth = Auth::get();
    let location = use_location();
    let public = Memo::new(move |_| location.pathname.with(|p| PublicPage::for_path(p)));
    let signed_in = Memo::new(move |_| auth.session.with(Option::is_some));
    let restricted = Memo::new(move |_| {
        auth.session
            .with(|s| s.as_ref().is_some_and(|s| s.password_change_required))
    });
    view! {
            {move || {
                if let Some(page) = public.get() {
                    view! { <PublicPageView page=page /> }.into_any()
                } else if !checked.get() {
                    view! { <main id="main"><Loading what="Rollcall" /></main> }.into_any()
                } else if restricted.get() {
                    view! { <Shell restricted=true /> }.into_any()
                } else if signed_in.get() {
                    view! { <Shell /> }.into_any()
                } else if auth.notice.with(Option::is_some) {
                    view! { <SessionEndedPage /> }.into_any()
                } else {
                    view! { <LoginPage /> }.into_any()
                }
            }}
    }
}
