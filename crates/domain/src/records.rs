//! Record requests (the right of access, HIPAA 45 CFR 164.524): who may ask, in which capacity, the format and
//! delivery they want, the lifecycle open → fulfilled | denied, and the due date.
//!
//! The due date is fixed when the request is logged (received date + the practice's period, 30 days by default,
//! HIPAA's outer limit), so changing the setting later never moves a promise already made.

use crate::error::{Error, Result};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days to answer a request unless the practice sets a shorter period.
pub const DEFAULT_DUE_DAYS: u32 = 30;
/// HIPAA allows 30 days; a practice may promise less.
pub const MAX_DUE_DAYS: u32 = 30;
/// HIPAA allows one extension of at most 30 days, given in writing before the request is due, with the reasons
/// and the new date (45 CFR 164.524(b)(2)(iii)).
pub const MAX_EXTENSION_DAYS: u32 = 30;

/// Says what every export and every answer to a record request leaves out, in the same words whether or not the
/// client has any psychotherapy notes: telling them apart would itself disclose that such notes exist.
pub const PSYCHOTHERAPY_EXCLUSION: &str = "Psychotherapy notes (45 CFR 164.501) are kept apart from the clinical \
     record and are not part of this document, whether or not any exist. They are excluded from the right of \
     access (45 CFR 164.524(a)(1)(i)) and are disclosed only with the client's specific written authorisation \
     (45 CFR 164.508(a)(2)).";
/// Drafts are working documents until signed; the record holds what a clinician has signed.
pub const DRAFT_EXCLUSION: &str = "Unsigned drafts are not part of the record; only signed notes (with their addenda) are included.";
/// Group sessions show the client's own part only.
pub const GROUP_EXCLUSION: &str = "Group sessions show this client's own attendance and individual note and the \
     group's shared note, with every other member's name replaced by \"[group member]\".";
/// Couples and families: joint notes are in every member's record, individual notes only in their own.
pub const UNIT_EXCLUSION: &str = "Joint notes of a couple or family this client belongs to are included; other \
     members' individual notes are not.";

macro_rules! choice {
    ($(#[$m:meta])* $name:ident, $field:literal, $help:literal, { $($v:ident => $s:literal, $l:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$v => $l),* }
            }

            pub fn parse(raw: &str) -> Result<Self> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|k| k.as_str() == raw.trim())
                    .ok_or_else(|| Error::invalid($field, $help))
            }
        }
    };
}

choice!(
    /// In which capacity the person asks: the client, a parent or guardian (of a minor), or another personal
    /// representative (45 CFR 164.502(g)).
    Capacity, "capacity", "use client, guardian or representative", {
        Client => "client", "The client";
        Guardian => "guardian", "Parent or guardian";
        Representative => "representative", "Personal representative";
    }
);

choice!(
    /// The form the copy should take.
    RequestFormat, "format", "use electronic or paper", {
        Electronic => "electronic", "Electronic (JSON file and printable page)";
        Paper => "paper", "Paper (printed)";
    }
);

choice!(
    /// How the copy reaches the person.
    Delivery, "delivery", "use collect, email or post", {
        Collect => "collect", "Collected in person";
        Email => "email", "E-mail";
        Post => "post", "Post";
    }
);

choice!(
    /// Open until a clinician on the care team answers it either way; then it never changes.
    RequestStatus, "status", "use open, fulfilled or denied", {
        Open => "open", "Open";
        Fulfilled => "fulfilled", "Fulfilled";
        Denied => "denied", "Denied";
    }
);

/// The day a request received on `received` must be answered by.
pub fn due_on(received: NaiveDate, days: u32) -> NaiveDate {
    received
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(received)
}

/// An open request is overdue from the day after its due date.
pub fn is_overdue(status: RequestStatus, due: NaiveDate, today: NaiveDate) -> bool {
    status == RequestStatus::Open && today > due
}

