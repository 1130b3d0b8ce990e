//! Note kinds and templates: the fields a note has, which must be filled before signing, and how each is checked.
//!
//! The built-in templates follow the formats clinicians are taught (SOAP, DAP, BIRP, intake assessment with a
//! mental status exam and risk screen, crisis note, discharge summary); a practice may add its own templates of
//! the same shape. A psychotherapy note is free text on purpose: it is the therapist's own process notes, which
//! the law (HIPAA 45 CFR 164.501) keeps apart from the record.

use crate::error::Problems;
use crate::notes::icd10;
use crate::{Error, Result, validate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A note's content: field key → text, with empty fields left out.
pub type Content = BTreeMap<String, String>;

const LINE_MAX: usize = 500;
const TEXT_MAX: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Intake,
    ProgressSoap,
    ProgressDap,
    ProgressBirp,
    Crisis,
    Discharge,
    /// Kept apart from the record: readable by its author only (see the policy).
    Psychotherapy,
}

impl NoteKind {
    pub const ALL: [NoteKind; 7] = [
        NoteKind::Intake,
        NoteKind::ProgressSoap,
        NoteKind::ProgressDap,
        NoteKind::ProgressBirp,
        NoteKind::Crisis,
        NoteKind::Discharge,
        NoteKind::Psychotherapy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Intake => "intake",
            NoteKind::ProgressSoap => "progress_soap",
            NoteKind::ProgressDap => "progress_dap",
            NoteKind::ProgressBirp => "progress_birp",
            NoteKind::Crisis => "crisis",
            NoteKind::Discharge => "discharge",
            NoteKind::Psychotherapy => "psychotherapy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Intake => "Intake assessment",
            NoteKind::ProgressSoap => "Progress note (SOAP)",
            NoteKind::ProgressDap => "Progress note (DAP)",
            NoteKind::ProgressBirp => "Progress note (BIRP)",
            NoteKind::Crisis => "Crisis note",
            NoteKind::Discharge => "Discharge summary",
            NoteKind::Psychotherapy => "Psychotherapy note",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<NoteKind> {
        NoteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "unknown note kind '{}'; expected one of intake, progress_soap, progress_dap, progress_birp, crisis, discharge, psychotherapy",
                        raw.trim()
                    ),
                )
            })
    }

    pub fn is_psychotherapy(self) -> bool {
        self == NoteKind::Psychotherapy
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Line,
    /// Free text over several lines.
    Text,
    /// ICD-10-CM codes from chapter 5, typed as a list.
    Diagnoses,
    /// One of a fixed list of answers (a risk level, say).
    Choice { options: Vec<String> },
}

// No `deny_unknown_fields`: serde does not support it together with `flatten`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub key: String,
    pub label: String,
    pub kind: NoteKind,
    pub fields: Vec<Field>,
    /// Shipped with Rapport (cannot be changed, only copied).
    #[serde(default)]
    pub built_in: bool,
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

impl Template {
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Checks a practice-defined template before it is stored.
    pub fn validated(mut self) -> Result<Template> {
        let mut p = Problems::new();
        self.key = self.key.trim().to_string();
        if !is_slug(&self.key) {
            p.add(
                "key",
                "use 1–40 lower-case letters, digits or '_', starting with a letter",
            );
        }
        if let Some(l) = p.take(validate::required_line("label", &self.label, 200)) {
            self.label = l;
        }
        if self.fields.is_empty() || self.fields.len() > 40 {
            p.add("fields", "a template has between 1 and 40 fields");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, f) in self.fields.iter_mut().enumerate() {
            if !is_slug(&f.key) {
                p.add(
                    &format!("fields[{i}].key"),
                    "use 1–40 lower-case letters, digits or '_', starting with a letter",
                );
            } else if !seen.insert(f.key.clone()) {
                p.add(
                    &format!("fields[{i}].key"),
                    format!("'{}' is used twice", f.key),
                );
            }
            if let Some(l) = p.take(validate::required_line(
                &format!("fields[{i}].label"),
                &f.label,
                200,
            )) {
                f.label = l;
            }
            if let FieldKind::Choice { options } = &f.kind
                && (options.is_empty() || options.iter().any(|o| o.trim().is_empty()))
            {
                p.add(
                    &format!("fields[{i}].options"),
                    "a choice needs at least one answer, and no answer may be blank",
                );
            }
        }
        self.built_in = false;
        p.finish()?;
        Ok(self)
    }

