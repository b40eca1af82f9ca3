use crate::api::accounts::{delete_account, list_accounts};
use crate::auth::Auth;
use crate::components::{format_time, ConfirmDialog, DataTable, ErrorState, Loading};
use crate::model::{AccountSummary, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

#[component]
pub fn AccountsPage() -> impl IntoView {
    let auth = Auth::get();
    let accounts = LocalResource::new(list_accounts);
    let me = move || auth.session.with(|s| s.as_ref().map(|s| s.account_id));

    let dialog_open = RwSignal::new(false);
    let target = RwSignal::new(None::<AccountSummary>);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);

    let ask_delete = move |account: AccountSummary| {
        delete_error.set(None);
        target.set(Some(account));
        dialog_open.set(true);
    };
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
                    accounts.refetch();
                }
                Err(e) => delete_error.set(Some(auth.message_for(&e))),
            }
            deleting.set(false);
        });
    };
    let described = move |f: fn(&AccountSummary) -> String| {
        Signal::derive(move || target.with(|t| t.as_ref().map(f).unwrap_or_default()))
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
                <td>{a.status_label()}</td>
                <td>{format_time(a.created_at)}</td>
                <td class="actions-cell">
                    {(!is_me).then(|| view! {
                        <button
                            type="button"
                            class="danger small"
                            aria-label=delete_label
                            on:click=move |_| ask_delete(for_dialog.clone())
                        >
                            "Delete"
                        </button>
                    })}
                </td>
            </tr>
        }
    };

    let section = move |title: &'static str, role: Role, list: &[AccountSummary]| {
        let rows: Vec<_> = list.iter().filter(|a| a.role == role).cloned().collect();
        let heading_id = format!("{}-heading", role.as_str());
        let labelled_by = heading_id.clone();
        let (create_href, create_label) = match role {
            Role::Administrator => ("/accounts/new?role=administrator", "Create administrator"),
            Role::User => ("/accounts/new?role=user", "Create user"),
        };
        view! {
            <section class="panel" aria-labelledby=labelled_by>
                <div class="section-head">
                    <h2 id=heading_id>{title}</h2>
                    <A href=create_href attr:class="button secondary small">{create_label}</A>
                </div>
                {if rows.is_empty() {
                    view! { <p class="state empty">{format!("No {} yet.", title.to_lowercase())}</p> }.into_any()
                } else {
                    view! {
                        <DataTable
                            caption=title
                            headers=&["Username", "Name", "Email", "Role", "Status", "Created"]
                            actions_column=true
                        >
                            {rows.into_iter().map(row).collect_view()}
                        </DataTable>
                    }.into_any()
                }}
            </section>
        }
    };

    view! {
        <div class="page-head">
            <h1>"Accounts"</h1>
            <A href="/accounts/new" attr:class="button primary">"Create account"</A>
        </div>
        <p class="lede">
            "Create as many accounts as you need: a seat is used only while someone is signed in."
        </p>
        {move || match accounts.get() {
            None => view! { <Loading what="accounts" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || accounts.refetch() /> }.into_any()
            }
            Some(Ok(list)) => view! {
                {section("Administrators", Role::Administrator, &list)}
                {section("Users", Role::User, &list)}
            }.into_any(),
        }}
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
