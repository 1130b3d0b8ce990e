//! Notes, addenda, psychotherapy-note shares and practice templates. Note content and addenda are sealed; lists
//! return heads (no content) so a chart of hundreds of notes decrypts nothing it does not show.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{
    note_addenda, note_release_consents, note_releases, note_shares, note_templates, notes,
    unit_members,
};
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::notes::{Content, NoteKind, NoteStatus, Template};
use rapport_domain::{ClientId, NoteId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: NoteId,
    pub client_id: ClientId,
    pub appointment_id: Option<Uuid>,
    pub kind: NoteKind,
    pub template: Template,
    pub author_id: UserId,
    pub service_date: NaiveDate,
    pub status: NoteStatus,
    pub content: Content,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub content_hash: Option<String>,
    pub cosign_required: bool,
    pub cosigned_by: Option<UserId>,
    pub cosigned_at: Option<DateTime<Utc>>,
    /// Set on a joint note of a couple or family.
    pub unit_id: Option<Uuid>,
}

/// A note without its content: what lists and queues show.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteHead {
    pub id: NoteId,
    pub client_id: ClientId,
    pub appointment_id: Option<Uuid>,
    pub kind: NoteKind,
    pub template_label: String,
    pub author_id: UserId,
    pub service_date: NaiveDate,
    pub status: NoteStatus,
    pub updated_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub unit_id: Option<Uuid>,
    /// When the note was started: a joint note is in the charts of those who were members then.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Addendum {
    pub id: Uuid,
    pub note_id: NoteId,
    pub author_id: UserId,
    pub body: String,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
}

fn aad<'a>(table: &'a str, column: &'a str, row: &'a str) -> Aad<'a> {
    Aad { table, column, row }
}

fn template_of(m: &notes::Model) -> Result<Template, StoreError> {
    serde_json::from_str(&m.template)
        .map_err(|e| StoreError::Integrity(format!("note {}: unreadable template: {e}", m.id)))
}

pub(crate) fn head(m: notes::Model) -> Result<NoteHead, StoreError> {
    let template = template_of(&m)?;
    Ok(NoteHead {
        id: NoteId(m.id),
        client_id: ClientId(m.client_id),
        appointment_id: m.appointment_id,
        kind: NoteKind::parse("kind", &m.kind).map_err(|e| StoreError::Integrity(e.to_string()))?,
        template_label: template.label,
        author_id: UserId(m.author_id),
        service_date: m.service_date,
        status: NoteStatus::parse(&m.status).map_err(|e| StoreError::Integrity(e.to_string()))?,
        updated_at: m.updated_at,
        signed_at: m.signed_at,
        unit_id: m.unit_id,
        created_at: m.created_at,
    })
}

fn open(tx: &Tx<'_>, m: notes::Model) -> Result<Note, StoreError> {
    let row = m.id.to_string();
    let content: Content =
        Encrypted::<Content>::open(tx.cipher(), aad("notes", "content", &row), &m.content)?;
    let template = template_of(&m)?;
    let h = head(m.clone())?;
    Ok(Note {
        id: h.id,
        client_id: h.client_id,
        appointment_id: h.appointment_id,
        kind: h.kind,
        template,
        author_id: h.author_id,
        service_date: h.service_date,
        status: h.status,
        content,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        signed_at: m.signed_at,
        content_hash: m.content_hash,
        cosign_required: m.cosign_required,
        cosigned_by: m.cosigned_by.map(UserId),
        cosigned_at: m.cosigned_at,
        unit_id: m.unit_id,
    })
}

