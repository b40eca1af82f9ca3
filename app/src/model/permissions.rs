//! Groups, the catalogue of forms and their columns, and form permissions at
//! three levels: the tenant default, then groups, then the person.
//!
//! The rule, written once here and shown on screen:
//! 1. A setting on the person (Allow or Deny) decides.
//! 2. Otherwise the account's groups decide: if any of them denies, Deny;
//!    else if any allows, Allow. (Deny beats Allow among groups.)
//! 3. Otherwise the tenant default decides.

use super::values::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
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

id_type!(GroupId);
id_type!(FormId);
id_type!(ColumnId);

/// The rule in words, for the screens and the docs.
pub const RULE: &str = "A setting on the person decides. Otherwise the groups decide: if any of the person's groups denies, Deny; else if any allows, Allow. Otherwise the tenant default decides.";

/// One cell at group or person level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    #[default]
    Inherit,
    Allow,
    Deny,
}

impl Setting {
    /// A stored row: `None` (no row) is Inherit.
    pub fn from_row(allowed: Option<bool>) -> Setting {
        match allowed {
            None => Setting::Inherit,
            Some(true) => Setting::Allow,
            Some(false) => Setting::Deny,
        }
    }

    /// What to store: `None` deletes the row.
    pub fn as_row(self) -> Option<bool> {
        match self {
            Setting::Inherit => None,
            Setting::Allow => Some(true),
            Setting::Deny => Some(false),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Setting::Inherit => "Inherit",
            Setting::Allow => "Allow",
            Setting::Deny => "Deny",
        }
    }

    pub fn parse(s: &str) -> Option<Setting> {
        match s {
            "inherit" => Some(Setting::Inherit),
            "allow" => Some(Setting::Allow),
            "deny" => Some(Setting::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Inherit => "inherit",
            Setting::Allow => "allow",
            Setting::Deny => "deny",
        }
    }
}

/// The level that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Source {
    Person,
    Group { group: String },
    Tenant,
}

/// An effective permission and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    #[serde(flatten)]
    pub source: Source,
}

impl Decision {
    /// "Allow — group Editor", "Deny — set on this person",
    /// "Allow — tenant default".
    pub fn describe(&self) -> String {
        let verdict = if self.allowed { "Allow" } else { "Deny" };
        match &self.source {
            Source::Person => format!("{verdict} — set on this person"),
            Source::Group { group } => format!("{verdict} — group {group}"),
            Source::Tenant => format!("{verdict} — tenant default"),
        }
    }
}

/// Resolves one cell. `groups` are the account's groups with their setting
/// for this cell; among several that deny (or allow), the first by name is
/// named.
pub fn resolve(tenant_default: bool, groups: &[(&str, Setting)], person: Setting) -> Decision {
    match person {
        Setting::Allow | Setting::Deny => {
            return Decision {
                allowed: person == Setting::Allow,
                source: Source::Person,
            }
        }
        Setting::Inherit => {}
    }
    let first = |wanted: Setting| {
        groups
            .iter()
            .filter(|(_, s)| *s == wanted)
            .map(|(name, _)| *name)
            .min()
    };
    if let Some(group) = first(Setting::Deny) {
        return Decision {
            allowed: false,
            source: Source::Group {
                group: group.to_owned(),
            },
        };
    }
    if let Some(group) = first(Setting::Allow) {
        return Decision {
            allowed: true,
            source: Source::Group {
                group: group.to_owned(),
            },
        };
    }
    Decision {
        allowed: tenant_default,
        source: Source::Tenant,
    }
}

/// A name in the catalogue or a group name: 1 to 80 characters, trimmed, in
/// NFC. Names are unique ignoring case ([`super::text::fold`]).
pub fn parse_name(what: &str, input: &str) -> Result<String, String> {
    let name = super::text::nfc(input.trim());
    match name.chars().count() {
        0 => Err(format!("Enter the {what}'s name.")),
        n if n > 80 => Err(format!("A {what}'s name is at most 80 characters.")),
        _ => match super::text::first_disallowed_in_name(&name) {
            Some(c) => Err(super::text::disallowed_message(
                &format!("{what}'s name"),
                c,
            )),
            None => Ok(name),
        },
    }
}

pub const DESCRIPTION_MAX: usize = 500;

