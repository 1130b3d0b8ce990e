//! Referrals out of the practice (psychiatry, family doctor, specialists, crisis services): made and followed by
//! the care team, read like the clinical record (emergency access included), in every copy of the record.

use crate::notes::{Names, Person};
use crate::{App, Ctx, today};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::policy::Action;
use rapport_domain::referral::{
    ReferralInput, ReferralKind, ReferralStatus, ReferralText, Urgency, check_move,
};
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::referrals::{self as repo, Referral};
use rapport_store::{Tx, now_utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct ReferralView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub kind: ReferralKind,
    pub kind_label: &'static str,
    pub urgency: Urgency,
    pub status: ReferralStatus,
    pub status_label: &'static str,
    pub open: bool,
    pub to: String,
    pub reason: String,
    pub sent_on: NaiveDate,
    pub status_on: NaiveDate,
    /// Each status the referral went through, with its note.
    pub history: Vec<(ReferralStatus, Option<String>)>,
    pub version: i32,
    pub created_by: Person,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// accepted, declined, seen or closed.
    pub status: String,
    /// `YYYY-MM-DD`.
    pub on: String,
    #[serde(default)]
    pub note: Option<String>,
    /// The version read.
    pub version: i32,
}

async fn view(tx: &Tx<'_>, r: Referral, names: &mut Names) -> Result<ReferralView> {
    Ok(ReferralView {
        created_by: names.person(tx, r.created_by).await?,
        id: r.id,
        client_id: r.client_id,
        kind: r.kind,
        kind_label: r.kind.label(),
        urgency: r.urgency,
        status: r.status,
        status_label: r.status.label(),
        open: r.status.is_open(),
        to: r.text.to,
        reason: r.text.reason,
        history: r.text.history,
        sent_on: r.sent_on,
        status_on: r.status_on,
        version: r.version,
        created_at: r.created_at,
    })
}

/// The client's referrals, open first; the caller asked the policy.
pub(crate) async fn list(tx: &Tx<'_>, client: ClientId) -> Result<Vec<ReferralView>> {
    let mut names = Names::default();
    let mut out = Vec::new();
    for r in repo::for_client(tx, client).await? {
        out.push(view(tx, r, &mut names).await?);
    }
    Ok(out)
}

impl App {
    pub async fn referrals(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<ReferralView>> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "referral.list", "referral")
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
                .detail(format!("{} referrals", out.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn refer(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: ReferralInput,
    ) -> Result<ReferralView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "referral.create", "referral").client(client.0);
        let tx = self.store.begin().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Create, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let (kind, urgency, sent_on, text) = input.validated(today())?;
        let id = repo::insert(&tx, client, kind, urgency, sent_on, &text, me, now_utc()).await?;
        tx.audit(ev().resource(id).request(ctx.rid()).detail(format!(
            "{} ({})",
            kind.as_str(),
            urgency.as_str()
        )))
        .await?;
        let r = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let out = view(&tx, r, &mut Names::default()).await?;
        self.commit_once(tx, ctx, out).await
    }

    /// Moves a referral along (accepted, declined, seen, closed) against the version read.
    pub async fn move_referral(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: MoveInput,
    ) -> Result<ReferralView> {
        let ev = || AuditEvent::new(&ctx.actor, "referral.update", "referral").resource(id);
        let tx = self.store.begin().await?;
        let Some(r) = repo::get(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let client = r.client_id;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Update, ev().client(client.0))
            .await?;
        let next = ReferralStatus::parse(&input.status)?;
        let on = validate::date("on", &input.on)?;
        let note = validate::optional_text("note", input.note.as_deref().unwrap_or(""), 2000)?;
        check_move(r.status, next, r.sent_on, on, today())?;
        let mut history = r.text.history.clone();
        history.push((next, note));
        let text = ReferralText {
            history,
            ..r.text.clone()
        };
        if !repo::move_to(&tx, id, input.version, next, on, &text).await? {
            return Err(Error::Conflict(
                "this referral was changed in the meantime; reload to see it".into(),
            ));
        }
        tx.audit(ev().client(client.0).request(ctx.rid()).detail(format!(
            "{} -> {} on {on}",
            r.status.as_str(),
            next.as_str()
        )))
        .await?;
        let r = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let out = view(&tx, r, &mut Names::default()).await?;
        tx.commit().await?;
        Ok(out)
    }
}
