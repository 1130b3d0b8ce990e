//! A client's medications: listed for whoever may read the clinical record (a clinician under emergency access
//! included: what a client takes matters most in a crisis), added and stopped by the care team.

use crate::notes::{Names, Person};
use crate::{App, Ctx, today};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::medication::{MedicationInput, check_stop};
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::medications::{self as repo, Medication};
use rapport_store::{Tx, now_utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct MedicationView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub name: String,
    pub dose: Option<String>,
    pub prescriber: Option<String>,
    pub notes: Option<String>,
    pub started_on: NaiveDate,
    pub stopped_on: Option<NaiveDate>,
    pub stop_reason: Option<String>,
    pub current: bool,
    pub version: i32,
    pub recorded_by: Person,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopInput {
    /// `YYYY-MM-DD`.
    pub stopped_on: String,
    pub reason: String,
    /// The version read.
    pub version: i32,
}

async fn view(tx: &Tx<'_>, m: Medication, names: &mut Names) -> Result<MedicationView> {
    Ok(MedicationView {
        recorded_by: names.person(tx, m.recorded_by).await?,
        id: m.id,
        client_id: m.client_id,
        name: m.text.name,
        dose: m.text.dose,
        prescriber: m.text.prescriber,
        notes: m.text.notes,
        current: m.stopped_on.is_none(),
        started_on: m.started_on,
        stopped_on: m.stopped_on,
        stop_reason: m.text.stop_reason,
        version: m.version,
        recorded_at: m.recorded_at,
    })
}

/// The client's medications, current first; the caller asked the policy.
pub(crate) async fn list(tx: &Tx<'_>, client: ClientId) -> Result<Vec<MedicationView>> {
    let mut names = Names::default();
    let mut out = Vec::new();
    for m in repo::for_client(tx, client).await? {
        out.push(view(tx, m, &mut names).await?);
    }
    Ok(out)
}

impl App {
    pub async fn medications(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<MedicationView>> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "medication.list", "medication")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin_read().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Read, ev())
            .await?;
        let out = list(&tx, client).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} medications", out.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn add_medication(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: MedicationInput,
    ) -> Result<MedicationView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "medication.add", "medication").client(client.0);
        let tx = self.store.begin().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let (text, started_on) = input.validated(today())?;
        let id = repo::insert(&tx, client, &text, started_on, me, now_utc()).await?;
        tx.audit(ev().resource(id).request(ctx.rid())).await?;
        let m = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let out = view(&tx, m, &mut Names::default()).await?;
        self.commit_once(tx, ctx, out).await
    }

    /// Records that a current medication was stopped, once, against the version read.
    pub async fn stop_medication(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: StopInput,
    ) -> Result<MedicationView> {
        let ev = || AuditEvent::new(&ctx.actor, "medication.stop", "medication").resource(id);
        let tx = self.store.begin().await?;
        let Some(m) = repo::get(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let client = m.client_id;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Update, ev().client(client.0))
            .await?;
        let stopped_on = validate::date("stopped_on", &input.stopped_on)?;
        let reason = check_stop(m.started_on, stopped_on, &input.reason, today())?;
        if !repo::stop(&tx, &m, input.version, stopped_on, &reason).await? {
            return Err(Error::Conflict(
                "this medication was changed or stopped in the meantime; reload to see it".into(),
            ));
        }
        tx.audit(
            ev().client(client.0)
                .request(ctx.rid())
                .detail(format!("stopped on {stopped_on}")),
        )
        .await?;
        let m = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let out = view(&tx, m, &mut Names::default()).await?;
        tx.commit().await?;
        Ok(out)
    }
}
