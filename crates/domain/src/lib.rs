//! Rapport's pure domain: identifiers, roles, validated value types, the access policy, scheduling math, note
//! templates and lifecycle, and questionnaire scoring.
//!
//! Nothing in this crate performs I/O; every rule here is testable with plain unit and property tests.

pub mod behaviour;
pub mod client;
pub mod clinician;
pub mod dates;
pub mod emergency;
pub mod error;
pub mod group;
pub mod ids;
pub mod labels;
pub mod measures;
pub mod medication;
pub mod notes;
pub mod oncall;
pub mod password;
pub mod plans;
pub mod policy;
pub mod portal;
pub mod records;
pub mod referral;
pub mod role;
pub mod safety;
pub mod scheduling;
pub mod validate;
pub mod when;

pub use error::{Error, FieldError, Replayed, Result};
pub use ids::{ClientId, EpisodeId, NoteId, PortalAccountId, UserId};
pub use role::{Actor, Role};
