//! "Duplicate" (vendor page 000): a new account made as a copy of another,
//! with the parts of it the administrator chose.

use super::accounts::CreateAccountRequest;
use super::values::AccountId;
use serde::{Deserialize, Serialize};

/// What "Duplicate" can carry over from the source account (identity,
/// name, email and password never are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatePart {
    Role,
    AccountType,
    Groups,
    FormPermissions,
    Clients,
    CaseAccess,
    PasswordFlags,
    Expiry,
}

impl DuplicatePart {
    pub const ALL: [DuplicatePart; 8] = [
        DuplicatePart::Role,
        DuplicatePart::AccountType,
        DuplicatePart::Groups,
        DuplicatePart::FormPermissions,
        DuplicatePart::Clients,
        DuplicatePart::CaseAccess,
        DuplicatePart::PasswordFlags,
        DuplicatePart::Expiry,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DuplicatePart::Role => "Role",
            DuplicatePart::AccountType => "Account type",
            DuplicatePart::Groups => "Group Memberships",
            DuplicatePart::FormPermissions => "Form permissions set on the person",
            DuplicatePart::Clients => "Clients",
            DuplicatePart::CaseAccess => "Case access level",
            DuplicatePart::PasswordFlags => "Password-change requirements",
            DuplicatePart::Expiry => "Expires/Deactivates on",
        }
    }
}

/// Creates an account as a copy of `source`: `account` holds the new
/// identity and the copied fields (the form prefilled them; parts left out
/// are at their defaults); `parts` names what was copied. Person-level form
/// permissions are copied by the server when `form_permissions` is among
/// them. A local account is invited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateAccountRequest {
    pub source: AccountId,
    pub account: CreateAccountRequest,
    pub parts: Vec<DuplicatePart>,
}
