//! What a caller may do with one client, asked of the policy by the use case that reads the client (with the
//! relation it found in the same transaction) and handed to the page with the view. Pages show buttons from these
//! answers and never ask the policy themselves, so a button cannot promise what the use case will refuse, and the
//! relation is never guessed from what a page happens to show (a supervisor's or an emergency reader's relation is
//! not visible on the page).

use super::{Action, ClientRelation, NoteRelation, Resource, authorize};
use crate::ids::UserId;
use crate::role::Actor;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientRights {
    /// Read the clinical record (notes, plans, measures, behaviours, safety plan, medications, referrals).
    pub read_clinical: bool,
    /// Change the client's details (demographics; clinical fields need `write_clinical` as well).
    pub edit: bool,
    /// Add to or take off the care team.
    pub assign_care_team: bool,
    /// Change the clinical fields of the client's details.
    pub edit_clinical: bool,
    /// Enter clinical data: questionnaire answers, diary entries, behaviours, homework.
    pub write_clinical: bool,
    /// Start a note or a treatment plan.
    pub write_notes: bool,
    /// Export the whole record.
    pub export: bool,
    /// Log a request for the record (the front desk and the care team).
    pub log_record_request: bool,
    /// See who has portal access.
    pub manage_portal: bool,
    /// Invite the client or a guardian to the portal, and revoke access.
    pub invite_portal: bool,
    /// Read who opened the record.
    pub see_access_log: bool,
}

impl ClientRights {
    /// No right at all (a document such as the exported record carries none).
    pub fn is_nothing(&self) -> bool {
        *self == ClientRights::default()
    }

    pub fn of(actor: &Actor, rel: ClientRelation) -> ClientRights {
        let may = |action, resource| authorize(actor, action, resource).is_allowed();
        ClientRights {
            read_clinical: may(Action::Read, Resource::ClientClinical(rel)),
            edit: may(Action::Update, Resource::ClientDemographics(rel)),
            assign_care_team: may(Action::Update, Resource::CareTeam(rel)),
            edit_clinical: may(Action::Update, Resource::ClientClinical(rel)),
            write_clinical: may(Action::Create, Resource::ClientClinical(rel)),
            write_notes: may(
                Action::Create,
                Resource::ClinicalNote(NoteRelation {
                    client: rel,
                    ..NoteRelation::default()
                }),
            ),
            export: may(Action::Read, Resource::ClientRecord(rel)),
            log_record_request: may(Action::Create, Resource::RecordRequest(rel)),
            manage_portal: may(Action::List, Resource::PortalAccess(rel)),
            invite_portal: may(Action::Create, Resource::PortalAccess(rel)),
            see_access_log: may(Action::Read, Resource::ClientAccessLog(rel)),
        }
    }
}

/// What a member of staff may do across the practice, from their roles alone: asked of the policy once per request
/// (when the session is resolved) and handed to every page, for the navigation and the buttons that need no record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StaffRights {
    /// Register a new client.
    pub register_clients: bool,
    /// Create a therapy group.
    pub create_groups: bool,
    /// See the register of record requests (the front desk included).
    pub see_record_requests: bool,
    /// Read the on-call rota.
    pub see_on_call: bool,
    /// See the practice's referrals waiting for an answer (those of clients whose record one reads).
    pub see_open_referrals: bool,
    /// Change the practice's settings.
    pub change_practice_settings: bool,
    /// Book into one's own calendar.
    pub book_own_calendar: bool,
}

impl StaffRights {
    pub fn of(actor: &Actor) -> StaffRights {
        let may = |action, resource| authorize(actor, action, resource).is_allowed();
        StaffRights {
            register_clients: may(Action::Create, Resource::ClientDirectory),
            create_groups: may(Action::Create, Resource::GroupDirectory),
            see_record_requests: may(Action::List, Resource::RecordRequests),
            see_on_call: may(Action::List, Resource::OnCallRota),
            see_open_referrals: may(Action::List, Resource::OpenReferrals),
            change_practice_settings: may(Action::Update, Resource::PracticeSettings),
            book_own_calendar: actor
                .user_id()
                .is_some_and(|me| may(Action::Create, Resource::Calendar { owner: me })),
        }
    }
}

