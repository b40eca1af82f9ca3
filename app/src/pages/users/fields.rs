//! The account form's fields, shared by Create and Manage.

use crate::components::{CheckboxField, FormState, SelectField, TextField};
use crate::model::accounts::fields;
use crate::model::permissions::{Group, GroupId};
use crate::model::{AccountForm, AccountFormOptions, ClientId};
use leptos::prelude::*;

/// One signal per editable field.
#[derive(Clone, Copy)]
pub struct AccountSignals {
    pub first_name: RwSignal<String>,
    pub last_name: RwSignal<String>,
    pub email: RwSignal<String>,
    pub role: RwSignal<String>,
    pub status: RwSignal<String>,
    pub clients: RwSignal<Vec<ClientId>>,
    pub case_access: RwSignal<String>,
    pub must_change_password: RwSignal<bool>,
    pub rotate_password: RwSignal<bool>,
    pub expires_on: RwSignal<String>,
    pub groups: RwSignal<Vec<GroupId>>,
}

impl AccountSignals {
    pub fn new(f: AccountForm) -> Self {
        Self {
            first_name: RwSignal::new(f.first_name),
            last_name: RwSignal::new(f.last_name),
            email: RwSignal::new(f.email),
            role: RwSignal::new(f.role),
            status: RwSignal::new(f.status),
            clients: RwSignal::new(f.clients),
            case_access: RwSignal::new(f.case_access),
            must_change_password: RwSignal::new(f.must_change_password),
            rotate_password: RwSignal::new(f.rotate_password),
            expires_on: RwSignal::new(f.expires_on),
            groups: RwSignal::new(f.groups),
        }
    }

    pub fn form(&self) -> AccountForm {
        AccountForm {
            first_name: self.first_name.get_untracked(),
            last_name: self.last_name.get_untracked(),
            email: self.email.get_untracked(),
            role: self.role.get_untracked(),
            status: self.status.get_untracked(),
            clients: self.clients.get_untracked(),
            case_access: self.case_access.get_untracked(),
            must_change_password: self.must_change_password.get_untracked(),
            rotate_password: self.rotate_password.get_untracked(),
            expires_on: self.expires_on.get_untracked(),
            groups: self.groups.get_untracked(),
        }
    }

    pub fn is_user(&self) -> bool {
        self.role.with(|r| r == "user")
    }
}

/// First name, last name and email; read-only for a directory account that
/// already exists (the directory owns them).
#[component]
pub fn IdentityFields(s: AccountSignals, form: FormState, read_only: bool) -> impl IntoView {
    if read_only {
        return view! {
            <p class="hint">"Names and email of a directory account come from Active Directory and cannot be changed here."</p>
            <ReadOnlyField label="First name" id=fields::FIRST_NAME value=s.first_name />
            <ReadOnlyField label="Last name" id=fields::LAST_NAME value=s.last_name />
            <ReadOnlyField label="Email" id=fields::EMAIL value=s.email />
        }
        .into_any();
    }
    view! {
        <TextField label="First name" id=fields::FIRST_NAME value=s.first_name error=form.error_for(fields::FIRST_NAME) autocomplete="given-name" />
        <TextField label="Last name" id=fields::LAST_NAME value=s.last_name error=form.error_for(fields::LAST_NAME) autocomplete="family-name" />
        <TextField label="Email" id=fields::EMAIL value=s.email error=form.error_for(fields::EMAIL) input_type="email" autocomplete="email" />
    }
    .into_any()
}

#[component]
pub fn ReadOnlyField(
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id readonly bind:value=value />
        </div>
    }
}

/// Role, clients, case access, password-change flags, expiry and status.
#[component]
pub fn AccessFields(
    s: AccountSignals,
    form: FormState,
    options: AccountFormOptions,
    /// A local account (password flags apply).
    #[prop(into)]
    local: Signal<bool>,
    /// The administrator is editing their own account: role and status are
    /// not theirs to change.
    #[prop(default = false)]
    is_me: bool,
    /// The owner will choose their password from an invitation, so "change
    /// at next login" has no meaning.
    #[prop(into, optional)]
    invited: Option<Signal<bool>>,
) -> impl IntoView {
    let invited = invited.unwrap_or_else(|| Signal::derive(|| false));
    let rotation_days = options.settings.password_policy.rotation_days;
    let rotate_hint = if rotation_days == 0 {
        "Rotation is off in the organisation's password policy, so this has no effect until it is turned on.".to_owned()
    } else {
        format!(
            "The interval comes from the organisation's password policy ({rotation_days} days)."
        )
    };
    let rotate_label: &'static str = if rotation_days == 90 || rotation_days == 0 {
        "Require password change at 90-day intervals"
    } else {
        "Require password change at regular intervals"
    };
    let today = crate::model::format_date(options.today);
    let expiry_hint: &'static str =
        "The account deactivates at 00:00 on this date in the organisation's time zone (Settings). Leave empty for no expiry.";
    view! {
        {if is_me {
            view! { <p class="hint">"You cannot change your own role or status; another administrator can."</p> }.into_any()
        } else {
            view! {
                <SelectField label="Role" id=fields::ROLE value=s.role error=form.error_for(fields::ROLE)
                    options=vec![("user", "User"), ("administrator", "Administrator")] />
            }.into_any()
        }}
        <GroupChoices s=s form=form groups=options.groups.clone() />
        <Show when=move || s.is_user()>
            <ClientChoices s=s form=form clients=options.clients.clone() />
            <SelectField label="Case access level" id=fields::CASE_ACCESS value=s.case_access
                error=form.error_for(fields::CASE_ACCESS)
                options=vec![("standard", "Standard Access"), ("read_only", "Read Only Access")] />
        </Show>
        <Show when=move || local.get()>
            <Show when=move || !invited.get()>
                <CheckboxField label="Require password change at next login" id=fields::MUST_CHANGE_PASSWORD
                    checked=s.must_change_password
                    hint=Signal::derive(|| "They can do nothing else until they have set their own password.".to_owned()) />
            </Show>
            <CheckboxField label=rotate_label id=fields::ROTATE_PASSWORD checked=s.rotate_password
                hint=Signal::derive({ let h = rotate_hint.clone(); move || h.clone() }) />
        </Show>
        <div class="field" class:has-error=move || form.error_for(fields::EXPIRES_ON).with(Option::is_some)>
            <label for=fields::EXPIRES_ON>"Expires/Deactivates on"</label>
            <p class="hint" id="expires_on-hint">{expiry_hint}</p>
            <input type="date" id=fields::EXPIRES_ON name=fields::EXPIRES_ON min=today
                aria-describedby="expires_on-hint expires_on-error" bind:value=s.expires_on />
            {move || form.error_for(fields::EXPIRES_ON).get().map(|e| view! { <p class="field-error" id="expires_on-error">{e}</p> })}
        </div>
        {(!is_me).then(|| view! {
            <SelectField label="Status" id=fields::STATUS value=s.status error=form.error_for(fields::STATUS)
                options=vec![("active", "Active"), ("inactive", "Inactive (cannot sign in; signed out at once)")] />
        })}
    }
}