/// A group's description: at most [`DESCRIPTION_MAX`] characters, trimmed,
/// in NFC; line breaks and tabs are kept, and no other character a name
/// refuses ([`super::text::first_disallowed_in_name`]) may appear.
pub fn parse_description(input: &str) -> Result<String, String> {
    let text = super::text::nfc(input.trim());
    if text.chars().count() > DESCRIPTION_MAX {
        return Err(format!(
            "A description is at most {DESCRIPTION_MAX} characters."
        ));
    }
    let lines: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    match super::text::first_disallowed_in_name(&lines) {
        Some(c) => Err(super::text::disallowed_message("description", c)),
        None => Ok(text),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub member_count: u32,
    /// Goes up whenever this changes; a rename sends the version it was
    /// based on (#25).
    #[serde(default)]
    pub version: i64,
}

/// Create (no `id`), or rename and describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveGroupRequest {
    #[serde(default)]
    pub id: Option<GroupId>,
    /// With `id`: the version the edit was based on (required; an older
    /// one than the stored record's is `409 stale`).
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// An account a change would affect, as a confirmation lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedAccount {
    pub id: AccountId,
    pub username: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormColumn {
    pub id: ColumnId,
    pub name: String,
    /// The tenant default for this column.
    pub default_allowed: bool,
    pub retired: bool,
    /// Goes up whenever this changes; a rename sends the version it was
    /// based on (#25).
    #[serde(default)]
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub id: FormId,
    pub name: String,
    pub retired: bool,
    pub columns: Vec<FormColumn>,
    /// Goes up whenever this changes; a rename sends the version it was
    /// based on (#25).
    #[serde(default)]
    pub version: i64,
}

/// Add a form (no `id`) or rename one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveFormRequest {
    #[serde(default)]
    pub id: Option<FormId>,
    /// With `id`: the version the edit was based on (required; an older
    /// one than the stored record's is `409 stale`).
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
}

/// Add a column to `form` (no `id`) or rename one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveColumnRequest {
    pub form: FormId,
    #[serde(default)]
    pub id: Option<ColumnId>,
    /// With `id`: the version the edit was based on (required; an older
    /// one than the stored record's is `409 stale`).
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
}

