//! The organisation's settings (password policy, invitations; the directory
//! has its own page) and its clients.

use crate::api::settings::{
    archive_client, get_settings, list_clients, save_client, update_settings,
};
use crate::auth::Auth;
use crate::components::{
    browser_zone, format_time, known_zones, CheckboxField, DataTable, ErrorState, FormState,
    Loading, SelectField, TextField,
};
use crate::model::invitations::{check_invitation_hours, INVITATION_HOURS_DEFAULT};
use crate::model::password::limits;
use crate::model::session::{
    check_evict_idle_minutes, check_session_lifetime_hours, check_sessions_per_person,
    EVICT_IDLE_MINUTES_DEFAULT, SESSIONS_PER_PERSON_DEFAULT, SESSION_LIFETIME_HOURS_DEFAULT,
};
use crate::model::WhenFull;
use crate::model::{ApiError, Client, PasswordPolicy, SaveClientRequest, TenantSettings};
use crate::pages::access::tokens::ApiTokensPanel;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let auth = Auth::get();
    let settings = LocalResource::new(get_settings);
    view! {
        <div class="page-head"><h1>"Settings"</h1></div>
        {move || match settings.get() {
            None => view! { <Loading what="the settings" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || settings.refetch() /> }.into_any()
            }
            Some(Ok(s)) => view! { <SettingsForm settings=s /> }.into_any(),
        }}
        <ApiTokensPanel />
    }
}

/// The policy's fields as typed.
#[derive(Clone, Copy)]
struct PolicySignals {
    min_length: RwSignal<String>,
    max_length: RwSignal<String>,
    require_digit: RwSignal<bool>,
    require_special: RwSignal<bool>,
    forbid_username: RwSignal<bool>,
    forbid_email: RwSignal<bool>,
    reject_common: RwSignal<bool>,
    rotation_days: RwSignal<String>,
    history_count: RwSignal<String>,
}

impl PolicySignals {
    fn new(p: &PasswordPolicy) -> Self {
        Self {
            min_length: RwSignal::new(p.min_length.to_string()),
            max_length: RwSignal::new(p.max_length.to_string()),
            require_digit: RwSignal::new(p.require_digit),
            require_special: RwSignal::new(p.require_special),
            forbid_username: RwSignal::new(p.forbid_username),
            forbid_email: RwSignal::new(p.forbid_email),
            reject_common: RwSignal::new(p.reject_common),
            rotation_days: RwSignal::new(p.rotation_days.to_string()),
            history_count: RwSignal::new(p.history_count.to_string()),
        }
    }

    fn set(&self, p: &PasswordPolicy) {
        self.min_length.set(p.min_length.to_string());
        self.max_length.set(p.max_length.to_string());
        self.require_digit.set(p.require_digit);
        self.require_special.set(p.require_special);
        self.forbid_username.set(p.forbid_username);
        self.forbid_email.set(p.forbid_email);
        self.reject_common.set(p.reject_common);
        self.rotation_days.set(p.rotation_days.to_string());
        self.history_count.set(p.history_count.to_string());
    }