/// The tenant's clients as checkboxes, with Select all. Archived clients are
/// listed only when the account already has them.
#[component]
fn ClientChoices(
    s: AccountSignals,
    form: FormState,
    clients: Vec<crate::model::Client>,
) -> impl IntoView {
    let initially: Vec<ClientId> = s.clients.get_untracked();
    let shown: Vec<_> = clients
        .into_iter()
        .filter(|c| !c.archived || initially.contains(&c.id))
        .collect();
    let selectable: Vec<ClientId> = shown.iter().filter(|c| !c.archived).map(|c| c.id).collect();
    let all_selected = {
        let selectable = selectable.clone();
        move || {
            s.clients.with(|chosen| {
                !selectable.is_empty() && selectable.iter().all(|id| chosen.contains(id))
            })
        }
    };
    let toggle_all = {
        let selectable = selectable.clone();
        let all_selected = all_selected.clone();
        move |_| {
            if all_selected() {
                s.clients
                    .update(|c| c.retain(|id| !selectable.contains(id)));
            } else {
                s.clients.update(|c| {
                    for id in &selectable {
                        if !c.contains(id) {
                            c.push(*id);
                        }
                    }
                });
            }
        }
    };
    let error = form.error_for(fields::CLIENTS);
    if shown.is_empty() {
        return view! {
            <div class="field">
                <p class="label">"Clients"</p>
                <p class="hint">"Your organisation has no clients yet. Add them on the Clients page."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <fieldset class="field" class:has-error=move || error.with(Option::is_some) aria-describedby="clients-error">
            <legend>"Clients"</legend>
            <div class="choices-head">
                <p class="hint">"The clients this user works on."</p>
                <button type="button" class="secondary small" on:click=toggle_all>
                    {move || if all_selected() { "Clear all" } else { "Select all" }}
                </button>
            </div>
            <div class="choices">
                {shown.into_iter().map(|c| {
                    let id = c.id;
                    let input_id = format!("client-{id}");
                    let label_for = input_id.clone();
                    let checked = move || s.clients.with(|chosen| chosen.contains(&id));
                    let on_change = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        s.clients.update(|chosen| {
                            chosen.retain(|x| *x != id);
                            if on {
                                chosen.push(id);
                            }
                        });
                    };
                    view! {
                        <label for=label_for>
                            <input type="checkbox" id=input_id prop:checked=checked on:change=on_change />
                            {c.name.clone()}
                            {c.archived.then(|| view! { <span class="tag">"archived"</span> })}
                        </label>
                    }
                }).collect_view()}
            </div>
            {move || error.get().map(|e| view! { <p class="field-error" id="clients-error">{e}</p> })}
        </fieldset>
    }
    .into_any()
}

/// Group Memberships: the groups whose form permissions the account gets.
#[component]
fn GroupChoices(s: AccountSignals, form: FormState, groups: Vec<Group>) -> impl IntoView {
    let error = form.error_for("groups");
    if groups.is_empty() {
        return view! {
            <div class="field">
                <p class="label">"Group Memberships"</p>
                <p class="hint">"Your organisation has no groups. Add them on the Groups page."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <fieldset class="field" class:has-error=move || error.with(Option::is_some) aria-describedby="groups-hint groups-error">
            <legend>"Group Memberships"</legend>
            <p class="hint" id="groups-hint">"The account gets each group's form permissions. Among several groups, Deny beats Allow; settings on the person override them all."</p>
            <div class="choices">
                {groups.into_iter().map(|g| {
                    let id = g.id;
                    let input_id = format!("group-{id}");
                    let label_for = input_id.clone();
                    let checked = move || s.groups.with(|chosen| chosen.contains(&id));
                    let on_change = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        s.groups.update(|chosen| {
                            chosen.retain(|x| *x != id);
                            if on {
                                chosen.push(id);
                            }
                        });
                    };
                    view! {
                        <label for=label_for title=g.description.clone()>
                            <input type="checkbox" id=input_id prop:checked=checked on:change=on_change />
                            {g.name.clone()}
                        </label>
                    }
                }).collect_view()}
            </div>
            {move || error.get().map(|e| view! { <p class="field-error" id="groups-error">{e}</p> })}
        </fieldset>
    }
    .into_any()
}
