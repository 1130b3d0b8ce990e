//! Homework use cases for staff: set an item (linked, like a behaviour, to an objective of one of the client's
//! own plans when given), change it (If-Match), list a client's items, and record that it was done, not done, or
//! reopened. Title, instructions and the completion note are sealed at rest by the store.

use super::{client_today, objective_in, objective_statement};
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::behaviour::{HomeworkInput, HomeworkStatus, completion_note};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::behaviour::{self as repo, Homework};
use rapport_store::clients::Client;
use rapport_store::{Tx, care, now_utc, plans};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct HomeworkView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub title: String,
    pub instructions: Option<String>,
    pub due_on: NaiveDate,
    pub status: HomeworkStatus,
    pub status_label: &'static str,
    /// Still assigned after its due date.
    pub overdue: bool,
    pub completion_note: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_on: Option<NaiveDate>,
    /// `diary_link` (the client ticked it off) or `staff`.
    pub completed_via: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
    /// The plan objective the item serves, like a behaviour's link.
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<String>,
    /// The linked objective's statement, while the plan still has it.
    pub objective: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeworkStatusInput {
    /// `done`, `not_done`, or `assigned` to reopen.
    pub status: String,
    /// What the client said about it (sealed at rest).
    #[serde(default)]
    pub note: Option<String>,
}

pub(crate) fn homework_view(h: &Homework, today: NaiveDate, plans: &[plans::Plan]) -> HomeworkView {
    HomeworkView {
        plan_id: h.plan_id,
        objective_id: h.objective_id.clone(),
        objective: match (h.plan_id, h.objective_id.as_deref()) {
            (Some(p), Some(o)) => objective_statement(plans, p, o),
            _ => None,
        },
        id: h.id,
        client_id: h.client_id,
        title: h.title.clone(),
        instructions: h.instructions.clone(),
        due_on: h.due_on,
        status: h.status,
        status_label: h.status.label(),
        overdue: h.status == HomeworkStatus::Assigned && h.due_on < today,
        completion_note: h.completion_note.clone(),
        completed_at: h.completed_at,
        completed_on: h.completed_on,
        completed_via: h.completed_via.clone(),
        created_at: h.created_at,
        version: h.version,
    }
}

/// The checked link of a new or changed item: the objective must be in one of the client's own plans.
fn link_of(
    plans: &[plans::Plan],
    objective: Option<(Uuid, String)>,
) -> Result<(Option<Uuid>, Option<String>)> {
    match objective {
        Some((plan, o)) => {
            let found = objective_in(plans, plan, &o)?;
            Ok((Some(plan), Some(found.id.clone())))
        }
        None => Ok((None, None)),
    }
}

/// Marks the item done (or not done, or reopened) as of `now`, with the note given.
pub(crate) fn settle(
    h: &mut Homework,
    status: HomeworkStatus,
    note: Option<String>,
    via: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) {
    h.status = status;
    match status {
        HomeworkStatus::Assigned => {
            h.completion_note = None;
            h.completed_at = None;
            h.completed_on = None;
            h.completed_via = None;
        }
        _ => {
            h.completion_note = note;
            h.completed_at = Some(now);
            h.completed_on = Some(today);
            h.completed_via = Some(via.to_string());
        }
    }
    h.updated_at = now;
    h.version += 1;
}

