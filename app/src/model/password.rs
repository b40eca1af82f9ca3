//! The password policy, shared: the browser's live checklist and the server's
//! enforcement run this same code.

use serde::{Deserialize, Serialize};

/// Special characters the seed policy counts (CloudNine's list).
pub const SPECIAL_CHARACTERS: &str = "`~!@#$%^&*()-_+=[]{}|\\/:;\"'<>,.?";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub max_length: u32,
    pub require_digit: bool,
    pub require_special: bool,
    pub forbid_username: bool,
    pub forbid_email: bool,
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
        }
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
        rules
    }

    /// Every rule with whether `password` meets it: the live checklist.
    pub fn checklist(&self, password: &str, owner: PasswordOwner<'_>) -> Vec<(PasswordRule, bool)> {
        self.rules()
            .into_iter()
            .map(|rule| (rule, rule_met(rule, password, owner)))
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
        Err(format!("The password must have {}.", list.join("; ")))
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

fn contains_folded(haystack: &str, needle: &str) -> bool {
    let needle = needle.trim();
    !needle.is_empty() && haystack.to_lowercase().contains(&needle.to_lowercase())
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
    fn checklist_reports_each_rule() {
        let list = PasswordPolicy::default().checklist("abc1", OWNER);
        assert_eq!(list.len(), 5);
        assert_eq!(list[1], (PasswordRule::Digit, true));
        assert_eq!(list[2], (PasswordRule::Special, false));
    }
}
