//! CORE-10 (Barkham et al. 2013; CORE System Trust): ten items rated 0–4 with items 2 and 3 reversed, a clinical
//! score of 0–40 prorated when one item is missing, the cut-off of 11, the published reliable change of 6 points,
//! the risk item 6 as a critical answer, and the copyright line its licence requires on every form.

use super::*;
use crate::measures::change::{ClinicalOutcome, ReliableChangeOutcome, assess_totals};
use crate::measures::instrument::LicenceStatus;
use crate::measures::library::check;
use crate::measures::progress::{
    ReliableRule, Scored, TrackReason, clinical_cutoff, higher_is_better, not_on_track,
};
use chrono::{Duration, TimeZone, Utc};

const LABELS: [&str; 5] = [
    "Not at all",
    "Only occasionally",
    "Sometimes",
    "Often",
    "Most or all of the time",
];

fn core() -> &'static Instrument {
    inst("core10")
}

/// Items 1–10 as ticked on the form (raw option values, before reversal).
fn ticked(values: [i32; 10]) -> Answers {
    values
        .iter()
        .enumerate()
        .map(|(n, v)| ((n + 1).to_string(), *v))
        .collect()
}

/// A complete form whose clinical score is `total`, filling items from the first; items 2 and 3 are ticked so
/// that their reversed score is what is wanted.
fn with_clinical_score(mut total: i32) -> Answers {
    let mut values = [0; 10];
    for (n, v) in values.iter_mut().enumerate() {
        let s = total.min(4);
        total -= s;
        *v = if n == 1 || n == 2 { 4 - s } else { s };
    }
    assert_eq!(total, 0, "a CORE-10 score is at most 40");
    ticked(values)
}

#[test]
fn core10_has_ten_items_rated_not_at_all_to_most_or_all_of_the_time() {
    let i = core();
    assert_eq!(i.items.len(), 10);
    for item in &i.items {
        let labels: Vec<&str> = item.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels, LABELS, "item {}", item.id);
        let values: Vec<i32> = item.options.iter().map(|o| o.value).collect();
        assert_eq!(values, [0, 1, 2, 3, 4], "item {}", item.id);
    }
    assert_eq!(i.item("6").unwrap().text, "I made plans to end my life");
    assert_eq!(i.scoring.reverse_scored, ["2", "3"]);
    assert_eq!(i.total_range(), (0, 40));
}

