//! Unit and property tests of behaviour definitions, entry validation, weeks in the client's zone across DST,
//! weekly summaries, streaks, adherence and the homework tally.

use super::*;
use crate::plans::{Objective, ObjectiveStatus};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn fields(r: crate::Result<impl std::fmt::Debug>) -> Vec<String> {
    match r {
        Err(crate::Error::Validation(e)) => e.into_iter().map(|f| f.field).collect(),
        other => panic!("expected validation errors, got {other:?}"),
    }
}

fn objective(measure: &str, baseline: Option<f64>, target: f64) -> Objective {
    Objective {
        id: "p1.g1.o1".into(),
        statement: "Fewer outbursts".into(),
        measure: measure.into(),
        instrument: None,
        baseline,
        target: Some(target),
        target_date: None,
        target_weeks: None,
        current: None,
        status: ObjectiveStatus::InProgress,
        interventions: vec![],
    }
}

fn input(name: &str, kind: &str) -> BehaviourInput {
    BehaviourInput {
        name: name.into(),
        kind: kind.into(),
        ..Default::default()
    }
}

// --- definitions ---------------------------------------------------------------------------------------------

#[test]
fn a_linked_objective_lends_its_target_period_and_direction() {
    let mut i = input("Angry outbursts", "count");
    i.plan_id = Some(uuid::Uuid::nil());
    i.objective_id = Some("p1.g1.o1".into());
    let o = objective("angry outbursts per week", Some(6.0), 1.0);
    let def = define(&i, Some(&o)).unwrap();
    assert_eq!(def.direction, Direction::Reduce);
    assert_eq!(
        def.target,
        Some(Target {
            value: 1.0,
            per: Period::Week
        })
    );
    assert_eq!(
        target_words(def.kind, def.direction, def.target.unwrap()),
        "at most 1 time a week"
    );
}

#[test]
fn an_objective_in_hours_becomes_a_target_in_minutes() {
    let mut i = input("Sleep", "duration");
    i.plan_id = Some(uuid::Uuid::nil());
    i.objective_id = Some("p1.g1.o1".into());
    let o = objective("hours of sleep a night", Some(5.0), 7.0);
    let def = define(&i, Some(&o)).unwrap();
    assert_eq!(def.direction, Direction::Increase);
    assert_eq!(
        def.target,
        Some(Target {
            value: 420.0,
            per: Period::Day
        })
    );
}

#[test]
fn a_direction_that_contradicts_the_objective_is_refused() {
    let mut i = input("Drinks", "count");
    i.direction = Some("increase".into());
    i.plan_id = Some(uuid::Uuid::nil());
    i.objective_id = Some("p1.g1.o1".into());
    let o = objective("drinks per week", Some(20.0), 7.0);
    assert_eq!(fields(define(&i, Some(&o))), ["direction"]);
}

#[test]
fn every_problem_with_a_definition_is_named_at_once() {
    let i = BehaviourInput {
        name: " ".into(),
        kind: "mood".into(),
        target: Some(3.0),
        plan_id: Some(uuid::Uuid::nil()),
        ..Default::default()
    };
    assert_eq!(
        fields(define(&i, None)),
        ["name", "kind", "direction", "target_per", "objective_id"]
    );
}

#[test]
fn targets_and_scales_must_be_possible() {
    let mut i = input("Sleep", "duration");
    i.direction = Some("increase".into());
    i.target = Some(1500.0);
    i.target_per = Some("day".into());
    assert_eq!(fields(define(&i, None)), ["target"]);
    let mut i = input("Craving", "intensity");
    i.direction = Some("reduce".into());
    i.scale_min = Some(5);
    i.scale_max = Some(5);
    assert_eq!(fields(define(&i, None)), ["scale_max"]);
    i.scale_min = None;
    i.scale_max = None;
    i.target = Some(4.0);
    i.target_per = Some("day".into());
    let def = define(&i, None).unwrap();
    assert_eq!(def.kind, MeasureKind::Intensity { min: 0, max: 10 });
}

// --- entries -------------------------------------------------------------------------------------------------

#[test]
fn impossible_values_are_refused_naming_the_field() {
    let f = "entries[0].value";
    for (kind, v) in [
        (MeasureKind::Count, -1.0),
        (MeasureKind::Count, 1.5),
        (MeasureKind::Count, 201.0),
        (MeasureKind::Count, f64::NAN),
        (MeasureKind::Duration, -5.0),
        (MeasureKind::Duration, 1441.0),
        (MeasureKind::Intensity { min: 0, max: 10 }, 11.0),
        (MeasureKind::Intensity { min: 1, max: 5 }, 0.0),
        (MeasureKind::Intensity { min: 0, max: 10 }, 2.5),
    ] {
        assert_eq!(fields(check_value(kind, f, v)), [f], "{kind:?} {v}");
    }
    assert_eq!(check_value(MeasureKind::Duration, f, 450.4).unwrap(), 450.0);
    assert_eq!(check_value(MeasureKind::Count, f, 0.0).unwrap(), 0.0);
}

