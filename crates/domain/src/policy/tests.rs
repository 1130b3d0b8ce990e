//! Table tests: every role against every relationship for the client resources, and the rules that must hold
//! whatever the combination of roles.

use super::*;
use crate::ids::UserId;
use proptest::prelude::*;

const NONE: ClientRelation = ClientRelation {
    on_care_team: false,
    supervises_care_team_member: false,
    emergency_access: false,
};
const TEAM: ClientRelation = ClientRelation {
    on_care_team: true,
    supervises_care_team_member: false,
    emergency_access: false,
};
const SUPERVISES: ClientRelation = ClientRelation {
    on_care_team: false,
    supervises_care_team_member: true,
    emergency_access: false,
};

fn staff(role: Role) -> Actor {
    Actor::staff(UserId::new(), vec![role])
}

/// A = allow, H = hidden (404), F = forbidden (403).
fn code(d: Decision) -> char {
    match d {
        Decision::Allow => 'A',
        Decision::Deny(Denial::Hidden) => 'H',
        Decision::Deny(Denial::Forbidden(_)) => 'F',
    }
}

/// Columns: relation NONE, TEAM, SUPERVISES.
fn row(role: Role, action: Action, res: fn(ClientRelation) -> Resource) -> String {
    [NONE, TEAM, SUPERVISES]
        .into_iter()
        .map(|rel| code(authorize(&staff(role), action, res(rel))))
        .collect()
}

