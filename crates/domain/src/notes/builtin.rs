//! The templates every practice starts with: SOAP, DAP and BIRP progress notes, the intake assessment (with a
//! mental status exam, a risk screen and ICD-10-CM diagnoses), the crisis note, the discharge summary and the
//! psychotherapy note. Their keys are the kinds' names.

use crate::notes::template::{Field, FieldKind, NoteKind, Template};

pub(crate) fn field(key: &str, label: &str, kind: FieldKind, required: bool, help: &str) -> Field {
    Field {
        key: key.into(),
        label: label.into(),
        kind,
        required,
        help: (!help.is_empty()).then(|| help.into()),
    }
}

fn text(key: &str, label: &str, required: bool, help: &str) -> Field {
    field(key, label, FieldKind::Text, required, help)
}

fn risk(key: &str, label: &str) -> Field {
    field(
        key,
        label,
        FieldKind::Choice {
            options: ["none", "low", "moderate", "high", "imminent"]
                .map(String::from)
                .to_vec(),
        },
        true,
        "Suicide and violence risk as assessed today; document the basis in the text.",
    )
}

fn template(key: &str, kind: NoteKind, fields: Vec<Field>) -> Template {
    Template {
        key: key.into(),
        label: kind.label().into(),
        kind,
        fields,
        built_in: true,
    }
}

/// The templates every practice starts with, one per kind; their key is the kind's name.
pub fn built_in() -> Vec<Template> {
    use NoteKind::*;
    vec![
        template(
            "intake",
            Intake,
            vec![
                text(
                    "presenting_problem",
                    "Presenting problem",
                    true,
                    "In the client's words where possible.",
                ),
                text(
                    "history",
                    "History",
                    true,
                    "Psychiatric, medical, substance use, family and social history.",
                ),
                text(
                    "mental_status",
                    "Mental status exam",
                    true,
                    "Appearance, behaviour, speech, mood and affect, thought process and content, perception, cognition, insight, judgement.",
                ),
                risk("risk_level", "Risk screen"),
                text(
                    "risk_notes",
                    "Risk notes",
                    false,
                    "Ideation, plan, intent, means, protective factors.",
                ),
                field(
                    "diagnoses",
                    "Diagnoses (ICD-10-CM)",
                    FieldKind::Diagnoses,
                    true,
                    "Codes such as F32.1, F41.1.",
                ),
                text(
                    "plan",
                    "Plan",
                    true,
                    "Recommended treatment, frequency, referrals.",
                ),
            ],
        ),
        template(
            "progress_soap",
            ProgressSoap,
            vec![
                text("subjective", "Subjective", true, "What the client reports."),
                text("objective", "Objective", true, "What you observed."),
                text(
                    "assessment",
                    "Assessment",
                    true,
                    "Your clinical impression and progress toward goals.",
                ),
                text("plan", "Plan", true, "Next steps, homework, next session."),
                risk("risk_level", "Risk"),
            ],
        ),
        template(
            "progress_dap",
            ProgressDap,
            vec![
                text(
                    "data",
                    "Data",
                    true,
                    "What the client said and what you observed.",
                ),
                text(
                    "assessment",
                    "Assessment",
                    true,
                    "Your interpretation and progress toward goals.",
                ),
                text("plan", "Plan", true, "Next steps."),
                risk("risk_level", "Risk"),
            ],
        ),
        template(
            "progress_birp",
            ProgressBirp,
            vec![
                text(
                    "behavior",
                    "Behaviour",
                    true,
                    "The client's presentation and the problem addressed.",
                ),
                text("intervention", "Intervention", true, "What you did."),
                text("response", "Response", true, "How the client responded."),
                text("plan", "Plan", true, "Next steps."),
                risk("risk_level", "Risk"),
            ],
        ),
        template(
            "crisis",
            Crisis,
            vec![
                text(
                    "situation",
                    "Situation",
                    true,
                    "What happened, who was present, how the client presented.",
                ),
                risk("risk_level", "Risk assessment"),
                text(
                    "risk_notes",
                    "Risk assessment details",
                    true,
                    "Ideation, plan, intent, means, protective factors.",
                ),
                text(
                    "intervention",
                    "Intervention",
                    true,
                    "De-escalation, safety planning, contacts made.",
                ),
                text(
                    "safety_plan",
                    "Safety plan",
                    false,
                    "Warning signs, coping steps, people and places, professionals, means safety.",
                ),
                text(
                    "disposition",
                    "Disposition",
                    true,
                    "Outcome and follow-up arranged.",
                ),
            ],
        ),
        template(
            "discharge",
            Discharge,
            vec![
                text(
                    "reason",
                    "Reason for discharge",
                    true,
                    "Goals met, client's choice, referral, no contact…",
                ),
                text(
                    "course",
                    "Course of treatment",
                    true,
                    "Dates, frequency, modalities.",
                ),
                text(
                    "outcome",
                    "Outcome",
                    true,
                    "Progress on each goal, last measures.",
                ),
                field(
                    "diagnoses",
                    "Diagnoses at discharge (ICD-10-CM)",
                    FieldKind::Diagnoses,
                    false,
                    "",
                ),
                text(
                    "recommendations",
                    "Recommendations",
                    true,
                    "Aftercare, referrals, relapse prevention.",
                ),
            ],
        ),
        template(
            "psychotherapy",
            Psychotherapy,
            vec![text(
                "notes",
                "Process notes",
                true,
                "Your own notes. Kept apart from the record and visible to you alone.",
            )],
        ),
    ]
}

/// The built-in template with this key.
pub fn built_in_template(key: &str) -> Option<Template> {
    built_in().into_iter().find(|t| t.key == key)
}