#[test]
fn a_day_cannot_hold_more_than_24_hours_across_entries() {
    assert!(check_day_total(MeasureKind::Duration, "v", 1000.0, 440.0).is_ok());
    assert_eq!(
        fields(check_day_total(MeasureKind::Duration, "v", 1000.0, 441.0)),
        ["v"]
    );
    assert_eq!(
        fields(check_day_total(MeasureKind::Count, "v", 150.0, 51.0)),
        ["v"]
    );
    assert!(check_day_total(MeasureKind::Intensity { min: 0, max: 10 }, "v", 10.0, 10.0).is_ok());
}

#[test]
fn dates_in_the_future_or_too_far_back_are_refused() {
    let today = d(2027, 3, 10);
    assert_eq!(fields(check_date("date", d(2027, 3, 11), today)), ["date"]);
    assert_eq!(fields(check_date("date", d(2027, 2, 6), today)), ["date"]);
    assert!(check_date("date", d(2027, 2, 7), today).is_ok());
    assert!(check_date("date", today, today).is_ok());
}

#[test]
fn a_day_sums_counts_and_keeps_the_peak_intensity() {
    assert_eq!(day_value(MeasureKind::Count, &[1.0, 2.0]), Some(3.0));
    assert_eq!(
        day_value(MeasureKind::Intensity { min: 0, max: 10 }, &[3.0, 8.0, 1.0]),
        Some(8.0)
    );
    assert_eq!(day_value(MeasureKind::Duration, &[]), None);
}

// --- weeks in the client's zone --------------------------------------------------------------------------------

#[test]
fn an_entry_after_midnight_in_berlin_belongs_to_the_next_week_across_the_spring_change() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // Sunday 28 March 2027, clocks went forward at 02:00; 22:30 UTC is already Monday 00:30 in Berlin.
    let at = Utc.with_ymd_and_hms(2027, 3, 28, 22, 30, 0).unwrap();
    let local = local_date(at, berlin);
    assert_eq!(local, d(2027, 3, 29));
    assert_eq!(iso_week_label(local), "2027-W13");
    assert_eq!(iso_week_label(at.date_naive()), "2027-W12");
}

#[test]
fn a_week_with_a_clock_change_lasts_167_or_169_hours() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let (a, b) = week_utc_range(d(2027, 3, 22), berlin);
    assert_eq!((b - a).num_hours(), 167);
    assert_eq!(a, Utc.with_ymd_and_hms(2027, 3, 21, 23, 0, 0).unwrap());
    let (a, b) = week_utc_range(d(2027, 10, 25), berlin);
    assert_eq!((b - a).num_hours(), 169);
    let ny: Tz = "America/New_York".parse().unwrap();
    // New York springs forward on Sunday 14 March 2027: the last hour of that ISO week is still in it.
    let (a, b) = week_utc_range(d(2027, 3, 8), ny);
    assert_eq!((b - a).num_hours(), 167);
    let late_sunday = Utc.with_ymd_and_hms(2027, 3, 15, 3, 30, 0).unwrap();
    assert!(late_sunday < b);
    assert_eq!(local_date(late_sunday, ny), d(2027, 3, 14));
}

#[test]
fn the_first_days_of_january_can_belong_to_last_years_iso_week() {
    assert_eq!(iso_week_label(d(2027, 1, 1)), "2026-W53");
    assert_eq!(monday_of(d(2027, 1, 3)), d(2026, 12, 28));
}

// --- summaries and streaks -----------------------------------------------------------------------------------

fn days(values: &[(NaiveDate, f64)]) -> Vec<DayValue> {
    values
        .iter()
        .map(|(date, value)| DayValue {
            date: *date,
            value: *value,
        })
        .collect()
}

const WEEKLY_TWO: Target = Target {
    value: 2.0,
    per: Period::Week,
};

