//! The client file: one client's record as a chart — a header (who, risk flags, care team, next appointment) and
//! one section at a time — read in one transaction that carries the audit entries of everything it shows.

mod sessions;

use crate::behaviour::DiarySummary;
use crate::clients::ClientView;
use crate::groups::MemberSessionView;
use crate::measures::{AssignmentView, InstrumentSummary, MeasureResults};
use crate::notes::NoteSummary;
use crate::plans::PlanView;
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{ClientId, Error, Result, UserId};
use rapport_store::{alerts, clinicians, emergency, now_utc, safety_plans};
use serde::Serialize;

pub use sessions::SessionRow;

/// The parts of the file, in the order the file shows them. Safety plan, medications and referrals have pages of
/// their own (they are edited there); the file links to them from the same row of sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Overview,
    Sessions,
    Notes,
    Plans,
    Measures,
    Behaviour,
    Record,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Overview,
        Section::Sessions,
        Section::Notes,
        Section::Plans,
        Section::Measures,
        Section::Behaviour,
        Section::Record,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Section::Overview => "overview",
            Section::Sessions => "sessions",
            Section::Notes => "notes",
            Section::Plans => "plans",
            Section::Measures => "measures",
            Section::Behaviour => "behaviour",
            Section::Record => "record",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Sessions => "Sessions",
            Section::Notes => "Notes",
            Section::Plans => "Plan",
            Section::Measures => "Measures",
            Section::Behaviour => "Behaviour",
            Section::Record => "Record",
        }
    }

    /// An absent or empty key is the overview; an unknown one is a clear error, not a silent overview.
    pub fn parse(key: Option<&str>) -> Result<Section> {
        match key.map(str::trim).filter(|k| !k.is_empty()) {
            None => Ok(Section::Overview),
            Some(k) => Section::ALL
                .into_iter()
                .find(|s| s.key() == k)
                .ok_or_else(|| {
                    Error::invalid(
                        "section",
                        "unknown section; use overview, sessions, notes, plans, measures, behaviour or record",
                    )
                }),
        }
    }

    /// Sections that show only clinical content: the caller needs the right to read the clinical record.
    pub fn clinical(self) -> bool {
        matches!(
            self,
            Section::Notes | Section::Plans | Section::Measures | Section::Behaviour
        )
    }
}

/// What the header shows besides the client's details. Risk flags are clinical: `None` for a caller who may not
/// read the clinical record, so "no flag" never stands for "not allowed to know".
#[derive(Debug, Clone, Serialize)]
pub struct FileHeader {
    pub open_alerts: Option<usize>,
    pub safety_plan: Option<bool>,
    pub next_appointment: Option<SessionRow>,
    /// When the caller's break-the-glass access ends, if that is how they are here.
    pub emergency_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "section", rename_all = "snake_case")]