    /// Checks and normalises what an editor submitted. Any field may be blank in a draft; unknown fields and
    /// malformed values are refused, each under `fields.<key>`.
    pub fn clean(&self, input: &Content) -> Result<Content> {
        let mut p = Problems::new();
        let mut out = Content::new();
        for (key, raw) in input {
            let name = format!("fields.{key}");
            let Some(field) = self.field(key) else {
                p.add(
                    &name,
                    format!("the template '{}' has no field '{key}'", self.label),
                );
                continue;
            };
            let value = match &field.kind {
                FieldKind::Line => p
                    .take(validate::optional_line(&name, raw, LINE_MAX))
                    .flatten(),
                FieldKind::Text => p
                    .take(validate::optional_text(&name, raw, TEXT_MAX))
                    .flatten(),
                FieldKind::Diagnoses => p.take(icd10::parse_list(&name, raw)).and_then(|codes| {
                    (!codes.is_empty()).then(|| {
                        codes
                            .iter()
                            .map(icd10::Code::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                }),
                FieldKind::Choice { options } => {
                    let v = raw.trim();
                    if v.is_empty() {
                        None
                    } else if let Some(o) = options.iter().find(|o| o.as_str() == v) {
                        Some(o.clone())
                    } else {
                        p.add(&name, format!("choose one of: {}", options.join(", ")));
                        None
                    }
                }
            };
            if let Some(v) = value {
                out.insert(key.clone(), v);
            }
        }
        p.finish()?;
        Ok(out)
    }

    /// Before signing: every required field has content.
    pub fn check_complete(&self, content: &Content) -> Result<()> {
        let mut p = Problems::new();
        for f in self.fields.iter().filter(|f| f.required) {
            if content.get(&f.key).is_none_or(|v| v.trim().is_empty()) {
                p.add(
                    &format!("fields.{}", f.key),
                    format!("{} must be filled in before the note is signed", f.label),
                );
            }
        }
        p.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notes::builtin::{built_in_template, field};

    fn content(pairs: &[(&str, &str)]) -> Content {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_kind_has_one_built_in_template_keyed_by_its_name() {
        for k in NoteKind::ALL {
            let t = built_in_template(k.as_str()).unwrap();
            assert_eq!(t.kind, k);
            assert!(t.clone().validated().is_ok(), "{} is well formed", t.key);
        }
    }

    #[test]
    fn a_draft_may_leave_required_fields_blank_but_signing_may_not() {
        let t = built_in_template("progress_soap").unwrap();
        let c = t
            .clean(&content(&[("subjective", "Slept better."), ("plan", "  ")]))
            .unwrap();
        assert_eq!(c.len(), 1, "blank fields are dropped");
        let Err(Error::Validation(errs)) = t.check_complete(&c) else {
            panic!("an incomplete note cannot be signed")
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "fields.objective",
                "fields.assessment",
                "fields.plan",
                "fields.risk_level"
            ]
        );
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let t = built_in_template("intake").unwrap();
        let Err(Error::Validation(errs)) = t.clean(&content(&[
            ("mood", "low"),
            ("risk_level", "somewhat"),
            ("diagnoses", "F32.1 J45"),
        ])) else {
            panic!("expected validation errors")
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["fields.diagnoses", "fields.mood", "fields.risk_level"]
        );
    }

    #[test]
    fn diagnoses_are_normalised() {
        let t = built_in_template("intake").unwrap();
        let c = t.clean(&content(&[("diagnoses", "f321 F41.1")])).unwrap();
        assert_eq!(c["diagnoses"], "F32.1, F41.1");
    }

    #[test]
    fn a_practice_template_needs_unique_slug_keys_and_real_choices() {
        let t = Template {
            key: "Group Update".into(),
            label: "".into(),
            kind: NoteKind::ProgressDap,
            fields: vec![
                field("a", "A", FieldKind::Text, true, ""),
                field(
                    "a",
                    "Again",
                    FieldKind::Choice { options: vec![] },
                    false,
                    "",
                ),
            ],
            built_in: true,
        };
        let Err(Error::Validation(errs)) = t.validated() else {
            panic!("expected validation errors")
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["key", "label", "fields[1].key", "fields[1].options"]
        );
    }

    #[test]
    fn a_template_round_trips_through_json() {
        let t = built_in_template("crisis").unwrap();
        let back: Template = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
