//! Stable ids for a plan's problems, goals and objectives. Behaviours and reviews refer to an objective by its id,
//! so an id must follow its element, not its position: an element that comes back with an id the plan already
//! gives an element of its kind keeps it, wherever it now stands; anything else is new and gets an id that plan
//! has never used, in any revision, so a link to a removed objective can never land on a different one.
//!
//! New ids keep the familiar shape (`p2`, `p2.g1`, `p2.g1.o3`: the parent's id, then the next free number), so a
//! new plan gets exactly the positional ids plans always had, and stored plans keep theirs. After a move the
//! prefix may no longer name the parent; it is only a name.

use super::model::PlanContent;
use crate::error::Problems;
use std::collections::HashSet;

/// The ids a plan has handed out: those its elements hold now, by kind, and every id any revision ever held.
#[derive(Debug, Clone, Default)]
pub struct PlanIds {
    problems: HashSet<String>,
    goals: HashSet<String>,
    objectives: HashSet<String>,
    used: HashSet<String>,
}

impl PlanIds {
    /// The ids of the plan as it stands (an element given one of these keeps it).
    pub fn of(current: &PlanContent) -> PlanIds {
        let mut ids = PlanIds::default();
        for p in &current.problems {
            ids.problems.insert(p.id.clone());
            for g in &p.goals {
                ids.goals.insert(g.id.clone());
                for o in &g.objectives {
                    ids.objectives.insert(o.id.clone());
                }
            }
        }
        ids.retire(current);
        ids.used.remove("");
        ids
    }

    /// Adds the ids of an earlier revision: never handed out again, but not kept either.
    pub fn retire(&mut self, past: &PlanContent) {
        for p in &past.problems {
            self.used.insert(p.id.clone());
            for g in &p.goals {
                self.used.insert(g.id.clone());
                for o in &g.objectives {
                    self.used.insert(o.id.clone());
                }
            }
        }
        self.used.remove("");
    }
}

/// The id an element leaves with: its own if the plan knows it for this kind, else the first free `prefix{n}`.
fn keep_or_new(
    given: &str,
    known: &HashSet<String>,
    taken: &mut HashSet<String>,
    prefix: &str,
) -> String {
    let given = given.trim();
    if !given.is_empty() && known.contains(given) {
        return given.to_string();
    }
    (1..)
        .map(|n| format!("{prefix}{n}"))
        .find(|id| taken.insert(id.clone()))
        .unwrap_or_default()
}

/// Gives every element its id. The same id twice in one submission is refused, naming the second element's field.
pub(super) fn assign(c: &mut PlanContent, ids: &PlanIds, p: &mut Problems) {
    let mut seen: HashSet<String> = HashSet::new();
    let mut once = |id: &str, field: String, p: &mut Problems| {
        let id = id.trim();
        if !id.is_empty() && !seen.insert(id.to_string()) {
            p.add(
                &field,
                format!(
                    "the id '{id}' is given to another element of this plan too; an element keeps its own id, and a new one has none"
                ),
            );
        }
    };
    for (i, pr) in c.problems.iter().enumerate() {
        let at = format!("problems[{i}]");
        once(&pr.id, format!("{at}.id"), p);
        for (j, g) in pr.goals.iter().enumerate() {
            let at = format!("{at}.goals[{j}]");
            once(&g.id, format!("{at}.id"), p);
            for (k, o) in g.objectives.iter().enumerate() {
                once(&o.id, format!("{at}.objectives[{k}].id"), p);
            }
        }
    }
    // Kept ids are all in `used` (the current plan is part of it), so a new id can never take one of them.
    let mut taken = ids.used.clone();
    for pr in &mut c.problems {
        pr.id = keep_or_new(&pr.id, &ids.problems, &mut taken, "p");
        for g in &mut pr.goals {
            g.id = keep_or_new(&g.id, &ids.goals, &mut taken, &format!("{}.g", pr.id));
            for o in &mut g.objectives {
                o.id = keep_or_new(&o.id, &ids.objectives, &mut taken, &format!("{}.o", g.id));
            }
        }
    }
}
