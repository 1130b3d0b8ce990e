//! A client's medications as the therapist keeps track of them: what, how much, who prescribes, since when and,
//! once stopped, until when and why. Therapists rarely prescribe; they need to know what a client takes (and when
//! it changes) to work with the psychiatrist or family doctor they referred the client to.

use crate::error::{Error, Problems, Result};
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What the care team types for a medication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicationInput {
    pub name: String,
    #[serde(default)]
    pub dose: String,
    #[serde(default)]
    pub prescriber: String,
    /// `YYYY-MM-DD`.
    pub started_on: String,
    #[serde(default)]
    pub notes: String,
}

/// The sealed part of a medication: everything a reader of the database should not see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicationText {
    pub name: String,
    pub dose: Option<String>,
    pub prescriber: Option<String>,
    pub notes: Option<String>,
    pub stop_reason: Option<String>,
}

impl MedicationInput {
    /// The text and the start date, every problem named at once; the start is not in the future.
    pub fn validated(&self, today: NaiveDate) -> Result<(MedicationText, NaiveDate)> {
        let mut p = Problems::new();
        let name = p.take(validate::required_line("name", &self.name, 200));
        let dose = p.take(validate::optional_line("dose", &self.dose, 200));
        let prescriber = p.take(validate::optional_line("prescriber", &self.prescriber, 200));
        let notes = p.take(validate::optional_text("notes", &self.notes, 2000));
        let started = p.take(validate::date("started_on", &self.started_on));
        if let Some(d) = started
            && d > today
        {
            p.add(
                "started_on",
                "a medication cannot have been started in the future",
            );
        }
        p.finish()?;
        match (name, dose, prescriber, notes, started) {
            (Some(name), Some(dose), Some(prescriber), Some(notes), Some(started)) => Ok((
                MedicationText {
                    name,
                    dose,
                    prescriber,
                    notes,
                    stop_reason: None,
                },
                started,
            )),
            _ => Err(Error::internal("validated medication lost a field")),
        }
    }
}

/// Checks a stop: on or after the start, not in the future, with a reason (side effects, course finished, …).
pub fn check_stop(
    started_on: NaiveDate,
    stopped_on: NaiveDate,
    reason: &str,
    today: NaiveDate,
) -> Result<String> {
    let mut p = Problems::new();
    if stopped_on < started_on {
        p.add(
            "stopped_on",
            format!("a medication cannot stop before it started ({started_on})"),
        );
    }
    if stopped_on > today {
        p.add("stopped_on", "record a stop once it has happened");
    }
    let reason = p.take(validate::required_line("reason", reason, 500));
    p.finish()?;
    reason.ok_or_else(|| Error::internal("validated stop lost its reason"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => vec![other.to_string()],
        }
    }

    #[test]
    fn a_medication_has_a_name_and_a_start_that_has_happened() {
        let ok = MedicationInput {
            name: " Sertraline ".into(),
            dose: "50 mg each morning".into(),
            started_on: "2026-10-01".into(),
            ..Default::default()
        };
        let (text, started) = ok
            .validated(d("2026-11-26"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text.name, "Sertraline");
        assert_eq!(text.prescriber, None);
        assert_eq!(started, d("2026-10-01"));
        let bad = MedicationInput {
            started_on: "2026-12-01".into(),
            ..Default::default()
        };
        let mut got = fields(bad.validated(d("2026-11-26")).unwrap_err());
        got.sort();
        assert_eq!(got, vec!["name", "started_on"]);
    }

    #[test]
    fn a_stop_comes_after_the_start_has_happened_and_says_why() {
        let start = d("2026-10-01");
        let today = d("2026-11-26");
        assert!(check_stop(start, d("2026-11-20"), "Nausea", today).is_ok());
        assert_eq!(
            fields(check_stop(start, d("2026-09-30"), "x", today).unwrap_err()),
            vec!["stopped_on"]
        );
        assert_eq!(
            fields(check_stop(start, d("2026-11-27"), "x", today).unwrap_err()),
            vec!["stopped_on"]
        );
        assert_eq!(
            fields(check_stop(start, d("2026-11-20"), " ", today).unwrap_err()),
            vec!["reason"]
        );
    }
}
