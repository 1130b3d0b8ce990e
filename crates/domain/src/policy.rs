//! The single place that says yes: `authorize(actor, action, resource)`.
//!
//! Use cases gather the facts (is the actor on the client's care team? do they supervise someone who is?) and ask
//! here; nothing else in Rapport grants access. A denial says whether the caller may even learn that the record
//! exists: a clinician outside the care team gets `Hidden` (404), a scheduler who can see the client's name but
//! not their notes gets `Forbidden` (403).

use crate::ids::UserId;
use crate::portal::PortalRelation;
use crate::role::{Actor, Role};

mod rights;
mod units;
pub use rights::{CalendarRights, ClientRights, StaffRights};
pub use units::UnitRelation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    List,
    Create,
    Update,
    Delete,
    /// Sign a note (locks it).
    Sign,
    /// Co-sign a trainee's signed note.
    CoSign,
    /// Take over an unsigned draft whose author has left the client's care team: the caller becomes its author.
    TakeOver,
}

/// What the use case found out about the actor's relationship to one client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientRelation {
    pub on_care_team: bool,
    /// The actor supervises a clinician on this client's care team.
    pub supervises_care_team_member: bool,
    /// The actor broke the glass for this client and the emergency access has not expired: read-only, never
    /// psychotherapy notes, never a copy of the record, and every use of it is reviewed (`emergency`).
    pub emergency_access: bool,
}

/// What the use case found out about the actor's relationship to one note.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteRelation {
    pub client: ClientRelation,
    pub is_author: bool,
    /// The actor supervises the note's author.
    pub supervises_author: bool,
    /// The author shared this psychotherapy note with the actor for supervision.
    pub shared_with_me: bool,
    /// The note's author is (still) on the client's care team.
    pub author_on_team: bool,
}

/// What the use case found out about the actor's relationship to one therapy group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupRelation {
    /// The actor is one of the group's facilitators.
    pub facilitates: bool,
    /// The actor supervises one of the group's facilitators.
    pub supervises_facilitator: bool,
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
    /// Putting a client on something that happens: an appointment, the waitlist, a group's roster. It takes a
    /// client one may see by role or by a care relation; emergency access is read-only and never enrols (a booking
    /// would e-mail the client on the strength of a break-the-glass reason).
    ClientEnrolment(ClientRelation),
    /// A note in the client's record (intake, progress, crisis, discharge).
    ClinicalNote(NoteRelation),
    /// A psychotherapy note (HIPAA 45 CFR 164.501): its author's alone. Shared for supervision it may be read by
    /// that supervisor; nobody else learns that it exists, administrators included.
    PsychotherapyNote(NoteRelation),
    /// "Who accessed this record": the audit entries about one client.
    ClientAccessLog(ClientRelation),
    /// The client's whole record as one document that leaves Rapport (an export, or the answer to a record
    /// request). Reading the chart is not enough: a copy is a disclosure, so only the care team makes one.
    /// Psychotherapy notes are never part of it, whoever asks.
    ClientRecord(ClientRelation),
    /// One request for a client's record (right of access): who asked, when, in what capacity. Logging and reading
    /// one is front-desk work; fulfilling (which produces the export) or denying one is the care team's.
    RecordRequest(ClientRelation),
    /// The register of record requests and their due dates (each entry then follows `RecordRequest`).
    RecordRequests,
    /// The practice's referrals still waiting for an answer. Each one is clinical (to whom, why), so the list is
    /// for clinicians and supervisors, and holds only clients whose clinical record each row's check lets them read.
    OpenReferrals,
    ClinicianProfile {
        owner: UserId,
    },
    /// The list of therapy groups (names, kinds, facilitators, head counts; no member names).
    GroupDirectory,
    /// A couple or family treated together: opened by whoever sees at least one member, each member named only to
    /// those who see that member, changed only by whoever may change every member (`policy/units.rs`).
    Unit(UnitRelation),
    /// One group's settings and roster (member names with join and leave dates): demographics, not clinical.
    GroupRoster(GroupRelation),
    /// A group's sessions: attendance, talk time, the shared note and every member's individual note. Clinical, and
    /// about many clients at once, so it follows the group (its facilitators) rather than any one care team; a
    /// member's own view of their sessions goes through `ClientClinical` of that member instead.
    GroupSession(GroupRelation),
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
    /// A questionnaire reached through an e-mailed single-use link: the link is the only authority, and only while
    /// it is `live` (unused and unexpired). Staff read and enter answers through `ClientClinical` instead.
    MeasureLink {
        live: bool,
    },
    /// A client's own appointments reached through an e-mailed one-time booking link: while it is `live`, its
    /// holder may list them, download them as .ics and cancel one (outside the late-cancellation window).
    BookingLink {
        live: bool,
    },
    /// A client's behaviour diary reached through an e-mailed link that works many times until it expires or the
    /// clinician revokes it (`live`). It lets its holder log entries for that client's active behaviours and mark
    /// that client's homework done, nothing more: no history is read through it. Staff define behaviours, log
    /// entries and read summaries through `ClientClinical` instead (care team writes, supervisors read).
    DiaryLink {
        live: bool,
    },
    UserAccounts,
    Supervision,
    AuditLog,
    /// The outgoing mail queue: kinds, recipients, states and errors (never a body), and retrying a message.
    Outbox,
    ApiToken {
        owner: UserId,
    },
    /// A client's own view through the portal: their appointments and their record (the same document a record
    /// request yields, so psychotherapy notes are never part of it). Only a portal account whose grant for this
    /// client is in force reads it; staff use the chart.
    OwnRecord(PortalRelation),
    /// The client's whole record as a document in the portal (the record-request document): `OwnRecord`, and only
    /// while the practice shares records in the portal (`practice_shares`; otherwise the client asks for a copy
    /// the usual way, and the clinician can first consider whether anything must be withheld).
    OwnRecordDocument {
        rel: PortalRelation,
        practice_shares: bool,
    },
    /// One of the client's own coming appointments in the portal: the account may cancel it (`Update`), as the
    /// booking link allows; the use case keeps the late-cancellation window.
    OwnAppointment(PortalRelation),
    /// Who may use the portal for this client: inviting the client or a guardian, and revoking access. Front-desk
    /// and care-team work, like the client's contacts.
    PortalAccess(ClientRelation),
    /// Breaking the glass: a clinician outside the care team opens one client's record in an emergency, for a
    /// few hours, giving a reason. Only clinical staff who have no other way in.
    EmergencyAccess(ClientRelation),
    /// The register of emergency accesses and their review (who, which client, why, what they read): the
    /// practice's privacy work, done by administrators.
    EmergencyReviews,
    /// The clinic's on-call rota: who answers for the clinic when. Not clinical data, so every clinical staff
    /// member reads it (they need to know whom to call); the front desk and administrators plan it.
    OnCallRota,
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

