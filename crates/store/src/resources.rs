//! What appointments are made of: appointment types, locations and rooms, practice settings, and clinicians'
//! availability exceptions.

use crate::StoreError;
use crate::entity::{appointment_types, availability_exceptions, locations, rooms, settings};
use rapport_domain::UserId;
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{AppointmentKind, AppointmentType, Mode};
use rapport_domain::scheduling::availability::{AvailabilityException, ExceptionKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

fn type_from(m: appointment_types::Model) -> Result<AppointmentType, StoreError> {
    let bad = |w: &str| StoreError::Integrity(format!("appointment type {}: bad {w}", m.key));
    Ok(AppointmentType {
        kind: AppointmentKind::parse(&m.kind).map_err(|_| bad("kind"))?,
        modes: serde_json::from_str::<Vec<Mode>>(&m.modes).map_err(|_| bad("modes"))?,
        minutes: m.minutes.max(1) as u32,
        buffer_before_minutes: m.buffer_before_minutes.max(0) as u32,
        buffer_after_minutes: m.buffer_after_minutes.max(0) as u32,
        key: m.key,
        label: m.label,
        service_code: m.service_code,
    })
}

pub async fn types(c: &impl ConnectionTrait) -> Result<Vec<AppointmentType>, StoreError> {
    appointment_types::Entity::find()
        .filter(appointment_types::Column::Active.eq(true))
        .order_by_asc(appointment_types::Column::Key)
        .all(c)
        .await?
        .into_iter()
        .map(type_from)
        .collect()
}

pub async fn appointment_type(
    c: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<AppointmentType>, StoreError> {
    appointment_types::Entity::find_by_id(key.to_string())
        .filter(appointment_types::Column::Active.eq(true))
        .one(c)
        .await?
        .map(type_from)
        .transpose()
}

pub async fn save_type(c: &impl ConnectionTrait, t: &AppointmentType) -> Result<(), StoreError> {
    let am = appointment_types::ActiveModel {
        key: Set(t.key.clone()),
        label: Set(t.label.clone()),
        kind: Set(t.kind.as_str().into()),
        minutes: Set(t.minutes as i32),
        buffer_before_minutes: Set(t.buffer_before_minutes as i32),
        buffer_after_minutes: Set(t.buffer_after_minutes as i32),
        modes: Set(
            serde_json::to_string(&t.modes).map_err(|e| StoreError::Integrity(e.to_string()))?
        ),
        service_code: Set(t.service_code.clone()),
        active: Set(true),
    };
    if appointment_types::Entity::find_by_id(t.key.clone())
        .one(c)
        .await?
        .is_some()
    {
        am.update(c).await?;
    } else {
        am.insert(c).await?;
    }
    Ok(())
}

pub use locations::Model as Location;
pub use rooms::Model as Room;

pub async fn add_location(
    c: &impl ConnectionTrait,
    name: &str,
    time_zone: &str,
    address: Option<&str>,
) -> Result<Location, StoreError> {
    Ok(locations::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.into()),
        time_zone: Set(time_zone.into()),
        address: Set(address.map(String::from)),
        created_at: Set(crate::now_utc()),
    }
    .insert(c)
    .await?)
}

pub async fn locations(c: &impl ConnectionTrait) -> Result<Vec<Location>, StoreError> {
    Ok(locations::Entity::find()
        .order_by_asc(locations::Column::Name)
        .all(c)
        .await?)
}

/// The practice's zone: its first location's (the default for people and shifts without one of their own), else
/// UTC.
pub async fn practice_zone(c: &impl ConnectionTrait) -> Result<String, StoreError> {
    Ok(locations::Entity::find()
        .order_by_asc(locations::Column::CreatedAt)
        .one(c)
        .await?
        .map(|l| l.time_zone)
        .unwrap_or_else(|| "UTC".into()))
}

/// The zone a staff member reads times in: their clinician profile's, else the practice's.
pub async fn zone_of_user(c: &impl ConnectionTrait, user: UserId) -> Result<String, StoreError> {
    match crate::clinicians::get(c, user).await? {
        Some(profile) => Ok(profile.time_zone),
        None => practice_zone(c).await,
    }
}

pub async fn add_room(
    c: &impl ConnectionTrait,
    location: Uuid,
    name: &str,
    capacity: i32,
) -> Result<Room, StoreError> {
    Ok(rooms::ActiveModel {
        id: Set(Uuid::now_v7()),
        location_id: Set(location),
        name: Set(name.into()),
        capacity: Set(capacity),
        active: Set(true),
    }
    .insert(c)
    .await?)
}

