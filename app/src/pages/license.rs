use crate::api::license::get_license;
use crate::auth::Auth;
use crate::components::{format_time, DataTable, ErrorState, Loading};
use crate::model::LicenseInfo;
use leptos::prelude::*;

#[component]
pub fn LicensePage() -> impl IntoView {
    let auth = Auth::get();
    let license = LocalResource::new(get_license);
    let body = move |info: LicenseInfo| {
        let minutes = info.idle_lease_seconds / 60;
        let holders = info.holders.clone();
        view! {
            <dl class="stats">
                <div><dt>"Seats owned"</dt><dd>{info.seats_owned}</dd></div>
                <div><dt>"Seats in use"</dt><dd>{info.seats_in_use}</dd></div>
                <div><dt>"Seats free"</dt><dd>{info.seats_owned.saturating_sub(info.seats_in_use)}</dd></div>
            </dl>
            <p class="lede">
                {format!(
                    "A seat is used while someone is signed in. When all {} are in use, the newest sign-in is refused. A seat left open in a closed tab is freed after {} minutes.",
                    info.seats_owned, minutes,
                )}
            </p>
            <section class="panel" aria-labelledby="holders-heading">
                <h2 id="holders-heading">"Signed in now"</h2>
                {if holders.is_empty() {
                    view! { <p class="state empty">"Nobody is signed in."</p> }.into_any()
                } else {
                    view! {
                        <DataTable
                            caption="Who holds a seat"
                            headers=&["Username", "Name", "Signed in since", "Last seen"]
                        >
                            {holders.into_iter().map(|h| view! {
                                <tr>
                                    <td>{h.username}</td>
                                    <td>{h.full_name}</td>
                                    <td>{format_time(h.since)}</td>
                                    <td>{format_time(h.last_seen)}</td>
                                </tr>
                            }).collect_view()}
                        </DataTable>
                    }.into_any()
                }}
            </section>
        }
    };
    view! {
        <div class="page-head">
            <h1>"License"</h1>
            <button type="button" class="secondary" on:click=move |_| license.refetch()>"Refresh"</button>
        </div>
        {move || match license.get() {
            None => view! { <Loading what="the license" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || license.refetch() /> }.into_any()
            }
            Some(Ok(info)) => body(info).into_any(),
        }}
    }
}
