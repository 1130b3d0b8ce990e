//! Couples and families: a clinician who treats one partner opens the couple (the bug of issue 16: a primary
//! clinician got "not found"), sees only the members they may see, and changes the unit only with every member.

use super::*;

fn unit(members: &[ClientRelation]) -> Resource {
    Resource::Unit(UnitRelation::fold(members, members))
}

#[test]
fn a_clinician_of_one_partner_opens_the_couple_but_does_not_change_it() {
    let clinician = staff(Role::Clinician);
    let couple = unit(&[TEAM, NONE]);
    assert_eq!(code(authorize(&clinician, Action::Read, couple)), 'A');
    assert_eq!(code(authorize(&clinician, Action::Update, couple)), 'F');
    assert_eq!(code(authorize(&clinician, Action::Delete, couple)), 'F');
    // The partner they do not treat is not named to them.
    assert!(!authorize(&clinician, Action::Read, Resource::ClientDemographics(NONE)).is_allowed());
}

#[test]
fn units_follow_the_table() {
    use Action::*;
    use Role::*;
    // Columns: members' relations (none, none) · (team, none) · (team, team) · (supervises, none). A supervisor
    // without the clinician role changes no client's details, so no unit either (as `ClientDemographics`).
    let cases = [[NONE, NONE], [TEAM, NONE], [TEAM, TEAM], [SUPERVISES, NONE]];
    #[rustfmt::skip]
    let table: &[(Role, Action, &str)] = &[
        (Admin, Read, "AAAA"), (Admin, Update, "AAAA"), (Admin, Delete, "FFFF"),
        (Scheduler, Read, "AAAA"), (Scheduler, Create, "AAAA"), (Scheduler, Update, "AAAA"),
        (Billing, Read, "AAAA"), (Billing, Update, "FFFF"),
        (Clinician, Read, "HAAH"), (Clinician, Create, "HFAH"), (Clinician, Update, "HFAH"),
        (Clinician, Delete, "HFFH"),
        (Supervisor, Read, "HAAA"), (Supervisor, Update, "HFFF"),
    ];
    for (role, action, expected) in table {
        let got: String = cases
            .iter()
            .map(|m| code(authorize(&staff(*role), *action, unit(m))))
            .collect();
        assert_eq!(&got, expected, "{role:?} {action:?}");
    }
}

#[test]
fn a_unit_with_nobody_to_change_is_changed_by_no_clinician() {
    // "On the care team of every one of no members" must not read as true.
    let rel = UnitRelation::fold(&[TEAM], &[]);
    let r = Resource::Unit(rel);
    assert_eq!(
        code(authorize(&staff(Role::Clinician), Action::Update, r)),
        'F'
    );
}

#[test]
fn emergency_access_to_one_member_opens_the_unit_read_only() {
    let glass = ClientRelation {
        emergency_access: true,
        ..NONE
    };
    let r = unit(&[glass, NONE]);
    assert_eq!(
        code(authorize(&staff(Role::Clinician), Action::Read, r)),
        'A'
    );
    assert_eq!(
        code(authorize(&staff(Role::Clinician), Action::Update, r)),
        'F'
    );
}

#[test]
fn the_portal_the_public_and_the_command_line_never_see_a_unit() {
    let r = unit(&[TEAM, TEAM]);
    let portal = Actor::Portal {
        account: crate::ids::PortalAccountId::new(),
    };
    for actor in [Actor::Public, Actor::Operator, portal] {
        assert!(
            !authorize(&actor, Action::Read, r).is_allowed(),
            "{actor:?}"
        );
        assert!(
            !authorize(&actor, Action::Update, r).is_allowed(),
            "{actor:?}"
        );
    }
}

fn relation() -> impl Strategy<Value = ClientRelation> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(t, s, e)| ClientRelation {
        on_care_team: t,
        supervises_care_team_member: s,
        emergency_access: e,
    })
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![
        Role::Admin,
        Role::Clinician,
        Role::Supervisor,
        Role::Scheduler,
        Role::Billing,
    ])
}

proptest! {
    /// Opening a unit is exactly "may see at least one member": nobody learns of a unit through which they would
    /// learn of no client, and whoever treats one member is never turned away (the 404 of issue 16).
    #[test]
    fn a_unit_opens_exactly_for_who_sees_a_member(
        roles in prop::collection::vec(role(), 1..3),
        members in prop::collection::vec(relation(), 1..5),
    ) {
        let actor = Actor::staff(UserId::new(), roles);
        let sees_one = members
            .iter()
            .any(|m| authorize(&actor, Action::Read, Resource::ClientDemographics(*m)).is_allowed());
        let d = authorize(&actor, Action::Read, unit(&members));
        prop_assert_eq!(d.is_allowed(), sees_one);
        if !sees_one {
            prop_assert_eq!(d, Decision::Deny(Denial::Hidden));
        }
    }

    /// Changing a unit is exactly "may change every member's details".
    #[test]
    fn a_unit_changes_exactly_for_who_may_change_every_member(
        roles in prop::collection::vec(role(), 1..3),
        members in prop::collection::vec(relation(), 1..5),
    ) {
        let actor = Actor::staff(UserId::new(), roles);
        let every = members
            .iter()
            .all(|m| authorize(&actor, Action::Update, Resource::ClientDemographics(*m)).is_allowed());
        prop_assert_eq!(authorize(&actor, Action::Update, unit(&members)).is_allowed(), every);
        prop_assert_eq!(authorize(&actor, Action::Create, unit(&members)).is_allowed(), every);
    }
}
