//! PHQ-9 (Kroenke, Spitzer & Williams 2001), PHQ-A (Johnson et al. 2002) and GAD-7 (Spitzer et al. 2006).

use super::*;
use crate::Error;

fn field_errors(id: &str, a: &Answers) -> Vec<(String, String)> {
    match score(inst(id), a) {
        Err(Error::Validation(errs)) => errs.into_iter().map(|e| (e.field, e.message)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn phq9_bands_match_kroenke_2001_at_every_boundary() {
    let phq9 = inst("phq9");
    for (total, label) in [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ] {
        assert_eq!(
            band("phq9", &with_total(phq9, total)),
            label,
            "total {total}"
        );
    }
}

#[test]
fn phq9_total_is_the_sum_of_the_nine_items() {
    let a = answers(&[
        ("1", 3),
        ("2", 2),
        ("3", 1),
        ("4", 0),
        ("5", 3),
        ("6", 2),
        ("7", 1),
        ("8", 0),
        ("9", 0),
    ]);
    let s = scored("phq9", &a);
    assert_eq!(s.total, Some(12.0));
    assert!(s.valid && !s.prorated && s.missing == 0);
}

#[test]
fn phq9_difficulty_question_is_asked_but_not_scored() {
    let mut a = all(inst("phq9"), 1);
    a.set("difficulty", 3);
    assert_eq!(scored("phq9", &a).total, Some(9.0));
}

#[test]
fn phq9_prorates_one_missing_item_from_the_mean_of_the_rest() {
    let mut a = all(inst("phq9"), 1);
    a.set("1", 3);
    let a: Answers = a
        .iter()
        .filter(|(k, _)| *k != "5")
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let s = scored("phq9", &a);
    // 10 points over 8 answered items, scaled to 9 items.
    assert_eq!(s.total, Some(10.0 * 9.0 / 8.0));
    assert!(s.valid && s.prorated);
    assert_eq!(s.missing, 1);
    assert_eq!(s.band.unwrap().label, "Moderate");
}

#[test]
fn phq9_with_two_missing_items_is_still_scored() {
    let a = answers(&[
        ("1", 2),
        ("2", 2),
        ("3", 2),
        ("4", 2),
        ("5", 2),
        ("6", 2),
        ("7", 2),
    ]);
    let s = scored("phq9", &a);
    assert_eq!(s.total, Some(18.0));
    assert!(s.valid && s.prorated);
    assert_eq!(s.missing, 2);
}

#[test]
fn phq9_with_three_missing_items_is_invalid_and_has_no_total() {
    let a = answers(&[("1", 2), ("2", 2), ("3", 2), ("4", 2), ("5", 2), ("6", 2)]);
    let s = scored("phq9", &a);
    assert!(!s.valid);
    assert_eq!(s.total, None);
    assert_eq!(s.band, None);
    assert_eq!(s.missing, 3);
    assert!(s.invalid_reason.unwrap().contains("at most 2 missing"));
}

#[test]
fn phq9_item_nine_above_zero_is_critical() {
    for v in 1..=3 {
        let mut a = all(inst("phq9"), 0);
        a.set("9", v);
        let s = scored("phq9", &a);
        assert_eq!(s.critical.len(), 1, "item 9 = {v}");
        assert_eq!(s.critical[0].item, "9");
        assert_eq!(s.critical[0].value, v);
        assert!(!s.critical[0].answer.is_empty());
    }
}

#[test]
fn phq9_item_nine_at_zero_is_not_critical() {
    let mut a = all(inst("phq9"), 3);
    a.set("9", 0);
    assert!(scored("phq9", &a).critical.is_empty());
}

#[test]
fn phq9_score_serialises_for_the_web_layer() {
    let mut a = all(inst("phq9"), 2);
    a.set("9", 1);
    let json = serde_json::to_value(scored("phq9", &a)).unwrap();
    assert_eq!(json["instrument"], "phq9");
    assert_eq!(json["total"], 17.0);
    assert_eq!(json["band"]["label"], "Moderately severe");
    assert_eq!(json["critical"][0]["item"], "9");
    assert_eq!(json["critical"][0]["answer"], "Several days");
}

#[test]
fn phq9_item_nine_is_critical_even_when_the_score_is_invalid() {
    let a = answers(&[("1", 1), ("9", 2)]);
    let s = scored("phq9", &a);
    assert!(!s.valid);
    assert_eq!(s.critical.len(), 1);
}

#[test]
fn phq9_answer_outside_the_options_names_the_item() {
    let errs = field_errors("phq9", &answers(&[("1", 4), ("2", -1)]));
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].0, "items.1");
    assert!(
        errs[0].1.contains("must be one of 0, 1, 2, 3"),
        "{}",
        errs[0].1
    );
    assert_eq!(errs[1].0, "items.2");
}

#[test]
fn phq9_answer_to_an_unknown_question_names_it() {
    let errs = field_errors("phq9", &answers(&[("10", 1)]));
    assert_eq!(
        errs,
        vec![(
            "items.10".to_owned(),
            "is not a question on the PHQ-9".to_owned()
        )]
    );
}

#[test]
fn phqa_uses_the_phq9_bands() {
    let phqa = inst("phqa");
    for (total, label) in [
        (4, "Minimal"),
        (5, "Mild"),
        (10, "Moderate"),
        (15, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ] {
        assert_eq!(
            band("phqa", &with_total(phqa, total)),
            label,
            "total {total}"
        );
    }
}

#[test]
fn phqa_extra_questions_are_not_scored_and_not_missing() {
    let mut a = all(inst("phqa"), 1);
    a.set("depressed_past_year", 1).set("difficulty", 2);
    let s = scored("phqa", &a);
    assert_eq!(s.total, Some(9.0));
    assert_eq!(s.missing, 0);
}

#[test]
fn phqa_past_month_suicidal_thoughts_and_lifetime_attempt_are_critical() {
    let mut a = all(inst("phqa"), 0);
    a.set("suicidal_thoughts_past_month", 1)
        .set("suicide_attempt_lifetime", 1);
    let items: Vec<String> = scored("phqa", &a)
        .critical
        .into_iter()
        .map(|c| c.item)
        .collect();
    assert_eq!(
        items,
        vec!["suicidal_thoughts_past_month", "suicide_attempt_lifetime"]
    );
}

#[test]
fn phqa_item_nine_above_zero_is_critical() {
    let mut a = all(inst("phqa"), 0);
    a.set("9", 1);
    assert_eq!(scored("phqa", &a).critical[0].item, "9");
}

#[test]
fn phqa_yes_no_question_rejects_other_values() {
    let errs = field_errors("phqa", &answers(&[("suicide_attempt_lifetime", 2)]));
    assert_eq!(errs[0].0, "items.suicide_attempt_lifetime");
}

#[test]
fn gad7_bands_match_spitzer_2006_at_every_boundary() {
    let gad7 = inst("gad7");
    for (total, label) in [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ] {
        assert_eq!(
            band("gad7", &with_total(gad7, total)),
            label,
            "total {total}"
        );
    }
}

#[test]
fn gad7_with_any_missing_item_is_invalid() {
    let a = answers(&[("1", 1), ("2", 1), ("3", 1), ("4", 1), ("5", 1), ("6", 1)]);
    let s = scored("gad7", &a);
    assert!(!s.valid && !s.prorated);
    assert_eq!(s.total, None);
    assert_eq!(s.missing, 1);
}

#[test]
fn gad7_has_no_critical_items() {
    assert!(scored("gad7", &all(inst("gad7"), 3)).critical.is_empty());
}

#[test]
fn gad7_answer_above_three_names_the_item() {
    let errs = field_errors("gad7", &answers(&[("7", 5)]));
    assert_eq!(errs[0].0, "items.7");
}
