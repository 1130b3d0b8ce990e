//! End-to-end tests through the real HTTP server, each run against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_security;
mod audit;
mod audit_privacy;
mod audit_rotation;
mod behaviour;
mod behaviour_pages;
mod clients;
mod demo;
mod emergency;
mod export;
mod feeds;
mod group_sessions;
mod groups;
mod idempotency;
mod input;
mod matrix;
mod measures;
mod medications;
mod note_takeover;
mod notes;
mod on_call;
mod online;
mod plans;
mod portal;
mod referrals;
mod reminders;
mod robustness;
mod safety;
mod scheduling;
mod secrets_at_rest;
mod self_service;
mod sign_in_limits;
mod signin;
mod units;
mod waitlist;
