//! Exports of a client's record and record requests: the care team makes copies, the front desk logs requests,
//! and nobody else learns more than they already may.

use super::*;

#[test]
fn record_resources_follow_the_table() {
    use Action::*;
    use Role::*;
    type R = fn(ClientRelation) -> Resource;
    let record: R = Resource::ClientRecord;
    let request: R = Resource::RecordRequest;
    #[rustfmt::skip]
    let table: &[(Role, Action, R, &str)] = &[
        (Admin, Read, record, "FFF"),
        (Admin, Create, request, "AAA"), (Admin, Read, request, "AAA"), (Admin, Update, request, "FFF"),

        (Clinician, Read, record, "HAH"),
        (Clinician, Create, request, "HAH"), (Clinician, Read, request, "HAH"), (Clinician, Update, request, "HAH"),

        (Supervisor, Read, record, "HAF"),
        (Supervisor, Create, request, "HAF"), (Supervisor, Read, request, "HAA"), (Supervisor, Update, request, "HAF"),

        (Scheduler, Read, record, "FFF"),
        (Scheduler, Create, request, "AAA"), (Scheduler, Read, request, "AAA"), (Scheduler, Update, request, "FFF"),

        (Billing, Read, record, "FFF"),
        (Billing, Create, request, "FFF"), (Billing, Read, request, "FFF"), (Billing, Update, request, "FFF"),
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
        "record policy mismatches:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn an_administrator_on_no_care_team_exports_no_record() {
    let admin = staff(Role::Admin);
    assert_eq!(
        code(authorize(
            &admin,
            Action::Read,
            Resource::ClientRecord(NONE)
        )),
        'F'
    );
    // Logging a request is not reading the record, and answering it is.
    assert!(authorize(&admin, Action::Create, Resource::RecordRequest(NONE)).is_allowed());
    assert!(!authorize(&admin, Action::Update, Resource::RecordRequest(NONE)).is_allowed());
}

#[test]
fn the_register_of_requests_is_for_the_front_desk_clinicians_and_administrators() {
    for (role, allowed) in [
        (Role::Admin, true),
        (Role::Clinician, true),
        (Role::Supervisor, true),
        (Role::Scheduler, true),
        (Role::Billing, false),
    ] {
        assert_eq!(
            authorize(&staff(role), Action::List, Resource::RecordRequests).is_allowed(),
            allowed,
            "{role:?}"
        );
    }
    assert!(!authorize(&Actor::Operator, Action::Read, Resource::ClientRecord(TEAM)).is_allowed());
    assert!(
        !authorize(
            &Actor::Public,
            Action::Create,
            Resource::RecordRequest(TEAM)
        )
        .is_allowed()
    );
}

#[test]
fn the_referrals_waiting_for_an_answer_are_for_clinicians_and_supervisors_only() {
    // Minimum necessary: the front desk, billing and administrators see no clinical content off a care team.
    for (role, allowed) in [
        (Role::Admin, false),
        (Role::Clinician, true),
        (Role::Supervisor, true),
        (Role::Scheduler, false),
        (Role::Billing, false),
    ] {
        assert_eq!(
            authorize(&staff(role), Action::List, Resource::OpenReferrals).is_allowed(),
            allowed,
            "{role:?}"
        );
    }
    assert!(!authorize(&Actor::Public, Action::List, Resource::OpenReferrals).is_allowed());
}

proptest! {
    /// Whoever may export the record may read the clinical record; no combination of roles without a care-team
    /// link exports anything.
    #[test]
    fn an_export_needs_the_care_team(roles in any_roles(), rel in any_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        if authorize(&a, Action::Read, Resource::ClientRecord(rel)).is_allowed() {
            prop_assert!(rel.on_care_team);
            prop_assert!(authorize(&a, Action::Read, Resource::ClientClinical(rel)).is_allowed());
        }
        prop_assert!(!authorize(&a, Action::Read, Resource::ClientRecord(NONE)).is_allowed());
    }

    /// Refusals about exports and requests reveal no more than the caller may already know.
    #[test]
    fn record_denials_never_reveal_existence(roles in any_roles(), rel in any_relation(), action in any_action()) {
        let a = Actor::staff(UserId::new(), roles);
        let sees = authorize(&a, Action::Read, Resource::ClientDemographics(rel)).is_allowed();
        for res in [Resource::ClientRecord(rel), Resource::RecordRequest(rel)] {
            match authorize(&a, action, res) {
                Decision::Deny(Denial::Hidden) => prop_assert!(!sees),
                Decision::Deny(Denial::Forbidden(_)) => prop_assert!(sees),
                Decision::Allow => {}
            }
        }
    }

    /// Answering a request produces an export: the same people may do both.
    #[test]
    fn who_answers_a_request_may_export(roles in any_roles(), rel in any_relation()) {
        let a = Actor::staff(UserId::new(), roles);
        prop_assert_eq!(
            authorize(&a, Action::Update, Resource::RecordRequest(rel)).is_allowed(),
            authorize(&a, Action::Read, Resource::ClientRecord(rel)).is_allowed()
        );
    }
}
