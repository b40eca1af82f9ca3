use super::error::ApiError;
use super::password::{PasswordOwner, PasswordPolicy};
use super::values::{AccountId, AccountStatus, Email, PersonName, Role, Username};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl AccountSummary {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Field names as the form and the API name them.
pub mod fields {
    pub const USERNAME: &str = "username";
    pub const FIRST_NAME: &str = "first_name";
    pub const LAST_NAME: &str = "last_name";
    pub const EMAIL: &str = "email";
    pub const ROLE: &str = "role";
    pub const PASSWORD: &str = "password";
    pub const PASSWORD_CONFIRM: &str = "password_confirm";
    pub const STATUS: &str = "status";
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountRequest {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `administrator` or `user`.
    pub role: String,
    pub password: String,
    pub password_confirm: String,
}

/// A create request that passed every field rule.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub role: Role,
    pub password: String,
}

impl CreateAccountRequest {
    /// Every field error at once (the form shows each beside its field; the
    /// server answers the first).
    pub fn validate(&self, policy: &PasswordPolicy) -> Result<NewAccount, Vec<ApiError>> {
        use fields::*;
        let mut errors = Vec::new();
        let e = &mut errors;
        let username = collect_field(e, USERNAME, Username::parse(&self.username));
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
        let owner = PasswordOwner {
            username: self.username.trim(),
            email: self.email.trim(),
        };
        let password_checked = if self.password.is_empty() {
            Err("Enter a password, or generate one.".to_owned())
        } else {
            policy.check(&self.password, owner)
        };
        collect_field(e, PASSWORD, password_checked);
        if self.password_confirm != self.password {
            e.push(ApiError::validation(
                PASSWORD_CONFIRM,
                "The two passwords are not the same. Type the password again.",
            ));
        }
        match (username, first_name, last_name, email, role) {
            (Some(username), Some(first_name), Some(last_name), Some(email), Some(role))
                if errors.is_empty() =>
            {
                Ok(NewAccount {
                    username,
                    first_name,
                    last_name,
                    email,
                    role,
                    password: self.password.clone(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// An edit of an existing account: everything but the username.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateAccountRequest {
    pub id: AccountId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `administrator` or `user`.
    pub role: String,
    /// `active` or `inactive`.
    pub status: String,
}

/// An update that passed every field rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChanges {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub role: Role,
    pub status: AccountStatus,
}

impl UpdateAccountRequest {
    pub fn validate(&self) -> Result<AccountChanges, Vec<ApiError>> {
        use fields::*;
        let mut errors = Vec::new();
        let e = &mut errors;
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
        match (first_name, last_name, email, role, status) {
            (Some(first_name), Some(last_name), Some(email), Some(role), Some(status)) => {
                Ok(AccountChanges {
                    first_name,
                    last_name,
                    email,
                    role,
                    status,
                })
            }
            _ => Err(errors),
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

    fn good() -> CreateAccountRequest {
        CreateAccountRequest {
            username: "jdoe".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            email: "jane@example.org".into(),
            role: "user".into(),
            password: "correct horse 1!".into(),
            password_confirm: "correct horse 1!".into(),
        }
    }

    #[test]
    fn accepts_a_good_request() {
        let ok = good().validate(&PasswordPolicy::default()).unwrap();
        assert_eq!(ok.username.as_str(), "jdoe");
        assert_eq!(ok.role, Role::User);
    }

    #[test]
    fn reports_every_bad_field() {
        let req = CreateAccountRequest {
            username: "j doe".into(),
            first_name: "".into(),
            email: "nope".into(),
            role: "root".into(),
            password: "short".into(),
            password_confirm: "other".into(),
            ..good()
        };
        let errs = req.validate(&PasswordPolicy::default()).unwrap_err();
        let fields: Vec<_> = errs.iter().filter_map(|e| e.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "username",
                "first_name",
                "email",
                "role",
                "password",
                "password_confirm"
            ]
        );
    }

    #[test]
    fn updates_validate_every_field() {
        let req = UpdateAccountRequest {
            id: AccountId::from_uuid(uuid::Uuid::nil()),
            first_name: " ".into(),
            last_name: "Doe".into(),
            email: "bad".into(),
            role: "user".into(),
            status: "sleeping".into(),
        };
        let fields: Vec<_> = req
            .validate()
            .unwrap_err()
            .into_iter()
            .filter_map(|e| e.field)
            .collect();
        assert_eq!(fields, ["first_name", "email", "status"]);
        let ok = UpdateAccountRequest {
            first_name: "Jane".into(),
            email: "jane@example.org".into(),
            status: "inactive".into(),
            ..req
        };
        assert_eq!(ok.validate().unwrap().status, AccountStatus::Inactive);
    }

    #[test]
    fn password_may_not_contain_username() {
        let req = CreateAccountRequest {
            password: "xJDOEx12!".into(),
            password_confirm: "xJDOEx12!".into(),
            ..good()
        };
        let errs = req.validate(&PasswordPolicy::default()).unwrap_err();
        assert_eq!(errs[0].field.as_deref(), Some("password"));
        assert!(errs[0].message.contains("username"));
    }
}
