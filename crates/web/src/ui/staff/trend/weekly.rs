//! A small bar chart of a behaviour's weeks: one bar per ISO week (the week's total, or the mean per logged day
//! when the target is daily or the measure an intensity), coloured by whether the target was met, with the
//! target as a dashed line. Same rules as the trend chart: no inline style, `role="img"` with a `<title>` and a
//! `<desc>` in words, and the page shows the same numbers in a table.

use super::{esc, num};
use rapport_domain::behaviour::{MeasureKind, Period, Target, TargetStatus, WeekSummary};
use std::fmt::Write;

const W: f64 = 560.0;
const H: f64 = 190.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 548.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 150.0;

/// Whether the chart plots the week's mean per logged day rather than its total.
pub fn plots_mean(kind: MeasureKind, target: Option<Target>) -> bool {
    !kind.sums() || target.is_some_and(|t| t.per == Period::Day)
}

/// A value as people read it: durations in hours (one decimal), everything else as a plain number.
pub fn value_words(kind: MeasureKind, v: f64) -> String {
    match kind {
        MeasureKind::Duration => format!("{} h", num((v / 60.0 * 10.0).round() / 10.0)),
        _ => num((v * 10.0).round() / 10.0),
    }
}

/// The number a week's bar shows.
pub fn plotted(kind: MeasureKind, target: Option<Target>, w: &WeekSummary) -> Option<f64> {
    if plots_mean(kind, target) {
        w.mean
    } else {
        w.total
    }
}

fn status_class(s: TargetStatus) -> &'static str {
    match s {
        TargetStatus::Met => " bar-met",
        TargetStatus::NotMet => " bar-not_met",
        _ => "",
    }
}

/// The chart, or `None` when no week has an entry. `id` makes the title and description ids unique on a page.
pub fn weekly_svg(
    name: &str,
    kind: MeasureKind,
    target: Option<Target>,
    weeks: &[WeekSummary],
    id: &str,
) -> Option<String> {
    let values: Vec<Option<f64>> = weeks.iter().map(|w| plotted(kind, target, w)).collect();
    if values.iter().all(Option::is_none) {
        return None;
    }
    let what = if plots_mean(kind, target) {
        "mean per logged day"
    } else {
        "weekly total"
    };
    let mut max = values.iter().flatten().copied().fold(0.0, f64::max);
    if let Some(t) = target {
        max = max.max(t.value);
    }
    if let Some((_, hi)) = kind.scale() {
        max = f64::from(hi);
    }
    let max = if max <= 0.0 { 1.0 } else { max * 1.1 };
    let y = |v: f64| BOTTOM - (v.max(0.0) / max) * (BOTTOM - TOP);
    let n = weeks.len().max(1) as f64;
    let slot = (RIGHT - LEFT) / n;
    let bar = (slot * 0.6).min(36.0);
    let mut desc = format!("{name}, {what} per week:");
    for (w, v) in weeks.iter().zip(&values) {
        let _ = write!(
            desc,
            " {} {};",
            w.week,
            v.map(|v| value_words(kind, v))
                .unwrap_or_else(|| "no entries".into())
        );
    }
    if let Some(t) = target {
        let _ = write!(desc, " target line at {}.", value_words(kind, t.value));
    }
    let id = esc(id);
    let mut s = String::with_capacity(2048 + weeks.len() * 200);
    let _ = write!(
        s,
        r#"<svg class="week-chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{} by week</title><desc id="{id}-d">{}</desc>"#,
        esc(name),
        esc(&desc)
    );
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}"/><line class="axis" x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end">0</text>"#,
        LEFT - 6.0,
        TOP + 8.0,
        esc(&value_words(kind, max / 1.1)),
        LEFT - 6.0,
        BOTTOM + 4.0
    );
    for (i, (w, v)) in weeks.iter().zip(&values).enumerate() {
        let cx = LEFT + slot * (i as f64 + 0.5);
        if let Some(v) = v {
            let top = y(*v);
            let _ = write!(
                s,
                r#"<g><title>{}: {} ({})</title><rect class="bar{}" x="{:.1}" y="{top:.1}" width="{bar:.1}" height="{:.1}"/></g>"#,
                esc(&w.week),
                esc(&value_words(kind, *v)),
                w.status.label(),
                status_class(w.status),
                cx - bar / 2.0,
                (BOTTOM - top).max(0.5)
            );
        }
        // Label every week when there is room, else every other one.
        if weeks.len() <= 8 || i % 2 == 0 {
            let _ = write!(
                s,
                r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle">W{}</text>"#,
                BOTTOM + 16.0,
                esc(w.week.rsplit('W').next().unwrap_or(""))
            );
        }
    }
    if let Some(t) = target {
        let ty = y(t.value);
        let _ = write!(
            s,
            r#"<line class="target" x1="{LEFT}" y1="{ty:.1}" x2="{RIGHT}" y2="{ty:.1}" stroke-dasharray="6 4"/><text class="target-label" x="{:.1}" y="{:.1}">target {}</text>"#,
            LEFT + 4.0,
            ty - 4.0,
            esc(&value_words(kind, t.value))
        );
    }
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="{:.1}">{}</text></svg>"#,
        H - 8.0,
        esc(what)
    );
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn week(label: &str, total: Option<f64>, status: TargetStatus) -> WeekSummary {
        WeekSummary {
            week: label.into(),
            monday: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            days_counted: 7,
            days_logged: u32::from(total.is_some()),
            total,
            mean: total,
            days_met: None,
            status,
            complete: true,
        }
    }

    #[test]
    fn a_weekly_chart_is_an_accessible_image_without_inline_style() {
        let weeks = [
            week("2027-W09", Some(3.0), TargetStatus::NotMet),
            week("2027-W10", None, TargetStatus::NotLogged),
            week("2027-W11", Some(1.0), TargetStatus::Met),
        ];
        let t = Target {
            value: 2.0,
            per: Period::Week,
        };
        let svg = weekly_svg(
            "Outbursts <home>",
            MeasureKind::Count,
            Some(t),
            &weeks,
            "b1",
        )
        .unwrap();
        assert!(svg.contains(r#"role="img""#) && svg.contains(r#"aria-labelledby="b1-t b1-d""#));
        assert!(svg.contains("<title id=\"b1-t\">Outbursts &lt;home&gt; by week</title>"));
        assert!(svg.contains("2027-W10 no entries"));
        assert!(svg.contains("bar bar-met") && svg.contains("bar bar-not_met"));
        assert!(svg.contains("target 2"));
        assert!(!svg.contains("style="));
        assert_eq!(
            svg.matches("<rect").count(),
            2,
            "no bar for a week without entries"
        );
    }

    #[test]
    fn durations_read_in_hours_and_empty_weeks_draw_nothing() {
        assert_eq!(value_words(MeasureKind::Duration, 450.0), "7.5 h");
        assert!(
            weekly_svg(
                "Sleep",
                MeasureKind::Duration,
                None,
                &[week("2027-W09", None, TargetStatus::NoTarget)],
                "x"
            )
            .is_none()
        );
    }
}
