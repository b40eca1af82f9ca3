use super::access::account::AccountPermissionsPage;
use super::access::forms::{FormsPage, TenantDefaultsPage};
use super::access::groups::{GroupPermissionsPage, GroupsPage};
use super::audit::AuditPage;
use super::directory::DirectoryPage;
use super::home::{AdminOnly, HomePage, NotFoundPage};
use super::license::LicensePage;
use super::password::ChangePasswordPage;
use super::settings::{ClientsPage, SettingsPage};
use super::users::edit::EditAccountPage;
use super::users::form::CreateAccountPage;
use super::users::import::ImportAccountsPage;
use super::users::list::AccountsPage;
use crate::api::sessions::logout;
use crate::auth::Auth;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Routes, A};
use leptos_router::{path, Lazy, LazyRoute};

/// The signed-in frame: header, navigation, the routed page, the heartbeat.
/// A `restricted` session (must set a new password) gets only that page.
#[component]
pub fn Shell(#[prop(optional)] restricted: bool) -> impl IntoView {
    let auth = Auth::get();
    keep_seat_alive(auth);
    focus_heading_on_navigation(auth);
    let signing_out = RwSignal::new(false);
    let sign_out = move |_| {
        signing_out.set(true);
        spawn_local(async move {
            // Even if the request fails the seat is freed when its lease ends.
            let _ = logout().await;
            auth.signed_out("You have signed out.");
        });
    };
    let name = move || auth.session.with(|s| s.as_ref().map(|s| s.display_name()));
    let tenant = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| s.tenant_name.clone()))
    };
    let is_admin = move || auth.is_admin();

    view! {
        // rel="external" keeps the router out of it: focus moves to the
        // content without a navigation.
        <a class="skip-link" href="#main" rel="external" on:click=skip_to_content>"Skip to content"</a>
        <header class="topbar">
            <span class="brand">"Rollcall"</span>
            <span class="tenant">{tenant}</span>
            <nav aria-label="Main">
                <Show when=move || !restricted>
                    <A href="/" exact=true>"Home"</A>
                    <Show when=is_admin>
                        <A href="/accounts">"Accounts"</A>
                        <A href="/groups">"Groups"</A>
                        <A href="/forms">"Forms"</A>
                        <A href="/clients">"Clients"</A>
                        <A href="/settings">"Settings"</A>
                        <A href="/license">"License"</A>
                        <A href="/audit">"Audit"</A>
                    </Show>
                </Show>
            </nav>
            <div class="me">
                <span class="who">{name}</span>
                // Directory accounts change their password in the directory;
                // the page still offers them "Sign out everywhere".
                {move || (!restricted).then(|| {
                    let directory = auth.session.with(|s| s.as_ref().is_some_and(|s| s.directory_account));
                    view! { <A href="/password">{if directory { "Sign-in sessions" } else { "Change password" }}</A> }
                })}
                <button type="button" class="secondary" on:click=sign_out disabled=move || signing_out.get()>
                    "Sign out"
                </button>
            </div>
        </header>
        <p class="routing" role="status" hidden=move || !auth.routing.get()>"Opening the page…"</p>
        <main id="main" tabindex="-1">
            {move || auth.flash.get().map(|m| view! {
                <p class="notice" role="status">
                    {m}
                    <button type="button" class="link" aria-label="Dismiss message" on:click=move |_| auth.flash.set(None)>"×"</button>
                </p>
            })}
            {if restricted {
                view! { <ChangePasswordPage /> }.into_any()
            } else {
                view! { <AppRoutes /> }.into_any()
            }}
        </main>
    }
}

/// One lazily loaded screen: in the release build the code of its `area`
/// is a separate WebAssembly module, fetched the first time one of the
/// area's routes opens, so that sign-in and the frame do not wait for it.
/// One module per area rather than per screen: fewer requests, and code the
/// area's screens share is fetched once. `admin` screens show
/// [`AdminOnly`] to other roles. A module that cannot be fetched (the
/// network dropped) shows [`crate::components::ScreenNotLoaded`] instead of
/// stopping the app; the next attempt fetches it afresh.
macro_rules! lazy_route {
    (@view admin $page:ident) => { view! { <AdminOnly><$page /></AdminOnly> } };
    (@view anyone $page:ident) => { view! { <$page /> } };
    ($($who:ident $route:ident, $area:ident / $module:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[::leptos::wasm_split::wasm_split(
            $area,
            wasm_split_path = ::leptos::wasm_split,
            fallible
        )]
        fn $module() -> Result<AnyView, ::leptos::wasm_split::SplitLoaderError> {
            Ok(lazy_route!(@view $who $page).into_any())
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                $module()
                    .await
                    .unwrap_or_else(|_| view! { <crate::components::ScreenNotLoaded /> }.into_any())
            }
        }
    )*};
}

