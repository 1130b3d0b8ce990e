//! Breaking the glass: how long emergency access lasts, what a reason must be, and how a review ends.
//!
//! In a clinic at night the on-call clinician may need a client's record that belongs to someone else's caseload.
//! Rapport lets them in for a few hours, read-only, after they name the client exactly (legal name and date of
//! birth) and say why; the care team and the administrators are told at once, and an administrator reviews every
//! use afterwards against what was read (the audit log).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// How long one break-the-glass access lasts.
pub const EMERGENCY_HOURS: i64 = 4;
/// A reason must say something: at least this many characters.
pub const MIN_REASON_CHARS: usize = 20;
pub const MAX_REASON_CHARS: usize = 2000;

/// Checks the reason given for breaking the glass.
pub fn reason(raw: &str) -> Result<String> {
    let r = raw.trim();
    let n = r.chars().count();
    if n < MIN_REASON_CHARS {
        return Err(Error::invalid(
            "reason",
            format!(
                "say why you need this record now, in at least {MIN_REASON_CHARS} characters (it is reviewed)"
            ),
        ));
    }
    if n > MAX_REASON_CHARS {
        return Err(Error::invalid(
            "reason",
            format!("use at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(r.to_string())
}

/// An administrator's finding on one emergency access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The access was justified and stayed within what the emergency needed.
    Appropriate,
    /// It was not: the practice follows up (training, sanction, breach assessment).
    Inappropriate,
}

impl Finding {
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Appropriate => "appropriate",
            Finding::Inappropriate => "inappropriate",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Finding::Appropriate => "Appropriate",
            Finding::Inappropriate => "Inappropriate",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "appropriate" => Ok(Finding::Appropriate),
            "inappropriate" => Ok(Finding::Inappropriate),
            _ => Err(Error::invalid(
                "finding",
                "choose whether the access was appropriate or inappropriate",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_must_say_something_and_not_everything() {
        assert!(reason("  need it  ").is_err());
        assert!(reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert_eq!(
            reason("  Client called the crisis line at 02:10, suicidal.  ")
                .ok()
                .as_deref(),
            Some("Client called the crisis line at 02:10, suicidal.")
        );
        let err = reason("");
        assert!(matches!(err, Err(Error::Validation(f)) if f[0].field == "reason"));
    }

    #[test]
    fn findings_round_trip_and_reject_anything_else() {
        for f in [Finding::Appropriate, Finding::Inappropriate] {
            assert_eq!(Finding::parse(f.as_str()).ok(), Some(f));
        }
        assert!(Finding::parse("fine").is_err());
    }
}
