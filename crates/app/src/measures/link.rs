//! The questionnaire a client opens from an e-mailed link, with no account: the link alone says who is answering
//! and what, so a submission can never be filed under another client or another instrument.
//!
//! A submission is all or nothing: every question that is put to the respondent must be answered with one of its
//! options, and then, in one transaction, the link is used up, the answers are stored sealed with their score, and
//! any critical answer raises an alert. A link that is unknown, used or expired is refused in plain words.

use super::public;
use crate::secrets::sha256_hex;
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::error::Problems;
use rapport_domain::measures::{self as m, Answers, Instrument};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{ClientId, Error, Result};
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::measures::{self as repo, EnteredVia, Link};
use rapport_store::{Tx, now_utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct LinkItem {
    pub id: String,
    pub text: String,
    /// (value, label) of each option, in the order the instrument gives them.
    pub options: Vec<(i32, String)>,
    /// Scored questions without skip logic must be answered; the others may be left blank.
    pub required: bool,
}

/// What the public questionnaire page shows. It carries nothing about the client.
#[derive(Debug, Clone, Serialize)]
pub struct LinkForm {
    pub title: String,
    pub instructions: Option<String>,
    pub items: Vec<LinkItem>,
    /// The words the instrument's licence requires beside its questions (a copyright line), shown verbatim.
    pub notice: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The client's own zone, for saying until when the link works.
    pub time_zone: String,
}

const USED: &str = "this link has already been used; if you want to change an answer, please contact your practice";
const EXPIRED: &str = "this link has expired; please ask your practice for a new one";

fn form(i: &Instrument, expires_at: DateTime<Utc>, time_zone: String) -> LinkForm {
    LinkForm {
        time_zone,
        title: i.name.clone(),
        instructions: i.instructions.clone(),
        items: i
            .items
            .iter()
            .map(|item| LinkItem {
                id: item.id.clone(),
                text: item.text.clone(),
                options: item
                    .options
                    .iter()
                    .map(|o| (o.value, o.label.clone()))
                    .collect(),
                required: item.scored && item.asked_if.is_none(),
            })
            .collect(),
        notice: i.licence.notice.clone(),
        expires_at,
    }
}

/// Reads `items.<id>=<value>` pairs from a form. Other fields are ignored: the client and the instrument come
/// from the link, never from what was posted.
pub(crate) fn answers_from_form(fields: &[(String, String)]) -> Result<Answers> {
    let mut p = Problems::new();
    let mut a = Answers::new();
    for (k, v) in fields {
        let Some(id) = k.strip_prefix("items.") else {
            continue;
        };
        match v.trim() {
            "" => {}
            v => match v.parse::<i32>() {
                Ok(n) => {
                    a.set(id, n);
                }
                Err(_) => p.add(k, "choose one of the answers offered"),
            },
        }
    }
    p.finish()?;
    Ok(a)
}

/// Every problem with a complete submission at once: answers that are not options, then questions left blank.
pub(crate) fn check_complete(i: &Instrument, a: &Answers) -> Result<()> {
    let mut p = Problems::new();
    if let Err(e) = m::score(i, a) {
        p.take::<()>(Err(e));
    }
    for id in m::unanswered(i, a) {
        p.add(&format!("items.{id}"), "please choose an answer");
    }
    p.finish()
}

impl App {
    /// Finds the link and lets the public through only while it is live; every refusal is audited.
    async fn live_link<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        token: &str,
        action: Action,
        audit_action: &str,
    ) -> Result<(Tx<'s>, Link, &'static Instrument)> {
        let ev = || AuditEvent::new(&ctx.actor, audit_action.to_string(), "measure_link");
        let Some(link) = repo::link_by_hash(tx.conn(), &sha256_hex(token.trim())).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let ev = || ev().resource(link.id).client(link.client_id);
        let now = now_utc();
        let refusal = if link.used_at.is_some() {
            Some(USED)
        } else if link.expires_at <= now {
            Some(EXPIRED)
        } else {
            None
        };
        let live = refusal.is_none();
        if let Some(why) = refusal {
            tx.rollback().await?;
            self.store
                .audit_alone(ev().outcome(Outcome::Denied).request(ctx.rid()).detail(
                    if link.used_at.is_some() {
                        "used"
                    } else {
                        "expired"
                    },
                ))
                .await?;
            return Err(Error::Conflict(why.into()));
        }
        let tx = self
            .guard(tx, ctx, action, Resource::MeasureLink { live }, ev())
            .await?;
        let instrument = m::instrument(&link.instrument_id)?;
        Ok((tx, link, instrument))
    }

    /// Opens the questionnaire behind a link (the link stays usable until it is submitted).
    pub async fn open_measure_link(
        &self,
        token: &str,
        request_id: Option<&str>,
    ) -> Result<LinkForm> {
        let ctx = Ctx {
            request_id: request_id.map(str::to_string),
            ..public()
        };
        let tx = self.store.begin().await?;
        let (tx, link, instrument) = self
            .live_link(tx, &ctx, token, Action::Read, "measure.link.open")
            .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "measure.link.open", "measure_link")
                .resource(link.id)
                .client(link.client_id)
                .request(ctx.rid())
                .detail(instrument.id.as_str()),
        )
        .await?;
        let time_zone = rapport_store::clients::get(tx.conn(), ClientId(link.client_id))
            .await?
            .map(|c| c.time_zone)
            .unwrap_or_else(|| "UTC".into());
        tx.commit().await?;
        Ok(form(instrument, link.expires_at, time_zone))
    }

    /// Submits the answers of a link's questionnaire: all or nothing.
    pub async fn submit_measure_link(
        &self,
        token: &str,
        fields: &[(String, String)],
        request_id: Option<&str>,
    ) -> Result<()> {
        let ctx = Ctx {
            request_id: request_id.map(str::to_string),
            ..public()
        };
        let answers = answers_from_form(fields)?;
        let tx = self.store.begin().await?;
        let (tx, link, instrument) = self
            .live_link(tx, &ctx, token, Action::Create, "measure.response.submit")
            .await?;
        check_complete(instrument, &answers)?;
        let now = now_utc();
        // The conditional update is the real guard against a double submission racing this one.
        if !repo::consume_link(tx.conn(), link.id, now).await? {
            return Err(Error::Conflict(USED.into()));
        }
        let client = rapport_store::clients::get(tx.conn(), ClientId(link.client_id))
            .await?
            .ok_or(Error::NotFound)?;
        self.record_response(
            &tx,
            &ctx,
            super::record::Recording {
                client: &client,
                instrument,
                answers,
                assignment_id: link.assignment_id,
                link_id: Some(link.id),
                via: EnteredVia::ClientLink,
                completed_at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
