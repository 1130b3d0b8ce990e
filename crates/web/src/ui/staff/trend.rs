//! Server-rendered SVG charts of measure scores: a trend per instrument (severity bands as shaded zones, the
//! clinical cut-off, a point per response, rings where the change from the first score is reliable) and a small
//! sparkline for the caseload. Pure functions from results to markup; no script, no external crate.
//!
//! The strict CSP forbids `style=""`, so everything visual is a presentation attribute (geometry, `fill="none"`,
//! dash patterns) or a class styled in `app.css`. Each chart is `role="img"` with a `<title>` and a `<desc>` that
//! says in words what the picture shows; the page puts the same points in a table beside it.

use chrono::{DateTime, Utc};
use rapport_app::measures::{InstrumentResults, ResponsePoint};
use rapport_domain::measures::ReliableChangeOutcome;
use std::fmt::Write;

pub mod weekly;

const W: f64 = 640.0;
const H: f64 = 260.0;
/// The plot area; the right margin holds the band labels, the bottom the dates and the legend.
const LEFT: f64 = 40.0;
const RIGHT: f64 = 510.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 200.0;
/// Keeps the first and last points off the plot's edges.
const PAD: f64 = 12.0;

/// Escapes text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A score as people write it: whole numbers without decimals, prorated totals to one decimal.
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

pub fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// Maps scores and instants to chart coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    min: f64,
    max: f64,
    t0: i64,
    t1: i64,
}

impl Scale {
    pub fn new(min: f64, max: f64, first: DateTime<Utc>, last: DateTime<Utc>) -> Scale {
        Scale {
            min,
            max: if max > min { max } else { min + 1.0 },
            t0: first.timestamp(),
            t1: last.timestamp(),
        }
    }

    pub fn y(&self, v: f64) -> f64 {
        let v = v.clamp(self.min, self.max);
        BOTTOM - (v - self.min) / (self.max - self.min) * (BOTTOM - TOP)
    }

    /// A single point, or points all at one instant, sit in the middle.
    pub fn x(&self, at: DateTime<Utc>) -> f64 {
        if self.t1 <= self.t0 {
            return (LEFT + RIGHT) / 2.0;
        }
        let f = (at.timestamp() - self.t0) as f64 / (self.t1 - self.t0) as f64;
        LEFT + PAD + f * (RIGHT - LEFT - 2.0 * PAD)
    }
}

/// One shaded zone: bands are published on whole scores, so a band's edges sit half a point outside them (where
/// rounding puts a prorated total), clipped to the score range.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub low: f64,
    pub high: f64,
    pub label: String,
    /// 0 (least severe) to 4 (most severe), for the fill class.
    pub shade: usize,
}

pub fn zones(r: &InstrumentResults) -> Vec<Zone> {
    let (min, max) = (f64::from(r.min_score), f64::from(r.max_score));
    let n = r.bands.len();
    let higher_is_better = r.higher_is_better.unwrap_or(false);
    r.bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let rank = if higher_is_better { n - 1 - i } else { i };
            Zone {
                low: (f64::from(b.low) - 0.5).max(min),
                high: (f64::from(b.high) + 0.5).min(max),
                label: b.label.clone(),
                shade: if n > 1 {
                    (rank * 4 + (n - 1) / 2) / (n - 1)
                } else {
                    0
                },
            }
        })
        .collect()
}

/// A short label for the margin: the part before a colon ("Zone IV"), or the first words.
fn short_label(label: &str) -> String {
    let head = label.split(':').next().unwrap_or(label).trim();
    if head.chars().count() <= 18 {
        return head.to_string();
    }
    let mut s: String = head.chars().take(17).collect();
    s.push('…');
    s
}

/// A tick step that gives at most about six labels.
fn tick_step(range: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        .into_iter()
        .find(|s| range / s <= 6.0)
        .unwrap_or(100.0)
}

fn plotted(p: &ResponsePoint) -> Option<f64> {
    p.total.filter(|_| p.valid)
}

fn outcome_words(o: ReliableChangeOutcome) -> &'static str {
    match o {
        ReliableChangeOutcome::ReliablyImproved => "reliable improvement",
        ReliableChangeOutcome::ReliablyDeteriorated => "reliable deterioration",
        ReliableChangeOutcome::NoReliableChange => "no reliable change",
    }
}

/// The point's reliable-change verdict in words, for tables and tooltips; empty when there is none.
pub fn change_words(p: &ResponsePoint) -> &'static str {
    p.reliable_change.map(outcome_words).unwrap_or("")
}

fn with_band(v: f64, band: Option<&str>) -> String {
    match band {
        Some(b) => format!("{} ({b})", num(v)),
        None => num(v),
    }
}

