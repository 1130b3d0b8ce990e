//! Jacobson–Truax reliable and clinically significant change, and the NHS Talking Therapies rules.

use super::*;
use crate::Error;
use crate::measures::change::{ClinicalOutcome, ReliableChangeOutcome, criterion_c, s_diff};
use crate::measures::instrument::Normative;
use crate::measures::{assess_change, assess_totals, talking_therapies_combined};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn s_diff_is_root_two_times_the_standard_error_of_measurement() {
    // SD 3.5, r = .84: SEM = 3.5 · 0.4 = 1.4, S_diff = 1.4 · √2.
    assert!(close(s_diff(3.5, 0.84), 1.4 * 2f64.sqrt()));
}

#[test]
fn phq9_drop_of_six_is_a_reliable_improvement_by_jacobson_truax() {
    let a = assess_totals(inst("phq9"), 15.0, 9.0).unwrap();
    let rc = a.reliable_change.unwrap();
    let rci = rc.rci.unwrap();
    assert!(close(rci.value, -6.0 / s_diff(3.5, 0.84)));
    assert!(rci.value < -1.96);
    assert_eq!(rc.outcome.value, ReliableChangeOutcome::ReliablyImproved);
    assert!(rci.definition.contains("Jacobson & Truax"));
    assert!(rc.source.contains("Kocalevent") && rc.source.contains("Kroenke"));
}

#[test]
fn phq9_drop_of_three_is_within_measurement_error() {
    let a = assess_totals(inst("phq9"), 12.0, 9.0).unwrap();
    assert_eq!(
        a.reliable_change.unwrap().outcome.value,
        ReliableChangeOutcome::NoReliableChange
    );
}

#[test]
fn phq9_rise_beyond_the_threshold_is_a_reliable_deterioration() {
    let a = assess_totals(inst("phq9"), 5.0, 12.0).unwrap();
    assert_eq!(
        a.reliable_change.unwrap().outcome.value,
        ReliableChangeOutcome::ReliablyDeteriorated
    );
    assert_eq!(
        a.clinical_significance.unwrap().outcome.value,
        ClinicalOutcome::Deteriorated
    );
}

#[test]
fn phq9_reliable_improvement_into_the_non_clinical_range_is_recovery() {
    let cs = assess_totals(inst("phq9"), 15.0, 5.0)
        .unwrap()
        .clinical_significance
        .unwrap();
    assert!(cs.clinical_at_start && !cs.clinical_at_end);
    assert_eq!(cs.cutoff.value, 10.0);
    assert_eq!(cs.outcome.value, ClinicalOutcome::Recovered);
}

#[test]
fn phq9_reliable_improvement_that_stays_above_the_cut_off_is_improvement_only() {
    let cs = assess_totals(inst("phq9"), 22.0, 14.0)
        .unwrap()
        .clinical_significance
        .unwrap();
    assert_eq!(cs.outcome.value, ClinicalOutcome::Improved);
}

