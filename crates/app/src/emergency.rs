//! Breaking the glass: a clinician outside a client's care team opens that client's record in an emergency,
//! read-only, for `EMERGENCY_HOURS`, after naming the client exactly (legal name and date of birth: someone who
//! knows both already knows the client exists) and giving a reason. The care team and the administrators are
//! e-mailed at once, naming no client; every read under it is in the audit log as usual, and an administrator
//! reviews each use against those reads and records a finding.
//!
//! The access itself is a fact the store reports in `care::relation` (`ClientRelation::emergency_access`), so every
//! use case that reads a client's record honours it through the one policy, and it ends by itself.

use crate::notes::{Names, Person};
use crate::{App, Ctx, today};
use chrono::{DateTime, Duration, Utc};
use rapport_domain::emergency::{self, EMERGENCY_HOURS, Finding};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource};
use rapport_domain::{ClientId, Error, Result, Role, UserId, validate};
use rapport_store::Unaudited;
use rapport_store::audit::{AuditEvent, AuditFilter};
use rapport_store::emergency as repo;
use rapport_store::outbox::{self, NewMessage};
use rapport_store::{care, clients, now_utc, resources, users};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassInput {
    pub legal_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmergencyGranted {
    pub id: Uuid,
    pub client_id: ClientId,
    pub expires_at: DateTime<Utc>,
}

/// One action taken under an emergency access, from the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct EmergencyRead {
    pub at: DateTime<Utc>,
    pub action: String,
    pub outcome: String,
}

/// One emergency access as the reviewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EmergencyView {
    pub id: Uuid,
    pub user: Person,
    pub client_id: ClientId,
    pub client_name: String,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub live: bool,
    /// What the person did with the client's record while the access lasted, oldest first.
    pub reads: Vec<EmergencyRead>,
    pub reviewed_by: Option<Person>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub finding: Option<Finding>,
    pub review_note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// "appropriate" or "inappropriate".
    pub finding: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Legal names compare without regard to case or runs of spaces.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

impl App {
    /// Breaks the glass for the one client with exactly this legal name and date of birth. No match is "not
    /// found" (audited); two clients with the same name and birthday are a conflict, because guessing is no way
    /// into a record.
    pub async fn break_glass(&self, ctx: &Ctx, input: BreakGlassInput) -> Result<EmergencyGranted> {
        ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut p = Problems::new();
        let name = p.take(validate::required_line(
            "legal_name",
            &input.legal_name,
            200,
        ));
        let dob = p.take(validate::date_of_birth(&input.date_of_birth, today()));
        let reason = p.take(emergency::reason(&input.reason));
        p.finish()?;
        let (Some(name), Some(dob), Some(reason)) = (name, dob, reason) else {
            return Err(Error::internal("validated emergency request lost a field"));
        };
        let tx = self.store.begin().await?;
        let ev = || AuditEvent::new(&ctx.actor, "emergency.open", "client");
        let found: Vec<_> = clients::born_on(tx.conn(), dob)
            .await?
            .into_iter()
            .filter(|c| same_name(&c.legal_name, &name))
            .collect();
        let client = match found.as_slice() {
            [one] => one.clone(),
            [] => return self.hidden(tx, ctx, ev().detail("no client matched")).await,
            _ => {
                tx.rollback().await?;
                return Err(Error::Conflict(
                    "more than one client has this name and date of birth; ask the front desk or an administrator to identify the client".into(),
                ));
            }
        };
        self.grant_emergency(
            tx,
            ctx,
            client.id,
            reason,
            "named by legal name and date of birth",
        )
        .await
    }

