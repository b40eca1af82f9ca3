//! The password policy, shared: the browser's live checklist and the server's
//! enforcement run this same code.

use super::secret::Secret;
use super::ApiError;
use serde::{Deserialize, Serialize};

/// Special characters the seed policy counts (CloudNine's list).
pub const SPECIAL_CHARACTERS: &str = "`~!@#$%^&*()-_+=[]{}|\\/:;\"'<>,.?";

/// A tenant's password policy. Stored as JSON; a key that is missing takes
/// the seed default, so older rows and partial documents stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub max_length: u32,
    pub require_digit: bool,
    pub require_special: bool,
    pub forbid_username: bool,
    pub forbid_email: bool,
    /// Reject the most common passwords (the list shipped in
    /// `public/common-passwords.txt`).
    pub reject_common: bool,
    /// "Require password change at N-day intervals": N. 0 turns rotation off
    /// for every account.
    pub rotation_days: u32,
    /// A new password may not be any of the account's last N passwords
    /// (the current one included). 0 allows reuse.
    pub history_count: u32,
}

/// Bounds an administrator may set, checked on both sides.
pub mod limits {
    pub const MIN_LENGTH: std::ops::RangeInclusive<u32> = 8..=64;
    pub const MAX_LENGTH: std::ops::RangeInclusive<u32> = 16..=256;
    pub const ROTATION_DAYS: std::ops::RangeInclusive<u32> = 0..=3650;
    pub const HISTORY_COUNT: std::ops::RangeInclusive<u32> = 0..=24;
}

impl Default for PasswordPolicy {
    /// The seed's rules: 8 to 128 characters counting spaces, a number, a
    /// special character, and neither the username nor the email address.
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 128,
            require_digit: true,
            require_special: true,
            forbid_username: true,
            forbid_email: true,
            reject_common: false,
            rotation_days: 90,
            history_count: 3,
        }
    }
}

impl PasswordPolicy {
    /// NIST SP 800-63B: at least 15 characters, no composition rules, no
    /// periodic rotation, and no commonly used passwords.
    pub fn nist() -> Self {
        Self {
            min_length: 15,
            max_length: 128,
            require_digit: false,
            require_special: false,
            forbid_username: true,
            forbid_email: true,
            reject_common: true,
            rotation_days: 0,
            history_count: 0,
        }
    }

    pub fn is_nist(&self) -> bool {
        *self == Self::nist()
    }

