//! Relationship units (couples, families) and therapy groups: kinds as fixed vocabularies, the bounds of a group
//! (capacity, facilitators), roster dates and attendance. `roster` holds the periods of membership (a member may
//! leave and rejoin); `names` finds members named in a text (the shared note must name no one); `talk` turns "now
//! speaking" clicks into each member's share of talk time.

pub mod names;
pub mod roster;
pub mod talk;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Couple,
    Family,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Couple => "couple",
            UnitKind::Family => "family",
        }
    }

    /// The word staff read on a page.
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::Couple => "Couple",
            UnitKind::Family => "Family",
        }
    }

    /// The role a member has when none is given.
    pub fn default_role(self) -> &'static str {
        match self {
            UnitKind::Couple => "partner",
            UnitKind::Family => "member",
        }
    }

    /// How many current members the unit needs: a couple exactly two, a family at least two.
    pub fn check_size(self, members: usize) -> Result<()> {
        match self {
            UnitKind::Couple if members != 2 => {
                Err(Error::invalid("members", "a couple has two members"))
            }
            UnitKind::Family if members < 2 => Err(Error::invalid(
                "members",
                "a family unit has at least two members",
            )),
            _ => Ok(()),
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "couple" => Ok(UnitKind::Couple),
            "family" => Ok(UnitKind::Family),
            _ => Err(Error::invalid("kind", "use couple or family")),
        }
    }
}

/// Group types as clinicians name them: process groups, psycho-education (e.g. anger management), skills
/// (e.g. DBT skills), support (e.g. bereavement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Process,
    Psychoeducation,
    Skills,
    Support,
}

impl GroupKind {
    pub const ALL: [GroupKind; 4] = [
        GroupKind::Process,
        GroupKind::Psychoeducation,
        GroupKind::Skills,
        GroupKind::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Process => "process",
            GroupKind::Psychoeducation => "psychoeducation",
            GroupKind::Skills => "skills",
            GroupKind::Support => "support",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Process => "Process",
            GroupKind::Psychoeducation => "Psycho-education",
            GroupKind::Skills => "Skills",
            GroupKind::Support => "Support",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                Error::invalid("kind", "use process, psychoeducation, skills or support")
            })
    }
}

/// At most two facilitators lead one group (a lead and a co-facilitator).
pub const MAX_FACILITATORS: usize = 2;
/// Capacity bounds. Groups run from a handful of members to large psycho-education courses; there is no small
/// hard cap, only a ceiling that catches typing mistakes.
pub const MIN_CAPACITY: i32 = 2;
pub const MAX_CAPACITY: i32 = 200;

pub fn name(raw: &str) -> Result<String> {
    crate::validate::required_line("name", raw, 120)
}

pub fn capacity(n: i32) -> Result<i32> {
    if (MIN_CAPACITY..=MAX_CAPACITY).contains(&n) {
        Ok(n)
    } else {
        Err(Error::invalid(
            "capacity",
            format!("a group holds between {MIN_CAPACITY} and {MAX_CAPACITY} members"),
        ))
    }
}

/// One or two distinct facilitators.
pub fn facilitators(ids: &[crate::UserId]) -> Result<Vec<crate::UserId>> {
    let mut out: Vec<crate::UserId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "facilitator_ids",
            "a group needs a facilitator",
        ));
    }
    if out.len() > MAX_FACILITATORS {
        return Err(Error::invalid(
            "facilitator_ids",
            format!(
                "a group has at most {MAX_FACILITATORS} facilitators; {} were given",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Whether someone who joined on `joined` and left on `left` (if ever) is on the roster on `day`. The leave date
/// is the first day they are no longer a member.
pub fn on_roster(
    joined: chrono::NaiveDate,
    left: Option<chrono::NaiveDate>,
    day: chrono::NaiveDate,
) -> bool {
    joined <= day && left.is_none_or(|l| l > day)
}

/// A member's attendance at one group session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Present,
    Absent,
    Excused,
    Late,
}

impl Attendance {
    pub const ALL: [Attendance; 4] = [
        Attendance::Present,
        Attendance::Late,
        Attendance::Absent,
        Attendance::Excused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Present => "present",
            Attendance::Absent => "absent",
            Attendance::Excused => "excused",
            Attendance::Late => "late",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Attendance::Present => "Present",
            Attendance::Absent => "Absent",
            Attendance::Excused => "Excused",
            Attendance::Late => "Late",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw.trim())
            .ok_or_else(|| Error::invalid(field, "use present, late, absent or excused"))
    }

    /// Present or late: the member took part, may speak and may have an individual note.
    pub fn attended(self) -> bool {
        matches!(self, Attendance::Present | Attendance::Late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;
    use chrono::NaiveDate;

    #[test]
    fn capacity_allows_large_groups_but_not_absurd_ones() {
        assert!(capacity(30).is_ok());
        assert!(capacity(200).is_ok());
        assert!(capacity(1).is_err());
        assert!(capacity(201).is_err());
    }

    #[test]
    fn a_group_has_one_or_two_facilitators() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        assert_eq!(facilitators(&[a, a]).unwrap(), vec![a]);
        assert_eq!(facilitators(&[a, b]).unwrap(), vec![a, b]);
        assert!(facilitators(&[]).is_err());
        let Err(Error::Validation(e)) = facilitators(&[a, b, c]) else {
            panic!("a third facilitator is refused")
        };
        assert_eq!(e[0].field, "facilitator_ids");
    }

    #[test]
    fn the_leave_date_is_the_first_day_off_the_roster() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert!(!on_roster(d(2), None, d(1)));
        assert!(on_roster(d(2), None, d(2)));
        assert!(on_roster(d(2), Some(d(9)), d(8)));
        assert!(!on_roster(d(2), Some(d(9)), d(9)));
    }

    #[test]
    fn attendance_names_round_trip_and_late_counts_as_attended() {
        for a in Attendance::ALL {
            assert_eq!(Attendance::parse("s", a.as_str()).unwrap(), a);
        }
        assert!(Attendance::Late.attended());
        assert!(!Attendance::Excused.attended());
        assert!(Attendance::parse("s", "maybe").is_err());
    }
}
