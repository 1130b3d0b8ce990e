//! The client's diary link: e-mailed through the outbox, usable many times until it expires (30 days by default,
//! a practice setting) or the clinician revokes it; sending a new link revokes the old one, so a lost phone's link
//! dies with the next e-mail. The e-mail names no behaviour and not the client.
//!
//! The link is the holder's only authority and it is bound to one client when made: whatever a form posts, entries
//! go to that client's active behaviours and ticks to that client's open homework, or the submission is refused
//! whole. The form shows what it needs to be filled in (the behaviours' names and scales, the open homework) and
//! nothing that was logged before.

use super::entries::{earliest, form_values, input_bounds, record};
use super::homework::settle;
use super::{client_today, form_unit};
use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rapport_domain::behaviour::{HomeworkStatus, MeasureKind, completion_note};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{Actor, ClientId, Error, Result};
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::behaviour::{self as repo, DiaryLink, Via};
use rapport_store::clients::Client;
use rapport_store::outbox::{self, NewMessage};
use rapport_store::{Tx, now_utc, resources};
use serde::Serialize;
use uuid::Uuid;

const REVOKED: &str = "this diary link has been switched off by your practice; please use the newest link they sent you, or ask them for one";
const EXPIRED: &str = "this diary link has expired; please ask your practice for a new one";

#[derive(Debug, Clone, Serialize)]
pub struct DiaryLinkView {
    pub expires_at: DateTime<Utc>,
    /// Older links of this client that the new one replaced (or that were revoked).
    pub revoked: u64,
}

