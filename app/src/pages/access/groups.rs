//! Groups: create, rename, describe, delete (confirming when in use), and
//! each group's form permissions.

use super::matrix::MatrixEditor;
use crate::api::permissions::{delete_group, group_members, list_groups, save_group};
use crate::auth::Auth;
use crate::components::{ConfirmDialog, DataTable, ErrorState, FormState, Loading, TextField};
use crate::model::permissions::{parse_name, Group, GroupId, Level, SaveGroupRequest};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let auth = Auth::get();
    let groups = LocalResource::new(list_groups);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SaveGroupRequest {
            id: None,
            version: None,
            name: name.get_untracked(),
            description: description.get_untracked(),
        };
        let checked = parse_name("group", &request.name)
            .map(|_| ())
            .map_err(|m| vec![ApiError::validation("name", m)]);
        form.submit(
            checked,
            move || save_group(request),
            move |g: Group| {
                name.set(String::new());
                description.set(String::new());
                auth.flash.set(Some(format!("Group {} created.", g.name)));
                groups.refetch();
            },
        );
    };
    view! {
        <div class="page-head"><h1>"Groups"</h1></div>
        <p class="lede">"Accounts get the form permissions of every group they belong to. Among several groups, Deny beats Allow; settings on the person override them all."</p>
        <form class="panel" on:submit=create novalidate>
            <h2>"Add a group"</h2>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="inline-form">
                <TextField label="Group name" id="name" value=name error=form.error_for("name") />
                <TextField label="Description" id="description" value=description error=form.error_for("description") />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add group" }}
                </button>
            </div>
        </form>
        <section class="panel" aria-labelledby="groups-heading">
            <h2 id="groups-heading">"All groups"</h2>
            {move || match groups.get() {
                None => view! { <Loading what="groups" /> }.into_any(),
                Some(Err(e)) => {
                    let message = auth.message_for(&e);
                    view! { <ErrorState message=message retry=move || groups.refetch() /> }.into_any()
                }
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="state empty">"No groups yet. Add the first one above."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <DataTable caption="Groups" headers=&["Name", "Description", "Members"] actions_column=true>
                        {list.into_iter().map(|g| view! { <GroupRow group=g on_change=move || groups.refetch() /> }).collect_view()}
                    </DataTable>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn GroupRow(group: Group, on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let auth = Auth::get();
    let editing = RwSignal::new(false);
    let name = RwSignal::new(group.name.clone());
    let description = RwSignal::new(group.description.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = group.id;
    let version = group.version;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(m) = parse_name("group", &name.get_untracked()) {
            error.set(Some(m));
            return;
        }
        busy.set(true);
        let request = SaveGroupRequest {
            id: Some(id),
            version: Some(version),
            name: name.get_untracked(),
            description: description.get_untracked(),
        };
        spawn_local(async move {
            match save_group(request).await {
                Ok(g) => {
                    auth.flash.set(Some(format!("Group {} saved.", g.name)));
                    editing.set(false);
                    on_change();
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };

    // Deleting: the dialog names the accounts that lose the group.
    let dialog_open = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let affected = RwSignal::new(None::<Vec<String>>);
    let open_delete = move |_| {
        delete_error.set(None);
        affected.set(None);
        dialog_open.set(true);
        spawn_local(async move {
            match group_members(id).await {
                Ok(m) => affected.set(Some(
                    m.into_iter()
                        .map(|a| format!("{} ({})", a.username, a.name))
                        .collect(),
                )),
                Err(e) => delete_error.set(Some(auth.message_for(&e))),
            }
        });
    };
    let group_name = group.name.clone();
    let confirm_delete = {
        let group_name = group_name.clone();
        move || {
            busy.set(true);
            let group_name = group_name.clone();
            spawn_local(async move {
                match delete_group(id, true).await {
                    Ok(()) => {
                        dialog_open.set(false);
                        auth.flash.set(Some(format!("Group {group_name} deleted.")));
                        on_change();
                    }
                    Err(e) => delete_error.set(Some(auth.message_for(&e))),
                }
                busy.set(false);
            });
        }
    };
    let message = {
        let group_name = group_name.clone();
        Signal::derive(move || {
            match affected.get() {
            None => format!("Delete the group {group_name}? Checking who is in it…"),
            Some(list) if list.is_empty() => format!("Delete the group {group_name}? Nobody is in it."),
            Some(list) => format!(
                "Delete the group {group_name}? These {} account(s) lose it and what it grants at once: {}.",
                list.len(),
                list.join(", ")
            ),
        }
        })
    };
    let permissions_href = format!("/groups/{id}");
    let edit_label = format!("Edit {}", group.name);
    let delete_label = format!("Delete {}", group.name);
    let permissions_label = format!("Permissions of {}", group.name);
    view! {
        <tr>
            {move || if editing.get() {
                view! {
                    <td colspan="3">
                        <form class="inline-form" on:submit=save novalidate>
                            <div class="field" class:has-error=move || error.with(Option::is_some)>
                                <label for=format!("group-name-{id}")>"Name"</label>
                                <input id=format!("group-name-{id}") bind:value=name aria-describedby=format!("group-{id}-error") />
                            </div>
                            <div class="field">
                                <label for=format!("group-description-{id}")>"Description"</label>
                                <input id=format!("group-description-{id}") bind:value=description />
                            </div>
                            <button type="submit" class="primary small" disabled=move || busy.get()>"Save"</button>
                            <button type="button" class="secondary small" on:click=move |_| { editing.set(false); error.set(None); }>"Cancel"</button>
                            {move || error.get().map(|e| view! { <p class="field-error" id=format!("group-{id}-error")>{e}</p> })}
                        </form>
                    </td>
                }.into_any()
            } else {
                view! {
                    <td>{name.get_untracked()}</td>
                    <td>{description.get_untracked()}</td>
                    <td>{group.member_count}</td>
                }.into_any()
            }}
            <td class="actions-cell">
                <A href=permissions_href.clone() attr:class="button secondary small" attr:aria-label=permissions_label.clone()>"Permissions"</A>
                " "
                <button type="button" class="secondary small" aria-label=edit_label.clone() on:click=move |_| editing.set(true)>"Edit"</button>
                " "
                <button type="button" class="danger small" aria-label=delete_label.clone() on:click=open_delete>"Delete"</button>
            </td>
        </tr>
        <ConfirmDialog
            open=dialog_open
            title=format!("Delete {group_name}?")
            message=message
            confirm_label=format!("Delete {group_name}")
            busy=busy
            error=delete_error
            on_confirm=confirm_delete
        />
    }
}

/// One group's cells.
#[component]
pub fn GroupPermissionsPage() -> impl IntoView {
    let auth = Auth::get();
    let params = use_params_map();
    let id = params
        .read_untracked()
        .get("id")
        .and_then(|s| uuid::Uuid::parse_str(&s).ok())
        .map(GroupId::from_uuid);
    let groups = LocalResource::new(list_groups);
    move || {
        let Some(id) = id else {
            return view! { <h1>"Group"</h1><p class="form-error" role="alert">"There is no such group."</p> }.into_any();
        };
        match groups.get() {
            None => view! { <Loading what="the group" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || groups.refetch() /> }.into_any()
            }
            Some(Ok(list)) => match list.into_iter().find(|g| g.id == id) {
                None => view! {
                    <h1>"Group"</h1>
                    <p class="form-error" role="alert">"This group no longer exists."</p>
                    <A href="/groups">"Back to groups"</A>
                }
                .into_any(),
                Some(g) => view! {
                    <div class="page-head">
                        <h1>{format!("Group {} — form permissions", g.name)}</h1>
                        <A href="/groups" attr:class="button secondary">"All groups"</A>
                    </div>
                    <MatrixEditor level=Level::Group(id) />
                }
                .into_any(),
            },
        }
    }
}
