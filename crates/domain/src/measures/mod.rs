//! Measurement-based care without I/O: instrument definitions (as embedded JSON data), scoring, and change.
//!
//! The one decision worth knowing: every published number (items, bands, cut-offs, SDs, reliabilities, NHS
//! Talking Therapies thresholds) lives in `crates/domain/instruments/*.json` next to its citation, and the code
//! only interprets it. The loader checks each file's invariants at first use, and a unit test loads them all.

pub mod acknowledgement;
pub mod change;
pub mod instrument;
pub mod library;
pub mod loinc;
pub mod progress;
pub mod schedule;
pub mod scoring;

#[cfg(test)]
mod tests;

pub use change::{
    ChangeAssessment, ClinicalOutcome, CombinedTalkingTherapiesOutcome, Figure,
    ReliableChangeOutcome, assess_change, assess_totals, talking_therapies_combined,
};
pub use instrument::{Instrument, InstrumentId, LicenceStatus, RiskLevel};
pub use library::{Library, instrument, library};
pub use progress::{
    NOT_ON_TRACK_DEFINITION, ReliableRule, Scored, TrackReason, clinical_cutoff, not_on_track,
};
pub use schedule::Schedule;
pub use scoring::{
    Answers, Band, CriticalAnswer, PopulationBand, RiskAssessment, Score, score, unanswered,
};
