//! Parsing raw input into values that are known to be valid: after `Email::parse`, the type is the proof.

use crate::error::{Error, Result};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically plausible e-mail address, trimmed and lower-cased so that look-ups are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        let bad = |why: &str| Err(Error::invalid("email", why.to_string()));
        if s.is_empty() {
            return bad("enter an e-mail address");
        }
        if s.len() > 254 {
            return bad("an e-mail address has at most 254 characters");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("an e-mail address cannot contain spaces");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("an e-mail address needs an @, as in name@example.org");
        };
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return bad("this does not look like an e-mail address (name@example.org)");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Rejects characters no person types and no database should store (NUL breaks PostgreSQL text columns).
fn check_chars(field: &str, s: &str, multiline: bool) -> Result<()> {
    let bad = s.chars().any(|c| {
        c == '\0' || (c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    });
    if bad {
        Err(Error::invalid(
            field,
            "contains control characters that cannot be stored",
        ))
    } else {
        Ok(())
    }
}

/// A required single-line text such as a person's name: trimmed, non-empty, at most `max` characters.
pub fn required_line(field: &str, raw: &str, max: usize) -> Result<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, "this field is required"));
    }
    optional_line(field, s, max).map(|o| o.unwrap_or_default())
}

/// An optional single-line text: blank becomes `None`.
pub fn optional_line(field: &str, raw: &str, max: usize) -> Result<Option<String>> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    check_chars(field, s, false)?;
    if s.chars().count() > max {
        return Err(Error::invalid(field, format!("at most {max} characters")));
    }
    Ok(Some(s.to_string()))
}

/// Free text such as a clinical note: may span lines; blank becomes `None`.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<Option<String>> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    check_chars(field, raw, true)?;
    if raw.chars().count() > max {
        return Err(Error::invalid(field, format!("at most {max} characters")));
    }
    Ok(Some(raw.to_string()))
}

pub fn time_zone(field: &str, raw: &str) -> Result<Tz> {
    raw.trim().parse::<Tz>().map_err(|_| {
        Error::invalid(
            field,
            format!(
                "'{}' is not an IANA time zone such as Europe/Berlin or America/New_York",
                raw.trim()
            ),
        )
    })
}

/// A date as forms and the API send it, inside the range every date must keep (`dates::in_range`).
pub fn date(field: &str, raw: &str) -> Result<NaiveDate> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "use a date in the form YYYY-MM-DD"))?;
    crate::dates::in_range(field, d)
}

/// A wall-clock date and time as forms and the API send it: `YYYY-MM-DDTHH:MM` (seconds optional, a space
/// instead of `T` accepted), its date inside the range every date must keep (`dates::in_range`).
pub fn local_datetime(field: &str, raw: &str) -> Result<chrono::NaiveDateTime> {
    let s = raw.trim().replace(' ', "T");
    let t = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            Error::invalid(
                field,
                "use a local date and time in the form YYYY-MM-DDTHH:MM",
            )
        })?;
    crate::dates::local_in_range(field, t)
}

/// An instant in RFC 3339 (`2027-01-04T09:00:00Z`), its date inside the range every date must keep.
pub fn instant(field: &str, raw: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let t = chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| Error::invalid(field, "use an RFC 3339 time such as 2027-01-04T09:00:00Z"))?;
    crate::dates::instant_in_range(field, t.with_timezone(&chrono::Utc))
}

/// A date of birth: a real date, not in the future, and not implausibly long ago.
pub fn date_of_birth(raw: &str, today: NaiveDate) -> Result<NaiveDate> {
    let d = date("date_of_birth", raw)?;
    if d > today {
        return Err(Error::invalid(
            "date_of_birth",
            "a date of birth cannot be in the future",
        ));
    }
    if today.years_since(d).unwrap_or(0) > 130 {
        return Err(Error::invalid(
            "date_of_birth",
            "a date of birth more than 130 years ago is not plausible",
        ));
    }
    Ok(d)
}

/// A phone number as people write it: digits with optional +, spaces, dashes, dots and brackets.
pub fn optional_phone(field: &str, raw: &str) -> Result<Option<String>> {
    let Some(s) = optional_line(field, raw, 40)? else {
        return Ok(None);
    };
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    if digits < 3
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return Err(Error::invalid(field, "use digits, spaces and + - ( ) only"));
    }
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.ORG ").map(|e| e.0).ok(),
            Some("ana@example.org".to_string())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a na@example.org",
            "a@b@c.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn nul_is_rejected_everywhere() {
        assert!(required_line("name", "Ana\0", 100).is_err());
        assert!(optional_text("note", "line\0", 100).is_err());
        assert!(optional_text("note", "line one\nline two\ttab", 100).is_ok());
    }

    #[test]
    fn blank_required_field_names_the_field() {
        match required_line("legal_name", "   ", 100) {
            Err(Error::Validation(v)) => assert_eq!(v[0].field, "legal_name"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert!(time_zone("tz", "Europe/Berlin").is_ok());
        assert!(time_zone("tz", "Mars/Olympus").is_err());
    }

    #[test]
    fn dates_of_birth_are_plausible() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default();
        assert!(date_of_birth("2010-02-28", today).is_ok());
        assert!(date_of_birth("2027-01-01", today).is_err());
        assert!(date_of_birth("1850-01-01", today).is_err());
        assert!(date_of_birth("2010-02-30", today).is_err());
    }

    #[test]
    fn dates_and_times_outside_the_range_are_refused_naming_the_field() {
        for raw in [
            "+262142-12-31",
            "0000-01-01",
            "9999-12-31",
            "1899-12-31",
            "2201-01-01",
        ] {
            match date("opened_on", raw) {
                Err(Error::Validation(f)) => assert_eq!(f[0].field, "opened_on", "{raw}"),
                other => panic!("{raw} should be refused, got {other:?}"),
            }
        }
        assert!(date("d", "1900-01-01").is_ok());
        assert!(date("d", "2200-12-31").is_ok());
        for raw in [
            "+262142-12-31T20:00",
            "0000-01-01T09:00",
            "9999-12-31T23:00",
            "+10000-01-01T00:00",
        ] {
            assert!(local_datetime("start", raw).is_err(), "{raw}");
        }
        assert!(local_datetime("start", "2027-01-04T09:00").is_ok());
        assert!(instant("from", "9999-12-31T23:59:59Z").is_err());
        assert!(instant("from", "2027-01-04T09:00:00+01:00").is_ok());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in ".*") {
            let _ = Email::parse(&s);
            let _ = required_line("f", &s, 50);
            let _ = optional_text("f", &s, 50);
            let _ = optional_phone("f", &s);
            let _ = time_zone("f", &s);
            let _ = date("f", &s);
            let _ = local_datetime("f", &s);
            let _ = instant("f", &s);
        }

        /// Whatever a date string says, an accepted one is inside the range.
        #[test]
        fn accepted_dates_are_in_range(y in -300_000i32..300_000, m in 1u32..13, d in 1u32..29) {
            let raw = if (0..10_000).contains(&y) { format!("{y:04}-{m:02}-{d:02}") } else { format!("{y:+}-{m:02}-{d:02}") };
            if let Ok(day) = date("f", &raw) {
                prop_assert!((crate::dates::FIRST_DATE..=crate::dates::LAST_DATE).contains(&day));
            }
            if let Ok(t) = local_datetime("f", &format!("{raw}T10:00")) {
                prop_assert!((crate::dates::FIRST_DATE..=crate::dates::LAST_DATE).contains(&t.date()));
            }
        }
    }
}
