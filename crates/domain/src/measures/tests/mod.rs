//! Tests of the instrument library, scoring and change statistics against the published numbers.

mod alliance;
mod change;
mod library;
mod phq_gad;
mod progress;
mod properties;
mod risk_distress;
mod session_outcome;
mod substance_trauma;

use super::instrument::Instrument;
use super::library::instrument;
use super::scoring::{Answers, Score, score};

pub(super) fn inst(id: &str) -> &'static Instrument {
    instrument(id).unwrap()
}

pub(super) fn answers(pairs: &[(&str, i32)]) -> Answers {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

/// Every scored item answered with `value`.
pub(super) fn all(instrument: &Instrument, value: i32) -> Answers {
    instrument
        .scored_items()
        .map(|i| (i.id.clone(), value))
        .collect()
}

/// Scored items answered so that the total is exactly `total`, filling items from the first with their maximum.
/// Only for instruments whose items all run from 0 with step 1 and no skip logic.
pub(super) fn with_total(instrument: &Instrument, mut total: i32) -> Answers {
    let mut a = Answers::new();
    for item in instrument.scored_items() {
        let v = total.min(item.max_value());
        a.set(item.id.clone(), v);
        total -= v;
    }
    assert_eq!(total, 0, "total too large for {}", instrument.id);
    a
}

pub(super) fn scored(id: &str, a: &Answers) -> Score {
    score(inst(id), a).unwrap()
}

pub(super) fn band(id: &str, a: &Answers) -> String {
    scored(id, a).band.unwrap().label
}