/// One behaviour on the diary form: what it is called and how a value is typed.
#[derive(Debug, Clone, Serialize)]
pub struct DiaryBehaviour {
    pub id: Uuid,
    pub name: String,
    pub kind: MeasureKind,
    /// "times", "hours" or "points".
    pub input_unit: &'static str,
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiaryHomework {
    pub id: Uuid,
    pub title: String,
    pub instructions: Option<String>,
    pub due_on: NaiveDate,
}

/// What the public diary page shows. It names no client.
#[derive(Debug, Clone, Serialize)]
pub struct DiaryForm {
    pub today: NaiveDate,
    pub earliest: NaiveDate,
    pub behaviours: Vec<DiaryBehaviour>,
    pub homework: Vec<DiaryHomework>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct DiaryReceipt {
    pub entries: usize,
    pub homework_done: usize,
}

fn public_ctx(request_id: Option<&str>) -> Ctx {
    Ctx::new(Actor::Public, request_id.map(str::to_string))
}

impl App {
    /// E-mails the client a diary link (replacing any earlier one) and returns until when it works.
    pub async fn send_diary_link(&self, ctx: &Ctx, client: ClientId) -> Result<DiaryLinkView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "diary.link.send", "client")
                .resource(client)
                .client(client.0)
        };
        let days = self.behaviour_settings().await?.link_days;
        let tx = self.store.begin().await?;
        let (tx, c, behaviours) = self
            .behaviour_client(tx, ctx, client, Action::Create, ev())
            .await?;
        let Some(email) = c.email.as_deref().filter(|e| !e.trim().is_empty()) else {
            return Err(Error::invalid(
                "email",
                "the client has no e-mail address on file; add one first",
            ));
        };
        let open_homework = repo::homework_for_client(&tx, client)
            .await?
            .iter()
            .any(|h| h.status == HomeworkStatus::Assigned);
        if !behaviours.iter().any(|b| b.active) && !open_homework {
            return Err(Error::invalid(
                "behaviours",
                "there is nothing to log yet: add a behaviour or set homework first",
            ));
        }
        let now = now_utc();
        let revoked = repo::revoke_links(tx.conn(), client, now).await?;
        let token = secrets::token();
        let hash = sha256_hex(&token);
        let expires_at = now + Duration::days(days);
        repo::insert_link(
            tx.conn(),
            repo::NewDiaryLink {
                token_hash: &hash,
                client_id: client,
                created_by: me,
                created_at: now,
                expires_at,
            },
        )
        .await?;
        let practice = resources::practice_name(tx.conn()).await?;
        let url = format!(
            "{}/log/{token}",
            self.config.public_url.trim_end_matches('/')
        );
        outbox::enqueue(
            &tx,
            NewMessage {
                dedupe_key: format!("diary-link:{hash}"),
                kind: "diary_link",
                appointment_id: None,
                recipient: email.to_string(),
                subject: "Your diary link from your practice".into(),
                body: format!(
                    "Hello,\n\nYour practice has set up a short diary for you to fill in between sessions. You can use this link as often as you like for the next {days} days:\n{url}\n\nPlease keep this e-mail to yourself: anyone with the link can add to your diary (they cannot read it). Any earlier diary link no longer works.\n\nIf you have questions, please contact your practice.\n\n{practice}\n"
                ),
                due_at: now,
            },
        )
        .await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("expires {}", expires_at.date_naive())),
        )
        .await?;
        tx.commit().await?;
        Ok(DiaryLinkView {
            expires_at,
            revoked,
        })
    }

    /// Switches off the client's diary link at once.
    pub async fn revoke_diary_link(&self, ctx: &Ctx, client: ClientId) -> Result<u64> {
        let ev = || {
            AuditEvent::new(&ctx.actor, "diary.link.revoke", "client")
                .resource(client)
                .client(client.0)
        };
        let tx = self.store.begin().await?;
        let (tx, _) = self
            .guard_clinical(tx, ctx, client, Action::Update, ev())
            .await?;
        let n = repo::revoke_links(tx.conn(), client, now_utc()).await?;
        tx.audit(ev().request(ctx.rid()).detail(format!("{n} revoked")))
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Finds the link and lets the public through only while it is live; every refusal is audited.
    async fn live_diary_link<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        token: &str,
        action: Action,
        audit_action: &str,
    ) -> Result<(Tx<'s>, DiaryLink, Client)> {
        let ev = || AuditEvent::new(&ctx.actor, audit_action.to_string(), "diary_link");
        let Some(link) = repo::link_by_hash(tx.conn(), &sha256_hex(token.trim())).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let ev = || ev().resource(link.id).client(link.client_id);
        let now = now_utc();
        let refusal = if link.revoked_at.is_some() {
            Some(("revoked", REVOKED))
        } else if link.expires_at <= now {
            Some(("expired", EXPIRED))
        } else {
            None
        };
        if let Some((word, why)) = refusal {
            tx.rollback().await?;
            self.store
                .audit_alone(
                    ev().outcome(Outcome::Denied)
                        .request(ctx.rid())
                        .detail(word),
                )
                .await?;
            return Err(Error::Conflict(why.into()));
        }
        let tx = self
            .guard(tx, ctx, action, Resource::DiaryLink { live: true }, ev())
            .await?;
        let Some(c) = rapport_store::clients::get(tx.conn(), ClientId(link.client_id)).await?
        else {
            return self.hidden(tx, ctx, ev()).await;
        };
        Ok((tx, link, c))
    }

    async fn diary_form(&self, tx: &Tx<'_>, link: &DiaryLink, c: &Client) -> Result<DiaryForm> {
        let (_, today) = client_today(c, now_utc());
        let behaviours = repo::behaviours_for_client(tx, c.id)
            .await?
            .into_iter()
            .filter(|b| b.active)
            .map(|b| {
                let (min, max, step) = input_bounds(b.kind);
                DiaryBehaviour {
                    id: b.id,
                    name: b.name,
                    input_unit: form_unit(b.kind),
                    kind: b.kind,
                    min,
                    max,
                    step,
                }
            })
            .collect();
        let homework = repo::homework_for_client(tx, c.id)
            .await?
            .into_iter()
            .filter(|h| h.status == HomeworkStatus::Assigned)
            .map(|h| DiaryHomework {
                id: h.id,
                title: h.title,
                instructions: h.instructions,
                due_on: h.due_on,
            })
            .collect();
        Ok(DiaryForm {
            today,
            earliest: earliest(today),
            behaviours,
            homework,
            expires_at: link.expires_at,
        })
    }

    /// Opens the diary form behind a link.
    pub async fn open_diary_link(
        &self,
        token: &str,
        request_id: Option<&str>,
    ) -> Result<DiaryForm> {
        let ctx = public_ctx(request_id);
        let tx = self.store.begin().await?;
        let (tx, link, c) = self
            .live_diary_link(tx, &ctx, token, Action::Read, "diary.link.open")
            .await?;
        let form = self.diary_form(&tx, &link, &c).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "diary.link.open", "diary_link")
                .resource(link.id)
                .client(link.client_id)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(form)
    }

    /// Stores what the client filled in: `date`, `value.<behaviour id>` (durations in hours), `done.<homework id>`
    /// and `note.<homework id>`. All or nothing; other fields are ignored (the client comes from the link).
    pub async fn submit_diary_link(
        &self,
        token: &str,
        fields: &[(String, String)],
        request_id: Option<&str>,
    ) -> Result<DiaryReceipt> {
        let ctx = public_ctx(request_id);
        let tx = self.store.begin().await?;
        let (tx, link, c) = self
            .live_diary_link(tx, &ctx, token, Action::Create, "diary.link.submit")
            .await?;
        let now = now_utc();
        let (_, today) = client_today(&c, now);
        let behaviours = repo::behaviours_for_client(&tx, c.id).await?;
        let mut homework = repo::homework_for_client(&tx, c.id).await?;
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.trim());
        let mut p = Problems::new();
        let pending = form_values(
            fields,
            &behaviours,
            today,
            "this is not one of the behaviours on your diary",
            &mut p,
        );
        let mut done = Vec::new();
        for (k, v) in fields {
            if let Some(id) = k.strip_prefix("done.") {
                match Uuid::parse_str(id).ok().and_then(|id| {
                    homework
                        .iter()
                        .position(|h| h.id == id && h.status == HomeworkStatus::Assigned)
                }) {
                    Some(i) => {
                        let note_field = format!("note.{id}");
                        let note = p
                            .take(completion_note(&note_field, get(&note_field).unwrap_or("")))
                            .flatten();
                        done.push((i, note));
                    }
                    None => p.add(k, "this homework is not open on your diary any more"),
                }
            } else if let Some(id) = k.strip_prefix("note.")
                && !v.trim().is_empty()
                && get(&format!("done.{id}")).is_none()
            {
                p.add(k, "tick 'I did this' to send a note with it");
            }
        }
        if pending.is_empty() && done.is_empty() && p.is_empty() {
            p.add(
                "date",
                "nothing to send yet: fill in at least one number or tick a homework item",
            );
        }
        p.finish()?;
        let stored = record(
            &tx,
            &behaviours,
            pending,
            today,
            Via::DiaryLink(link.id),
            now,
        )
        .await?;
        for (i, note) in &done {
            let h = &mut homework[*i];
            let expected = h.version;
            settle(
                h,
                HomeworkStatus::Done,
                note.clone(),
                "diary_link",
                now,
                today,
            );
            if !repo::save_homework(&tx, h, expected).await? {
                return Err(Error::Conflict(
                    "your practice changed this homework just now; please reload the page".into(),
                ));
            }
        }
        // The conditional update is the real guard against a revocation racing this submission.
        if !repo::use_link(tx.conn(), link.id, now).await? {
            return Err(Error::Conflict(REVOKED.into()));
        }
        let receipt = DiaryReceipt {
            entries: stored.len(),
            homework_done: done.len(),
        };
        tx.audit(
            AuditEvent::new(&ctx.actor, "diary.link.submit", "diary_link")
                .resource(link.id)
                .client(link.client_id)
                .request(ctx.rid())
                .detail(format!(
                    "{} entries, {} homework done",
                    receipt.entries, receipt.homework_done
                )),
        )
        .await?;
        tx.commit().await?;
        Ok(receipt)
    }
}
