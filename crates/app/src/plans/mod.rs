//! Treatment-plan use cases: start a plan (blank or from a programme template), edit it, put it into effect,
//! review it (latest values and status per objective, with a note), record the client's acknowledgement and close
//! it. Every step is a revision in the plan's history; all of it is clinical content for the care team. Objectives
//! linked to a questionnaire also show the client's scores on it (`measured`), an audited read of measure data;
//! each objective shows the behaviours and homework linked to it (`linked`), likewise audited.
//! An edit keeps the ids of the elements it keeps and never reuses an id from any earlier revision
//! (`PlanIds`), because behaviours and reviews point at objectives by id.

mod linked;
mod measured;

pub use linked::{LinkedBehaviour, LinkedHomework, LinkedWork};

use crate::notes::{Names, Person};
use crate::{App, Ctx};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rapport_domain::plans::{
    MeasuredObjective, ObjectiveStatus, PlanContent, PlanIds, PlanStatus, PlanTemplate,
    plan_template, plan_templates, progress,
};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::plans::{self as repo, Plan};
use rapport_store::{Tx, care, now_utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Plans in effect are reviewed at least this often unless the clinician sets another date.
const DEFAULT_REVIEW_DAYS: u64 = 90;
const NOTE_MAX: usize = 5_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// A programme template to start from (`bereavement`, `anger_management`, `substance_use`, `depression`,
    /// `anxiety`); without one, `content` is required.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub content: Option<PlanContent>,
    /// The day target dates count from (YYYY-MM-DD); today by default.
    #[serde(default)]
    pub start: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveReview {
    pub id: String,
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub status: Option<ObjectiveStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[serde(default)]
    pub objectives: Vec<ObjectiveReview>,
    pub note: String,
    /// When to review next (YYYY-MM-DD); 90 days from today by default.
    #[serde(default)]
    pub next_review_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeInput {
    /// How the client acknowledged it: "signed in session", "verbally in session", …
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    pub version: i32,
    pub kind: String,
    pub note: Option<String>,
    pub author: Person,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveProgress {
    pub id: String,
    pub progress: Option<f64>,
    pub status_label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub status: PlanStatus,
    pub status_label: &'static str,
    pub template_key: Option<String>,
    pub content: PlanContent,
    pub progress: Vec<ObjectiveProgress>,
    /// Objectives linked to an instrument, with the client's baseline, latest score and verdict.
    pub measured: Vec<MeasuredObjective>,
    /// Behaviours and homework linked to the plan's objectives.
    pub linked: LinkedWork,
    pub effective_on: Option<NaiveDate>,
    pub next_review_on: Option<NaiveDate>,
    pub review_overdue: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_how: Option<String>,
    pub history: Vec<RevisionView>,
    pub version: i32,
}

fn date_or(field: &str, raw: Option<&str>, default: NaiveDate) -> Result<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => validate::date(field, s),
        None => Ok(default),
    }
}

impl App {
    /// Loads a plan and checks the caller's clinical access to its client (the denial is audited).
    async fn treatment_plan_for<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
        audit_action: &str,
    ) -> Result<(Tx<'s>, Plan)> {
        let ev = || AuditEvent::new(&ctx.actor, audit_action.to_string(), "plan").resource(id);
        let Some(plan) = repo::get(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, plan.client_id).await?,
            None => Default::default(),
        };
        let tx = self
            .guard(
                tx,
                ctx,
                action,
                Resource::ClientClinical(rel),
                ev().client(plan.client_id.0),
            )
            .await?;
        Ok((tx, plan))
    }

    pub(crate) async fn treatment_plan_view(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        p: Plan,
    ) -> Result<PlanView> {
        let measured = self.measured_objectives(tx, ctx, &p).await?;
        let linked = self.linked_work(tx, ctx, &p).await?;
        let mut names = Names::default();
        let mut history = Vec::new();
        for r in repo::revisions(tx, p.id).await? {
            history.push(RevisionView {
                author: names.person(tx, r.author_id).await?,
                version: r.version,
                kind: r.kind,
                note: r.note,
                at: r.created_at,
            });
        }
        Ok(PlanView {
            progress: p
                .content
                .objectives()
                .map(|o| ObjectiveProgress {
                    id: o.id.clone(),
                    progress: progress(o),
                    status_label: o.status.label(),
                })
                .collect(),
            measured,
            linked,
            review_overdue: p.status == PlanStatus::Active
                && p.next_review_on.is_some_and(|d| d < crate::today()),
            id: p.id,
            client_id: p.client_id,
            status: p.status,
            status_label: p.status.label(),
            template_key: p.template_key,
            content: p.content,
            effective_on: p.effective_on,
            next_review_on: p.next_review_on,
            acknowledged_at: p.acknowledged_at,
            acknowledged_how: p.acknowledged_how,
            history,
            version: p.version,
        })
    }

    /// Writes the changed plan at its next version with a revision, audits, and returns the view.
    async fn commit_plan(
        &self,
        tx: Tx<'_>,
        ctx: &Ctx,
        mut plan: Plan,
        expected: i32,
        kind: &str,
        note: Option<&str>,
    ) -> Result<PlanView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        plan.version = expected + 1;
        plan.updated_at = now_utc();
        repo::save(&tx, &plan, Some(expected), kind, note, me).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, format!("plan.{kind}"), "plan")
                .resource(plan.id)
                .client(plan.client_id.0)
                .request(ctx.rid()),
        )
        .await?;
        let view = self.treatment_plan_view(&tx, ctx, plan).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub fn plan_templates(&self, ctx: &Ctx) -> Result<Vec<PlanTemplate>> {
        authorize(&ctx.actor, Action::Read, Resource::PracticeSettings).into_result()?;
        plan_templates()
    }

    pub async fn create_plan(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: NewPlan,
    ) -> Result<PlanView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let start = date_or("start", input.start.as_deref(), crate::today())?;
        let content = match (&input.template, input.content) {
            (Some(key), None) => plan_template(key)?.instantiate(start),
            (None, Some(c)) => c,
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "template",
                    "give a template or the content, not both",
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    "content",
                    "start from a template or give the plan's content",
                ));
            }
        };
        let content = content.validated(false)?;
        let tx = self.store.begin().await?;
        let ev = || AuditEvent::new(&ctx.actor, "plan.create", "plan").client(client.0);
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let now = now_utc();
        let plan = Plan {
            id: Uuid::now_v7(),
            client_id: client,
            status: PlanStatus::Draft,
            template_key: input.template,
            content,
            created_by: me,
            created_at: now,
            updated_at: now,
            version: 1,
            effective_on: None,
            next_review_on: None,
            acknowledged_at: None,
            acknowledged_how: None,
        };
        repo::save(&tx, &plan, None, "created", None, me).await?;
        tx.audit(ev().resource(plan.id).request(ctx.rid())).await?;
        let view = self.treatment_plan_view(&tx, ctx, plan).await?;
        self.commit_once(tx, ctx, view).await
    }

    pub async fn get_plan(&self, ctx: &Ctx, id: Uuid) -> Result<PlanView> {
        let tx = self.store.begin_read().await?;
        let (tx, plan) = self
            .treatment_plan_for(tx, ctx, id, Action::Read, "plan.read")
            .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "plan.read", "plan")
                .resource(id)
                .client(plan.client_id.0)
                .request(ctx.rid()),
        )
        .await?;
        let view = self.treatment_plan_view(&tx, ctx, plan).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn client_plans(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<PlanView>> {
        let tx = self.store.begin_read().await?;
        let (tx, out) = self.read_client_plans(tx, ctx, client).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// `client_plans` inside the caller's transaction: authorised and audited, not committed.
    pub(crate) async fn read_client_plans<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<(Tx<'s>, Vec<PlanView>)> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "plan.list", "client")
                .resource(client)
                .client(client.0)
        };
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::List, ev())
            .await?;
        let mut out = Vec::new();
        for p in repo::for_client(&tx, client).await? {
            out.push(self.treatment_plan_view(&tx, ctx, p).await?);
        }
        tx.audit(ev().request(ctx.rid())).await?;
        Ok((tx, out))
    }

    /// Replaces the plan's content. A plan in effect must stay complete; a closed plan is not edited. Elements
    /// sent with their ids keep them; new ones get ids this plan never used.
    pub async fn update_plan(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        content: PlanContent,
    ) -> Result<PlanView> {
        let tx = self.store.begin().await?;
        let (tx, mut plan) = self
            .treatment_plan_for(tx, ctx, id, Action::Update, "plan.updated")
            .await?;
        if plan.status == PlanStatus::Closed {
            return Err(Error::Conflict(
                "this plan is closed; start a new one".into(),
            ));
        }
        let mut ids = PlanIds::of(&plan.content);
        for past in repo::revision_contents(&tx, id).await? {
            ids.retire(&past);
        }
        plan.content = content.revised(&ids, plan.status == PlanStatus::Active)?;
        self.commit_plan(tx, ctx, plan, version, "updated", None)
            .await
    }

    /// Puts a draft into effect: complete objectives, an effective date and the first review date.
    pub async fn activate_plan(&self, ctx: &Ctx, id: Uuid, version: i32) -> Result<PlanView> {
        let tx = self.store.begin().await?;
        let (tx, mut plan) = self
            .treatment_plan_for(tx, ctx, id, Action::Update, "plan.activated")
            .await?;
        if plan.status != PlanStatus::Draft {
            return Err(Error::Conflict(
                "only a draft plan can be put into effect".into(),
            ));
        }
        plan.content = plan
            .content
            .clone()
            .revised(&PlanIds::of(&plan.content), true)?;
        let today = crate::today();
        plan.status = PlanStatus::Active;
        plan.effective_on = Some(today);
        plan.next_review_on = today.checked_add_days(Days::new(DEFAULT_REVIEW_DAYS));
        self.commit_plan(tx, ctx, plan, version, "activated", None)
            .await
    }

    /// A periodic review: the latest value and status of objectives, a note, and the next review date.
    pub async fn review_plan(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: ReviewInput,
    ) -> Result<PlanView> {
        let note = validate::optional_text("note", &input.note, NOTE_MAX)?
            .ok_or_else(|| Error::invalid("note", "summarise the review in a sentence or two"))?;
        let next = date_or(
            "next_review_on",
            input.next_review_on.as_deref(),
            crate::today()
                .checked_add_days(Days::new(DEFAULT_REVIEW_DAYS))
                .ok_or_else(|| Error::internal("date overflow"))?,
        )?;
        if next <= crate::today() {
            return Err(Error::invalid(
                "next_review_on",
                "the next review must be after today",
            ));
        }
        let tx = self.store.begin().await?;
        let (tx, mut plan) = self
            .treatment_plan_for(tx, ctx, id, Action::Update, "plan.reviewed")
            .await?;
        if plan.status != PlanStatus::Active {
            return Err(Error::Conflict("only a plan in effect is reviewed".into()));
        }
        let mut p = rapport_domain::error::Problems::new();
        for (i, r) in input.objectives.iter().enumerate() {
            match plan.content.objectives_mut().find(|o| o.id == r.id) {
                Some(o) => {
                    if let Some(c) = r.current {
                        if c.is_finite() {
                            o.current = Some(c);
                        } else {
                            p.add(&format!("objectives[{i}].current"), "must be a number");
                        }
                    }
                    if let Some(s) = r.status {
                        o.status = s;
                    }
                }
                None => p.add(
                    &format!("objectives[{i}].id"),
                    format!("this plan has no objective '{}'", r.id),
                ),
            }
        }
        p.finish()?;
        plan.next_review_on = Some(next);
        self.commit_plan(tx, ctx, plan, version, "reviewed", Some(&note))
            .await
    }

    /// Records that the client has seen and agreed to the plan, and how.
    pub async fn acknowledge_plan(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: AcknowledgeInput,
    ) -> Result<PlanView> {
        let how = validate::required_line("how", &input.how, 200)?;
        let tx = self.store.begin().await?;
        let (tx, mut plan) = self
            .treatment_plan_for(tx, ctx, id, Action::Update, "plan.acknowledged")
            .await?;
        if plan.status != PlanStatus::Active {
            return Err(Error::Conflict(
                "the client acknowledges the plan once it is in effect".into(),
            ));
        }
        plan.acknowledged_at = Some(now_utc());
        plan.acknowledged_how = Some(how.clone());
        self.commit_plan(tx, ctx, plan, version, "acknowledged", Some(&how))
            .await
    }

    pub async fn close_plan(&self, ctx: &Ctx, id: Uuid, version: i32) -> Result<PlanView> {
        let tx = self.store.begin().await?;
        let (tx, mut plan) = self
            .treatment_plan_for(tx, ctx, id, Action::Update, "plan.closed")
            .await?;
        if plan.status == PlanStatus::Closed {
            return Err(Error::Conflict("this plan is closed already".into()));
        }
        plan.status = PlanStatus::Closed;
        plan.next_review_on = None;
        self.commit_plan(tx, ctx, plan, version, "closed", None)
            .await
    }
}
