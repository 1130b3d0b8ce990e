//! The SVG builder: scales, band edges, how valid, prorated and invalid points are drawn, and what the chart
//! says in words.

use super::*;
use chrono::{Duration, TimeZone};
use rapport_app::measures::BandRange;
use rapport_domain::measures::{ReliableRule, instrument};
use uuid::Uuid;

fn at(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::days(day)
}

fn pt(day: i64, total: Option<f64>, valid: bool) -> ResponsePoint {
    ResponsePoint {
        id: Uuid::nil(),
        completed_at: at(day),
        total,
        valid,
        prorated: false,
        band: None,
        risk_level: None,
        critical: false,
        entered_via: "client_link",
        reliable_change: None,
    }
}

fn phq9(points: Vec<ResponsePoint>) -> InstrumentResults {
    let i = instrument("phq9").unwrap();
    InstrumentResults {
        instrument: i.id.clone(),
        name: i.name.clone(),
        short_name: i.short_name.clone(),
        loinc_total: None,
        higher_is_better: Some(false),
        bands: i
            .bands
            .iter()
            .map(|b| BandRange {
                low: b.low,
                high: b.high,
                label: b.label.clone(),
            })
            .collect(),
        min_score: 0,
        max_score: 27,
        cutoff: Some(10.0),
        trend_rule: ReliableRule::for_instrument(i),
        not_on_track: vec![],
        responses: points,
        change: None,
        change_note: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn the_score_axis_runs_from_the_lowest_total_at_the_bottom_to_the_highest_at_the_top() {
    let sc = Scale::new(0.0, 27.0, at(0), at(70));
    assert!(close(sc.y(0.0), BOTTOM));
    assert!(close(sc.y(27.0), TOP));
    assert!(close(sc.y(13.5), (TOP + BOTTOM) / 2.0));
    // Out-of-range values are held at the edges rather than drawn outside the plot.
    assert!(close(sc.y(40.0), TOP));
}

#[test]
fn the_time_axis_places_first_and_last_inside_the_padding_and_a_single_point_in_the_middle() {
    let sc = Scale::new(0.0, 27.0, at(0), at(70));
    assert!(close(sc.x(at(0)), LEFT + PAD));
    assert!(close(sc.x(at(70)), RIGHT - PAD));
    assert!(close(sc.x(at(35)), (LEFT + RIGHT) / 2.0));
    let one = Scale::new(0.0, 27.0, at(3), at(3));
    assert!(close(one.x(at(3)), (LEFT + RIGHT) / 2.0));
}

#[test]
fn band_zones_meet_halfway_between_whole_scores_and_stay_inside_the_range() {
    let z = zones(&phq9(vec![pt(0, Some(12.0), true)]));
    let edges: Vec<(f64, f64, &str, usize)> = z
        .iter()
        .map(|z| (z.low, z.high, z.label.as_str(), z.shade))
        .collect();
    assert_eq!(
        edges,
        vec![
            (0.0, 4.5, "Minimal", 0),
            (4.5, 9.5, "Mild", 1),
            (9.5, 14.5, "Moderate", 2),
            (14.5, 19.5, "Moderately severe", 3),
            (19.5, 27.0, "Severe", 4),
        ]
    );
    let svg = trend_svg(&phq9(vec![pt(0, Some(12.0), true)]), "t").unwrap();
    // The Minimal zone: from 4.5 down to 0, i.e. y from 169.0 to 200.0.
    let sc = Scale::new(0.0, 27.0, at(0), at(0));
    let (y0, y1) = (sc.y(4.5), sc.y(0.0));
    assert!(svg.contains(&format!(
        r#"<rect class="band band-s0" x="40" y="{y0:.1}" width="470.0" height="{:.1}"/>"#,
        y1 - y0
    )));
    assert!(svg.contains(">Moderately severe</text>"));
}

#[test]
fn where_higher_is_better_the_lowest_band_is_shaded_most_severe() {
    let mut r = phq9(vec![pt(0, Some(12.0), true)]);
    r.higher_is_better = Some(true);
    let z = zones(&r);
    let shades: Vec<(&str, usize)> = z.iter().map(|z| (z.label.as_str(), z.shade)).collect();
    assert_eq!(shades[0], ("Minimal", 4));
    assert_eq!(shades[4], ("Severe", 0));
}

#[test]
fn a_scale_without_bands_gets_no_zones_but_still_a_chart() {
    let mut r = phq9(vec![pt(0, Some(40.0), true), pt(14, Some(52.0), true)]);
    r.higher_is_better = Some(true);
    r.bands.clear();
    r.min_score = 12;
    r.max_score = 60;
    r.cutoff = None;
    r.trend_rule = None;
    assert!(zones(&r).is_empty());
    let svg = trend_svg(&r, "t").unwrap();
    assert!(!svg.contains("class=\"band "));
    assert!(svg.contains("role=\"img\""));
    assert!(summary(&r).ends_with("Higher scores are better on the PHQ-9."));
    r.higher_is_better = Some(false);
    assert!(!summary(&r).contains("Higher scores are better"));
}

#[test]
fn valid_prorated_and_invalid_points_are_drawn_differently() {
    let mut prorated = pt(14, Some(13.5), true);
    prorated.prorated = true;
    let invalid = pt(28, None, false);
    let svg = trend_svg(&phq9(vec![pt(0, Some(15.0), true), prorated, invalid]), "t").unwrap();
    let plot = svg.split(r#"<g class="legend">"#).next().unwrap();
    assert_eq!(plot.matches(r#"<circle class="pt" cx"#).count(), 1);
    assert_eq!(
        plot.matches(r#"<circle class="pt pt-prorated" cx"#).count(),
        1
    );
    // The invalid one is a cross on the time axis with its own tooltip, and is not part of the line.
    assert_eq!(plot.matches(r#"<g class="pt-invalid"><title>"#).count(), 1);
    assert!(svg.contains("30 Mar 2026: PHQ-9 not valid"));
    let line = svg
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(line.split(' ').count(), 2);
    assert!(svg.contains("13.5, prorated"));
}

#[test]
fn reliable_change_from_the_first_score_is_ringed() {
    let mut better = pt(42, Some(8.0), true);
    better.reliable_change = Some(ReliableChangeOutcome::ReliablyImproved);
    let mut same = pt(14, Some(13.0), true);
    same.reliable_change = Some(ReliableChangeOutcome::NoReliableChange);
    let svg = trend_svg(&phq9(vec![pt(0, Some(15.0), true), same, better]), "t").unwrap();
    assert_eq!(
        svg.matches(r#"<circle class="rc rc-improved" cx"#).count(),
        2,
        "the point and the legend"
    );
    assert_eq!(
        svg.matches(r#"<circle class="rc rc-deteriorated" cx"#)
            .count(),
        1,
        "the legend only"
    );
}

#[test]
fn the_chart_is_an_image_with_a_title_and_a_description_of_first_and_latest() {
    let mut first = pt(0, Some(17.0), true);
    first.band = Some("Moderately severe".into());
    let mut last = pt(56, Some(8.0), true);
    last.band = Some("Mild".into());
    last.reliable_change = Some(ReliableChangeOutcome::ReliablyImproved);
    let svg = trend_svg(&phq9(vec![first, last]), "trend-phq9").unwrap();
    assert!(svg.starts_with("<svg class=\"trend-chart\""));
    assert!(svg.contains(r#"role="img" aria-labelledby="trend-phq9-t trend-phq9-d""#));
    assert!(svg.contains(r#"<title id="trend-phq9-t">PHQ-9 trend</title>"#));
    let desc = svg.split("<desc id=\"trend-phq9-d\">").nth(1).unwrap();
    assert!(desc.starts_with(
        "PHQ-9 scores from 2 Mar 2026 to 27 Apr 2026: first 17 (Moderately severe), latest 8 (Mild); 2 responses. Latest against first: reliable improvement."
    ), "{desc}");
    assert!(desc.contains("NHS Talking Therapies") && desc.contains("Clinical cut-off: 10."));
    // The cut-off line sits at 10 on the score axis.
    let y = Scale::new(0.0, 27.0, at(0), at(56)).y(10.0);
    assert!(svg.contains(&format!(r#"<line class="cutoff" x1="40" y1="{y:.1}""#)));
    assert!(!svg.contains("style="), "the CSP forbids inline styles");
}

#[test]
fn text_is_escaped_and_risk_only_instruments_get_no_chart() {
    let mut r = phq9(vec![pt(0, Some(3.0), true)]);
    r.short_name = "<b>&".into();
    let svg = trend_svg(&r, "x\"y").unwrap();
    assert!(svg.contains("&lt;b&gt;&amp; trend") && svg.contains("x&quot;y-t"));
    let mut risk = pt(0, None, true);
    risk.risk_level = Some("high".into());
    assert!(trend_svg(&phq9(vec![risk]), "t").is_none());
    assert!(trend_svg(&phq9(vec![]), "t").is_none());
}

#[test]
fn a_sparkline_draws_the_valid_totals_left_to_right() {
    let svg = sparkline_svg(&[17.0, 12.0, 8.0], 0, 27, "PHQ-9: 17 → 8");
    assert!(svg.contains(r#"role="img" aria-label="PHQ-9: 17 → 8""#));
    let pts = svg
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let xs: Vec<f64> = pts
        .split(' ')
        .map(|p| p.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(xs, vec![3.0, 60.0, 117.0]);
    assert!(sparkline_svg(&[9.0], 0, 27, "one").contains("spark-last"));
    assert!(!sparkline_svg(&[9.0], 0, 27, "one").contains("polyline"));
}