    /// The policy, or an error beside each number that is not one.
    fn read(&self) -> Result<PasswordPolicy, Vec<ApiError>> {
        let mut errors = Vec::new();
        let mut number = |field: &str, what: &str, value: RwSignal<String>| {
            value
                .get_untracked()
                .trim()
                .parse::<u32>()
                .unwrap_or_else(|_| {
                    errors.push(ApiError::validation(
                        field,
                        format!("Enter {what} as a whole number."),
                    ));
                    0
                })
        };
        let policy = PasswordPolicy {
            min_length: number("min_length", "the minimum length", self.min_length),
            max_length: number("max_length", "the maximum length", self.max_length),
            rotation_days: number("rotation_days", "the rotation interval", self.rotation_days),
            history_count: number(
                "history_count",
                "the number of remembered passwords",
                self.history_count,
            ),
            require_digit: self.require_digit.get_untracked(),
            require_special: self.require_special.get_untracked(),
            forbid_username: self.forbid_username.get_untracked(),
            forbid_email: self.forbid_email.get_untracked(),
            reject_common: self.reject_common.get_untracked(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        policy.validate_settings().map(|()| policy)
    }
}

/// A whole number of hours from `signal`, within what `check` allows.
fn whole_hours(
    signal: RwSignal<String>,
    field: &'static str,
    not_a_number: &'static str,
    check: fn(u32) -> Result<(), ApiError>,
) -> Result<u32, ApiError> {
    signal
        .get_untracked()
        .trim()
        .parse::<u32>()
        .map_err(|_| ApiError::validation(field, not_a_number))
        .and_then(|h| check(h).map(|()| h))
}

#[component]
fn SettingsForm(settings: TenantSettings) -> impl IntoView {
    let auth = Auth::get();
    let directory_on = settings.directory_signin_enabled;
    let invitation_hours = RwSignal::new(settings.invitation_hours.to_string());
    let session_hours = RwSignal::new(settings.session_lifetime_hours.to_string());
    let per_person = RwSignal::new(settings.sessions_per_person.to_string());
    let when_full = RwSignal::new(settings.when_full.as_str().to_owned());
    let evict_minutes = RwSignal::new(settings.evict_idle_minutes.to_string());
    let seat_alerts = RwSignal::new(settings.seat_alerts);
    let time_zone = RwSignal::new(settings.time_zone.clone());
    // The version these settings were read at; each save answers the next.
    let version = RwSignal::new(settings.version);
    let p = PolicySignals::new(&settings.password_policy);
    let form = FormState::new();
    let busy = form.busy;
    let saved = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let policy = p.read();
        let hours = whole_hours(
            invitation_hours,
            "invitation_hours",
            "Enter the invitation lifetime in hours, as a whole number.",
            check_invitation_hours,
        );
        let lifetime = whole_hours(
            session_hours,
            "session_lifetime_hours",
            "Enter the session lifetime in hours, as a whole number.",
            check_session_lifetime_hours,
        );
        let devices = whole_hours(
            per_person,
            "sessions_per_person",
            "Enter how many devices, as a whole number.",
            check_sessions_per_person,
        );
        let minutes = whole_hours(
            evict_minutes,
            "evict_idle_minutes",
            "Enter the minutes as a whole number.",
            check_evict_idle_minutes,
        );
        let numbers = [&hours, &lifetime, &devices, &minutes];
        let checked = match &policy {
            Ok(_) if numbers.iter().all(|n| n.is_ok()) => Ok(()),
            policy => Err(policy
                .clone()
                .err()
                .unwrap_or_default()
                .into_iter()
                .chain(numbers.iter().filter_map(|n| n.as_ref().err().cloned()))
                .collect()),
        };
        let request = TenantSettings {
            directory_signin_enabled: directory_on,
            password_policy: policy.unwrap_or_default(),
            invitation_hours: hours.unwrap_or(INVITATION_HOURS_DEFAULT),
            session_lifetime_hours: lifetime.unwrap_or(SESSION_LIFETIME_HOURS_DEFAULT),
            sessions_per_person: devices.unwrap_or(SESSIONS_PER_PERSON_DEFAULT),
            when_full: WhenFull::parse(&when_full.get_untracked()).unwrap_or_default(),
            evict_idle_minutes: minutes.unwrap_or(EVICT_IDLE_MINUTES_DEFAULT),
            seat_alerts: seat_alerts.get_untracked(),
            time_zone: time_zone.get_untracked().trim().to_owned(),
            version: version.get_untracked(),
        };
        form.submit(
            checked,
            move || update_settings(request),
            move |now: TenantSettings| {
                version.set(now.version);
                time_zone.set(now.time_zone.clone());
                // Every time on screen follows the new zone at once.
                auth.session.update(|s| {
                    if let Some(s) = s {
                        s.time_zone = now.time_zone;
                    }
                });
                saved.set(true);
                auth.flash.set(Some("Settings saved.".into()));
            },
        );
    };
    let nist = move |_| p.set(&PasswordPolicy::nist());
    let seed = move |_| p.set(&PasswordPolicy::default());
    view! {
        <form class="panel form" on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <fieldset>
                <legend>"Active Directory"</legend>
                <p>
                    {if directory_on { "Directory sign-in is on. " } else { "Directory sign-in is off. " }}
                    <A href="/settings/directory">"Directory settings"</A>
                </p>
            </fieldset>
            <TimeZoneField value=time_zone error=form.error_for("time_zone") />
            <fieldset>
                <legend>"Invitations"</legend>
                <TextField label="Invitation links expire after (hours)" id="invitation_hours" value=invitation_hours
                    input_type="number" error=form.error_for("invitation_hours")
                    hint="From 1 to 720 (30 days). Applies to invitations sent from now on." />
            </fieldset>
            <fieldset>
                <legend>"Sessions"</legend>
                <TextField label="Sign people out after (hours)" id="session_lifetime_hours" value=session_hours
                    input_type="number" error=form.error_for("session_lifetime_hours")
                    hint="From 1 to 168 (a week) after they sign in, however active they are; they then sign in again. A session left idle ends sooner, when its seat lease runs out." />
            </fieldset>
            <fieldset>
                <legend>"Seats"</legend>
                <p class="hint">"A seat is a person: everyone signed in holds one, on however many of their devices."</p>
                <TextField label="Devices per person" id="sessions_per_person" value=per_person
                    input_type="number" error=form.error_for("sessions_per_person")
                    hint="From 1 to 10. Signing in on one more device signs the person out on the one they used least recently." />
                <SelectField label="When every seat is in use" id="when_full" value=when_full
                    error=form.error_for("when_full")
                    options=vec![
                        ("refuse", "Refuse the newest sign-in"),
                        ("evict_idle", "Sign out the person idle longest, if idle long enough"),
                    ] />
                <TextField label="Idle long enough (minutes)" id="evict_idle_minutes" value=evict_minutes
                    input_type="number" error=form.error_for("evict_idle_minutes")
                    hint="From 1 to 1440 (a day). Idle means no use of Rollcall (keyboard, mouse or touch) on any of their devices; an open but unused tab counts as idle. Used only when the person idle longest may be signed out; if nobody has been idle this long, the sign-in is refused." />
                <CheckboxField label="Mail the administrators when sign-ins were refused for lack of a seat" id="seat_alerts" checked=seat_alerts
                    hint=Signal::derive(|| "At most one mail a day, about the day before (in the organisation's time zone).".to_owned()) />
            </fieldset>
            <fieldset>
                <legend>"Password policy"</legend>
                <p class="hint">"Applies to every password set from now on: by administrators, by people changing their own, and by the operator CLI."</p>
                <div class="generate">
                    <button type="button" class="secondary small" on:click=nist>"Use the NIST SP 800-63B preset"</button>
                    " "
                    <button type="button" class="secondary small" on:click=seed>"Use the standard policy"</button>
                </div>
                <p class="hint">"NIST SP 800-63B: at least 15 characters, no composition rules, no periodic change, and no commonly used passwords."</p>
                <div class="form-grid">
                    <TextField label="Minimum length" id="min_length" value=p.min_length input_type="number"
                        error=form.error_for("min_length") hint=MIN_LENGTH_HINT />
                    <TextField label="Maximum length" id="max_length" value=p.max_length input_type="number"
                        error=form.error_for("max_length") hint=MAX_LENGTH_HINT />
                </div>
                <CheckboxField label="Require at least one number" id="require_digit" checked=p.require_digit />
                <CheckboxField label="Require at least one special character" id="require_special" checked=p.require_special />
                <CheckboxField label="Must not contain the username" id="forbid_username" checked=p.forbid_username />
                <CheckboxField label="Must not contain the email address" id="forbid_email" checked=p.forbid_email />
                <CheckboxField label="Reject commonly used passwords" id="reject_common" checked=p.reject_common />
                <div class="form-grid">
                    <TextField label="Rotation interval (days)" id="rotation_days" value=p.rotation_days input_type="number"
                        error=form.error_for("rotation_days")
                        hint="For accounts with “Require password change at intervals”. 0 turns rotation off." />
                    <TextField label="Remembered passwords" id="history_count" value=p.history_count input_type="number"
                        error=form.error_for("history_count")
                        hint="A new password may not be any of the last N. 0 allows reuse." />
                </div>
            </fieldset>
            {move || saved.get().then(|| view! { <p class="hint" role="status">"Saved."</p> })}
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save settings" }}
                </button>
            </div>
        </form>
    }
}

/// The organisation's time zone: an IANA name typed or picked from the
/// zones this browser knows. The browser's own zone is a hint and a button,
/// never taken without the administrator asking (#27).
#[component]
fn TimeZoneField(
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    // The browser's zone, shown only where it differs from the field.
    let browser = browser_zone();
    let elsewhere = move || browser.clone().filter(|b| *b != value.get().trim());
    let mut zones = known_zones();
    if !zones.iter().any(|z| z == "UTC") {
        zones.push("UTC".to_owned());
    }
    let described = move || {
        if error.with(Option::is_some) {
            "time_zone-hint time_zone-error"
        } else {
            "time_zone-hint"
        }
    };
    view! {
        <fieldset>
            <legend>"Time zone"</legend>
            <div class="field" class:has-error=move || error.with(Option::is_some)>
                <label for="time_zone">"Organisation time zone"</label>
                <p class="hint" id="time_zone-hint">
                    "An IANA name such as America/Toronto. Every date and time in Rollcall, its CSV files and its mails is shown in it, and an account set to deactivate on a date stops at 00:00 of that date in this zone. Changing it keeps every date as it is; the moment it begins moves with the zone."
                </p>
                <input id="time_zone" name="time_zone" type="text" list="time-zones" autocomplete="off"
                    required=true spellcheck="false"
                    aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                    aria-describedby=described bind:value=value />
                <datalist id="time-zones">
                    {zones.into_iter().map(|z| view! { <option value=z></option> }).collect_view()}
                </datalist>
                {move || error.get().map(|e| view! { <p class="field-error" id="time_zone-error">{e}</p> })}
            </div>
            {move || elsewhere().map(|zone| {
                let label = format!("Use {zone}");
                view! {
                    <p class="hint">
                        {format!("This browser is set to {zone}. ")}
                        <button type="button" class="secondary small" on:click=move |_| value.set(zone.clone())>{label}</button>
                    </p>
                }
            })}
        </fieldset>
    }
}

/// The bounds of `limits`, as the fields' hints say them.
const MIN_LENGTH_HINT: &str = "From 8 to 64.";
const MAX_LENGTH_HINT: &str = "From 16 to 256, and not below the minimum.";
const _: () = assert!(
    *limits::MIN_LENGTH.start() == 8
        && *limits::MIN_LENGTH.end() == 64
        && *limits::MAX_LENGTH.start() == 16
        && *limits::MAX_LENGTH.end() == 256
);

/// The organisation's clients: create, rename, archive and restore.
#[component]
pub fn ClientsPage() -> impl IntoView {
    let auth = Auth::get();
    let clients = LocalResource::new(list_clients);
    let name = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SaveClientRequest {
            id: None,
            version: None,
            name: name.get_untracked(),
        };
        let checked = crate::model::parse_client_name(&request.name)
            .map(|_| ())
            .map_err(|m| vec![ApiError::validation("name", m)]);
        form.submit(
            checked,
            move || save_client(request),
            move |c: Client| {
                name.set(String::new());
                auth.flash.set(Some(format!("Client {} created.", c.name)));
                clients.refetch();
            },
        );
    };
    view! {
        <div class="page-head"><h1>"Clients"</h1></div>
        <p class="lede">"The clients users work on. Archived clients stay on the accounts that have them but cannot be chosen for more."</p>
        <form class="panel" on:submit=create novalidate>
            <h2>"Add a client"</h2>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="inline-form">
                <TextField label="Client name" id="name" value=name error=form.error_for("name") />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add client" }}
                </button>
            </div>
        </form>
        <section class="panel" aria-labelledby="clients-heading">
            <h2 id="clients-heading">"All clients"</h2>
            {move || match clients.get() {
                None => view! { <Loading what="clients" /> }.into_any(),
                Some(Err(e)) => {
                    let message = auth.message_for(&e);
                    view! { <ErrorState message=message retry=move || clients.refetch() /> }.into_any()
                }
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="state empty">"No clients yet. Add the first one above."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <DataTable caption="Clients" headers=&["Name", "Accounts", "Status", "Created"] actions_column=true>
                        {list.into_iter().map(|c| view! { <ClientRow client=c on_change=move || clients.refetch() /> }).collect_view()}
                    </DataTable>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ClientRow(client: Client, on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let auth = Auth::get();
    let editing = RwSignal::new(false);
    let name = RwSignal::new(client.name.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = client.id;
    let version = client.version;
    let archived = client.archived;
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(m) = crate::model::parse_client_name(&name.get_untracked()) {
            error.set(Some(m));
            return;
        }
        busy.set(true);
        let request = SaveClientRequest {
            id: Some(id),
            version: Some(version),
            name: name.get_untracked(),
        };
        spawn_local(async move {
            match save_client(request).await {
                Ok(c) => {
                    auth.flash
                        .set(Some(format!("Client renamed to {}.", c.name)));
                    editing.set(false);
                    on_change();
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    let toggle_archive = move |_| {
        busy.set(true);
        spawn_local(async move {
            match archive_client(id, !archived).await {
                Ok(c) => {
                    auth.flash.set(Some(format!(
                        "Client {} {}.",
                        c.name,
                        if c.archived { "archived" } else { "restored" }
                    )));
                    on_change();
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    let label = client.name.clone();
    let rename_label = format!("Rename {label}");
    let archive_label = format!("{} {label}", if archived { "Restore" } else { "Archive" });
    view! {
        <tr>
            <td>
                {move || if editing.get() {
                    view! {
                        <form class="inline-form" on:submit=rename novalidate>
                            <div class="field" class:has-error=move || error.with(Option::is_some)>
                                <label for=format!("rename-{id}")>"New name"</label>
                                <input id=format!("rename-{id}") bind:value=name aria-describedby=format!("rename-{id}-error") />
                                {move || error.get().map(|e| view! { <p class="field-error" id=format!("rename-{id}-error")>{e}</p> })}
                            </div>
                            <button type="submit" class="primary small" disabled=move || busy.get()>"Save"</button>
                            <button type="button" class="secondary small" on:click=move |_| { editing.set(false); error.set(None); }>"Cancel"</button>
                        </form>
                    }.into_any()
                } else {
                    view! { <span>{name.get_untracked()}</span> }.into_any()
                }}
            </td>
            <td>{client.account_count}</td>
            <td>{if archived { "Archived" } else { "Active" }}</td>
            <td>{format_time(client.created_at)}</td>
            <td class="actions-cell">
                {move || (!editing.get()).then(|| view! {
                    <button type="button" class="secondary small" aria-label=rename_label.clone() on:click=move |_| editing.set(true)>"Rename"</button>
                })}
                " "
                <button type="button" class="secondary small" aria-label=archive_label disabled=move || busy.get() on:click=toggle_archive>
                    {if archived { "Restore" } else { "Archive" }}
                </button>
                {move || (!editing.get()).then(|| error.get()).flatten().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}
