//! Forward-only schema migrations, one file each, rendered by sea-query for SQLite and PostgreSQL alike.

mod m20261126_000001_foundation;
mod m20261126_000002_units_and_groups;
mod m20261126_000003_scheduling;
mod m20261126_000004_calendar_feeds;
mod m20261126_000005_outbox;
mod m20261126_000006_waitlist;
mod m20261126_000007_booking_links;
mod m20261126_000008_appointment_indexes;
mod m20261126_000009_notes;
mod m20261126_000010_measures;
mod m20261126_000011_plans;
mod m20261126_000012_group_sessions;
mod m20261126_000013_joint_notes;
mod m20261126_000014_behaviour;
mod m20261126_000017_record_requests;
mod m20261126_000018_group_membership_periods;
mod m20261126_000019_on_call;
mod m20261126_000020_record_request_extension;
mod m20261126_000021_portal;
mod m20261126_000022_emergency_access;
mod m20261126_000023_safety_plans;
mod m20261126_000024_medications;
mod m20261126_000025_referrals;
mod m20261207_000026_account_hardening;
mod m20261207_000027_sealed_mail;
mod m20261207_000028_idempotency;
mod m20261207_000029_outbox_lease;
mod m20261207_000030_audit_head_seal;
mod m20261207_000031_passkeys;
mod m20261207_000032_sealed_labels;
mod m20261207_000034_readiness_probe;
mod m20261207_000036_unit_periods;
mod m20261207_000037_alert_acknowledgement;
mod m20261207_000038_note_feedback;
mod m20261207_000039_audit_partitions;
mod m20261207_000040_homework_objective;

use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_units_and_groups::Migration),
            Box::new(m20261126_000003_scheduling::Migration),
            Box::new(m20261126_000004_calendar_feeds::Migration),
            Box::new(m20261126_000005_outbox::Migration),
            Box::new(m20261126_000006_waitlist::Migration),
            Box::new(m20261126_000007_booking_links::Migration),
            Box::new(m20261126_000008_appointment_indexes::Migration),
            Box::new(m20261126_000009_notes::Migration),
            Box::new(m20261126_000010_measures::Migration),
            Box::new(m20261126_000011_plans::Migration),
            Box::new(m20261126_000012_group_sessions::Migration),
            Box::new(m20261126_000013_joint_notes::Migration),
            Box::new(m20261126_000014_behaviour::Migration),
            Box::new(m20261126_000017_record_requests::Migration),
            Box::new(m20261126_000018_group_membership_periods::Migration),
            Box::new(m20261126_000019_on_call::Migration),
            Box::new(m20261126_000020_record_request_extension::Migration),
            Box::new(m20261126_000021_portal::Migration),
            Box::new(m20261126_000022_emergency_access::Migration),
            Box::new(m20261126_000023_safety_plans::Migration),
            Box::new(m20261126_000024_medications::Migration),
            Box::new(m20261126_000025_referrals::Migration),
            Box::new(m20261207_000026_account_hardening::Migration),
            Box::new(m20261207_000027_sealed_mail::Migration),
            Box::new(m20261207_000028_idempotency::Migration),
            Box::new(m20261207_000029_outbox_lease::Migration),
            Box::new(m20261207_000030_audit_head_seal::Migration),
            Box::new(m20261207_000031_passkeys::Migration),
            Box::new(m20261207_000032_sealed_labels::Migration),
            Box::new(m20261207_000034_readiness_probe::Migration),
            Box::new(m20261207_000036_unit_periods::Migration),
            Box::new(m20261207_000037_alert_acknowledgement::Migration),
            Box::new(m20261207_000038_note_feedback::Migration),
            Box::new(m20261207_000039_audit_partitions::Migration),
            Box::new(m20261207_000040_homework_objective::Migration),
        ]
    }
}

/// The names of the migrations this binary knows, to detect a database written by a newer Rapport.
pub fn known_names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}