pub enum SectionView {
    Overview {
        /// Clinicians who can be added to the care team (empty unless the caller may assign).
        assignable: Vec<(UserId, String)>,
    },
    Sessions {
        upcoming: Vec<SessionRow>,
        past: Vec<SessionRow>,
        /// The client's own part of group sessions; `None` without the right to read the clinical record.
        group_sessions: Option<Vec<MemberSessionView>>,
    },
    Notes {
        notes: Vec<NoteSummary>,
        /// (key, label) of the templates a note can be started from; empty unless the caller may write notes.
        templates: Vec<(String, String)>,
    },
    Plans {
        plans: Vec<PlanView>,
        templates: Vec<(String, String)>,
    },
    Measures {
        results: Box<MeasureResults>,
        assignments: Vec<AssignmentView>,
        /// Instruments that can be assigned or entered; empty unless the caller may write clinical data.
        offered: Vec<InstrumentSummary>,
    },
    Behaviour {
        summary: Box<DiarySummary>,
        /// The plans, for linking behaviours and homework to objectives.
        plans: Vec<PlanView>,
    },
    Record,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientFile {
    pub client: ClientView,
    pub header: FileHeader,
    pub section: SectionView,
}

impl App {
    /// The client file with one section, in one read transaction: the client's read and the section's read are
    /// each authorised and audited as they would be alone, and the answer waits for those entries to be durable.
    pub async fn client_file(
        &self,
        ctx: &Ctx,
        id: ClientId,
        section: Section,
    ) -> Result<ClientFile> {
        let tx = self.store.begin_read().await?;
        let (tx, client) = self.read_client(tx, ctx, id).await?;
        let rights = client.rights;
        let now = now_utc();
        let next_appointment = sessions::next(&tx, id, now).await?;
        let (open_alerts, safety_plan) = match rights.read_clinical {
            true => {
                let open = alerts::alerts_for_client(tx.conn(), tx.cipher(), id)
                    .await?
                    .iter()
                    .filter(|a| a.acknowledged_at.is_none())
                    .count();
                (
                    Some(open),
                    Some(safety_plans::get(&tx, id).await?.is_some()),
                )
            }
            false => (None, None),
        };
        let emergency_until = match ctx.actor.user_id() {
            Some(me) => emergency::live_until(tx.conn(), me, id).await?,
            None => None,
        };
        let (tx, view) = match section {
            Section::Overview => {
                let may_list = authorize(
                    &ctx.actor,
                    Action::List,
                    Resource::ClinicianProfile {
                        owner: UserId::default(),
                    },
                )
                .is_allowed();
                let assignable = match rights.assign_care_team && may_list {
                    true => clinicians::list(tx.conn())
                        .await?
                        .into_iter()
                        .filter(|p| !client.care_team.iter().any(|m| m.user_id == p.user_id))
                        .map(|p| (p.user_id, p.display_name))
                        .collect(),
                    false => Vec::new(),
                };
                (tx, SectionView::Overview { assignable })
            }
            Section::Sessions => {
                let (upcoming, past) = sessions::list(&tx, ctx, id, now).await?;
                let (tx, group_sessions) = match rights.read_clinical {
                    true => {
                        let (tx, g) = self.read_client_group_sessions(tx, ctx, id).await?;
                        (tx, Some(g))
                    }
                    false => (tx, None),
                };
                let view = SectionView::Sessions {
                    upcoming,
                    past,
                    group_sessions,
                };
                (tx, view)
            }
            Section::Notes => {
                let (tx, notes) = self.read_client_notes(tx, ctx, id).await?;
                let templates = match rights.write_notes {
                    true => self
                        .read_note_templates(&tx, ctx)
                        .await?
                        .into_iter()
                        .map(|t| (t.key, t.label))
                        .collect(),
                    false => Vec::new(),
                };
                (tx, SectionView::Notes { notes, templates })
            }
            Section::Plans => {
                let (tx, plans) = self.read_client_plans(tx, ctx, id).await?;
                let templates = match rights.write_notes {
                    true => self
                        .plan_templates(ctx)?
                        .into_iter()
                        .map(|t| (t.key, t.label))
                        .collect(),
                    false => Vec::new(),
                };
                (tx, SectionView::Plans { plans, templates })
            }
            Section::Measures => {
                let (tx, results) = self
                    .read_client_measures(tx, ctx, id, "measure.results.read")
                    .await?;
                let (tx, assignments) = self.read_measure_assignments(tx, ctx, id).await?;
                let offered = match rights.write_clinical {
                    true => self
                        .instruments(ctx)?
                        .into_iter()
                        .filter(|i| i.offered)
                        .collect(),
                    false => Vec::new(),
                };
                let view = SectionView::Measures {
                    results: Box::new(results),
                    assignments,
                    offered,
                };
                (tx, view)
            }
            Section::Behaviour => {
                let (tx, summary) = self.read_behaviour_summary(tx, ctx, id).await?;
                let (tx, plans) = self.read_client_plans(tx, ctx, id).await?;
                let view = SectionView::Behaviour {
                    summary: Box::new(summary),
                    plans,
                };
                (tx, view)
            }
            Section::Record => (tx, SectionView::Record),
        };
        tx.commit().await?;
        Ok(ClientFile {
            client,
            header: FileHeader {
                open_alerts,
                safety_plan,
                next_appointment,
                emergency_until,
            },
            section: view,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_parses_from_its_own_key() {
        for s in Section::ALL {
            assert_eq!(Section::parse(Some(s.key())).ok(), Some(s));
        }
    }

    #[test]
    fn no_key_is_the_overview_and_an_unknown_one_is_an_error() {
        assert_eq!(Section::parse(None).ok(), Some(Section::Overview));
        assert_eq!(Section::parse(Some("  ")).ok(), Some(Section::Overview));
        assert!(Section::parse(Some("billing")).is_err());
        assert!(Section::parse(Some("Notes")).is_err());
    }
}
