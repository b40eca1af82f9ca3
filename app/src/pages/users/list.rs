use crate::api::accounts::{delete_account, export_accounts, list_accounts};
use crate::api::settings::list_clients;
use crate::auth::Auth;
use crate::components::{
    download_csv, format_time, ConfirmDialog, ErrorState, Loading, SelectField, TextField,
};
use crate::model::listing::AccountSort;
use crate::model::{AccountListQuery, AccountPage, AccountSummary, ApiError, ClientId, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

/// The administration page: filters shared by an Administrators and a Users
/// section, each searched, sorted and paged on the server.
#[component]
pub fn AccountsPage() -> impl IntoView {
    let auth = Auth::get();
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let account_type = RwSignal::new(String::new());
    let client = RwSignal::new(String::new());
    let applied = RwSignal::new(AccountListQuery::default());
    let filter_error = RwSignal::new(None::<ApiError>);
    let refresh = RwSignal::new(0u32);
    let clients = LocalResource::new(list_clients);

    let current = move || AccountListQuery {
        search: search.get_untracked(),
        status: status.get_untracked(),
        account_type: account_type.get_untracked(),
        client: uuid::Uuid::parse_str(&client.get_untracked())
            .ok()
            .map(ClientId::from_uuid),
        ..AccountListQuery::default()
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
        for s in [search, status, account_type, client] {
            s.set(String::new());
        }
        filter_error.set(None);
        applied.set(AccountListQuery::default());
    };
    let exporting = RwSignal::new(false);
    let export_error = RwSignal::new(None::<String>);
    let export = move |_| {
        exporting.set(true);
        export_error.set(None);
        let query = applied.get_untracked();
        spawn_local(async move {
            match export_accounts(query).await {
                Ok(csv) => download_csv("rollcall-accounts.csv", &csv),
                Err(e) => export_error.set(Some(auth.message_for(&e))),
            }
            exporting.set(false);
        });
    };

    let dialog_open = RwSignal::new(false);
    let target = RwSignal::new(None::<AccountSummary>);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let ask_delete = Callback::new(move |account: AccountSummary| {
        delete_error.set(None);
        target.set(Some(account));
        dialog_open.set(true);
    });
    let confirm_delete = move || {
        let Some(account) = target.get_untracked() else {
            return;
        };
        deleting.set(true);
        spawn_local(async move {
            match delete_account(account.id).await {
                Ok(()) => {
                    dialog_open.set(false);
                    auth.flash
                        .set(Some(format!("Account {} deleted.", account.username)));
                    refresh.update(|n| *n += 1);
                }
                Err(e) => delete_error.set(Some(auth.message_for(&e))),
            }
            deleting.set(false);
        });
    };
    let described = move |f: fn(&AccountSummary) -> String| {
        Signal::derive(move || target.with(|t| t.as_ref().map(f).unwrap_or_default()))
    };
    let search_error = Signal::derive(move || {
        filter_error.with(|e| e.as_ref().and_then(|e| e.for_field("search")))
    });

    view! {
        <div class="page-head">
            <h1>"Accounts"</h1>
            <div class="actions">
                <A href="/accounts/import" attr:class="button secondary">"Import CSV"</A>
                <A href="/accounts/new" attr:class="button primary">"Create account"</A>
            </div>
        </div>
        <p class="lede">
            "Create as many accounts as you need: a seat is used only while someone is signed in."
        </p>
        <form class="panel filters" on:submit=apply novalidate aria-label="Find accounts">
            <TextField label="Search" id="search" value=search error=search_error required=false
                hint="Part of a username, name or email." />
            <SelectField label="Status" id="status-filter" value=status error=Signal::derive(|| None::<String>)
                options=vec![("", "Any status"), ("active", "Active"), ("inactive", "Inactive"), ("expired", "Expired")] />
            <SelectField label="Account type" id="type-filter" value=account_type error=Signal::derive(|| None::<String>)
                options=vec![("", "Any type"), ("local", "Local"), ("directory", "Active Directory")] />
            <div class="field">
                <label for="client-filter">"Client"</label>
                <select id="client-filter" bind:value=client>
                    <option value="">"Any client"</option>
                    {move || clients.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| {
                        let label = if c.archived { format!("{} (archived)", c.name) } else { c.name.clone() };
                        view! { <option value=c.id.to_string()>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="actions">
                <button type="button" class="secondary" on:click=clear>"Clear"</button>
                <button type="button" class="secondary" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { "Exporting…" } else { "Export CSV" }}
                </button>
                <button type="submit" class="primary">"Search"</button>
            </div>
            {move || export_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </form>
        <AccountSection title="Administrators" role=Role::Administrator applied=applied refresh=refresh ask_delete=ask_delete />
        <AccountSection title="Users" role=Role::User applied=applied refresh=refresh ask_delete=ask_delete />
        <ConfirmDialog
            open=dialog_open
            title=described(|a| format!("Delete {}?", a.username))
            message=described(|a| format!(
                "Delete the account {} ({})? They are signed out at once. This cannot be undone.",
                a.username,
                a.display_name(),
            ))
            confirm_label=described(|a| format!("Delete {}", a.username))
            busy=deleting
            error=delete_error
            on_confirm=confirm_delete
        />
    }
}

#[component]
fn AccountSection(
    title: &'static str,
    role: Role,
    applied: RwSignal<AccountListQuery>,
    refresh: RwSignal<u32>,
    ask_delete: Callback<AccountSummary>,
) -> impl IntoView {
    let auth = Auth::get();
    let sort = RwSignal::new(AccountSort::Username);
    let descending = RwSignal::new(false);
    let page = RwSignal::new(1u32);
    // New filters start again at the first page.
    Effect::new(move |_| {
        applied.track();
        page.set(1);
    });
    let accounts = LocalResource::new(move || {
        refresh.track();
        let query = AccountListQuery {
            role: role.as_str().to_owned(),
            sort: sort.get().as_str().to_owned(),
            descending: descending.get(),
            page: page.get(),
            ..applied.get()
        };
        async move { list_accounts(query).await }
    });
    let me = move || auth.session.with(|s| s.as_ref().map(|s| s.account_id));
    let heading_id = format!("{}-heading", role.as_str());
    let labelled_by = heading_id.clone();
    let (create_href, create_label) = match role {
        Role::Administrator => ("/accounts/new?role=administrator", "Create administrator"),
        Role::User => ("/accounts/new?role=user", "Create user"),
    };
    let header = move |column: AccountSort| {
        let aria = move || {
            (sort.get() == column).then(|| {
                if descending.get() {
                    "descending"
                } else {
                    "ascending"
                }
            })
        };
        let click = move |_| {
            if sort.get_untracked() == column {
                descending.update(|d| *d = !*d);
            } else {
                sort.set(column);
                descending.set(false);
            }
            page.set(1);
        };
        let arrow = move || match (sort.get() == column, descending.get()) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        view! {
            <th scope="col" aria-sort=aria>
                <button type="button" class="sort" on:click=click>
                    {column.label()}<span aria-hidden="true">{arrow}</span>
                </button>
            </th>
        }
    };
    let row = move |a: AccountSummary| {
        let is_me = me() == Some(a.id);
        let delete_label = format!("Delete {}", a.username);
        let for_dialog = a.clone();
        let href = format!("/accounts/{}", a.id);
        let username = a.username.clone();
        view! {
            <tr>
                <td>
                    <A href=href>{username}</A>
                    {is_me.then(|| view! { <span class="tag">"you"</span> })}
                </td>
                <td>{a.display_name()}</td>
                <td>{a.email.clone()}</td>
                <td>{a.role.label()}</td>
                <td>
                    {a.status_label()}
                    {(a.account_type == crate::model::AccountType::Directory).then(|| view! { <span class="tag">"AD"</span> })}
                </td>
                <td class="nowrap">{format_time(a.created_at)}</td>
                <td class="actions-cell">
                    {(!is_me).then(|| view! {
                        <button
                            type="button"
                            class="danger small"
                            aria-label=delete_label
                            on:click=move |_| ask_delete.run(for_dialog.clone())
                        >
                            "Delete"
                        </button>
                    })}
                </td>
            </tr>
        }
    };
    let table = move |p: AccountPage| {
        if p.total == 0 {
            let filtered = applied.with(|q| *q != AccountListQuery::default());
            return view! {
                <p class="state empty">
                    {if filtered {
                        format!("No {} match these filters.", title.to_lowercase())
                    } else {
                        format!("No {} yet.", title.to_lowercase())
                    }}
                </p>
            }
            .into_any();
        }
        let pages = p.pages();
        let current = p.page;
        view! {
            <div class="table-wrap">
                <table>
                    <caption class="visually-hidden">{title}</caption>
                    <thead>
                        <tr>
                            {AccountSort::ALL.into_iter().map(header).collect_view()}
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{p.accounts.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
            <nav class="pager" aria-label=format!("{title} pages")>
                <span>{format!("Page {current} of {pages} · {} accounts", p.total)}</span>
                <button type="button" class="secondary small" disabled={current <= 1}
                    on:click=move |_| page.update(|n| *n = n.saturating_sub(1).max(1))>"Previous"</button>
                <button type="button" class="secondary small" disabled={u64::from(current) >= pages}
                    on:click=move |_| page.update(|n| *n += 1)>"Next"</button>
            </nav>
        }
        .into_any()
    };
    view! {
        <section class="panel" aria-labelledby=labelled_by>
            <div class="section-head">
                <h2 id=heading_id>{title}</h2>
                <A href=create_href attr:class="button secondary small">{create_label}</A>
            </div>
            {move || match accounts.get() {
                None => view! { <Loading what=if role == Role::Administrator { "administrators" } else { "users" } /> }.into_any(),
                Some(Err(e)) => {
                    let message = auth.message_for(&e);
                    view! { <ErrorState message=message retry=move || accounts.refetch() /> }.into_any()
                }
                Some(Ok(p)) => table(p),
            }}
        </section>
    }
}
