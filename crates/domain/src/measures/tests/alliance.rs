//! WAI-SR (Hatcher & Gillaspy 2006): twelve items rated 1–5, Goal, Task and Bond subscales of four items each, and
//! the first "higher is better" scale in the library, so every reading of a total in a direction is checked here.

use super::*;
use crate::measures::change::{ReliableChangeOutcome, assess_totals};
use crate::measures::instrument::{LicenceStatus, PublishedThreshold};
use crate::measures::progress::{
    ReliableRule, Scored, TrackReason, clinical_cutoff, higher_is_better, most_severe_band,
    not_on_track,
};
use crate::plans::{MeasuredStatus, measure_objective};
use chrono::{Duration, TimeZone, Utc};

fn wai() -> &'static Instrument {
    inst("wai_sr")
}

fn subscale(s: &Score, id: &str) -> Option<i32> {
    s.subscales.iter().find(|x| x.id == id).unwrap().total
}

/// Items of one subscale answered `hi`, all others `lo`.
fn only(items: &[&str], hi: i32, lo: i32) -> Answers {
    (1..=12)
        .map(|n| n.to_string())
        .map(|id| {
            let v = if items.contains(&id.as_str()) { hi } else { lo };
            (id, v)
        })
        .collect()
}

#[test]
fn wai_sr_has_twelve_items_rated_seldom_to_always() {
    let i = wai();
    assert_eq!(i.items.len(), 12);
    for item in &i.items {
        let labels: Vec<&str> = item.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Seldom",
                "Sometimes",
                "Fairly often",
                "Very often",
                "Always"
            ]
        );
        assert_eq!((item.min_value(), item.max_value()), (1, 5), "{}", item.id);
    }
    assert!(i.scoring.reverse_scored.is_empty());
    assert_eq!(i.total_range(), (12, 60));
}

#[test]
fn wai_sr_total_is_the_sum_of_all_twelve_items() {
    assert_eq!(scored("wai_sr", &all(wai(), 1)).total, Some(12.0));
    assert_eq!(scored("wai_sr", &all(wai(), 5)).total, Some(60.0));
    assert_eq!(scored("wai_sr", &all(wai(), 3)).total, Some(36.0));
}

#[test]
fn wai_sr_subscales_follow_the_published_key() {
    // Goal 4, 6, 8, 11; Task 1, 2, 10, 12; Bond 3, 5, 7, 9 (Hatcher & Gillaspy 2006).
    for (id, items) in [
        ("goal", ["4", "6", "8", "11"]),
        ("task", ["1", "2", "10", "12"]),
        ("bond", ["3", "5", "7", "9"]),
    ] {
        let s = scored("wai_sr", &only(&items, 5, 1));
        assert_eq!(s.total, Some(28.0), "{id}");
        for other in ["goal", "task", "bond"] {
            let want = if other == id { 20 } else { 4 };
            assert_eq!(subscale(&s, other), Some(want), "{id} high, {other}");
        }
    }
}

#[test]
fn an_incomplete_wai_sr_is_not_scored() {
    let a: Answers = all(wai(), 4).iter().filter(|(k, _)| *k != "7").collect();
    let s = scored("wai_sr", &a);
    assert!(!s.valid);
    assert_eq!(s.total, None);
    assert_eq!(subscale(&s, "bond"), None);
    assert_eq!(subscale(&s, "goal"), Some(16));
}

#[test]
fn wai_sr_has_no_bands_no_critical_answers_and_is_not_offered() {
    let s = scored("wai_sr", &all(wai(), 1));
    assert_eq!(s.band, None);
    assert!(s.critical.is_empty());
    assert!(wai().critical_items.is_empty());
    assert_eq!(wai().licence.status, LicenceStatus::NeedsReview);
}