#[test]
fn client_resources_follow_the_table() {
    use Action::*;
    use Role::*;
    type R = fn(ClientRelation) -> Resource;
    let demo: R = Resource::ClientDemographics;
    let clin: R = Resource::ClientClinical;
    let team: R = Resource::CareTeam;
    let log: R = Resource::ClientAccessLog;
    #[rustfmt::skip]
    let table: &[(Role, Action, R, &str)] = &[
        (Admin, Read, demo, "AAA"), (Admin, Update, demo, "AAA"), (Admin, Delete, demo, "FFF"),
        (Admin, Read, clin, "FFF"), (Admin, Update, clin, "FFF"),
        (Admin, Update, team, "AAA"), (Admin, Read, log, "AAA"),

        (Clinician, Read, demo, "HAH"), (Clinician, Update, demo, "HAH"), (Clinician, Delete, demo, "HFH"),
        (Clinician, Read, clin, "HAH"), (Clinician, Update, clin, "HAH"), (Clinician, Create, clin, "HAH"),
        (Clinician, Update, team, "HFH"), (Clinician, Read, log, "HAH"),

        (Supervisor, Read, demo, "HAA"), (Supervisor, Update, demo, "HFF"),
        (Supervisor, Read, clin, "HAA"), (Supervisor, Update, clin, "HAF"),
        (Supervisor, Update, team, "HFF"), (Supervisor, Read, log, "HAF"),

        (Scheduler, Read, demo, "AAA"), (Scheduler, Update, demo, "AAA"),
        (Scheduler, Read, clin, "FFF"), (Scheduler, Update, clin, "FFF"),
        (Scheduler, Update, team, "AAA"), (Scheduler, Read, log, "FFF"),

        (Billing, Read, demo, "AAA"), (Billing, Update, demo, "FFF"),
        (Billing, Read, clin, "FFF"), (Billing, Update, team, "FFF"), (Billing, Read, log, "FFF"),
    ];
    let mut wrong = Vec::new();
    for (role, action, res, expected) in table {
        let got = row(*role, *action, *res);
        if got != *expected {
            wrong.push(format!(
                "{role:?} {action:?}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "policy table mismatches:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_admins_manage_accounts_and_read_the_audit_log() {
    for role in Role::ALL {
        for res in [Resource::UserAccounts, Resource::AuditLog] {
            let allowed = authorize(&staff(role), Action::Read, res).is_allowed();
            assert_eq!(allowed, role == Role::Admin, "{role:?} on {res:?}");
        }
    }
}

#[test]
fn clinicians_edit_only_their_own_profile_unless_admin() {
    let me = UserId::new();
    let other = UserId::new();
    let actor = Actor::staff(me, vec![Role::Clinician]);
    assert!(
        authorize(
            &actor,
            Action::Update,
            Resource::ClinicianProfile { owner: me }
        )
        .is_allowed()
    );
    assert!(
        !authorize(
            &actor,
            Action::Update,
            Resource::ClinicianProfile { owner: other }
        )
        .is_allowed()
    );
    assert!(
        authorize(
            &staff(Role::Admin),
            Action::Update,
            Resource::ClinicianProfile { owner: other }
        )
        .is_allowed()
    );
}

#[test]
fn every_staff_member_sees_the_group_directory_but_billing_does_not_run_groups() {
    for role in Role::ALL {
        assert!(authorize(&staff(role), Action::List, Resource::GroupDirectory).is_allowed());
    }
    assert!(
        !authorize(
            &staff(Role::Billing),
            Action::Create,
            Resource::GroupDirectory
        )
        .is_allowed()
    );
    assert!(
        authorize(
            &staff(Role::Clinician),
            Action::Create,
            Resource::GroupDirectory
        )
        .is_allowed()
    );
}

#[test]
fn calendars_are_changed_by_the_front_desk_or_their_owner() {
    let me = UserId::new();
    let other = UserId::new();
    let clin = Actor::staff(me, vec![Role::Clinician]);
    assert!(authorize(&clin, Action::Create, Resource::Calendar { owner: me }).is_allowed());
    assert!(!authorize(&clin, Action::Create, Resource::Calendar { owner: other }).is_allowed());
    assert!(authorize(&clin, Action::Read, Resource::Calendar { owner: other }).is_allowed());
    for role in [Role::Admin, Role::Scheduler] {
        assert!(
            authorize(
                &staff(role),
                Action::Update,
                Resource::Calendar { owner: other }
            )
            .is_allowed()
        );
    }
    for role in [Role::Billing, Role::Supervisor] {
        assert!(
            !authorize(
                &staff(role),
                Action::Create,
                Resource::Calendar { owner: other }
            )
            .is_allowed()
        );
    }
    assert!(!authorize(&clin, Action::Update, Resource::PracticeSettings).is_allowed());
    assert!(
        authorize(
            &staff(Role::Admin),
            Action::Update,
            Resource::PracticeSettings
        )
        .is_allowed()
    );
}

#[test]
fn the_public_sees_only_an_enabled_booking_page() {
    let on = Resource::OnlineBooking { enabled: true };
    let off = Resource::OnlineBooking { enabled: false };
    assert!(authorize(&Actor::Public, Action::Create, on).is_allowed());
    assert_eq!(
        authorize(&Actor::Public, Action::Read, off),
        Decision::Deny(Denial::Hidden)
    );
    for res in [
        Resource::ClientDirectory,
        Resource::ClientDemographics(TEAM),
        Resource::Calendar {
            owner: UserId::new(),
        },
        Resource::AuditLog,
    ] {
        for action in [Action::Read, Action::Create] {
            assert_eq!(
                authorize(&Actor::Public, action, res),
                Decision::Deny(Denial::Hidden),
                "{res:?}"
            );
        }
    }
}

#[test]
fn a_booking_link_lets_its_holder_see_and_cancel_only_while_live() {
    let live = Resource::BookingLink { live: true };
    let spent = Resource::BookingLink { live: false };
    for action in [Action::Read, Action::Update] {
        assert!(authorize(&Actor::Public, action, live).is_allowed());
        assert_eq!(
            authorize(&Actor::Public, action, spent),
            Decision::Deny(Denial::Hidden)
        );
    }
    for action in [Action::Create, Action::Delete, Action::List] {
        assert!(!authorize(&Actor::Public, action, live).is_allowed());
    }
    for role in Role::ALL {
        assert_eq!(
            authorize(&staff(role), Action::Read, live),
            Decision::Deny(Denial::Hidden)
        );
    }
}

#[test]
fn a_questionnaire_link_opens_only_for_the_public_and_only_while_live() {
    let live = Resource::MeasureLink { live: true };
    let spent = Resource::MeasureLink { live: false };
    for action in [Action::Read, Action::Create] {
        assert!(authorize(&Actor::Public, action, live).is_allowed());
        assert_eq!(
            authorize(&Actor::Public, action, spent),
            Decision::Deny(Denial::Hidden)
        );
    }
    for action in [Action::Update, Action::Delete, Action::List] {
        assert!(!authorize(&Actor::Public, action, live).is_allowed());
    }
    // Holding a link gives staff (or the operator) nothing: they use the client's record instead.
    for role in Role::ALL {
        assert_eq!(
            authorize(&staff(role), Action::Create, live),
            Decision::Deny(Denial::Hidden)
        );
    }
    assert!(!authorize(&Actor::Operator, Action::Read, live).is_allowed());
}

#[test]
fn a_diary_link_lets_the_public_log_only_while_live_and_gives_staff_nothing() {
    let live = Resource::DiaryLink { live: true };
    let dead = Resource::DiaryLink { live: false };
    for action in [Action::Read, Action::Create] {
        assert!(authorize(&Actor::Public, action, live).is_allowed());
        assert_eq!(
            authorize(&Actor::Public, action, dead),
            Decision::Deny(Denial::Hidden)
        );
    }
    // Reading history, changing or removing anything is never what a diary link is for.
    for action in [Action::List, Action::Update, Action::Delete] {
        assert!(!authorize(&Actor::Public, action, live).is_allowed());
    }
    for role in Role::ALL {
        for action in [Action::Read, Action::Create] {
            assert_eq!(
                authorize(&staff(role), action, live),
                Decision::Deny(Denial::Hidden)
            );
        }
    }
    assert!(!authorize(&Actor::Operator, Action::Create, live).is_allowed());
}

/// Behaviours, entries and homework are clinical: staff reach them through `ClientClinical`, so the care team
/// writes, supervisors read, and the front desk, billing and administrators are refused.
#[test]
fn behaviour_logs_and_homework_follow_the_clinical_record() {
    use Action::*;
    use Role::*;
    #[rustfmt::skip]
    let table: &[(Role, Action, &str)] = &[
        (Clinician, Create, "HAH"), (Clinician, Read, "HAH"), (Clinician, List, "HAH"), (Clinician, Update, "HAH"),
        (Supervisor, Read, "HAA"), (Supervisor, Create, "HAF"),
        (Scheduler, Read, "FFF"), (Scheduler, Create, "FFF"),
        (Billing, Read, "FFF"), (Admin, Read, "FFF"), (Admin, Create, "FFF"),
    ];
    for (role, action, expected) in table {
        assert_eq!(
            row(*role, *action, Resource::ClientClinical),
            *expected,
            "{role:?} {action:?}"
        );
    }
}

#[test]
fn api_tokens_belong_to_their_owner() {
    let me = UserId::new();
    let actor = Actor::staff(me, vec![Role::Admin]);
    assert!(authorize(&actor, Action::Create, Resource::ApiToken { owner: me }).is_allowed());
    let other = UserId::new();
    assert_eq!(
        authorize(&actor, Action::Read, Resource::ApiToken { owner: other }),
        Decision::Deny(Denial::Hidden)
    );
    assert!(authorize(&actor, Action::Delete, Resource::ApiToken { owner: other }).is_allowed());
}

#[test]
fn the_operator_never_reads_clinical_content() {
    for action in [Action::Read, Action::Update, Action::Create] {
        assert!(!authorize(&Actor::Operator, action, Resource::ClientClinical(TEAM)).is_allowed());
    }
    assert!(authorize(&Actor::Operator, Action::Create, Resource::UserAccounts).is_allowed());
}

#[test]
fn list_scope_matches_roles() {
    assert_eq!(client_scope(&staff(Role::Scheduler)), ClientScope::All);
    assert_eq!(
        client_scope(&staff(Role::Clinician)),
        ClientScope::CareTeam {
            include_supervisees: false
        }
    );
    assert_eq!(
        client_scope(&staff(Role::Supervisor)),
        ClientScope::CareTeam {
            include_supervisees: true
        }
    );
    assert_eq!(client_scope(&Actor::Operator), ClientScope::Nothing);
}

fn any_roles() -> impl Strategy<Value = Vec<Role>> {
    proptest::sample::subsequence(Role::ALL.to_vec(), 0..=Role::ALL.len())
}

fn any_relation() -> impl Strategy<Value = ClientRelation> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, e)| ClientRelation {
        on_care_team: a,
        supervises_care_team_member: b,
        emergency_access: e,
    })
}

fn any_note_relation() -> impl Strategy<Value = NoteRelation> {
    (
        any_relation(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(client, a, s, sh, on)| NoteRelation {
            client,
            is_author: a,
            supervises_author: s,
            shared_with_me: sh,
            author_on_team: on,
        })
}

fn any_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Read),
        Just(Action::List),
        Just(Action::Create),
        Just(Action::Update),
        Just(Action::Delete),
        Just(Action::Sign),
        Just(Action::CoSign),
        Just(Action::TakeOver)
    ]
}

