//! sea-orm entities, one per table. The schema itself is created by `migration`, never derived from these.

pub mod api_tokens;
pub mod appointment_clients;
pub mod appointment_history;
pub mod appointment_types;
pub mod appointments;
pub mod audit_head;
pub mod audit_log;
pub mod availability_exceptions;
pub mod calendar_feeds;
pub mod care_team;
pub mod clients;
pub mod clinicians;
pub mod data_keys;
pub mod episodes;
pub mod group_facilitators;
pub mod group_members;
pub mod groups;
pub mod locations;
pub mod rooms;
pub mod series;
pub mod sessions;
pub mod settings;
pub mod supervisions;
pub mod unit_members;
pub mod units;
pub mod users;
