//! A note's lifecycle: a draft may change; signing locks it for good; a trainee's signed note waits for their
//! supervisor's co-signature. Corrections after signing are addenda, never edits.

use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    Draft,
    /// Signed and locked; no co-signature needed.
    Signed,
    /// Signed by a trainee and locked; waiting in their supervisor's queue.
    AwaitingCosign,
    /// Signed by the trainee and co-signed by the supervisor.
    Cosigned,
}

impl NoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::Signed => "signed",
            NoteStatus::AwaitingCosign => "awaiting_cosign",
            NoteStatus::Cosigned => "cosigned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteStatus::Draft => "Draft",
            NoteStatus::Signed => "Signed",
            NoteStatus::AwaitingCosign => "Awaiting co-signature",
            NoteStatus::Cosigned => "Co-signed",
        }
    }

    pub fn parse(raw: &str) -> Result<NoteStatus> {
        [
            NoteStatus::Draft,
            NoteStatus::Signed,
            NoteStatus::AwaitingCosign,
            NoteStatus::Cosigned,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .ok_or_else(|| Error::internal(format!("unknown note status '{raw}'")))
    }

    pub fn is_locked(self) -> bool {
        self != NoteStatus::Draft
    }

    /// A draft may be changed; anything signed may not.
    pub fn check_editable(self) -> Result<()> {
        if self.is_locked() {
            Err(Error::Conflict(
                "this note is signed and locked; add an addendum to correct or extend it".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// Addenda go on signed notes only: a draft is simply edited.
    pub fn check_addendum(self) -> Result<()> {
        if self.is_locked() {
            Ok(())
        } else {
            Err(Error::Conflict(
                "this note is still a draft; edit it instead of adding an addendum".into(),
            ))
        }
    }
}

/// What signing leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutcome {
    Signed,
    AwaitingCosign,
}

impl SignOutcome {
    pub fn status(self) -> NoteStatus {
        match self {
            SignOutcome::Signed => NoteStatus::Signed,
            SignOutcome::AwaitingCosign => NoteStatus::AwaitingCosign,
        }
    }
}

/// Signing: only a draft, and a trainee (someone under supervision) needs a co-signature afterwards.
pub fn sign(status: NoteStatus, author_is_supervised: bool) -> Result<SignOutcome> {
    status.check_editable()?;
    Ok(if author_is_supervised {
        SignOutcome::AwaitingCosign
    } else {
        SignOutcome::Signed
    })
}

/// Co-signing: only a note that waits for it, and never by its own author.
pub fn cosign(status: NoteStatus, by_author: bool) -> Result<NoteStatus> {
    if by_author {
        return Err(Error::Forbidden(
            "you cannot co-sign your own note; your supervisor co-signs it".into(),
        ));
    }
    match status {
        NoteStatus::AwaitingCosign => Ok(NoteStatus::Cosigned),
        NoteStatus::Draft => Err(Error::Conflict(
            "this note is still a draft; its author signs it first".into(),
        )),
        NoteStatus::Signed | NoteStatus::Cosigned => Err(Error::Conflict(
            "this note does not wait for a co-signature".into(),
        )),
    }
}

/// A draft is late when it is still unsigned `due_days` after the day of the service it documents.
pub fn is_late(
    status: NoteStatus,
    service_date: NaiveDate,
    today: NaiveDate,
    due_days: u32,
) -> bool {
    status == NoteStatus::Draft
        && service_date
            .checked_add_days(chrono::Days::new(u64::from(due_days)))
            .is_some_and(|due| today > due)
}

/// A note documents something that happened: its date of service is at most the writer's today (in their zone,
/// so a clinician ahead of UTC can date a note today).
pub fn check_service_date(date: NaiveDate, writers_today: NaiveDate) -> Result<NaiveDate> {
    if date > writers_today {
        return Err(Error::invalid(
            "service_date",
            format!(
                "a note cannot be dated in the future (today is {})",
                writers_today.format("%-d %B %Y")
            ),
        ));
    }
    Ok(date)
}

/// The longest feedback a supervisor may leave when co-signing.
pub const FEEDBACK_MAX: usize = 4000;

/// A supervisor's feedback with a co-signature: trimmed, optional (blank is none), at most `FEEDBACK_MAX`
/// characters.
pub fn check_feedback(text: Option<&str>) -> Result<Option<String>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > FEEDBACK_MAX {
        return Err(Error::invalid(
            "feedback",
            format!("at most {FEEDBACK_MAX} characters"),
        ));
    }
    Ok(Some(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_service_date_is_accepted_exactly_when_it_is_not_after_today(offset in -4000i64..4000) {
            let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
            let date = today + chrono::Duration::days(offset);
            prop_assert_eq!(check_service_date(date, today).is_ok(), offset <= 0);
        }
    }

    #[test]
    fn a_trainees_signed_note_waits_for_co_signature() {
        assert_eq!(
            sign(NoteStatus::Draft, true).unwrap(),
            SignOutcome::AwaitingCosign
        );
        assert_eq!(sign(NoteStatus::Draft, false).unwrap(), SignOutcome::Signed);
    }

    #[test]
    fn a_signed_note_cannot_be_signed_or_edited_again() {
        for s in [
            NoteStatus::Signed,
            NoteStatus::AwaitingCosign,
            NoteStatus::Cosigned,
        ] {
            assert!(matches!(sign(s, false), Err(Error::Conflict(_))));
            assert!(s.check_editable().is_err());
            assert!(s.check_addendum().is_ok());
        }
        assert!(NoteStatus::Draft.check_addendum().is_err());
    }

    #[test]
    fn nobody_co_signs_their_own_note() {
        assert!(matches!(
            cosign(NoteStatus::AwaitingCosign, true),
            Err(Error::Forbidden(_))
        ));
        assert_eq!(
            cosign(NoteStatus::AwaitingCosign, false).unwrap(),
            NoteStatus::Cosigned
        );
        assert!(cosign(NoteStatus::Signed, false).is_err());
        assert!(cosign(NoteStatus::Draft, false).is_err());
    }

    #[test]
    fn a_draft_is_late_the_day_after_it_was_due() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let on = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert!(!is_late(NoteStatus::Draft, d, on(5), 3));
        assert!(is_late(NoteStatus::Draft, d, on(6), 3));
        assert!(!is_late(NoteStatus::Signed, d, on(30), 3));
    }

    proptest! {
        #[test]
        fn status_names_round_trip(i in 0usize..4) {
            let s = [NoteStatus::Draft, NoteStatus::Signed, NoteStatus::AwaitingCosign, NoteStatus::Cosigned][i];
            prop_assert_eq!(NoteStatus::parse(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn feedback_is_optional_trimmed_and_bounded() {
        assert_eq!(check_feedback(None).unwrap(), None);
        assert_eq!(check_feedback(Some("   ")).unwrap(), None);
        assert_eq!(
            check_feedback(Some("  Good use of the DAP format. ")).unwrap(),
            Some("Good use of the DAP format.".to_string())
        );
        assert!(check_feedback(Some(&"é".repeat(FEEDBACK_MAX))).is_ok());
        assert!(check_feedback(Some(&"é".repeat(FEEDBACK_MAX + 1))).is_err());
    }
}
