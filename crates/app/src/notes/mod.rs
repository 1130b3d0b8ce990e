//! Note use cases: write a draft from a template, save it with optimistic versions, sign (hash and lock),
//! co-sign a trainee's note, add signed addenda, share a psychotherapy note with one's supervisor, and the lists
//! that lead there (a client's notes, one's unsigned and late notes, the co-signature queue).
//!
//! Psychotherapy notes go through the same use cases but ask the policy about `Resource::PsychotherapyNote`, so
//! nobody but their author (or the supervisor they were shared with) can learn that one exists.

mod lists;
mod release;
mod session;
mod write;

pub use lists::{NoteSummary, NotesDashboard};
pub use release::{Consenter, ReleaseRecord, ReleaseState};
pub use session::SessionFacts;
pub use write::{DraftInput, NewNote};

use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::notes::{Content, NoteKind, NoteStatus, Template, lifecycle};
use rapport_domain::policy::{Action, NoteRelation, Resource, authorize};
use rapport_domain::{ClientId, Error, NoteId, Result, UserId};
use rapport_store::audit::AuditEvent;
use rapport_store::notes::{self as repo, Addendum, Note};
use rapport_store::{Tx, care, resources, users};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Unsigned notes count as late this many days after the session unless the practice says otherwise.
const DEFAULT_DUE_DAYS: u32 = 3;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddendumView {
    pub id: uuid::Uuid,
    pub author: Person,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub content_hash: String,
}

/// What the caller may do with the note they are looking at (for buttons; the use cases check again).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NoteRights {
    pub edit: bool,
    pub sign: bool,
    pub cosign: bool,
    /// The draft's author left the care team and the caller, on it, may make the draft their own.
    pub take_over: bool,
    pub add_addendum: bool,
    pub share: bool,
    pub release: bool,
}

/// A supervisor's feedback on a co-signed note.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackView {
    pub given_by: Person,
    pub given_at: DateTime<Utc>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    pub id: NoteId,
    pub client_id: ClientId,
    pub client_name: String,
    pub appointment_id: Option<uuid::Uuid>,
    /// The appointment's facts (time, length, CPT code, participants) when the note documents one.
    pub session: Option<SessionFacts>,
    pub kind: NoteKind,
    pub kind_label: &'static str,
    pub template: Template,
    pub content: Content,
    pub author: Person,
    pub service_date: NaiveDate,
    pub status: NoteStatus,
    pub status_label: &'static str,
    pub late: bool,
    pub signed_at: Option<DateTime<Utc>>,
    /// SHA-256 of what was signed, and whether the stored note still matches it.
    pub content_hash: Option<String>,
    pub hash_verified: Option<bool>,
    pub cosign_required: bool,
    pub cosigned_by: Option<Person>,
    pub cosigned_at: Option<DateTime<Utc>>,
    /// What the supervisor wrote for the trainee when co-signing, for whoever may read the note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervisor_feedback: Option<FeedbackView>,
    pub addenda: Vec<AddendumView>,
    /// Psychotherapy notes only, and only for their author: who it is shared with for supervision.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<Person>,
    pub rights: NoteRights,
    /// A joint note's couple or family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitRef>,
    /// Consents and disclosures, for those who may release the note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseState>,
    pub version: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub id: uuid::Uuid,
    pub kind: &'static str,
    pub label: String,
}

