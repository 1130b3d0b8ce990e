//! The single place that says yes: `authorize(actor, action, resource)`.
//!
//! Use cases gather the facts (is the actor on the client's care team? do they supervise someone who is?) and ask
//! here; nothing else in Rapport grants access. A denial says whether the caller may even learn that the record
//! exists: a clinician outside the care team gets `Hidden` (404), a scheduler who can see the client's name but
//! not their notes gets `Forbidden` (403).

use crate::ids::UserId;
use crate::role::{Actor, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    List,
    Create,
    Update,
    Delete,
}

/// What the use case found out about the actor's relationship to one client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientRelation {
    pub on_care_team: bool,
    /// The actor supervises a clinician on this client's care team.
    pub supervises_care_team_member: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The practice's client directory as a whole: listing, searching, registering a new client.
    ClientDirectory,
    /// Name, date of birth, contacts, guardians, status: what the front desk needs.
    ClientDemographics(ClientRelation),
    /// Presenting problem, clinical notes, episodes of care, diagnoses.
    ClientClinical(ClientRelation),
    CareTeam(ClientRelation),
    /// "Who accessed this record": the audit entries about one client.
    ClientAccessLog(ClientRelation),
    ClinicianProfile {
        owner: UserId,
    },
    /// The list of therapy groups (names, kinds, facilitators, head counts; no member names).
    GroupDirectory,
    /// One clinician's calendar: booking, moving and cancelling appointments, and availability exceptions.
    Calendar {
        owner: UserId,
    },
    /// Appointment types, locations, rooms and scheduling rules.
    PracticeSettings,
    /// The waitlist: who waits for which kind of session (demographics plus scheduling preferences).
    Waitlist,
    /// The public booking pages; `enabled` is the practice's setting.
    OnlineBooking {
        enabled: bool,
    },
    UserAccounts,
    Supervision,
    AuditLog,
    ApiToken {
        owner: UserId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The caller may not learn that the record exists (answer as if it did not).
    Hidden,
    /// The caller knows the record exists but may not do this; the text says why, in plain words.
    Forbidden(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }

    /// Converts a denial into the shared error type.
    pub fn into_result(self) -> crate::error::Result<()> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(Denial::Hidden) => Err(crate::Error::NotFound),
            Decision::Deny(Denial::Forbidden(why)) => Err(crate::Error::Forbidden(why.to_string())),
        }
    }
}

const NOT_CLINICAL: &str = "clinical content is restricted to the client's care team";
const ADMIN_ONLY: &str = "only an administrator may do this";
const NEVER_DELETED: &str = "client records are never deleted; discharge the client instead";

use Decision::Allow;

fn forbid(why: &'static str) -> Decision {
    Decision::Deny(Denial::Forbidden(why))
}

fn hidden() -> Decision {
    Decision::Deny(Denial::Hidden)
}

/// A clinical link to the client: on the care team, or supervising someone who is (supervisors only).
fn linked(actor: &Actor, rel: ClientRelation) -> bool {
    (actor.is_clinical() && rel.on_care_team)
        || (actor.has(Role::Supervisor) && rel.supervises_care_team_member)
}

/// Whether the actor may see that a client exists at all (and read their demographics).
fn sees_client(actor: &Actor, rel: ClientRelation) -> bool {
    actor.has(Role::Admin)
        || actor.has(Role::Scheduler)
        || actor.has(Role::Billing)
        || linked(actor, rel)
}

/// Deny in the way that reveals no more than the actor already may know.
fn deny(actor: &Actor, rel: ClientRelation, why: &'static str) -> Decision {
    if sees_client(actor, rel) {
        forbid(why)
    } else {
        hidden()
    }
}

