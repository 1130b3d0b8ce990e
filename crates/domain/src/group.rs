//! Relationship units (couples, families) and therapy groups: their kinds, as fixed vocabularies.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Couple,
    Family,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Couple => "couple",
            UnitKind::Family => "family",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "couple" => Ok(UnitKind::Couple),
            "family" => Ok(UnitKind::Family),
            _ => Err(Error::invalid("kind", "use couple or family")),
        }
    }
}

/// Group types as clinicians name them: process groups, psycho-education (e.g. anger management), skills
/// (e.g. DBT skills), support (e.g. bereavement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Process,
    Psychoeducation,
    Skills,
    Support,
}

impl GroupKind {
    pub const ALL: [GroupKind; 4] = [
        GroupKind::Process,
        GroupKind::Psychoeducation,
        GroupKind::Skills,
        GroupKind::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Process => "process",
            GroupKind::Psychoeducation => "psychoeducation",
            GroupKind::Skills => "skills",
            GroupKind::Support => "support",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Process => "Process",
            GroupKind::Psychoeducation => "Psycho-education",
            GroupKind::Skills => "Skills",
            GroupKind::Support => "Support",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                Error::invalid("kind", "use process, psychoeducation, skills or support")
            })
    }
}
