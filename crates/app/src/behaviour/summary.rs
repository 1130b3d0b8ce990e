//! The at-a-glance view of a client's diary: per behaviour the weekly summaries (ISO weeks in the client's zone),
//! the streaks and the logging adherence; the homework tally; and whether a diary link is out. Each figure comes
//! with the sentence that defines it (`SUMMARY_DEFINITIONS`), so no one has to guess what "adherence" means.

use super::homework::{HomeworkView, homework_view};
use super::{BehaviourView, client_today, view};
use crate::{App, Ctx};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rapport_domain::behaviour::{
    self as bm, Adherence, DayValue, HomeworkTally, Streaks, WeekSummary,
};
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::behaviour::{self as repo, Behaviour, Entry};
use rapport_store::{Tx, now_utc, plans};
use serde::Serialize;
use std::collections::BTreeMap;

/// Summaries show at most this many weeks back (the entries API has the rest).
const WEEKS_SHOWN: u64 = 12;

/// What each figure means, in the words the page and the API give with it.
pub const SUMMARY_DEFINITIONS: &[(&str, &str)] = &[
    (
        "day value",
        "A day's value is the sum of its entries for a count or a duration, and the highest entry for an intensity.",
    ),
    (
        "week",
        "Weeks run Monday to Sunday (ISO weeks) on the client's own clock; only days from the start of the diary count.",
    ),
    (
        "target met",
        "A weekly target is judged on the week's total (an intensity: the mean of its days); a daily target is met for the week only when every day was logged and met it. A finished week without any entry is 'not logged', never 'met'.",
    ),
    (
        "streak",
        "Consecutive days (or finished weeks) meeting the target, up to now. A day without an entry breaks a daily streak; today counts once it has an entry, and the current week once its outcome is certain.",
    ),
    (
        "logging adherence",
        "Days with at least one entry over the last 28 days (or since the diary started), out of the days that have ended, plus today once it has an entry.",
    ),
    (
        "homework on time",
        "Items done by their due date, out of the items that are due by today or already settled (done or not done).",
    ),
];

#[derive(Debug, Clone, Serialize)]
pub struct BehaviourSummary {
    pub behaviour: BehaviourView,
    /// Oldest first, at most twelve weeks.
    pub weeks: Vec<WeekSummary>,
    pub streaks: Streaks,
    pub adherence: Adherence,
    pub last_entry_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiarySummary {
    pub client_id: ClientId,
    pub time_zone: String,
    /// The client's calendar date now.
    pub today: NaiveDate,
    pub behaviours: Vec<BehaviourSummary>,
    pub homework: HomeworkTally,
    pub homework_items: Vec<HomeworkView>,
    /// Until when the client's diary link works, if one is out.
    pub diary_link_expires_at: Option<DateTime<Utc>>,
    pub diary_link_last_used_at: Option<DateTime<Utc>>,
    pub definitions: Vec<(&'static str, &'static str)>,
}

/// Day values of one behaviour from its entries.
pub(crate) fn day_values(b: &Behaviour, entries: &[Entry]) -> Vec<DayValue> {
    let mut by_day: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.behaviour_id == b.id) {
        by_day.entry(e.date).or_default().push(e.value);
    }
    by_day
        .into_iter()
        .filter_map(|(date, values)| {
            bm::day_value(b.kind, &values).map(|value| DayValue { date, value })
        })
        .collect()
}

/// Summarises one behaviour up to `today` (or its retirement day).
pub(crate) fn summarise(
    b: &Behaviour,
    v: BehaviourView,
    entries: &[Entry],
    today: NaiveDate,
    retired_on: Option<NaiveDate>,
) -> BehaviourSummary {
    let days = day_values(b, entries);
    let until = retired_on.map_or(today, |r| r.min(today));
    // A paper diary copied in may start before the behaviour was defined.
    let start = days
        .first()
        .map_or(b.starts_on, |d| d.date.min(b.starts_on))
        .min(until);
    let all = bm::weekly(b.kind, b.direction, b.target, &days, start, until);
    let streaks = bm::streaks(b.direction, b.target, &days, &all, start, until);
    let adherence = bm::adherence(&days, start, until);
    let skip = all.len().saturating_sub(WEEKS_SHOWN as usize);
    BehaviourSummary {
        behaviour: v,
        weeks: all.into_iter().skip(skip).collect(),
        streaks,
        adherence,
        last_entry_on: days.last().map(|d| d.date),
    }
}

impl App {
    /// The client's diary at a glance: summaries, streaks and adherence per behaviour, and the homework.
    pub async fn behaviour_summary(&self, ctx: &Ctx, client: ClientId) -> Result<DiarySummary> {
        let tx = self.store.begin_read().await?;
        let (tx, out) = self.read_behaviour_summary(tx, ctx, client).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// `behaviour_summary` inside the caller's transaction: authorised and audited, not committed.
    pub(crate) async fn read_behaviour_summary<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<(Tx<'s>, DiarySummary)> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "behaviour.summary", "client")
                .resource(client)
                .client(client.0)
        };
        let (tx, c, behaviours) = self
            .behaviour_client(tx, ctx, client, Action::Read, ev())
            .await?;
        let now = now_utc();
        let (tz, today) = client_today(&c, now);
        let plans = plans::for_client(&tx, client).await?;
        // Streaks can reach back past the weeks shown; a year of entries is ample and stays one index range.
        let from = behaviours
            .iter()
            .map(|b| b.starts_on)
            .min()
            .unwrap_or(today)
            .max(today - Days::new(366))
            .min(today - Days::new(bm::MAX_DAYS_BACK));
        let entries = repo::entries_for_client(tx.conn(), client, from, today).await?;
        let mut list = Vec::new();
        for b in &behaviours {
            let retired_on = b.retired_at.map(|at| bm::local_date(at, tz));
            list.push(summarise(b, view(b, &plans), &entries, today, retired_on));
        }
        list.sort_by_key(|s| !s.behaviour.active);
        let items = repo::homework_for_client(&tx, client).await?;
        let tally = bm::homework_tally(
            &items
                .iter()
                .map(|h| (h.due_on, h.status, h.completed_on))
                .collect::<Vec<_>>(),
            today,
        );
        let link = repo::live_link_for_client(tx.conn(), client, now).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        let out = DiarySummary {
            client_id: client,
            time_zone: tz.name().to_string(),
            today,
            behaviours: list,
            homework: tally,
            homework_items: items
                .iter()
                .map(|h| homework_view(h, today, &plans))
                .collect(),
            diary_link_expires_at: link.as_ref().map(|l| l.expires_at),
            diary_link_last_used_at: link.and_then(|l| l.last_used_at),
            definitions: SUMMARY_DEFINITIONS.to_vec(),
        };
        Ok((tx, out))
    }
}
