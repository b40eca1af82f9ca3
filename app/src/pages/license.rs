//! The License page (issue #15): seats owned, in use, reserved and free;
//! who holds each seat, on which devices; and signing a person out to free
//! their seat. It refreshes itself every 15 seconds and when the window
//! regains focus.

use crate::api::license::{get_license, sign_out_holder};
use crate::auth::Auth;
use crate::components::{format_time, ConfirmDialog, DataTable, ErrorState, Loading, ZoneNote};
use crate::model::AccountId;
use crate::model::{LicenseInfo, SeatHolder, WhenFull};
use crate::pages::usage::UsageHistory;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How often the open page asks again, in seconds.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const REFRESH_SECONDS: u32 = 15;

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The rules in force, in a sentence or two.
fn policy_text(info: &LicenseInfo) -> String {
    let full = match info.when_full {
        WhenFull::Refuse => "the newest sign-in is refused".to_owned(),
        WhenFull::EvictIdle => format!(
            "the person idle longest is signed out if they have been idle at least {}; otherwise the sign-in is refused",
            plural(info.evict_idle_minutes, "minute", "minutes")
        ),
    };
    format!(
        "A seat is held by a person while they are signed in, on up to {}. When all {} are in use, {full}. A seat left open in a closed tab is freed after {}.",
        plural(info.sessions_per_person, "device", "devices"),
        plural(info.seats_owned, "seat", "seats"),
        plural(info.idle_lease_seconds / 60, "minute", "minutes"),
    )
}

