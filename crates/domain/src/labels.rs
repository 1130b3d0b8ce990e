//! Words for the codes people read: the one place a stored code (a specialisation, an age group, a modality, a
//! language) becomes what a page or an e-mail shows. Codes stay codes in storage and the API; every page asks
//! here (or a code's own `label()`), so no `snake_case` reaches a reader.
//!
//! Languages are BCP 47 primary tags; their English names come from the ISO 639 tables of the `isolang` crate.

/// A clinician's specialisation in words: "eating disorders", "OCD".
pub fn specialisation(code: &str) -> String {
    match code {
        "lgbtq" => "LGBTQ+ identities".into(),
        "ocd" => "OCD".into(),
        "self_harm" => "self-harm".into(),
        other => plain(other),
    }
}

/// An age group in words: "older adults".
pub fn age_group(code: &str) -> String {
    plain(code)
}

/// A therapeutic modality in words: "CBT", "solution-focused therapy".
pub fn modality(code: &str) -> String {
    match code {
        "act" => "ACT".into(),
        "cbt" => "CBT".into(),
        "dbt" => "DBT".into(),
        "emdr" => "EMDR".into(),
        "emotionally_focused" => "emotionally focused therapy".into(),
        "family_systems" => "family systems therapy".into(),
        "gottman" => "Gottman method".into(),
        "humanistic" => "humanistic therapy".into(),
        "psychodynamic" => "psychodynamic therapy".into(),
        "schema" => "schema therapy".into(),
        "solution_focused" => "solution-focused therapy".into(),
        other => plain(other),
    }
}

/// A language's English name from its two- or three-letter code ("de" → "German"); ISO's qualifiers such as
/// "(macrolanguage)" are left out. A code no table knows is shown in capitals rather than guessed at.
pub fn language(code: &str) -> String {
    let code = code.trim().to_ascii_lowercase();
    let found = match code.len() {
        2 => isolang::Language::from_639_1(&code),
        3 => isolang::Language::from_639_3(&code),
        _ => None,
    };
    match found {
        Some(l) => l
            .to_name()
            .split(" (")
            .next()
            .unwrap_or_default()
            .to_string(),
        None => code.to_ascii_uppercase(),
    }
}

/// The zones a person may choose to see times in: every IANA zone under a continent or ocean (the links kept for
/// old names among them, as browsers may report those), and UTC; by name.
pub fn time_zones() -> Vec<&'static str> {
    const AREAS: [&str; 10] = [
        "Africa/",
        "America/",
        "Antarctica/",
        "Arctic/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    let mut out: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .filter(|n| *n == "UTC" || AREAS.iter().any(|a| n.starts_with(a)))
        .collect();
    out.sort_unstable();
    out
}

/// A zone's name as read: "America/New_York" → "America/New York".
pub fn time_zone(name: &str) -> String {
    name.replace('_', " ")
}

/// A code with no word of its own: its parts as words ("older_adults" → "older adults").
fn plain(code: &str) -> String {
    code.replace('_', " ")
}

/// What a kind of e-mail is, in words (unknown kinds as "other message": the list never shows a code).
pub fn mail_kind(kind: &str) -> &'static str {
    match kind {
        "reminder" => "appointment reminder",
        "waitlist_offer" => "waitlist offer",
        "online_ack" => "online booking request received",
        "booking_link" => "link to manage bookings",
        "measure_alert" => "alert to the care team",
        "measure_alert_on_call" => "alert to the clinician on call",
        "measure_escalation" => "alert escalation",
        "measure_link" => "questionnaire link",
        "diary_link" => "diary link",
        "portal_invitation" => "portal invitation",
        "emergency_access" => "emergency access notice",
        _ => "other message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinician::{AGE_GROUPS, MODALITIES, SPECIALISATIONS};

    #[test]
    fn every_vocabulary_code_has_words_without_underscores() {
        for c in SPECIALISATIONS {
            assert!(!specialisation(c).contains('_'), "{c}");
        }
        for c in AGE_GROUPS {
            assert!(!age_group(c).contains('_'), "{c}");
        }
        for c in MODALITIES {
            assert!(!modality(c).contains('_'), "{c}");
        }
        assert_eq!(age_group("older_adults"), "older adults");
        assert_eq!(specialisation("eating_disorders"), "eating disorders");
        assert_eq!(modality("cbt"), "CBT");
    }

    #[test]
    fn languages_are_named_in_english_without_iso_qualifiers() {
        assert_eq!(language("de"), "German");
        assert_eq!(language("es"), "Spanish");
        assert_eq!(language("el"), "Modern Greek");
        assert_eq!(language("sw"), "Swahili");
        assert_eq!(language("yue"), "Yue Chinese");
        assert_eq!(language("qq"), "QQ");
    }

    #[test]
    fn the_zone_list_holds_the_usual_zones_and_reads_without_underscores() {
        let zones = time_zones();
        for z in [
            "UTC",
            "America/New_York",
            "Europe/Berlin",
            "Asia/Kolkata",
            "Australia/Sydney",
        ] {
            assert!(zones.contains(&z), "{z}");
        }
        assert!(!zones.iter().any(|z| z.starts_with("Etc/")));
        assert_eq!(time_zone("America/Port_of_Spain"), "America/Port of Spain");
    }

    #[test]
    fn every_kind_has_words_and_no_code_shows() {
        for k in [
            "reminder",
            "waitlist_offer",
            "online_ack",
            "booking_link",
            "measure_alert",
            "measure_alert_on_call",
            "measure_escalation",
            "measure_link",
            "diary_link",
            "portal_invitation",
            "emergency_access",
        ] {
            assert_ne!(mail_kind(k), "other message", "{k}");
            assert!(!mail_kind(k).contains('_'), "{k}");
        }
        assert_eq!(mail_kind("something_new"), "other message");
    }
}
