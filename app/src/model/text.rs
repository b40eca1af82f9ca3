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

    proptest! {
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