#[test]
fn weekly_totals_are_judged_against_a_weekly_ceiling() {
    // Mondays: 1, 8, 15 March 2027; today is Wednesday 17 March.
    let log = days(&[
        (d(2027, 3, 1), 1.0),
        (d(2027, 3, 3), 1.0),
        (d(2027, 3, 9), 3.0),
        (d(2027, 3, 15), 1.0),
    ]);
    let w = weekly(
        MeasureKind::Count,
        Direction::Reduce,
        Some(WEEKLY_TWO),
        &log,
        d(2027, 3, 1),
        d(2027, 3, 17),
    );
    assert_eq!(w.len(), 3);
    assert_eq!(w[0].week, "2027-W09");
    assert_eq!(
        (w[0].total, w[0].days_logged, w[0].status),
        (Some(2.0), 2, TargetStatus::Met)
    );
    assert_eq!(w[1].status, TargetStatus::NotMet);
    assert_eq!(w[2].days_counted, 3);
    assert_eq!(w[2].status, TargetStatus::InProgress);
    assert!(!w[2].complete);
}

#[test]
fn a_ceiling_already_exceeded_fails_the_current_week_and_an_empty_week_is_not_logged() {
    let log = days(&[(d(2027, 3, 15), 3.0)]);
    let w = weekly(
        MeasureKind::Count,
        Direction::Reduce,
        Some(WEEKLY_TWO),
        &log,
        d(2027, 3, 1),
        d(2027, 3, 16),
    );
    assert_eq!(w[0].status, TargetStatus::NotLogged);
    assert_eq!(w[1].status, TargetStatus::NotLogged);
    assert_eq!(w[2].status, TargetStatus::NotMet);
}

#[test]
fn a_day_without_a_log_breaks_a_daily_streak_but_today_does_not_until_it_ends() {
    let sleep = Target {
        value: 420.0,
        per: Period::Day,
    };
    let start = d(2027, 3, 1);
    let mut log: Vec<(NaiveDate, f64)> = (1..=9).map(|n| (d(2027, 3, n), 450.0)).collect();
    log.retain(|(date, _)| *date != d(2027, 3, 4));
    let log = days(&log);
    let today = d(2027, 3, 10);
    let weeks = weekly(
        MeasureKind::Duration,
        Direction::Increase,
        Some(sleep),
        &log,
        start,
        today,
    );
    let s = streaks(Direction::Increase, Some(sleep), &log, &weeks, start, today);
    // 5–9 March met; 4 March missing; today (10th) not logged yet.
    assert_eq!(s.logging_days, 5);
    assert_eq!(
        s.target,
        Some(TargetStreak {
            per: Period::Day,
            current: 5,
            best: 5
        })
    );
    assert_eq!(
        weeks[0].status,
        TargetStatus::NotMet,
        "a missed day fails the week"
    );
    assert_eq!(weeks[0].days_met, Some(6));
    let s = streaks(
        Direction::Increase,
        Some(sleep),
        &log,
        &weeks,
        start,
        d(2027, 3, 11),
    );
    assert_eq!(s.logging_days, 0, "yesterday went by without a log");
}

#[test]
fn weekly_streaks_count_finished_weeks_and_skip_the_open_one() {
    let start = d(2027, 3, 1);
    let log = days(&[
        (d(2027, 3, 2), 5.0),
        (d(2027, 3, 9), 1.0),
        (d(2027, 3, 16), 0.0),
        (d(2027, 3, 22), 1.0),
    ]);
    let today = d(2027, 3, 23);
    let weeks = weekly(
        MeasureKind::Count,
        Direction::Reduce,
        Some(WEEKLY_TWO),
        &log,
        start,
        today,
    );
    let s = streaks(
        Direction::Reduce,
        Some(WEEKLY_TWO),
        &log,
        &weeks,
        start,
        today,
    );
    assert_eq!(
        s.target,
        Some(TargetStreak {
            per: Period::Week,
            current: 2,
            best: 2
        })
    );
}

#[test]
fn adherence_counts_ended_days_and_today_once_logged() {
    let start = d(2027, 3, 1);
    let log = days(&[(d(2027, 3, 1), 1.0), (d(2027, 3, 3), 0.0)]);
    let a = adherence(&log, start, d(2027, 3, 4));
    assert_eq!((a.days_logged, a.days_expected), (2, 3));
    let log2 = days(&[
        (d(2027, 3, 1), 1.0),
        (d(2027, 3, 3), 0.0),
        (d(2027, 3, 4), 0.0),
    ]);
    let a = adherence(&log2, start, d(2027, 3, 4));
    assert_eq!((a.days_logged, a.days_expected), (3, 4));
    assert_eq!(adherence(&[], start, start).ratio, None);
    let long = adherence(&log, d(2026, 1, 1), d(2027, 3, 4));
    assert_eq!(long.days_expected, ADHERENCE_WINDOW_DAYS as u32 - 1);
}