/// What a caller may do with one clinician's calendar and profile, for the appointment and availability pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CalendarRights {
    /// Change appointments in the calendar (status, time, series) and its exceptions and feed.
    pub change: bool,
    /// Change the clinician's profile: weekly hours and online-booking rules.
    pub edit_profile: bool,
}

impl CalendarRights {
    pub fn of(actor: &Actor, owner: UserId) -> CalendarRights {
        let may = |action, resource| authorize(actor, action, resource).is_allowed();
        CalendarRights {
            change: may(Action::Update, Resource::Calendar { owner }),
            edit_profile: may(Action::Update, Resource::ClinicianProfile { owner }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    fn staff(roles: &[Role]) -> Actor {
        Actor::staff(UserId::default(), roles.to_vec())
    }

    #[test]
    fn the_care_team_may_do_everything_clinical_and_the_front_desk_nothing_clinical() {
        let team = ClientRelation {
            on_care_team: true,
            ..ClientRelation::default()
        };
        let clin = ClientRights::of(&staff(&[Role::Clinician]), team);
        assert!(clin.write_notes && clin.write_clinical && clin.export && clin.edit);
        let desk = ClientRights::of(&staff(&[Role::Scheduler]), ClientRelation::default());
        assert!(!desk.write_notes && !desk.write_clinical && !desk.export);
        assert!(desk.log_record_request && desk.manage_portal);
    }

    #[test]
    fn breaking_the_glass_reads_and_writes_nothing() {
        let glass = ClientRelation {
            emergency_access: true,
            ..ClientRelation::default()
        };
        let r = ClientRights::of(&staff(&[Role::Clinician]), glass);
        assert!(!r.write_notes && !r.write_clinical && !r.edit && !r.export);
    }

    #[test]
    fn an_outsider_may_do_nothing() {
        for roles in [
            &[Role::Clinician][..],
            &[Role::Supervisor],
            &[Role::Billing],
        ] {
            let r = ClientRights::of(&staff(roles), ClientRelation::default());
            assert!(
                !r.write_notes && !r.write_clinical && !r.export && !r.see_access_log,
                "{roles:?}"
            );
        }
    }

    #[test]
    fn staff_rights_are_the_policys_answers_for_each_role() {
        for role in Role::ALL {
            let a = staff(&[role]);
            let r = StaffRights::of(&a);
            let may = |action, resource| authorize(&a, action, resource).is_allowed();
            assert_eq!(
                r.register_clients,
                may(Action::Create, Resource::ClientDirectory),
                "{role:?}"
            );
            assert_eq!(
                r.create_groups,
                may(Action::Create, Resource::GroupDirectory),
                "{role:?}"
            );
            assert_eq!(
                r.see_record_requests,
                may(Action::List, Resource::RecordRequests),
                "{role:?}"
            );
            assert_eq!(
                r.see_on_call,
                may(Action::List, Resource::OnCallRota),
                "{role:?}"
            );
            assert_eq!(
                r.see_open_referrals,
                may(Action::List, Resource::OpenReferrals),
                "{role:?}"
            );
            assert_eq!(
                r.change_practice_settings,
                may(Action::Update, Resource::PracticeSettings),
                "{role:?}"
            );
        }
        assert!(StaffRights::of(&staff(&[Role::Admin])).change_practice_settings);
        assert!(!StaffRights::of(&staff(&[Role::Clinician])).change_practice_settings);
        assert!(StaffRights::of(&staff(&[Role::Scheduler])).register_clients);
        assert!(!StaffRights::of(&staff(&[Role::Billing])).register_clients);
    }

    #[test]
    fn a_clinician_changes_their_own_calendar_and_not_a_colleagues() {
        let me = UserId(uuid::Uuid::from_u128(1));
        let colleague = UserId(uuid::Uuid::from_u128(2));
        let a = Actor::staff(me, vec![Role::Clinician]);
        assert!(StaffRights::of(&a).book_own_calendar);
        let own = CalendarRights::of(&a, me);
        assert!(own.change && own.edit_profile);
        assert_eq!(CalendarRights::of(&a, colleague), CalendarRights::default());
        // Someone without an account (a public booking) books into no calendar of their own.
        assert!(!StaffRights::of(&Actor::Public).book_own_calendar);
    }
}
