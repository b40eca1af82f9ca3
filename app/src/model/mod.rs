//! Request and response types of the API, and the validation both sides share.

pub mod accounts;
pub mod audit;
pub mod error;
pub mod license;
pub mod password;
pub mod session;
pub mod values;

pub use accounts::{
    AccountChanges, AccountSummary, CreateAccountRequest, NewAccount, UpdateAccountRequest,
};
pub use audit::{AuditAction, AuditEvent, AuditPage, AuditQuery};
pub use error::{ApiError, ErrorCode};
pub use license::{LicenseInfo, SeatHolder};
pub use password::{PasswordOwner, PasswordPolicy, PasswordRule};
pub use session::{HeartbeatInfo, SessionInfo};
pub use values::{
    parse_seats, AccountId, AccountStatus, Email, PersonName, Role, TenantId, TenantName,
    TenantSlug, Username,
};