#[test]
fn homework_done_after_its_due_date_is_late() {
    let today = d(2027, 3, 10);
    let t = homework_tally(
        &[
            (d(2027, 3, 8), HomeworkStatus::Done, Some(d(2027, 3, 7))),
            (d(2027, 3, 8), HomeworkStatus::Done, Some(d(2027, 3, 9))),
            (d(2027, 3, 9), HomeworkStatus::Assigned, None),
            (d(2027, 3, 12), HomeworkStatus::Assigned, None),
            (d(2027, 3, 5), HomeworkStatus::NotDone, None),
        ],
        today,
    );
    assert_eq!(
        (
            t.done_on_time,
            t.done_late,
            t.overdue,
            t.open,
            t.not_done,
            t.due_so_far
        ),
        (1, 1, 1, 1, 1, 4)
    );
    assert_eq!(t.on_time_ratio, Some(0.25));
}

#[test]
fn homework_needs_a_title_and_a_due_date_not_in_the_past() {
    let today = d(2027, 3, 10);
    let h = HomeworkInput {
        title: "".into(),
        instructions: None,
        due_on: "2027-03-09".into(),
        ..Default::default()
    };
    assert_eq!(fields(h.validated(today, true)), ["title", "due_on"]);
    let h = HomeworkInput {
        title: "Anger log".into(),
        instructions: Some("Note the trigger each time.".into()),
        due_on: "2027-03-17".into(),
        ..Default::default()
    };
    assert_eq!(h.validated(today, true).unwrap().due_on, d(2027, 3, 17));
    let half = HomeworkInput {
        objective_id: Some("p1.g1.o1".into()),
        ..h.clone()
    };
    assert_eq!(fields(half.validated(today, true)), ["objective_id"]);
    let plan = uuid::Uuid::nil();
    let linked = HomeworkInput {
        plan_id: Some(plan),
        objective_id: Some(" p1.g1.o1 ".into()),
        ..h
    };
    assert_eq!(
        linked.validated(today, true).unwrap().objective,
        Some((plan, "p1.g1.o1".to_string()))
    );
}

proptest! {
    #[test]
    fn a_week_starts_on_its_local_monday_and_lasts_a_week_give_or_take_the_clock_change(
        weeks in 0u64..300, zone in 0usize..5
    ) {
        let tz: Tz = ["Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"][zone]
            .parse().unwrap();
        let monday = d(2025, 1, 6) + chrono::Days::new(weeks * 7);
        let (a, b) = week_utc_range(monday, tz);
        let minutes = (b - a).num_minutes();
        prop_assert!((167 * 60..=169 * 60).contains(&minutes), "{minutes}");
        prop_assert_eq!(local_date(a, tz), monday);
        prop_assert_eq!(local_date(b - chrono::Duration::seconds(1), tz), monday + chrono::Days::new(6));
    }

    #[test]
    fn weekly_summaries_cover_each_day_once(
        offset in 0u64..60, span in 0u64..120, logged in proptest::collection::vec(0u64..120, 0..40)
    ) {
        let start = d(2027, 1, 1) + chrono::Days::new(offset);
        let today = start + chrono::Days::new(span);
        let distinct: std::collections::BTreeSet<u64> = logged.into_iter().filter(|n| *n <= span).collect();
        let log: Vec<DayValue> = distinct
            .into_iter()
            .map(|n| DayValue { date: start + chrono::Days::new(n), value: 1.0 })
            .collect();
        let w = weekly(MeasureKind::Count, Direction::Reduce, Some(WEEKLY_TWO), &log, start, today);
        let counted: u32 = w.iter().map(|x| x.days_counted).sum();
        prop_assert_eq!(counted as u64, span + 1);
        let logged_days: u32 = w.iter().map(|x| x.days_logged).sum();
        prop_assert_eq!(logged_days as usize, log.len());
        let s = streaks(Direction::Reduce, Some(WEEKLY_TWO), &log, &w, start, today);
        let t = s.target.unwrap();
        prop_assert!(t.current <= t.best);
        prop_assert!(t.best as usize <= w.len());
        prop_assert!(s.logging_days as usize <= log.len());
        let a = adherence(&log, start, today);
        prop_assert!(a.days_logged <= a.days_expected);
        prop_assert!(a.days_expected as u64 <= ADHERENCE_WINDOW_DAYS);
    }

    #[test]
    fn every_accepted_count_is_a_whole_number_within_a_day(v in -1000.0f64..1000.0) {
        if let Ok(x) = check_value(MeasureKind::Count, "v", v) {
            prop_assert!(x >= 0.0 && x <= f64::from(DAILY_COUNT_MAX) && x.fract() == 0.0);
        }
        if let Ok(x) = check_value(MeasureKind::Duration, "v", v) {
            prop_assert!((0.0..=1440.0).contains(&x));
        }
    }
}