const OFF_THE_TEAM: &str = "you are no longer on this client's care team, so you cannot change or sign this note; \
    ask to be added back, or talk to your supervisor";
const NOT_CLINICAL: &str = "clinical content is restricted to the client's care team";
const ADMIN_ONLY: &str = "only an administrator may do this";
const NEVER_DELETED: &str = "client records are never deleted; discharge the client instead";
const RECORD_COPY: &str =
    "only the client's care team may export the record or answer a request for it";
const GROUP_CLINICAL: &str = "group session records are restricted to the group's facilitators";

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

/// A clinical link to the group: facilitating it, or supervising a facilitator (supervisors only).
fn leads_group(actor: &Actor, g: GroupRelation) -> bool {
    (actor.is_clinical() && g.facilitates)
        || (actor.has(Role::Supervisor) && g.supervises_facilitator)
}

/// The front desk, billing and administrators know each group's roster and schedule.
fn front_office(actor: &Actor) -> bool {
    actor.has(Role::Admin) || actor.has(Role::Scheduler) || actor.has(Role::Billing)
}

/// Reading in an emergency: a clinician holding a live break-the-glass access to this client.
fn emergency_reader(actor: &Actor, rel: ClientRelation) -> bool {
    actor.is_clinical() && rel.emergency_access
}

