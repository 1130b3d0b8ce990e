//! The client portal: an account reads its own clients' records and nothing else; staff never use the portal's
//! view; portal access is managed by the front desk and the care team.

use super::*;
use crate::ids::PortalAccountId;
use crate::portal::{Capacity, PortalRelation};

fn portal() -> Actor {
    Actor::Portal {
        account: PortalAccountId::new(),
    }
}

fn rel(grant: Option<Capacity>, client_is_minor: bool) -> PortalRelation {
    PortalRelation {
        grant,
        client_is_minor,
    }
}

/// Every other resource, with the most generous relation each can carry.
fn everything_else() -> Vec<Resource> {
    let owner = UserId::new();
    let note = NoteRelation {
        client: TEAM,
        is_author: true,
        supervises_author: true,
        shared_with_me: true,
        author_on_team: true,
    };
    let group = GroupRelation {
        facilitates: true,
        supervises_facilitator: true,
    };
    vec![
        Resource::ClientDirectory,
        Resource::ClientDemographics(TEAM),
        Resource::ClientClinical(TEAM),
        Resource::CareTeam(TEAM),
        Resource::ClinicalNote(note),
        Resource::PsychotherapyNote(note),
        Resource::ClientAccessLog(TEAM),
        Resource::ClientRecord(TEAM),
        Resource::RecordRequest(TEAM),
        Resource::RecordRequests,
        Resource::OpenReferrals,
        Resource::ClinicianProfile { owner },
        Resource::GroupDirectory,
        Resource::GroupRoster(group),
        Resource::GroupSession(group),
        Resource::Calendar { owner },
        Resource::PracticeSettings,
        Resource::Waitlist,
        Resource::OnlineBooking { enabled: true },
        Resource::MeasureLink { live: true },
        Resource::BookingLink { live: true },
        Resource::DiaryLink { live: true },
        Resource::UserAccounts,
        Resource::Supervision,
        Resource::AuditLog,
        Resource::ApiToken { owner },
        Resource::PortalAccess(TEAM),
        Resource::OnCallRota,
    ]
}

const ACTIONS: [Action; 8] = [
    Action::Read,
    Action::List,
    Action::Create,
    Action::Update,
    Action::Delete,
    Action::Sign,
    Action::CoSign,
    Action::TakeOver,
];

#[test]
fn a_portal_account_reads_only_a_record_its_grant_is_in_force_for() {
    let a = portal();
    for read in [Action::Read, Action::List] {
        assert!(
            authorize(
                &a,
                read,
                Resource::OwnRecord(rel(Some(Capacity::Client), false))
            )
            .is_allowed()
        );
        assert!(
            authorize(
                &a,
                read,
                Resource::OwnRecord(rel(Some(Capacity::Client), true))
            )
            .is_allowed()
        );
        assert!(
            authorize(
                &a,
                read,
                Resource::OwnRecord(rel(Some(Capacity::Guardian), true))
            )
            .is_allowed()
        );
        for out in [
            rel(Some(Capacity::Guardian), false),
            rel(None, true),
            rel(None, false),
        ] {
            assert_eq!(
                authorize(&a, read, Resource::OwnRecord(out)),
                Decision::Deny(Denial::Hidden),
                "{out:?}"
            );
        }
    }
    // Reading is all the portal does with the record: changes go through the practice.
    for write in [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Sign,
        Action::CoSign,
        Action::TakeOver,
    ] {
        assert_eq!(
            authorize(
                &a,
                write,
                Resource::OwnRecord(rel(Some(Capacity::Client), false))
            ),
            Decision::Deny(Denial::Hidden)
        );
    }
}