/// The practice's period, validated: at least a day, at most HIPAA's 30.
pub fn due_days(raw: i64) -> Result<u32> {
    match u32::try_from(raw) {
        Ok(d) if (1..=MAX_DUE_DAYS).contains(&d) => Ok(d),
        _ => Err(Error::invalid(
            "due_days",
            format!("answer record requests within 1 to {MAX_DUE_DAYS} days"),
        )),
    }
}

/// The new due date of a request extended by `days` on `today`: once, while it is still open and not yet due,
/// by 1 to 30 days from the current due date.
pub fn extended_due(
    status: RequestStatus,
    due: NaiveDate,
    already_extended: bool,
    days: i64,
    today: NaiveDate,
) -> Result<NaiveDate> {
    if status != RequestStatus::Open {
        return Err(Error::Conflict(
            "this request has been answered already".into(),
        ));
    }
    if already_extended {
        return Err(Error::Conflict(
            "this request has been extended already; HIPAA allows one extension".into(),
        ));
    }
    if today > due {
        return Err(Error::invalid(
            "days",
            format!(
                "an extension must be given before the request is due, and it was due on {due}"
            ),
        ));
    }
    match u32::try_from(days) {
        Ok(d) if (1..=MAX_EXTENSION_DAYS).contains(&d) => Ok(due_on(due, d)),
        _ => Err(Error::invalid(
            "days",
            format!("extend by 1 to {MAX_EXTENSION_DAYS} days"),
        )),
    }
}

/// A request can be received today or earlier, never in the future.
pub fn received_on(raw: &str, today: NaiveDate) -> Result<NaiveDate> {
    let d = crate::validate::date("received_on", raw)?;
    if d > today {
        return Err(Error::invalid(
            "received_on",
            "a request cannot be received in the future",
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_request_is_due_thirty_days_after_it_was_received_by_default() {
        assert_eq!(due_on(d("2026-01-15"), DEFAULT_DUE_DAYS), d("2026-02-14"));
        assert_eq!(due_on(d("2026-12-20"), 30), d("2027-01-19"));
    }

    #[test]
    fn only_an_open_request_past_its_due_day_is_overdue() {
        let due = d("2026-02-14");
        assert!(!is_overdue(RequestStatus::Open, due, due));
        assert!(is_overdue(RequestStatus::Open, due, d("2026-02-15")));
        assert!(!is_overdue(RequestStatus::Fulfilled, due, d("2026-03-01")));
        assert!(!is_overdue(RequestStatus::Denied, due, d("2026-03-01")));
    }

    #[test]
    fn the_period_stays_within_hipaas_thirty_days() {
        assert_eq!(due_days(30).ok(), Some(30));
        assert_eq!(due_days(14).ok(), Some(14));
        for bad in [0, -1, 31, 365] {
            assert!(due_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_is_extended_once_by_at_most_thirty_days_before_it_is_due() {
        let due = d("2026-02-14");
        let open = RequestStatus::Open;
        assert_eq!(
            extended_due(open, due, false, 30, due).ok(),
            Some(d("2026-03-16"))
        );
        assert_eq!(
            extended_due(open, due, false, 1, d("2026-01-20")).ok(),
            Some(d("2026-02-15"))
        );
        for bad in [0, -3, 31] {
            assert!(
                matches!(
                    extended_due(open, due, false, bad, due),
                    Err(Error::Validation(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            extended_due(open, due, false, 10, d("2026-02-15")),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            extended_due(open, due, true, 10, due),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            extended_due(RequestStatus::Fulfilled, due, false, 10, due),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn a_request_from_the_future_is_refused() {
        let today = d("2026-05-01");
        assert!(received_on("2026-05-02", today).is_err());
        assert_eq!(received_on("2026-05-01", today).ok(), Some(today));
        assert!(received_on("yesterday", today).is_err());
    }

    #[test]
    fn choices_parse_their_own_names_and_refuse_others() {
        for c in Capacity::ALL {
            assert_eq!(Capacity::parse(c.as_str()).ok(), Some(*c));
        }
        assert!(Capacity::parse("neighbour").is_err());
        assert_eq!(Delivery::parse(" post ").ok(), Some(Delivery::Post));
        assert!(RequestFormat::parse("fax").is_err());
    }
}