#[component]
pub fn LicensePage() -> impl IntoView {
    let auth = Auth::get();
    let license = LocalResource::new(get_license);
    // Rendered once and updated in place on every refresh, so focus, an
    // open table and the usage period stay as they are.
    let info = RwSignal::new(None::<LicenseInfo>);
    let first_error = RwSignal::new(None::<String>);
    let refresh_failed = RwSignal::new(None::<String>);
    Effect::new(move |_| match license.get() {
        Some(Ok(fresh)) => {
            info.set(Some(fresh));
            first_error.set(None);
            refresh_failed.set(None);
        }
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            if info.with_untracked(Option::is_some) {
                refresh_failed.set(Some(format!(
                    "The figures below could not be refreshed: {message}"
                )));
            } else {
                first_error.set(Some(message));
            }
        }
        None => {}
    });
    keep_fresh(move || license.refetch());
    let me = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.account_id));
    let figure = move |f: fn(&LicenseInfo) -> u32| move || info.with(|i| i.as_ref().map_or(0, f));
    let has_holders = move || info.with(|i| i.as_ref().is_some_and(|i| !i.holders.is_empty()));
    let holder_ids = move || {
        info.with(|i| {
            i.as_ref()
                .map(|i| i.holders.iter().map(|h| h.account_id).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };

    view! {
        <div class="page-head">
            <h1 id="license-heading" tabindex="-1">"License"</h1>
            <button type="button" class="secondary" on:click=move |_| license.refetch()>"Refresh"</button>
        </div>
        {move || refresh_failed.get().map(|m| view! { <p class="notice warn" role="status">{m}</p> })}
        <Show
            when=move || info.with(Option::is_some)
            fallback=move || match first_error.get() {
                Some(message) => view! { <ErrorState message=message retry=move || license.refetch() /> }.into_any(),
                None => view! { <Loading what="the license" /> }.into_any(),
            }
        >
            <dl class="stats">
                <div><dt>"Seats owned"</dt><dd>{figure(|i| i.seats_owned)}</dd></div>
                <div><dt>"In use"</dt><dd>{figure(|i| i.seats_in_use)}</dd></div>
                <div><dt>"Reserved for administrators"</dt><dd>{figure(|i| i.seats_reserved)}</dd></div>
                <div><dt>"Free"</dt><dd>{figure(LicenseInfo::seats_free)}</dd></div>
            </dl>
            <p class="lede">{move || info.with(|i| i.as_ref().map(policy_text))}</p>
            <ZoneNote />
            <SignInLink />
            <section class="panel" aria-labelledby="holders-heading">
                <h2 id="holders-heading">"Signed in now"</h2>
                <Show when=has_holders fallback=|| view! { <p class="state empty">"Nobody is signed in."</p> }>
                    <DataTable
                        caption="Who holds a seat, and on which devices"
                        headers=&["Person", "Role", "Devices", "Signed in since", "Last active", "Actions"]
                    >
                        <For each=holder_ids key=|id| *id let:id>
                            <HolderRow id=id info=info is_me={me == Some(id)} on_change=move || license.refetch() />
                        </For>
                    </DataTable>
                </Show>
            </section>
        </Show>
        <UsageHistory />
    }
}

/// "Your sign-in link": the sign-in page with the organisation filled in
/// (`/?org=<slug>`), to share with staff.
#[component]
fn SignInLink() -> impl IntoView {
    let auth = Auth::get();
    let slug = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.tenant_slug.clone()))
        .unwrap_or_default();
    let link = format!(
        "{}/?org={}",
        site_origin(),
        crate::components::query_value(&slug)
    );
    let copied = RwSignal::new(None::<&'static str>);
    let copy = {
        let link = link.clone();
        move |_| {
            // Cleared first, so a second copy is announced again.
            copied.set(None);
            crate::components::copy_to_clipboard(
                link.clone(),
                copied,
                "Could not copy: select the link and copy it by hand.",
            )
        }
    };
    view! {
        <section class="panel" aria-labelledby="sign-in-link-heading">
            <h2 id="sign-in-link-heading">"Your sign-in link"</h2>
            <p>"Share it with your staff: the sign-in page opens with your organisation filled in, and each device remembers it."</p>
            <p class="sign-in-link">
                <a href=link.clone()>{link.clone()}</a>
                " "
                <button type="button" class="secondary" on:click=copy>"Copy link"</button>
            </p>
            <p class="hint" role="status">{move || copied.get()}</p>
        </section>
    }
}

#[cfg(target_arch = "wasm32")]
fn site_origin() -> String {
    window().location().origin().unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
fn site_origin() -> String {
    String::new()
}

#[component]
fn HolderRow(
    id: AccountId,
    info: RwSignal<Option<LicenseInfo>>,
    is_me: bool,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let auth = Auth::get();
    let holder = Memo::new(move |_| {
        info.with(|i| {
            i.as_ref()
                .and_then(|i| i.holders.iter().find(|h| h.account_id == id).cloned())
        })
    });
    let field = move |f: fn(&SeatHolder) -> String| {
        move || holder.with(|h| h.as_ref().map(f).unwrap_or_default())
    };
    let (name, username) = holder
        .with_untracked(|h| {
            h.as_ref()
                .map(|h| (h.full_name.clone(), h.username.clone()))
        })
        .unwrap_or_default();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = {
        let name = name.clone();
        move || {
            busy.set(true);
            error.set(None);
            let name = name.clone();
            let on_change = on_change.clone();
            spawn_local(async move {
                match sign_out_holder(id).await {
                    Ok(_) => {
                        open.set(false);
                        auth.flash
                            .set(Some(format!("{name} is signed out; their seat is free.")));
                        // The row goes away: focus the page heading, not the void.
                        focus_heading();
                        on_change();
                    }
                    Err(e) => error.set(Some(auth.message_for(&e))),
                }
                busy.set(false);
            });
        }
    };
    let devices_label = format!("{name}'s devices");
    view! {
        <tr>
            <td>
                {field(|h| h.full_name.clone())}
                <br />
                <span class="muted">{field(|h| h.username.clone())}</span>
                {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
            </td>
            <td>{field(|h| h.role.label().to_owned())}</td>
            <td>
                <ul class="plain" aria-label=devices_label>
                    {move || holder.with(|h| h.as_ref().map(|h| h.devices.iter().map(|d| {
                        let when = format!(", last active {}", format_time(d.last_active));
                        view! { <li>{d.label()}<span class="muted">{when}</span></li> }
                    }).collect_view()))}
                </ul>
                {move || holder.with(|h| {
                    let n = h.as_ref().map_or(0, |h| h.devices.len());
                    (n > 1).then(|| view! { <span class="muted">{format!("{n} devices, one seat")}</span> })
                })}
            </td>
            <td>{field(|h| format_time(h.since))}</td>
            <td>{field(|h| format_time(h.last_active))}</td>
            <td class="actions-cell">
                {(!is_me).then(|| {
                    let title = format!("Sign out {name}?");
                    let message = format!(
                        "{name} ({username}) is signed out on every device now, and their seat is free for someone else. Anything they have not saved is lost; they can sign in again."
                    );
                    let label = format!("Sign out {name}");
                    view! {
                        <button type="button" class="secondary small" aria-label=label
                            on:click=move |_| open.set(true)>"Sign out"</button>
                        <ConfirmDialog
                            open=open
                            title=title
                            message=message
                            confirm_label="Sign out".to_owned()
                            busy=busy
                            error=error
                            on_confirm=confirm.clone()
                        />
                    }
                })}
            </td>
        </tr>
    }
}

/// Moves keyboard and screen-reader focus to the page's heading.
fn focus_heading() {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        if let Some(h) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("license-heading"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = h.focus();
        }
    }
}

/// Calls `refresh` every [`REFRESH_SECONDS`] and whenever the window
/// regains focus, until the page closes; skipped while a dialog is open.
#[cfg(target_arch = "wasm32")]
fn keep_fresh(refresh: impl Fn() + Clone + 'static) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    // Not while a confirmation is open (a row it belongs to may go), nor
    // while the page is hidden (a tab in the background asks nothing).
    let refresh = move || {
        let document = web_sys::window().and_then(|w| w.document());
        let quiet = document.as_ref().is_some_and(|d| {
            d.hidden() || d.query_selector("dialog[open]").ok().flatten().is_some()
        });
        if !quiet {
            refresh();
        }
    };
    let alive = Arc::new(AtomicBool::new(true));
    let on_focus = {
        let refresh = refresh.clone();
        Closure::<dyn Fn()>::new(refresh)
    };
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("focus", on_focus.as_ref().unchecked_ref());
    }
    // The listener lives in the reactive arena (a browser value is not
    // `Send`), and is removed when the page closes.
    let on_focus = StoredValue::new_local(on_focus);
    on_cleanup({
        let alive = alive.clone();
        move || {
            alive.store(false, Ordering::Relaxed);
            on_focus.with_value(|f| {
                if let Some(w) = web_sys::window() {
                    let _ =
                        w.remove_event_listener_with_callback("focus", f.as_ref().unchecked_ref());
                }
            });
        }
    });
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(REFRESH_SECONDS * 1000).await;
            if !alive.load(Ordering::Relaxed) {
                break;
            }
            refresh();
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
fn keep_fresh(_refresh: impl Fn() + Clone + 'static) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(when_full: WhenFull) -> LicenseInfo {
        LicenseInfo {
            tenant_name: "Demo".into(),
            seats_owned: 10,
            seats_in_use: 0,
            seats_reserved: 2,
            idle_lease_seconds: 900,
            sessions_per_person: 1,
            when_full,
            evict_idle_minutes: 30,
            holders: vec![],
        }
    }

    #[test]
    fn the_policy_reads_as_set() {
        assert_eq!(
            policy_text(&info(WhenFull::Refuse)),
            "A seat is held by a person while they are signed in, on up to 1 device. When all 10 seats are in use, the newest sign-in is refused. A seat left open in a closed tab is freed after 15 minutes."
        );
        assert!(policy_text(&info(WhenFull::EvictIdle))
            .contains("idle at least 30 minutes; otherwise the sign-in is refused"));
    }
}
