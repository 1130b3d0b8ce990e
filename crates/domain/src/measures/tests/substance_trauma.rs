//! PCL-5 (Weathers et al. 2013), AUDIT and AUDIT-C (Babor et al. 2001; Bush et al. 1998; Bradley et al. 2003) and
//! DAST-10 (Skinner 1982).

use super::*;
use crate::Error;

#[test]
fn pcl5_total_runs_from_0_to_80() {
    assert_eq!(inst("pcl5").total_range(), (0, 80));
    assert_eq!(scored("pcl5", &all(inst("pcl5"), 4)).total, Some(80.0));
}

#[test]
fn pcl5_cluster_subscales_follow_dsm5() {
    let s = scored("pcl5", &all(inst("pcl5"), 4));
    let totals: Vec<(String, Option<i32>)> =
        s.subscales.into_iter().map(|x| (x.id, x.total)).collect();
    assert_eq!(
        totals,
        vec![
            ("B".into(), Some(20)),
            ("C".into(), Some(8)),
            ("D".into(), Some(28)),
            ("E".into(), Some(24))
        ]
    );
}

#[test]
fn pcl5_provisional_cut_off_is_33() {
    let pcl5 = inst("pcl5");
    assert_eq!(
        band("pcl5", &with_total(pcl5, 32)),
        "Below the provisional PTSD cut-off"
    );
    assert!(
        band("pcl5", &with_total(pcl5, 33)).starts_with("At or above the provisional PTSD cut-off")
    );
    assert_eq!(
        pcl5.change
            .as_ref()
            .unwrap()
            .clinical_cutoff
            .as_ref()
            .unwrap()
            .score,
        33.0
    );
}

#[test]
fn pcl5_with_a_missing_item_is_invalid_and_its_cluster_is_incomplete() {
    let a: Answers = all(inst("pcl5"), 2)
        .iter()
        .filter(|(k, _)| *k != "7")
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let s = scored("pcl5", &a);
    assert!(!s.valid);
    assert_eq!(s.subscales[1].total, None);
    assert_eq!(s.subscales[0].total, Some(10));
}

#[test]
fn pcl5_answer_of_five_names_the_item() {
    assert!(matches!(
        score(inst("pcl5"), &answers(&[("20", 5)])),
        Err(Error::Validation(e)) if e[0].field == "items.20"
    ));
}

fn audit(values: [i32; 10]) -> Answers {
    (1..=10).map(|i| (i.to_string(), values[i - 1])).collect()
}

#[test]
fn audit_zones_match_who_2001_at_every_boundary() {
    for (values, zone) in [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "Zone I"),
        ([4, 3, 0, 0, 0, 0, 0, 0, 0, 0], "Zone I"),
        ([4, 4, 0, 0, 0, 0, 0, 0, 0, 0], "Zone II"),
        ([4, 4, 4, 3, 0, 0, 0, 0, 0, 0], "Zone II"),
        ([4, 4, 4, 4, 0, 0, 0, 0, 0, 0], "Zone III"),
        ([4, 4, 4, 4, 3, 0, 0, 0, 0, 0], "Zone III"),
        ([4, 4, 4, 4, 4, 0, 0, 0, 0, 0], "Zone IV"),
        ([4, 4, 4, 4, 4, 4, 4, 4, 4, 4], "Zone IV"),
    ] {
        let label = band("audit", &audit(values));
        assert!(label.starts_with(zone), "{values:?} gave {label}");
    }
}

#[test]
fn audit_maximum_is_40_with_items_nine_and_ten_scoring_four() {
    assert_eq!(inst("audit").total_range(), (0, 40));
    assert_eq!(scored("audit", &audit([4; 10])).total, Some(40.0));
}

