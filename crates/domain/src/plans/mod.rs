//! Treatment plans without I/O: problems → goals → measurable objectives (baseline, target, target date) →
//! interventions, each objective with its status; the rules a plan must meet to be put into effect; progress
//! toward a target; and starting templates for common programmes, kept as data in `plan_templates/*.json`.
//!
//! A plan may be drafted with baselines still unknown, but an objective never lacks a target: "feel better" is
//! not measurable, and payers and supervisors rightly refuse plans without numbers.

mod model;
mod templates;

pub use model::{
    Goal, Intervention, Objective, ObjectiveStatus, PlanContent, PlanStatus, Problem, progress,
};
pub use templates::{PlanTemplate, plan_template, plan_templates};
