//! The embedded instrument library: every definition is compiled into the binary and checked once, at first use.
//!
//! A broken definition is a bug in this repository, not in the caller's request, so it surfaces as
//! `Error::Internal` (with every problem listed for the log) and the unit test that loads the library fails the
//! build first.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::instrument::{Condition, Instrument, MissingRuleKind, ScoringMethod};
use crate::{Error, Result};

/// File name and text of each embedded definition.
pub(crate) const SOURCES: &[(&str, &str)] = &[
    ("phq9.json", include_str!("../../instruments/phq9.json")),
    ("phqa.json", include_str!("../../instruments/phqa.json")),
    ("gad7.json", include_str!("../../instruments/gad7.json")),
    ("pcl5.json", include_str!("../../instruments/pcl5.json")),
    ("audit.json", include_str!("../../instruments/audit.json")),
    ("auditc.json", include_str!("../../instruments/auditc.json")),
    ("dast10.json", include_str!("../../instruments/dast10.json")),
    (
        "cssrs_screener.json",
        include_str!("../../instruments/cssrs_screener.json"),
    ),
    ("k10.json", include_str!("../../instruments/k10.json")),
    ("wai_sr.json", include_str!("../../instruments/wai_sr.json")),
    ("core10.json", include_str!("../../instruments/core10.json")),
];

#[derive(Debug)]
pub struct Library {
    instruments: Vec<Instrument>,
}

impl Library {
    pub fn get(&self, id: &str) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.id.as_str() == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.iter()
    }

    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

static LIBRARY: OnceLock<std::result::Result<Library, String>> = OnceLock::new();

/// All embedded instruments, parsed and validated on first call.
pub fn library() -> Result<&'static Library> {
    match LIBRARY.get_or_init(|| load(SOURCES)) {
        Ok(lib) => Ok(lib),
        Err(e) => Err(Error::Internal(format!("instrument library: {e}"))),
    }
}

/// One instrument by id; an unknown id is `NotFound`.
pub fn instrument(id: &str) -> Result<&'static Instrument> {
    library()?.get(id).ok_or(Error::NotFound)
}

pub(crate) fn load(sources: &[(&str, &str)]) -> std::result::Result<Library, String> {
    let mut instruments = Vec::with_capacity(sources.len());
    let mut problems = Vec::new();
    for (file, text) in sources {
        match serde_json::from_str::<Instrument>(text) {
            Ok(inst) => {
                problems.extend(check(&inst).into_iter().map(|p| format!("{file}: {p}")));
                instruments.push(inst);
            }
            Err(e) => problems.push(format!("{file}: {e}")),
        }
    }
    let mut ids = BTreeSet::new();
    for inst in &instruments {
        if !ids.insert(inst.id.as_str()) {
            problems.push(format!("instrument id {} is used twice", inst.id));
        }
    }
    if problems.is_empty() {
        Ok(Library { instruments })
    } else {
        Err(problems.join("; "))
    }
}

