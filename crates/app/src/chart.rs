//! A client's chart: one timeline of appointments, notes (with a short excerpt) and treatment-plan events,
//! filtered by kind and date, for those who may read the clinical record. One audit entry per chart read.

use crate::notes::Names;
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::policy::Action;
use rapport_domain::scheduling::Interval;
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::{notes, plans, resources, schedule};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const EXCERPT_CHARS: usize = 240;
pub const KINDS: [&str; 4] = ["appointment", "note", "plan", "measure"];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChartQuery {
    /// First day shown (YYYY-MM-DD).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day shown (YYYY-MM-DD).
    #[serde(default)]
    pub to: Option<String>,
    /// Comma-separated kinds to show: appointment, note, plan, measure (all by default).
    #[serde(default)]
    pub kinds: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartEntry {
    pub kind: &'static str,
    pub date: NaiveDate,
    pub at: Option<DateTime<Utc>>,
    pub title: String,
    pub status: String,
    pub href: String,
    pub author: Option<String>,
    pub excerpt: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub client_id: ClientId,
    pub client_name: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub kinds: Vec<&'static str>,
    pub entries: Vec<ChartEntry>,
}

fn excerpt(text: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= EXCERPT_CHARS {
        t
    } else {
        let cut: String = t.chars().take(EXCERPT_CHARS).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Open ends of the date filter, within what both databases store (PostgreSQL's timestamptz stops at 294276 AD).
fn far_past() -> DateTime<Utc> {
    DateTime::from_timestamp(-2_208_988_800, 0).unwrap_or_default() // 1900-01-01
}

fn far_future() -> DateTime<Utc> {
    DateTime::from_timestamp(10_413_792_000, 0).unwrap_or_default() // 2300-01-01
}

impl App {
    pub async fn client_chart(&self, ctx: &Ctx, client: ClientId, q: &ChartQuery) -> Result<Chart> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let from = q
            .from
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| validate::date("from", s))
            .transpose()?;
        let to =
            q.to.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| validate::date("to", s))
                .transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(Error::invalid("to", "the last day comes before the first"));
        }
        let kinds: Vec<&'static str> = match q.kinds.as_deref().filter(|s| !s.trim().is_empty()) {
            None => KINDS.to_vec(),
            Some(list) => {
                let mut v = Vec::new();
                for k in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    match KINDS.iter().find(|x| **x == k) {
                        Some(x) => v.push(*x),
                        None => {
                            return Err(Error::invalid(
                                "kinds",
                                format!(
                                    "unknown kind '{k}'; use appointment, note, plan or measure"
                                ),
                            ));
                        }
                    }
                }
                v
            }
        };
        let within = |d: NaiveDate| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t);

        let tx = self.store.begin_read().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "chart.read", "client")
                .resource(client)
                .client(client.0)
        };
        let (tx, c) = self
            .guard_clinical(tx, ctx, client, Action::Read, ev())
            .await?;
        let mut names = Names::default();
        let mut entries = Vec::new();
        if kinds.contains(&"appointment") {
            let labels: HashMap<String, String> = resources::types(tx.conn())
                .await?
                .into_iter()
                .map(|t| (t.key, t.label))
                .collect();
            let start = from
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
                .unwrap_or_else(far_past);
            let end = to
                .and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
                .unwrap_or_else(far_future);
            let filter = schedule::RangeFilter {
                client: Some(client),
                include_cancelled: true,
                ..Default::default()
            };
            for a in schedule::in_range(tx.conn(), Interval { start, end }, &filter).await? {
                let tz: chrono_tz::Tz = a.time_zone.parse().unwrap_or(chrono_tz::UTC);
                entries.push(ChartEntry {
                    kind: "appointment",
                    date: a.session.start.with_timezone(&tz).date_naive(),
                    at: Some(a.session.start),
                    title: labels
                        .get(&a.type_key)
                        .cloned()
                        .unwrap_or(a.type_key.clone()),
                    status: a.status.label().to_string(),
                    href: format!("/appointments/{}", a.id),
                    author: Some(names.person(&tx, a.clinician_id).await?.name),
                    excerpt: None,
                });
            }
        }
        if kinds.contains(&"note") {
            for n in notes::full_for_client(&tx, client, me).await? {
                if !within(n.service_date) {
                    continue;
                }
                let first = n
                    .template
                    .fields
                    .iter()
                    .find_map(|f| n.content.get(&f.key).filter(|v| !v.trim().is_empty()));
                entries.push(ChartEntry {
                    kind: "note",
                    date: n.service_date,
                    at: n.signed_at,
                    title: n.template.label.clone(),
                    status: n.status.label().to_string(),
                    href: format!("/notes/{}", n.id),
                    author: Some(names.person(&tx, n.author_id).await?.name),
                    excerpt: first.map(|t| excerpt(t)),
                });
            }
        }
        if kinds.contains(&"plan") {
            for p in plans::for_client(&tx, client).await? {
                for r in plans::revisions(&tx, p.id).await? {
                    let date = r.created_at.date_naive();
                    if !within(date) {
                        continue;
                    }
                    entries.push(ChartEntry {
                        kind: "plan",
                        date,
                        at: Some(r.created_at),
                        title: format!("Treatment plan {}", r.kind),
                        status: p.status.label().to_string(),
                        href: format!("/plans/{}", p.id),
                        author: Some(names.person(&tx, r.author_id).await?.name),
                        excerpt: r.note.as_deref().map(excerpt),
                    });
                }
            }
        }
        if kinds.contains(&"measure") {
            for r in rapport_store::measures::responses_for_client(tx.conn(), client).await? {
                let date = r.completed_at.date_naive();
                if !within(date) {
                    continue;
                }
                let name = rapport_domain::measures::instrument(r.instrument.as_str())
                    .map(|i| i.short_name.clone())
                    .unwrap_or_else(|_| r.instrument.to_string());
                let score = match (r.total, r.valid) {
                    (Some(t), true) => format!("{t}"),
                    _ => "not scorable".to_string(),
                };
                entries.push(ChartEntry {
                    kind: "measure",
                    date,
                    at: Some(r.completed_at),
                    title: format!("{name}: {score}"),
                    status: r.band.clone().unwrap_or_default(),
                    href: format!("/clients/{client}#measures"),
                    author: None,
                    excerpt: r
                        .critical
                        .then(|| "A critical answer raised an alert.".to_string()),
                });
            }
        }
        // Newest first; within a day, the latest instant first.
        entries.sort_by_key(|e| std::cmp::Reverse((e.date, e.at)));
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} entries ({})",
            entries.len(),
            kinds.join(", ")
        )))
        .await?;
        tx.commit().await?;
        Ok(Chart {
            client_id: client,
            client_name: c.preferred_name.unwrap_or(c.legal_name),
            from,
            to,
            kinds,
            entries,
        })
    }
}