pub fn authorize(actor: &Actor, action: Action, resource: Resource) -> Decision {
    match actor {
        Actor::Operator => return authorize_operator(action, resource),
        Actor::Public => return authorize_public(action, resource),
        Actor::Staff { .. } => {}
    }
    match resource {
        Resource::ClientDirectory => match action {
            Action::List | Action::Read => Allow,
            Action::Create
                if actor.has(Role::Admin)
                    || actor.has(Role::Scheduler)
                    || actor.has(Role::Clinician) =>
            {
                Allow
            }
            _ => forbid("you may not register clients"),
        },
        Resource::ClientDemographics(rel) => match action {
            Action::Read | Action::List if sees_client(actor, rel) => Allow,
            Action::Update
                if actor.has(Role::Admin)
                    || actor.has(Role::Scheduler)
                    || (actor.has(Role::Clinician) && rel.on_care_team) =>
            {
                Allow
            }
            Action::Delete => deny(actor, rel, NEVER_DELETED),
            _ => deny(actor, rel, "you may not change this client's details"),
        },
        Resource::ClientClinical(rel) => match action {
            Action::Read | Action::List if linked(actor, rel) => Allow,
            Action::Create | Action::Update if actor.is_clinical() && rel.on_care_team => Allow,
            Action::Delete => deny(actor, rel, NEVER_DELETED),
            _ => deny(actor, rel, NOT_CLINICAL),
        },
        Resource::CareTeam(rel) => match action {
            Action::Read | Action::List if sees_client(actor, rel) => Allow,
            Action::Create | Action::Update | Action::Delete
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) =>
            {
                Allow
            }
            _ => deny(
                actor,
                rel,
                "only the front desk or an administrator assigns care teams",
            ),
        },
        Resource::ClientAccessLog(rel) => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || (actor.is_clinical() && rel.on_care_team) =>
            {
                Allow
            }
            _ => deny(
                actor,
                rel,
                "only an administrator or the care team may see who accessed this record",
            ),
        },
        Resource::ClinicianProfile { owner } => match action {
            Action::Read | Action::List => Allow,
            Action::Update if actor.user_id() == Some(owner) || actor.has(Role::Admin) => Allow,
            Action::Create if actor.has(Role::Admin) => Allow,
            _ => forbid("you may change only your own clinician profile"),
        },
        Resource::OnlineBooking { .. } => match action {
            Action::Read | Action::List => Allow,
            _ if actor.has(Role::Admin) => Allow,
            _ => forbid(ADMIN_ONLY),
        },
        Resource::GroupDirectory => match action {
            Action::Read | Action::List => Allow,
            _ if actor.has(Role::Admin)
                || actor.has(Role::Scheduler)
                || actor.has(Role::Clinician) =>
            {
                Allow
            }
            _ => forbid("only clinicians, the front desk and administrators manage groups"),
        },
        Resource::Calendar { owner } => match action {
            Action::Read | Action::List => Allow,
            _ if actor.has(Role::Admin) || actor.has(Role::Scheduler) => Allow,
            _ if actor.has(Role::Clinician) && actor.user_id() == Some(owner) => Allow,
            _ => forbid(
                "only the front desk, an administrator or the clinician may change this calendar",
            ),
        },
        Resource::Waitlist => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) || actor.is_clinical() =>
            {
                Allow
            }
            Action::Create | Action::Update | Action::Delete
                if actor.has(Role::Admin)
                    || actor.has(Role::Scheduler)
                    || actor.has(Role::Clinician) =>
            {
                Allow
            }
            _ => {
                forbid("only the front desk, clinicians and administrators work with the waitlist")
            }
        },
        Resource::PracticeSettings => match action {
            Action::Read | Action::List => Allow,
            _ if actor.has(Role::Admin) => Allow,
            _ => forbid(ADMIN_ONLY),
        },
        Resource::UserAccounts | Resource::AuditLog => {
            if actor.has(Role::Admin) {
                Allow
            } else {
                forbid(ADMIN_ONLY)
            }
        }
        Resource::Supervision => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || actor.has(Role::Supervisor) =>
            {
                Allow
            }
            _ if actor.has(Role::Admin) => Allow,
            _ => forbid(ADMIN_ONLY),
        },
        Resource::ApiToken { owner } => {
            if actor.user_id() == Some(owner)
                || (action == Action::Delete && actor.has(Role::Admin))
            {
                Allow
            } else {
                hidden()
            }
        }
    }
}

/// The command-line operator holds the keyring and the database: they administer accounts and verify the audit
/// log, but the CLI is no back door into clinical content.
fn authorize_operator(action: Action, resource: Resource) -> Decision {
    match resource {
        Resource::UserAccounts | Resource::AuditLog | Resource::Supervision => Allow,
        Resource::ClinicianProfile { .. } => Allow,
        Resource::ClientDirectory if action == Action::Create => Allow,
        Resource::CareTeam(_) => Allow,
        _ => forbid("the command line does not read clinical records"),
    }
}

/// The public may look at and request bookings on the public pages when the practice offers them, and nothing
/// else; a disabled booking page does not exist for them.
fn authorize_public(action: Action, resource: Resource) -> Decision {
    match (action, resource) {
        (
            Action::Read | Action::List | Action::Create,
            Resource::OnlineBooking { enabled: true },
        ) => Allow,
        _ => hidden(),
    }
}

/// Which clients a list query may return for this actor; the store turns it into a WHERE clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientScope {
    /// Every client (demographics only, unless clinical access is separately allowed per client).
    All,
    /// Clients whose care team includes the actor, or (when set) a clinician the actor supervises.
    CareTeam {
        include_supervisees: bool,
    },
    Nothing,
}

pub fn client_scope(actor: &Actor) -> ClientScope {
    if actor.has(Role::Admin) || actor.has(Role::Scheduler) || actor.has(Role::Billing) {
        ClientScope::All
    } else if actor.is_clinical() {
        ClientScope::CareTeam {
            include_supervisees: actor.has(Role::Supervisor),
        }
    } else {
        ClientScope::Nothing
    }
}

#[cfg(test)]
mod tests;