pub async fn rooms(c: &impl ConnectionTrait) -> Result<Vec<Room>, StoreError> {
    Ok(rooms::Entity::find()
        .filter(rooms::Column::Active.eq(true))
        .order_by_asc(rooms::Column::Name)
        .all(c)
        .await?)
}

pub async fn room(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Room>, StoreError> {
    Ok(rooms::Entity::find_by_id(id)
        .filter(rooms::Column::Active.eq(true))
        .one(c)
        .await?)
}

pub async fn setting(c: &impl ConnectionTrait, key: &str) -> Result<Option<String>, StoreError> {
    Ok(settings::Entity::find_by_id(key.to_string())
        .one(c)
        .await?
        .map(|s| s.value))
}

/// The practice's name as messages sign with it ("Your practice" until one is set).
pub async fn practice_name(c: &impl ConnectionTrait) -> Result<String, StoreError> {
    Ok(setting(c, "practice_name")
        .await?
        .unwrap_or_else(|| "Your practice".into()))
}

pub async fn set_setting(
    c: &impl ConnectionTrait,
    key: &str,
    value: &str,
) -> Result<(), StoreError> {
    let am = settings::ActiveModel {
        key: Set(key.into()),
        value: Set(value.into()),
    };
    if settings::Entity::find_by_id(key.to_string())
        .one(c)
        .await?
        .is_some()
    {
        am.update(c).await?;
    } else {
        am.insert(c).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredException {
    pub id: Uuid,
    pub clinician_id: UserId,
    pub exception: AvailabilityException,
    pub note: Option<String>,
}

pub async fn add_exception(
    c: &impl ConnectionTrait,
    clinician: UserId,
    e: AvailabilityException,
    note: Option<&str>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    availability_exceptions::ActiveModel {
        id: Set(id),
        clinician_id: Set(clinician.0),
        kind: Set(match e.kind {
            ExceptionKind::TimeOff => "time_off".into(),
            ExceptionKind::ExtraHours => "extra_hours".into(),
        }),
        start_at: Set(e.interval.start),
        end_at: Set(e.interval.end),
        note: Set(note.map(String::from)),
    }
    .insert(c)
    .await?;
    Ok(id)
}

pub async fn remove_exception(c: &impl ConnectionTrait, id: Uuid) -> Result<bool, StoreError> {
    Ok(availability_exceptions::Entity::delete_by_id(id)
        .exec(c)
        .await?
        .rows_affected
        > 0)
}

/// Exceptions of these clinicians that overlap `range`.
pub async fn exceptions(
    c: &impl ConnectionTrait,
    clinicians: &[UserId],
    range: Interval,
) -> Result<Vec<StoredException>, StoreError> {
    let mut out = Vec::new();
    for chunk in clinicians.chunks(500) {
        let rows = availability_exceptions::Entity::find()
            .filter(
                availability_exceptions::Column::ClinicianId
                    .is_in(chunk.iter().map(|u| u.0).collect::<Vec<_>>()),
            )
            .filter(availability_exceptions::Column::StartAt.lt(range.end))
            .filter(availability_exceptions::Column::EndAt.gt(range.start))
            .order_by_asc(availability_exceptions::Column::StartAt)
            .all(c)
            .await?;
        for r in rows {
            out.push(StoredException {
                id: r.id,
                clinician_id: UserId(r.clinician_id),
                exception: AvailabilityException {
                    kind: if r.kind == "extra_hours" {
                        ExceptionKind::ExtraHours
                    } else {
                        ExceptionKind::TimeOff
                    },
                    interval: Interval {
                        start: r.start_at,
                        end: r.end_at,
                    },
                },
                note: r.note,
            });
        }
    }
    Ok(out)
}

pub async fn exception(
    c: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<StoredException>, StoreError> {
    let Some(r) = availability_exceptions::Entity::find_by_id(id)
        .one(c)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredException {
        id: r.id,
        clinician_id: UserId(r.clinician_id),
        exception: AvailabilityException {
            kind: if r.kind == "extra_hours" {
                ExceptionKind::ExtraHours
            } else {
                ExceptionKind::TimeOff
            },
            interval: Interval {
                start: r.start_at,
                end: r.end_at,
            },
        },
        note: r.note,
    }))
}
