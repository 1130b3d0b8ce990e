//! C-SSRS screener (Posner et al. 2011, Columbia triage points) and K10 (Kessler et al. 2002; ABS 2012 bands).

use super::*;
use crate::Error;
use crate::measures::RiskLevel;

fn cssrs(pairs: &[(&str, i32)]) -> Score {
    scored("cssrs_screener", &answers(pairs))
}

fn critical_items(s: &Score) -> Vec<&str> {
    s.critical.iter().map(|c| c.item.as_str()).collect()
}

#[test]
fn cssrs_all_no_is_no_risk_and_complete_without_the_skipped_questions() {
    let s = cssrs(&[("1", 0), ("2", 0), ("6", 0)]);
    assert!(s.valid, "{:?}", s.invalid_reason);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::None);
    assert!(s.critical.is_empty());
    assert_eq!(s.total, None);
}

#[test]
fn cssrs_wish_to_be_dead_alone_is_low_risk_and_critical() {
    let s = cssrs(&[("1", 1), ("2", 0), ("6", 0)]);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::Low);
    assert_eq!(critical_items(&s), vec!["1"]);
}

#[test]
fn cssrs_suicidal_thoughts_without_method_intent_or_plan_is_low_risk() {
    let s = cssrs(&[("1", 1), ("2", 1), ("3", 0), ("4", 0), ("5", 0), ("6", 0)]);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::Low);
    assert_eq!(critical_items(&s), vec!["1", "2"]);
}

#[test]
fn cssrs_thinking_about_a_method_is_moderate_risk() {
    let s = cssrs(&[("1", 1), ("2", 1), ("3", 1), ("4", 0), ("5", 0), ("6", 0)]);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::Moderate);
}

#[test]
fn cssrs_intent_or_plan_is_high_risk() {
    for item in ["4", "5"] {
        let mut a = answers(&[("1", 1), ("2", 1), ("3", 0), ("4", 0), ("5", 0), ("6", 0)]);
        a.set(item, 1);
        let s = scored("cssrs_screener", &a);
        assert_eq!(
            s.risk.as_ref().unwrap().level,
            RiskLevel::High,
            "item {item}"
        );
        assert!(critical_items(&s).contains(&item));
    }
}

#[test]
fn cssrs_behaviour_more_than_three_months_ago_is_moderate_risk() {
    let s = cssrs(&[("1", 0), ("2", 0), ("6", 1), ("6b", 0)]);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::Moderate);
    assert_eq!(critical_items(&s), vec!["6"]);
}

#[test]
fn cssrs_behaviour_in_the_past_three_months_is_high_risk() {
    let s = cssrs(&[("1", 0), ("2", 0), ("6", 1), ("6b", 1)]);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::High);
    assert_eq!(critical_items(&s), vec!["6", "6b"]);
}

#[test]
fn cssrs_follow_up_questions_left_blank_make_the_screen_invalid_but_keep_the_alert() {
    let s = cssrs(&[("1", 1), ("2", 1), ("6", 0)]);
    assert!(!s.valid);
    assert_eq!(s.missing, 3);
    assert_eq!(s.risk.as_ref().unwrap().level, RiskLevel::Low);
    assert_eq!(critical_items(&s), vec!["1", "2"]);
}

#[test]
fn cssrs_accepts_only_yes_or_no() {
    assert!(matches!(
        score(inst("cssrs_screener"), &answers(&[("6b", 2)])),
        Err(Error::Validation(e)) if e[0].field == "items.6b"
    ));
}

#[test]
fn cssrs_has_no_total_to_compare_over_time() {
    assert!(matches!(
        crate::measures::assess_totals(inst("cssrs_screener"), 0.0, 1.0),
        Err(Error::Validation(_))
    ));
}

/// Items 1–10 answered so that the total is `total` (10–50), raising items from the first.
fn k10(total: i32) -> Answers {
    let mut extra = total - 10;
    (1..=10)
        .map(|i| {
            let add = extra.min(4);
            extra -= add;
            (i.to_string(), 1 + add)
        })
        .collect()
}

#[test]
fn k10_total_runs_from_10_to_50() {
    assert_eq!(inst("k10").total_range(), (10, 50));
    assert_eq!(scored("k10", &k10(50)).total, Some(50.0));
}

#[test]
fn k10_bands_match_the_australian_bureau_of_statistics_at_every_boundary() {
    for (total, label) in [
        (10, "Low"),
        (15, "Low"),
        (16, "Moderate"),
        (21, "Moderate"),
        (22, "High"),
        (29, "High"),
        (30, "Very high"),
        (50, "Very high"),
    ] {
        assert_eq!(band("k10", &k10(total)), label, "total {total}");
    }
}

#[test]
fn k10_skipped_item_after_none_of_the_time_scores_one() {
    let mut a = k10(10);
    let a: Answers = {
        a.set("2", 1);
        a.iter()
            .filter(|(k, _)| *k != "3")
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    };
    let s = scored("k10", &a);
    assert!(s.valid, "{:?}", s.invalid_reason);
    assert_eq!(s.total, Some(10.0));
}

#[test]
fn k10_item_left_blank_when_it_should_have_been_asked_is_invalid() {
    let mut a = k10(10);
    a.set("5", 3);
    let a: Answers = a
        .iter()
        .filter(|(k, _)| *k != "6")
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let s = scored("k10", &a);
    assert!(!s.valid);
    assert_eq!(s.missing, 1);
}

#[test]
fn k10_uses_australian_scoring_so_zero_is_out_of_range() {
    assert!(matches!(
        score(inst("k10"), &answers(&[("1", 0)])),
        Err(Error::Validation(e)) if e[0].field == "items.1" && e[0].message.contains("1, 2, 3, 4, 5")
    ));
}

#[test]
fn unanswered_lists_asked_scored_items_only() {
    use crate::measures::unanswered;
    // K10 item 3 is skipped (and scored 1) after "none of the time" on item 2; item 6 is asked after item 5 > 1.
    let mut a = k10(10);
    a.set("2", 1);
    a.set("5", 3);
    let a: Answers = a
        .iter()
        .filter(|(k, _)| !matches!(*k, "3" | "6" | "7"))
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(unanswered(inst("k10"), &a), vec!["6", "7"]);
    // PHQ-9's difficulty question is not scored, so it is never required.
    let phq = all(inst("phq9"), 1);
    assert!(unanswered(inst("phq9"), &phq).is_empty());
    let mut short = Answers::new();
    short.set("1", 0);
    assert_eq!(unanswered(inst("phq9"), &short).len(), 8);
}
