use super::error::ApiError;
use super::invitations::InvitationView;
use super::password::{NewPassword, PasswordOwner, PasswordPolicy};
use super::permissions::GroupId;
use super::secret::Secret;
use super::values::{
    format_date, parse_date, AccountId, AccountStatus, AccountType, CaseAccess, ClientId, Email,
    PersonName, Role, Username,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// `Option<Date>` as `"YYYY-MM-DD"` or `null` on the wire.
pub mod date_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<time::Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_date(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// `Date` as `"YYYY-MM-DD"` on the wire.
pub mod date {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
        super::parse_date(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A row of the accounts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: AccountId,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    pub status: AccountStatus,
    pub account_type: AccountType,
    /// The account deactivates at 00:00 on this date in the organisation's
    /// time zone (#27).
    #[serde(with = "date_opt")]
    pub expires_on: Option<Date>,
    /// The expiry date has passed: the account cannot sign in until an
    /// administrator reactivates it with a new password.
    pub expired: bool,
    /// A local account with no password yet: its owner was invited to set one.
    #[serde(default)]
    pub invited: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Goes up whenever anything the account's form shows changes; an
    /// update must send the version it was based on (#25).
    #[serde(default)]
    pub version: i64,
}

impl AccountSummary {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// What the list shows in its Status column.
    pub fn status_label(&self) -> &'static str {
        if self.expired {
            "Expired"
        } else if self.invited && self.status == AccountStatus::Active {
            "Invited"
        } else {
            self.status.label()
        }
    }
}

/// Everything the account form shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetails {
    #[serde(flatten)]
    pub summary: AccountSummary,
    pub clients: Vec<ClientId>,
    pub case_access: CaseAccess,
    pub must_change_password: bool,
    pub rotate_password: bool,
    /// False for directory accounts and for local ones never given a password.
    pub has_password: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_changed_at: Option<OffsetDateTime>,
    /// The latest invitation, if the account was ever invited.
    #[serde(default)]
    pub invitation: Option<InvitationView>,
    /// Group Memberships.
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// Where sign-in is being slowed after failed attempts (the last hour).
    #[serde(default)]
    pub throttles: Vec<SignInThrottle>,
}

/// Sign-in attempts for an account that must wait after repeated failures
/// (never a lockout): from one address, or from everywhere when `address`
/// is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInThrottle {
    pub address: Option<String>,
    /// Consecutive failures counted (the last hour).
    pub failures: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub last_failure_at: OffsetDateTime,
    /// Until when the next attempt is refused (may be past: the next failure
    /// then waits twice as long).
    #[serde(with = "time::serde::rfc3339")]
    pub waits_until: OffsetDateTime,
}

/// Field names as the form and the API name them.
pub mod fields {
    pub const USERNAME: &str = "username";
    pub const ACCOUNT_TYPE: &str = "account_type";
    pub const FIRST_NAME: &str = "first_name";
    pub const LAST_NAME: &str = "last_name";
    pub const EMAIL: &str = "email";
    pub const ROLE: &str = "role";
    pub const PASSWORD: &str = "password";
    pub const PASSWORD_CONFIRM: &str = "password_confirm";
    pub const INVITE: &str = "invite";
    pub const STATUS: &str = "status";
    pub const CLIENTS: &str = "clients";
    pub const CASE_ACCESS: &str = "case_access";
    pub const MUST_CHANGE_PASSWORD: &str = "must_change_password";
    pub const ROTATE_PASSWORD: &str = "rotate_password";
    pub const EXPIRES_ON: &str = "expires_on";
}

/// The editable fields of an account, as typed: shared by create and edit.
/// Missing keys take the defaults a new account has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `administrator` or `user`.
    pub role: String,
    /// `active` or `inactive`.
    pub status: String,
    /// Users only: the clients they work on.
    pub clients: Vec<ClientId>,
    /// Users only: `standard` or `read_only`.
    pub case_access: String,
    /// Local accounts only.
    pub must_change_password: bool,
    /// Local accounts only: change every `rotation_days` of the policy.
    pub rotate_password: bool,
    /// `YYYY-MM-DD`, or empty for never.
    pub expires_on: String,
    /// Group Memberships.
    pub groups: Vec<GroupId>,
}

