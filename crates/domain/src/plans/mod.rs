//! Treatment plans without I/O: problems → goals → measurable objectives (baseline, target, target date) →
//! interventions, each objective with its status; the rules a plan must meet to be put into effect; progress
//! toward a target; objectives measured by a questionnaire read against the client's scores (`measured`); and
//! starting templates for common programmes, kept as data in `plan_templates/*.json`. Elements keep their ids
//! across revisions (`ids`), because behaviours and reviews link to an objective by id.
//!
//! A plan may be drafted with baselines still unknown, but an objective never lacks a target: "feel better" is
//! not measurable, and payers and supervisors rightly refuse plans without numbers.

mod ids;
mod measured;
mod model;
mod templates;

pub use ids::PlanIds;
pub use measured::{BaselineSource, MeasuredObjective, MeasuredStatus, measure_objective};
pub use model::{
    Goal, Intervention, Objective, ObjectiveStatus, PlanContent, PlanStatus, Problem, progress,
};
pub use templates::{PlanTemplate, plan_template, plan_templates};
