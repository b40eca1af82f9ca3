//! Validated values. Each `parse` checks once; after that the value is known
//! good on both sides of the wire. Messages say what to type instead.

use super::text;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(TenantId);
id_type!(AccountId);
id_type!(ClientId);

macro_rules! string_type {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_type!(TenantSlug);
string_type!(TenantName);
string_type!(Username);
string_type!(PersonName);
string_type!(Email);

pub const USERNAME_MAX: usize = 64;
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const TENANT_NAME_MAX: usize = 200;
pub const SEATS_MAX: i32 = 100_000;

impl TenantSlug {
    /// Lower-case letters, digits and hyphens, 2 to 63 characters, starting and
    /// ending with a letter or digit (it appears in URLs and on the sign-in page).
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("Enter your organisation's short name.".into());
        }
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let ok_ends = !s.starts_with('-') && !s.ends_with('-');
        if !(2..=63).contains(&s.len()) || !ok_chars || !ok_ends {
            return Err(
                "An organisation's short name has 2 to 63 letters, digits or hyphens, and does not start or end with a hyphen."
                    .into(),
            );
        }
        Ok(Self(s))
    }
}

impl TenantName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = text::nfc(input.trim());
        if s.is_empty() {
            return Err("Enter the organisation's name.".into());
        }
        if s.chars().count() > TENANT_NAME_MAX {
            return Err(format!(
                "An organisation's name has at most {TENANT_NAME_MAX} characters."
            ));
        }
        if let Some(c) = text::first_disallowed_in_name(&s) {
            return Err(text::disallowed_message("organisation's name", c));
        }
        Ok(Self(s))
    }
}

