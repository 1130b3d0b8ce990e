//! Releasing a signed note outside the practice: the consents it needs, recorded one by one, and the record of
//! each disclosure. A joint note of a couple or family needs the consent of every adult member (a member's
//! agreement cannot be given by another); an individual note needs its client's (for a minor, given by a
//! guardian). For a psychotherapy note this consent is the specific authorisation HIPAA requires, and only the
//! note's author can record it or release the note.

use super::{NoteView, resource};
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::client::is_minor;
use rapport_domain::policy::Action;
use rapport_domain::{ClientId, Error, NoteId, Result, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::notes::{self as repo, Note, Release, ReleaseConsent};
use rapport_store::{Tx, now_utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Consenter {
    pub client_id: ClientId,
    pub name: String,
    pub how: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRecord {
    pub id: Uuid,
    pub recipient: String,
    pub purpose: String,
    pub released_by: String,
    pub released_at: DateTime<Utc>,
}

/// Who must agree before the note leaves the practice, who has, and where it went.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseState {
    pub consenters: Vec<Consenter>,
    pub ready: bool,
    pub releases: Vec<ReleaseRecord>,
}

/// The action a release (or a consent to one) needs: on a psychotherapy note the author's own rights, on any other
/// note the care team's right to add to the record.
fn release_action(n: &Note) -> Action {
    if n.kind.is_psychotherapy() {
        Action::Update
    } else {
        Action::Create
    }
}

impl App {
    /// The people whose consent a release of `note` needs: every adult member of its couple or family, or its
    /// client.
    async fn consenters_of(&self, tx: &Tx<'_>, note: &Note) -> Result<Vec<(ClientId, String)>> {
        let today = crate::today();
        let members: Vec<ClientId> = match note.unit_id {
            // Everyone whose chart the note is in: the members when it was written.
            Some(u) => rapport_store::units::get(tx.conn(), tx.cipher(), u)
                .await?
                .map(|u| u.members_at(note.created_at))
                .unwrap_or_default(),
            None => vec![note.client_id],
        };
        let joint = note.unit_id.is_some();
        let mut out = Vec::new();
        for m in members {
            if let Some(c) = rapport_store::clients::get(tx.conn(), m).await? {
                if joint && is_minor(c.date_of_birth, today) {
                    continue;
                }
                out.push((m, c.preferred_name.unwrap_or(c.legal_name)));
            }
        }
        Ok(out)
    }

    pub(crate) async fn release_state(&self, tx: &Tx<'_>, note: &Note) -> Result<ReleaseState> {
        let given = repo::release_consents(tx.conn(), note.id).await?;
        let consenters: Vec<Consenter> = self
            .consenters_of(tx, note)
            .await?
            .into_iter()
            .map(|(id, name)| {
                let c = given.iter().find(|g| g.client_id == id);
                Consenter {
                    client_id: id,
                    name,
                    how: c.map(|c| c.how.clone()),
                    recorded_at: c.map(|c| c.recorded_at),
                }
            })
            .collect();
        let mut names = super::Names::default();
        let mut releases = Vec::new();
        for r in repo::releases(tx, note.id).await? {
            releases.push(ReleaseRecord {
                released_by: names.person(tx, r.released_by).await?.name,
                id: r.id,
                recipient: r.recipient,
                purpose: r.purpose,
                released_at: r.released_at,
            });
        }
        Ok(ReleaseState {
            ready: !consenters.is_empty() && consenters.iter().all(|c| c.how.is_some()),
            consenters,
            releases,
        })
    }

    /// Records one person's consent to release a signed note.
    pub async fn record_release_consent(
        &self,
        ctx: &Ctx,
        id: NoteId,
        client: ClientId,
        how: &str,
    ) -> Result<NoteView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let how = validate::required_line("how", how, 200)?;
        let tx = self.store.begin().await?;
        let action = match repo::get(&tx, id).await? {
            Some(n) => release_action(&n),
            None => Action::Create,
        };
        let (tx, note, rel) = self
            .note_for(tx, ctx, id, action, "note.release_consent")
            .await?;
        note.status.check_addendum().map_err(|_| {
            Error::Conflict("only a signed note can be released; sign it first".into())
        })?;
        if !self
            .consenters_of(&tx, &note)
            .await?
            .iter()
            .any(|(c, _)| *c == client)
        {
            return Err(Error::invalid(
                "client_id",
                "this person's consent is not what releasing this note needs (an adult member of the couple or family, or the note's client)",
            ));
        }
        repo::put_release_consent(
            tx.conn(),
            id,
            &ReleaseConsent {
                client_id: client,
                how: how.clone(),
                recorded_by: me,
                recorded_at: now_utc(),
            },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.release_consent", "note")
                .resource(id)
                .client(client.0)
                .detail(how)
                .request(ctx.rid()),
        )
        .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records a disclosure of a signed note, once everyone whose consent it needs has given it. Every member's
    /// chart the note is in gets the disclosure in its audit trail.
    pub async fn release_note(
        &self,
        ctx: &Ctx,
        id: NoteId,
        recipient: &str,
        purpose: &str,
    ) -> Result<NoteView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let mut p = rapport_domain::error::Problems::new();
        let recipient = p.take(validate::required_line("recipient", recipient, 300));
        let purpose = p.take(validate::required_line("purpose", purpose, 300));
        p.finish()?;
        let (Some(recipient), Some(purpose)) = (recipient, purpose) else {
            return Err(Error::internal("validation passed without values"));
        };
        let tx = self.store.begin().await?;
        let action = match repo::get(&tx, id).await? {
            Some(n) => release_action(&n),
            None => Action::Create,
        };
        let (tx, note, rel) = self.note_for(tx, ctx, id, action, "note.release").await?;
        self.once_check(&tx, ctx).await?;
        note.status.check_addendum().map_err(|_| {
            Error::Conflict("only a signed note can be released; sign it first".into())
        })?;
        let state = self.release_state(&tx, &note).await?;
        let missing: Vec<&str> = state
            .consenters
            .iter()
            .filter(|c| c.how.is_none())
            .map(|c| c.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid(
                "consent",
                format!(
                    "consent to release this note is still needed from: {}",
                    missing.join(", ")
                ),
            ));
        }
        repo::add_release(
            &tx,
            id,
            &Release {
                id: Uuid::now_v7(),
                recipient: recipient.clone(),
                purpose: purpose.clone(),
                released_by: me,
                released_at: now_utc(),
            },
        )
        .await?;
        for c in &state.consenters {
            tx.audit(
                AuditEvent::new(&ctx.actor, "note.release", "note")
                    .resource(id)
                    .client(c.client_id.0)
                    .detail(format!("to {recipient}, for {purpose}"))
                    .request(ctx.rid()),
            )
            .await?;
        }
        let view = self.note_view(&tx, ctx, note, rel).await?;
        self.commit_once(tx, ctx, view).await
    }

    pub(crate) fn may_release(
        &self,
        ctx: &Ctx,
        note: &Note,
        rel: rapport_domain::policy::NoteRelation,
    ) -> bool {
        note.status.is_locked()
            && rapport_domain::policy::authorize(
                &ctx.actor,
                release_action(note),
                resource(note.kind, rel),
            )
            .is_allowed()
    }
}
