//! Starting templates for common programmes (bereavement, anger management, substance use and relapse
//! prevention, depression, anxiety), one JSON file each in `plan_templates/`. A template is a starting point the
//! clinician edits with the client: baselines are left blank on purpose, since only this client can supply them.

use crate::plans::model::{PlanContent, Problem};
use crate::{Error, Result};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTemplate {
    pub key: String,
    pub label: String,
    pub summary: String,
    /// The published guidance the template follows.
    pub sources: Vec<String>,
    pub problems: Vec<Problem>,
}

const FILES: &[(&str, &str)] = &[
    (
        "bereavement",
        include_str!("../../plan_templates/bereavement.json"),
    ),
    (
        "anger_management",
        include_str!("../../plan_templates/anger_management.json"),
    ),
    (
        "substance_use",
        include_str!("../../plan_templates/substance_use.json"),
    ),
    (
        "depression",
        include_str!("../../plan_templates/depression.json"),
    ),
    ("anxiety", include_str!("../../plan_templates/anxiety.json")),
];

/// Every plan template, checked: a broken file is an internal error naming it.
pub fn plan_templates() -> Result<Vec<PlanTemplate>> {
    FILES
        .iter()
        .map(|(key, json)| {
            let t: PlanTemplate = serde_json::from_str(json)
                .map_err(|e| Error::internal(format!("plan template {key}: {e}")))?;
            if t.key != *key {
                return Err(Error::internal(format!(
                    "plan template {key} names itself {}",
                    t.key
                )));
            }
            Ok(t)
        })
        .collect()
}

pub fn plan_template(key: &str) -> Result<PlanTemplate> {
    plan_templates()?
        .into_iter()
        .find(|t| t.key == key)
        .ok_or_else(|| Error::invalid("template", format!("there is no plan template '{key}'")))
}

impl PlanTemplate {
    /// The plan a client starts with on `start`: target dates from the template's weeks.
    pub fn instantiate(&self, start: NaiveDate) -> PlanContent {
        let mut p = PlanContent {
            problems: self.problems.clone(),
        };
        for o in p.objectives_mut() {
            if let Some(w) = o.target_weeks.take() {
                o.target_date = start.checked_add_days(Days::new(u64::from(w) * 7));
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads_and_makes_a_valid_draft() {
        let all = plan_templates().unwrap();
        assert_eq!(all.len(), 5);
        let start = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        for t in all {
            let p = t
                .instantiate(start)
                .validated(false)
                .unwrap_or_else(|e| panic!("{}: {e:?}", t.key));
            assert!(
                p.objectives()
                    .all(|o| o.target.is_some() && o.target_date.is_some()),
                "{}",
                t.key
            );
            assert!(
                p.objectives().all(|o| o.baseline.is_none()),
                "{}: baselines are the client's",
                t.key
            );
            assert!(
                p.objectives().all(|o| !o.interventions.is_empty()),
                "{}",
                t.key
            );
        }
    }

    #[test]
    fn instruments_named_by_templates_exist() {
        for t in plan_templates().unwrap() {
            for o in t
                .instantiate(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap())
                .objectives()
            {
                if let Some(i) = &o.instrument {
                    assert!(
                        crate::measures::instrument(i).is_ok(),
                        "{}: unknown instrument {i}",
                        t.key
                    );
                }
            }
        }
    }

    #[test]
    fn target_dates_count_weeks_from_the_start() {
        let t = plan_template("depression").unwrap();
        let start = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let p = t.instantiate(start);
        let first = p.objectives().next().unwrap();
        assert_eq!(first.target_date, NaiveDate::from_ymd_opt(2027, 3, 29));
    }

    #[test]
    fn an_unknown_template_is_a_clear_error() {
        assert!(matches!(
            plan_template("astrology"),
            Err(Error::Validation(_))
        ));
    }
}