pub async fn insert(tx: &Tx<'_>, n: &Note) -> Result<(), StoreError> {
    let row = n.id.to_string();
    let template = serde_json::to_string(&n.template)
        .map_err(|e| StoreError::Integrity(format!("template does not serialise: {e}")))?;
    notes::ActiveModel {
        id: Set(n.id.0),
        client_id: Set(n.client_id.0),
        appointment_id: Set(n.appointment_id),
        kind: Set(n.kind.as_str().into()),
        template_key: Set(n.template.key.clone()),
        template: Set(template),
        author_id: Set(n.author_id.0),
        service_date: Set(n.service_date),
        status: Set(n.status.as_str().into()),
        content: Set(Encrypted::<Content>::seal(
            tx.cipher(),
            aad("notes", "content", &row),
            &n.content,
        )?),
        version: Set(n.version),
        created_at: Set(n.created_at),
        updated_at: Set(n.updated_at),
        signed_at: Set(n.signed_at),
        content_hash: Set(n.content_hash.clone()),
        cosign_required: Set(n.cosign_required),
        cosigned_by: Set(n.cosigned_by.map(|u| u.0)),
        cosigned_at: Set(n.cosigned_at),
        unit_id: Set(n.unit_id),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(tx: &Tx<'_>, id: NoteId) -> Result<Option<Note>, StoreError> {
    notes::Entity::find_by_id(id.0)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

fn stale() -> StoreError {
    StoreError::Conflict(
        "this note was saved elsewhere (another tab or device) since you opened it".into(),
    )
}

/// Replaces a draft's content if it is still a draft at `version`; returns the new version.
pub async fn save_draft(
    tx: &Tx<'_>,
    id: NoteId,
    version: i32,
    content: &Content,
    service_date: NaiveDate,
) -> Result<i32, StoreError> {
    let row = id.to_string();
    let sealed = Encrypted::<Content>::seal(tx.cipher(), aad("notes", "content", &row), content)?;
    let r = notes::Entity::update_many()
        .col_expr(notes::Column::Content, Expr::value(sealed))
        .col_expr(notes::Column::ServiceDate, Expr::value(service_date))
        .col_expr(notes::Column::UpdatedAt, Expr::value(now_utc()))
        .col_expr(notes::Column::Version, Expr::value(version + 1))
        .filter(notes::Column::Id.eq(id.0))
        .filter(notes::Column::Version.eq(version))
        .filter(notes::Column::Status.eq(NoteStatus::Draft.as_str()))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(version + 1)
    } else {
        Err(stale())
    }
}

/// Makes `to` the author of a draft still at `version` and still `from`'s (a clinician who left the care team).
pub async fn take_over(
    tx: &Tx<'_>,
    id: NoteId,
    version: i32,
    from: UserId,
    to: UserId,
) -> Result<i32, StoreError> {
    let r = notes::Entity::update_many()
        .col_expr(notes::Column::AuthorId, Expr::value(to.0))
        .col_expr(notes::Column::UpdatedAt, Expr::value(now_utc()))
        .col_expr(notes::Column::Version, Expr::value(version + 1))
        .filter(notes::Column::Id.eq(id.0))
        .filter(notes::Column::Version.eq(version))
        .filter(notes::Column::AuthorId.eq(from.0))
        .filter(notes::Column::Status.eq(NoteStatus::Draft.as_str()))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(version + 1)
    } else {
        Err(stale())
    }
}

/// Locks a draft at `version` as signed (or awaiting co-signature) with the hash of what was signed.
pub async fn sign(
    tx: &Tx<'_>,
    id: NoteId,
    version: i32,
    status: NoteStatus,
    at: DateTime<Utc>,
    hash: &str,
) -> Result<(), StoreError> {
    let r = notes::Entity::update_many()
        .col_expr(notes::Column::Status, Expr::value(status.as_str()))
        .col_expr(notes::Column::SignedAt, Expr::value(Some(at)))
        .col_expr(
            notes::Column::ContentHash,
            Expr::value(Some(hash.to_string())),
        )
        .col_expr(
            notes::Column::CosignRequired,
            Expr::value(status == NoteStatus::AwaitingCosign),
        )
        .col_expr(notes::Column::UpdatedAt, Expr::value(at))
        .col_expr(notes::Column::Version, Expr::value(version + 1))
        .filter(notes::Column::Id.eq(id.0))
        .filter(notes::Column::Version.eq(version))
        .filter(notes::Column::Status.eq(NoteStatus::Draft.as_str()))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(stale())
    }
}