/// Every invariant a definition must satisfy; returns the problems found, empty when the definition is sound.
pub(crate) fn check(inst: &Instrument) -> Vec<String> {
    let mut p = Vec::new();
    let mut ids = BTreeSet::new();
    if inst.items.is_empty() {
        p.push("has no items".to_owned());
    }
    for item in &inst.items {
        if !ids.insert(item.id.as_str()) {
            p.push(format!("item id {} is used twice", item.id));
        }
        if item.options.len() < 2 {
            p.push(format!("item {} has fewer than two options", item.id));
        }
        let mut values = BTreeSet::new();
        for o in &item.options {
            if !values.insert(o.value) {
                p.push(format!("item {} repeats option value {}", item.id, o.value));
            }
            if o.value < item.min_value() || o.value > item.max_value() {
                p.push(format!(
                    "item {} option {} is outside {}..={}",
                    item.id,
                    o.value,
                    item.min_value(),
                    item.max_value()
                ));
            }
        }
        if let Some(v) = item.value_if_not_asked {
            if item.asked_if.is_none() {
                p.push(format!(
                    "item {} has value_if_not_asked but no asked_if",
                    item.id
                ));
            }
            if item.option(v).is_none() {
                p.push(format!(
                    "item {} value_if_not_asked {v} is not an option",
                    item.id
                ));
            }
        }
    }
    let known = |id: &str| ids.contains(id);
    let scored = |id: &str| inst.item(id).is_some_and(|i| i.scored);

    let check_condition = |c: &Condition, what: &str, p: &mut Vec<String>| {
        if c.items.is_empty() {
            p.push(format!("{what} has a condition on no items"));
        }
        for i in &c.items {
            if !known(i) {
                p.push(format!("{what} refers to unknown item {i}"));
            }
        }
    };
    for item in &inst.items {
        if let Some(c) = &item.asked_if {
            check_condition(c, &format!("item {} asked_if", item.id), &mut p);
        }
    }
    for s in &inst.scoring.subscales {
        for i in &s.items {
            if !scored(i) {
                p.push(format!(
                    "subscale {} refers to {i}, which is not a scored item",
                    s.id
                ));
            }
        }
    }
    for i in &inst.scoring.reverse_scored {
        if !scored(i) {
            p.push(format!("reverse-scored {i} is not a scored item"));
        }
    }
    for c in &inst.critical_items {
        match inst.item(&c.item) {
            None => p.push(format!("critical item {} is not an item", c.item)),
            Some(item) => {
                let reachable = item.options.iter().any(|o| {
                    Condition {
                        items: vec![],
                        op: c.op,
                        value: c.value,
                    }
                    .holds(o.value)
                });
                if !reachable {
                    p.push(format!("critical rule on {} can never be met", c.item));
                }
            }
        }
    }

    let n_scored = inst.scored_items().count();
    match inst.scoring.method {
        ScoringMethod::Sum => {
            if n_scored == 0 {
                p.push("sum scoring with no scored items".to_owned());
            }
            // Charts, "not on track", plan targets and change statistics all read a total in the instrument's
            // direction; a file that does not say which way is better would silently be read as a symptom scale.
            if inst.change.is_none() {
                p.push("a summed instrument must say which direction is better (change.higher_is_better)".to_owned());
            }
            if !inst.risk_levels.is_empty() {
                p.push("risk_levels given for a summed instrument".to_owned());
            }
        }
        ScoringMethod::RiskLevel => {
            if inst.risk_levels.is_empty() {
                p.push("risk_level scoring with no risk_levels".to_owned());
            }
            if !inst.bands.is_empty() || !inst.population_bands.is_empty() {
                p.push("bands given for a risk-level instrument".to_owned());
            }
            match inst.risk_levels.last() {
                Some(last) if last.when_any.is_empty() => {}
                _ => p.push("the last risk level must be the fallback (empty when_any)".to_owned()),
            }
            for w in inst.risk_levels.windows(2) {
                if w[0].level <= w[1].level {
                    p.push("risk_levels must be ordered from highest to lowest".to_owned());
                }
            }
            for r in &inst.risk_levels {
                for c in &r.when_any {
                    check_condition(c, &format!("risk level {:?}", r.level), &mut p);
                }
            }
        }
    }
    if let MissingRuleKind::Prorate { max_missing } = inst.missing.kind
        && (max_missing == 0 || max_missing >= n_scored)
    {
        p.push(format!(
            "prorate max_missing {max_missing} must be between 1 and {}",
            n_scored.saturating_sub(1)
        ));
    }

    let range = inst.total_range();
    if !inst.bands.is_empty() {
        check_bands(&inst.bands, range, "bands", &mut p);
    }
    for pb in &inst.population_bands {
        check_bands(
            &pb.bands,
            range,
            &format!("bands for {}", pb.population),
            &mut p,
        );
    }
    if let Some(ch) = &inst.change {
        check_change(ch, range, &mut p);
    }
    check_loinc(inst, &mut p);
    if inst
        .licence
        .notice
        .as_deref()
        .is_some_and(|n| n.trim().is_empty())
    {
        // A blank notice would print nothing while looking as if the licence's condition were met.
        p.push("licence notice is given but blank".to_owned());
    }
    p
}