impl App {
    /// Loads a homework item and opens its client's clinical record for `action` (denials audited).
    async fn homework_for<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
        audit_action: &str,
    ) -> Result<(Tx<'s>, Homework, Client)> {
        let ev = || AuditEvent::new(&ctx.actor, audit_action.to_string(), "homework").resource(id);
        let Some(h) = repo::homework(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let Some(c) = rapport_store::clients::get(tx.conn(), h.client_id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, h.client_id).await?,
            None => Default::default(),
        };
        let tx = self
            .guard(
                tx,
                ctx,
                action,
                Resource::ClientClinical(rel),
                ev().client(h.client_id.0),
            )
            .await?;
        Ok((tx, h, c))
    }

    pub async fn assign_homework(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: HomeworkInput,
    ) -> Result<HomeworkView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "homework.create", "homework").client(client.0);
        let tx = self.store.begin().await?;
        let (tx, c) = self
            .guard_clinical(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let v = input.validated(today, true)?;
        let plans = plans::for_client(&tx, client).await?;
        let (plan_id, objective_id) = link_of(&plans, v.objective)?;
        let h = Homework {
            plan_id,
            objective_id,
            id: Uuid::now_v7(),
            client_id: client,
            title: v.title,
            instructions: v.instructions,
            due_on: v.due_on,
            status: HomeworkStatus::Assigned,
            completion_note: None,
            completed_at: None,
            completed_on: None,
            completed_via: None,
            created_by: me,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        repo::insert_homework(&tx, &h).await?;
        tx.audit(ev().resource(h.id).request(ctx.rid())).await?;
        self.commit_once(tx, ctx, homework_view(&h, today, &plans))
            .await
    }

    pub async fn client_homework(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<HomeworkView>> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "homework.list", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin_read().await?;
        let (tx, c) = self
            .guard_clinical(tx, ctx, client, Action::List, ev())
            .await?;
        let (_, today) = client_today(&c, now_utc());
        let plans = plans::for_client(&tx, client).await?;
        let list = repo::homework_for_client(&tx, client)
            .await?
            .iter()
            .map(|h| homework_view(h, today, &plans))
            .collect();
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// One homework item as it is now (the edit form, and what a stale edit is shown against).
    pub async fn homework(&self, ctx: &Ctx, id: Uuid) -> Result<HomeworkView> {
        let tx = self.store.begin_read().await?;
        let (tx, h, c) = self
            .homework_for(tx, ctx, id, Action::Read, "homework.read")
            .await?;
        let (_, today) = client_today(&c, now_utc());
        let plans = plans::for_client(&tx, h.client_id).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "homework.read", "homework")
                .resource(id)
                .client(h.client_id.0)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(homework_view(&h, today, &plans))
    }

    /// Changes an item's title, instructions or due date, if it is still at `version`.
    pub async fn update_homework(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: HomeworkInput,
    ) -> Result<HomeworkView> {
        let tx = self.store.begin().await?;
        let (tx, mut h, c) = self
            .homework_for(tx, ctx, id, Action::Update, "homework.update")
            .await?;
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let v = input.validated(today, false)?;
        let plans = plans::for_client(&tx, h.client_id).await?;
        let (plan_id, objective_id) = link_of(&plans, v.objective)?;
        if h.version != version {
            return Err(Error::Conflict(
                "this homework was changed by someone else since you opened it; reload it".into(),
            ));
        }
        h.title = v.title;
        h.instructions = v.instructions;
        h.due_on = v.due_on;
        h.plan_id = plan_id;
        h.objective_id = objective_id;
        h.updated_at = now;
        h.version += 1;
        if !repo::save_homework(&tx, &h, version).await? {
            return Err(Error::Conflict(
                "this homework was changed by someone else since you opened it; reload it".into(),
            ));
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, "homework.update", "homework")
                .resource(id)
                .client(h.client_id.0)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(homework_view(&h, today, &plans))
    }

    /// Records that an item was done or not done (with what the client said), or reopens it.
    pub async fn set_homework_status(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: HomeworkStatusInput,
    ) -> Result<HomeworkView> {
        let status = HomeworkStatus::parse("status", &input.status)?;
        let note = completion_note("note", input.note.as_deref().unwrap_or(""))?;
        if status == HomeworkStatus::Assigned && note.is_some() {
            return Err(Error::invalid(
                "note",
                "a reopened item has no completion note",
            ));
        }
        let tx = self.store.begin().await?;
        let (tx, mut h, c) = self
            .homework_for(tx, ctx, id, Action::Update, "homework.status")
            .await?;
        if h.status == status {
            return Err(Error::Conflict(format!(
                "this homework is already marked '{}'",
                status.label().to_lowercase()
            )));
        }
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let expected = h.version;
        settle(&mut h, status, note, "staff", now, today);
        if !repo::save_homework(&tx, &h, expected).await? {
            return Err(Error::Conflict(
                "this homework was changed in the meantime; reload it".into(),
            ));
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, "homework.status", "homework")
                .resource(id)
                .client(h.client_id.0)
                .request(ctx.rid())
                .detail(status.as_str()),
        )
        .await?;
        let plans = plans::for_client(&tx, h.client_id).await?;
        tx.commit().await?;
        Ok(homework_view(&h, today, &plans))
    }
}
