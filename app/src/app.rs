use crate::api::sessions::current_session;
use crate::auth::Auth;
use crate::components::{Loading, ScreenNotLoaded};
use crate::pages::links::{PublicPage, PublicPageView};
use crate::pages::login::{LoginPage, SessionEndedPage};
use crate::pages::shell::Shell;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_split::SplitLoaderError;
use leptos_router::components::Router;
use leptos_router::hooks::use_location;
use send_wrapper::SendWrapper;
use std::future::Future;

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
                if public.get().is_some() {
                    split_view(public_module).into_any()
                } else if !checked.get() {
                    view! { <main id="main"><Loading what="Rollcall" /></main> }.into_any()
                } else if restricted.get() {
                    split_view(|| frame_module(true)).into_any()
                } else if signed_in.get() {
                    split_view(|| frame_module(false)).into_any()
                } else if auth.notice.with(Option::is_some) {
                    view! { <SessionEndedPage /> }.into_any()
                } else {
                    view! { <LoginPage /> }.into_any()
                }
            }}
    }
}

/// The view a split module builds, once the module has arrived: a loading
/// state until then, [`ScreenNotLoaded`] if it cannot be fetched.
fn split_view<F>(load: impl Fn() -> F + Send + Sync + 'static) -> impl IntoView
where
    F: Future<Output = Result<AnyView, SplitLoaderError>> + 'static,
{
    let fallback = || view! { <main id="main"><Loading what="Rollcall" /></main> };
    view! {
        <Suspense fallback=fallback>
            {move || {
                let pending = SendWrapper::new(load());
                Suspend::new(async move {
                    pending
                        .await
                        .unwrap_or_else(|_| view! { <main id="main"><ScreenNotLoaded /></main> }.into_any())
                })
            }}
        </Suspense>
    }
}

/// The signed-in frame (header, navigation, routes, heartbeat) in a module
/// of its own, so the sign-in page does not download it. The sign-in form
/// starts fetching it ([`preload_frame`]) when it is submitted.
#[::leptos::wasm_split::wasm_split(
    frame,
    wasm_split_path = ::leptos::wasm_split,
    preload(preload_frame),
    fallible
)]
pub(crate) fn frame_module(restricted: bool) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <Shell restricted=restricted /> }.into_any())
}

/// The public link pages ("Forgot password?", invitation and reset links)
/// in a module of their own; the page is read from the address.
#[::leptos::wasm_split::wasm_split(public_pages, wasm_split_path = ::leptos::wasm_split, fallible)]
fn public_module() -> Result<AnyView, SplitLoaderError> {
    let location = use_location();
    let page = location
        .pathname
        .with_untracked(|p| PublicPage::for_path(p))
        .unwrap_or(PublicPage::ForgotPassword);
    Ok(view! { <PublicPageView page=page /> }.into_any())
}