/// What the chart shows, in one paragraph: the `<desc>`, and the caption above the data table.
pub fn summary(r: &InstrumentResults) -> String {
    let n = r.responses.len();
    let mut s = String::new();
    let (Some(first), Some(last)) = (r.responses.first(), r.responses.last()) else {
        return format!("No {} responses yet.", r.short_name);
    };
    let _ = write!(
        s,
        "{} scores from {} to {}",
        r.short_name,
        day(first.completed_at),
        day(last.completed_at)
    );
    let valid: Vec<&ResponsePoint> = r
        .responses
        .iter()
        .filter(|p| plotted(p).is_some())
        .collect();
    match (valid.first(), valid.last()) {
        (Some(f), Some(l)) if valid.len() > 1 => {
            let _ = write!(
                s,
                ": first {}, latest {}",
                with_band(f.total.unwrap_or_default(), f.band.as_deref()),
                with_band(l.total.unwrap_or_default(), l.band.as_deref())
            );
        }
        (Some(only), _) => {
            let _ = write!(
                s,
                ": one valid score, {}",
                with_band(only.total.unwrap_or_default(), only.band.as_deref())
            );
        }
        _ => s.push_str(": no valid score yet"),
    }
    let _ = write!(s, "; {n} response{}", if n == 1 { "" } else { "s" });
    let invalid = n - valid.len();
    if invalid > 0 {
        let _ = write!(s, ", {invalid} not valid");
    }
    let prorated = valid.iter().filter(|p| p.prorated).count();
    if prorated > 0 {
        let _ = write!(s, ", {prorated} prorated");
    }
    s.push('.');
    if let (Some(rule), Some(o)) = (&r.trend_rule, valid.last().and_then(|l| l.reliable_change)) {
        let _ = write!(
            s,
            " Latest against first: {}. {}",
            outcome_words(o),
            rule.definition
        );
    }
    if let Some(c) = r.cutoff {
        let _ = write!(s, " Clinical cut-off: {}.", num(c));
    }
    // Every symptom scale reads "lower is better", which a reader assumes; the other way round must be said.
    if r.higher_is_better == Some(true) {
        let _ = write!(s, " Higher scores are better on the {}.", r.short_name);
    }
    s
}

/// The trend chart of one instrument, or `None` for instruments without a total (the C-SSRS screener gives a
/// risk level; a table says more than a line would). `id` makes the title and description ids unique on a page.
pub fn trend_svg(r: &InstrumentResults, id: &str) -> Option<String> {
    if r.responses.is_empty()
        || r.responses
            .iter()
            .all(|p| p.total.is_none() && p.risk_level.is_some())
    {
        return None;
    }
    let (first, last) = (r.responses.first()?, r.responses.last()?);
    let sc = Scale::new(
        f64::from(r.min_score),
        f64::from(r.max_score),
        first.completed_at,
        last.completed_at,
    );
    let id = esc(id);
    let mut s = String::with_capacity(4096 + r.responses.len() * 256);
    let _ = write!(
        s,
        r#"<svg class="trend-chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{} trend</title><desc id="{id}-d">{}</desc>"#,
        esc(&r.short_name),
        esc(&summary(r))
    );
    // Severity bands as shaded zones, labelled in the right margin where they are tall enough to read.
    for z in zones(r) {
        let (y0, y1) = (sc.y(z.high), sc.y(z.low));
        let _ = write!(
            s,
            r#"<rect class="band band-s{}" x="{LEFT}" y="{y0:.1}" width="{:.1}" height="{:.1}"/>"#,
            z.shade,
            RIGHT - LEFT,
            y1 - y0
        );
        if y1 - y0 >= 11.0 {
            let _ = write!(
                s,
                r#"<text class="band-label" x="{:.1}" y="{:.1}">{}</text>"#,
                RIGHT + 6.0,
                (y0 + y1) / 2.0 + 4.0,
                esc(&short_label(&z.label))
            );
        }
    }
    axes(&mut s, &sc, r, first.completed_at, last.completed_at);
    if let Some(c) = r.cutoff {
        let y = sc.y(c);
        let _ = write!(
            s,
            r#"<line class="cutoff" x1="{LEFT}" y1="{y:.1}" x2="{RIGHT}" y2="{y:.1}" stroke-dasharray="6 4"/><text class="cutoff-label" x="{:.1}" y="{:.1}">cut-off {}</text>"#,
            LEFT + 4.0,
            y - 4.0,
            num(c)
        );
    }
    let line: Vec<String> = r
        .responses
        .iter()
        .filter_map(|p| plotted(p).map(|v| format!("{:.1},{:.1}", sc.x(p.completed_at), sc.y(v))))
        .collect();
    if line.len() > 1 {
        let _ = write!(
            s,
            r#"<polyline class="trend-line" fill="none" points="{}"/>"#,
            line.join(" ")
        );
    }
    for p in &r.responses {
        point(&mut s, &sc, &r.short_name, p);
    }
    legend(&mut s, r.cutoff.is_some(), r.trend_rule.is_some());
    s.push_str("</svg>");
    Some(s)
}

