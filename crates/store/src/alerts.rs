//! Alerts raised by critical answers to measures: open until acknowledged, escalated when nobody does.
//!
//! The reason (which questionnaire, which items) is sealed (`sealed_labels`): it tells whoever reads a copy of the
//! database that a client answered a risk item. Queries filter by client and dates only, never by the reason.

use crate::crypto::{Aad, Cipher, Encrypted};
use crate::entity::measure_alerts;
use crate::sealed_labels::Sealed;
use crate::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rapport_domain::measures::acknowledgement::{AckAction, Acknowledgement};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

/// An alert with its reason opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub id: Uuid,
    pub response_id: Uuid,
    pub client_id: Uuid,
    /// Instrument and item numbers only (e.g. "PHQ-9: critical answer to item 9"), never the item's wording.
    pub reason: String,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    /// What the acknowledging clinician did, and their note (opened); none for alerts acknowledged before 000037.
    pub ack_action: Option<AckAction>,
    pub ack_note: Option<String>,
}

fn note_aad(id: &str) -> Aad<'_> {
    Aad {
        table: "measure_alerts",
        column: "ack_note_sealed",
        row: id,
    }
}

fn open(cipher: &Cipher, m: measure_alerts::Model) -> Result<Alert, StoreError> {
    let ack_note = match &m.ack_note_sealed {
        Some(sealed) => Some(Encrypted::<String>::open(
            cipher,
            note_aad(&m.id.to_string()),
            sealed,
        )?),
        None => None,
    };
    Ok(Alert {
        ack_action: m.ack_action.as_deref().and_then(AckAction::parse),
        ack_note,
        reason: Sealed::AlertReason.open(cipher, m.id, m.sealed_reason.as_deref(), &m.reason)?,
        id: m.id,
        response_id: m.response_id,
        client_id: m.client_id,
        raised_at: m.raised_at,
        acknowledged_by: m.acknowledged_by,
        acknowledged_at: m.acknowledged_at,
        escalated_at: m.escalated_at,
    })
}

pub async fn insert_alert(tx: &Tx<'_>, a: &Alert) -> Result<(), StoreError> {
    let c = tx.conn();
    measure_alerts::ActiveModel {
        id: Set(a.id),
        response_id: Set(a.response_id),
        client_id: Set(a.client_id),
        reason: Set(String::new()),
        sealed_reason: Set(Some(Sealed::AlertReason.seal(
            tx.cipher(),
            a.id,
            &a.reason,
        )?)),
        raised_at: Set(a.raised_at),
        acknowledged_by: Set(a.acknowledged_by),
        acknowledged_at: Set(a.acknowledged_at),
        escalated_at: Set(a.escalated_at),
        ack_action: Set(None),
        ack_note_sealed: Set(None),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn alert(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    id: Uuid,
) -> Result<Option<Alert>, StoreError> {
    measure_alerts::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(|m| open(cipher, m))
        .transpose()
}

/// Unacknowledged alerts of these clients, oldest first (the longest-waiting is the most urgent).
pub async fn open_alerts(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    clients: &[ClientId],
) -> Result<Vec<Alert>, StoreError> {
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    // Chunked so a large caseload never exceeds a backend's bound-parameter limit.
    for chunk in clients.chunks(500) {
        for m in measure_alerts::Entity::find()
            .filter(measure_alerts::Column::AcknowledgedAt.is_null())
            .filter(measure_alerts::Column::ClientId.is_in(chunk.iter().map(|c| c.0)))
            .all(c)
            .await?
        {
            out.push(open(cipher, m)?);
        }
    }
    out.sort_by_key(|a| (a.raised_at, a.id));
    Ok(out)
}

/// Alerts of one client (acknowledged or not), newest first.
pub async fn alerts_for_client(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    client: ClientId,
) -> Result<Vec<Alert>, StoreError> {
    measure_alerts::Entity::find()
        .filter(measure_alerts::Column::ClientId.eq(client.0))
        .order_by_desc(measure_alerts::Column::RaisedAt)
        .all(c)
        .await?
        .into_iter()
        .map(|m| open(cipher, m))
        .collect()
}

/// Acknowledges an open alert with what was done (the note sealed to the row); false if someone acknowledged it
/// first.
pub async fn acknowledge(
    tx: &Tx<'_>,
    id: Uuid,
    by: UserId,
    now: DateTime<Utc>,
    ack: &Acknowledgement,
) -> Result<bool, StoreError> {
    let c = tx.conn();
    let note = match &ack.note {
        Some(n) => Some(Encrypted::<String>::seal(
            tx.cipher(),
            note_aad(&id.to_string()),
            n,
        )?),
        None => None,
    };
    Ok(measure_alerts::Entity::update_many()
        .col_expr(
            measure_alerts::Column::AckAction,
            Expr::value(Some(ack.action.key().to_string())),
        )
        .col_expr(measure_alerts::Column::AckNoteSealed, Expr::value(note))
        .col_expr(
            measure_alerts::Column::AcknowledgedBy,
            Expr::value(Some(by.0)),
        )
        .col_expr(
            measure_alerts::Column::AcknowledgedAt,
            Expr::value(Some(now)),
        )
        .filter(measure_alerts::Column::Id.eq(id))
        .filter(measure_alerts::Column::AcknowledgedAt.is_null())
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

/// Alerts raised at or before `cutoff` that nobody acknowledged and that have not been escalated yet.
pub async fn overdue_alerts(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Alert>, StoreError> {
    measure_alerts::Entity::find()
        .filter(measure_alerts::Column::AcknowledgedAt.is_null())
        .filter(measure_alerts::Column::EscalatedAt.is_null())
        .filter(measure_alerts::Column::RaisedAt.lte(cutoff))
        .order_by_asc(measure_alerts::Column::RaisedAt)
        .limit(limit)
        .all(c)
        .await?
        .into_iter()
        .map(|m| open(cipher, m))
        .collect()
}

/// Marks an alert escalated; false if it was acknowledged or escalated in the meantime.
pub async fn mark_escalated(
    c: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(measure_alerts::Entity::update_many()
        .col_expr(measure_alerts::Column::EscalatedAt, Expr::value(Some(now)))
        .filter(measure_alerts::Column::Id.eq(id))
        .filter(measure_alerts::Column::AcknowledgedAt.is_null())
        .filter(measure_alerts::Column::EscalatedAt.is_null())
        .exec(c)
        .await?
        .rows_affected
        == 1)
}
