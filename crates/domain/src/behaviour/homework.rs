//! Homework between sessions: what to do (title and instructions, clinical text sealed at rest), by when, and
//! whether it was done, with the client's own note. The tally says at a glance what is open, overdue and done on
//! time; an item done after its due date counts as done but not on time.

use crate::error::Problems;
use crate::{Error, Result, validate};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const TITLE_MAX: usize = 200;
const TEXT_MAX: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeworkStatus {
    Assigned,
    Done,
    NotDone,
}

impl HomeworkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HomeworkStatus::Assigned => "assigned",
            HomeworkStatus::Done => "done",
            HomeworkStatus::NotDone => "not_done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HomeworkStatus::Assigned => "Assigned",
            HomeworkStatus::Done => "Done",
            HomeworkStatus::NotDone => "Not done",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<HomeworkStatus> {
        match raw.trim() {
            "assigned" => Ok(HomeworkStatus::Assigned),
            "done" => Ok(HomeworkStatus::Done),
            "not_done" => Ok(HomeworkStatus::NotDone),
            other => Err(Error::invalid(
                field,
                format!("unknown status '{other}'; expected assigned, done or not_done"),
            )),
        }
    }
}

/// A homework item as a clinician sets it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeworkInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub instructions: Option<String>,
    /// YYYY-MM-DD, the client's calendar date.
    #[serde(default)]
    pub due_on: String,
    /// The treatment plan whose objective the item serves; given with `objective_id` or not at all.
    #[serde(default)]
    pub plan_id: Option<Uuid>,
    /// The objective's id in that plan, such as `p1.g1.o1`.
    #[serde(default)]
    pub objective_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidHomework {
    pub title: String,
    pub instructions: Option<String>,
    pub due_on: NaiveDate,
    /// Plan and objective, both or neither; whether the client's plan has them is the use case's check.
    pub objective: Option<(Uuid, String)>,
}

impl HomeworkInput {
    /// Checks the item; a due date may not lie before `today` when the item is new (`new`).
    pub fn validated(&self, today: NaiveDate, new: bool) -> Result<ValidHomework> {
        let mut p = Problems::new();
        let title = p.take(validate::required_line("title", &self.title, TITLE_MAX));
        let instructions = p
            .take(validate::optional_text(
                "instructions",
                self.instructions.as_deref().unwrap_or(""),
                TEXT_MAX,
            ))
            .flatten();
        let due_on = if self.due_on.trim().is_empty() {
            p.add("due_on", "give the date it is due");
            None
        } else {
            p.take(validate::date("due_on", &self.due_on))
        };
        if let Some(d) = due_on
            && new
            && d < today
        {
            p.add("due_on", "the due date has already passed");
        }
        let objective_id = self
            .objective_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let objective = match (self.plan_id, objective_id) {
            (Some(plan), Some(o)) => Some((plan, o.to_string())),
            (None, None) => None,
            _ => {
                p.add(
                    "objective_id",
                    "link homework to an objective by giving both the plan and the objective",
                );
                None
            }
        };
        p.finish()?;
        match (title, due_on) {
            (Some(title), Some(due_on)) => Ok(ValidHomework {
                title,
                instructions,
                due_on,
                objective,
            }),
            _ => Err(Error::internal("homework checked without a value")),
        }
    }
}

/// The client's note when they mark an item done.
pub fn completion_note(field: &str, raw: &str) -> Result<Option<String>> {
    validate::optional_text(field, raw, TEXT_MAX)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HomeworkTally {
    /// Assigned and not yet due.
    pub open: u32,
    /// Assigned and past its due date.
    pub overdue: u32,
    pub done_on_time: u32,
    pub done_late: u32,
    pub not_done: u32,
    /// Items whose due date has come (today or before) or that are settled: the denominator of `on_time_ratio`.
    pub due_so_far: u32,
    pub on_time_ratio: Option<f64>,
}

/// Tallies items given as (due date, status, date completed in the client's zone).
pub fn homework_tally(
    items: &[(NaiveDate, HomeworkStatus, Option<NaiveDate>)],
    today: NaiveDate,
) -> HomeworkTally {
    let mut t = HomeworkTally::default();
    for (due, status, done_on) in items {
        match status {
            HomeworkStatus::Assigned if *due < today => t.overdue += 1,
            HomeworkStatus::Assigned => t.open += 1,
            HomeworkStatus::Done if done_on.is_some_and(|d| d <= *due) => t.done_on_time += 1,
            HomeworkStatus::Done => t.done_late += 1,
            HomeworkStatus::NotDone => t.not_done += 1,
        }
        if *status != HomeworkStatus::Assigned || *due <= today {
            t.due_so_far += 1;
        }
    }
    t.on_time_ratio =
        (t.due_so_far > 0).then(|| f64::from(t.done_on_time) / f64::from(t.due_so_far));
    t
}