/// The hash recorded at signing: SHA-256 over a canonical JSON of everything the signature vouches for.
pub(crate) fn signed_hash(n: &Note, signed_at: DateTime<Utc>) -> String {
    let doc = serde_json::json!({
        "note": n.id,
        "client": n.client_id,
        "author": n.author_id,
        "kind": n.kind.as_str(),
        "template": n.template.key,
        "service_date": n.service_date,
        "fields": n.content,
        "signed_at": signed_at.to_rfc3339(),
    });
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

pub(crate) fn addendum_hash(a: &Addendum, note_hash: &str) -> String {
    let doc = serde_json::json!({
        "note": a.note_id,
        "note_hash": note_hash,
        "addendum": a.id,
        "author": a.author_id,
        "body": a.body,
        "created_at": a.created_at.to_rfc3339(),
    });
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

pub(crate) fn resource(kind: NoteKind, rel: NoteRelation) -> Resource {
    if kind.is_psychotherapy() {
        Resource::PsychotherapyNote(rel)
    } else {
        Resource::ClinicalNote(rel)
    }
}

/// Looks up display names once per request.
#[derive(Default)]
pub(crate) struct Names(HashMap<UserId, String>);

impl Names {
    pub(crate) async fn person(&mut self, tx: &Tx<'_>, id: UserId) -> Result<Person> {
        if let Some(n) = self.0.get(&id) {
            return Ok(Person {
                id,
                name: n.clone(),
            });
        }
        let name = users::by_id(tx.conn(), id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_else(|| "(former staff member)".into());
        self.0.insert(id, name.clone());
        Ok(Person { id, name })
    }
}

impl App {
    /// The caller's relationship to one note: through the client's care team (for a joint note, the care team of
    /// any member whose chart it is in: who belonged to the unit when it was written), authorship, supervision of
    /// the author, or a share. `unit` is the joint note's unit and when the note was written.
    pub(crate) async fn note_relation(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        client: ClientId,
        author: UserId,
        note: Option<NoteId>,
        unit: Option<(uuid::Uuid, chrono::DateTime<chrono::Utc>)>,
    ) -> Result<NoteRelation> {
        let Some(me) = ctx.actor.user_id() else {
            return Ok(NoteRelation::default());
        };
        let mut rel = care::relation(tx.conn(), me, client).await?;
        let mut charts = vec![client];
        if let Some((u, written)) = unit
            && let Some(unit) = rapport_store::units::get(tx.conn(), tx.cipher(), u).await?
        {
            for member in unit.members_at(written) {
                let r = care::relation(tx.conn(), me, member).await?;
                rel.on_care_team |= r.on_care_team;
                rel.supervises_care_team_member |= r.supervises_care_team_member;
                charts.push(member);
            }
        }
        let author_on_team = if me == author {
            rel.on_care_team
        } else {
            let mut on = false;
            for c in charts {
                on |= care::members(tx.conn(), c)
                    .await?
                    .iter()
                    .any(|m| m.user_id == author);
            }
            on
        };
        Ok(NoteRelation {
            client: rel,
            author_on_team,
            is_author: me == author,
            supervises_author: me != author && care::supervises(tx.conn(), me, author).await?,
            shared_with_me: match note {
                Some(n) => repo::shared_with(tx.conn(), n).await?.contains(&me),
                None => false,
            },
        })
    }

    pub(crate) async fn note_due_days(&self, tx: &Tx<'_>) -> Result<u32> {
        Ok(resources::setting(tx.conn(), "notes.due_days")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_DUE_DAYS))
    }

    /// Loads a note and asks the policy; a note the caller may not know of is "not found", and the denial is
    /// audited either way.
    pub(crate) async fn note_for<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        id: NoteId,
        action: Action,
        audit_action: &str,
    ) -> Result<(Tx<'s>, Note, NoteRelation)> {
        let ev = || AuditEvent::new(&ctx.actor, audit_action.to_string(), "note").resource(id);
        let Some(note) = repo::get(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = self
            .note_relation(
                &tx,
                ctx,
                note.client_id,
                note.author_id,
                Some(id),
                note.unit_id.map(|u| (u, note.created_at)),
            )
            .await?;
        let tx = self
            .guard(
                tx,
                ctx,
                action,
                resource(note.kind, rel),
                ev().client(note.client_id.0).detail(note.kind.as_str()),
            )
            .await?;
        Ok((tx, note, rel))
    }

    /// Builds what the caller sees of a note they may read.
    pub(crate) async fn note_view(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        note: Note,
        rel: NoteRelation,
    ) -> Result<NoteView> {
        let mut names = Names::default();
        let addenda = repo::addenda(tx, note.id).await?;
        let mut addenda_views = Vec::with_capacity(addenda.len());
        for a in addenda {
            addenda_views.push(AddendumView {
                author: names.person(tx, a.author_id).await?,
                id: a.id,
                body: a.body,
                created_at: a.created_at,
                content_hash: a.content_hash,
            });
        }
        let shared_with = if note.kind.is_psychotherapy() && rel.is_author {
            let mut v = Vec::new();
            for u in repo::shared_with(tx.conn(), note.id).await? {
                v.push(names.person(tx, u).await?);
            }
            v
        } else {
            Vec::new()
        };
        let client_name = rapport_store::clients::get(tx.conn(), note.client_id)
            .await?
            .map(|c| c.preferred_name.unwrap_or(c.legal_name))
            .ok_or(Error::NotFound)?;
        let res = resource(note.kind, rel);
        let can = |a: Action| authorize(&ctx.actor, a, res).is_allowed();
        let locked = note.status.is_locked();
        let rights = NoteRights {
            edit: !locked && can(Action::Update),
            sign: !locked && can(Action::Sign),
            cosign: note.status == NoteStatus::AwaitingCosign && can(Action::CoSign),
            take_over: !locked && can(Action::TakeOver),
            add_addendum: locked
                && if note.kind.is_psychotherapy() {
                    can(Action::Update)
                } else {
                    can(Action::Create)
                },
            share: note.kind.is_psychotherapy() && rel.is_author,
            release: self.may_release(ctx, &note, rel),
        };
        let release = if rights.release {
            Some(self.release_state(tx, &note).await?)
        } else {
            None
        };
        let unit = match note.unit_id {
            Some(u) => rapport_store::units::get(tx.conn(), tx.cipher(), u)
                .await?
                .map(|u| UnitRef {
                    id: u.id,
                    kind: u.kind.as_str(),
                    label: u.label,
                }),
            None => None,
        };
        // Only a co-signed note can have feedback: the others are not asked.
        let given = if note.status == NoteStatus::Cosigned {
            rapport_store::note_feedback::of(tx, note.id).await?
        } else {
            None
        };
        let supervisor_feedback = match given {
            Some(f) => Some(FeedbackView {
                given_by: names.person(tx, f.given_by).await?,
                given_at: f.given_at,
                text: f.text,
            }),
            None => None,
        };
        let due = self.note_due_days(tx).await?;
        let session = match note.appointment_id {
            Some(a) => self.session_facts(tx, ctx, a, note.client_id).await?,
            None => None,
        };
        Ok(NoteView {
            session,
            supervisor_feedback,
            id: note.id,
            client_id: note.client_id,
            client_name,
            appointment_id: note.appointment_id,
            kind: note.kind,
            kind_label: note.kind.label(),
            late: lifecycle::is_late(note.status, note.service_date, crate::today(), due),
            hash_verified: note
                .signed_at
                .zip(note.content_hash.as_ref())
                .map(|(at, h)| &signed_hash(&note, at) == h),
            author: names.person(tx, note.author_id).await?,
            cosigned_by: match note.cosigned_by {
                Some(u) => Some(names.person(tx, u).await?),
                None => None,
            },
            template: note.template,
            content: note.content,
            service_date: note.service_date,
            status: note.status,
            status_label: note.status.label(),
            signed_at: note.signed_at,
            content_hash: note.content_hash,
            cosign_required: note.cosign_required,
            cosigned_at: note.cosigned_at,
            addenda: addenda_views,
            shared_with,
            rights,
            unit,
            release,
            version: note.version,
        })
    }

    /// Reads one note (with its addenda); the read is audited.
    pub async fn get_note(&self, ctx: &Ctx, id: NoteId) -> Result<NoteView> {
        let tx = self.store.begin_read().await?;
        let (tx, note, rel) = self
            .note_for(tx, ctx, id, Action::Read, "note.read")
            .await?;
        let ev = AuditEvent::new(&ctx.actor, "note.read", "note")
            .resource(id)
            .client(note.client_id.0)
            .detail(note.kind.as_str())
            .request(ctx.rid());
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(view)
    }
}
