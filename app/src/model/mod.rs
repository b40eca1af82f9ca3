//! Request and response types of the API, and the validation both sides share.

pub mod accounts;
pub mod audit;
pub mod clients;
pub mod csv;
pub mod directory;
pub mod duplicate;
pub mod error;
pub mod import;
pub mod invitations;
pub mod license;
pub mod listing;
pub mod password;
pub mod permissions;
pub mod secret;
pub mod session;
pub mod session_end;
pub mod text;
pub mod usage;
pub mod values;

pub use accounts::{
    AccountChanges, AccountDetails, AccountForm, AccountSummary, AccountValues,
    ChangePasswordRequest, CreateAccountRequest, CurrentAccount, FormContext, NewAccount,
    ResetPasswordRequest, UpdateAccountRequest,
};
pub use audit::{AuditAction, AuditEvent, AuditPage, AuditQuery};
pub use clients::{AccountFormOptions, Client, SaveClientRequest, TenantSettings};
pub use error::{ApiError, ErrorCode};
pub use license::{LicenseInfo, SeatDevice, SeatHolder, SignOutAnswer};
pub use listing::{AccountListQuery, AccountPage, AccountSort};
pub use password::{
    common_passwords, install_common_passwords, CommonPasswords, NewPassword, PasswordOwner,
    PasswordPolicy, PasswordRule,
};
pub use secret::Secret;
pub use session::{HeartbeatInfo, SessionEnd, SessionInfo, WhenFull};
pub use values::{
    format_date, parse_client_name, parse_date, parse_seats, AccountId, AccountStatus, AccountType,
    CaseAccess, ClientId, Email, PersonName, Role, TenantId, TenantName, TenantSlug, Username,
};
