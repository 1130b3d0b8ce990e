//! Clinician profiles: the vocabularies used for matching (specialisations, age groups, modalities) and weekly
//! working hours, which are wall-clock times in the clinician's own time zone. A block of hours may be kept for
//! one mode (telehealth from home on Fridays) or for in-person sessions at one location (the north clinic on
//! Tuesdays); a block with neither takes any session.

use crate::error::{Error, Result};
use crate::scheduling::appointment::Mode;
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Topics a clinician may specialise in. Kept as a fixed vocabulary so that matching compares like with like.
pub const SPECIALISATIONS: &[&str] = &[
    "addiction",
    "anger",
    "anxiety",
    "couples",
    "depression",
    "eating_disorders",
    "family",
    "grief",
    "lgbtq",
    "ocd",
    "personality_disorders",
    "psychosis",
    "self_harm",
    "sexual_health",
    "sleep",
    "trauma",
];

pub const AGE_GROUPS: &[&str] = &["children", "adolescents", "adults", "older_adults"];

pub const MODALITIES: &[&str] = &[
    "act",
    "cbt",
    "dbt",
    "emdr",
    "emotionally_focused",
    "family_systems",
    "gottman",
    "humanistic",
    "motivational_interviewing",
    "play_therapy",
    "psychodynamic",
    "schema",
    "solution_focused",
];

