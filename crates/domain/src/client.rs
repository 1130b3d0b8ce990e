//! The client (patient) as the domain sees it: status lifecycle, contacts and guardians, and minor status.

use crate::error::{Error, Result};
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Age of majority used to flag minors. Jurisdictions differ (18 in most; consent ages for therapy vary by state),
/// so this is the conservative default; a practice setting can refine it later.
pub const AGE_OF_MAJORITY: u32 = 18;

pub fn age_on(date_of_birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(date_of_birth).unwrap_or(0)
}

pub fn is_minor(date_of_birth: NaiveDate, today: NaiveDate) -> bool {
    age_on(date_of_birth, today) < AGE_OF_MAJORITY
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ClientStatus {
    Inquiry,
    Waitlist,
    Active,
    Discharged,
}

impl ClientStatus {
    pub const ALL: [ClientStatus; 4] = [
        ClientStatus::Inquiry,
        ClientStatus::Waitlist,
        ClientStatus::Active,
        ClientStatus::Discharged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Inquiry => "inquiry",
            ClientStatus::Waitlist => "waitlist",
            ClientStatus::Active => "active",
            ClientStatus::Discharged => "discharged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClientStatus::Inquiry => "Inquiry",
            ClientStatus::Waitlist => "Waitlist",
            ClientStatus::Active => "Active",
            ClientStatus::Discharged => "Discharged",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                Error::invalid("status", "use one of inquiry, waitlist, active, discharged")
            })
    }
}

/// An emergency contact or a guardian. Guardians get portal accounts later; for now they are contact records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Contact {
    /// Validates one contact; `field` is the list's name and index, as in `guardians[0]`.
    pub fn validated(self, field: &str) -> Result<Self> {
        let name = validate::required_line(&format!("{field}.name"), &self.name, 200)?;
        let relationship = match self.relationship {
            Some(r) => validate::optional_line(&format!("{field}.relationship"), &r, 100)?,
            None => None,
        };
        let phone = match self.phone {
            Some(p) => validate::optional_phone(&format!("{field}.phone"), &p)?,
            None => None,
        };
        let email = match self.email {
            Some(e) if !e.trim().is_empty() => Some(
                validate::Email::parse(&e)
                    .map_err(|_| {
                        Error::invalid(
                            format!("{field}.email"),
                            "this does not look like an e-mail address",
                        )
                    })?
                    .to_string(),
            ),
            _ => None,
        };
        if phone.is_none() && email.is_none() {
            return Err(Error::invalid(
                field.to_string(),
                "give a phone number or an e-mail address",
            ));
        }
        Ok(Contact {
            name,
            relationship,
            phone,
            email,
        })
    }
}

/// An ICD-10-CM code in its usual written form: a letter, two characters, optionally a dot and up to four more
/// (F32.1, F43.10, Z63.0). The shape is checked, not membership of the code set.
pub fn icd10_code(field: &str, raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    let (head, tail) = code.split_once('.').unwrap_or((&code, ""));
    let b = head.as_bytes();
    let ok = b.len() == 3
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_alphanumeric()
        && tail.len() <= 4
        && tail.chars().all(|c| c.is_ascii_alphanumeric())
        && !(code.contains('.') && tail.is_empty());
    if ok {
        Ok(code)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "'{}' is not an ICD-10-CM code such as F32.1 or F43.10",
                raw.trim()
            ),
        ))
    }
}

/// What a search for clients asks: part of a name (any case), and a date of birth when one is typed as
/// YYYY-MM-DD. Clients who share a name are told apart by searching for "Zoe Zhang 1984-07-21".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// The words that are not a date, lower-cased and joined by single spaces.
    pub name: Option<String>,
    pub born: Option<NaiveDate>,
}

impl SearchTerms {
    pub fn parse(q: &str) -> SearchTerms {
        let mut born = None;
        let mut words = vec![];
        for w in q.split_whitespace() {
            match NaiveDate::parse_from_str(w, "%Y-%m-%d") {
                Ok(d) if born.is_none() => born = Some(d),
                _ => words.push(w),
            }
        }
        SearchTerms {
            name: (!words.is_empty()).then(|| words.join(" ").to_lowercase()),
            born,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_takes_a_typed_date_as_the_date_of_birth() {
        let t = SearchTerms::parse("  Zoe   ZHANG 1984-07-21 ");
        assert_eq!(t.name.as_deref(), Some("zoe zhang"));
        assert_eq!(t.born, NaiveDate::from_ymd_opt(1984, 7, 21));
        let t = SearchTerms::parse("1984-07-21");
        assert_eq!((t.name, t.born.is_some()), (None, true));
        // Not a date (no such day): a word of the name like any other.
        assert_eq!(SearchTerms::parse("1984-02-30").born, None);
        assert_eq!(SearchTerms::parse("").name, None);
    }

    #[test]
    fn icd10_codes_are_shape_checked() {
        assert_eq!(icd10_code("d", " f32.1 ").ok().as_deref(), Some("F32.1"));
        assert!(icd10_code("d", "F43.10").is_ok());
        assert!(icd10_code("d", "Z63").is_ok());
        for bad in ["", "32.1", "F3", "F32.", "F32.12345", "depression"] {
            assert!(icd10_code("d", bad).is_err(), "{bad:?}");
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn minor_until_the_eighteenth_birthday() {
        let dob = d(2008, 11, 27);
        assert!(is_minor(dob, d(2026, 11, 26)));
        assert!(!is_minor(dob, d(2026, 11, 27)));
    }

    #[test]
    fn leap_day_birthdays_count_on_the_first_of_march() {
        let dob = d(2008, 2, 29);
        assert!(is_minor(dob, d(2026, 2, 28)));
        assert!(!is_minor(dob, d(2026, 3, 1)));
    }

    #[test]
    fn a_contact_needs_a_way_to_reach_them() {
        let c = Contact {
            name: "Maria".into(),
            ..Default::default()
        };
        assert!(c.validated("guardians[0]").is_err());
        let c = Contact {
            name: "Maria".into(),
            phone: Some("+49 30 1234567".into()),
            ..Default::default()
        };
        assert!(c.validated("guardians[0]").is_ok());
    }
}
