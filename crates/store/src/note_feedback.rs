//! A supervisor's feedback given with the co-signature of a trainee's note: one per note, written in the
//! co-signature's own transaction, sealed to its row because it speaks of the session.

use crate::crypto::{Aad, Encrypted};
use crate::entity::note_feedback;
use crate::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rapport_domain::{NoteId, UserId};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// The feedback, opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub given_by: UserId,
    pub given_at: DateTime<Utc>,
    pub text: String,
}

fn aad(row: &str) -> Aad<'_> {
    Aad {
        table: "note_feedback",
        column: "feedback",
        row,
    }
}

pub async fn give(tx: &Tx<'_>, note: NoteId, f: &Feedback) -> Result<(), StoreError> {
    let row = note.0.to_string();
    note_feedback::ActiveModel {
        note_id: Set(note.0),
        given_by: Set(f.given_by.0),
        given_at: Set(f.given_at),
        feedback: Set(Encrypted::<String>::seal(tx.cipher(), aad(&row), &f.text)?),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn of(tx: &Tx<'_>, note: NoteId) -> Result<Option<Feedback>, StoreError> {
    let Some(m) = note_feedback::Entity::find_by_id(note.0)
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let row = m.note_id.to_string();
    Ok(Some(Feedback {
        given_by: UserId(m.given_by),
        given_at: m.given_at,
        text: Encrypted::<String>::open(tx.cipher(), aad(&row), &m.feedback)?,
    }))
}
