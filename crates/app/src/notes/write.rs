//! Writing notes: create a draft, save it (optimistic versions, so two tabs cannot overwrite each other), sign,
//! co-sign, add addenda, and share a psychotherapy note with one's own supervisor.

use super::{NoteView, addendum_hash, resource, signed_hash};
use crate::{App, Ctx};
use chrono::NaiveDate;
use rapport_domain::notes::{Content, NoteStatus, Template, built_in_template, lifecycle};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::when::Zone;
use rapport_domain::{ClientId, Error, NoteId, Result, UserId, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::notes::{self as repo, Addendum, Note};
use rapport_store::{Tx, care, now_utc, schedule};
use serde::Deserialize;
use uuid::Uuid;

const ADDENDUM_MAX: usize = 20_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// A built-in template key (`progress_soap`, `psychotherapy`, …) or a practice template's key.
    pub template: String,
    /// The appointment the note documents; its date becomes the service date.
    #[serde(default)]
    pub appointment_id: Option<Uuid>,
    /// The date of service when no appointment is given (YYYY-MM-DD); today by default.
    #[serde(default)]
    pub service_date: Option<String>,
    #[serde(default)]
    pub fields: Content,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    #[serde(default)]
    pub service_date: Option<String>,
    #[serde(default)]
    pub fields: Content,
}

/// Whose chart a new note goes into.
enum Subject {
    Client(ClientId),
    Unit(Uuid),
}

/// The date typed (or `default`), never after the writer's `today`.
fn service_date(raw: Option<&str>, default: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    let date = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => validate::date("service_date", s)?,
        None => default,
    };
    lifecycle::check_service_date(date, today)
}

/// Today where the writer is (their clinician profile's zone, else the practice's).
async fn writers_today(tx: &Tx<'_>, writer: UserId) -> Result<NaiveDate> {
    let zone = rapport_store::resources::zone_of_user(tx.conn(), writer).await?;
    Ok(Zone::named(&zone).date(now_utc()))
}

impl App {
    /// A built-in template or the practice's own.
    pub(crate) async fn find_template(&self, tx: &Tx<'_>, key: &str) -> Result<Template> {
        if let Some(t) = built_in_template(key.trim()) {
            return Ok(t);
        }
        repo::templates(tx.conn())
            .await?
            .into_iter()
            .find(|t| t.key == key.trim())
            .ok_or_else(|| Error::invalid("template", format!("there is no note template '{key}'")))
    }

    /// Starts a draft note for a client. When it documents an appointment, the client must be one of its
    /// participants and the service date is the appointment's local date.
    pub async fn create_note(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: NewNote,
    ) -> Result<NoteView> {
        self.start_note(ctx, Subject::Client(client), input).await
    }

    /// Starts a joint note of a couple or family: it appears in every member's chart, so its author must be on
    /// every member's care team, and an appointment it documents must include every member.
    pub async fn create_joint_note(
        &self,
        ctx: &Ctx,
        unit: Uuid,
        input: NewNote,
    ) -> Result<NoteView> {
        self.start_note(ctx, Subject::Unit(unit), input).await
    }