#[test]
fn on_the_wai_sr_higher_is_better_and_no_change_rule_is_invented() {
    assert!(higher_is_better(wai()));
    assert!(!higher_is_better(inst("phq9")));
    assert!(ReliableRule::for_instrument(wai()).is_none());
    assert_eq!(clinical_cutoff(wai()), None);
    assert_eq!(most_severe_band(wai()), None);
    let a = assess_totals(wai(), 30.0, 50.0).unwrap();
    assert!(a.higher_is_better);
    assert!(a.change.definition.contains("higher scores are better"));
    assert!(a.reliable_change.is_none());
}

fn at(day: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::days(day)
}

fn sc(day: i64, total: f64) -> Scored {
    Scored { at: at(day), total }
}

#[test]
fn a_falling_alliance_is_never_flagged_without_a_published_rule() {
    assert!(not_on_track(wai(), sc(0, 55.0), sc(90, 20.0)).is_empty());
}

/// The WAI-SR with a reliable-change threshold and a cut-off, as a practice might add once published ones exist:
/// the direction must then turn a fall into deterioration and a low start into the clinical range.
fn wai_with_rule() -> Instrument {
    let mut i = wai().clone();
    let ch = i.change.as_mut().unwrap();
    ch.published_reliable_change = Some(PublishedThreshold {
        points: 8.0,
        source: "test".into(),
    });
    ch.clinical_cutoff = Some(crate::measures::instrument::ClinicalCutoff {
        score: 40.0,
        source: "test".into(),
    });
    i
}

#[test]
fn with_a_rule_a_fall_is_deterioration_and_a_rise_improvement() {
    let i = wai_with_rule();
    let rule = ReliableRule::for_instrument(&i).unwrap();
    assert!(rule.higher_is_better);
    assert_eq!(
        rule.outcome(50.0, 42.0),
        ReliableChangeOutcome::ReliablyDeteriorated
    );
    assert_eq!(
        rule.outcome(30.0, 38.0),
        ReliableChangeOutcome::ReliablyImproved
    );
    assert_eq!(
        not_on_track(&i, sc(0, 50.0), sc(14, 42.0)),
        vec![TrackReason::ReliableDeterioration]
    );
    assert!(not_on_track(&i, sc(0, 30.0), sc(14, 38.0)).is_empty());
}

#[test]
fn with_a_cutoff_a_low_start_is_the_clinical_range_when_higher_is_better() {
    let i = wai_with_rule();
    // Started below the cut-off (weak alliance) and six weeks on still no reliable rise: a prompt to look.
    assert_eq!(
        not_on_track(&i, sc(0, 30.0), sc(42, 33.0)),
        vec![TrackReason::NoReliableImprovement]
    );
    // Started at or above it: no room to improve reliably is expected.
    assert!(not_on_track(&i, sc(0, 45.0), sc(42, 46.0)).is_empty());
}

#[test]
fn a_plan_target_on_the_wai_sr_is_met_at_or_above_it() {
    use crate::plans::{Objective, ObjectiveStatus};
    let o = Objective {
        id: "p1.g1.o1".into(),
        statement: "A working alliance we both trust".into(),
        measure: "WAI-SR total".into(),
        instrument: Some("wai_sr".into()),
        baseline: Some(30.0),
        target: Some(48.0),
        target_date: None,
        target_weeks: None,
        current: None,
        status: ObjectiveStatus::InProgress,
        interventions: vec![],
    };
    let m = measure_objective(&o, wai(), &[sc(0, 30.0), sc(28, 50.0)]);
    assert_eq!(m.status, MeasuredStatus::Met);
    assert!(m.definition.contains("at or above"));
    let m = measure_objective(&o, wai(), &[sc(0, 30.0), sc(28, 40.0)]);
    assert_eq!(m.status, MeasuredStatus::Progressing);
    let m = measure_objective(&o, wai(), &[sc(0, 30.0), sc(28, 25.0)]);
    assert_eq!(m.status, MeasuredStatus::NotProgressing);
}
