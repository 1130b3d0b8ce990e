//! End-to-end tests through the real HTTP server, each run against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_security;
mod alert_links;
mod audit;
mod audit_partitions;
mod audit_privacy;
mod audit_rotation;
mod behaviour;
mod behaviour_pages;
mod booking_words;
mod calendar_feed_page;
mod client_file;
mod client_picker;
mod clients;
mod database_away;
mod demo;
mod emergency;
mod export;
mod feeds;
mod full_disk;
mod group_sessions;
mod group_talk;
mod groups;
mod homework_links;
mod human_words;
mod idempotency;
mod input;
mod mail_queue;
mod matrix;
mod measures;
mod medications;
mod note_feedback;
mod note_takeover;
mod notes;
mod on_call;
mod online;
mod passkeys;
mod plans;
mod portal;
mod referrals;
mod referrals_waiting;
mod reminders;
mod robustness;
mod safety;
mod scheduling;
mod secrets_at_rest;
mod self_service;
mod settings_page;
mod several_servers;
mod sign_in_limits;
mod signin;
mod today;
mod unit_pages;
mod units;
mod viewer_zone;
mod waitlist;

/// How many audit entries are stored, in every chain: what a whole `verify` must have walked.
async fn stored_audit_entries(t: &rapport_testkit::TestApp) -> u64 {
    t.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log")
        .await[0]
        .parse()
        .unwrap()
}