    async fn start_note(&self, ctx: &Ctx, subject: Subject, input: NewNote) -> Result<NoteView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let template = self.find_template(&tx, &input.template).await?;
        let kind = template.kind;
        let mut ended = false;
        let (members, unit_id) = match subject {
            Subject::Client(c) => {
                let known = rapport_store::clients::get(tx.conn(), c).await?.is_some();
                (if known { vec![c] } else { Vec::new() }, None)
            }
            Subject::Unit(u) => match rapport_store::units::get(tx.conn(), tx.cipher(), u).await? {
                Some(unit) => {
                    ended = unit.ended_at.is_some();
                    (unit.members.into_iter().map(|(c, _)| c).collect(), Some(u))
                }
                None => (Vec::new(), Some(u)),
            },
        };
        let ev = |client: Option<ClientId>| {
            let e = AuditEvent::new(&ctx.actor, "note.create", "note").detail(kind.as_str());
            match client {
                Some(c) => e.client(c.0),
                None => e,
            }
        };
        let Some(&client) = members.first() else {
            return self.hidden(tx, ctx, ev(None)).await;
        };
        // Writing into several charts needs the right to write into each: the relation is the weakest of them.
        let mut rel = self.note_relation(&tx, ctx, client, me, None, None).await?;
        for m in members.iter().skip(1) {
            let r = care::relation(tx.conn(), me, *m).await?;
            rel.client.on_care_team &= r.on_care_team;
            rel.client.supervises_care_team_member &= r.supervises_care_team_member;
        }
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                resource(template.kind, rel),
                ev(Some(client)),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        // Asked after the policy, so that only someone who may write here learns the unit has ended.
        if ended {
            return Err(Error::Conflict(
                "this couple or family has ended; write in each member's own chart instead".into(),
            ));
        }
        if unit_id.is_some() && kind.is_psychotherapy() {
            return Err(Error::invalid(
                "template",
                "psychotherapy notes are kept per client; write one in the client's own chart",
            ));
        }
        let content = template.clean(&input.fields)?;
        let today = writers_today(&tx, me).await?;
        let date = match input.appointment_id {
            Some(a) => {
                let appt = schedule::get(tx.conn(), a).await?.ok_or_else(|| {
                    Error::invalid("appointment_id", "there is no such appointment")
                })?;
                if !members.iter().all(|m| appt.client_ids.contains(m)) {
                    return Err(Error::invalid(
                        "appointment_id",
                        if unit_id.is_some() {
                            "a joint note documents a session with every member of the couple or family"
                        } else {
                            "this client is not a participant of that appointment"
                        },
                    ));
                }
                let tz: chrono_tz::Tz = appt.time_zone.parse().unwrap_or(chrono_tz::UTC);
                service_date(
                    input.service_date.as_deref(),
                    appt.session.start.with_timezone(&tz).date_naive(),
                    today,
                )?
            }
            None => service_date(input.service_date.as_deref(), today, today)?,
        };
        let now = now_utc();
        let note = Note {
            id: NoteId::new(),
            client_id: client,
            appointment_id: input.appointment_id,
            kind: template.kind,
            template,
            author_id: me,
            service_date: date,
            status: NoteStatus::Draft,
            content,
            version: 1,
            created_at: now,
            updated_at: now,
            signed_at: None,
            content_hash: None,
            cosign_required: false,
            cosigned_by: None,
            cosigned_at: None,
            unit_id,
        };
        repo::insert(&tx, &note).await?;
        tx.audit(ev(Some(client)).resource(note.id).request(ctx.rid()))
            .await?;
        let rel = self
            .note_relation(
                &tx,
                ctx,
                client,
                me,
                Some(note.id),
                unit_id.map(|u| (u, note.created_at)),
            )
            .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        self.commit_once(tx, ctx, view).await
    }

    /// Saves a draft if `version` is still current; a stale save is a conflict and changes nothing.
    pub async fn save_note_draft(
        &self,
        ctx: &Ctx,
        id: NoteId,
        version: i32,
        input: DraftInput,
    ) -> Result<NoteView> {
        let tx = self.store.begin().await?;
        let (tx, mut note, rel) = self
            .note_for(tx, ctx, id, Action::Update, "note.update")
            .await?;
        note.status.check_editable()?;
        let content = note.template.clean(&input.fields)?;
        let writer = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let date = service_date(
            input.service_date.as_deref(),
            note.service_date,
            writers_today(&tx, writer).await?,
        )?;
        note.version = repo::save_draft(&tx, id, version, &content, date).await?;
        note.content = content;
        note.service_date = date;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.update", "note")
                .resource(id)
                .client(note.client_id.0)
                .detail(note.kind.as_str())
                .request(ctx.rid()),
        )
        .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Signs the draft at `version`: every required field filled, then locked with the hash of its content. A
    /// trainee's note then waits for their supervisor.
    pub async fn sign_note(&self, ctx: &Ctx, id: NoteId, version: i32) -> Result<NoteView> {
        let tx = self.store.begin().await?;
        let (tx, mut note, rel) = self
            .note_for(tx, ctx, id, Action::Sign, "note.sign")
            .await?;
        if note.version != version {
            return Err(Error::Conflict(
                "this note was saved elsewhere since you opened it; review it before signing"
                    .into(),
            ));
        }
        note.template.check_complete(&note.content)?;
        // Psychotherapy notes are the author's own and never go to a supervisor unasked.
        let supervised =
            !note.kind.is_psychotherapy() && care::is_supervised(tx.conn(), note.author_id).await?;
        let outcome = lifecycle::sign(note.status, supervised)?;
        let at = now_utc();
        let hash = signed_hash(&note, at);
        repo::sign(&tx, id, version, outcome.status(), at, &hash).await?;
        note.status = outcome.status();
        note.signed_at = Some(at);
        note.content_hash = Some(hash.clone());
        note.cosign_required = supervised;
        note.version += 1;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.sign", "note")
                .resource(id)
                .client(note.client_id.0)
                .detail(format!("{} sha256:{hash}", note.kind.as_str()))
                .request(ctx.rid()),
        )
        .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A supervisor co-signs their trainee's signed note, with feedback for the trainee if they give any (kept
    /// with the note, sealed, in the same transaction as the co-signature).
    pub async fn cosign_note(
        &self,
        ctx: &Ctx,
        id: NoteId,
        feedback: Option<&str>,
    ) -> Result<NoteView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (tx, mut note, rel) = self
            .note_for(tx, ctx, id, Action::CoSign, "note.cosign")
            .await?;
        note.status = lifecycle::cosign(note.status, false)?;
        let feedback = lifecycle::check_feedback(feedback)?;
        let at = now_utc();
        repo::cosign(&tx, id, me, at).await?;
        if let Some(text) = &feedback {
            let f = rapport_store::note_feedback::Feedback {
                given_by: me,
                given_at: at,
                text: text.clone(),
            };
            rapport_store::note_feedback::give(&tx, id, &f).await?;
        }
        note.cosigned_by = Some(me);
        note.cosigned_at = Some(at);
        note.version += 1;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.cosign", "note")
                .resource(id)
                .client(note.client_id.0)
                .detail(if feedback.is_some() {
                    "with feedback"
                } else {
                    "without feedback"
                })
                .request(ctx.rid()),
        )
        .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Takes over the draft (at `version`) of an author who left the client's care team: the caller, a clinician
    /// on the team, becomes its author and may finish and sign it. The hand-over is audited with the former author.
    pub async fn take_over_note(&self, ctx: &Ctx, id: NoteId, version: i32) -> Result<NoteView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (tx, mut note, _) = self
            .note_for(tx, ctx, id, Action::TakeOver, "note.take_over")
            .await?;
        note.status.check_editable()?;
        let from = note.author_id;
        note.version = repo::take_over(&tx, id, version, from, me).await?;
        note.author_id = me;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.take_over", "note")
                .resource(id)
                .client(note.client_id.0)
                .detail(format!("{} from {}", note.kind.as_str(), from.0))
                .request(ctx.rid()),
        )
        .await?;
        let rel = self
            .note_relation(
                &tx,
                ctx,
                note.client_id,
                me,
                Some(id),
                note.unit_id.map(|u| (u, note.created_at)),
            )
            .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Appends a signed addendum to a signed note. On a clinical note anyone on the care team may add one; on a
    /// psychotherapy note only its author.
    pub async fn add_note_addendum(&self, ctx: &Ctx, id: NoteId, body: &str) -> Result<NoteView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let body = validate::optional_text("body", body, ADDENDUM_MAX)?
            .ok_or_else(|| Error::invalid("body", "write the addendum before saving it"))?;
        let tx = self.store.begin().await?;
        let kind = repo::get(&tx, id).await?.map(|n| n.kind);
        let action = match kind {
            Some(k) if k.is_psychotherapy() => Action::Update,
            _ => Action::Create,
        };
        let (tx, note, rel) = self.note_for(tx, ctx, id, action, "note.addendum").await?;
        self.once_check(&tx, ctx).await?;
        note.status.check_addendum()?;
        let mut a = Addendum {
            id: Uuid::now_v7(),
            note_id: id,
            author_id: me,
            body,
            content_hash: String::new(),
            created_at: now_utc(),
        };
        a.content_hash = addendum_hash(&a, note.content_hash.as_deref().unwrap_or(""));
        repo::add_addendum(&tx, &a).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "note.addendum", "note")
                .resource(id)
                .client(note.client_id.0)
                .detail(format!("sha256:{}", a.content_hash))
                .request(ctx.rid()),
        )
        .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        self.commit_once(tx, ctx, view).await
    }

    /// Shares (or stops sharing) a psychotherapy note with the author's own supervisor, read only.
    pub async fn share_note(
        &self,
        ctx: &Ctx,
        id: NoteId,
        with: UserId,
        share: bool,
    ) -> Result<NoteView> {
        let tx = self.store.begin().await?;
        let (tx, note, rel) = self
            .note_for(
                tx,
                ctx,
                id,
                Action::Update,
                if share { "note.share" } else { "note.unshare" },
            )
            .await?;
        if !note.kind.is_psychotherapy() {
            return Err(Error::invalid(
                "note",
                "only psychotherapy notes are shared this way; the care team and supervisors see clinical notes already",
            ));
        }
        if share {
            if !care::supervises(tx.conn(), with, note.author_id).await? {
                return Err(Error::invalid(
                    "user_id",
                    "a psychotherapy note can be shared only with your own supervisor",
                ));
            }
            repo::share(tx.conn(), id, with, "supervision").await?;
        } else if !repo::unshare(tx.conn(), id, with).await? {
            return Err(Error::NotFound);
        }
        tx.audit(
            AuditEvent::new(
                &ctx.actor,
                if share { "note.share" } else { "note.unshare" },
                "note",
            )
            .resource(id)
            .client(note.client_id.0)
            .detail(format!("with user {with}, for supervision"))
            .request(ctx.rid()),
        )
        .await?;
        let view = self.note_view(&tx, ctx, note, rel).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Creates or replaces a practice note template (administrators). Built-in keys are reserved.
    pub async fn put_note_template(
        &self,
        ctx: &Ctx,
        key: &str,
        mut t: Template,
    ) -> Result<Template> {
        t.key = key.to_string();
        let t = t.validated()?;
        if built_in_template(&t.key).is_some() {
            return Err(Error::invalid(
                "key",
                "this key belongs to a built-in template; choose another key",
            ));
        }
        let tx = self.store.begin().await?;
        let ev = AuditEvent::new(&ctx.actor, "note_template.put", "note_template").resource(&t.key);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::PracticeSettings,
                ev.clone(),
            )
            .await?;
        repo::put_template(tx.conn(), &t).await?;
        tx.audit(ev.request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(t)
    }
}