/// Whose permissions a matrix edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", content = "id", rename_all = "snake_case")]
pub enum Level {
    /// The tenant default: cells are Allow or Deny, never Inherit.
    Tenant,
    Group(GroupId),
    Account(AccountId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellChange {
    pub column: ColumnId,
    pub setting: Setting,
}

/// Several cells of one level at once (a whole row, a whole column, clear
/// overrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPermissionsRequest {
    pub level: Level,
    pub cells: Vec<CellChange>,
}

pub const MAX_CELLS_PER_CHANGE: usize = 5_000;

/// A column in a matrix, at the level being edited, with what the person
/// finally gets (account matrices) or the tenant default (group matrices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixCell {
    pub column: ColumnId,
    pub name: String,
    /// The setting at the edited level (Allow/Deny at tenant level).
    pub setting: Setting,
    /// Account matrices: the effective permission and its source.
    /// Group matrices: what the tenant default gives.
    pub effective: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixForm {
    pub id: FormId,
    pub name: String,
    pub columns: Vec<MatrixCell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub level: Level,
    pub forms: Vec<MatrixForm>,
}

/// "May account A see column C of form F?" (names as in the catalogue;
/// the username ignores case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessQuestion {
    pub username: String,
    pub form: String,
    pub column: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessAnswer {
    pub username: String,
    pub form: String,
    pub column: String,
    #[serde(flatten)]
    pub decision: Decision,
    /// The decision in words ("Allow — group Editor").
    pub explanation: String,
}

/// An account's whole effective matrix, for other systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveMatrix {
    pub username: String,
    pub forms: Vec<EffectiveForm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveForm {
    pub form: String,
    pub columns: Vec<EffectiveColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveColumn {
    pub column: String,
    #[serde(flatten)]
    pub decision: Decision,
}

/// A tenant API token as listed (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<time::OffsetDateTime>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiToken,
    /// `Authorization: Bearer <secret>`; shown this once, stored hashed.
    pub secret: crate::model::Secret,
}

/// The version an edit of an existing record must carry: `Err` (422, field
/// `version`) when a request with an `id` left it out.
pub fn required_version(version: Option<i64>) -> Result<i64, super::ApiError> {
    version.ok_or_else(|| {
        super::ApiError::validation(
            "version",
            "Send the version of the record you are changing (as its list or get answered it), so a change made meanwhile is not overwritten.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Setting::{Allow, Deny, Inherit};

    fn group(name: &str) -> Source {
        Source::Group {
            group: name.to_owned(),
        }
    }

    /// Every combination of tenant default × groups (none, one, several
    /// mixed) × person.
    #[test]
    fn resolution_table() {
        let none: &[(&str, Setting)] = &[];
        let one_allow: &[(&str, Setting)] = &[("Editor", Allow)];
        let one_deny: &[(&str, Setting)] = &[("Editor", Deny)];
        let one_inherit: &[(&str, Setting)] = &[("Editor", Inherit)];
        let mixed: &[(&str, Setting)] =
            &[("Viewers", Allow), ("Editor", Inherit), ("Auditors", Deny)];
        let allows: &[(&str, Setting)] = &[("Zeta", Allow), ("Alpha", Allow), ("Mid", Inherit)];
        let denies: &[(&str, Setting)] = &[("Zeta", Deny), ("Beta", Deny)];
        let inherits: &[(&str, Setting)] = &[("A", Inherit), ("B", Inherit)];

        // (tenant, groups, person) => (allowed, source)
        type Groups<'a> = &'a [(&'a str, Setting)];
        let cases: Vec<(bool, Groups, Setting, bool, Source)> = vec![
            // No groups: the person, else the tenant.
            (false, none, Inherit, false, Source::Tenant),
            (true, none, Inherit, true, Source::Tenant),
            (false, none, Allow, true, Source::Person),
            (true, none, Deny, false, Source::Person),
            (true, none, Allow, true, Source::Person),
            (false, none, Deny, false, Source::Person),
            // One group.
            (false, one_allow, Inherit, true, group("Editor")),
            (true, one_deny, Inherit, false, group("Editor")),
            (true, one_inherit, Inherit, true, Source::Tenant),
            (false, one_inherit, Inherit, false, Source::Tenant),
            (false, one_allow, Deny, false, Source::Person),
            (true, one_deny, Allow, true, Source::Person),
            (false, one_inherit, Allow, true, Source::Person),
            // Several, mixed: Deny beats Allow, whatever the tenant says.
            (true, mixed, Inherit, false, group("Auditors")),
            (false, mixed, Inherit, false, group("Auditors")),
            (false, mixed, Allow, true, Source::Person),
            (true, mixed, Deny, false, Source::Person),
            // Several allowing: the first by name is named.
            (false, allows, Inherit, true, group("Alpha")),
            (false, denies, Inherit, false, group("Beta")),
            (true, denies, Allow, true, Source::Person),
            // Several inheriting: the tenant decides.
            (true, inherits, Inherit, true, Source::Tenant),
            (false, inherits, Inherit, false, Source::Tenant),
            (false, inherits, Deny, false, Source::Person),
        ];
        for (tenant, groups, person, allowed, source) in cases {
            let d = resolve(tenant, groups, person);
            assert_eq!(
                (d.allowed, &d.source),
                (allowed, &source),
                "tenant {tenant}, groups {groups:?}, person {person:?}"
            );
        }
    }

    /// The full cross product: 2 tenant defaults × 8 kinds of group sets ×
    /// 3 person settings = 48 cases. Each group set states what the groups
    /// decide on their own; the person and the tenant are then applied by
    /// the rule as the screen words it.
    #[test]
    fn resolution_cross_product() {
        type Row<'a> = (&'a [(&'a str, Setting)], Option<(bool, &'a str)>);
        let group_sets: [Row; 8] = [
            (&[], None),
            (&[("Editor", Allow)], Some((true, "Editor"))),
            (&[("Editor", Deny)], Some((false, "Editor"))),
            (&[("Editor", Inherit)], None),
            (
                &[("Viewers", Allow), ("Editor", Inherit), ("Auditors", Deny)],
                Some((false, "Auditors")),
            ),
            (&[("Zeta", Allow), ("Alpha", Allow)], Some((true, "Alpha"))),
            (&[("Zeta", Deny), ("Beta", Deny)], Some((false, "Beta"))),
            (&[("A", Inherit), ("B", Inherit)], None),
        ];
        let mut checked = 0;
        for (groups, by_groups) in group_sets {
            for tenant in [false, true] {
                for person in [Inherit, Allow, Deny] {
                    let expected = match (person, by_groups) {
                        (Allow, _) => (true, Source::Person),
                        (Deny, _) => (false, Source::Person),
                        (Inherit, Some((allowed, name))) => (allowed, group(name)),
                        (Inherit, None) => (tenant, Source::Tenant),
                    };
                    let d = resolve(tenant, groups, person);
                    assert_eq!(
                        (d.allowed, d.source),
                        expected,
                        "tenant {tenant}, groups {groups:?}, person {person:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 48);
    }

    #[test]
    fn decisions_read_as_the_screen_says_them() {
        assert_eq!(
            resolve(false, &[("Editor", Allow)], Inherit).describe(),
            "Allow — group Editor"
        );
        assert_eq!(
            resolve(true, &[], Deny).describe(),
            "Deny — set on this person"
        );
        assert_eq!(
            resolve(true, &[], Inherit).describe(),
            "Allow — tenant default"
        );
    }

    #[test]
    fn settings_round_trip_rows() {
        for s in [Inherit, Allow, Deny] {
            assert_eq!(Setting::from_row(s.as_row()), s);
            assert_eq!(Setting::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn decisions_serialise_with_their_level() {
        let d = resolve(false, &[("Editor", Allow)], Inherit);
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({ "allowed": true, "level": "group", "group": "Editor" })
        );
        let t = resolve(true, &[], Inherit);
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({ "allowed": true, "level": "tenant" })
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("form", "  Timesheet ").unwrap(), "Timesheet");
        assert!(parse_name("form", " ").is_err());
        assert!(parse_name("group", &"x".repeat(81)).is_err());
        assert!(parse_name("group", "a\u{7}b").is_err());
    }
}