proptest! {
    /// Whoever may read the clinical record may also see who the client is.
    #[test]
    fn clinical_read_implies_demographic_read(roles in any_roles(), rel in any_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        if authorize(&a, Action::Read, Resource::ClientClinical(rel)).is_allowed() {
            prop_assert!(authorize(&a, Action::Read, Resource::ClientDemographics(rel)).is_allowed());
        }
    }

    /// A caller who can see the client is told "forbidden", never misled with "not found"; one who cannot is
    /// never told the record exists.
    #[test]
    fn denials_never_reveal_existence(roles in any_roles(), rel in any_relation(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        let sees = authorize(&a, Action::Read, Resource::ClientDemographics(rel)).is_allowed();
        for res in [Resource::ClientDemographics(rel), Resource::ClientClinical(rel), Resource::CareTeam(rel), Resource::ClientAccessLog(rel)] {
            match authorize(&a, action, res) {
                Decision::Deny(Denial::Hidden) => prop_assert!(!sees),
                Decision::Deny(Denial::Forbidden(_)) => prop_assert!(sees),
                Decision::Allow => {}
            }
        }
    }

    /// Without a care-team or supervision link, no combination of roles reaches clinical content.
    #[test]
    fn no_relation_no_clinical_access(roles in any_roles(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        prop_assert!(!authorize(&a, action, Resource::ClientClinical(NONE)).is_allowed());
    }

    /// Client records are never deleted, by anyone.
    #[test]
    fn nobody_deletes_client_records(roles in any_roles(), rel in any_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        prop_assert!(!authorize(&a, Action::Delete, Resource::ClientDemographics(rel)).is_allowed());
        prop_assert!(!authorize(&a, Action::Delete, Resource::ClientClinical(rel)).is_allowed());
    }
}

proptest! {
    /// A psychotherapy note is read by its author, or by the supervisor it was shared with, and by no one else
    /// whatever their roles; anyone else is not even told it exists.
    #[test]
    fn psychotherapy_notes_are_their_authors_alone(roles in any_roles(), n in any_note_relation(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        match authorize(&a, action, Resource::PsychotherapyNote(n)) {
            Decision::Allow => prop_assert!(
                n.is_author || (action == Action::Read && n.shared_with_me) || (action == Action::Create && n.client.on_care_team)
            ),
            Decision::Deny(Denial::Forbidden(_)) => prop_assert!(n.is_author || action == Action::Create),
            Decision::Deny(Denial::Hidden) => {}
        }
    }

    /// Only the author changes or signs a note, and nobody co-signs their own.
    #[test]
    fn only_authors_sign_and_never_co_sign(roles in any_roles(), n in any_note_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        for action in [Action::Update, Action::Sign] {
            if authorize(&a, action, Resource::ClinicalNote(n)).is_allowed() {
                prop_assert!(n.is_author);
            }
        }
        if n.is_author {
            prop_assert!(!authorize(&a, Action::CoSign, Resource::ClinicalNote(n)).is_allowed());
        }
        prop_assert!(!authorize(&a, Action::Delete, Resource::ClinicalNote(n)).is_allowed());
    }

    /// Creating a note rests on the care team and never on authorship: a new note's caller is its author by
    /// definition, so a rule that let authors create would let anyone write into any chart.
    #[test]
    fn authorship_never_grants_creating_a_note(roles in any_roles(), n in any_note_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        let flipped = NoteRelation { is_author: !n.is_author, ..n };
        for res in [Resource::ClinicalNote, Resource::PsychotherapyNote] {
            prop_assert_eq!(authorize(&a, Action::Create, res(n)), authorize(&a, Action::Create, res(flipped)));
            if !n.client.on_care_team {
                prop_assert!(!authorize(&a, Action::Create, res(n)).is_allowed());
            }
        }
    }

    /// An author taken off the care team no longer changes or signs any note of that client.
    #[test]
    fn only_the_care_team_writes_notes(roles in any_roles(), n in any_note_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        for res in [Resource::ClinicalNote, Resource::PsychotherapyNote] {
            for action in [Action::Create, Action::Update, Action::Sign] {
                if authorize(&a, action, res(n)).is_allowed() {
                    prop_assert!(n.client.on_care_team);
                }
            }
        }
    }

    /// A draft changes hands only when its author has left the care team, only to a clinician on that team, and
    /// never a psychotherapy note (its author's alone, whether on the team or not).
    #[test]
    fn only_the_care_team_takes_over_a_draft_whose_author_left(roles in any_roles(), n in any_note_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        if authorize(&a, Action::TakeOver, Resource::ClinicalNote(n)).is_allowed() {
            prop_assert!(n.client.on_care_team && a.is_clinical());
            prop_assert!(!n.author_on_team && !n.is_author);
        }
        prop_assert!(!authorize(&a, Action::TakeOver, Resource::PsychotherapyNote(n)).is_allowed());
    }

    /// Reading a note needs a clinical link to the client or to the author, never a role alone.
    #[test]
    fn notes_need_a_clinical_link(roles in any_roles(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        let none = NoteRelation::default();
        prop_assert!(!authorize(&a, action, Resource::ClinicalNote(none)).is_allowed());
        prop_assert!(!authorize(&a, action, Resource::PsychotherapyNote(none)).is_allowed());
    }
}

#[test]
fn a_supervisor_co_signs_their_trainees_note() {
    let sup = staff(Role::Supervisor);
    let n = NoteRelation {
        client: SUPERVISES,
        supervises_author: true,
        ..Default::default()
    };
    assert!(authorize(&sup, Action::Read, Resource::ClinicalNote(n)).is_allowed());
    assert!(authorize(&sup, Action::CoSign, Resource::ClinicalNote(n)).is_allowed());
    assert_eq!(
        code(authorize(&sup, Action::Update, Resource::ClinicalNote(n))),
        'F'
    );
    // The same supervisor sees nothing of the trainee's psychotherapy notes unless they are shared.
    assert_eq!(
        code(authorize(
            &sup,
            Action::Read,
            Resource::PsychotherapyNote(n)
        )),
        'H'
    );
    let shared = NoteRelation {
        shared_with_me: true,
        ..n
    };
    assert!(authorize(&sup, Action::Read, Resource::PsychotherapyNote(shared)).is_allowed());
    assert_eq!(
        code(authorize(
            &sup,
            Action::Update,
            Resource::PsychotherapyNote(shared)
        )),
        'H'
    );
}

#[test]
fn an_administrator_on_no_care_team_sees_no_note() {
    let admin = staff(Role::Admin);
    let n = NoteRelation::default();
    assert_eq!(
        code(authorize(&admin, Action::Read, Resource::ClinicalNote(n))),
        'F'
    );
    assert_eq!(
        code(authorize(
            &admin,
            Action::Read,
            Resource::PsychotherapyNote(n)
        )),
        'H'
    );
}

const G_NONE: GroupRelation = GroupRelation {
    facilitates: false,
    supervises_facilitator: false,
};
const G_LEADS: GroupRelation = GroupRelation {
    facilitates: true,
    supervises_facilitator: false,
};
const G_SUPERVISES: GroupRelation = GroupRelation {
    facilitates: false,
    supervises_facilitator: true,
};

/// Columns: group relation NONE, facilitates, supervises a facilitator.
fn group_row(role: Role, action: Action, res: fn(GroupRelation) -> Resource) -> String {
    [G_NONE, G_LEADS, G_SUPERVISES]
        .into_iter()
        .map(|rel| code(authorize(&staff(role), action, res(rel))))
        .collect()
}

#[test]
fn group_resources_follow_the_table() {
    use Action::*;
    use Role::*;
    type R = fn(GroupRelation) -> Resource;
    let roster: R = Resource::GroupRoster;
    let session: R = Resource::GroupSession;
    #[rustfmt::skip]
    let table: &[(Role, Action, R, &str)] = &[
        (Admin, Read, roster, "AAA"), (Admin, Update, roster, "AAA"), (Admin, Delete, roster, "FFF"),
        (Admin, Read, session, "FFF"), (Admin, Update, session, "FFF"), (Admin, Sign, session, "FFF"),

        (Clinician, Read, roster, "FAF"), (Clinician, Update, roster, "FAF"),
        (Clinician, Read, session, "HAH"), (Clinician, List, session, "HAH"), (Clinician, Create, session, "HAH"),
        (Clinician, Update, session, "HAH"), (Clinician, Sign, session, "HAH"), (Clinician, Delete, session, "HFH"),

        (Supervisor, Read, roster, "FAA"), (Supervisor, Update, roster, "FAF"),
        (Supervisor, Read, session, "HAA"), (Supervisor, Update, session, "HAF"), (Supervisor, Sign, session, "HAF"),

        (Scheduler, Read, roster, "AAA"), (Scheduler, Update, roster, "AAA"),
        (Scheduler, Read, session, "FFF"), (Scheduler, Update, session, "FFF"),

        (Billing, Read, roster, "AAA"), (Billing, Update, roster, "FFF"),
        (Billing, Read, session, "FFF"), (Billing, Create, session, "FFF"),
    ];
    let mut wrong = Vec::new();
    for (role, action, res, expected) in table {
        let got = group_row(*role, *action, *res);
        if got != *expected {
            wrong.push(format!(
                "{role:?} {action:?}: expected {expected}, got {got}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "group policy mismatches:\n{}",
        wrong.join("\n")
    );
}

fn any_group_relation() -> impl Strategy<Value = GroupRelation> {
    (any::<bool>(), any::<bool>()).prop_map(|(f, s)| GroupRelation {
        facilitates: f,
        supervises_facilitator: s,
    })
}

proptest! {
    /// Without facilitating the group or supervising a facilitator, no combination of roles reaches its sessions.
    #[test]
    fn group_sessions_need_a_link_to_the_group(roles in any_roles(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        prop_assert!(!authorize(&a, action, Resource::GroupSession(G_NONE)).is_allowed());
    }

    /// Only facilitators write; a supervisor of a facilitator reads and nothing more; nobody deletes.
    #[test]
    fn only_facilitators_write_group_sessions(roles in any_roles(), g in any_group_relation(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles.clone());
        if authorize(&a, action, Resource::GroupSession(g)).is_allowed() {
            match action {
                Action::Read | Action::List => prop_assert!(g.facilitates || g.supervises_facilitator),
                Action::Create | Action::Update | Action::Sign => prop_assert!(g.facilitates && a.is_clinical()),
                Action::Delete | Action::CoSign | Action::TakeOver => prop_assert!(false, "{action:?} allowed"),
            }
        }
    }

    /// A denial says "not found" only to someone who neither leads the group nor keeps its schedule.
    #[test]
    fn group_session_denials_reveal_no_more_than_the_schedule(roles in any_roles(), g in any_group_relation(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        let knows = a.has(Role::Admin) || a.has(Role::Scheduler) || a.has(Role::Billing)
            || (a.is_clinical() && g.facilitates) || (a.has(Role::Supervisor) && g.supervises_facilitator);
        match authorize(&a, action, Resource::GroupSession(g)) {
            Decision::Deny(Denial::Hidden) => prop_assert!(!knows),
            Decision::Deny(Denial::Forbidden(_)) => prop_assert!(knows),
            Decision::Allow => {}
        }
    }

    /// Rosters are read by whoever keeps the schedule or leads the group, never deleted.
    #[test]
    fn rosters_are_never_deleted(roles in any_roles(), g in any_group_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        prop_assert!(!authorize(&a, Action::Delete, Resource::GroupRoster(g)).is_allowed());
    }
}

#[test]
fn the_operator_and_the_public_never_read_group_sessions() {
    for action in [Action::Read, Action::Create] {
        assert!(!authorize(&Actor::Operator, action, Resource::GroupSession(G_LEADS)).is_allowed());
        assert_eq!(
            authorize(&Actor::Public, action, Resource::GroupSession(G_LEADS)),
            Decision::Deny(Denial::Hidden)
        );
    }
}

#[test]
fn the_on_call_rota_is_read_by_clinical_staff_and_planned_by_the_front_desk() {
    use Action::*;
    use Role::*;
    // Columns: Read, List, Create, Update, Delete.
    #[rustfmt::skip]
    let table: &[(Role, &str)] = &[
        (Admin,      "AAAAA"),
        (Scheduler,  "AAAAA"),
        (Clinician,  "AAFFF"),
        (Supervisor, "AAFFF"),
        (Billing,    "FFFFF"),
    ];
    for (role, expected) in table {
        let got: String = [Read, List, Create, Update, Delete]
            .into_iter()
            .map(|a| code(authorize(&staff(*role), a, Resource::OnCallRota)))
            .collect();
        assert_eq!(&got, expected, "{role:?}");
    }
    assert!(!authorize(&Actor::Public, Read, Resource::OnCallRota).is_allowed());
    assert!(!authorize(&Actor::Operator, Create, Resource::OnCallRota).is_allowed());
}

mod emergency;
mod portal;
mod records;
mod units;