/// Whether the actor may see that a client exists at all (and read their demographics).
fn sees_client(actor: &Actor, rel: ClientRelation) -> bool {
    actor.has(Role::Admin)
        || actor.has(Role::Scheduler)
        || actor.has(Role::Billing)
        || linked(actor, rel)
        || emergency_reader(actor, rel)
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
        Actor::Portal { .. } => return authorize_portal(action, resource),
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
            Action::Read | Action::List if linked(actor, rel) || emergency_reader(actor, rel) => {
                Allow
            }
            Action::Create | Action::Update if actor.is_clinical() && rel.on_care_team => Allow,
            Action::Delete => deny(actor, rel, NEVER_DELETED),
            _ => deny(actor, rel, NOT_CLINICAL),
        },
        Resource::ClinicalNote(n) => clinical_note(actor, action, n),
        Resource::PsychotherapyNote(n) => psychotherapy_note(actor, action, n),
        Resource::ClientEnrolment(rel) => {
            let without_emergency = ClientRelation {
                emergency_access: false,
                ..rel
            };
            match action {
                Action::Create if sees_client(actor, without_emergency) => Allow,
                _ if sees_client(actor, rel) => forbid(
                    "emergency access is read-only: ask the front desk or the care team to book or enrol this client",
                ),
                _ => hidden(),
            }
        }
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
        Resource::ClientRecord(rel) => match action {
            Action::Read if actor.is_clinical() && rel.on_care_team => Allow,
            _ => deny(actor, rel, RECORD_COPY),
        },
        Resource::RecordRequest(rel) => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) || linked(actor, rel) =>
            {
                Allow
            }
            Action::Create
                if actor.has(Role::Admin)
                    || actor.has(Role::Scheduler)
                    || (actor.is_clinical() && rel.on_care_team) =>
            {
                Allow
            }
            Action::Update if actor.is_clinical() && rel.on_care_team => Allow,
            Action::Delete => deny(
                actor,
                rel,
                "record requests are never deleted; deny one with a reason instead",
            ),
            _ => deny(actor, rel, RECORD_COPY),
        },
        Resource::RecordRequests => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) || actor.is_clinical() =>
            {
                Allow
            }
            _ => forbid("only the front desk, clinicians and administrators see record requests"),
        },
        Resource::OpenReferrals => match action {
            Action::Read | Action::List if actor.is_clinical() => Allow,
            _ => forbid(
                "referrals are clinical: only clinicians and supervisors see the ones waiting for an answer",
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
        // A link belongs to the client it was sent to; a signed-in staff member gains nothing by holding one.
        Resource::MeasureLink { .. }
        | Resource::BookingLink { .. }
        | Resource::DiaryLink { .. } => hidden(),
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
        Resource::GroupRoster(g) => match action {
            Action::Read | Action::List if front_office(actor) || leads_group(actor, g) => Allow,
            Action::Create | Action::Update
                if actor.has(Role::Admin)
                    || actor.has(Role::Scheduler)
                    || (actor.is_clinical() && g.facilitates) =>
            {
                Allow
            }
            Action::Delete => {
                forbid("groups are never deleted; record each member's leave date instead")
            }
            _ => forbid(
                "only the group's facilitators, the front desk and administrators manage this group",
            ),
        },
        Resource::GroupSession(g) => group_session(actor, action, g),
        Resource::Unit(u) => units::unit(actor, action, u),
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
        Resource::UserAccounts | Resource::AuditLog | Resource::Outbox => {
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
        // The portal's view is for the client's side only; staff read the same things through the chart.
        Resource::OwnRecord(_)
        | Resource::OwnRecordDocument { .. }
        | Resource::OwnAppointment(_) => hidden(),
        Resource::PortalAccess(rel) => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) || linked(actor, rel) =>
            {
                Allow
            }
            Action::Create | Action::Update | Action::Delete
                if actor.has(Role::Admin)
                    || actor.has(Role::Scheduler)
                    || (actor.is_clinical() && rel.on_care_team) =>
            {
                Allow
            }
            _ => deny(
                actor,
                rel,
                "only the front desk, an administrator or the care team manage portal access",
            ),
        },
        Resource::EmergencyAccess(rel) => match action {
            Action::Create if actor.is_clinical() && !linked(actor, rel) => Allow,
            Action::Create if actor.is_clinical() => {
                forbid("you can already read this record; emergency access is for those who cannot")
            }
            _ => forbid("only clinicians and supervisors can use emergency access"),
        },
        Resource::EmergencyReviews => match action {
            Action::Read | Action::List | Action::Update if actor.has(Role::Admin) => Allow,
            _ => forbid("only an administrator reviews emergency access"),
        },
        Resource::OnCallRota => match action {
            Action::Read | Action::List
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) || actor.is_clinical() =>
            {
                Allow
            }
            Action::Create | Action::Update | Action::Delete
                if actor.has(Role::Admin) || actor.has(Role::Scheduler) =>
            {
                Allow
            }
            Action::Read | Action::List => forbid(
                "only clinical staff, the front desk and administrators see the on-call rota",
            ),
            _ => forbid("only the front desk or an administrator plans the on-call rota"),
        },
    }
}

