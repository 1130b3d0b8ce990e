//! Finding group members' names in free text, and hiding them.
//!
//! A group session's shared note is read in every member's chart, so it must name no member. The note is searched
//! for each member's legal and preferred names: the full name, every given and family name whatever its length
//! (a member called "Jo Li" is as identifiable as "Amara Abebe"), each half of a hyphenated name, the part after
//! an apostrophe ("Connor" of "O'Connor"), and an initial followed by the family name ("J. Li", "J Li"); as whole
//! words, regardless of case, accents and the kind of apostrophe typed. Short names make false alarms likelier
//! ("Al" in "et al."); that is the price of never letting a short name through, and the facilitator rewords. The
//! same search drives the second safety net, which shows the note in one member's chart with every other
//! member's name replaced.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The names a member is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberNames {
    pub legal_name: String,
    pub preferred_name: Option<String>,
}

impl MemberNames {
    pub fn new(legal_name: impl Into<String>, preferred_name: Option<String>) -> Self {
        MemberNames {
            legal_name: legal_name.into(),
            preferred_name,
        }
    }
}

/// The words that identify a member: each full name, each part of it (given and family names, the halves of a
/// hyphenated name, the part after an apostrophe when it has two letters or more), and the first given name's
/// initial before the last family name ("J. Li" and "J Li"); as spelled in the record, without repeats.
pub fn name_words(m: &MemberNames) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        if w.chars().any(|c| c.is_alphabetic())
            && !out.iter().any(|o| o.to_lowercase() == w.to_lowercase())
        {
            out.push(w.to_string());
        }
    };
    let names = std::iter::once(m.legal_name.as_str()).chain(m.preferred_name.as_deref());
    for name in names {
        let pieces: Vec<&str> = name.split_whitespace().collect();
        if pieces.len() > 1 {
            push(&pieces.join(" "));
        }
        for piece in &pieces {
            push(piece);
            for half in piece.split('-') {
                push(half);
                if let Some((_, after)) = half.split_once(['\'', '\u{2019}'])
                    && after.chars().filter(|c| c.is_alphabetic()).count() >= 2
                {
                    push(after);
                }
            }
        }
        if let (Some(first), Some(last)) = (pieces.first(), pieces.last())
            && pieces.len() > 1
            && let Some(initial) = first.chars().find(|c| c.is_alphabetic())
        {
            push(&format!("{initial}. {last}"));
            push(&format!("{initial} {last}"));
        }
    }
    out
}

/// One char folded for comparison: lowercased, decomposed (NFD) and stripped of its combining marks, so that
/// "É", "é" and "e" compare equal. Letters that do not decompose ("ø", "ß") stay as they are.
fn fold(c: char) -> impl Iterator<Item = char> {
    // A typographic apostrophe is typed as often as the plain one: "O’Connor" is "O'Connor".
    let c = if c == '\u{2019}' { '\'' } else { c };
    c.to_lowercase()
        .flat_map(|l| std::iter::once(l).nfd())
        .filter(|d| !is_combining_mark(*d))
}

/// The text folded char by char, each folded char with the byte range of the original char it came from, so
/// that a match found case- and accent-insensitively maps back onto the original text. A combining mark in the
/// text (a decomposed "é") folds to nothing and is covered by its base letter's match below.
fn lowered(text: &str) -> Vec<(char, usize, usize)> {
    let mut out: Vec<(char, usize, usize)> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let mut any = false;
        for l in fold(c) {
            out.push((l, i, end));
            any = true;
        }
        if !any && let Some(last) = out.last_mut() {
            // A lone combining mark belongs to the letter before it: extend that letter's range over it.
            last.2 = end;
        }
    }
    out
}

