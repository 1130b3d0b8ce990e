//! Couples and families (relationship units): who may open one and who may change it.
//!
//! A unit is about several clients at once, and each member's care team is different: in couple therapy one
//! partner often has an individual therapist the other has never met. The rule is therefore split in two:
//! - **Opening the unit** needs a way to see *at least one* member (anyone who was ever in it, so a former
//!   member's clinician can follow the joint notes in that member's chart back to their unit). Whoever sees no
//!   member does not learn that the unit exists (404).
//! - **Naming a member** on the unit's page is a separate decision per member: `ClientDemographics` of that member.
//!   A member the caller may not see is shown only as "another member" with their role in the unit, never with a
//!   name, an id or a date of birth, so the unit page never reveals a client the caller could not find otherwise.
//! - **Changing the unit** (creating it, its label, adding or removing a member, ending it) puts a client into or
//!   out of joint work with other clients, so it needs the right to change *every* current member's details (and
//!   the new member's, when adding): the front desk and administrators, or a clinician on every member's care
//!   team. Units are never deleted; they are ended, so joint notes keep their place in each member's chart.
//!
//! Joint notes themselves follow `ClinicalNote` (read by the care team of any member whose chart the note is in,
//! written only by someone on every member's care team).

use super::{Action, ClientRelation, Decision, deny, hidden, sees_client};
use crate::role::{Actor, Role};

/// The actor's relations to a unit's members, folded: `any` holds a fact if it holds for at least one member ever
/// in the unit, `all` if it holds for every member the change concerns (a unit with no such member has none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitRelation {
    pub any: ClientRelation,
    pub all: ClientRelation,
}

impl UnitRelation {
    /// Folds the relations to every member ever in the unit (`ever`) and to the members a change concerns
    /// (`concerned`: the current members, plus a member being added).
    pub fn fold(ever: &[ClientRelation], concerned: &[ClientRelation]) -> Self {
        let any = ever
            .iter()
            .fold(ClientRelation::default(), |a, r| ClientRelation {
                on_care_team: a.on_care_team || r.on_care_team,
                supervises_care_team_member: a.supervises_care_team_member
                    || r.supervises_care_team_member,
                emergency_access: a.emergency_access || r.emergency_access,
            });
        // An empty `concerned` must not become "related to all of none": it folds to no relation at all.
        let all = match concerned.split_first() {
            None => ClientRelation::default(),
            Some((first, rest)) => rest.iter().fold(*first, |a, r| ClientRelation {
                on_care_team: a.on_care_team && r.on_care_team,
                supervises_care_team_member: a.supervises_care_team_member
                    && r.supervises_care_team_member,
                emergency_access: a.emergency_access && r.emergency_access,
            }),
        };
        UnitRelation { any, all }
    }
}

const CHANGE: &str = "only the front desk, an administrator or a clinician on every member's care team changes \
    this couple or family";

pub(super) fn unit(actor: &Actor, action: Action, rel: UnitRelation) -> Decision {
    match action {
        Action::Read | Action::List if sees_client(actor, rel.any) => Decision::Allow,
        // The same people who may change each member's details; emergency access never changes anything.
        Action::Create | Action::Update
            if actor.has(Role::Admin)
                || actor.has(Role::Scheduler)
                || (actor.has(Role::Clinician) && rel.all.on_care_team) =>
        {
            Decision::Allow
        }
        Action::Delete if sees_client(actor, rel.any) => super::forbid(
            "couples and families are never deleted; end one instead, and its joint notes stay in each chart",
        ),
        _ if sees_client(actor, rel.any) => deny(actor, rel.any, CHANGE),
        _ => hidden(),
    }
}
