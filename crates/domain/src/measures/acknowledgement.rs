//! What acknowledging an alert says: what the clinician did about it, kept with the alert so that whoever reviews
//! it later (a supervisor, the care team, an audit) sees the response and not only that someone clicked.

use crate::{Error, Result, validate};
use serde::{Deserialize, Serialize};

/// What was done about a critical answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckAction {
    ContactedClient,
    SafetyPlanReviewed,
    EmergencyServices,
    /// Nothing was needed: allowed only with the reason why.
    NoActionNeeded,
}

impl AckAction {
    pub const ALL: [AckAction; 4] = [
        AckAction::ContactedClient,
        AckAction::SafetyPlanReviewed,
        AckAction::EmergencyServices,
        AckAction::NoActionNeeded,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AckAction::ContactedClient => "contacted_client",
            AckAction::SafetyPlanReviewed => "safety_plan_reviewed",
            AckAction::EmergencyServices => "emergency_services",
            AckAction::NoActionNeeded => "no_action_needed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AckAction::ContactedClient => "Contacted the client",
            AckAction::SafetyPlanReviewed => "Reviewed the safety plan with the client",
            AckAction::EmergencyServices => "Called emergency services",
            AckAction::NoActionNeeded => "No action needed",
        }
    }

    pub fn parse(raw: &str) -> Option<AckAction> {
        AckAction::ALL.into_iter().find(|a| a.key() == raw.trim())
    }
}

/// A validated acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub action: AckAction,
    pub note: Option<String>,
}

/// Shortest reason that says something ("client safe" is not enough to tell a reviewer why nothing was needed).
pub const MIN_NO_ACTION_REASON: usize = 15;

impl Acknowledgement {
    pub fn parse(action: &str, note: &str) -> Result<Acknowledgement> {
        let Some(action) = AckAction::parse(action) else {
            return Err(Error::invalid(
                "action",
                "say what was done: contacted the client, reviewed the safety plan, called emergency services, or no action needed",
            ));
        };
        let note = validate::optional_text("note", note, 2000)?;
        if action == AckAction::NoActionNeeded
            && note
                .as_deref()
                .is_none_or(|n| n.chars().count() < MIN_NO_ACTION_REASON)
        {
            return Err(Error::invalid(
                "note",
                format!(
                    "say why no action was needed (at least {MIN_NO_ACTION_REASON} characters)"
                ),
            ));
        }
        Ok(Acknowledgement { action, note })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_key() {
        for a in AckAction::ALL {
            assert_eq!(AckAction::parse(a.key()), Some(a));
            assert!(!a.label().contains('_'));
        }
        assert_eq!(AckAction::parse("clicked"), None);
    }

    #[test]
    fn an_acknowledgement_says_what_was_done_and_no_action_says_why() {
        assert!(Acknowledgement::parse("", "").is_err());
        let ok = Acknowledgement::parse("contacted_client", "").unwrap();
        assert_eq!((ok.action, ok.note), (AckAction::ContactedClient, None));
        assert!(Acknowledgement::parse("no_action_needed", "").is_err());
        assert!(Acknowledgement::parse("no_action_needed", "client safe").is_err());
        assert!(
            Acknowledgement::parse(
                "no_action_needed",
                "Answered item 9 about last month; seen today, no current intent."
            )
            .is_ok()
        );
        assert!(Acknowledgement::parse("emergency_services", &"x".repeat(2001)).is_err());
    }
}
