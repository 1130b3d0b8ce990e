//! Behaviour modification use cases: target behaviours of a client (linked to a plan objective when there is
//! one), log entries entered by staff or by the client through a diary link, weekly summaries with streaks and
//! adherence, and homework.
//!
//! All of it is the client's clinical record: staff go through `Resource::ClientClinical` (the care team writes,
//! supervisors read) and every read and write leaves a `behaviour.*`, `homework.*` or `diary.*` audit entry. The
//! client's authority is the diary link alone (`Resource::DiaryLink`), which can log and tick homework off but
//! never read what was logged before.

mod demo;
mod diary;
mod entries;
mod homework;
mod summary;

pub(crate) use demo::seed_demo_diaries;
pub use diary::{DiaryBehaviour, DiaryForm, DiaryHomework, DiaryLinkView, DiaryReceipt};
pub use entries::{EntriesInput, EntryInput, EntryQuery, earliest, input_bounds};
pub use homework::{HomeworkStatusInput, HomeworkView};
pub use summary::{BehaviourSummary, DiarySummary, SUMMARY_DEFINITIONS};

use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::behaviour::{
    self as bm, BehaviourInput, Direction, MeasureKind, Target, target_words,
};
use rapport_domain::plans::PlanContent;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::behaviour::{self as repo, Behaviour};
use rapport_store::clients::Client;
use rapport_store::{Tx, now_utc, plans, resources};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Diary links work for 30 days unless the practice says otherwise.
pub const DEFAULT_DIARY_LINK_DAYS: i64 = 30;
const LINK_DAYS_SETTING: &str = "behaviour.link_days";

/// The practice's behaviour-diary settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourSettings {
    /// How many days a diary link works (1–90).
    pub link_days: i64,
}

/// A behaviour as the care team sees it.
#[derive(Debug, Clone, Serialize)]
pub struct BehaviourView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub name: String,
    pub kind: &'static str,
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    /// UCUM code of a value: `{count}`, `min` or `{score}`.
    pub unit: &'static str,
    pub unit_label: &'static str,
    pub direction: Direction,
    pub target: Option<Target>,
    /// The target in words: "at most 2 times a week".
    pub target_words: Option<String>,
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<String>,
    /// The linked objective's statement, while the plan still has it.
    pub objective: Option<String>,
    pub starts_on: NaiveDate,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// The client's zone (UTC if the stored one does not parse) and their calendar date now.
pub(crate) fn client_today(c: &Client, now: DateTime<Utc>) -> (Tz, NaiveDate) {
    let tz = c.time_zone.parse::<Tz>().unwrap_or(Tz::UTC);
    (tz, bm::local_date(now, tz))
}

/// The objective with this id in any of the client's plans, with its statement.
pub(crate) fn objective_statement(
    plans: &[plans::Plan],
    plan: Uuid,
    objective: &str,
) -> Option<String> {
    plans
        .iter()
        .find(|p| p.id == plan)
        .and_then(|p| p.content.objectives().find(|o| o.id == objective))
        .map(|o| o.statement.clone())
}

pub(crate) fn view(b: &Behaviour, plans: &[plans::Plan]) -> BehaviourView {
    let (unit, unit_label) = b.kind.unit();
    let scale = b.kind.scale();
    BehaviourView {
        id: b.id,
        client_id: b.client_id,
        name: b.name.clone(),
        kind: b.kind.as_str(),
        scale_min: scale.map(|s| s.0),
        scale_max: scale.map(|s| s.1),
        unit,
        unit_label,
        direction: b.direction,
        target: b.target,
        target_words: b.target.map(|t| target_words(b.kind, b.direction, t)),
        plan_id: b.plan_id,
        objective_id: b.objective_id.clone(),
        objective: match (b.plan_id, b.objective_id.as_deref()) {
            (Some(p), Some(o)) => objective_statement(plans, p, o),
            _ => None,
        },
        starts_on: b.starts_on,
        active: b.active,
        created_at: b.created_at,
        retired_at: b.retired_at,
    }
}

/// Finds the objective a definition links to, in one of this client's plans; a plan of another client or an
/// objective the plan does not have is refused under the field that named it.
fn linked_objective<'p>(
    plans: &'p [plans::Plan],
    input: &BehaviourInput,
) -> Result<Option<&'p rapport_domain::plans::Objective>> {
    let (Some(plan), Some(objective)) = (input.plan_id, input.objective_id.as_deref()) else {
        return Ok(None);
    };
    objective_in(plans, plan, objective).map(Some)
}

