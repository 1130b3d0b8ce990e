//! Clinician profiles: the vocabularies used for matching (specialisations, age groups, modalities) and weekly
//! working hours, which are wall-clock times in the clinician's own time zone.

use crate::error::{Error, Result};
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

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
}

/// Validates and sorts weekly working hours: each block ends after it starts, and blocks do not overlap.
pub fn working_hours(mut blocks: Vec<WorkingBlock>) -> Result<Vec<WorkingBlock>> {
    for b in &blocks {
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
            WorkingBlock {
                weekday: Weekday::Mon,
                start: t(9, 0),
                end: t(12, 0),
            },
            WorkingBlock {
                weekday: Weekday::Mon,
                start: t(11, 0),
                end: t(15, 0),
            },
        ];
        assert!(working_hours(b).is_err());
    }

    #[test]
    fn blocks_are_sorted_by_day_then_time() {
        let b = vec![
            WorkingBlock {
                weekday: Weekday::Tue,
                start: t(9, 0),
                end: t(12, 0),
            },
            WorkingBlock {
                weekday: Weekday::Mon,
                start: t(13, 0),
                end: t(17, 0),
            },
            WorkingBlock {
                weekday: Weekday::Mon,
                start: t(8, 0),
                end: t(12, 0),
            },
        ];
        let sorted = working_hours(b).unwrap_or_default();
        assert_eq!(sorted[0].start, t(8, 0));
        assert_eq!(sorted[2].weekday, Weekday::Tue);
    }

    #[test]
    fn a_block_must_end_after_it_starts() {
        let b = vec![WorkingBlock {
            weekday: Weekday::Fri,
            start: t(12, 0),
            end: t(12, 0),
        }];
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