pub async fn cosign(
    tx: &Tx<'_>,
    id: NoteId,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let r = notes::Entity::update_many()
        .col_expr(
            notes::Column::Status,
            Expr::value(NoteStatus::Cosigned.as_str()),
        )
        .col_expr(notes::Column::CosignedBy, Expr::value(Some(by.0)))
        .col_expr(notes::Column::CosignedAt, Expr::value(Some(at)))
        .col_expr(notes::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            notes::Column::Version,
            Expr::col(notes::Column::Version).add(1),
        )
        .filter(notes::Column::Id.eq(id.0))
        .filter(notes::Column::Status.eq(NoteStatus::AwaitingCosign.as_str()))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this note was co-signed already".into(),
        ))
    }
}

/// The notes in a client's chart: their own, and the joint notes of every couple or family they belonged to when
/// the note was written (a member who joined later does not get the earlier joint notes; one who left keeps those
/// of their time). Another member's individual notes never match.
fn in_chart_of(client: ClientId) -> Condition {
    let written = || Expr::col((notes::Entity, notes::Column::CreatedAt));
    let units = Query::select()
        .column((unit_members::Entity, unit_members::Column::UnitId))
        .from(unit_members::Entity)
        .and_where(Expr::col((unit_members::Entity, unit_members::Column::ClientId)).eq(client.0))
        .and_where(Expr::col((unit_members::Entity, unit_members::Column::AddedAt)).lte(written()))
        .and_where(
            Expr::col((unit_members::Entity, unit_members::Column::LeftAt))
                .is_null()
                .or(Expr::col((unit_members::Entity, unit_members::Column::LeftAt)).gt(written())),
        )
        .to_owned();
    Condition::any()
        .add(
            Condition::all()
                .add(notes::Column::ClientId.eq(client.0))
                .add(notes::Column::UnitId.is_null()),
        )
        .add(notes::Column::UnitId.in_subquery(units))
}

/// Who a chart's notes are read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A staff member looking at the chart: psychotherapy notes only where they wrote them or had them shared.
    Staff(UserId),
    /// The record as it leaves the practice (an export, an answer to a record request): never a psychotherapy
    /// note, whoever asks. HIPAA excludes them from the right of access (45 CFR 164.524(a)(1)(i)), and an export is
    /// not a supervision share.
    Record,
}

/// The notes of a client's chart that `reader` may know of: every clinical note, and psychotherapy notes only for
/// a staff reader who wrote them or had them shared. Newest service date first.
fn visible_in_chart(client: ClientId, reader: Reader) -> sea_orm::Select<notes::Entity> {
    let not_psychotherapy = notes::Column::Kind.ne(NoteKind::Psychotherapy.as_str());
    let kinds = match reader {
        Reader::Staff(viewer) => {
            let shared = Query::select()
                .column(note_shares::Column::NoteId)
                .from(note_shares::Entity)
                .and_where(note_shares::Column::UserId.eq(viewer.0))
                .to_owned();
            Condition::any()
                .add(not_psychotherapy)
                .add(notes::Column::AuthorId.eq(viewer.0))
                .add(notes::Column::Id.in_subquery(shared))
        }
        Reader::Record => Condition::all().add(not_psychotherapy),
    };
    notes::Entity::find()
        .filter(in_chart_of(client))
        .filter(kinds)
        .order_by_desc(notes::Column::ServiceDate)
        .order_by_desc(notes::Column::CreatedAt)
}

/// The notes of the client's record as it leaves the practice, with their content: the chart's notes (their own
/// and their couples' and families' joint notes) without any psychotherapy note. Drafts are the caller's to drop.
pub async fn in_record_of(tx: &Tx<'_>, client: ClientId) -> Result<Vec<Note>, StoreError> {
    visible_in_chart(client, Reader::Record)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect()
}

/// The heads of the client's notes that `viewer` may know of (see `visible_in_chart`).
pub async fn list_for_client(
    c: &impl ConnectionTrait,
    client: ClientId,
    viewer: UserId,
) -> Result<Vec<NoteHead>, StoreError> {
    visible_in_chart(client, Reader::Staff(viewer))
        .all(c)
        .await?
        .into_iter()
        .map(head)
        .collect()
}

/// The same notes with their content (for the chart's excerpts).
pub async fn full_for_client(
    tx: &Tx<'_>,
    client: ClientId,
    viewer: UserId,
) -> Result<Vec<Note>, StoreError> {
    visible_in_chart(client, Reader::Staff(viewer))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect()
}

