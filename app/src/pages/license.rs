//! The License page (issue #15): seats owned, in use, reserved and free;
//! who holds each seat, on which devices; and signing a person out to free
//! their seat. It refreshes itself every 15 seconds and when the window
//! regains focus.

use crate::api::license::{get_license, sign_out_holder};
use crate::auth::Auth;
use crate::components::{format_time, ConfirmDialog, DataTable, ErrorState, Loading};
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
    // The last good answer stays on screen while a refresh is under way.
    let shown = RwSignal::new(None::<LicenseInfo>);
    Effect::new(move |_| {
        if let Some(Ok(info)) = license.get() {
            shown.set(Some(info));
        }
    });
    keep_fresh(move || license.refetch());
    let me = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.account_id));

    view! {
        <div class="page-head">
            <h1>"License"</h1>
            <button type="button" class="secondary" on:click=move |_| license.refetch()>"Refresh"</button>
        </div>
        {move || match (shown.get(), license.get()) {
            (Some(info), _) => view! {
                <LicenseBody info=info me=me on_change=move || license.refetch() />
            }
            .into_any(),
            (None, None) => view! { <Loading what="the license" /> }.into_any(),
            (None, Some(Err(e))) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || license.refetch() /> }.into_any()
            }
            (None, Some(Ok(_))) => view! { <Loading what="the license" /> }.into_any(),
        }}
    }
}

#[component]
fn LicenseBody(
    info: LicenseInfo,
    me: Option<crate::model::AccountId>,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let policy = policy_text(&info);
    let holders = info.holders.clone();
    view! {
        <dl class="stats">
            <div><dt>"Seats owned"</dt><dd>{info.seats_owned}</dd></div>
            <div><dt>"In use"</dt><dd>{info.seats_in_use}</dd></div>
            <div><dt>"Reserved for administrators"</dt><dd>{info.seats_reserved}</dd></div>
            <div><dt>"Free"</dt><dd>{info.seats_free()}</dd></div>
        </dl>
        <p class="lede">{policy}</p>
        <section class="panel" aria-labelledby="holders-heading">
            <h2 id="holders-heading">"Signed in now"</h2>
            {if holders.is_empty() {
                view! { <p class="state empty">"Nobody is signed in."</p> }.into_any()
            } else {
                view! {
                    <DataTable
                        caption="Who holds a seat, and on which devices"
                        headers=&["Person", "Role", "Devices", "Signed in since", "Last active", "Actions"]
                    >
                        {holders.into_iter().map(|h| {
                            let is_me = me == Some(h.account_id);
                            view! { <HolderRow holder=h is_me=is_me on_change=on_change.clone() /> }
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </section>
        <UsageHistory />
    }
}

#[component]
fn HolderRow(
    holder: SeatHolder,
    is_me: bool,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let auth = Auth::get();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let name = holder.full_name.clone();
    let id = holder.account_id;
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
                        on_change();
                    }
                    Err(e) => error.set(Some(auth.message_for(&e))),
                }
                busy.set(false);
            });
        }
    };
    let devices = holder.devices.clone();
    let device_count = devices.len();
    view! {
        <tr>
            <td>
                {holder.full_name.clone()}
                <br />
                <span class="muted">{holder.username.clone()}</span>
                {is_me.then(|| view! { <span class="muted">" (you)"</span> })}
            </td>
            <td>{holder.role.label()}</td>
            <td>
                <ul class="plain" aria-label=format!("{}'s devices", holder.full_name)>
                    {devices.into_iter().map(|d| view! {
                        <li>
                            {d.label()}
                            <span class="muted">{format!(", last active {}", format_time(d.last_seen))}</span>
                        </li>
                    }).collect_view()}
                </ul>
                {(device_count > 1).then(|| view! {
                    <span class="muted">{format!("{device_count} devices, one seat")}</span>
                })}
            </td>
            <td>{format_time(holder.since)}</td>
            <td>{format_time(holder.last_seen)}</td>
            <td class="actions-cell">
                {(!is_me).then(|| {
                    let title = format!("Sign out {name}?");
                    let message = format!(
                        "{name} ({}) is signed out on every device now, and their seat is free for someone else. Anything they have not saved is lost; they can sign in again.",
                        holder.username
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

/// Calls `refresh` every [`REFRESH_SECONDS`] and whenever the window
/// regains focus, until the page closes.
#[cfg(target_arch = "wasm32")]
fn keep_fresh(refresh: impl Fn() + Clone + 'static) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

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