/// Byte ranges in the original text where `word` stands as a whole word (case-insensitive).
fn occurrences(hay: &[(char, usize, usize)], word: &str) -> Vec<(usize, usize)> {
    let needle: Vec<char> = word.chars().flat_map(fold).collect();
    let mut out = Vec::new();
    if needle.is_empty() || needle.len() > hay.len() {
        return out;
    }
    for start in 0..=(hay.len() - needle.len()) {
        let end = start + needle.len();
        if !hay[start..end]
            .iter()
            .map(|h| h.0)
            .eq(needle.iter().copied())
        {
            continue;
        }
        let before_ok = start == 0 || !hay[start - 1].0.is_alphanumeric();
        let after_ok = end == hay.len() || !hay[end].0.is_alphanumeric();
        if before_ok && after_ok {
            out.push((hay[start].1, hay[end - 1].2));
        }
    }
    out
}

/// The member names that occur in `text`, as spelled in the records, each once, in the order they first appear.
pub fn find_member_names(text: &str, members: &[MemberNames]) -> Vec<String> {
    let hay = lowered(text);
    let mut found: Vec<(usize, String)> = Vec::new();
    for m in members {
        for w in name_words(m) {
            if let Some(first) = occurrences(&hay, &w).first()
                && !found
                    .iter()
                    .any(|(_, f)| f.to_lowercase() == w.to_lowercase())
            {
                found.push((first.0, w));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, w)| w).collect()
}

/// `text` with every name of `members` replaced by `replacement`; a full name ("Amara Abebe") becomes one
/// replacement, not two.
pub fn redact(text: &str, members: &[MemberNames], replacement: &str) -> String {
    let hay = lowered(text);
    let mut ranges: Vec<(usize, usize)> = members
        .iter()
        .flat_map(name_words)
        .flat_map(|w| occurrences(&hay, &w))
        .collect();
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort_unstable();
    // Merge overlapping ranges and those separated by nothing but spaces (the parts of one full name).
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last)
                if s <= last.1
                    || text
                        .get(last.1..s)
                        .is_some_and(|gap| gap.chars().all(|c| c == ' ' || c == '\u{a0}')) =>
            {
                last.1 = last.1.max(e);
            }
            _ => merged.push((s, e)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in merged {
        out.push_str(text.get(at..s).unwrap_or_default());
        out.push_str(replacement);
        at = e;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(legal: &str, preferred: Option<&str>) -> MemberNames {
        MemberNames::new(legal, preferred.map(String::from))
    }

    #[test]
    fn name_words_are_every_name_and_part_whatever_its_length() {
        assert_eq!(
            name_words(&m("Amara Okafor-Jensen", Some("Mara"))),
            [
                "Amara Okafor-Jensen",
                "Amara",
                "Okafor-Jensen",
                "Okafor",
                "Jensen",
                "A. Okafor-Jensen",
                "A Okafor-Jensen",
                "Mara"
            ]
        );
        assert_eq!(
            name_words(&m("Al Xu", Some("Jo"))),
            ["Al Xu", "Al", "Xu", "A. Xu", "A Xu", "Jo"]
        );
        assert_eq!(
            name_words(&m("Liam O'Connor", None)),
            [
                "Liam O'Connor",
                "Liam",
                "O'Connor",
                "Connor",
                "L. O'Connor",
                "L O'Connor"
            ]
        );
    }

    #[test]
    fn short_accented_hyphenated_and_apostrophe_names_are_found_and_hidden() {
        let members = [
            m("Jo Li", None),
            m("Zoë D'Arcy-Ng", Some("Zo")),
            m("Renée O'Neil", None),
        ];
        assert_eq!(
            find_member_names("jo spoke first; then LI and Ng agreed.", &members),
            ["Jo", "Li", "Ng"]
        );
        assert_eq!(
            find_member_names("J. Li was late.", &members),
            ["J. Li", "Li"]
        );
        assert_eq!(find_member_names("Zo nodded", &members), ["Zo"]);
        assert_eq!(find_member_names("Arcy came.", &members), ["Arcy"]);
        assert_eq!(
            find_member_names("Renee O\u{2019}Neil and oneil", &members),
            ["Renée O'Neil", "Renée", "O'Neil", "Neil"]
        );
        assert_eq!(
            redact(
                "J. Li and Zoë D'Arcy-Ng spoke; later jo and O’Neil.",
                &members,
                "[member]"
            ),
            "[member] and [member] spoke; later [member] and [member]."
        );
        // Inside another word a short name is not a name: "Liam", "Jolly", "along".
        assert!(find_member_names("Liam was jolly all along.", &members).is_empty());
    }

    #[test]
    fn names_are_found_as_whole_words_whatever_their_case() {
        let members = [m("Amara Abebe", None), m("Ben Castillo", Some("Benji"))];
        assert_eq!(
            find_member_names(
                "Today AMARA spoke about her loss; benji listened.",
                &members
            ),
            ["Amara", "Benji"]
        );
        // Inside another word it is not a name: "Castillon", "Amaranth".
        assert!(find_member_names("The Castillon case; amaranth tea.", &members).is_empty());
        // A possessive or punctuation right after the name still counts.
        assert_eq!(
            find_member_names("Castillo's story, and abebe.", &members),
            ["Castillo", "Abebe"]
        );
        // "Ben" has three letters and is searched for; it stands alone here.
        assert_eq!(find_member_names("Ben arrived late.", &members), ["Ben"]);
    }

    #[test]
    fn names_with_letters_beyond_ascii_are_found() {
        let members = [m("Chloé Bergström", None), m("Ölga Ünal", None)];
        assert_eq!(
            find_member_names("BERGSTRÖM and ölga were quiet.", &members),
            ["Bergström", "Ölga"]
        );
    }

    #[test]
    fn names_are_found_whatever_their_accents() {
        let members = [m("Chloé Bergström", None), m("Zoe Nuñez", None)];
        // Typed without accents, with other accents, or with decomposed accents (e + U+0301).
        assert_eq!(
            find_member_names("chloe, BERGSTROM, Zoë and Nunez spoke.", &members),
            ["Chloé", "Bergström", "Zoe", "Nuñez"]
        );
        let decomposed = "Chloe\u{301} spoke.";
        assert_eq!(find_member_names(decomposed, &members), ["Chloé"]);
        // Redaction covers the whole name, combining mark included.
        assert_eq!(redact(decomposed, &members, "[member]"), "[member] spoke.");
        assert_eq!(redact("Zoë came.", &members, "[member]"), "[member] came.");
    }

    #[test]
    fn redaction_replaces_full_names_once_and_keeps_the_rest() {
        let members = [m("Amara Abebe", None)];
        assert_eq!(
            redact(
                "Amara Abebe shared; later amara's mood lifted.",
                &members,
                "[group member]"
            ),
            "[group member] shared; later [group member]'s mood lifted."
        );
        assert_eq!(
            redact("No names here.", &members, "[group member]"),
            "No names here."
        );
    }

    fn any_name() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "Amara", "Dubois", "Kemi", "Nakamura", "Zoe", "García", "Ivan", "Rossi", "Chiara",
        ])
        .prop_map(String::from)
    }

    fn any_filler() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "the", "group", "talked", "about", "loss,", "and", "coping.", "One", "member", "said",
        ])
        .prop_map(String::from)
    }

    proptest! {
        /// After redaction no member name is found any more, and a text without names is left as it was.
        #[test]
        fn redacted_text_names_no_member(
            first in any_name(), last in any_name(),
            words in proptest::collection::vec(prop_oneof![any_name(), any_filler()], 0..30),
        ) {
            let members = [MemberNames::new(format!("{first} {last}"), None)];
            let text = words.join(" ");
            let out = redact(&text, &members, "[group member]");
            prop_assert!(find_member_names(&out, &members).is_empty(), "{out}");
            if find_member_names(&text, &members).is_empty() {
                prop_assert_eq!(out, text);
            }
        }

        /// Case never hides a name.
        #[test]
        fn case_does_not_matter(name in any_name(), upper in any::<bool>()) {
            let text = format!("today {} spoke", if upper { name.to_uppercase() } else { name.to_lowercase() });
            prop_assert_eq!(find_member_names(&text, &[MemberNames::new(name.clone(), None)]), vec![name]);
        }
    }
}