#[test]
fn audit_items_nine_and_ten_accept_only_0_2_or_4() {
    let mut a = audit([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    a.set("9", 1).set("10", 3);
    match score(inst("audit"), &a) {
        Err(Error::Validation(e)) => {
            assert_eq!(e.len(), 2);
            assert_eq!(e[0].field, "items.10");
            assert!(e[0].message.contains("0, 2, 4"));
            assert_eq!(e[1].field, "items.9");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn audit_non_drinker_needs_only_items_one_nine_and_ten() {
    let s = scored("audit", &answers(&[("1", 0), ("9", 2), ("10", 0)]));
    assert!(s.valid, "{:?}", s.invalid_reason);
    assert_eq!(s.total, Some(2.0));
    assert_eq!(s.missing, 0);
}

#[test]
fn audit_items_four_to_eight_are_skipped_when_items_two_and_three_score_zero() {
    let s = scored(
        "audit",
        &answers(&[("1", 1), ("2", 0), ("3", 0), ("9", 0), ("10", 4)]),
    );
    assert!(s.valid, "{:?}", s.invalid_reason);
    assert_eq!(s.total, Some(5.0));
}

#[test]
fn audit_with_an_asked_item_left_blank_is_invalid() {
    let a: Answers = audit([2; 10])
        .iter()
        .filter(|(k, _)| *k != "5")
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let s = scored("audit", &a);
    assert!(!s.valid);
    assert_eq!(s.missing, 1);
}

#[test]
fn auditc_is_the_first_three_audit_items_scored_0_to_12() {
    assert_eq!(inst("auditc").total_range(), (0, 12));
    assert_eq!(
        scored("auditc", &answers(&[("1", 4), ("2", 4), ("3", 4)])).total,
        Some(12.0)
    );
}

fn auditc_band(total_items: [i32; 3], population: &str) -> String {
    let a = answers(&[
        ("1", total_items[0]),
        ("2", total_items[1]),
        ("3", total_items[2]),
    ]);
    let s = scored("auditc", &a);
    assert_eq!(s.band, None, "AUDIT-C has no sex-neutral band");
    s.population_bands
        .into_iter()
        .find(|p| p.population == population)
        .unwrap()
        .band
        .label
}

#[test]
fn auditc_three_is_positive_for_women_and_negative_for_men() {
    assert!(auditc_band([2, 1, 0], "women").starts_with("Positive"));
    assert_eq!(auditc_band([2, 1, 0], "men"), "Negative screen");
}

#[test]
fn auditc_four_is_positive_for_men_and_women() {
    assert!(auditc_band([2, 1, 1], "men").starts_with("Positive"));
    assert!(auditc_band([2, 1, 1], "women").starts_with("Positive"));
}

#[test]
fn auditc_two_is_negative_for_men_and_women() {
    assert_eq!(auditc_band([2, 0, 0], "men"), "Negative screen");
    assert_eq!(auditc_band([2, 0, 0], "women"), "Negative screen");
}

/// `yes` of the nine directly scored items answered yes; item 3 ("always able to stop") answered so that it adds
/// `item3_point`.
fn dast(yes: usize, item3_point: bool) -> Answers {
    let mut a = Answers::new();
    for (n, id) in ["1", "2", "4", "5", "6", "7", "8", "9", "10"]
        .iter()
        .enumerate()
    {
        a.set(*id, i32::from(n < yes));
    }
    a.set("3", i32::from(!item3_point));
    a
}

#[test]
fn dast10_item_three_is_reverse_scored() {
    assert_eq!(scored("dast10", &dast(0, true)).total, Some(1.0));
    assert_eq!(scored("dast10", &dast(0, false)).total, Some(0.0));
}

#[test]
fn dast10_bands_match_skinner_at_every_boundary() {
    for (yes, item3, label) in [
        (0, false, "No problems reported"),
        (1, false, "Low level"),
        (2, false, "Low level"),
        (3, false, "Moderate level"),
        (5, false, "Moderate level"),
        (6, false, "Substantial level"),
        (8, false, "Substantial level"),
        (9, false, "Severe level"),
        (9, true, "Severe level"),
    ] {
        assert_eq!(
            band("dast10", &dast(yes, item3)),
            label,
            "{yes} yes, item 3 point {item3}"
        );
    }
    assert_eq!(scored("dast10", &dast(9, true)).total, Some(10.0));
}

#[test]
fn dast10_with_a_missing_answer_is_invalid() {
    let a: Answers = dast(3, false)
        .iter()
        .filter(|(k, _)| *k != "3")
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert!(!scored("dast10", &a).valid);
}

#[test]
fn dast10_accepts_only_yes_or_no() {
    assert!(matches!(
        score(inst("dast10"), &answers(&[("4", 2)])),
        Err(Error::Validation(e)) if e[0].field == "items.4"
    ));
}