    /// The policy's own settings, every out-of-range value at once (field
    /// names as in the JSON).
    pub fn validate_settings(&self) -> Result<(), Vec<super::ApiError>> {
        use super::ApiError;
        let mut errors = Vec::new();
        let mut range = |field: &str, what: &str, value: u32, r: std::ops::RangeInclusive<u32>| {
            if !r.contains(&value) {
                errors.push(ApiError::validation(
                    field,
                    format!("{what} must be from {} to {}.", r.start(), r.end()),
                ));
            }
        };
        range(
            "min_length",
            "The minimum length",
            self.min_length,
            limits::MIN_LENGTH,
        );
        range(
            "max_length",
            "The maximum length",
            self.max_length,
            limits::MAX_LENGTH,
        );
        range(
            "rotation_days",
            "The rotation interval",
            self.rotation_days,
            limits::ROTATION_DAYS,
        );
        range(
            "history_count",
            "The number of remembered passwords",
            self.history_count,
            limits::HISTORY_COUNT,
        );
        if self.max_length < self.min_length
            && !errors
                .iter()
                .any(|e| e.field.as_deref() == Some("max_length"))
        {
            errors.push(ApiError::validation(
                "max_length",
                "The maximum length cannot be below the minimum length.",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl PasswordPolicy {
    /// Whether an account must set a new password before doing anything
    /// else: the administrator asked for it, or rotation is on for the
    /// account and its password is older than the interval.
    pub fn change_due(
        &self,
        must_change: bool,
        rotate: bool,
        changed_at: Option<time::OffsetDateTime>,
        now: time::OffsetDateTime,
    ) -> bool {
        must_change
            || (rotate
                && self.rotation_days > 0
                && changed_at.is_some_and(|at| {
                    now - at >= time::Duration::days(i64::from(self.rotation_days))
                }))
    }
}

/// The most commonly used passwords, as keys ([`super::text::fold`] of the
/// NFKC form), sorted for lookup.
#[derive(Debug, Default)]
pub struct CommonPasswords(Vec<String>);

impl CommonPasswords {
    /// One password per line (the format of `public/common-passwords.txt`).
    pub fn parse(text: &str) -> Self {
        let mut list: Vec<String> = text
            .lines()
            .map(|l| super::text::fold(&super::text::password(l.trim())))
            .filter(|l| !l.is_empty())
            .collect();
        list.sort_unstable();
        list.dedup();
        Self(list)
    }

    pub fn contains(&self, password: &str) -> bool {
        self.0
            .binary_search(&super::text::fold(&super::text::password(password.trim())))
            .is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

static COMMON: std::sync::OnceLock<CommonPasswords> = std::sync::OnceLock::new();

/// Makes the list available to the validator. The browser calls this once it
/// has fetched `/common-passwords.txt`; later calls are ignored.
pub fn install_common_passwords(text: &str) {
    let _ = COMMON.set(CommonPasswords::parse(text));
}

/// The list, if known. The server always knows it (it is compiled in); until
/// the browser has fetched it, the rule reads as met and the server decides.
pub fn common_passwords() -> Option<&'static CommonPasswords> {
    #[cfg(any(test, feature = "ssr"))]
    {
        Some(COMMON.get_or_init(|| {
            CommonPasswords::parse(include_str!("../../../public/common-passwords.txt"))
        }))
    }
    #[cfg(not(any(test, feature = "ssr")))]
    {
        COMMON.get()
    }
}

/// One rule of a policy, as the checklist shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordRule {
    Length { min: u32, max: u32 },
    Digit,
    Special,
    NotUsername,
    NotEmail,
    NotCommon,
}

impl PasswordRule {
    pub fn describe(self) -> String {
        match self {
            PasswordRule::Length { min, max } => {
                format!("{min} to {max} characters (spaces count)")
            }
            PasswordRule::Digit => "at least one number".into(),
            PasswordRule::Special => "at least one special character such as ! ? # or %".into(),
            PasswordRule::NotUsername => "does not contain the username".into(),
            PasswordRule::NotEmail => "does not contain the email address".into(),
            PasswordRule::NotCommon => "is not one of the most commonly used passwords".into(),
        }
    }
}

/// Who the password belongs to, for the containment rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordOwner<'a> {
    pub username: &'a str,
    pub email: &'a str,
}

impl PasswordPolicy {
    pub fn rules(&self) -> Vec<PasswordRule> {
        let mut rules = vec![PasswordRule::Length {
            min: self.min_length,
            max: self.max_length,
        }];
        if self.require_digit {
            rules.push(PasswordRule::Digit);
        }
        if self.require_special {
            rules.push(PasswordRule::Special);
        }
        if self.forbid_username {
            rules.push(PasswordRule::NotUsername);
        }
        if self.forbid_email {
            rules.push(PasswordRule::NotEmail);
        }
        if self.reject_common {
            rules.push(PasswordRule::NotCommon);
        }
        rules
    }

    /// Every rule with whether `password` meets it: the live checklist. The
    /// rules see the password as it will be hashed ([`super::text::password`],
    /// NFKC): length counts its code points after normalisation.
    pub fn checklist(&self, password: &str, owner: PasswordOwner<'_>) -> Vec<(PasswordRule, bool)> {
        let password = super::text::password(password);
        self.rules()
            .into_iter()
            .map(|rule| (rule, rule_met(rule, &password, owner)))
            .collect()
    }

    /// The rules `password` breaks; empty when it is acceptable.
    pub fn violations(&self, password: &str, owner: PasswordOwner<'_>) -> Vec<PasswordRule> {
        self.checklist(password, owner)
            .into_iter()
            .filter_map(|(rule, met)| (!met).then_some(rule))
            .collect()
    }

    /// `Err` names every unmet rule at once.
    pub fn check(&self, password: &str, owner: PasswordOwner<'_>) -> Result<(), String> {
        let broken = self.violations(password, owner);
        if broken.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = broken.into_iter().map(PasswordRule::describe).collect();
        Err(format!(
            "The password does not meet these rules: {}.",
            list.join("; ")
        ))
    }
}

/// A new password as a form types it: the password and its confirmation,
/// the JSON fields `password` and `password_confirm` of every request that
/// sets one (create, edit, reset, change, a link's set-password). Each
/// defaults to empty. [`NewPassword::check`] is the one place both are
/// validated, in the browser and on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    pub password: Secret,
    #[serde(default)]
    pub password_confirm: Secret,
}

impl NewPassword {
    /// The JSON field of the password, where its errors are reported.
    pub const FIELD: &'static str = "password";
    /// The JSON field of the confirmation.
    pub const CONFIRM_FIELD: &'static str = "password_confirm";

    pub fn new(password: impl Into<Secret>, confirm: impl Into<Secret>) -> Self {
        NewPassword {
            password: password.into(),
            password_confirm: confirm.into(),
        }
    }

    /// Whether either field was typed in.
    pub fn is_typed(&self) -> bool {
        !self.password.is_empty() || !self.password_confirm.is_empty()
    }

    /// Records on `e` what is wrong: an empty password, every unmet rule of
    /// `policy` (one message on `password`), and a confirmation that differs
    /// (on `password_confirm`). The two are compared as they will be hashed
    /// ([`super::text::password`], NFKC): one spelling of é each is no
    /// mismatch.
    pub fn check(&self, e: &mut Vec<ApiError>, policy: &PasswordPolicy, owner: PasswordOwner<'_>) {
        let password = self.password.expose();
        let checked = if password.is_empty() {
            Err("Enter a password, or generate one.".to_owned())
        } else {
            policy.check(password, owner)
        };
        if let Err(message) = checked {
            e.push(ApiError::validation(Self::FIELD, message));
        }
        if super::text::password(self.password_confirm.expose()) != super::text::password(password)
        {
            e.push(ApiError::validation(
                Self::CONFIRM_FIELD,
                "The two passwords are not the same. Type the password again.",
            ));
        }
    }

    /// [`NewPassword::check`] alone: the password, or every error.
    pub fn validate(
        &self,
        policy: &PasswordPolicy,
        owner: PasswordOwner<'_>,
    ) -> Result<&Secret, Vec<ApiError>> {
        let mut errors = Vec::new();
        self.check(&mut errors, policy, owner);
        if errors.is_empty() {
            Ok(&self.password)
        } else {
            Err(errors)
        }
    }
}

/// Letters and digits without look-alikes (0/O, 1/l/I), for generated passwords.
const GENERATED_ALPHANUMERIC: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/// Specials that survive being read aloud or pasted into a chat.
const GENERATED_SPECIAL: &[u8] = b"!#%+-=?@_";

impl PasswordPolicy {
    /// A random password that meets this policy, from `fill` (an OS or
    /// browser CSPRNG): at least 16 characters (or the minimum, if higher),
    /// with a digit and a special character where required. `None` only
    /// when no attempt fits (an owner whose name is a single common letter).
    pub fn generate(
        &self,
        owner: PasswordOwner<'_>,
        mut fill: impl FnMut(&mut [u8]),
    ) -> Option<String> {
        let length = (self.min_length.max(16)).min(self.max_length) as usize;
        let alphabet: Vec<u8> = GENERATED_ALPHANUMERIC
            .iter()
            .chain(GENERATED_SPECIAL)
            .copied()
            .collect();
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % alphabet.len();
        for _ in 0..32 {
            let mut password = Vec::with_capacity(length);
            let mut bytes = [0u8; 64];
            while password.len() < length {
                fill(&mut bytes);
                password.extend(
                    bytes
                        .iter()
                        .filter(|b| usize::from(**b) < limit)
                        .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
                        .take(length - password.len()),
                );
            }
            let candidate: String = password.into_iter().collect();
            if self.check(&candidate, owner).is_ok() {
                return Some(candidate);
            }
        }
        None
    }
}

/// Whether `haystack` contains `needle` ignoring case, by the one folding
/// ([`super::text::fold`]) used everywhere else.
fn contains_folded(haystack: &str, needle: &str) -> bool {
    let needle = super::text::fold(needle.trim());
    !needle.is_empty() && super::text::fold(haystack).contains(&needle)
}

fn rule_met(rule: PasswordRule, password: &str, owner: PasswordOwner<'_>) -> bool {
    match rule {
        PasswordRule::Length { min, max } => {
            let n = password.chars().count();
            n >= min as usize && n <= max as usize
        }
        PasswordRule::Digit => password.chars().any(|c| c.is_ascii_digit()),
        PasswordRule::Special => password.chars().any(|c| SPECIAL_CHARACTERS.contains(c)),
        PasswordRule::NotUsername => !contains_folded(password, owner.username),
        PasswordRule::NotEmail => !contains_folded(password, owner.email),
        PasswordRule::NotCommon => common_passwords().is_none_or(|list| !list.contains(password)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: PasswordOwner<'static> = PasswordOwner {
        username: "JDoe",
        email: "jane.doe@example.org",
    };

    fn ok(pw: &str) -> bool {
        PasswordPolicy::default().check(pw, OWNER).is_ok()
    }

    #[test]
    fn lengths_at_the_edges() {
        assert!(!ok("abcde1!")); // 7
        assert!(ok("abcdef1!")); // 8
        let long = format!("{}1!", "a".repeat(126));
        assert_eq!(long.chars().count(), 128);
        assert!(ok(&long));
        assert!(!ok(&format!("{}1!", "a".repeat(127))));
    }

    #[test]
    fn spaces_are_allowed_and_counted() {
        assert!(ok("a b c 1!")); // 8 with three spaces
        assert!(!ok("a b 1!"));
    }

    #[test]
    fn every_listed_special_character_counts() {
        for c in SPECIAL_CHARACTERS.chars() {
            assert!(ok(&format!("abcdef1{c}")), "{c} not counted");
        }
        assert!(!ok("abcdefg1"));
        assert!(!ok("abcdef1§"));
    }

    #[test]
    fn needs_a_number() {
        assert!(!ok("abcdefg!"));
    }

    #[test]
    fn username_and_email_in_any_case() {
        assert!(!ok("xxJDOE1!x"));
        assert!(!ok("xxjdoe1!x"));
        assert!(!ok("1!JANE.DOE@EXAMPLE.ORG"));
        assert!(ok("jane.doe1!"));
    }

    #[test]
    fn error_names_every_unmet_rule() {
        let err = PasswordPolicy::default().check("jdoe", OWNER).unwrap_err();
        for part in ["8 to 128", "number", "special", "username"] {
            assert!(err.contains(part), "{err} lacks {part}");
        }
        assert!(!err.contains("email"));
    }

    /// A deterministic stand-in for a CSPRNG (xorshift), for repeatable tests.
    fn pseudo(seed: u64) -> impl FnMut(&mut [u8]) {
        let mut state = seed.max(1);
        move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
        }
    }

    #[test]
    fn generated_passwords_meet_the_policy() {
        let policy = PasswordPolicy::default();
        for seed in 1..500 {
            let pw = policy.generate(OWNER, pseudo(seed)).unwrap();
            assert_eq!(pw.chars().count(), 16);
            assert!(policy.check(&pw, OWNER).is_ok(), "{pw}");
        }
        let long = PasswordPolicy {
            min_length: 20,
            ..PasswordPolicy::default()
        };
        assert_eq!(long.generate(OWNER, pseudo(7)).unwrap().chars().count(), 20);
        let a = policy.generate(OWNER, pseudo(1)).unwrap();
        let b = policy.generate(OWNER, pseudo(2)).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn nist_preset() {
        let nist = PasswordPolicy::nist();
        assert!(nist.is_nist());
        assert!(!PasswordPolicy::default().is_nist());
        let owner = PasswordOwner::default();
        // 14 characters: too short; 15 without digits or specials: fine.
        assert!(nist.check("abcdefghijklmn", owner).is_err());
        assert!(nist.check("correcthorsebat", owner).is_ok());
        // Common passwords are refused whatever their case.
        let list = common_passwords().unwrap();
        assert!(list.len() > 8000);
        assert!(list.contains("password1234"));
        assert!(PasswordPolicy {
            min_length: 8,
            ..nist.clone()
        }
        .check("PASSWORD1234", owner)
        .unwrap_err()
        .contains("commonly used"));
        assert!(!nist.rules().contains(&PasswordRule::Digit));
        assert_eq!(nist.rotation_days, 0);
    }

    #[test]
    fn rotation_is_due_after_the_interval() {
        use time::macros::datetime;
        let policy = PasswordPolicy::default();
        let set = datetime!(2026-01-01 00:00 UTC);
        let day = time::Duration::days(1);
        let due = |rotate, now| policy.change_due(false, rotate, Some(set), now);
        assert!(!due(true, set + day * 89));
        assert!(due(true, set + day * 90));
        assert!(!due(false, set + day * 900));
        assert!(policy.change_due(true, false, Some(set), set));
        let off = PasswordPolicy {
            rotation_days: 0,
            ..policy.clone()
        };
        assert!(!off.change_due(false, true, Some(set), set + day * 900));
        // An account without a password (directory) never rotates here.
        assert!(!policy.change_due(false, true, None, set + day * 900));
    }

    #[test]
    fn policy_settings_are_bounded() {
        assert!(PasswordPolicy::default().validate_settings().is_ok());
        assert!(PasswordPolicy::nist().validate_settings().is_ok());
        let bad = PasswordPolicy {
            min_length: 7,
            max_length: 300,
            rotation_days: 4000,
            history_count: 25,
            ..PasswordPolicy::default()
        };
        let fields: Vec<_> = bad
            .validate_settings()
            .unwrap_err()
            .into_iter()
            .filter_map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["min_length", "max_length", "rotation_days", "history_count"]
        );
        let crossed = PasswordPolicy {
            min_length: 40,
            max_length: 30,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            crossed.validate_settings().unwrap_err()[0].field.as_deref(),
            Some("max_length")
        );
    }

    #[test]
    fn missing_keys_take_the_seed_default() {
        let p: PasswordPolicy = serde_json::from_str(r#"{"min_length": 12}"#).unwrap();
        assert_eq!(p.min_length, 12);
        assert_eq!(p.max_length, 128);
        assert!(p.require_special);
        let empty: PasswordPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, PasswordPolicy::default());
    }

    #[test]
    fn checklist_reports_each_rule() {
        let list = PasswordPolicy::default().checklist("abc1", OWNER);
        assert_eq!(list.len(), 5);
        assert_eq!(list[1], (PasswordRule::Digit, true));
        assert_eq!(list[2], (PasswordRule::Special, false));
    }
}
