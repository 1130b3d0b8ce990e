//! Roster periods: a client may belong to a group several times (leave, come back), each time for one period from
//! a join date to a leave date, the first day no longer a member. One client's periods in one group never overlap
//! and only the latest can be open, so "on the roster that day" has one answer and a rejoin never rewrites history.
//!
//! A leave date may not fall on or before a session whose attendance is already recorded for the member: that
//! session would drop out of their period, and with it out of their chart, while its signature still covers them.

use crate::error::{Error, Result};
use chrono::NaiveDate;
use serde::Serialize;

/// One period of membership; `left_on` is the first day no longer a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

impl Period {
    pub fn new(joined_on: NaiveDate, left_on: Option<NaiveDate>) -> Self {
        Period { joined_on, left_on }
    }

    /// A member on `day`.
    pub fn on(&self, day: NaiveDate) -> bool {
        super::on_roster(self.joined_on, self.left_on, day)
    }

    /// Holds one of the group's places from `day` on: not left, or leaving only after `day` (someone joining
    /// later holds their place already, so it cannot be given twice).
    pub fn holds_place(&self, day: NaiveDate) -> bool {
        self.left_on.is_none_or(|l| l > day)
    }
}

/// Whether any of one client's periods covers `day`.
pub fn member_on(periods: &[Period], day: NaiveDate) -> bool {
    periods.iter().any(|p| p.on(day))
}

/// Whether one client holds a place from `day` on (counts once against the capacity, however many periods).
pub fn holds_place(periods: &[Period], day: NaiveDate) -> bool {
    periods.iter().any(|p| p.holds_place(day))
}

/// The period that is still open, if any.
pub fn open(periods: &[Period]) -> Option<&Period> {
    periods.iter().find(|p| p.left_on.is_none())
}

/// Checks that a new, open period from `joined_on` can be added to a client's `periods`: nobody joins twice at
/// once (a conflict), and a new period starts on or after the day the client last left (it is open-ended, so it
/// would overlap every earlier period that ends later).
pub fn check_join(periods: &[Period], joined_on: NaiveDate) -> Result<()> {
    if let Some(p) = open(periods) {
        return Err(Error::Conflict(format!(
            "this client is on the roster already (since {})",
            p.joined_on
        )));
    }
    if let Some(last) = periods.iter().filter_map(|p| p.left_on).max()
        && joined_on < last
    {
        return Err(Error::invalid(
            "joined_on",
            format!(
                "this client was a member until {last} (their last leave date); a new period starts on or after it"
            ),
        ));
    }
    Ok(())
}

/// Checks a leave date for the client's open period and returns that period. `last_attended` is the latest
/// session date with attendance recorded for this client in this group.
pub fn check_leave(
    periods: &[Period],
    left_on: NaiveDate,
    last_attended: Option<NaiveDate>,
) -> Result<Period> {
    let Some(p) = open(periods).copied() else {
        return match periods.iter().filter_map(|p| p.left_on).max() {
            Some(l) => Err(Error::Conflict(format!("this member left on {l} already"))),
            None => Err(Error::NotFound),
        };
    };
    if left_on < p.joined_on {
        return Err(Error::invalid(
            "left_on",
            format!(
                "the leave date cannot be before the join date ({})",
                p.joined_on
            ),
        ));
    }
    if let Some(d) = last_attended.filter(|d| *d >= p.joined_on && *d >= left_on) {
        return Err(Error::invalid(
            "left_on",
            format!(
                "attendance is recorded for this member at the session on {d}; the leave date (their first day off the roster) must be after it"
            ),
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn closed(a: u32, b: u32) -> Period {
        Period::new(d(a), Some(d(b)))
    }

    #[test]
    fn a_member_is_on_the_roster_in_each_of_their_periods_and_not_between() {
        let ps = [closed(2, 9), Period::new(d(16), None)];
        assert!(member_on(&ps, d(2)));
        assert!(member_on(&ps, d(8)));
        assert!(!member_on(&ps, d(9)), "the leave date is the first day off");
        assert!(!member_on(&ps, d(15)));
        assert!(member_on(&ps, d(16)));
        assert!(member_on(&ps, d(30)));
        assert!(!member_on(&ps, d(1)));
    }

    #[test]
    fn someone_who_left_can_rejoin_from_their_leave_date_on() {
        let ps = [closed(2, 9)];
        assert!(check_join(&ps, d(9)).is_ok(), "back the day they left");
        assert!(check_join(&ps, d(20)).is_ok());
        let Err(Error::Validation(e)) = check_join(&ps, d(5)) else {
            panic!("a period starting inside an earlier one is refused")
        };
        assert_eq!(e[0].field, "joined_on");
        // Before the earlier period too: an open period from then would cover it.
        assert!(check_join(&ps, d(1)).is_err());
        assert!(check_join(&[], d(1)).is_ok());
    }

    #[test]
    fn a_current_member_cannot_join_again() {
        let ps = [closed(2, 9), Period::new(d(10), None)];
        assert!(matches!(check_join(&ps, d(20)), Err(Error::Conflict(_))));
        // Joining later than today is still being on the roster already.
        let future = [Period::new(d(28), None)];
        assert!(matches!(check_join(&future, d(1)), Err(Error::Conflict(_))));
    }

    #[test]
    fn leaving_closes_the_open_period_only() {
        let ps = [closed(2, 9), Period::new(d(16), None)];
        assert_eq!(check_leave(&ps, d(20), None).unwrap().joined_on, d(16));
        let Err(Error::Validation(e)) = check_leave(&ps, d(12), None) else {
            panic!("a leave date before the open period's join date is refused")
        };
        assert_eq!(e[0].field, "left_on");
        assert!(matches!(
            check_leave(&[closed(2, 9)], d(20), None),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            check_leave(&[], d(20), None),
            Err(Error::NotFound)
        ));
    }

    #[test]
    fn a_leave_date_keeps_recorded_attendance_inside_the_period() {
        let ps = [Period::new(d(2), None)];
        let Err(Error::Validation(e)) = check_leave(&ps, d(10), Some(d(10))) else {
            panic!("leaving on the day of an attended session drops it from the period")
        };
        assert_eq!(e[0].field, "left_on");
        assert!(check_leave(&ps, d(11), Some(d(10))).is_ok());
        // Attendance from an earlier period does not bind the open one.
        let again = [closed(1, 3), Period::new(d(20), None)];
        assert!(check_leave(&again, d(21), Some(d(2))).is_ok());
    }

    #[test]
    fn a_client_takes_one_place_however_many_periods() {
        let ps = [closed(2, 9), Period::new(d(16), None)];
        assert!(holds_place(&ps, d(1)));
        assert!(
            holds_place(&ps, d(12)),
            "back on the 16th: the place is theirs"
        );
        assert!(!holds_place(&[closed(2, 9)], d(9)));
        assert!(holds_place(&[closed(2, 9)], d(8)));
    }
}