impl Username {
    /// A new username: PRECIS UsernameCaseMapped (RFC 8265 §3.3) with
    /// Rollcall's character set. Width-mapped ([`text::width_map`]: `ｂｏｂ` is
    /// `bob`), in NFC, 1 to 64 letters, digits and `. _ - @`, none of them a
    /// compatibility character (`𝐛𝐨𝐛`, `ᵇᵒᵇ`: [`text::compatibility_char`])
    /// or invisible ([`text::is_disallowed_in_name`]). Uniqueness ignores
    /// case and compatibility forms ([`Username::folded`]); the spelling
    /// given at creation is kept for display.
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = Self::lookup(input)?;
        if let Some(c) = text::compatibility_char(name.as_str()) {
            return Err(format!(
                "A username cannot use styled or look-alike characters such as “{c}” ({}): type it with plain letters and digits.",
                text::code_point(c)
            ));
        }
        Ok(name)
    }

    /// A username as typed to find an existing account (sign-in, look-ups):
    /// [`Username::parse`] without its refusal of compatibility characters,
    /// which accounts created before that rule may have. Compare by
    /// [`Username::folded`].
    pub fn lookup(input: &str) -> Result<Self, String> {
        let s = text::nfc(&text::width_map(input.trim()));
        let s = s.as_str();
        if s.is_empty() {
            return Err("Enter a username.".into());
        }
        if s.chars().count() > USERNAME_MAX {
            return Err(format!("A username has at most {USERNAME_MAX} characters."));
        }
        if let Some(bad) = s.chars().find(|&c| {
            !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
                || text::is_disallowed_in_name(c)
        }) {
            let shown = if bad.is_whitespace() {
                "spaces".to_owned()
            } else if text::is_disallowed_in_name(bad) {
                format!("the invisible character {}", text::code_point(bad))
            } else {
                format!("“{bad}”")
            };
            return Err(format!(
                "A username may use letters, digits and . _ - @ only, not {shown}."
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The key for comparison ignoring case and compatibility forms
    /// (`accounts.username_key`): [`text::username_key`].
    pub fn folded(&self) -> String {
        text::username_key(&self.0)
    }
}

impl PersonName {
    /// 1 to 100 characters, no control characters, stored in NFC.
    pub fn parse(input: &str, what: &str) -> Result<Self, String> {
        let s = text::nfc(input.trim());
        if s.is_empty() {
            return Err(format!("Enter a {what}."));
        }
        if s.chars().count() > NAME_MAX {
            return Err(format!("A {what} has at most {NAME_MAX} characters."));
        }
        if let Some(c) = text::first_disallowed_in_name(&s) {
            return Err(text::disallowed_message(what, c));
        }
        Ok(Self(s))
    }
}

impl Email {
    /// A pragmatic check (one `@`, a dotted domain, no spaces); the address is
    /// proven only by mail reaching it.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = text::nfc(input.trim());
        let s = s.as_str();
        if s.is_empty() {
            return Err("Enter an email address.".into());
        }
        let example = "Enter an email address like name@example.org.";
        if s.len() > EMAIL_MAX {
            return Err(format!(
                "An email address has at most {EMAIL_MAX} characters."
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(example.into());
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty()
            || !domain_ok
            || s.chars()
                .any(|c| c.is_whitespace() || text::is_disallowed_in_name(c))
        {
            return Err(example.into());
        }
        Ok(Self(s.to_owned()))
    }
}

/// Seat count a tenant owns (0 to 100,000; 0 lets nobody sign in).
pub fn parse_seats(n: i64) -> Result<i32, String> {
    i32::try_from(n)
        .ok()
        .filter(|n| (0..=SEATS_MAX).contains(n))
        .ok_or_else(|| format!("Seats must be a whole number from 0 to {SEATS_MAX}."))
}

/// The administrator reserve of a tenant with `seats` seats: 0, or from 1
/// to `seats - 1` (a reserve of every seat would lock people out; issue #15).
pub fn parse_admin_reserve(reserve: i64, seats: i32) -> Result<i32, String> {
    match i32::try_from(reserve) {
        Ok(0) => Ok(0),
        Ok(k) if k > 0 && k < seats => Ok(k),
        _ if seats <= 1 => Err(format!(
            "With {seats} seat{} there is no room for an administrator reserve: use 0.",
            if seats == 1 { "" } else { "s" }
        )),
        _ => Err(format!(
            "The administrator reserve must be fewer than the seats: 0 to {} for {seats} seats.",
            seats - 1
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::User => "user",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "administrator" | "admin" => Ok(Role::Administrator),
            "user" => Ok(Role::User),
            _ => Err("The role is either administrator or user.".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::User => "User",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Inactive,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(AccountStatus::Active),
            "inactive" => Ok(AccountStatus::Inactive),
            _ => Err("The status is either active or inactive.".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::Active => "Active",
            AccountStatus::Inactive => "Inactive",
        }
    }
}

/// How an account proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// A Rollcall password, set and reset by administrators.
    Local,
    /// An Active Directory domain account: the directory owns the password
    /// and the person's details.
    Directory,
}

impl AccountType {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountType::Local => "local",
            AccountType::Directory => "directory",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "local" => Ok(AccountType::Local),
            "directory" => Ok(AccountType::Directory),
            _ => Err("The account type is either local or directory.".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountType::Local => "Local account",
            AccountType::Directory => "Active Directory domain account",
        }
    }
}

/// What a user may do with the cases of their clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseAccess {
    Standard,
    ReadOnly,
}

impl CaseAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseAccess::Standard => "standard",
            CaseAccess::ReadOnly => "read_only",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "standard" => Ok(CaseAccess::Standard),
            "read_only" => Ok(CaseAccess::ReadOnly),
            _ => Err("The case access level is either standard or read_only.".into()),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseAccess::Standard => "Standard Access",
            CaseAccess::ReadOnly => "Read Only Access",
        }
    }
}

/// A calendar date as forms and the API write it: `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> Result<time::Date, String> {
    let bad = || format!("“{input}” is not a date: use the form YYYY-MM-DD, e.g. 2027-03-31.");
    let mut parts = input.trim().splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    time::Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// `YYYY-MM-DD`, the inverse of [`parse_date`].
pub fn format_date(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A client's name: 1 to 120 characters, trimmed, in NFC.
pub fn parse_client_name(input: &str) -> Result<String, String> {
    let name = text::nfc(input.trim());
    match name.chars().count() {
        0 => Err("Enter the client's name.".into()),
        n if n > 120 => Err("A client's name is at most 120 characters.".into()),
        _ => match text::first_disallowed_in_name(&name) {
            Some(c) => Err(text::disallowed_message("client's name", c)),
            None => Ok(name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_fewer_than_the_seats() {
        assert_eq!(parse_admin_reserve(0, 0), Ok(0));
        assert_eq!(parse_admin_reserve(0, 10), Ok(0));
        assert_eq!(parse_admin_reserve(9, 10), Ok(9));
        assert!(parse_admin_reserve(10, 10)
            .unwrap_err()
            .contains("0 to 9 for 10 seats"));
        assert!(parse_admin_reserve(-1, 10).is_err());
        assert!(parse_admin_reserve(1, 1).unwrap_err().contains("use 0"));
        assert!(parse_admin_reserve(i64::MAX, 10).is_err());
    }

    #[test]
    fn slug_rules() {
        assert_eq!(TenantSlug::parse(" Demo ").unwrap().as_str(), "demo");
        assert!(TenantSlug::parse("a").is_err());
        assert!(TenantSlug::parse("-ab").is_err());
        assert!(TenantSlug::parse("ab-").is_err());
        assert!(TenantSlug::parse("a_b").is_err());
        assert!(TenantSlug::parse(&"a".repeat(64)).is_err());
        assert!(TenantSlug::parse(&"a".repeat(63)).is_ok());
        assert!(TenantSlug::parse("").unwrap_err().contains("Enter"));
    }

    #[test]
    fn username_rules() {
        assert_eq!(Username::parse(" j.doe ").unwrap().as_str(), "j.doe");
        assert_eq!(Username::parse("JDoe").unwrap().folded(), "jdoe");
        assert!(Username::parse("").is_err());
        assert!(Username::parse("john doe").unwrap_err().contains("spaces"));
        assert!(Username::parse("a/b").unwrap_err().contains("“/”"));
        assert!(Username::parse(&"x".repeat(64)).is_ok());
        assert!(Username::parse(&"x".repeat(65)).is_err());
        assert!(Username::parse("élodie_m-1@x").is_ok());
    }

    #[test]
    fn email_rules() {
        assert!(Email::parse("a@b.co").is_ok());
        for bad in [
            "", "ab", "a@b", "@b.co", "a@.co", "a@b.", "a b@c.de", "a@b..c", "a@b@c.de",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn names_and_seats() {
        assert!(PersonName::parse("  ", "first name")
            .unwrap_err()
            .contains("first name"));
        assert!(PersonName::parse(&"n".repeat(101), "last name").is_err());
        assert!(PersonName::parse("Ann\u{7}", "first name").is_err());
        assert_eq!(parse_seats(3), Ok(3));
        assert_eq!(parse_seats(0), Ok(0));
        assert!(parse_seats(-1).is_err());
        assert!(parse_seats(100_001).is_err());
    }

    #[test]
    fn role_round_trip() {
        for r in [Role::Administrator, Role::User] {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(Role::parse("admin"), Ok(Role::Administrator));
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn dates() {
        let d = parse_date("2027-03-31").unwrap();
        assert_eq!(format_date(d), "2027-03-31");
        for bad in [
            "",
            "2027-3-31",
            "2027-02-30",
            "31/03/2027",
            "2027-13-01",
            "abcd-ef-gh",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert!(parse_date("x").unwrap_err().contains("YYYY-MM-DD"));
    }

    #[test]
    fn enums_round_trip() {
        for t in [AccountType::Local, AccountType::Directory] {
            assert_eq!(AccountType::parse(t.as_str()), Ok(t));
        }
        for c in [CaseAccess::Standard, CaseAccess::ReadOnly] {
            assert_eq!(CaseAccess::parse(c.as_str()), Ok(c));
        }
        assert!(CaseAccess::parse("admin").is_err());
    }

    #[test]
    fn client_names() {
        assert_eq!(parse_client_name("  Acme  ").unwrap(), "Acme");
        assert!(parse_client_name(" ").is_err());
        assert!(parse_client_name(&"x".repeat(121)).is_err());
    }
}
