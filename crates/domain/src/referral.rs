//! Referrals out of the practice: when a client needs psychiatric or medication care, a family doctor, a
//! specialist or a crisis service, the therapist refers them and follows the referral until it is answered.
//!
//! A referral moves `sent → accepted | declined`, `accepted → seen`, and any open one may be `closed` (withdrawn,
//! or no longer needed); `declined`, `seen` and `closed` are final. Every move carries a date and may carry a note.

use crate::error::{Error, Problems, Result};
use crate::validate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

macro_rules! labelled {
    ($name:ident, $field:literal, $what:literal { $($v:ident => $s:literal, $l:literal;)* }) => {
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

            pub fn parse(s: &str) -> Result<Self> {
                match s.trim() {
                    $($s => Ok($name::$v),)*
                    _ => Err(Error::invalid($field, concat!("choose ", $what))),
                }
            }
        }
    };
}

labelled!(ReferralKind, "kind", "what kind of care the referral is for" {
    Psychiatry => "psychiatry", "Psychiatry (assessment, medication)";
    PrimaryCare => "primary_care", "Family doctor";
    Specialist => "specialist", "Other specialist or therapy service";
    Crisis => "crisis", "Crisis service";
    Other => "other", "Other";
});

labelled!(Urgency, "urgency", "how urgent the referral is" {
    Routine => "routine", "Routine";
    Urgent => "urgent", "Urgent";
    Emergency => "emergency", "Emergency";
});

labelled!(ReferralStatus, "status", "a status" {
    Sent => "sent", "Sent";
    Accepted => "accepted", "Accepted";
    Declined => "declined", "Declined";
    Seen => "seen", "Seen";
    Closed => "closed", "Closed";
});

impl ReferralStatus {
    /// Whether a referral in this status may move to `next`.
    pub fn can_become(self, next: ReferralStatus) -> bool {
        use ReferralStatus::*;
        matches!(
            (self, next),
            (Sent, Accepted | Declined | Closed) | (Accepted, Seen | Closed)
        )
    }

    pub fn is_open(self) -> bool {
        matches!(self, ReferralStatus::Sent | ReferralStatus::Accepted)
    }
}

/// What the care team types to refer a client.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    pub kind: String,
    /// Whom to: a person or a service, as the letter is addressed.
    pub to: String,
    pub reason: String,
    #[serde(default)]
    pub urgency: String,
    /// `YYYY-MM-DD`.
    pub sent_on: String,
}

/// The sealed part of a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralText {
    pub to: String,
    pub reason: String,
    /// Notes of each status change, in order: (status, note).
    pub history: Vec<(ReferralStatus, Option<String>)>,
}

impl ReferralInput {
    pub fn validated(
        &self,
        today: NaiveDate,
    ) -> Result<(ReferralKind, Urgency, NaiveDate, ReferralText)> {
        let mut p = Problems::new();
        let kind = p.take(ReferralKind::parse(&self.kind));
        let urgency = if self.urgency.trim().is_empty() {
            Some(Urgency::Routine)
        } else {
            p.take(Urgency::parse(&self.urgency))
        };
        let to = p.take(validate::required_line("to", &self.to, 200));
        let reason = p.take(validate::optional_text("reason", &self.reason, 4000));
        if matches!(reason, Some(None)) {
            p.add("reason", "say why the client is referred");
        }
        let sent = p.take(validate::date("sent_on", &self.sent_on));
        if let Some(d) = sent
            && d > today
        {
            p.add("sent_on", "record a referral once it has been sent");
        }
        p.finish()?;
        match (kind, urgency, to, reason, sent) {
            (Some(k), Some(u), Some(to), Some(Some(reason)), Some(sent)) => Ok((
                k,
                u,
                sent,
                ReferralText {
                    to,
                    reason,
                    history: vec![(ReferralStatus::Sent, None)],
                },
            )),
            _ => Err(Error::internal("validated referral lost a field")),
        }
    }
}

/// Checks a status change: allowed from the current status, dated on or after the referral was sent and not in
/// the future.
pub fn check_move(
    from: ReferralStatus,
    to: ReferralStatus,
    sent_on: NaiveDate,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<()> {
    if !from.can_become(to) {
        return Err(Error::Conflict(format!(
            "a referral that is {} cannot become {}",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    if on < sent_on || on > today {
        return Err(Error::invalid(
            "on",
            format!("the date must fall between the day it was sent ({sent_on}) and today"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralStatus::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_referral_moves_forward_only_and_ends() {
        assert!(Sent.can_become(Accepted) && Sent.can_become(Declined) && Sent.can_become(Closed));
        assert!(Accepted.can_become(Seen) && Accepted.can_become(Closed));
        assert!(!Sent.can_become(Seen), "seen only once accepted");
        for done in [Declined, Seen, Closed] {
            assert!(!done.is_open());
            for next in ReferralStatus::ALL {
                assert!(!done.can_become(*next), "{done:?} -> {next:?}");
            }
        }
    }

    #[test]
    fn a_move_is_dated_between_sending_and_today() {
        let (sent, today) = (d("2026-11-01"), d("2026-11-26"));
        assert!(check_move(Sent, Accepted, sent, d("2026-11-03"), today).is_ok());
        assert!(matches!(
            check_move(Sent, Seen, sent, d("2026-11-03"), today),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_move(Sent, Accepted, sent, d("2026-10-31"), today),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            check_move(Sent, Accepted, sent, d("2026-11-27"), today),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn a_referral_names_its_kind_recipient_reason_and_a_past_date() {
        let today = d("2026-11-26");
        let ok = ReferralInput {
            kind: "psychiatry".into(),
            to: "Dr. Ode, outpatient psychiatry".into(),
            reason: "Medication review for persistent low mood".into(),
            urgency: String::new(),
            sent_on: "2026-11-20".into(),
        };
        let (kind, urgency, _, text) = ok.validated(today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (kind, urgency),
            (ReferralKind::Psychiatry, Urgency::Routine)
        );
        assert_eq!(text.history, vec![(Sent, None)]);
        let bad = ReferralInput {
            kind: "astrology".into(),
            sent_on: "2026-12-01".into(),
            ..Default::default()
        };
        let Err(Error::Validation(f)) = bad.validated(today) else {
            panic!("expected a validation error");
        };
        let mut fields: Vec<String> = f.into_iter().map(|f| f.field).collect();
        fields.sort();
        assert_eq!(fields, vec!["kind", "reason", "sent_on", "to"]);
    }
}
