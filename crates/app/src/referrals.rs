//! Referrals out of the practice (psychiatry, family doctor, specialists, crisis services): made and followed by
//! the care team, read like the clinical record (emergency access included), in every copy of the record; and the
//! practice's list of those still waiting for an answer, for the clinicians whose care teams (or supervisees')
//! made them, paged, each row checked against the policy and its client's access audited.

use crate::notes::{Names, Person};
use crate::{App, Ctx, today};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::referral::{
    ReferralInput, ReferralKind, ReferralStatus, ReferralText, Urgency, check_move,
};
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::referrals::{self as repo, Referral};
use rapport_store::{Tx, care, clients, now_utc};
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

/// How many referrals the waiting list shows at a time.
pub const WAITING_PAGE_SIZE: u64 = 50;

/// A referral waiting for an answer, as the practice-wide list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingReferral {
    pub id: Uuid,
    pub client_id: ClientId,
    pub client_name: String,
    pub kind_label: &'static str,
    pub urgency: Urgency,
    pub urgency_label: &'static str,
    pub to: String,
    pub sent_on: NaiveDate,
    /// Whole days since it was sent.
    pub days_waiting: i64,
    pub referred_by: Person,
}

/// One page of the referrals waiting for an answer, and how many there are in all.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingReferrals {
    pub items: Vec<WaitingReferral>,
    pub total: u64,
    pub offset: u64,
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

    /// The referrals of the caller's care teams (and, for a supervisor, their supervisees') that are still waiting
    /// for an answer, longest waiting first, `WAITING_PAGE_SIZE` from `offset`. Each row is the clinical record,
    /// so each is asked of the policy as such and leaves a `referral.list` entry on its client.
    pub async fn waiting_referrals(&self, ctx: &Ctx, offset: u64) -> Result<WaitingReferrals> {
        let ev = || AuditEvent::new(&ctx.actor, "referral.waiting", "referral");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::OpenReferrals, ev())
            .await?;
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut members = vec![me];
        if ctx.actor.has(rapport_domain::Role::Supervisor) {
            members.extend(care::supervisees(tx.conn(), me).await?);
        }
        let (rows, total) = repo::waiting(&tx, &members, offset, WAITING_PAGE_SIZE).await?;
        let ids: Vec<ClientId> = rows.iter().map(|r| r.client_id).collect();
        let client_names = clients::names(tx.conn(), &ids).await?;
        let today = today();
        let mut names = Names::default();
        let mut items = Vec::new();
        let mut hidden = 0;
        let mut seen = std::collections::BTreeMap::<ClientId, usize>::new();
        for r in rows {
            let rel = care::relation(tx.conn(), me, r.client_id).await?;
            // The query's scope is the policy's care-team rule; asking again keeps the one policy the judge.
            if !authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed() {
                hidden += 1;
                continue;
            }
            *seen.entry(r.client_id).or_default() += 1;
            items.push(WaitingReferral {
                referred_by: names.person(&tx, r.created_by).await?,
                id: r.id,
                client_id: r.client_id,
                client_name: client_names.get(&r.client_id).cloned().unwrap_or_default(),
                kind_label: r.kind.label(),
                urgency: r.urgency,
                urgency_label: r.urgency.label(),
                to: r.text.to,
                sent_on: r.sent_on,
                days_waiting: (today - r.sent_on).num_days(),
            });
        }
        for (client, n) in &seen {
            tx.audit(
                AuditEvent::new(&ctx.actor, "referral.list", "referral")
                    .resource(*client)
                    .client(client.0)
                    .request(ctx.rid())
                    .detail(format!("{n} waiting for an answer, on the practice's list")),
            )
            .await?;
        }
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} of {} waiting referrals from {offset}",
            items.len(),
            total
        )))
        .await?;
        tx.commit().await?;
        Ok(WaitingReferrals {
            items,
            total: total.saturating_sub(hidden),
            offset,
        })
    }
}
