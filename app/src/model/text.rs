//! Text handled one way on every side: the only place Rollcall folds case or
//! normalises Unicode. The browser, the server, the CLI and the stored keys
//! in Postgres all come from these functions, so "ignoring case" gives one
//! answer wherever it is computed. SQL never folds: it compares the keys
//! these functions wrote (`username_key`, `name_key`, `search_key`, …).
//!
//! - [`nfc`]: free text as typed (names, descriptions, emails) is stored in
//!   Unicode Normalization Form C, so the same name typed on two keyboards
//!   is the same string (UAX #15).
//! - [`fold`]: the key for "the same name ignoring case" — canonical caseless
//!   matching (Unicode 15 §3.13, D145: full default case folding, with
//!   canonical equivalence), stored in NFC. `İnce` ↔ `i̇nce`, `ΚΑΡΑΣ` ↔
//!   `καρας` ↔ `καρασ`, `STRASSE` ↔ `straße`.
//! - [`search_key`]: the key a search box matches by substring: [`fold`],
//!   then compatibility forms (`ﬁ` → `fi`, full-width → ASCII) and without
//!   accents or other combining marks, so `ince` finds `İnce` and `jose`
//!   finds `José`. The exact stored text always finds itself.
//! - [`password`]: NFKC, as NIST SP 800-63B §5.1.1.2 asks of verifiers
//!   before hashing, so `é` typed as one code point or as `e` + U+0301 is one
//!   password.

use caseless::Caseless;

/// Unicode normalisation: the `unicode-normalization` crate on the server;
/// in the browser the platform's own `String.prototype.normalize` (ICU),
/// which keeps about 100 KB of tables out of the download. Both follow
/// UAX #15, whose stability policy fixes the normal form of every assigned
/// character for good, so the two agree on any text both know; the server
/// decides what is stored.
#[cfg(not(target_arch = "wasm32"))]
mod norm {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

    pub fn nfc(s: &str) -> String {
        if is_nfc_quick(s.chars()) == IsNormalized::Yes {
            s.to_owned()
        } else {
            s.nfc().collect()
        }
    }

    pub fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    pub fn nfkc(s: &str) -> String {
        if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
            s.to_owned()
        } else {
            s.nfkc().collect()
        }
    }

    /// NFKD without combining marks (general categories Mn, Mc, Me).
    pub fn nfkd_unmarked(s: &str) -> String {
        s.nfkd().filter(|c| !is_combining_mark(*c)).collect()
    }
}

#[cfg(target_arch = "wasm32")]
mod norm {
    use js_sys::{JsString, RegExp};

    fn normalize(s: &str, form: &str) -> String {
        JsString::from(s).normalize(form).into()
    }

    pub fn nfc(s: &str) -> String {
        normalize(s, "NFC")
    }

    pub fn nfd(s: &str) -> String {
        normalize(s, "NFD")
    }

    pub fn nfkc(s: &str) -> String {
        normalize(s, "NFKC")
    }

    pub fn nfkd_unmarked(s: &str) -> String {
        let marks = RegExp::new("\\p{M}", "gu");
        JsString::from(s)
            .normalize("NFKD")
            .replace_by_pattern(&marks, "")
            .into()
    }
}

fn case_fold(s: &str) -> String {
    s.chars().default_case_fold().collect()
}

/// `s` in Normalization Form C (canonical composition). Cheap when `s`
/// already is (a quick check first).
pub fn nfc(s: &str) -> String {
    norm::nfc(s)
}

/// The case-insensitive identity of `s`: equal for two strings exactly when
/// they are canonically caseless equal (Unicode §3.13 D145:
/// `NFD(toCasefold(NFD(s)))`). Stored in NFC. Surrounding whitespace is
/// kept: callers trim when they validate.
pub fn fold(s: &str) -> String {
    norm::nfc(&case_fold(&norm::nfd(s)))
}

/// The key a search matches by substring: [`fold`] with compatibility
/// decomposition (NFKD) and without combining marks (accents, the dot of
/// `İ`), recomposed (NFC). `search_key(a).contains(&search_key(b))` is what
/// "a contains b" means in every search box of Rollcall.
pub fn search_key(s: &str) -> String {
    // Compatibility caseless matching (D146) folds twice around NFKD.
    let once = norm::nfkd_unmarked(&case_fold(&norm::nfd(s)));
    norm::nfc(&norm::nfkd_unmarked(&case_fold(&once)))
}

/// The key the accounts list searches (`accounts.search_key`): username,
/// names and email, each as [`search_key`], separated by one space so that
/// "jane doe" finds Jane Doe.
pub fn account_search_key(
    username: &str,
    first_name: &str,
    last_name: &str,
    email: &str,
) -> String {
    search_key(&format!("{username} {first_name} {last_name} {email}"))
}

