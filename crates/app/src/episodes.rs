//! Episodes of care: a client's course of treatment, opened with its presenting problems and ICD-10-CM
//! diagnoses and closed when it ends; the care team's to open and close, audited like the clinical record.

use crate::clients::CLINICAL_TEXT_MAX;
use crate::{App, Ctx};
use chrono::NaiveDate;
use rapport_domain::client;
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::validate;
use rapport_domain::{ClientId, EpisodeId, Error, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::clients as repo;
use rapport_store::episodes::{self, Episode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeInput {
    pub opened_on: String,
    #[serde(default)]
    pub presenting_problems: Option<String>,
    #[serde(default)]
    pub diagnoses: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EpisodeView {
    pub id: EpisodeId,
    pub client_id: ClientId,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub presenting_problems: Option<String>,
    pub diagnoses: Vec<String>,
    pub version: i32,
}

impl From<Episode> for EpisodeView {
    fn from(e: Episode) -> Self {
        EpisodeView {
            id: e.id,
            client_id: e.client_id,
            opened_on: e.opened_on,
            closed_on: e.closed_on,
            presenting_problems: e.presenting_problems,
            diagnoses: e.diagnoses,
            version: e.version,
        }
    }
}

impl App {
    pub async fn open_episode(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: EpisodeInput,
    ) -> Result<EpisodeView> {
        let mut p = Problems::new();
        let opened_on = p.take(validate::date("opened_on", &input.opened_on));
        let problems = p.take(validate::optional_text(
            "presenting_problems",
            input.presenting_problems.as_deref().unwrap_or(""),
            CLINICAL_TEXT_MAX,
        ));
        let mut diagnoses = Vec::new();
        for (i, d) in input.diagnoses.iter().enumerate() {
            if let Some(code) = p.take(client::icd10_code(&format!("diagnoses[{i}]"), d)) {
                diagnoses.push(code);
            }
        }
        p.finish()?;
        let (Some(opened_on), Some(problems)) = (opened_on, problems) else {
            return Err(Error::internal("validation passed without values"));
        };
        let tx = self.store.begin().await?;
        repo::get(tx.conn(), client).await?.ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, client).await?;
        let ev = || AuditEvent::new(&ctx.actor, "episode.create", "episode").client(client.0);
        let tx = self
            .guard(tx, ctx, Action::Create, Resource::ClientClinical(rel), ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let e = Episode {
            id: EpisodeId::new(),
            client_id: client,
            opened_on,
            closed_on: None,
            presenting_problems: problems,
            diagnoses,
            created_by: ctx.actor.user_id().unwrap_or_default(),
            version: 1,
        };
        episodes::insert(&tx, &e).await?;
        tx.audit(ev().resource(e.id).request(ctx.rid())).await?;
        self.commit_once(tx, ctx, EpisodeView::from(e)).await
    }

    pub async fn list_episodes(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<EpisodeView>> {
        let tx = self.store.begin_read().await?;
        repo::get(tx.conn(), client).await?.ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, client).await?;
        let ev = || AuditEvent::new(&ctx.actor, "episode.list", "episode").client(client.0);
        let tx = self
            .guard(tx, ctx, Action::Read, Resource::ClientClinical(rel), ev())
            .await?;
        let list = episodes::list_for_client(&tx, client).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(list.into_iter().map(EpisodeView::from).collect())
    }

    pub async fn close_episode(
        &self,
        ctx: &Ctx,
        client: ClientId,
        id: EpisodeId,
        closed_on: &str,
        version: i32,
    ) -> Result<EpisodeView> {
        let on = validate::date("closed_on", closed_on)?;
        let tx = self.store.begin().await?;
        let e = episodes::get(&tx, id)
            .await?
            .filter(|e| e.client_id == client)
            .ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, client).await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "episode.close", "episode")
                .resource(id)
                .client(client.0)
        };
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::ClientClinical(rel), ev())
            .await?;
        if e.closed_on.is_some() {
            return Err(Error::Conflict("this episode is already closed".into()));
        }
        if on < e.opened_on {
            return Err(Error::invalid(
                "closed_on",
                "an episode cannot close before it opened",
            ));
        }
        episodes::close(&tx, id, on, version).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(EpisodeView {
            closed_on: Some(on),
            version: version + 1,
            ..e.into()
        })
    }
}
