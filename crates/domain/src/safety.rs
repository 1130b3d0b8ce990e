//! A client's safety plan: the short, personal list a client and clinician write together for a crisis (warning
//! signs, what helps, whom to call, how to make the surroundings safer, reasons for living), kept on hand in the
//! portal and read by whoever answers a crisis, the on-call clinician under emergency access included.
//!
//! The sections follow the common structure of collaborative safety planning (Stanley & Brown's intervention and
//! the crisis-line plans built on it) in our own words. A plan must name at least one person or service to
//! contact: a plan without anyone to call fails the one moment it exists for.

use crate::error::{Problems, Result};
use crate::validate;
use serde::{Deserialize, Serialize};

/// At most this many entries per section, and characters per entry: a plan must fit on one page.
pub const MAX_ITEMS: usize = 12;
pub const MAX_ITEM_CHARS: usize = 300;

/// The sections, in the order the plan is written and read: (key, heading).
pub const SECTIONS: [(&str, &str); 7] = [
    ("warning_signs", "Warning signs that a crisis may be coming"),
    ("coping", "Things I can do on my own to feel better"),
    (
        "distractions",
        "People and places that take my mind off things",
    ),
    ("supports", "People I can ask for help"),
    (
        "professionals",
        "Professionals and crisis services to contact",
    ),
    ("environment", "Making my surroundings safer"),
    ("reasons", "My reasons for living"),
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyPlan {
    #[serde(default)]
    pub warning_signs: Vec<String>,
    #[serde(default)]
    pub coping: Vec<String>,
    #[serde(default)]
    pub distractions: Vec<String>,
    #[serde(default)]
    pub supports: Vec<String>,
    #[serde(default)]
    pub professionals: Vec<String>,
    #[serde(default)]
    pub environment: Vec<String>,
    #[serde(default)]
    pub reasons: Vec<String>,
}

impl SafetyPlan {
    /// The sections as (key, heading, entries), in order.
    pub fn sections(&self) -> [(&'static str, &'static str, &Vec<String>); 7] {
        let lists = [
            &self.warning_signs,
            &self.coping,
            &self.distractions,
            &self.supports,
            &self.professionals,
            &self.environment,
            &self.reasons,
        ];
        let mut i = 0;
        lists.map(|l| {
            let (k, h) = SECTIONS[i];
            i += 1;
            (k, h, l)
        })
    }

    fn section_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        Some(match key {
            "warning_signs" => &mut self.warning_signs,
            "coping" => &mut self.coping,
            "distractions" => &mut self.distractions,
            "supports" => &mut self.supports,
            "professionals" => &mut self.professionals,
            "environment" => &mut self.environment,
            "reasons" => &mut self.reasons,
            _ => return None,
        })
    }

    /// A plan from one text per section, one entry per line (blank lines dropped), as the editor sends it.
    pub fn from_lines<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> SafetyPlan {
        let mut plan = SafetyPlan::default();
        for (key, text) in texts {
            if let Some(list) = plan.section_mut(key) {
                *list = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
            }
        }
        plan
    }

    /// Trims every entry, drops empty ones, and checks sizes and the one rule: someone to contact.
    pub fn validated(mut self) -> Result<SafetyPlan> {
        let mut p = Problems::new();
        for (key, _) in SECTIONS {
            let Some(list) = self.section_mut(key) else {
                continue;
            };
            list.retain(|e| !e.trim().is_empty());
            if list.len() > MAX_ITEMS {
                p.add(key, format!("at most {MAX_ITEMS} entries in a section"));
            }
            for e in list.iter_mut() {
                if let Some(clean) = p.take(validate::optional_line(key, e, MAX_ITEM_CHARS)) {
                    *e = clean.unwrap_or_default();
                }
            }
        }
        if self.supports.is_empty() && self.professionals.is_empty() {
            p.add(
                "supports",
                "name at least one person or service to contact in a crisis",
            );
        }
        p.finish()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => vec![other.to_string()],
        }
    }

    #[test]
    fn the_editor_sends_one_entry_per_line() {
        let plan = SafetyPlan::from_lines([
            ("warning_signs", "Not sleeping\n\n  Skipping meals  \n"),
            ("supports", "Sam (sister) 0170 1234567"),
            ("nonsense", "ignored"),
        ]);
        assert_eq!(plan.warning_signs, vec!["Not sleeping", "Skipping meals"]);
        assert_eq!(plan.supports.len(), 1);
        assert!(plan.validated().is_ok());
    }

    #[test]
    fn a_plan_names_someone_to_contact() {
        let plan = SafetyPlan {
            coping: vec!["Walk the dog".into()],
            ..Default::default()
        };
        assert_eq!(fields(plan.validated().unwrap_err()), vec!["supports"]);
        let plan = SafetyPlan {
            professionals: vec!["Crisis line 988".into()],
            ..Default::default()
        };
        assert!(plan.validated().is_ok());
    }

    #[test]
    fn sections_and_entries_have_a_size() {
        let plan = SafetyPlan {
            supports: vec!["x".into(); MAX_ITEMS + 1],
            coping: vec!["y".repeat(MAX_ITEM_CHARS + 1)],
            ..Default::default()
        };
        let mut got = fields(plan.validated().unwrap_err());
        got.sort();
        assert_eq!(got, vec!["coping", "supports"]);
    }

    #[test]
    fn sections_come_in_the_order_they_are_written() {
        let keys: Vec<&str> = SafetyPlan::default()
            .sections()
            .iter()
            .map(|(k, _, _)| *k)
            .collect();
        assert_eq!(keys, SECTIONS.map(|(k, _)| k));
    }
}