#[test]
fn talking_therapies_phq9_drop_of_exactly_six_from_caseness_to_below_ten_is_reliable_recovery() {
    let t = assess_totals(inst("phq9"), 15.0, 9.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(t.caseness_at_start.value && !t.caseness_at_end.value);
    assert!(t.reliable_improvement.value && !t.reliable_deterioration.value);
    assert_eq!(t.recovery.value, Some(true));
    assert_eq!(t.reliable_recovery.value, Some(true));
}

#[test]
fn talking_therapies_phq9_drop_of_five_is_not_reliable_improvement() {
    let t = assess_totals(inst("phq9"), 14.0, 9.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(!t.reliable_improvement.value);
    assert_eq!(t.recovery.value, Some(true));
    assert_eq!(t.reliable_recovery.value, Some(false));
}

#[test]
fn talking_therapies_phq9_ending_at_ten_is_still_a_case() {
    let t = assess_totals(inst("phq9"), 16.0, 10.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(t.reliable_improvement.value);
    assert_eq!(t.recovery.value, Some(false));
}

#[test]
fn talking_therapies_recovery_is_undefined_for_someone_who_was_not_a_case() {
    let t = assess_totals(inst("phq9"), 9.0, 3.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(!t.caseness_at_start.value);
    assert_eq!(t.recovery.value, None);
    assert_eq!(t.reliable_recovery.value, None);
    assert!(t.recovery.definition.contains("not defined"));
}

#[test]
fn talking_therapies_gad7_uses_four_points_and_caseness_eight() {
    let t = assess_totals(inst("gad7"), 10.0, 6.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(t.reliable_improvement.value);
    assert_eq!(t.reliable_recovery.value, Some(true));
    let t = assess_totals(inst("gad7"), 10.0, 7.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(!t.reliable_improvement.value);
    let t = assess_totals(inst("gad7"), 7.0, 11.0)
        .unwrap()
        .talking_therapies
        .unwrap();
    assert!(t.reliable_deterioration.value && !t.caseness_at_start.value);
}

#[test]
fn gad7_without_published_jacobson_truax_parameters_reports_no_rci() {
    let a = assess_totals(inst("gad7"), 15.0, 3.0).unwrap();
    assert!(a.reliable_change.is_none());
    assert!(a.clinical_significance.is_none());
}

#[test]
fn pcl5_uses_the_published_five_point_threshold_and_cut_off_33() {
    let a = assess_totals(inst("pcl5"), 40.0, 35.0).unwrap();
    let rc = a.reliable_change.unwrap();
    assert!(rc.rci.is_none());
    assert_eq!(rc.outcome.value, ReliableChangeOutcome::ReliablyImproved);
    let a = assess_totals(inst("pcl5"), 40.0, 36.0).unwrap();
    assert_eq!(
        a.reliable_change.unwrap().outcome.value,
        ReliableChangeOutcome::NoReliableChange
    );
    let a = assess_totals(inst("pcl5"), 40.0, 32.0).unwrap();
    assert_eq!(
        a.clinical_significance.unwrap().outcome.value,
        ClinicalOutcome::Recovered
    );
}

#[test]
fn criterion_c_weights_the_means_by_the_other_samples_sd() {
    assert!(close(
        criterion_c(3.0, 3.5, 15.0, 5.5),
        (3.5 * 15.0 + 5.5 * 3.0) / 9.0
    ));
}

#[test]
fn normative_parameters_replace_the_published_cut_off_with_criterion_c() {
    let mut phq9 = inst("phq9").clone();
    if let Some(ch) = phq9.change.as_mut() {
        ch.normative = Some(Normative {
            functional_mean: 3.0,
            functional_sd: 3.5,
            clinical_mean: 15.0,
            clinical_sd: 5.5,
            source: "test".into(),
        });
    }
    let cs = assess_totals(&phq9, 15.0, 7.0)
        .unwrap()
        .clinical_significance
        .unwrap();
    assert!(close(cs.cutoff.value, criterion_c(3.0, 3.5, 15.0, 5.5)));
    assert!(!cs.clinical_at_end);
    assert!(cs.cutoff.definition.contains("Criterion c"));
}

#[test]
fn on_a_higher_is_better_scale_a_rise_is_improvement() {
    let mut phq9 = inst("phq9").clone();
    if let Some(ch) = phq9.change.as_mut() {
        ch.higher_is_better = true;
    }
    let a = assess_totals(&phq9, 5.0, 15.0).unwrap();
    assert_eq!(
        a.reliable_change.unwrap().outcome.value,
        ReliableChangeOutcome::ReliablyImproved
    );
    assert!(a.talking_therapies.unwrap().reliable_improvement.value);
}

#[test]
fn totals_outside_the_score_range_are_rejected() {
    assert!(
        matches!(assess_totals(inst("phq9"), 28.0, 3.0), Err(Error::Validation(e)) if e[0].field == "baseline")
    );
    assert!(
        matches!(assess_totals(inst("phq9"), 3.0, f64::NAN), Err(Error::Validation(e)) if e[0].field == "latest")
    );
}

#[test]
fn change_between_scores_needs_two_valid_scores_of_the_same_instrument() {
    let good = scored("phq9", &all(inst("phq9"), 2));
    let invalid = scored("phq9", &answers(&[("1", 1)]));
    let other = scored("gad7", &all(inst("gad7"), 1));
    assert!(assess_change(inst("phq9"), &good, &good).is_ok());
    assert!(
        matches!(assess_change(inst("phq9"), &invalid, &good), Err(Error::Validation(e)) if e[0].field == "baseline")
    );
    assert!(
        matches!(assess_change(inst("phq9"), &good, &other), Err(Error::Validation(e)) if e[0].field == "latest")
    );
}

#[test]
fn combined_talking_therapies_improvement_on_one_measure_without_deterioration_counts() {
    let d = assess_totals(inst("phq9"), 15.0, 9.0).unwrap();
    let a = assess_totals(inst("gad7"), 10.0, 11.0).unwrap();
    let c = talking_therapies_combined(&d, &a).unwrap();
    assert!(
        c.caseness_at_start.value
            && c.reliable_improvement.value
            && !c.reliable_deterioration.value
    );
    // The anxiety measure ends at caseness, so the person has not recovered.
    assert_eq!(c.recovery.value, Some(false));
}

#[test]
fn combined_talking_therapies_recovery_needs_both_measures_below_caseness() {
    let d = assess_totals(inst("phq9"), 8.0, 7.0).unwrap();
    let a = assess_totals(inst("gad7"), 12.0, 5.0).unwrap();
    let c = talking_therapies_combined(&d, &a).unwrap();
    assert_eq!(c.recovery.value, Some(true));
    assert_eq!(c.reliable_recovery.value, Some(true));
}

#[test]
fn combined_talking_therapies_improvement_and_deterioration_cancel() {
    let d = assess_totals(inst("phq9"), 18.0, 10.0).unwrap();
    let a = assess_totals(inst("gad7"), 5.0, 12.0).unwrap();
    let c = talking_therapies_combined(&d, &a).unwrap();
    assert!(!c.reliable_improvement.value && !c.reliable_deterioration.value);
}

#[test]
fn combined_talking_therapies_needs_thresholds_on_both_measures() {
    let d = assess_totals(inst("phq9"), 15.0, 9.0).unwrap();
    let p = assess_totals(inst("pcl5"), 40.0, 30.0).unwrap();
    assert!(talking_therapies_combined(&d, &p).is_err());
}

#[test]
fn every_figure_serialises_with_its_definition() {
    let a = assess_totals(inst("phq9"), 15.0, 9.0).unwrap();
    let json = serde_json::to_value(&a).unwrap();
    assert!(
        json["change"]["definition"]
            .as_str()
            .unwrap()
            .contains("PHQ-9")
    );
    assert!(json["reliable_change"]["rci"]["definition"].is_string());
    assert!(json["talking_therapies"]["reliable_recovery"]["definition"].is_string());
    assert_eq!(
        json["reliable_change"]["outcome"]["value"],
        "reliably_improved"
    );
}
