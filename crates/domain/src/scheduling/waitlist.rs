//! Waitlist matching: when a session is cancelled, which waiting clients fit the freed time, best first.

use super::Interval;
use crate::ids::UserId;
use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What a waiting client can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    pub type_key: String,
    /// A particular clinician, or anyone.
    pub clinician: Option<UserId>,
    /// "in_person" or "telehealth", or either.
    pub mode: Option<String>,
    /// Days that suit the client (in their zone); empty means any day.
    pub days: Vec<Weekday>,
    /// A window of the day that suits (in their zone); `None` means any time.
    pub earliest: Option<NaiveTime>,
    pub latest: Option<NaiveTime>,
    pub time_zone: Tz,
    /// Higher goes first (clinical urgency, set by staff).
    pub priority: i32,
    pub since: DateTime<Utc>,
}

/// A session time that has just become free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreedSlot {
    pub type_key: String,
    pub clinician: UserId,
    pub mode: String,
    pub session: Interval,
}

pub fn matches(p: &Preference, s: &FreedSlot) -> bool {
    let start = s.session.start.with_timezone(&p.time_zone);
    let end = s.session.end.with_timezone(&p.time_zone);
    p.type_key == s.type_key
        && p.clinician.is_none_or(|c| c == s.clinician)
        && p.mode.as_deref().is_none_or(|m| m == s.mode)
        && (p.days.is_empty() || p.days.contains(&start.weekday()))
        && p.earliest.is_none_or(|e| start.time() >= e)
        && p.latest
            .is_none_or(|l| end.time() <= l && end.date_naive() == start.date_naive())
}

/// The indices of the preferences that fit, most urgent first, then longest waiting.
pub fn rank(prefs: &[Preference], s: &FreedSlot) -> Vec<usize> {
    let mut fit: Vec<usize> = (0..prefs.len())
        .filter(|i| matches(&prefs[*i], s))
        .collect();
    fit.sort_by(|a, b| {
        prefs[*b]
            .priority
            .cmp(&prefs[*a].priority)
            .then(prefs[*a].since.cmp(&prefs[*b].since))
    });
    fit
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn pref(
        priority: i32,
        days: Vec<Weekday>,
        window: Option<(u32, u32)>,
        since_days: i64,
    ) -> Preference {
        Preference {
            type_key: "individual".into(),
            clinician: None,
            mode: None,
            days,
            earliest: window.map(|(a, _)| NaiveTime::from_hms_opt(a, 0, 0).unwrap_or_default()),
            latest: window.map(|(_, b)| NaiveTime::from_hms_opt(b, 0, 0).unwrap_or_default()),
            time_zone: chrono_tz::Europe::Berlin,
            priority,
            since: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(since_days),
        }
    }

    fn slot() -> FreedSlot {
        // Tuesday 1 December 2026, 10:00-10:53 Berlin (09:00 UTC).
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        FreedSlot {
            type_key: "individual".into(),
            clinician: UserId::default(),
            mode: "in_person".into(),
            session: Interval::from_duration(start, Duration::minutes(53)),
        }
    }

    #[test]
    fn days_and_hours_are_read_in_the_clients_zone() {
        assert!(matches(
            &pref(0, vec![Weekday::Tue], Some((9, 12)), 0),
            &slot()
        ));
        assert!(!matches(&pref(0, vec![Weekday::Wed], None, 0), &slot()));
        assert!(
            !matches(&pref(0, vec![], Some((11, 18)), 0), &slot()),
            "10:00 local is before 11:00"
        );
        let mut ny = pref(0, vec![], Some((4, 5)), 0);
        ny.time_zone = chrono_tz::America::New_York;
        assert!(matches(&ny, &slot()), "04:00 in New York");
    }

    #[test]
    fn urgent_first_then_longest_waiting() {
        let prefs = vec![
            pref(0, vec![], None, 5),
            pref(2, vec![], None, 9),
            pref(0, vec![], None, 1),
            pref(1, vec![Weekday::Fri], None, 0),
        ];
        assert_eq!(rank(&prefs, &slot()), vec![1, 2, 0]);
    }

    #[test]
    fn type_clinician_and_mode_must_fit() {
        let mut p = pref(0, vec![], None, 0);
        p.clinician = Some(UserId::new());
        assert!(!matches(&p, &slot()));
        let mut p = pref(0, vec![], None, 0);
        p.mode = Some("telehealth".into());
        assert!(!matches(&p, &slot()));
        let mut p = pref(0, vec![], None, 0);
        p.type_key = "couple".into();
        assert!(!matches(&p, &slot()));
    }
}