lazy_route! {
    anyone PasswordRoute, password / password_screen => ChangePasswordPage,
    admin AccountsRoute, accounts / accounts_screen => AccountsPage,
    admin CreateAccountRoute, accounts / create_account_screen => CreateAccountPage,
    admin ImportAccountsRoute, accounts / import_accounts_screen => ImportAccountsPage,
    admin EditAccountRoute, accounts / edit_account_screen => EditAccountPage,
    admin AccountPermissionsRoute, accounts / account_permissions_screen => AccountPermissionsPage,
    admin GroupsRoute, access / groups_screen => GroupsPage,
    admin GroupPermissionsRoute, access / group_permissions_screen => GroupPermissionsPage,
    admin FormsRoute, access / forms_screen => FormsPage,
    admin TenantDefaultsRoute, access / tenant_defaults_screen => TenantDefaultsPage,
    admin LicenseRoute, license / license_screen => LicensePage,
    admin AuditRoute, audit / audit_screen => AuditPage,
    admin ClientsRoute, settings / clients_screen => ClientsPage,
    admin SettingsRoute, settings / settings_screen => SettingsPage,
    admin DirectoryRoute, settings / directory_screen => DirectoryPage,
}

#[component]
fn AppRoutes() -> impl IntoView {
    view! {
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/accounts") view={Lazy::<AccountsRoute>::new()} />
                <Route path=path!("/accounts/new") view={Lazy::<CreateAccountRoute>::new()} />
                <Route path=path!("/accounts/import") view={Lazy::<ImportAccountsRoute>::new()} />
                <Route path=path!("/accounts/:id") view={Lazy::<EditAccountRoute>::new()} />
                <Route path=path!("/accounts/:id/permissions") view={Lazy::<AccountPermissionsRoute>::new()} />
                <Route path=path!("/groups") view={Lazy::<GroupsRoute>::new()} />
                <Route path=path!("/groups/:id") view={Lazy::<GroupPermissionsRoute>::new()} />
                <Route path=path!("/forms") view={Lazy::<FormsRoute>::new()} />
                <Route path=path!("/forms/defaults") view={Lazy::<TenantDefaultsRoute>::new()} />
                <Route path=path!("/license") view={Lazy::<LicenseRoute>::new()} />
                <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} />
                <Route path=path!("/clients") view={Lazy::<ClientsRoute>::new()} />
                <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()} />
                <Route path=path!("/settings/directory") view={Lazy::<DirectoryRoute>::new()} />
                <Route path=path!("/password") view={Lazy::<PasswordRoute>::new()} />
            </Routes>
    }
}

/// Sends a heartbeat every `heartbeat_seconds` while the app is open, so the
/// seat stays held; a closed tab stops it and the lease runs out.
#[cfg(target_arch = "wasm32")]
fn keep_seat_alive(auth: Auth) {
    use crate::api::sessions::heartbeat;
    use crate::model::ErrorCode;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let alive = Arc::new(AtomicBool::new(true));
    // Keyboard or pointer input since the last beat: the person is using the
    // app (idle time for the seat rules counts from that, not the beat).
    let used = std::rc::Rc::new(std::cell::Cell::new(false));
    let on_input = {
        let used = used.clone();
        wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || used.set(true))
    };
    const INPUT: [&str; 3] = ["keydown", "pointerdown", "wheel"];
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(d) = &document {
        use wasm_bindgen::JsCast;
        for kind in INPUT {
            let _ = d.add_event_listener_with_callback(kind, on_input.as_ref().unchecked_ref());
        }
    }
    let on_input = StoredValue::new_local(on_input);
    on_cleanup({
        let alive = alive.clone();
        move || {
            alive.store(false, Ordering::Relaxed);
            on_input.with_value(|f| {
                use wasm_bindgen::JsCast;
                if let Some(d) = web_sys::window().and_then(|w| w.document()) {
                    for kind in INPUT {
                        let _ =
                            d.remove_event_listener_with_callback(kind, f.as_ref().unchecked_ref());
                    }
                }
            });
        }
    });
    let seconds = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.heartbeat_seconds))
        .unwrap_or(60)
        .max(5);
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(seconds * 1000).await;
            if !alive.load(Ordering::Relaxed) {
                break;
            }
            if let Err(e) = heartbeat(Some(used.replace(false))).await {
                if e.code == ErrorCode::Unauthenticated {
                    auth.session_ended(&e);
                    break;
                }
                // A network blip: the next beat retries within the lease.
            }
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn keep_seat_alive(_auth: Auth) {}

/// After each navigation to another page (a new path; a changed query, as a
/// list's filters make, is not one) and once the router has finished
/// opening it, focus moves to the page's heading, so a screen reader reads
/// where the person now is and Tab continues from there; unless the person
/// has already put focus inside the new page.
fn focus_heading_on_navigation(auth: Auth) {
    let location = leptos_router::hooks::use_location();
    let last = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let path = location.pathname.get();
        if auth.routing.get() || last.with_value(|l| l.as_deref() == Some(path.as_str())) {
            return;
        }
        // The first page (after sign-in or a reload) keeps the browser's
        // start: the first Tab reaches the skip link.
        let first = last.with_value(Option::is_none);
        last.set_value(Some(path));
        if !first {
            crate::components::focus_main_heading();
        }
    });
}

/// "Skip to content" (WCAG 2.2 SC 2.4.1 Bypass Blocks): focus to the main
/// region, which reading and Tab continue from.
#[cfg(target_arch = "wasm32")]
fn skip_to_content(ev: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    ev.prevent_default();
    if let Some(main) = document()
        .get_element_by_id("main")
        .and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = main.focus();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn skip_to_content(_ev: leptos::ev::MouseEvent) {}
