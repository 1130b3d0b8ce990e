//! Which of some notes are psychotherapy notes, and who may know of each: its author and whoever it is shared with
//! for supervision. The audit log's readers use it to leave such notes' events out for everyone else, while the
//! chain still covers every entry.

use crate::StoreError;
use crate::entity::{note_shares, notes};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// A psychotherapy note among those asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateNote {
    pub note: Uuid,
    pub author: Uuid,
    pub shared_with: Vec<Uuid>,
}

impl PrivateNote {
    /// Whether `viewer` may learn that this note exists.
    pub fn known_to(&self, viewer: Option<Uuid>) -> bool {
        viewer.is_some_and(|v| v == self.author || self.shared_with.contains(&v))
    }
}

/// The psychotherapy notes among `ids` (others, and unknown ids, are left out).
pub async fn psychotherapy_notes_among(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<PrivateNote>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Uuid, Uuid)> = notes::Entity::find()
        .filter(notes::Column::Id.is_in(ids.iter().copied()))
        .filter(notes::Column::Kind.eq("psychotherapy"))
        .select_only()
        .column(notes::Column::Id)
        .column(notes::Column::AuthorId)
        .into_tuple()
        .all(c)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let shares: Vec<(Uuid, Uuid)> = note_shares::Entity::find()
        .filter(note_shares::Column::NoteId.is_in(rows.iter().map(|(id, _)| *id)))
        .select_only()
        .column(note_shares::Column::NoteId)
        .column(note_shares::Column::UserId)
        .into_tuple()
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(note, author)| PrivateNote {
            note,
            author,
            shared_with: shares
                .iter()
                .filter(|(n, _)| *n == note)
                .map(|(_, u)| *u)
                .collect(),
        })
        .collect())
}
