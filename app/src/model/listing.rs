//! The accounts list: search, filters, sort and pages, and its CSV export.

use super::accounts::AccountSummary;
use super::error::ApiError;
use super::values::{format_date, AccountType, ClientId, Role};
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE_DEFAULT: u32 = 50;
pub const PAGE_SIZE_MAX: u32 = 200;
pub const SEARCH_MAX: usize = 100;
/// The export refuses rather than truncates above this many rows.
pub const EXPORT_MAX: u64 = 100_000;

/// The list's query as the browser or a script sends it; empty strings mean
/// "any".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountListQuery {
    /// Part of the username, first or last name, or email (any case).
    pub search: String,
    /// `administrator` or `user`.
    pub role: String,
    /// `active`, `inactive` or `expired`.
    pub status: String,
    /// `local` or `directory`.
    pub account_type: String,
    /// Only accounts that work on this client.
    pub client: Option<ClientId>,
    /// `username`, `name`, `email`, `role`, `status` or `created`.
    pub sort: String,
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

impl Default for AccountListQuery {
    fn default() -> Self {
        Self {
            search: String::new(),
            role: String::new(),
            status: String::new(),
            account_type: String::new(),
            client: None,
            sort: AccountSort::Username.as_str().into(),
            descending: false,
            page: 1,
            page_size: PAGE_SIZE_DEFAULT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSort {
    Username,
    Name,
    Email,
    Role,
    Status,
    Created,
}

impl AccountSort {
    pub const ALL: [AccountSort; 6] = [
        AccountSort::Username,
        AccountSort::Name,
        AccountSort::Email,
        AccountSort::Role,
        AccountSort::Status,
        AccountSort::Created,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountSort::Username => "username",
            AccountSort::Name => "name",
            AccountSort::Email => "email",
            AccountSort::Role => "role",
            AccountSort::Status => "status",
            AccountSort::Created => "created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountSort::Username => "Username",
            AccountSort::Name => "Name",
            AccountSort::Email => "Email",
            AccountSort::Role => "Role",
            AccountSort::Status => "Status",
            AccountSort::Created => "Created",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Active and not expired: can sign in.
    Active,
    Inactive,
    Expired,
}

/// A list query that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFilter {
    /// A `LIKE` pattern, lower-cased, with `%` `_` `\` escaped.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub status: Option<StatusFilter>,
    pub account_type: Option<AccountType>,
    pub client: Option<ClientId>,
    pub sort: AccountSort,
    pub descending: bool,
    pub page: u32,
    pub page_size: u32,
}

impl AccountFilter {
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.page_size)
    }
}

impl AccountListQuery {
    pub fn validate(&self) -> Result<AccountFilter, ApiError> {
        let search = self.search.trim();
        if search.chars().count() > SEARCH_MAX {
            return Err(ApiError::validation(
                "search",
                format!("Search for at most {SEARCH_MAX} characters."),
            ));
        }
        let any = |s: &str| s.trim().is_empty();
        let role = if any(&self.role) {
            None
        } else {
            Some(Role::parse(&self.role).map_err(|m| ApiError::validation("role", m))?)
        };
        let status = match self.status.trim() {
            "" => None,
            "active" => Some(StatusFilter::Active),
            "inactive" => Some(StatusFilter::Inactive),
            "expired" => Some(StatusFilter::Expired),
            _ => {
                return Err(ApiError::validation(
                    "status",
                    "The status filter is active, inactive or expired.",
                ))
            }
        };
        let account_type = if any(&self.account_type) {
            None
        } else {
            Some(
                AccountType::parse(self.account_type.trim())
                    .map_err(|m| ApiError::validation("account_type", m))?,
            )
        };
        let sort = AccountSort::parse(self.sort.trim()).ok_or_else(|| {
            ApiError::validation(
                "sort",
                "Sort by username, name, email, role, status or created.",
            )
        })?;
        if self.page == 0 {
            return Err(ApiError::validation("page", "Pages start at 1."));
        }
        if !(1..=PAGE_SIZE_MAX).contains(&self.page_size) {
            return Err(ApiError::validation(
                "page_size",
                format!("A page holds 1 to {PAGE_SIZE_MAX} accounts."),
            ));
        }
        Ok(AccountFilter {
            search: (!search.is_empty()).then(|| super::text::contains_pattern(search)),
            role,
            status,
            account_type,
            client: self.client,
            sort,
            descending: self.descending,
            page: self.page,
            page_size: self.page_size,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    pub accounts: Vec<AccountSummary>,
    /// Accounts matching the filters, on every page.
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl AccountPage {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.page_size.max(1))).max(1)
    }
}

/// The export's columns: every one is read back by the import (see
/// [`super::import::IMPORT_COLUMNS`]; `created_at` is read and ignored).
pub const EXPORT_HEADER: [&str; 14] = [
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "status",
    "account_type",
    "expires_on",
    "clients",
    "groups",
    "case_access",
    "must_change_password",
    "rotate_password",
    "created_at",
];

/// One exported account: the summary, what else the account form sets, and
/// its clients' and groups' names.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub account: AccountSummary,
    pub case_access: String,
    pub must_change_password: bool,
    pub rotate_password: bool,
    pub clients: Vec<String>,
    pub groups: Vec<String>,
}

/// The accounts as CSV with a header row; clients and groups each in one
/// cell ([`super::import::join_names`]). Import reads it back unchanged.
pub fn accounts_csv(rows: &[ExportRow], stamp: &dyn Fn(time::OffsetDateTime) -> String) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let mut out = super::csv::line(&EXPORT_HEADER);
    for r in rows {
        let a = &r.account;
        let status = if a.expired {
            "expired"
        } else {
            a.status.as_str()
        };
        out.push_str(&super::csv::line(&[
            a.username.clone(),
            a.first_name.clone(),
            a.last_name.clone(),
            a.email.clone(),
            a.role.as_str().to_owned(),
            status.to_owned(),
            a.account_type.as_str().to_owned(),
            a.expires_on.map(format_date).unwrap_or_default(),
            super::import::join_names(&r.clients),
            super::import::join_names(&r.groups),
            r.case_access.clone(),
            yes_no(r.must_change_password),
            yes_no(r.rotate_password),
            stamp(a.created_at),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_first_page_by_username() {
        let f: AccountListQuery = serde_json::from_str("{}").unwrap();
        let f = f.validate().unwrap();
        assert_eq!(f.sort, AccountSort::Username);
        assert_eq!((f.page, f.page_size, f.offset()), (1, 50, 0));
        assert_eq!(f.search, None);
    }

    #[test]
    fn search_is_literal_and_folded() {
        let q = AccountListQuery {
            search: "  50%_Off\\ ".into(),
            ..AccountListQuery::default()
        };
        assert_eq!(
            q.validate().unwrap().search.as_deref(),
            Some("%50\\%\\_off\\\\%")
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            AccountListQuery {
                role: "root".into(),
                ..Default::default()
            },
            AccountListQuery {
                status: "asleep".into(),
                ..Default::default()
            },
            AccountListQuery {
                account_type: "ldap".into(),
                ..Default::default()
            },
            AccountListQuery {
                sort: "password".into(),
                ..Default::default()
            },
            AccountListQuery {
                page: 0,
                ..Default::default()
            },
            AccountListQuery {
                page_size: 201,
                ..Default::default()
            },
            AccountListQuery {
                search: "x".repeat(101),
                ..Default::default()
            },
        ];
        let fields: Vec<_> = cases
            .iter()
            .map(|q| q.validate().unwrap_err().field.unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "role",
                "status",
                "account_type",
                "sort",
                "page",
                "page_size",
                "search"
            ]
        );
    }

    #[test]
    fn page_count() {
        let page = |total| AccountPage {
            accounts: vec![],
            total,
            page: 1,
            page_size: 50,
        };
        assert_eq!(page(0).pages(), 1);
        assert_eq!(page(50).pages(), 1);
        assert_eq!(page(51).pages(), 2);
    }
}