/// Checks each entry of a list against its vocabulary, and removes duplicates.
pub fn vocabulary_list(field: &str, values: &[String], allowed: &[&str]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim().to_lowercase();
        if !allowed.contains(&v.as_str()) {
            return Err(Error::invalid(
                field,
                format!("'{v}' is not one of: {}", allowed.join(", ")),
            ));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// Languages as BCP 47 primary tags ("en", "es", "de"); we check shape, not the registry.
pub fn languages(values: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim().to_lowercase();
        let ok = (2..=3).contains(&v.len()) && v.chars().all(|c| c.is_ascii_lowercase());
        if !ok {
            return Err(Error::invalid(
                "languages",
                format!("'{v}' is not a language code such as en, es or de"),
            ));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// One block of working time on a weekday, in the clinician's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingBlock {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// Only sessions of this mode; none: either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// In-person sessions only at this location; none: any location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<Uuid>,
}

impl WorkingBlock {
    /// A block of any mode at any location.
    pub fn anywhere(weekday: Weekday, start: NaiveTime, end: NaiveTime) -> WorkingBlock {
        WorkingBlock {
            weekday,
            start,
            end,
            mode: None,
            location_id: None,
        }
    }

    /// Whether a session of `mode` (none: not yet known) at `location` (the room's; none: no room) may fall in
    /// this block. A telehealth session needs no location; an in-person one without a room fits any location.
    pub fn allows(&self, mode: Option<Mode>, location: Option<Uuid>) -> bool {
        let Some(mode) = mode else { return true };
        if self.mode.is_some_and(|m| m != mode) {
            return false;
        }
        mode == Mode::Telehealth
            || match (self.location_id, location) {
                (Some(here), Some(there)) => here == there,
                _ => true,
            }
    }
}

/// The blocks a session of `mode` at `location` may use.
pub fn blocks_for(
    blocks: &[WorkingBlock],
    mode: Option<Mode>,
    location: Option<Uuid>,
) -> Vec<WorkingBlock> {
    blocks
        .iter()
        .filter(|b| b.allows(mode, location))
        .copied()
        .collect()
}

/// Validates and sorts weekly working hours: each block ends after it starts, and blocks do not overlap.
/// Places are checked too: a telehealth block has no location. Blocks at different places may not overlap either:
/// nobody is in two places at once.
pub fn working_hours(mut blocks: Vec<WorkingBlock>) -> Result<Vec<WorkingBlock>> {
    for b in &blocks {
        if b.mode == Some(Mode::Telehealth) && b.location_id.is_some() {
            return Err(Error::invalid(
                "weekly_hours",
                format!(
                    "on {} the telehealth block from {} cannot also be at a location",
                    b.weekday,
                    b.start.format("%H:%M")
                ),
            ));
        }
        if b.end <= b.start {
            return Err(Error::invalid(
                "weekly_hours",
                format!(
                    "on {} the block ending {} must end after it starts ({})",
                    b.weekday,
                    b.end.format("%H:%M"),
                    b.start.format("%H:%M")
                ),
            ));
        }
    }
    blocks.sort_by_key(|b| (b.weekday.num_days_from_monday(), b.start));
    for pair in blocks.windows(2) {
        if pair[0].weekday == pair[1].weekday && pair[1].start < pair[0].end {
            return Err(Error::invalid(
                "weekly_hours",
                format!(
                    "on {} two blocks overlap ({}–{} and {}–{})",
                    pair[0].weekday,
                    pair[0].start.format("%H:%M"),
                    pair[0].end.format("%H:%M"),
                    pair[1].start.format("%H:%M"),
                    pair[1].end.format("%H:%M")
                ),
            ));
        }
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    #[test]
    fn overlapping_blocks_are_refused() {
        let b = vec![
            WorkingBlock::anywhere(Weekday::Mon, t(9, 0), t(12, 0)),
            WorkingBlock::anywhere(Weekday::Mon, t(11, 0), t(15, 0)),
        ];
        assert!(working_hours(b).is_err());
    }

    #[test]
    fn blocks_are_sorted_by_day_then_time() {
        let b = vec![
            WorkingBlock::anywhere(Weekday::Tue, t(9, 0), t(12, 0)),
            WorkingBlock::anywhere(Weekday::Mon, t(13, 0), t(17, 0)),
            WorkingBlock::anywhere(Weekday::Mon, t(8, 0), t(12, 0)),
        ];
        let sorted = working_hours(b).unwrap_or_default();
        assert_eq!(sorted[0].start, t(8, 0));
        assert_eq!(sorted[2].weekday, Weekday::Tue);
    }

    #[test]
    fn a_block_kept_for_one_place_takes_only_sessions_there() {
        let north = Uuid::from_u128(1);
        let south = Uuid::from_u128(2);
        let clinic = WorkingBlock {
            location_id: Some(north),
            mode: Some(Mode::InPerson),
            ..WorkingBlock::anywhere(Weekday::Tue, t(9, 0), t(17, 0))
        };
        assert!(clinic.allows(Some(Mode::InPerson), Some(north)));
        assert!(
            clinic.allows(Some(Mode::InPerson), None),
            "no room chosen yet"
        );
        assert!(!clinic.allows(Some(Mode::InPerson), Some(south)));
        assert!(!clinic.allows(Some(Mode::Telehealth), None));
        assert!(
            clinic.allows(None, None),
            "a search for any mode sees every block"
        );
        let home = WorkingBlock {
            mode: Some(Mode::Telehealth),
            ..WorkingBlock::anywhere(Weekday::Fri, t(9, 0), t(12, 0))
        };
        assert!(home.allows(Some(Mode::Telehealth), None));
        assert!(!home.allows(Some(Mode::InPerson), Some(north)));
        let any = WorkingBlock::anywhere(Weekday::Mon, t(9, 0), t(12, 0));
        assert!(
            any.allows(Some(Mode::InPerson), Some(south))
                && any.allows(Some(Mode::Telehealth), None)
        );
        assert_eq!(
            blocks_for(&[clinic, home, any], Some(Mode::Telehealth), None),
            vec![home, any]
        );
    }

    #[test]
    fn a_telehealth_block_has_no_location_and_places_never_overlap() {
        let b = vec![WorkingBlock {
            mode: Some(Mode::Telehealth),
            location_id: Some(Uuid::from_u128(1)),
            ..WorkingBlock::anywhere(Weekday::Fri, t(9, 0), t(12, 0))
        }];
        assert!(working_hours(b).is_err());
        let b = vec![
            WorkingBlock {
                mode: Some(Mode::Telehealth),
                ..WorkingBlock::anywhere(Weekday::Fri, t(9, 0), t(12, 0))
            },
            WorkingBlock {
                location_id: Some(Uuid::from_u128(1)),
                ..WorkingBlock::anywhere(Weekday::Fri, t(11, 0), t(15, 0))
            },
        ];
        assert!(working_hours(b).is_err());
    }

    #[test]
    fn blocks_saved_before_places_existed_read_as_anywhere() {
        let b: WorkingBlock =
            serde_json::from_str(r#"{"weekday":"Mon","start":"09:00:00","end":"12:00:00"}"#)
                .unwrap_or_else(|_| WorkingBlock::anywhere(Weekday::Sun, t(0, 0), t(0, 1)));
        assert_eq!(b, WorkingBlock::anywhere(Weekday::Mon, t(9, 0), t(12, 0)));
        assert_eq!(
            serde_json::to_string(&b).unwrap_or_default(),
            r#"{"weekday":"Mon","start":"09:00:00","end":"12:00:00"}"#
        );
    }

    #[test]
    fn a_block_must_end_after_it_starts() {
        let b = vec![WorkingBlock::anywhere(Weekday::Fri, t(12, 0), t(12, 0))];
        assert!(working_hours(b).is_err());
    }

    #[test]
    fn vocabularies_are_checked() {
        assert!(
            vocabulary_list(
                "specialisations",
                &["grief".into(), "Grief".into()],
                SPECIALISATIONS
            )
            .map(|v| v.len())
            .ok()
                == Some(1)
        );
        assert!(
            vocabulary_list("specialisations", &["astrology".into()], SPECIALISATIONS).is_err()
        );
        assert!(languages(&["en".into(), "es".into()]).is_ok());
        assert!(languages(&["english".into()]).is_err());
    }
}
