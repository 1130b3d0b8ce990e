//! Waitlist entries and offers.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{waitlist_entries, waitlist_offers};
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use rapport_domain::scheduling::waitlist::Preference;
use rapport_domain::{ClientId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: Uuid,
    pub client_id: ClientId,
    pub preference: Preference,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub use waitlist_offers::Model as Offer;

fn aad(row: &str) -> Aad<'_> {
    Aad {
        table: "waitlist_entries",
        column: "note",
        row,
    }
}

fn to_entry(m: waitlist_entries::Model, note: Option<String>) -> Result<Entry, StoreError> {
    let bad = |w: &str| StoreError::Integrity(format!("waitlist entry {}: bad {w}", m.id));
    let time = |s: &Option<String>| -> Result<Option<NaiveTime>, StoreError> {
        s.as_deref()
            .map(|t| NaiveTime::parse_from_str(t, "%H:%M:%S").map_err(|_| bad("time")))
            .transpose()
    };
    Ok(Entry {
        id: m.id,
        client_id: ClientId(m.client_id),
        preference: Preference {
            type_key: m.type_key.clone(),
            clinician: m.clinician_id.map(UserId),
            mode: m.mode.clone(),
            days: serde_json::from_str::<Vec<Weekday>>(&m.days).map_err(|_| bad("days"))?,
            earliest: time(&m.earliest)?,
            latest: time(&m.latest)?,
            time_zone: m.time_zone.parse::<Tz>().map_err(|_| bad("time zone"))?,
            priority: m.priority,
            since: m.created_at,
        },
        note,
        status: m.status,
        created_at: m.created_at,
    })
}

pub async fn insert(
    tx: &Tx<'_>,
    client: ClientId,
    p: &Preference,
    note: Option<&str>,
    by: UserId,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let row = id.to_string();
    let now = now_utc();
    waitlist_entries::ActiveModel {
        id: Set(id),
        client_id: Set(client.0),
        type_key: Set(p.type_key.clone()),
        clinician_id: Set(p.clinician.map(|c| c.0)),
        mode: Set(p.mode.clone()),
        days: Set(serde_json::to_string(&p.days).map_err(|e| StoreError::Integrity(e.to_string()))?),
        earliest: Set(p.earliest.map(|t| t.format("%H:%M:%S").to_string())),
        latest: Set(p.latest.map(|t| t.format("%H:%M:%S").to_string())),
        time_zone: Set(p.time_zone.name().into()),
        priority: Set(p.priority),
        note: Set(Encrypted::<String>::seal_opt(tx.cipher(), aad(&row), note.map(String::from).as_ref())?),
        status: Set("waiting".into()),
        created_by: Set(by.0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

/// Entries with this status (all when `None`), most urgent first; notes decrypted only when `with_notes`.
pub async fn list(
    tx: &Tx<'_>,
    status: Option<&str>,
    with_notes: bool,
) -> Result<Vec<Entry>, StoreError> {
    let mut q = waitlist_entries::Entity::find();
    if let Some(s) = status {
        q = q.filter(waitlist_entries::Column::Status.eq(s));
    }
    let rows = q
        .order_by_desc(waitlist_entries::Column::Priority)
        .order_by_asc(waitlist_entries::Column::CreatedAt)
        .all(tx.conn())
        .await?;
    rows.into_iter()
        .map(|m| {
            let row = m.id.to_string();
            let note = if with_notes {
                Encrypted::<String>::open_opt(tx.cipher(), aad(&row), m.note.as_deref())?
            } else {
                None
            };
            to_entry(m, note)
        })
        .collect()
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Entry>, StoreError> {
    waitlist_entries::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(|m| to_entry(m, None))
        .transpose()
}

pub async fn set_status(
    c: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
) -> Result<(), StoreError> {
    waitlist_entries::ActiveModel {
        id: Set(id),
        status: Set(status.into()),
        updated_at: Set(now_utc()),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

pub async fn add_offer(
    c: &impl ConnectionTrait,
    entry: Uuid,
    clinician: UserId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    freed_by: Uuid,
    emailed: bool,
) -> Result<(), StoreError> {
    waitlist_offers::ActiveModel {
        id: Set(Uuid::now_v7()),
        entry_id: Set(entry),
        clinician_id: Set(clinician.0),
        start_at: Set(start),
        end_at: Set(end),
        freed_by: Set(freed_by),
        emailed: Set(emailed),
        created_at: Set(now_utc()),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn offers(c: &impl ConnectionTrait, entries: &[Uuid]) -> Result<Vec<Offer>, StoreError> {
    let mut out = Vec::new();
    for chunk in entries.chunks(500) {
        out.extend(
            waitlist_offers::Entity::find()
                .filter(waitlist_offers::Column::EntryId.is_in(chunk.to_vec()))
                .order_by_asc(waitlist_offers::Column::StartAt)
                .all(c)
                .await?,
        );
    }
    Ok(out)
}