#[test]
fn the_two_positively_worded_items_are_scored_the_other_way_round() {
    // Nothing ticked above "not at all": the only distress is having no support and not coping (4 + 4).
    assert_eq!(scored("core10", &all(core(), 0)).total, Some(8.0));
    // Everything "most or all of the time": 8 problem items at 4, and items 2 and 3 count 0.
    assert_eq!(scored("core10", &all(core(), 4)).total, Some(32.0));
    let best = ticked([0, 4, 4, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(scored("core10", &best).total, Some(0.0));
    let worst = ticked([4, 0, 0, 4, 4, 4, 4, 4, 4, 4]);
    assert_eq!(scored("core10", &worst).total, Some(40.0));
}

#[test]
fn a_complete_form_scores_the_sum_of_its_items_after_reversal() {
    // Item 2 "often" (3) counts 1, item 3 "sometimes" (2) counts 2: 1+1+2+1+0+0+2+1+2+0 = 10.
    let s = scored("core10", &ticked([1, 3, 2, 1, 0, 0, 2, 1, 2, 0]));
    assert!(s.valid && !s.prorated);
    assert_eq!(s.total, Some(10.0));
    assert_eq!(s.band.unwrap().label, "Low level");
    assert!(s.subscales.is_empty(), "the CORE-10 has no domain scores");
}

#[test]
fn core10_bands_follow_the_published_practice_guide() {
    for (total, label) in [
        (0, "Healthy"),
        (5, "Healthy"),
        (6, "Low level"),
        (10, "Low level"),
        (11, "Mild"),
        (14, "Mild"),
        (15, "Moderate"),
        (19, "Moderate"),
        (20, "Moderate-to-severe"),
        (24, "Moderate-to-severe"),
        (25, "Severe"),
        (40, "Severe"),
    ] {
        let s = scored("core10", &with_clinical_score(total));
        assert_eq!(s.total, Some(f64::from(total)));
        assert_eq!(s.band.unwrap().label, label, "score {total}");
    }
}

#[test]
fn one_missing_item_is_prorated_from_the_mean_of_the_other_nine() {
    // Nine answers scoring 18 in all (items 2 and 3 ticked 2, so they count 2): 18 / 9 × 10 = 20.
    let a: Answers = ticked([2; 10]).iter().filter(|(k, _)| *k != "9").collect();
    let s = scored("core10", &a);
    assert!(s.valid && s.prorated);
    assert_eq!(s.missing, 1);
    assert_eq!(s.total, Some(20.0));
    assert_eq!(s.band.unwrap().label, "Moderate-to-severe");

    // Nine answers scoring 13 (items 2 and 3 ticked "most or all of the time" count 0): 14.44…, in the band of 14.
    let a: Answers = ticked([4, 4, 4, 4, 4, 1, 0, 0, 0, 0])
        .iter()
        .filter(|(k, _)| *k != "10")
        .collect();
    let s = scored("core10", &a);
    let total = s.total.unwrap();
    assert!((total - 130.0 / 9.0).abs() < 1e-9, "{total}");
    assert_eq!(s.band.unwrap().label, "Mild");
}

#[test]
fn two_missing_items_make_the_score_invalid() {
    let a: Answers = all(core(), 2)
        .iter()
        .filter(|(k, _)| *k != "1" && *k != "5")
        .collect();
    let s = scored("core10", &a);
    assert!(!s.valid);
    assert_eq!(s.total, None);
    assert_eq!(s.band, None);
    assert!(s.invalid_reason.unwrap().contains("at most 1 missing"));
}

#[test]
fn any_plan_to_end_ones_life_is_a_critical_answer_whatever_the_total() {
    let none = scored("core10", &ticked([0, 4, 4, 0, 0, 0, 0, 0, 0, 0]));
    assert!(none.critical.is_empty());

    // Otherwise the healthiest possible form: total 1, still critical.
    let s = scored("core10", &ticked([0, 4, 4, 0, 0, 1, 0, 0, 0, 0]));
    assert_eq!(s.total, Some(1.0));
    assert_eq!(s.critical.len(), 1);
    let c = &s.critical[0];
    assert_eq!((c.item.as_str(), c.value), ("6", 1));
    assert_eq!(c.answer, "Only occasionally");
    assert!(c.reason.contains("plans to end their life"));

    // Three blanks make the score invalid; the risk answer is still seen.
    let a = answers(&[
        ("1", 3),
        ("4", 2),
        ("5", 2),
        ("6", 4),
        ("7", 3),
        ("8", 3),
        ("9", 4),
    ]);
    let s = scored("core10", &a);
    assert!(!s.valid);
    assert_eq!(s.critical[0].answer, "Most or all of the time");
}

#[test]
fn on_the_core10_lower_is_better_with_the_published_cutoff_and_reliable_change() {
    let i = core();
    assert!(!higher_is_better(i));
    assert_eq!(clinical_cutoff(i), Some(11.0));
    let rule = ReliableRule::for_instrument(i).unwrap();
    assert_eq!(rule.points, 6.0);
    assert!(rule.definition.contains("published threshold"));
    assert_eq!(
        rule.outcome(20.0, 14.0),
        ReliableChangeOutcome::ReliablyImproved
    );
    assert_eq!(
        rule.outcome(20.0, 15.0),
        ReliableChangeOutcome::NoReliableChange
    );
    assert_eq!(
        rule.outcome(12.0, 18.0),
        ReliableChangeOutcome::ReliablyDeteriorated
    );
}

#[test]
fn falling_from_the_clinical_range_below_eleven_by_six_points_is_recovery() {
    let a = assess_totals(core(), 18.0, 10.0).unwrap();
    let rc = a.reliable_change.unwrap();
    assert_eq!(rc.outcome.value, ReliableChangeOutcome::ReliablyImproved);
    assert!(rc.rci.is_none(), "no SD/reliability pair is published");
    let cs = a.clinical_significance.unwrap();
    assert!(cs.clinical_at_start && !cs.clinical_at_end);
    assert_eq!(cs.outcome.value, ClinicalOutcome::Recovered);
    // Eleven is already the clinical range.
    let a = assess_totals(core(), 18.0, 11.0).unwrap();
    assert!(a.clinical_significance.unwrap().clinical_at_end);
}

fn at(day: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::days(day)
}

#[test]
fn a_six_point_rise_is_not_on_track() {
    let first = Scored {
        at: at(0),
        total: 12.0,
    };
    let latest = Scored {
        at: at(14),
        total: 18.0,
    };
    assert_eq!(
        not_on_track(core(), first, latest),
        vec![TrackReason::ReliableDeterioration]
    );
}

#[test]
fn core10_is_offered_under_its_licence_with_the_copyright_line_it_requires() {
    let l = &core().licence;
    assert_eq!(l.status, LicenceStatus::FreeNonCommercial);
    assert_eq!(
        l.notice.as_deref(),
        Some("© CORE System Trust: https://www.coresystemtrust.org.uk/copyright.pdf")
    );
    assert!(l.terms.contains("CC BY-NC-ND 4.0"));
    assert!(l.source.contains("coresystemtrust.org.uk"));
    assert!(
        core().loinc.total.is_none(),
        "no CORE-10 LOINC code was found"
    );
}

#[test]
fn a_blank_licence_notice_is_rejected() {
    let mut i = core().clone();
    i.licence.notice = Some("  ".into());
    let p = check(&i);
    assert!(p.iter().any(|m| m.contains("notice")), "{p:?}");
}
