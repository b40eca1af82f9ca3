use crate::api::audit::{export_audit_events, list_audit_events};
use crate::auth::Auth;
use crate::components::{
    download_csv, format_time, DataTable, ErrorState, Loading, SelectField, TextField, ZoneNote,
};
use crate::model::{ApiError, AuditAction, AuditEvent, AuditQuery};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Every action, newest first, with filters, pages and CSV export.
#[component]
pub fn AuditPage() -> impl IntoView {
    let auth = Auth::get();
    let actor = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let applied = RwSignal::new(AuditQuery {
        page: 1,
        ..AuditQuery::default()
    });
    let filter_error = RwSignal::new(None::<ApiError>);
    let exporting = RwSignal::new(false);
    let export_error = RwSignal::new(None::<String>);
    let events = LocalResource::new(move || {
        let query = applied.get();
        async move { list_audit_events(query).await }
    });
    let error_for = move |name: &'static str| {
        Signal::derive(move || filter_error.with(|e| e.as_ref().and_then(|e| e.for_field(name))))
    };
    let current = move || AuditQuery {
        actor: actor.get_untracked(),
        target: target.get_untracked(),
        action: action.get_untracked(),
        from: from.get_untracked(),
        to: to.get_untracked(),
        page: 1,
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let query = current();
        match query.validate() {
            Ok(_) => {
                filter_error.set(None);
                applied.set(query);
            }
            Err(e) => filter_error.set(Some(e)),
        }
    };
    let clear = move |_| {
        for s in [actor, target, action, from, to] {
            s.set(String::new());
        }
        filter_error.set(None);
        applied.set(AuditQuery {
            page: 1,
            ..AuditQuery::default()
        });
    };
    let go_to_page = move |page: u32| applied.update(|q| q.page = page);
    let export = move |_| {
        exporting.set(true);
        export_error.set(None);
        let query = applied.get_untracked();
        spawn_local(async move {
            match export_audit_events(query).await {
                Ok(csv) => download_csv("rollcall-audit.csv", &csv),
                Err(e) => export_error.set(Some(auth.message_for(&e))),
            }
            exporting.set(false);
        });
    };

    let mut action_options = vec![("", "Any action")];
    action_options.extend(AuditAction::ALL.iter().map(|a| (a.as_str(), a.label())));

    let row = |e: AuditEvent| {
        let label = e.action_label();
        let summary = e.summary();
        view! {
            <tr>
                <td class="nowrap">{format_time(e.at)}</td>
                <td>{e.actor}</td>
                <td>{label}</td>
                <td>{e.target.unwrap_or_default()}</td>
                <td class="details">{summary}</td>
                <td>{e.ip.unwrap_or_default()}</td>
            </tr>
        }
    };

    view! {
        <div class="page-head">
            <h1>"Audit trail"</h1>
            <button type="button" class="secondary" on:click=export disabled=move || exporting.get()>
                {move || if exporting.get() { "Exporting…" } else { "Export CSV" }}
            </button>
        </div>
        <p class="lede">"Every sign-in attempt and every change, newest first. Nothing here can be changed or deleted."</p>
        <ZoneNote />
        {move || export_error.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        <form class="panel filters" on:submit=apply novalidate aria-label="Filter events">
            <TextField label="Actor" id="actor" value=actor error=error_for("actor") required=false />
            <TextField label="Target" id="target" value=target error=error_for("target") required=false />
            <SelectField label="Action" id="action" value=action error=error_for("action") options=action_options />
            <TextField label="From" id="from" value=from error=error_for("from") input_type="date" required=false />
            <TextField label="To" id="to" value=to error=error_for("to") input_type="date" required=false />
            <div class="actions">
                <button type="button" class="secondary" on:click=clear>"Clear"</button>
                <button type="submit" class="primary">"Apply filters"</button>
            </div>
        </form>
        {move || match events.get() {
            None => view! { <Loading what="events" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || events.refetch() /> }.into_any()
            }
            Some(Ok(page)) => {
                let (number, has_more) = (page.page, page.has_more);
                view! {
                    <section class="panel" aria-labelledby="events-heading">
                        <h2 id="events-heading">"Events"</h2>
                        {if page.events.is_empty() {
                            view! { <p class="state empty">"No events match these filters."</p> }.into_any()
                        } else {
                            view! {
                                <DataTable caption="Audit events" headers=&["Time", "Actor", "Action", "Target", "Details", "IP address"]>
                                    {page.events.into_iter().map(row).collect_view()}
                                </DataTable>
                            }.into_any()
                        }}
                        <nav class="pager" aria-label="Pages">
                            <button type="button" class="secondary" disabled={number <= 1} on:click=move |_| go_to_page(number - 1)>
                                "Previous page"
                            </button>
                            <span aria-live="polite">{format!("Page {number}")}</span>
                            <button type="button" class="secondary" disabled=!has_more on:click=move |_| go_to_page(number + 1)>
                                "Next page"
                            </button>
                        </nav>
                    </section>
                }.into_any()
            }
        }}
    }
}