#[test]
fn an_account_cancels_its_peoples_appointments_and_nothing_else_about_them() {
    let a = portal();
    let own = |grant, minor| Resource::OwnAppointment(rel(grant, minor));
    assert!(authorize(&a, Action::Update, own(Some(Capacity::Client), false)).is_allowed());
    assert!(authorize(&a, Action::Update, own(Some(Capacity::Guardian), true)).is_allowed());
    for out in [own(Some(Capacity::Guardian), false), own(None, false)] {
        assert_eq!(
            authorize(&a, Action::Update, out),
            Decision::Deny(Denial::Hidden)
        );
    }
    for action in [Action::Create, Action::Delete, Action::Sign] {
        assert_eq!(
            authorize(&a, action, own(Some(Capacity::Client), false)),
            Decision::Deny(Denial::Hidden)
        );
    }
    for role in Role::ALL {
        assert_eq!(
            authorize(
                &staff(role),
                Action::Update,
                own(Some(Capacity::Client), false)
            ),
            Decision::Deny(Denial::Hidden)
        );
    }
}

#[test]
fn the_record_document_follows_the_grant_and_the_practice_setting() {
    let a = portal();
    let doc = |grant, minor, shares| Resource::OwnRecordDocument {
        rel: rel(grant, minor),
        practice_shares: shares,
    };
    assert!(authorize(&a, Action::Read, doc(Some(Capacity::Client), false, true)).is_allowed());
    // Not shared by the practice: the account is told why (it knows the client, it is theirs).
    assert!(matches!(
        authorize(&a, Action::Read, doc(Some(Capacity::Client), false, false)),
        Decision::Deny(Denial::Forbidden(_))
    ));
    // No grant in force: nothing exists, whatever the setting.
    for shares in [true, false] {
        assert_eq!(
            authorize(
                &a,
                Action::Read,
                doc(Some(Capacity::Guardian), false, shares)
            ),
            Decision::Deny(Denial::Hidden)
        );
        assert_eq!(
            authorize(&a, Action::Read, doc(None, true, shares)),
            Decision::Deny(Denial::Hidden)
        );
    }
    for role in Role::ALL {
        assert_eq!(
            authorize(
                &staff(role),
                Action::Read,
                doc(Some(Capacity::Client), false, true)
            ),
            Decision::Deny(Denial::Hidden)
        );
    }
}

#[test]
fn a_portal_account_reaches_nothing_else_and_learns_nothing_exists() {
    let a = portal();
    for res in everything_else() {
        for action in ACTIONS {
            assert_eq!(
                authorize(&a, action, res),
                Decision::Deny(Denial::Hidden),
                "{action:?} {res:?}"
            );
        }
    }
    assert_eq!(client_scope(&a), ClientScope::Nothing);
}

#[test]
fn staff_the_operator_and_the_public_never_use_the_portals_view() {
    let mine = Resource::OwnRecord(rel(Some(Capacity::Client), false));
    for role in Role::ALL {
        assert_eq!(
            authorize(&staff(role), Action::Read, mine),
            Decision::Deny(Denial::Hidden),
            "{role:?}"
        );
    }
    assert!(!authorize(&Actor::Operator, Action::Read, mine).is_allowed());
    assert!(!authorize(&Actor::Public, Action::Read, mine).is_allowed());
}

#[test]
fn portal_access_is_managed_by_the_front_desk_and_the_care_team() {
    use Action::*;
    use Role::*;
    type R = fn(ClientRelation) -> Resource;
    let access: R = Resource::PortalAccess;
    // Columns: relation NONE, TEAM, SUPERVISES.
    #[rustfmt::skip]
    let table: &[(Role, Action, &str)] = &[
        (Admin, Read, "AAA"), (Admin, Create, "AAA"), (Admin, Delete, "AAA"),
        (Scheduler, Read, "AAA"), (Scheduler, Create, "AAA"), (Scheduler, Delete, "AAA"),
        (Clinician, Read, "HAH"), (Clinician, Create, "HAH"), (Clinician, Delete, "HAH"),
        (Supervisor, Read, "HAA"), (Supervisor, Create, "HAF"), (Supervisor, Delete, "HAF"),
        (Billing, Read, "FFF"), (Billing, Create, "FFF"),
    ];
    for (role, action, expected) in table {
        assert_eq!(
            &row(*role, *action, access),
            expected,
            "{role:?} {action:?}"
        );
    }
    assert!(!authorize(&Actor::Operator, Create, Resource::PortalAccess(TEAM)).is_allowed());
    assert!(!authorize(&Actor::Public, Read, Resource::PortalAccess(TEAM)).is_allowed());
}