impl Default for AccountForm {
    fn default() -> Self {
        Self {
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            role: Role::User.as_str().into(),
            status: AccountStatus::Active.as_str().into(),
            clients: Vec::new(),
            case_access: CaseAccess::Standard.as_str().into(),
            must_change_password: false,
            rotate_password: false,
            expires_on: String::new(),
            groups: Vec::new(),
        }
    }
}

impl From<&AccountDetails> for AccountForm {
    fn from(d: &AccountDetails) -> Self {
        let s = &d.summary;
        Self {
            first_name: s.first_name.clone(),
            last_name: s.last_name.clone(),
            email: s.email.clone(),
            role: s.role.as_str().into(),
            status: s.status.as_str().into(),
            clients: d.clients.clone(),
            case_access: d.case_access.as_str().into(),
            must_change_password: d.must_change_password,
            rotate_password: d.rotate_password,
            expires_on: s.expires_on.map(format_date).unwrap_or_default(),
            groups: d.groups.clone(),
        }
    }
}

/// The editable fields after every rule passed. Fields that do not apply
/// (clients and case access of an administrator, password flags of a
/// directory account) are normalised away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountValues {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub role: Role,
    pub status: AccountStatus,
    pub clients: Vec<ClientId>,
    pub case_access: CaseAccess,
    pub must_change_password: bool,
    pub rotate_password: bool,
    pub expires_on: Option<Date>,
    pub groups: Vec<GroupId>,
}

/// What validation needs to know besides the request.
#[derive(Debug, Clone, Copy)]
pub struct FormContext<'a> {
    pub policy: &'a PasswordPolicy,
    /// Today in the organisation's time zone: an expiry date must be later.
    pub today: Date,
    /// The tenant has active clients, so a user must have at least one.
    pub clients_required: bool,
}

impl AccountForm {
    /// Password-change flags set on a directory account: its password
    /// lives in the directory, so Rollcall can neither force nor rotate it.
    pub fn directory_flag_conflicts(&self) -> Vec<ApiError> {
        let mut e = Vec::new();
        for (set, field, what) in [
            (
                self.must_change_password,
                fields::MUST_CHANGE_PASSWORD,
                "Require password change at next login",
            ),
            (
                self.rotate_password,
                fields::ROTATE_PASSWORD,
                "Require password change at intervals",
            ),
        ] {
            if set {
                e.push(ApiError::validation(
                    field,
                    format!("“{what}” does not apply to a directory account: its password is managed in the directory. Untick it."),
                ));
            }
        }
        e
    }

