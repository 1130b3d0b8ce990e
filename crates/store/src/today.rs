//! The few lookups the Today page needs that no other list makes: the notes written for a set of appointments,
//! referrals still waiting for an answer, and how many e-mails are failing. Each reads only plain columns (ids,
//! statuses, dates), so nothing sealed is opened for a count.

use crate::StoreError;
use crate::entity::{notes, outbox, referrals};
use crate::notes::NoteHead;
use chrono::NaiveDate;
use rapport_domain::ClientId;
use rapport_domain::referral::{ReferralKind, ReferralStatus};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Notes linked to any of `appointments`, oldest first.
pub async fn notes_for_appointments(
    c: &impl ConnectionTrait,
    appointments: &[Uuid],
) -> Result<Vec<NoteHead>, StoreError> {
    let mut out = Vec::new();
    // Chunked so a long day never exceeds a backend's bound-parameter limit.
    for chunk in appointments.chunks(500) {
        for m in notes::Entity::find()
            .filter(notes::Column::AppointmentId.is_in(chunk.iter().copied()))
            .order_by_asc(notes::Column::CreatedAt)
            .all(c)
            .await?
        {
            out.push(crate::notes::head(m)?);
        }
    }
    Ok(out)
}

/// A referral sent and not yet answered (no sealed text: whom and why stay on the client's page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub id: Uuid,
    pub client_id: ClientId,
    pub kind: ReferralKind,
    pub sent_on: NaiveDate,
}

/// Referrals of `clients` still at "sent", longest waiting first.
pub async fn unanswered_referrals(
    c: &impl ConnectionTrait,
    clients: &[ClientId],
) -> Result<Vec<Unanswered>, StoreError> {
    let mut out = Vec::new();
    for chunk in clients.chunks(500) {
        for m in referrals::Entity::find()
            .filter(referrals::Column::Status.eq(ReferralStatus::Sent.as_str()))
            .filter(referrals::Column::ClientId.is_in(chunk.iter().map(|c| c.0)))
            .all(c)
            .await?
        {
            let kind = ReferralKind::parse(&m.kind)
                .map_err(|_| StoreError::Integrity(format!("referral {}: bad kind", m.id)))?;
            out.push(Unanswered {
                id: m.id,
                client_id: ClientId(m.client_id),
                kind,
                sent_on: m.sent_on,
            });
        }
    }
    out.sort_by_key(|r| (r.sent_on, r.id));
    Ok(out)
}

/// Messages neither sent nor cancelled that have failed at least once: the mail page's "failed" ones.
pub async fn failing_mail(c: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::CancelledAt.is_null())
        .filter(outbox::Column::Attempts.gt(0))
        .count(c)
        .await?)
}