fn clinical_note(actor: &Actor, action: Action, n: NoteRelation) -> Decision {
    let supervisor_of_author = actor.has(Role::Supervisor) && n.supervises_author;
    match action {
        Action::Read | Action::List
            if linked(actor, n.client)
                || supervisor_of_author
                || emergency_reader(actor, n.client) =>
        {
            Allow
        }
        Action::Create if actor.is_clinical() && n.client.on_care_team => Allow,
        // Writing into a chart rests on the care team, today: an author taken off the team no longer changes or
        // signs their draft (it stays, unsigned and visible, for the team and the author's supervisor).
        Action::Update | Action::Sign
            if n.is_author && actor.is_clinical() && n.client.on_care_team =>
        {
            Allow
        }
        Action::Update | Action::Sign if n.is_author && actor.is_clinical() => forbid(OFF_THE_TEAM),
        Action::CoSign if supervisor_of_author && !n.is_author => Allow,
        // The draft of an author who left the care team is not left in limbo: someone who treats the client now (a
        // clinician on the care team; Rapport has no "primary clinician") takes it over, finishes and signs it.
        Action::TakeOver
            if !n.is_author
                && !n.author_on_team
                && actor.is_clinical()
                && n.client.on_care_team =>
        {
            Allow
        }
        Action::TakeOver if n.is_author => forbid("this draft is already yours"),
        Action::TakeOver if n.author_on_team && linked(actor, n.client) => {
            forbid("its author is still on the care team, and only they change their draft")
        }
        Action::TakeOver if supervisor_of_author || linked(actor, n.client) => forbid(
            "only a clinician on the client's care team takes over a draft; ask to be added to the team",
        ),
        Action::CoSign if n.is_author && actor.is_clinical() => {
            forbid("you cannot co-sign your own note; your supervisor co-signs it")
        }
        Action::Delete => deny(
            actor,
            n.client,
            "notes are never deleted; add an addendum instead",
        ),
        Action::Update | Action::Sign if linked(actor, n.client) => {
            forbid("only the note's author may change or sign it")
        }
        Action::CoSign if linked(actor, n.client) => {
            forbid("only the author's supervisor may co-sign this note")
        }
        _ if supervisor_of_author => forbid("only the note's author may change or sign it"),
        _ => deny(actor, n.client, NOT_CLINICAL),
    }
}

fn psychotherapy_note(actor: &Actor, action: Action, n: NoteRelation) -> Decision {
    match action {
        // Creating rests on the care team alone: whoever creates a note is its author by definition, so authorship
        // can never be what permits it (it once let any clinician write into any chart by id).
        Action::Create if actor.is_clinical() && n.client.on_care_team => Allow,
        Action::Create => deny(actor, n.client, NOT_CLINICAL),
        Action::Read | Action::List if n.is_author && actor.is_clinical() => Allow,
        Action::Update | Action::Sign
            if n.is_author && actor.is_clinical() && n.client.on_care_team =>
        {
            Allow
        }
        Action::Update | Action::Sign if n.is_author && actor.is_clinical() => forbid(OFF_THE_TEAM),
        Action::Read if n.shared_with_me && actor.is_clinical() => Allow,
        Action::Delete | Action::CoSign | Action::TakeOver if n.is_author => {
            forbid("psychotherapy notes are neither deleted, co-signed nor handed to someone else")
        }
        _ => hidden(),
    }
}

fn group_session(actor: &Actor, action: Action, g: GroupRelation) -> Decision {
    let reads = leads_group(actor, g);
    match action {
        Action::Read | Action::List if reads => Allow,
        Action::Create | Action::Update | Action::Sign if actor.is_clinical() && g.facilitates => {
            Allow
        }
        Action::Delete | Action::CoSign if reads => {
            forbid("group sessions are neither deleted nor co-signed")
        }
        _ if reads => forbid("only the group's facilitators document its sessions"),
        // Who knows the group's schedule is told "forbidden"; anyone else does not learn the session exists.
        _ if front_office(actor) => forbid(GROUP_CLINICAL),
        _ => hidden(),
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

/// The public may look at and request bookings on the public pages when the practice offers them, and open and
/// answer a questionnaire through a live link; nothing else. A disabled booking page does not exist for them.
fn authorize_public(action: Action, resource: Resource) -> Decision {
    match (action, resource) {
        (
            Action::Read | Action::List | Action::Create,
            Resource::OnlineBooking { enabled: true },
        ) => Allow,
        (Action::Read | Action::Create, Resource::MeasureLink { live: true }) => Allow,
        (Action::Read | Action::Update, Resource::BookingLink { live: true }) => Allow,
        (Action::Read | Action::Create, Resource::DiaryLink { live: true }) => Allow,
        _ => hidden(),
    }
}

/// A portal account reads the record of a client its grant is in force for, and nothing else at all; a client
/// it has no grant for does not exist for it.
fn authorize_portal(action: Action, resource: Resource) -> Decision {
    match (action, resource) {
        (Action::Read | Action::List, Resource::OwnRecord(rel)) if rel.in_force() => Allow,
        (Action::Update, Resource::OwnAppointment(rel)) if rel.in_force() => Allow,
        (
            Action::Read,
            Resource::OwnRecordDocument {
                rel,
                practice_shares,
            },
        ) if rel.in_force() => {
            if practice_shares {
                Allow
            } else {
                forbid(
                    "your practice does not show records in the portal; ask your clinician or the front desk for a copy",
                )
            }
        }
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
