//! The trend rule (which change a chart marks as reliable) and the "not on track" definition.

use super::*;
use crate::measures::change::ReliableChangeOutcome;
use crate::measures::progress::{
    ReliableRule, Scored, TrackReason, band_of, clinical_cutoff, most_severe_band, not_on_track,
};
use chrono::{Duration, TimeZone, Utc};

fn at(day: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::days(day)
}

fn s(day: i64, total: f64) -> Scored {
    Scored { at: at(day), total }
}

#[test]
fn phq9_and_gad7_trends_use_the_talking_therapies_points() {
    let phq = ReliableRule::for_instrument(inst("phq9")).unwrap();
    assert_eq!(phq.points, 6.0);
    assert!(phq.definition.contains("NHS Talking Therapies"));
    assert_eq!(
        phq.outcome(15.0, 9.0),
        ReliableChangeOutcome::ReliablyImproved
    );
    assert_eq!(
        phq.outcome(15.0, 10.0),
        ReliableChangeOutcome::NoReliableChange
    );
    assert_eq!(
        phq.outcome(8.0, 14.0),
        ReliableChangeOutcome::ReliablyDeteriorated
    );
    let gad = ReliableRule::for_instrument(inst("gad7")).unwrap();
    assert_eq!(gad.points, 4.0);
    assert_eq!(
        gad.outcome(12.0, 8.0),
        ReliableChangeOutcome::ReliablyImproved
    );
    assert_eq!(
        gad.outcome(12.0, 9.0),
        ReliableChangeOutcome::NoReliableChange
    );
}

#[test]
fn other_instruments_use_the_published_threshold_or_none() {
    let pcl = ReliableRule::for_instrument(inst("pcl5")).unwrap();
    assert_eq!(
        pcl.outcome(50.0, 45.0),
        ReliableChangeOutcome::ReliablyImproved
    );
    assert_eq!(
        pcl.outcome(50.0, 46.0),
        ReliableChangeOutcome::NoReliableChange
    );
    assert!(ReliableRule::for_instrument(inst("k10")).is_none());
    assert!(ReliableRule::for_instrument(inst("cssrs_screener")).is_none());
}

#[test]
fn the_cutoff_and_the_most_severe_band_come_from_the_instrument_file() {
    assert_eq!(clinical_cutoff(inst("phq9")), Some(10.0));
    assert_eq!(clinical_cutoff(inst("gad7")), Some(8.0));
    assert_eq!(clinical_cutoff(inst("k10")), None);
    assert_eq!(most_severe_band(inst("phq9")).unwrap().label, "Severe");
    // A prorated 19.5 rounds to 20: severe, like the scorer places it.
    assert_eq!(band_of(inst("phq9"), 19.5).unwrap().label, "Severe");
    assert_eq!(
        band_of(inst("phq9"), 19.4).unwrap().label,
        "Moderately severe"
    );
}

#[test]
fn a_score_in_the_most_severe_band_is_not_on_track() {
    let r = not_on_track(inst("phq9"), s(0, 21.0), s(14, 22.0));
    assert_eq!(r, vec![TrackReason::MostSevereBand]);
}

#[test]
fn reliable_deterioration_is_not_on_track_at_once() {
    let r = not_on_track(inst("phq9"), s(0, 8.0), s(14, 14.0));
    assert_eq!(r, vec![TrackReason::ReliableDeterioration]);
}

#[test]
fn no_reliable_improvement_counts_only_after_six_weeks_in_the_clinical_range() {
    let phq = inst("phq9");
    assert!(
        not_on_track(phq, s(0, 14.0), s(41, 12.0)).is_empty(),
        "too early"
    );
    assert_eq!(
        not_on_track(phq, s(0, 14.0), s(42, 12.0)),
        vec![TrackReason::NoReliableImprovement]
    );
    assert!(
        not_on_track(phq, s(0, 14.0), s(70, 8.0)).is_empty(),
        "improved"
    );
    assert!(
        not_on_track(phq, s(0, 6.0), s(90, 6.0)).is_empty(),
        "started below the cut-off"
    );
}

#[test]
fn instruments_without_a_rule_are_judged_by_their_bands_only() {
    let k10 = inst("k10");
    assert!(not_on_track(k10, s(0, 28.0), s(120, 28.0)).is_empty());
    assert_eq!(
        not_on_track(k10, s(0, 28.0), s(14, 35.0)),
        vec![TrackReason::MostSevereBand]
    );
}