/// A couple's or family's joint notes, newest first.
pub async fn for_unit(c: &impl ConnectionTrait, unit: Uuid) -> Result<Vec<NoteHead>, StoreError> {
    notes::Entity::find()
        .filter(notes::Column::UnitId.eq(unit))
        .order_by_desc(notes::Column::ServiceDate)
        .all(c)
        .await?
        .into_iter()
        .map(head)
        .collect()
}

/// Notes by `author` in one of `statuses`, oldest service date first (the most overdue on top).
pub async fn by_author(
    c: &impl ConnectionTrait,
    author: UserId,
    statuses: &[NoteStatus],
) -> Result<Vec<NoteHead>, StoreError> {
    notes::Entity::find()
        .filter(notes::Column::AuthorId.eq(author.0))
        .filter(notes::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .order_by_asc(notes::Column::ServiceDate)
        .all(c)
        .await?
        .into_iter()
        .map(head)
        .collect()
}

/// Signed notes by any of `authors` that wait for a co-signature, oldest first.
pub async fn awaiting_cosign(
    c: &impl ConnectionTrait,
    authors: &[UserId],
) -> Result<Vec<NoteHead>, StoreError> {
    if authors.is_empty() {
        return Ok(Vec::new());
    }
    notes::Entity::find()
        .filter(notes::Column::AuthorId.is_in(authors.iter().map(|a| a.0)))
        .filter(notes::Column::Status.eq(NoteStatus::AwaitingCosign.as_str()))
        .order_by_asc(notes::Column::SignedAt)
        .all(c)
        .await?
        .into_iter()
        .map(head)
        .collect()
}

pub async fn add_addendum(tx: &Tx<'_>, a: &Addendum) -> Result<(), StoreError> {
    let row = a.id.to_string();
    note_addenda::ActiveModel {
        id: Set(a.id),
        note_id: Set(a.note_id.0),
        author_id: Set(a.author_id.0),
        body: Set(Encrypted::<String>::seal(
            tx.cipher(),
            aad("note_addenda", "body", &row),
            &a.body,
        )?),
        content_hash: Set(a.content_hash.clone()),
        created_at: Set(a.created_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn addenda(tx: &Tx<'_>, note: NoteId) -> Result<Vec<Addendum>, StoreError> {
    note_addenda::Entity::find()
        .filter(note_addenda::Column::NoteId.eq(note.0))
        .order_by_asc(note_addenda::Column::CreatedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| {
            let row = m.id.to_string();
            Ok(Addendum {
                body: Encrypted::<String>::open(
                    tx.cipher(),
                    aad("note_addenda", "body", &row),
                    &m.body,
                )?,
                id: m.id,
                note_id: NoteId(m.note_id),
                author_id: UserId(m.author_id),
                content_hash: m.content_hash,
                created_at: m.created_at,
            })
        })
        .collect()
}

pub async fn share(
    c: &impl ConnectionTrait,
    note: NoteId,
    with: UserId,
    purpose: &str,
) -> Result<(), StoreError> {
    if shared_with(c, note).await?.contains(&with) {
        return Ok(());
    }
    note_shares::ActiveModel {
        note_id: Set(note.0),
        user_id: Set(with.0),
        purpose: Set(purpose.into()),
        created_at: Set(now_utc()),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// Ends a share; true when there was one.
pub async fn unshare(
    c: &impl ConnectionTrait,
    note: NoteId,
    with: UserId,
) -> Result<bool, StoreError> {
    Ok(note_shares::Entity::delete_by_id((note.0, with.0))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

pub async fn shared_with(
    c: &impl ConnectionTrait,
    note: NoteId,
) -> Result<Vec<UserId>, StoreError> {
    Ok(note_shares::Entity::find()
        .filter(note_shares::Column::NoteId.eq(note.0))
        .select_only()
        .column(note_shares::Column::UserId)
        .into_tuple::<Uuid>()
        .all(c)
        .await?
        .into_iter()
        .map(UserId)
        .collect())
}

/// Creates or replaces a practice template.
pub async fn put_template(c: &impl ConnectionTrait, t: &Template) -> Result<(), StoreError> {
    let fields = serde_json::to_string(&t.fields)
        .map_err(|e| StoreError::Integrity(format!("template fields do not serialise: {e}")))?;
    let now = now_utc();
    match note_templates::Entity::find_by_id(t.key.clone())
        .one(c)
        .await?
    {
        Some(m) => {
            let mut a: note_templates::ActiveModel = m.into();
            a.label = Set(t.label.clone());
            a.kind = Set(t.kind.as_str().into());
            a.fields = Set(fields);
            a.active = Set(true);
            a.updated_at = Set(now);
            a.update(c).await?;
        }
        None => {
            note_templates::ActiveModel {
                key: Set(t.key.clone()),
                label: Set(t.label.clone()),
                kind: Set(t.kind.as_str().into()),
                fields: Set(fields),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(c)
            .await?;
        }
    }
    Ok(())
}

/// The practice's own templates, by label.
pub async fn templates(c: &impl ConnectionTrait) -> Result<Vec<Template>, StoreError> {
    note_templates::Entity::find()
        .filter(note_templates::Column::Active.eq(true))
        .order_by_asc(note_templates::Column::Label)
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            Ok(Template {
                kind: NoteKind::parse("kind", &m.kind)
                    .map_err(|e| StoreError::Integrity(e.to_string()))?,
                fields: serde_json::from_str(&m.fields).map_err(|e| {
                    StoreError::Integrity(format!("template {}: unreadable fields: {e}", m.key))
                })?,
                key: m.key,
                label: m.label,
                built_in: false,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseConsent {
    pub client_id: ClientId,
    pub how: String,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub id: Uuid,
    pub recipient: String,
    pub purpose: String,
    pub released_by: UserId,
    pub released_at: DateTime<Utc>,
}

/// Records (or replaces) one member's consent to release the note.
pub async fn put_release_consent(
    c: &impl ConnectionTrait,
    note: NoteId,
    r: &ReleaseConsent,
) -> Result<(), StoreError> {
    note_release_consents::Entity::delete_by_id((note.0, r.client_id.0))
        .exec(c)
        .await?;
    note_release_consents::ActiveModel {
        note_id: Set(note.0),
        client_id: Set(r.client_id.0),
        how: Set(r.how.clone()),
        recorded_by: Set(r.recorded_by.0),
        recorded_at: Set(r.recorded_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn release_consents(
    c: &impl ConnectionTrait,
    note: NoteId,
) -> Result<Vec<ReleaseConsent>, StoreError> {
    Ok(note_release_consents::Entity::find()
        .filter(note_release_consents::Column::NoteId.eq(note.0))
        .order_by_asc(note_release_consents::Column::RecordedAt)
        .all(c)
        .await?
        .into_iter()
        .map(|m| ReleaseConsent {
            client_id: ClientId(m.client_id),
            how: m.how,
            recorded_by: UserId(m.recorded_by),
            recorded_at: m.recorded_at,
        })
        .collect())
}

pub async fn add_release(tx: &Tx<'_>, note: NoteId, r: &Release) -> Result<(), StoreError> {
    let row = r.id.to_string();
    note_releases::ActiveModel {
        id: Set(r.id),
        note_id: Set(note.0),
        recipient: Set(Encrypted::<String>::seal(
            tx.cipher(),
            aad("note_releases", "recipient", &row),
            &r.recipient,
        )?),
        purpose: Set(Encrypted::<String>::seal(
            tx.cipher(),
            aad("note_releases", "purpose", &row),
            &r.purpose,
        )?),
        released_by: Set(r.released_by.0),
        released_at: Set(r.released_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn releases(tx: &Tx<'_>, note: NoteId) -> Result<Vec<Release>, StoreError> {
    note_releases::Entity::find()
        .filter(note_releases::Column::NoteId.eq(note.0))
        .order_by_asc(note_releases::Column::ReleasedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| {
            let row = m.id.to_string();
            Ok(Release {
                recipient: Encrypted::<String>::open(
                    tx.cipher(),
                    aad("note_releases", "recipient", &row),
                    &m.recipient,
                )?,
                purpose: Encrypted::<String>::open(
                    tx.cipher(),
                    aad("note_releases", "purpose", &row),
                    &m.purpose,
                )?,
                id: m.id,
                released_by: UserId(m.released_by),
                released_at: m.released_at,
            })
        })
        .collect()
}
