//! Scheduling math, free of I/O: instants and intervals, wall-clock times in a zone (and the DST rules we follow),
//! recurrence expansion, working-hours availability, conflicts and slot search.
//!
//! Instants are UTC everywhere; a zone enters only where a person's wall clock matters (working hours, a series'
//! local time, what a client sees).

pub mod appointment;
pub mod availability;
pub mod interval;
pub mod localtime;
pub mod recurrence;
pub mod slots;
pub mod waitlist;

pub use interval::Interval;