fn axes(s: &mut String, sc: &Scale, r: &InstrumentResults, t0: DateTime<Utc>, t1: DateTime<Utc>) {
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}"/><line class="axis" x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}"/>"#
    );
    let (min, max) = (f64::from(r.min_score), f64::from(r.max_score));
    let step = tick_step(max - min);
    let mut v = (min / step).ceil() * step;
    while v <= max + 1e-9 {
        let y = sc.y(v);
        let _ = write!(
            s,
            r#"<line class="tick" x1="{:.1}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}"/><text class="tick-label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 4.0,
            LEFT - 6.0,
            y + 4.0,
            num(v)
        );
        v += step;
    }
    let _ = write!(
        s,
        r#"<text class="tick-label" x="{LEFT}" y="{:.1}">{}</text>"#,
        BOTTOM + 16.0,
        day(t0)
    );
    if t1 > t0 {
        let _ = write!(
            s,
            r#"<text class="tick-label" x="{RIGHT}" y="{:.1}" text-anchor="end">{}</text>"#,
            BOTTOM + 16.0,
            day(t1)
        );
    }
}

fn point(s: &mut String, sc: &Scale, short_name: &str, p: &ResponsePoint) {
    let x = sc.x(p.completed_at);
    let when = day(p.completed_at);
    let Some(v) = plotted(p) else {
        // Not scored: a cross on the time axis, so the gap in the line is explained.
        let y = BOTTOM - 6.0;
        let _ = write!(
            s,
            r#"<g class="pt-invalid"><title>{when}: {} not valid (not scored)</title><path d="M{:.1},{:.1} l8,8 m0,-8 l-8,8"/></g>"#,
            esc(short_name),
            x - 4.0,
            y - 4.0
        );
        return;
    };
    let y = sc.y(v);
    let mut title = format!("{when}: {}", with_band(v, p.band.as_deref()));
    if p.prorated {
        title.push_str(", prorated");
    }
    if p.critical {
        title.push_str(", critical answer");
    }
    if let Some(o) = p
        .reliable_change
        .filter(|o| *o != ReliableChangeOutcome::NoReliableChange)
    {
        title.push_str(", ");
        title.push_str(outcome_words(o));
    }
    let _ = write!(s, "<g><title>{}</title>", esc(&title));
    match p.reliable_change {
        Some(ReliableChangeOutcome::ReliablyImproved) => {
            let _ = write!(
                s,
                r#"<circle class="rc rc-improved" cx="{x:.1}" cy="{y:.1}" r="8" fill="none"/>"#
            );
        }
        Some(ReliableChangeOutcome::ReliablyDeteriorated) => {
            let _ = write!(
                s,
                r#"<circle class="rc rc-deteriorated" cx="{x:.1}" cy="{y:.1}" r="8" fill="none"/>"#
            );
        }
        _ => {}
    }
    let mut class = String::from("pt");
    if p.prorated {
        class.push_str(" pt-prorated");
    }
    if p.critical {
        class.push_str(" pt-critical");
    }
    let _ = write!(
        s,
        r#"<circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="4"/></g>"#
    );
}

fn legend(s: &mut String, cutoff: bool, rule: bool) {
    let y = H - 18.0;
    let t = y + 4.0;
    let _ = write!(
        s,
        r#"<g class="legend"><circle class="pt" cx="46" cy="{y}" r="4"/><text x="54" y="{t}">score</text><circle class="pt pt-prorated" cx="106" cy="{y}" r="4"/><text x="114" y="{t}">prorated</text><g class="pt-invalid"><path d="M178,{:.0} l8,8 m0,-8 l-8,8"/></g><text x="192" y="{t}">not valid</text>"#,
        y - 4.0
    );
    if rule {
        let _ = write!(
            s,
            r#"<circle class="rc rc-improved" cx="266" cy="{y}" r="7" fill="none"/><text x="278" y="{t}">reliable improvement</text><circle class="rc rc-deteriorated" cx="412" cy="{y}" r="7" fill="none"/><text x="424" y="{t}">deterioration</text>"#
        );
    }
    if cutoff {
        let _ = write!(
            s,
            r#"<line class="cutoff" x1="514" y1="{y}" x2="538" y2="{y}" stroke-dasharray="6 4"/><text x="544" y="{t}">cut-off</text>"#
        );
    }
    s.push_str("</g>");
}

/// A small line of valid totals for a caseload row; `label` is its accessible name ("PHQ-9: 17 → 8").
pub fn sparkline_svg(totals: &[f64], min: i32, max: i32, label: &str) -> String {
    const SW: f64 = 120.0;
    const SH: f64 = 28.0;
    let (lo, hi) = (f64::from(min), f64::from(max));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = totals.len();
    let x = |i: usize| {
        if n <= 1 {
            SW / 2.0
        } else {
            3.0 + i as f64 * (SW - 6.0) / (n - 1) as f64
        }
    };
    let y = |v: f64| SH - 3.0 - (v.clamp(lo, hi) - lo) / span * (SH - 6.0);
    let mut s = format!(
        r#"<svg class="sparkline" viewBox="0 0 {SW} {SH}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(label),
        esc(label)
    );
    if n > 1 {
        let pts: Vec<String> = totals
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline class="spark-line" fill="none" points="{}"/>"#,
            pts.join(" ")
        );
    }
    if let Some(last) = totals.last() {
        let _ = write!(
            s,
            r#"<circle class="spark-last" cx="{:.1}" cy="{:.1}" r="2.5"/>"#,
            x(n - 1),
            y(*last)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests;