/// Every LOINC code is well formed with the right check digit, item codes name real items, and no code is used
/// twice (a panel code on an item would make two different things look the same to a receiving system).
fn check_loinc(inst: &Instrument, p: &mut Vec<String>) {
    let l = &inst.loinc;
    let mut seen = BTreeSet::new();
    let codes = l
        .panel
        .iter()
        .map(|c| ("panel".to_owned(), c))
        .chain(l.total.iter().map(|c| ("total".to_owned(), c)))
        .chain(l.items.iter().map(|(item, c)| (format!("item {item}"), c)));
    for (what, code) in codes {
        if !super::loinc::is_valid(code) {
            p.push(format!(
                "LOINC code {code} ({what}) is not a valid LOINC code"
            ));
        }
        if !seen.insert(code.as_str()) {
            p.push(format!("LOINC code {code} is used twice"));
        }
    }
    for item in l.items.keys() {
        if inst.item(item).is_none() {
            p.push(format!("LOINC code given for unknown item {item}"));
        }
    }
    let any = l.panel.is_some() || l.total.is_some() || !l.items.is_empty();
    if any && l.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
        p.push("LOINC codes are given without their source".to_owned());
    }
}

/// Bands must tile the score range exactly: sorted, no gap, no overlap, first at the minimum, last at the maximum.
fn check_bands(
    bands: &[super::instrument::BandDef],
    (lo, hi): (i32, i32),
    what: &str,
    p: &mut Vec<String>,
) {
    let Some(first) = bands.first() else {
        p.push(format!("{what} is empty"));
        return;
    };
    if first.low != lo {
        p.push(format!(
            "{what} start at {} but the lowest score is {lo}",
            first.low
        ));
    }
    for b in bands {
        if b.low > b.high {
            p.push(format!("{what}: band {} has low above high", b.label));
        }
    }
    for w in bands.windows(2) {
        if w[1].low != w[0].high + 1 {
            p.push(format!(
                "{what}: {} ends at {} but {} starts at {} (gap or overlap)",
                w[0].label, w[0].high, w[1].label, w[1].low
            ));
        }
    }
    if let Some(last) = bands.last()
        && last.high != hi
    {
        p.push(format!(
            "{what} end at {} but the highest score is {hi}",
            last.high
        ));
    }
}

/// Written as "fails unless strictly positive" so that a NaN from a malformed file is caught too.
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn within(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x > lo && x <= hi
}

fn check_change(ch: &super::instrument::ChangeParams, (lo, hi): (i32, i32), p: &mut Vec<String>) {
    let (lo, hi) = (f64::from(lo), f64::from(hi));
    if let Some(jt) = &ch.jacobson_truax {
        if !positive(jt.sd) {
            p.push("Jacobson-Truax SD must be positive".to_owned());
        }
        if !within(jt.reliability, 0.0, 1.0) || jt.reliability >= 1.0 {
            p.push("Jacobson-Truax reliability must be between 0 and 1".to_owned());
        }
    }
    if let Some(c) = &ch.clinical_cutoff
        && !within(c.score, lo, hi)
    {
        p.push(format!(
            "clinical cut-off {} is outside the score range",
            c.score
        ));
    }
    if let Some(t) = &ch.talking_therapies {
        if !within(t.caseness_at_or_above, lo, hi) {
            p.push("talking therapies caseness is outside the score range".to_owned());
        }
        if !positive(t.reliable_change_points) {
            p.push("talking therapies reliable change must be positive".to_owned());
        }
    }
    if let Some(n) = &ch.normative
        && !(positive(n.functional_sd) && positive(n.clinical_sd))
    {
        p.push("normative SDs must be positive".to_owned());
    }
    if let Some(t) = &ch.published_reliable_change
        && !positive(t.points)
    {
        p.push("published reliable change must be positive".to_owned());
    }
}

#[cfg(test)]
pub(crate) use SOURCES as SOURCES_FOR_TESTS;
