//! Clinical notes without I/O: kinds and templates (which fields a note has and which must be filled before it is
//! signed), ICD-10-CM diagnosis codes, and the draft → signed → co-signed lifecycle.
//!
//! A note's content is a map from field key to text, described by its template; keeping content that shape means a
//! practice-defined template needs no schema change, and the signing hash covers exactly what was shown.

pub mod builtin;
pub mod icd10;
pub mod lifecycle;
pub mod template;

pub use builtin::{built_in, built_in_template};
pub use lifecycle::{NoteStatus, SignOutcome};
pub use template::{Content, Field, FieldKind, NoteKind, Template};