    /// `previous_expiry` is the stored date on edit: keeping a past date is
    /// allowed (the account stays expired), setting a new one is not.
    fn validate_into(
        &self,
        e: &mut Vec<ApiError>,
        account_type: AccountType,
        ctx: FormContext<'_>,
        previous_expiry: Option<Date>,
    ) -> Option<AccountValues> {
        use fields::*;
        let first_name = collect_field(
            e,
            FIRST_NAME,
            PersonName::parse(&self.first_name, "first name"),
        );
        let last_name = collect_field(
            e,
            LAST_NAME,
            PersonName::parse(&self.last_name, "last name"),
        );
        let email = collect_field(e, EMAIL, Email::parse(&self.email));
        let role = collect_field(e, ROLE, Role::parse(&self.role));
        let status = collect_field(e, STATUS, AccountStatus::parse(&self.status));
        let case_access = collect_field(e, CASE_ACCESS, CaseAccess::parse(&self.case_access));
        let expires_on = if self.expires_on.trim().is_empty() {
            Some(None)
        } else {
            let parsed = parse_date(&self.expires_on).and_then(|d| {
                if d > ctx.today || Some(d) == previous_expiry {
                    Ok(Some(d))
                } else {
                    Err(format!(
                        "Choose a date after today ({}), or leave it empty for no expiry.",
                        format_date(ctx.today)
                    ))
                }
            });
            collect_field(e, EXPIRES_ON, parsed)
        };
        let is_user = role == Some(Role::User);
        let mut clients = if is_user {
            self.clients.clone()
        } else {
            Vec::new()
        };
        clients.sort_unstable_by_key(ClientId::as_uuid);
        clients.dedup();
        if is_user && ctx.clients_required && clients.is_empty() {
            e.push(ApiError::validation(
                CLIENTS,
                "Choose at least one client for this user (or Select all).",
            ));
        }
        let local = account_type == AccountType::Local;
        match (
            first_name,
            last_name,
            email,
            role,
            status,
            case_access,
            expires_on,
        ) {
            (
                Some(first_name),
                Some(last_name),
                Some(email),
                Some(role),
                Some(status),
                Some(case_access),
                Some(expires_on),
            ) => Some(AccountValues {
                first_name,
                last_name,
                email,
                role,
                status,
                clients,
                case_access: if is_user {
                    case_access
                } else {
                    CaseAccess::Standard
                },
                must_change_password: local && self.must_change_password,
                rotate_password: local && self.rotate_password,
                expires_on,
                groups: self.groups.clone(),
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountRequest {
    pub username: String,
    /// `local` (the default) or `directory`.
    #[serde(default = "default_account_type")]
    pub account_type: String,
    #[serde(flatten)]
    pub form: AccountForm,
    /// `password` and `password_confirm`. Local accounts: required unless
    /// `invite`. Directory accounts: must be empty.
    #[serde(flatten)]
    pub new_password: NewPassword,
    /// Local accounts: mail an invitation to set a password instead of
    /// setting one (the password fields stay empty).
    #[serde(default)]
    pub invite: bool,
}

fn default_account_type() -> String {
    AccountType::Local.as_str().into()
}

/// A create request that passed every field rule.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub account_type: AccountType,
    pub values: AccountValues,
    /// `None` for directory and invited accounts.
    pub password: Option<Secret>,
    /// Mail an invitation in the same transaction.
    pub invite: bool,
}

impl CreateAccountRequest {
    /// What a directory account may not have: an invitation or a password
    /// (vendor page 004: it "will use their existing domain account user
    /// name and password"). Empty for other types.
    pub fn directory_conflicts(&self) -> Vec<ApiError> {
        let mut e = Vec::new();
        if self.account_type != AccountType::Directory.as_str() {
            return e;
        }
        if self.invite {
            e.push(ApiError::validation(
                fields::INVITE,
                "A directory account signs in with its domain password: there is nothing to invite it to set. Untick the invitation.",
            ));
        }
        if self.new_password.is_typed() {
            e.push(ApiError::validation(
                fields::PASSWORD,
                "A directory account signs in with its domain password: leave the password empty.",
            ));
        }
        e.extend(self.form.directory_flag_conflicts());
        e
    }

    /// Every field error at once (the form shows each beside its field; the
    /// server answers the first).
    pub fn validate(&self, ctx: FormContext<'_>) -> Result<NewAccount, Vec<ApiError>> {
        self.validate_with(ctx, true)
    }

    /// As [`Self::validate`]; with `password_required` false a local account
    /// may come without a password (a bulk import: the owner gets one later).
    pub fn validate_with(
        &self,
        ctx: FormContext<'_>,
        password_required: bool,
    ) -> Result<NewAccount, Vec<ApiError>> {
        use fields::*;
        let mut errors = Vec::new();
        let e = &mut errors;
        let username = collect_field(e, USERNAME, Username::parse(&self.username));
        let account_type = collect_field(e, ACCOUNT_TYPE, AccountType::parse(&self.account_type));
        let mut form_errors = Vec::new();
        let values = self.form.validate_into(
            &mut form_errors,
            account_type.unwrap_or(AccountType::Local),
            ctx,
            None,
        );
        let directory = account_type == Some(AccountType::Directory);
        if !directory {
            e.append(&mut form_errors);
        }
        let typed_password = self.new_password.is_typed();
        let invite = self.invite && account_type == Some(AccountType::Local);
        if account_type == Some(AccountType::Directory) {
            e.extend(self.directory_conflicts());
        }
        if invite && typed_password {
            e.push(ApiError::validation(
                PASSWORD,
                "The invited person chooses their own password: leave the password empty, or untick “Send an invitation”.",
            ));
        }
        let password = match account_type {
            Some(AccountType::Local) if invite => None,
            Some(AccountType::Local) if password_required || typed_password => {
                let owner = PasswordOwner {
                    username: self.username.trim(),
                    email: self.form.email.trim(),
                };
                self.new_password.check(e, ctx.policy, owner);
                Some(self.new_password.password.clone())
            }
            Some(AccountType::Local) => None,
            Some(AccountType::Directory) => None,
            None => None,
        };
        // A directory account's names come from the directory: its own
        // rules go first, so the error the API answers is about them.
        e.append(&mut form_errors);
        match (username, account_type, values) {
            (Some(username), Some(account_type), Some(values)) if errors.is_empty() => {
                Ok(NewAccount {
                    username,
                    account_type,
                    values,
                    password,
                    invite,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An edit of an existing account: everything but the username and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateAccountRequest {
    pub id: AccountId,
    /// The account's `version` when the form was opened: an older one than
    /// the stored account's is refused as `409 stale`.
    pub version: i64,
    #[serde(flatten)]
    pub form: AccountForm,
    /// `password` and `password_confirm`, a new password (local accounts):
    /// optional, except when the edit reactivates an expired account.
    #[serde(flatten)]
    pub new_password: NewPassword,
}

/// An update that passed every field rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChanges {
    pub values: AccountValues,
    pub new_password: Option<Secret>,
}

/// What the edit is checked against: the stored account.
#[derive(Debug, Clone, Copy)]
pub struct CurrentAccount<'a> {
    pub username: &'a str,
    pub account_type: AccountType,
    pub expires_on: Option<Date>,
    pub expired: bool,
}

impl UpdateAccountRequest {
    pub fn validate(
        &self,
        ctx: FormContext<'_>,
        current: CurrentAccount<'_>,
    ) -> Result<AccountChanges, Vec<ApiError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let values = self
            .form
            .validate_into(e, current.account_type, ctx, current.expires_on);
        let reactivating = current.expired
            && values
                .as_ref()
                .is_some_and(|v| v.expires_on.is_none_or(|d| d > ctx.today));
        let wants_password = self.new_password.is_typed();
        if current.account_type == AccountType::Directory {
            e.extend(self.form.directory_flag_conflicts());
        }
        let new_password = match current.account_type {
            AccountType::Directory if wants_password => {
                e.push(ApiError::validation(
                    fields::PASSWORD,
                    "A directory account's password is managed in the directory, not here.",
                ));
                None
            }
            AccountType::Directory => None,
            AccountType::Local if reactivating || wants_password => {
                if reactivating && !wants_password {
                    e.push(ApiError::validation(
                        fields::PASSWORD,
                        "This account expired: set a new password to reactivate it.",
                    ));
                } else {
                    let owner = PasswordOwner {
                        username: current.username,
                        email: self.form.email.trim(),
                    };
                    self.new_password.check(e, ctx.policy, owner);
                }
                Some(self.new_password.password.clone())
            }
            AccountType::Local => None,
        };
        match values {
            Some(values) if errors.is_empty() => Ok(AccountChanges {
                values,
                new_password,
            }),
            _ => Err(errors),
        }
    }
}

/// An administrator setting a new password for a local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPasswordRequest {
    pub id: AccountId,
    /// `password` and `password_confirm`.
    #[serde(flatten)]
    pub new_password: NewPassword,
    /// On by default: the owner must choose their own at next sign-in.
    #[serde(default = "yes")]
    pub must_change_password: bool,
}

fn yes() -> bool {
    true
}

impl ResetPasswordRequest {
    pub fn validate(
        &self,
        policy: &PasswordPolicy,
        owner: PasswordOwner<'_>,
    ) -> Result<(), Vec<ApiError>> {
        self.new_password.validate(policy, owner).map(|_| ())
    }
}

/// Someone changing their own password (required at sign-in, or by choice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    pub current_password: Secret,
    /// `password` and `password_confirm`.
    #[serde(flatten)]
    pub new_password: NewPassword,
}

impl ChangePasswordRequest {
    pub fn validate(
        &self,
        policy: &PasswordPolicy,
        owner: PasswordOwner<'_>,
    ) -> Result<(), Vec<ApiError>> {
        let mut errors = Vec::new();
        if self.current_password.is_empty() {
            errors.push(ApiError::validation(
                "current_password",
                "Enter your current password.",
            ));
        }
        self.new_password.check(&mut errors, policy, owner);
        if errors.is_empty()
            && super::text::password(self.new_password.password.expose())
                == super::text::password(self.current_password.expose())
        {
            errors.push(ApiError::validation(
                fields::PASSWORD,
                "The new password must differ from the current one.",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Keeps the value, or records the error against `field`.
fn collect_field<T>(
    errors: &mut Vec<ApiError>,
    field: &str,
    result: Result<T, String>,
) -> Option<T> {
    result
        .map_err(|message| errors.push(ApiError::validation(field, message)))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn ctx(policy: &PasswordPolicy) -> FormContext<'_> {
        FormContext {
            policy,
            today: TODAY,
            clients_required: false,
        }
    }

    fn good() -> CreateAccountRequest {
        CreateAccountRequest {
            username: "jdoe".into(),
            account_type: "local".into(),
            form: AccountForm {
                first_name: "Jane".into(),
                last_name: "Doe".into(),
                email: "jane@example.org".into(),
                ..AccountForm::default()
            },
            new_password: NewPassword::new("correct horse 1!", "correct horse 1!"),
            invite: false,
        }
    }

    #[test]
    fn an_invitation_replaces_the_password() {
        let policy = PasswordPolicy::default();
        let invited = CreateAccountRequest {
            new_password: NewPassword::default(),
            invite: true,
            ..good()
        };
        let ok = invited.validate(ctx(&policy)).unwrap();
        assert!(ok.invite && ok.password.is_none());
        // Both at once is refused beside the password.
        let both = CreateAccountRequest {
            invite: true,
            ..good()
        };
        let errs = both.validate(ctx(&policy)).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("password"));
        // Neither is refused too (the form's password is required).
        let neither = CreateAccountRequest {
            new_password: NewPassword::default(),
            ..good()
        };
        assert!(neither.validate(ctx(&policy)).is_err());
        // Directory accounts have nothing to be invited to set.
        let directory = CreateAccountRequest {
            account_type: "directory".into(),
            new_password: NewPassword::default(),
            invite: true,
            ..good()
        };
        let errs = directory.validate(ctx(&policy)).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("invite"));
    }

    #[test]
    fn accepts_a_good_request() {
        let policy = PasswordPolicy::default();
        let ok = good().validate(ctx(&policy)).unwrap();
        assert_eq!(ok.username.as_str(), "jdoe");
        assert_eq!(ok.values.role, Role::User);
        assert_eq!(ok.values.status, AccountStatus::Active);
        assert_eq!(ok.account_type, AccountType::Local);
    }

    #[test]
    fn old_clients_send_the_flat_shape() {
        let req: CreateAccountRequest = serde_json::from_str(
            r#"{"username":"a","first_name":"A","last_name":"B","email":"a@b.c","role":"user","password":"x","password_confirm":"x"}"#,
        )
        .unwrap();
        assert_eq!(req.account_type, "local");
        assert_eq!(req.form.status, "active");
        assert_eq!(req.form.case_access, "standard");
    }

    #[test]
    fn reports_every_bad_field() {
        let mut req = good();
        req.username = "j doe".into();
        req.form.first_name = "".into();
        req.form.email = "nope".into();
        req.form.role = "root".into();
        req.form.expires_on = "2026-11-23".into();
        req.new_password.password = "short".into();
        req.new_password.password_confirm = "other".into();
        let policy = PasswordPolicy::default();
        let errs = req.validate(ctx(&policy)).unwrap_err();
        let fields: Vec<_> = errs.iter().filter_map(|e| e.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "username",
                "first_name",
                "email",
                "role",
                "expires_on",
                "password",
                "password_confirm"
            ]
        );
    }

    #[test]
    fn expiry_must_be_after_today() {
        let policy = PasswordPolicy::default();
        let mut req = good();
        req.form.expires_on = "2026-11-24".into();
        assert_eq!(
            req.validate(ctx(&policy)).unwrap().values.expires_on,
            Some(date!(2026 - 11 - 24))
        );
        req.form.expires_on = "24/11/2026".into();
        assert!(req.validate(ctx(&policy)).is_err());
    }

    #[test]
    fn users_need_a_client_when_the_tenant_has_some() {
        let policy = PasswordPolicy::default();
        let required = FormContext {
            clients_required: true,
            ..ctx(&policy)
        };
        let errs = good().validate(required).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("clients"));
        // Administrators have no clients: none asked, any sent are dropped.
        let mut admin = good();
        admin.form.role = "administrator".into();
        admin.form.clients = vec![ClientId::from_uuid(uuid::Uuid::nil())];
        admin.form.case_access = "read_only".into();
        let ok = admin.validate(required).unwrap();
        assert!(ok.values.clients.is_empty());
        assert_eq!(ok.values.case_access, CaseAccess::Standard);
    }

    #[test]
    fn directory_accounts_take_no_password() {
        let policy = PasswordPolicy::default();
        let mut req = good();
        req.account_type = "directory".into();
        req.form.must_change_password = true;
        assert_eq!(
            req.validate(ctx(&policy)).unwrap_err()[0].field.as_deref(),
            Some("password")
        );
        req.new_password = NewPassword::default();
        // Rollcall cannot force or rotate a directory password: refused.
        let errs = req.validate(ctx(&policy)).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("must_change_password"));
        req.form.must_change_password = false;
        req.form.rotate_password = true;
        let errs = req.validate(ctx(&policy)).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("rotate_password"));
        req.form.rotate_password = false;
        let ok = req.validate(ctx(&policy)).unwrap();
        assert_eq!(ok.password, None);
        assert!(!ok.values.must_change_password);
    }

    fn edit() -> UpdateAccountRequest {
        UpdateAccountRequest {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            version: 1,
            form: good().form,
            new_password: NewPassword::default(),
        }
    }

    const CURRENT: CurrentAccount<'static> = CurrentAccount {
        username: "jdoe",
        account_type: AccountType::Local,
        expires_on: None,
        expired: false,
    };

    #[test]
    fn updates_validate_every_field() {
        let policy = PasswordPolicy::default();
        let mut req = edit();
        req.form.first_name = " ".into();
        req.form.email = "bad".into();
        req.form.status = "sleeping".into();
        let fields: Vec<_> = req
            .validate(ctx(&policy), CURRENT)
            .unwrap_err()
            .into_iter()
            .filter_map(|e| e.field)
            .collect();
        assert_eq!(fields, ["first_name", "email", "status"]);
        let mut ok = edit();
        ok.form.status = "inactive".into();
        let changes = ok.validate(ctx(&policy), CURRENT).unwrap();
        assert_eq!(changes.values.status, AccountStatus::Inactive);
        assert_eq!(changes.new_password, None);
    }

    #[test]
    fn a_past_expiry_may_stay_but_reactivating_needs_a_password() {
        let policy = PasswordPolicy::default();
        let past = date!(2026 - 11 - 01);
        let expired = CurrentAccount {
            expires_on: Some(past),
            expired: true,
            ..CURRENT
        };
        // Editing the name and keeping the past date: allowed, stays expired.
        let mut keep = edit();
        keep.form.expires_on = "2026-11-01".into();
        assert!(keep.validate(ctx(&policy), expired).is_ok());
        // Clearing the date reactivates: a new password is required.
        let clear = edit();
        let errs = clear.validate(ctx(&policy), expired).unwrap_err();
        assert!(errs[0].message.contains("set a new password"));
        let mut with_password = edit();
        with_password.new_password.password = "Fresh start 2!".into();
        with_password.new_password.password_confirm = "Fresh start 2!".into();
        let changes = with_password.validate(ctx(&policy), expired).unwrap();
        assert_eq!(
            changes.new_password.as_ref().map(Secret::expose),
            Some("Fresh start 2!")
        );
        // A directory account reactivates without one.
        let directory = CurrentAccount {
            account_type: AccountType::Directory,
            ..expired
        };
        assert!(clear.validate(ctx(&policy), directory).is_ok());
    }

    #[test]
    fn password_may_not_contain_username() {
        let policy = PasswordPolicy::default();
        let req = CreateAccountRequest {
            new_password: NewPassword::new("xJDOEx12!", "xJDOEx12!"),
            ..good()
        };
        let errs = req.validate(ctx(&policy)).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("password"));
        assert!(errs[0].message.contains("username"));
    }

    #[test]
    fn changing_your_own_password() {
        let policy = PasswordPolicy::default();
        let owner = PasswordOwner {
            username: "jdoe",
            email: "jane@example.org",
        };
        let same = ChangePasswordRequest {
            current_password: "Old pass 1!".into(),
            new_password: NewPassword::new("Old pass 1!", "Old pass 1!"),
        };
        assert!(same.validate(&policy, owner).unwrap_err()[0]
            .message
            .contains("differ"));
        let fine = ChangePasswordRequest {
            new_password: NewPassword::new("New pass 2!", "New pass 2!"),
            ..same
        };
        assert!(fine.validate(&policy, owner).is_ok());
    }
}
