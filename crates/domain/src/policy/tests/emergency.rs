//! Breaking the glass: a clinician outside the care team reads one client's record for a few hours, and nothing
//! more; administrators review every use.

use super::*;

const GLASS: ClientRelation = ClientRelation {
    on_care_team: false,
    supervises_care_team_member: false,
    emergency_access: true,
};

fn note(client: ClientRelation) -> NoteRelation {
    NoteRelation {
        client,
        ..Default::default()
    }
}

#[test]
fn emergency_access_reads_the_record_and_writes_nothing() {
    use Action::*;
    for role in [Role::Clinician, Role::Supervisor] {
        let a = staff(role);
        for res in [
            Resource::ClientDemographics(GLASS),
            Resource::ClientClinical(GLASS),
            Resource::ClinicalNote(note(GLASS)),
            Resource::CareTeam(GLASS),
        ] {
            assert!(authorize(&a, Read, res).is_allowed(), "{role:?} {res:?}");
        }
        // Nothing is written, copied or disclosed under emergency access: it is told why (the client is known).
        for (action, res) in [
            (Update, Resource::ClientClinical(GLASS)),
            (Create, Resource::ClientClinical(GLASS)),
            (Create, Resource::ClinicalNote(note(GLASS))),
            (Update, Resource::ClientDemographics(GLASS)),
            (Read, Resource::ClientRecord(GLASS)),
            (Update, Resource::RecordRequest(GLASS)),
            (Read, Resource::ClientAccessLog(GLASS)),
        ] {
            assert!(
                matches!(
                    authorize(&a, action, res),
                    Decision::Deny(Denial::Forbidden(_))
                ),
                "{role:?} {action:?} {res:?}"
            );
        }
        // A psychotherapy note stays invisible: its existence is not disclosed either.
        assert_eq!(
            authorize(&a, Read, Resource::PsychotherapyNote(note(GLASS))),
            Decision::Deny(Denial::Hidden)
        );
    }
    // The flag means nothing to roles that do not provide care.
    for role in [Role::Billing, Role::Scheduler, Role::Admin] {
        assert!(!authorize(&staff(role), Read, Resource::ClientClinical(GLASS)).is_allowed());
    }
}

#[test]
fn only_clinicians_without_another_way_in_break_the_glass() {
    use Action::*;
    use Role::*;
    let glass: fn(ClientRelation) -> Resource = Resource::EmergencyAccess;
    // Columns: relation NONE, TEAM, SUPERVISES.
    #[rustfmt::skip]
    let table: &[(Role, &str)] = &[
        (Admin, "FFF"),
        (Clinician, "AFA"),
        (Supervisor, "AFF"),
        (Scheduler, "FFF"),
        (Billing, "FFF"),
    ];
    for (role, expected) in table {
        assert_eq!(&row(*role, Create, glass), expected, "{role:?}");
    }
    assert!(!authorize(&Actor::Operator, Create, Resource::EmergencyAccess(NONE)).is_allowed());
    assert!(!authorize(&Actor::Public, Create, Resource::EmergencyAccess(NONE)).is_allowed());
}

#[test]
fn administrators_review_emergency_access() {
    for role in Role::ALL {
        let allowed = role == Role::Admin;
        for action in [Action::List, Action::Update] {
            assert_eq!(
                authorize(&staff(role), action, Resource::EmergencyReviews).is_allowed(),
                allowed,
                "{role:?} {action:?}"
            );
        }
    }
}