/// A `LIKE` pattern matching keys that contain [`search_key`]`(term)`, with
/// `%`, `_` and `\` in the term taken literally (Postgres' default escape).
pub fn contains_pattern(term: &str) -> String {
    let key = search_key(term);
    let mut out = String::with_capacity(key.len() + 2);
    out.push('%');
    for c in key.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A password as it is checked against the policy and hashed: NFKC (NIST SP
/// 800-63B §5.1.1.2). Nothing else is changed: no trimming, no case folding.
pub fn password(s: &str) -> String {
    norm::nfkc(s)
}

/// The key that makes two usernames the same (`accounts.username_key`):
/// [`fold`] after compatibility normalisation (NFKC), so the full-width
/// `ｂｏｂ`, the mathematical `𝐛𝐨𝐛` and the modifier-letter `ᵇᵒᵇ` all key as
/// `bob`. This is PRECIS UsernameCaseMapped's comparison (RFC 8265 §3.3:
/// width mapping, case mapping, NFC) taken one step further for names that
/// were stored before the profile was enforced; new usernames cannot contain
/// compatibility characters at all ([`compatibility_char`]).
pub fn username_key(s: &str) -> String {
    fold(&norm::nfkc(s))
}

/// The PRECIS width mapping (RFC 8264 §9.10, RFC 8265 §3.3.1 step 1):
/// full-width and half-width forms (U+FF01–U+FFEE, and the ideographic space
/// U+3000) become their ordinary counterparts (`ｂ` → `b`, `ｶ` → `カ`).
/// Nothing else changes.
pub fn width_map(s: &str) -> String {
    if !s.chars().any(is_width_variant) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_width_variant(c) {
            out.push_str(&norm::nfkc(c.encode_utf8(&mut [0; 4])));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_width_variant(c: char) -> bool {
    matches!(c, '\u{3000}' | '\u{FF01}'..='\u{FFEE}')
}

/// The first character of `s` that has a compatibility decomposition (NFKC
/// changes it): PRECIS IdentifierClass disallows these "HasCompat" code
/// points (RFC 8264 §9.17), which is what keeps `𝐛𝐨𝐛` (mathematical bold),
/// `ᵇᵒᵇ` (modifier letters), `ⓑ` and `ﬁ` out of usernames.
pub fn compatibility_char(s: &str) -> Option<char> {
    s.chars().find(|c| {
        norm::nfkc(c.encode_utf8(&mut [0; 4]))
            .chars()
            .ne(std::iter::once(*c))
    })
}

/// Whether `c` may never appear in a name, whatever surrounds it: controls
/// (Cc), line and paragraph separators, noncharacters, private-use code
/// points, and the Default_Ignorable_Code_Point set (Unicode
/// DerivedCoreProperties.txt: zero-width spaces, joiners, the bidirectional
/// overrides, embeddings and isolates U+202A–U+202E and U+2066–U+2069,
/// invisible operators, variation selectors, tags, fillers). These are the
/// PRECIS FreeformClass's disallowed Controls and IgnorableProperties (RFC
/// 8264 §9.13, §9.14) and the characters Unicode TR #36 §2.1 and TR #39 §3
/// name as spoofing tools. The joiners and variation selectors have
/// exceptions in context: [`first_disallowed_in_name`].
pub fn is_disallowed_in_name(c: char) -> bool {
    let u = u32::from(c);
    c.is_control()
        || matches!(
            u,
            0x00AD
                | 0x034F
                | 0x061C
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x2028..=0x202E
                | 0x2060..=0x206F
                | 0x3164
                | 0xE000..=0xF8FF
                | 0xFDD0..=0xFDEF
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x1BCA0..=0x1BCA3
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
                | 0xF0000..=0x10FFFF
        )
        || u & 0xFFFE == 0xFFFE
}

/// A character outside ASCII and the Latin, Greek, Cyrillic, Armenian and
/// Hebrew blocks (U+0600 up), and not itself disallowed or a space: the
/// scripts (Arabic, Persian, Indic) and the emoji whose spelling needs the
/// zero-width joiners.
fn joins(c: Option<char>) -> bool {
    c.is_some_and(|c| u32::from(c) >= 0x600 && !c.is_whitespace() && !is_disallowed_in_name(c))
}

/// The first character that makes `s` unfit as a name shown to people
/// (account, group, form, column, client, token and organisation names):
/// one [`is_disallowed_in_name`] refuses, except where its context gives it
/// a visible purpose, approximating the PRECIS CONTEXTJ rules (RFC 5892
/// Appendix A.1, A.2) by script: the zero-width non-joiner and joiner
/// (U+200C, U+200D) between two characters from U+0600 up (Persian words,
/// Indic conjuncts, emoji sequences), and the emoji variation selectors
/// (U+FE0E, U+FE0F) right after a symbol from U+00A9 up that is not a letter
/// or digit. `None` when every character may stay.
pub fn first_disallowed_in_name(s: &str) -> Option<char> {
    let chars: Vec<char> = s.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let allowed_here = match c {
            '\u{200C}' | '\u{200D}' => joins(before) && joins(after),
            '\u{FE0E}' | '\u{FE0F}' => before.is_some_and(|b| {
                u32::from(b) >= 0xA9 && !b.is_alphanumeric() && !is_disallowed_in_name(b)
            }),
            _ => false,
        };
        (is_disallowed_in_name(c) && !allowed_here).then_some(c)
    })
}

/// How a message names a character people cannot see: `U+202E`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// The message for a name with a character [`first_disallowed_in_name`]
/// found: `what` is the field as people call it ("first name").
pub fn disallowed_message(what: &str, c: char) -> String {
    format!(
        "A {what} cannot contain invisible, control or direction-changing characters; remove the {} character (it may have come with pasted text).",
        code_point(c)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn the_reported_examples_fold_as_unicode_says() {
        // Dotted capital I (Turkish) and final sigma (Greek).
        assert_eq!(fold("İnce"), fold("i\u{307}nce"));
        assert_eq!(fold("ΚΑΡΑΣ"), fold("καρας"));
        assert_eq!(fold("ΚΑΡΑΣ"), fold("καρασ"));
        assert_eq!(fold("STRASSE"), fold("straße"));
        assert_ne!(fold("Cafe"), fold("Café"));
        // Canonically equivalent spellings are one name.
        assert_eq!(fold("Cafe\u{301}"), fold("Café"));
        assert_eq!(fold("JDoe"), "jdoe");
    }

    #[test]
    fn search_ignores_case_accents_and_compatibility_forms() {
        let finds = |stored: &str, typed: &str| search_key(stored).contains(&search_key(typed));
        assert!(finds("İnce", "İnce"));
        assert!(finds("İnce", "ince"));
        assert!(finds("İnce", "INCE"));
        assert!(finds("ΚΑΡΑΣ", "ΚΑΡΑΣ"));
        assert!(finds("ΚΑΡΑΣ", "καρας"));
        assert!(finds("Καράς", "καρασ"));
        assert!(finds("José Núñez", "jose nun"));
        assert!(finds("ﬁnance", "FIN"));
        assert!(finds("ＡＣＭＥ", "acme"));
        assert!(!finds("Jose", "josé x"));
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(contains_pattern("İnce"), "%ince%");
    }

    #[test]
    fn passwords_are_nfkc() {
        // The reported example: é as one code point, and as e + U+0301.
        assert_eq!(password("Café-123!"), password("Cafe\u{301}-123!"));
        assert_eq!(password("Café-123!"), "Café-123!");
        // Compatibility forms too (full-width digits, ligatures).
        assert_eq!(password("ｐａｓｓ１"), "pass1");
        assert_eq!(password(" spaces kept "), " spaces kept ");
    }

    /// Whether "changing the case of `s` keeps its key" is a property of
    /// `s`. Not when it has a character cased only in a newer Unicode than
    /// the folding tables (Rust's std may be ahead), nor the iota subscript
    /// U+0345 before a combining mark: upper-casing turns it into a spacing
    /// capital iota that the mark then follows, a different canonical order
    /// (Unicode §3.13 notes U+0345 as the exception to folding before
    /// normalising).
    fn case_mapping_applies(s: &str) -> bool {
        s.chars()
            .all(|c| fold(&c.to_uppercase().to_string()) == fold(&c.to_lowercase().to_string()))
            && !s.nfkd().any(|c| c == '\u{345}')
    }

    #[test]
    fn names_refuse_invisible_and_direction_changing_characters() {
        for bad in [
            '\u{0}',
            '\u{7}',
            '\u{85}',
            '\u{AD}',
            '\u{200B}',
            '\u{200E}',
            '\u{2028}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{3164}',
            '\u{E000}',
            '\u{FDD0}',
            '\u{FEFF}',
            '\u{FFFE}',
            '\u{E0041}',
            '\u{10FFFD}',
        ] {
            assert!(is_disallowed_in_name(bad), "{}", code_point(bad));
            assert_eq!(first_disallowed_in_name(&format!("Ann{bad}a")), Some(bad));
        }
        for fine in [
            "Ann",
            "José Núñez",
            "İnce",
            "O'Neil-Smith",
            "李小龍",
            "Фёдор",
        ] {
            assert_eq!(first_disallowed_in_name(fine), None, "{fine}");
        }
        // The joiners where a script needs them, not beside Latin letters.
        assert_eq!(first_disallowed_in_name("می\u{200C}خواهم"), None);
        assert_eq!(first_disallowed_in_name("क्\u{200D}ष"), None);
        assert_eq!(first_disallowed_in_name("👩\u{200D}💻"), None);
        assert_eq!(first_disallowed_in_name("❤\u{FE0F}"), None);
        assert_eq!(first_disallowed_in_name("b\u{200D}ob"), Some('\u{200D}'));
        assert_eq!(first_disallowed_in_name("\u{200C}مینا"), Some('\u{200C}'));
        assert_eq!(first_disallowed_in_name("bob\u{FE0F}"), Some('\u{FE0F}'));
        assert!(disallowed_message("first name", '\u{202E}').contains("U+202E"));
    }

    #[test]
    fn usernames_map_width_and_refuse_compatibility_forms() {
        assert_eq!(width_map("ｂｏｂ"), "bob");
        assert_eq!(width_map("ＪＤｏｅ＠ｘ"), "JDoe@x");
        assert_eq!(width_map("ｶﾀｶﾅ"), "カタカナ");
        assert_eq!(width_map("bob"), "bob");
        assert_eq!(compatibility_char("bob"), None);
        assert_eq!(compatibility_char("élodie"), None);
        assert_eq!(compatibility_char("𝐛𝐨𝐛"), Some('𝐛'));
        assert_eq!(compatibility_char("ᵇob"), Some('ᵇ'));
        assert_eq!(compatibility_char("ⓑob"), Some('ⓑ'));
        assert_eq!(compatibility_char("ﬁnn"), Some('ﬁ'));
        for alike in ["ｂｏｂ", "𝐛𝐨𝐛", "ᵇᵒᵇ", "BOB", "ＢＯＢ"] {
            assert_eq!(username_key(alike), username_key("bob"), "{alike}");
        }
    }

    fn nfkc_of(s: &str) -> String {
        s.nfkc().collect()
    }

    /// `s` typed on a full-width keyboard: ASCII `!`–`~` as U+FF01–U+FF5E.
    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
                c => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn full_width_typing_is_the_same_username(s in "[!-~]{1,30}") {
            prop_assert_eq!(width_map(&full_width(&s)), s.clone());
            prop_assert_eq!(username_key(&full_width(&s)), username_key(&s));
        }

        #[test]
        fn an_accepted_name_has_nothing_invisible(s in "\\PC{0,12}[\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}\u{FEFF}]?\\PC{0,12}") {
            if first_disallowed_in_name(&s).is_none() {
                prop_assert!(!s.chars().any(|c| matches!(u32::from(c),
                    0x200B | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0xFEFF)
                    || c.is_control()), "{:?}", s);
            }
        }

        #[test]
        fn a_valid_username_is_its_own_compatibility_form(s in "\\PC{1,20}") {
            if let Ok(u) = super::super::Username::parse(&s) {
                prop_assert_eq!(nfkc_of(u.as_str()), u.as_str().to_owned());
                prop_assert!(u.as_str().chars().all(|c| !is_disallowed_in_name(c)));
                prop_assert_eq!(u.folded(), username_key(&s.trim().nfkc().collect::<String>()));
            }
        }

        #[test]
        fn keys_are_stable(s in "\\PC*") {
            // Folding a key again changes nothing, so a stored key and a key
            // computed later from it agree.
            prop_assert_eq!(fold(&fold(&s)), fold(&s));
            prop_assert_eq!(search_key(&search_key(&s)), search_key(&s));
            prop_assert_eq!(password(&password(&s)), password(&s));
            prop_assert_eq!(nfc(&nfc(&s)), nfc(&s));
        }

        #[test]
        fn case_changes_never_change_the_key(s in "\\PC*") {
            prop_assume!(case_mapping_applies(&s));
            prop_assert_eq!(fold(&s.to_uppercase()), fold(&s.to_lowercase()));
            prop_assert_eq!(fold(&s.to_uppercase()), fold(&s));
            prop_assert_eq!(search_key(&s.to_uppercase()), search_key(&s));
        }

        #[test]
        fn the_same_name_is_always_found_by_search(a in "\\PC{1,20}", how in 0usize..4) {
            // Another spelling of `a` (case changed, or decomposed): the same
            // name ignoring case, and search finds one with the other.
            let b = match how {
                0 => a.to_uppercase(),
                1 => a.to_lowercase(),
                2 => a.nfd().collect(),
                _ => a.nfkc().collect::<String>().to_uppercase(),
            };
            prop_assume!(case_mapping_applies(&a));
            if how < 3 {
                prop_assert_eq!(fold(&a), fold(&b));
            }
            prop_assert!(search_key(&a).contains(&search_key(&b)));
            prop_assert!(search_key(&b).contains(&search_key(&a)));
        }
    }
}
