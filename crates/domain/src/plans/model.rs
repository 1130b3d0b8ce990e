//! The plan's shape and its validation. Field paths in errors follow the JSON (`problems[0].goals[1]…`) so an
//! editor can point at the exact box.

use super::ids::PlanIds;
use crate::error::Problems;
use crate::{Error, Result, validate};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

const STATEMENT_MAX: usize = 1_000;
const SHORT_MAX: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Being written; baselines and dates may still be missing.
    Draft,
    /// In effect: every objective complete, reviewed periodically.
    Active,
    Closed,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Active => "active",
            PlanStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Draft => "Draft",
            PlanStatus::Active => "In effect",
            PlanStatus::Closed => "Closed",
        }
    }

    pub fn parse(raw: &str) -> Result<PlanStatus> {
        match raw {
            "draft" => Ok(PlanStatus::Draft),
            "active" => Ok(PlanStatus::Active),
            "closed" => Ok(PlanStatus::Closed),
            other => Err(Error::invalid(
                "status",
                format!("unknown plan status '{other}'; expected draft, active or closed"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveStatus {
    #[default]
    NotStarted,
    InProgress,
    Achieved,
    /// Replaced by a revised objective (kept for the history).
    Revised,
    Discontinued,
}

impl ObjectiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectiveStatus::NotStarted => "not_started",
            ObjectiveStatus::InProgress => "in_progress",
            ObjectiveStatus::Achieved => "achieved",
            ObjectiveStatus::Revised => "revised",
            ObjectiveStatus::Discontinued => "discontinued",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ObjectiveStatus::NotStarted => "Not started",
            ObjectiveStatus::InProgress => "In progress",
            ObjectiveStatus::Achieved => "Achieved",
            ObjectiveStatus::Revised => "Revised",
            ObjectiveStatus::Discontinued => "Discontinued",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intervention {
    /// e.g. "Cognitive behavioural therapy", "Motivational interviewing".
    pub modality: String,
    /// e.g. "weekly, 50 minutes".
    pub frequency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    #[serde(default)]
    pub id: String,
    pub statement: String,
    /// What is counted or scored, with its unit: "PHQ-9 total", "anger outbursts per week".
    pub measure: String,
    /// The questionnaire that measures it, when one does (an instrument id such as `phq9`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
    #[serde(default)]
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    #[serde(default)]
    pub target_date: Option<NaiveDate>,
    /// In a template: the target date as weeks from the plan's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_weeks: Option<u32>,
    /// The latest value recorded at a review.
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub status: ObjectiveStatus,
    #[serde(default)]
    pub interventions: Vec<Intervention>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    #[serde(default)]
    pub id: String,
    pub statement: String,
    #[serde(default)]
    pub objectives: Vec<Objective>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    #[serde(default)]
    pub id: String,
    pub statement: String,
    #[serde(default)]
    pub goals: Vec<Goal>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanContent {
    pub problems: Vec<Problem>,
}

fn text(p: &mut Problems, field: &str, raw: &str, max: usize) -> String {
    p.take(validate::required_line(field, raw, max))
        .unwrap_or_default()
}

fn finite(p: &mut Problems, field: &str, v: Option<f64>) -> Option<f64> {
    match v {
        Some(x) if !x.is_finite() => {
            p.add(field, "must be a number");
            None
        }
        other => other,
    }
}

impl PlanContent {
    /// Checks a new plan and gives every element its id (`p1`, `p1.g2`, `p1.g2.o1`); ids it came with are not
    /// the plan's yet, so they are replaced. With `in_effect`, every objective also needs its baseline and target
    /// date.
    pub fn validated(self, in_effect: bool) -> Result<PlanContent> {
        self.revised(&PlanIds::default(), in_effect)
    }

    /// Checks a new revision of a plan whose ids are `ids`: an element that comes with an id the plan has for its
    /// kind keeps it, a new element gets an id the plan never used (`ids`).
    pub fn revised(mut self, ids: &PlanIds, in_effect: bool) -> Result<PlanContent> {
        let mut p = Problems::new();
        super::ids::assign(&mut self, ids, &mut p);
        if self.problems.is_empty() {
            p.add("problems", "a plan needs at least one problem");
        }
        for (i, pr) in self.problems.iter_mut().enumerate() {
            let at = format!("problems[{i}]");
            pr.statement = text(
                &mut p,
                &format!("{at}.statement"),
                &pr.statement,
                STATEMENT_MAX,
            );
            if pr.goals.is_empty() {
                p.add(
                    &format!("{at}.goals"),
                    "each problem needs at least one goal",
                );
            }
            for (j, g) in pr.goals.iter_mut().enumerate() {
                let at = format!("{at}.goals[{j}]");
                g.statement = text(
                    &mut p,
                    &format!("{at}.statement"),
                    &g.statement,
                    STATEMENT_MAX,
                );
                if g.objectives.is_empty() {
                    p.add(
                        &format!("{at}.objectives"),
                        "each goal needs at least one measurable objective",
                    );
                }
                for (k, o) in g.objectives.iter_mut().enumerate() {
                    let at = format!("{at}.objectives[{k}]");
                    o.statement = text(
                        &mut p,
                        &format!("{at}.statement"),
                        &o.statement,
                        STATEMENT_MAX,
                    );
                    o.measure = text(&mut p, &format!("{at}.measure"), &o.measure, SHORT_MAX);
                    o.baseline = finite(&mut p, &format!("{at}.baseline"), o.baseline);
                    o.current = finite(&mut p, &format!("{at}.current"), o.current);
                    match finite(&mut p, &format!("{at}.target"), o.target) {
                        None if o.target.is_none() => p.add(
                            &format!("{at}.target"),
                            "an objective needs a measurable target (a number, such as 9 for \"PHQ-9 below 10\")",
                        ),
                        Some(t) if o.baseline == Some(t) => p.add(
                            &format!("{at}.target"),
                            "the target equals the baseline; there is nothing to reach",
                        ),
                        _ => {}
                    }
                    if let Some(d) = o.target_date {
                        p.take(crate::dates::in_range(&format!("{at}.target_date"), d));
                    }
                    if in_effect {
                        if o.baseline.is_none() {
                            p.add(
                                &format!("{at}.baseline"),
                                "record the baseline before the plan takes effect",
                            );
                        }
                        if o.target_date.is_none() {
                            p.add(
                                &format!("{at}.target_date"),
                                "set a target date before the plan takes effect",
                            );
                        }
                    }
                    for (m, iv) in o.interventions.iter_mut().enumerate() {
                        let at = format!("{at}.interventions[{m}]");
                        iv.modality =
                            text(&mut p, &format!("{at}.modality"), &iv.modality, SHORT_MAX);
                        iv.frequency =
                            text(&mut p, &format!("{at}.frequency"), &iv.frequency, SHORT_MAX);
                    }
                    if in_effect && o.interventions.is_empty() {
                        p.add(
                            &format!("{at}.interventions"),
                            "name at least one intervention for this objective",
                        );
                    }
                    o.target_weeks = None;
                }
            }
        }
        p.finish()?;
        Ok(self)
    }

    pub fn objectives(&self) -> impl Iterator<Item = &Objective> {
        self.problems
            .iter()
            .flat_map(|p| p.goals.iter())
            .flat_map(|g| g.objectives.iter())
    }

    pub fn objectives_mut(&mut self) -> impl Iterator<Item = &mut Objective> {
        self.problems
            .iter_mut()
            .flat_map(|p| p.goals.iter_mut())
            .flat_map(|g| g.objectives.iter_mut())
    }
}

/// How far the latest value has moved from the baseline toward the target, from 0 (no change or worse) to 1
/// (target reached or passed), in whichever direction the target lies.
pub fn progress(o: &Objective) -> Option<f64> {
    let (b, t, c) = (o.baseline?, o.target?, o.current?);
    if (t - b).abs() < f64::EPSILON {
        return None;
    }
    Some(((c - b) / (t - b)).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn objective(target: Option<f64>) -> Objective {
        Objective {
            id: String::new(),
            statement: "Fewer anger outbursts".into(),
            measure: "outbursts per week".into(),
            instrument: None,
            baseline: Some(6.0),
            target,
            target_date: NaiveDate::from_ymd_opt(2027, 3, 1),
            target_weeks: None,
            current: None,
            status: ObjectiveStatus::NotStarted,
            interventions: vec![Intervention {
                modality: "CBT for anger".into(),
                frequency: "weekly".into(),
            }],
        }
    }

    fn plan(o: Objective) -> PlanContent {
        PlanContent {
            problems: vec![Problem {
                id: String::new(),
                statement: "Anger outbursts at home and work".into(),
                goals: vec![Goal {
                    id: String::new(),
                    statement: "Respond to anger without aggression".into(),
                    objectives: vec![o],
                }],
            }],
        }
    }

    fn fields(r: Result<PlanContent>) -> Vec<String> {
        match r {
            Err(Error::Validation(e)) => e.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn an_objective_without_a_target_is_refused_even_in_a_draft() {
        assert_eq!(
            fields(plan(objective(None)).validated(false)),
            ["problems[0].goals[0].objectives[0].target"]
        );
    }

    #[test]
    fn a_plan_in_effect_needs_baselines_dates_and_interventions() {
        let mut o = objective(Some(1.0));
        o.baseline = None;
        o.target_date = None;
        o.interventions.clear();
        assert!(plan(o.clone()).validated(false).is_ok());
        assert_eq!(
            fields(plan(o).validated(true)),
            [
                "problems[0].goals[0].objectives[0].baseline",
                "problems[0].goals[0].objectives[0].target_date",
                "problems[0].goals[0].objectives[0].interventions",
            ]
        );
    }

    #[test]
    fn a_target_date_keeps_to_the_range_of_dates() {
        let mut o = objective(Some(1.0));
        o.target_date = NaiveDate::from_ymd_opt(9999, 12, 31);
        assert_eq!(
            fields(plan(o).validated(false)),
            ["problems[0].goals[0].objectives[0].target_date"]
        );
    }

    #[test]
    fn ids_follow_the_tree() {
        let p = plan(objective(Some(1.0))).validated(true).unwrap();
        assert_eq!(p.problems[0].id, "p1");
        assert_eq!(p.problems[0].goals[0].id, "p1.g1");
        assert_eq!(p.problems[0].goals[0].objectives[0].id, "p1.g1.o1");
    }

    fn named(statement: &str) -> Objective {
        let mut o = objective(Some(1.0));
        o.statement = statement.into();
        o
    }

    fn statements(c: &PlanContent) -> Vec<(String, String)> {
        c.objectives()
            .map(|o| (o.id.clone(), o.statement.clone()))
            .collect()
    }

    #[test]
    fn an_objective_inserted_before_others_leaves_their_ids_alone() {
        let mut p = plan(named("A"));
        p.problems[0].goals[0].objectives.push(named("B"));
        let v1 = p.validated(false).unwrap();
        assert_eq!(
            statements(&v1),
            [
                ("p1.g1.o1".into(), "A".into()),
                ("p1.g1.o2".into(), "B".into())
            ]
        );
        let mut edit = v1.clone();
        edit.problems[0].goals[0].objectives.insert(0, named("NEW"));
        let v2 = edit.revised(&PlanIds::of(&v1), false).unwrap();
        assert_eq!(
            statements(&v2),
            [
                ("p1.g1.o3".into(), "NEW".into()),
                ("p1.g1.o1".into(), "A".into()),
                ("p1.g1.o2".into(), "B".into()),
            ]
        );
    }

    #[test]
    fn reordering_keeps_ids_and_a_removed_id_is_never_handed_out_again() {
        let mut p = plan(named("A"));
        p.problems[0].goals[0].objectives.push(named("B"));
        let v1 = p.validated(false).unwrap();
        let mut edit = v1.clone();
        edit.problems[0].goals[0].objectives.reverse();
        let v2 = edit.revised(&PlanIds::of(&v1), false).unwrap();
        assert_eq!(
            statements(&v2),
            [
                ("p1.g1.o2".into(), "B".into()),
                ("p1.g1.o1".into(), "A".into())
            ]
        );
        // B goes; in the next revision a new objective must not become p1.g1.o2.
        let mut edit = v2.clone();
        edit.problems[0].goals[0].objectives.remove(0);
        let v3 = edit.revised(&PlanIds::of(&v2), false).unwrap();
        let mut ids = PlanIds::of(&v3);
        ids.retire(&v1);
        ids.retire(&v2);
        let mut edit = v3.clone();
        edit.problems[0].goals[0].objectives.push(named("C"));
        let v4 = edit.revised(&ids, false).unwrap();
        assert_eq!(
            statements(&v4),
            [
                ("p1.g1.o1".into(), "A".into()),
                ("p1.g1.o3".into(), "C".into())
            ]
        );
    }

    #[test]
    fn an_id_the_plan_does_not_hold_is_replaced_and_kinds_do_not_mix() {
        let v1 = plan(named("A")).validated(false).unwrap();
        // A made-up id on a new objective of a new goal: new ids.
        let mut edit = v1.clone();
        edit.problems[0].goals.push(Goal {
            id: "g7".into(),
            statement: "Second goal".into(),
            objectives: vec![Objective {
                id: "x9".into(),
                ..named("B")
            }],
        });
        let v2 = edit.clone().revised(&PlanIds::of(&v1), false).unwrap();
        assert_eq!(v2.problems[0].goals[1].id, "p1.g2");
        assert_eq!(
            statements(&v2),
            [
                ("p1.g1.o1".into(), "A".into()),
                ("p1.g2.o1".into(), "B".into())
            ]
        );
        // A brand-new plan ignores the ids it comes with.
        let fresh = edit.validated(false).unwrap();
        assert_eq!(fresh.problems[0].goals[1].objectives[0].id, "p1.g2.o1");
        // An objective's id on a goal does not make the goal that objective's heir.
        let mut edit = v1.clone();
        edit.problems[0].goals[0].id = "p1.g1.o1".into();
        edit.problems[0].goals[0].objectives = vec![named("C")];
        let v3 = edit.revised(&PlanIds::of(&v1), false).unwrap();
        assert_eq!(v3.problems[0].goals[0].id, "p1.g2");
        assert_eq!(statements(&v3), [("p1.g2.o1".into(), "C".into())]);
    }

    #[test]
    fn an_objective_moved_to_another_goal_keeps_its_id() {
        let mut p = plan(named("A"));
        p.problems[0].goals.push(Goal {
            id: String::new(),
            statement: "Other goal".into(),
            objectives: vec![named("B")],
        });
        let v1 = p.validated(false).unwrap();
        let mut edit = v1.clone();
        let a = edit.problems[0].goals[0].objectives.remove(0);
        edit.problems[0].goals[0].objectives.push(named("A2"));
        edit.problems[0].goals[1].objectives.push(a);
        let v2 = edit.revised(&PlanIds::of(&v1), false).unwrap();
        assert_eq!(
            statements(&v2),
            [
                ("p1.g1.o2".into(), "A2".into()),
                ("p1.g2.o1".into(), "B".into()),
                ("p1.g1.o1".into(), "A".into()),
            ]
        );
    }

    #[test]
    fn the_same_id_twice_in_one_submission_is_refused_by_field() {
        let mut p = plan(named("A"));
        p.problems[0].goals[0].objectives.push(named("B"));
        let v1 = p.validated(false).unwrap();
        let mut edit = v1.clone();
        edit.problems[0].goals[0].objectives[1].id = "p1.g1.o1".into();
        assert_eq!(
            fields(edit.revised(&PlanIds::of(&v1), false)),
            ["problems[0].goals[0].objectives[1].id"]
        );
    }

    #[test]
    fn empty_plans_and_empty_branches_are_named() {
        assert_eq!(
            fields(PlanContent::default().validated(false)),
            ["problems"]
        );
        let mut p = plan(objective(Some(1.0)));
        p.problems[0].goals[0].objectives.clear();
        assert_eq!(
            fields(p.validated(false)),
            ["problems[0].goals[0].objectives"]
        );
    }

    #[test]
    fn progress_runs_from_baseline_to_target_in_either_direction() {
        let mut o = objective(Some(1.0));
        o.current = Some(3.5);
        assert_eq!(progress(&o), Some(0.5));
        o.current = Some(9.0);
        assert_eq!(progress(&o), Some(0.0));
        o.baseline = Some(2.0);
        o.target = Some(4.0);
        o.current = Some(5.0);
        assert_eq!(progress(&o), Some(1.0));
    }

    proptest! {
        #[test]
        fn progress_stays_between_zero_and_one(b in -100.0f64..100.0, t in -100.0f64..100.0, c in -300.0f64..300.0) {
            let mut o = objective(Some(t));
            o.baseline = Some(b);
            o.current = Some(c);
            if let Some(x) = progress(&o) {
                prop_assert!((0.0..=1.0).contains(&x));
            }
        }
    }
}