    /// Breaks the glass for the client of an alert the caller was e-mailed about because they were on call (or the
    /// alert escalated to them): the e-mail named no client, so they cannot name one, and being told of the alert is
    /// what entitles them to ask. Anyone who was not told gets "not found", as for an unknown alert.
    pub async fn break_glass_for_alert(
        &self,
        ctx: &Ctx,
        alert: Uuid,
        reason: &str,
    ) -> Result<EmergencyGranted> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut p = Problems::new();
        let reason = p.take(emergency::reason(reason));
        p.finish()?;
        let Some(reason) = reason else {
            return Err(Error::internal(
                "validated emergency request lost its reason",
            ));
        };
        let tx = self.store.begin().await?;
        let ev = || AuditEvent::new(&ctx.actor, "emergency.open", "measure_alert").resource(alert);
        let Some(a) = rapport_store::measures::alert(tx.conn(), tx.cipher(), alert).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        if !crate::measures::was_told_of_alert(&tx, alert, me).await? {
            return self.hidden(tx, ctx, ev().client(a.client_id)).await;
        }
        self.grant_emergency(
            tx,
            ctx,
            ClientId(a.client_id),
            reason,
            &format!("the client of alert {alert}, which the caller was told of"),
        )
        .await
    }

    /// Grants one emergency access to `client` (the policy decides: clinical staff off the care team), e-mails the
    /// care team and the administrators, audits it with how the client was named, and commits.
    async fn grant_emergency(
        &self,
        tx: rapport_store::Tx<'_>,
        ctx: &Ctx,
        client: ClientId,
        reason: String,
        named: &str,
    ) -> Result<EmergencyGranted> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "emergency.open", "client")
                .resource(client)
                .client(client.0)
        };
        let rel = care::relation(tx.conn(), me, client).await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::EmergencyAccess(rel),
                ev(),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        let now = now_utc();
        let expires_at = now + Duration::hours(EMERGENCY_HOURS);
        let id = repo::insert(&tx, me, client, &reason, now, expires_at).await?;
        // Tell the care team and the administrators now, not at review time: a misuse is best caught at once.
        let who = users::by_id(tx.conn(), me)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        let practice = resources::practice_name(tx.conn()).await?;
        let team: Vec<UserId> = care::members(tx.conn(), client)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        let base = self.config.public_url.trim_end_matches('/');
        let review_url = format!("{base}/admin/emergency-access");
        let mut told = Vec::new();
        for u in users::list(tx.conn()).await? {
            let uid = UserId(u.id);
            let admin = users::roles(&u).contains(&Role::Admin);
            if u.disabled || uid == me || !(admin || team.contains(&uid)) || told.contains(&uid) {
                continue;
            }
            told.push(uid);
            // The care team sees it in the client's access log; administrators review it in the register.
            let (why, url) = if team.contains(&uid) {
                (
                    "a client on your caseload",
                    format!("{base}/clients/{}/access-log", client),
                )
            } else {
                ("a client of the practice", review_url.clone())
            };
            outbox::enqueue(
                &tx,
                NewMessage {
                    dedupe_key: format!("emergency:{id}:{uid}"),
                    kind: "emergency_access",
                    appointment_id: None,
                    recipient: u.email.clone(),
                    subject: format!("{practice}: emergency access to a record"),
                    body: format!(
                        "Hello {name},\n\n{who} used emergency access (break the glass) to the record of {why}, for {EMERGENCY_HOURS} hours from {at}. What they read is in Rapport:\n{url}\n\n{practice}\n",
                        name = u.display_name,
                        at = crate::measures::reader_zone(&tx, uid).await?.stamp(now),
                    ),
                    due_at: now,
                },
            )
            .await?;
        }
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "emergency access {id} until {}; {named}",
            expires_at.format("%Y-%m-%d %H:%M UTC")
        )))
        .await?;
        self.commit_once(
            tx,
            ctx,
            EmergencyGranted {
                id,
                client_id: client,
                expires_at,
            },
        )
        .await
    }

    /// When the caller's live emergency access to this client ends, if they hold one (for the client page's
    /// banner). Not audited: it reveals only the caller's own access.
    pub async fn my_emergency_access(
        &self,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<Option<DateTime<Utc>>> {
        let Some(me) = ctx.actor.user_id() else {
            return Ok(None);
        };
        Ok(repo::live_until(self.store.unaudited(Unaudited::AfterDecision), me, client).await?)
    }

    /// The register of emergency accesses, unreviewed first, each with what was done under it.
    pub async fn emergency_accesses(&self, ctx: &Ctx) -> Result<Vec<EmergencyView>> {
        let ev = || AuditEvent::new(&ctx.actor, "emergency.list", "emergency_access");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::EmergencyReviews, ev())
            .await?;
        let mut names = Names::default();
        let now = now_utc();
        let mut out = Vec::new();
        for a in repo::list(&tx, 200).await? {
            let reads = rapport_store::audit::list(
                tx.conn(),
                &AuditFilter {
                    actor_id: Some(a.user_id.0),
                    client_id: Some(a.client_id.0),
                    since: Some(a.started_at),
                    until: Some(a.expires_at),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .rev()
            .map(|r| EmergencyRead {
                at: r.at,
                action: r.action,
                outcome: r.outcome,
            })
            .collect();
            let client_name = clients::get(tx.conn(), a.client_id)
                .await?
                .map(|c| c.legal_name)
                .unwrap_or_default();
            out.push(EmergencyView {
                user: names.person(&tx, a.user_id).await?,
                reviewed_by: match a.reviewed_by {
                    Some(u) => Some(names.person(&tx, u).await?),
                    None => None,
                },
                id: a.id,
                client_id: a.client_id,
                client_name,
                reason: a.reason,
                started_at: a.started_at,
                expires_at: a.expires_at,
                live: a.expires_at > now,
                reads,
                reviewed_at: a.reviewed_at,
                finding: a.finding,
                review_note: a.review_note,
            });
        }
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} accesses", out.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Records an administrator's finding on one emergency access, once.
    pub async fn review_emergency_access(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: ReviewInput,
    ) -> Result<()> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut p = Problems::new();
        let finding = p.take(Finding::parse(&input.finding));
        let note = p
            .take(validate::optional_text(
                "note",
                input.note.as_deref().unwrap_or(""),
                2000,
            ))
            .flatten();
        p.finish()?;
        let Some(finding) = finding else {
            return Err(Error::internal("validated review lost its finding"));
        };
        let ev =
            || AuditEvent::new(&ctx.actor, "emergency.review", "emergency_access").resource(id);
        let tx = self.store.begin().await?;
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::EmergencyReviews, ev())
            .await?;
        let Some(a) = repo::get(&tx, id).await? else {
            return Err(Error::NotFound);
        };
        if !repo::review(&tx, id, me, finding, note.as_deref()).await? {
            return Err(Error::Conflict(
                "this emergency access has already been reviewed".into(),
            ));
        }
        tx.audit(
            ev().client(a.client_id.0)
                .request(ctx.rid())
                .detail(finding.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::same_name;

    #[test]
    fn names_match_whatever_the_case_and_spacing() {
        assert!(same_name("Ada  Lovelace", " ada lovelace"));
        assert!(!same_name("Ada Lovelace", "Ada Byron"));
    }
}