/// The objective `objective` of the client's plan `plan` (behaviours and homework link alike); refused under
/// `plan_id` when the plan is not this client's, under `objective_id` when the plan has no such objective.
pub(crate) fn objective_in<'p>(
    plans: &'p [plans::Plan],
    plan: Uuid,
    objective: &str,
) -> Result<&'p rapport_domain::plans::Objective> {
    let Some(p) = plans.iter().find(|p| p.id == plan) else {
        return Err(Error::invalid(
            "plan_id",
            "this client has no such treatment plan",
        ));
    };
    let content: &PlanContent = &p.content;
    content
        .objectives()
        .find(|o| o.id == objective.trim())
        .ok_or_else(|| Error::invalid("objective_id", "the plan has no such objective"))
}

impl App {
    pub async fn behaviour_settings(&self) -> Result<BehaviourSettings> {
        let days = resources::setting(
            self.store.unaudited(Unaudited::Configuration),
            LINK_DAYS_SETTING,
        )
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_DIARY_LINK_DAYS);
        Ok(BehaviourSettings { link_days: days })
    }

    /// Sets how long diary links work (administrators).
    pub async fn set_behaviour_settings(&self, ctx: &Ctx, s: BehaviourSettings) -> Result<()> {
        if !(1..=90).contains(&s.link_days) {
            return Err(Error::invalid("link_days", "between 1 and 90 days"));
        }
        let ev = || AuditEvent::new(&ctx.actor, "settings.behaviour", "settings");
        let tx = self.store.begin().await?;
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::PracticeSettings, ev())
            .await?;
        resources::set_setting(tx.conn(), LINK_DAYS_SETTING, &s.link_days.to_string()).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("diary links work {} days", s.link_days)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Defines a target behaviour for a client, optionally linked to an objective of one of their plans.
    pub async fn define_behaviour(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: BehaviourInput,
    ) -> Result<BehaviourView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "behaviour.define", "behaviour").client(client.0);
        let tx = self.store.begin().await?;
        let (tx, c) = self
            .guard_clinical(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let plans = plans::for_client(&tx, client).await?;
        let objective = linked_objective(&plans, &input)?;
        let def = bm::define(&input, objective)?;
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let b = Behaviour {
            id: Uuid::now_v7(),
            client_id: client,
            name: def.name,
            kind: def.kind,
            direction: def.direction,
            target: def.target,
            plan_id: objective.and(input.plan_id),
            objective_id: objective.map(|o| o.id.clone()),
            starts_on: today,
            active: true,
            created_by: me,
            created_at: now,
            retired_at: None,
        };
        repo::insert_behaviour(&tx, &b).await?;
        tx.audit(
            ev().resource(b.id)
                .request(ctx.rid())
                .detail(b.kind.as_str()),
        )
        .await?;
        let v = view(&b, &plans);
        self.commit_once(tx, ctx, v).await
    }

    /// The client's behaviours, active first.
    pub async fn client_behaviours(
        &self,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<Vec<BehaviourView>> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "behaviour.list", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin_read().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::List, ev())
            .await?;
        let plans = plans::for_client(&tx, client).await?;
        let mut list: Vec<BehaviourView> = repo::behaviours_for_client(&tx, client)
            .await?
            .iter()
            .map(|b| view(b, &plans))
            .collect();
        list.sort_by_key(|b| !b.active);
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Stops a behaviour being logged; its entries and summaries stay.
    pub async fn retire_behaviour(
        &self,
        ctx: &Ctx,
        client: ClientId,
        id: Uuid,
    ) -> Result<BehaviourView> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "behaviour.retire", "behaviour")
                .resource(id)
                .client(client.0)
        };
        let tx = self.store.begin().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Update, ev())
            .await?;
        let Some(mut b) = repo::behaviour(&tx, id)
            .await?
            .filter(|b| b.client_id == client)
        else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let now = now_utc();
        if !repo::retire(tx.conn(), id, now).await? {
            return Err(Error::Conflict("this behaviour was already retired".into()));
        }
        b.active = false;
        b.retired_at = Some(now);
        tx.audit(ev().request(ctx.rid())).await?;
        let plans = plans::for_client(&tx, client).await?;
        let v = view(&b, &plans);
        tx.commit().await?;
        Ok(v)
    }

    /// Loads the client for a clinical `action` and hands back the transaction, the client and their behaviours.
    pub(crate) async fn behaviour_client<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
        action: Action,
        ev: AuditEvent,
    ) -> Result<(Tx<'s>, Client, Vec<Behaviour>)> {
        let (tx, c) = self.guard_clinical(tx, ctx, client, action, ev).await?;
        let list = repo::behaviours_for_client(&tx, client).await?;
        Ok((tx, c, list))
    }
}

/// The kind's input unit on forms: durations are typed in hours (people think of sleep in hours), stored in
/// minutes.
pub fn form_unit(kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::Count => "times",
        MeasureKind::Duration => "hours",
        MeasureKind::Intensity { .. } => "points",
    }
}
