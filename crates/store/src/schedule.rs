//! Appointments and series: rows, participants, history, and the queries the calendar and conflict checks need.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{appointment_clients, appointment_history, appointments, series};
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{AppointmentKind, Mode, Status};
use rapport_domain::scheduling::interval::shifted;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::{Expr, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: Uuid,
    pub series_id: Option<Uuid>,
    pub occurrence_index: Option<i32>,
    pub type_key: String,
    pub kind: AppointmentKind,
    pub mode: Mode,
    pub status: Status,
    pub clinician_id: UserId,
    pub room_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub session: Interval,
    pub busy: Interval,
    pub time_zone: String,
    pub client_ids: Vec<ClientId>,
    pub created_by: UserId,
    pub version: i32,
}

fn from_model(m: appointments::Model, clients: Vec<ClientId>) -> Result<Appointment, StoreError> {
    let bad = |what: &str| StoreError::Integrity(format!("appointment {}: bad {what}", m.id));
    Ok(Appointment {
        id: m.id,
        series_id: m.series_id,
        occurrence_index: m.occurrence_index,
        kind: AppointmentKind::parse(&m.kind).map_err(|_| bad("kind"))?,
        mode: Mode::parse(&m.mode).map_err(|_| bad("mode"))?,
        status: Status::parse(&m.status).map_err(|_| bad("status"))?,
        type_key: m.type_key,
        clinician_id: UserId(m.clinician_id),
        room_id: m.room_id,
        group_id: m.group_id,
        session: Interval {
            start: m.start_at,
            end: m.end_at,
        },
        busy: Interval {
            start: m.busy_start,
            end: m.busy_end,
        },
        time_zone: m.time_zone,
        client_ids: clients,
        created_by: UserId(m.created_by),
        version: m.version,
    })
}

async fn clients_of(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ClientId>>, StoreError> {
    let mut map: HashMap<Uuid, Vec<ClientId>> = HashMap::new();
    // Chunked so the IN list stays within every database's parameter limit.
    for chunk in ids.chunks(500) {
        let rows = appointment_clients::Entity::find()
            .filter(appointment_clients::Column::AppointmentId.is_in(chunk.to_vec()))
            .all(c)
            .await?;
        for r in rows {
            map.entry(r.appointment_id)
                .or_default()
                .push(ClientId(r.client_id));
        }
    }
    for v in map.values_mut() {
        v.sort();
    }
    Ok(map)
}

async fn hydrate(
    c: &impl ConnectionTrait,
    rows: Vec<appointments::Model>,
) -> Result<Vec<Appointment>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut clients = clients_of(c, &ids).await?;
    rows.into_iter()
        .map(|m| {
            let cl = clients.remove(&m.id).unwrap_or_default();
            from_model(m, cl)
        })
        .collect()
}

pub async fn insert(tx: &Tx<'_>, a: &Appointment) -> Result<(), StoreError> {
    let now = now_utc();
    appointments::ActiveModel {
        id: Set(a.id),
        series_id: Set(a.series_id),
        occurrence_index: Set(a.occurrence_index),
        type_key: Set(a.type_key.clone()),
        kind: Set(a.kind.as_str().into()),
        mode: Set(a.mode.as_str().into()),
        status: Set(a.status.as_str().into()),
        clinician_id: Set(a.clinician_id.0),
        room_id: Set(a.room_id),
        group_id: Set(a.group_id),
        start_at: Set(a.session.start),
        end_at: Set(a.session.end),
        busy_start: Set(a.busy.start),
        busy_end: Set(a.busy.end),
        time_zone: Set(a.time_zone.clone()),
        cancel_reason: Set(None),
        created_by: Set(a.created_by.0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    for client in &a.client_ids {
        appointment_clients::ActiveModel {
            appointment_id: Set(a.id),
            client_id: Set(client.0),
        }
        .insert(tx.conn())
        .await?;
    }
    history(
        tx.conn(),
        a.id,
        Some(a.created_by),
        "booked",
        None,
        Some(a.session.start),
        None,
        Some(a.status),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn history(
    c: &impl ConnectionTrait,
    appointment: Uuid,
    actor: Option<UserId>,
    change: &str,
    from_start: Option<DateTime<Utc>>,
    to_start: Option<DateTime<Utc>>,
    from_status: Option<Status>,
    to_status: Option<Status>,
) -> Result<(), StoreError> {
    appointment_history::ActiveModel {
        id: Set(Uuid::now_v7()),
        appointment_id: Set(appointment),
        at: Set(now_utc()),
        actor_id: Set(actor.map(|a| a.0)),
        change: Set(change.into()),
        from_start: Set(from_start),
        to_start: Set(to_start),
        from_status: Set(from_status.map(|s| s.as_str().to_string())),
        to_status: Set(to_status.map(|s| s.as_str().to_string())),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub use appointment_history::Model as HistoryEntry;

pub async fn history_of(
    c: &impl ConnectionTrait,
    appointment: Uuid,
) -> Result<Vec<HistoryEntry>, StoreError> {
    Ok(appointment_history::Entity::find()
        .filter(appointment_history::Column::AppointmentId.eq(appointment))
        .order_by_asc(appointment_history::Column::At)
        .all(c)
        .await?)
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Appointment>, StoreError> {
    let Some(m) = appointments::Entity::find_by_id(id).one(c).await? else {
        return Ok(None);
    };
    Ok(hydrate(c, vec![m]).await?.pop())
}

/// No session with its buffers lasts this long (a type is at most 480 minutes with buffers of at most 120 on each
/// side), so a range query may bound the indexed start columns from below by `range.start - LONGEST_SPAN` (saturating: `interval::shifted`).
pub(crate) const LONGEST_SPAN: chrono::Duration = chrono::Duration::days(1);

pub(crate) fn holding() -> Condition {
    Condition::all()
        .add(appointments::Column::Status.ne(Status::Cancelled.as_str()))
        .add(appointments::Column::Status.ne(Status::LateCancelled.as_str()))
}

/// One appointment's time as slot search needs it: the clinician, the session and the buffered busy span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyRow {
    pub clinician_id: UserId,
    pub session: Interval,
    pub busy: Interval,
}

/// Clinician, session start and end, busy start and end.
type BusyColumns = (
    Uuid,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// The busy time of these clinicians that overlaps `window`: five columns of holding appointments, no
/// participants. The lower bound on the indexed `busy_start` (`LONGEST_SPAN` before the window) lets the database
/// use `idx_appointments_clinician_busy`.
pub async fn busy_times(
    c: &impl ConnectionTrait,
    clinicians: &[UserId],
    window: Interval,
) -> Result<Vec<BusyRow>, StoreError> {
    use appointments::Column as C;
    if clinicians.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<BusyColumns> = appointments::Entity::find()
        .select_only()
        .columns([
            C::ClinicianId,
            C::StartAt,
            C::EndAt,
            C::BusyStart,
            C::BusyEnd,
        ])
        .filter(C::ClinicianId.is_in(clinicians.iter().map(|u| u.0)))
        .filter(C::BusyStart.lt(window.end))
        .filter(C::BusyStart.gt(shifted(window.start, -LONGEST_SPAN)))
        .filter(C::BusyEnd.gt(window.start))
        .filter(holding())
        .into_tuple()
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(clin, s, e, bs, be)| BusyRow {
            clinician_id: UserId(clin),
            session: Interval { start: s, end: e },
            busy: Interval { start: bs, end: be },
        })
        .collect())
}

/// An appointment that may stand in a booking's way: its clinician, room and times, and which of the booking's
/// clients (if any) takes part in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding {
    pub clinician_id: UserId,
    pub room_id: Option<Uuid>,
    pub session: Interval,
    pub busy: Interval,
    /// One of the asked-for clients taking part (an appointment with several of them comes once for each).
    pub shared_client: Option<ClientId>,
}

/// Appointments that hold time and whose buffered time overlaps `window`, on this clinician's or room's calendar
/// or with any of these clients; the caller decides, with each side's buffers, which of them really conflict.
/// Only the compared columns are read, and the clients are matched by a join rather than by loading every
/// candidate's participants: this runs under the writers' turn for every booking.
pub async fn holdings_near(
    c: &impl ConnectionTrait,
    window: Interval,
    clinician: UserId,
    room: Option<Uuid>,
    clients: &[ClientId],
    exclude: &[Uuid],
) -> Result<Vec<Holding>, StoreError> {
    use appointments::Column as A;
    let (a, ac) = (appointments::Entity, appointment_clients::Entity);
    let mut on = Expr::col((ac, appointment_clients::Column::AppointmentId)).equals((a, A::Id));
    let mut who = Condition::any().add(Expr::col((a, A::ClinicianId)).eq(clinician.0));
    if let Some(r) = room {
        who = who.add(Expr::col((a, A::RoomId)).eq(r));
    }
    if clients.is_empty() {
        // Join nothing: no participant can be shared.
        on = on.and(Expr::cust("1 = 0"));
    } else {
        on = on.and(
            Expr::col((ac, appointment_clients::Column::ClientId))
                .is_in(clients.iter().map(|c| c.0)),
        );
        who = who.add(Expr::col((ac, appointment_clients::Column::ClientId)).is_not_null());
    }
    let mut q = Query::select();
    q.columns([
        (a, A::ClinicianId),
        (a, A::RoomId),
        (a, A::StartAt),
        (a, A::EndAt),
        (a, A::BusyStart),
        (a, A::BusyEnd),
    ])
    .column((ac, appointment_clients::Column::ClientId))
    .from(a)
    .join(JoinType::LeftJoin, ac, on)
    .cond_where(holding())
    .and_where(Expr::col((a, A::BusyStart)).lt(window.end))
    .and_where(Expr::col((a, A::BusyStart)).gt(shifted(window.start, -LONGEST_SPAN)))
    .and_where(Expr::col((a, A::BusyEnd)).gt(window.start))
    .cond_where(who)
    .order_by((a, A::StartAt), Order::Asc);
    if !exclude.is_empty() {
        q.and_where(Expr::col((a, A::Id)).is_not_in(exclude.iter().copied()));
    }
    type Columns = (
        Uuid,
        Option<Uuid>,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<Uuid>,
    );
    let stmt = c.get_database_backend().build(&q);
    let rows = c.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| {
            let (clin, room, s, e, bs, be, client): Columns = r.try_get_many_by_index()?;
            Ok(Holding {
                clinician_id: UserId(clin),
                room_id: room,
                session: Interval { start: s, end: e },
                busy: Interval { start: bs, end: be },
                shared_client: client.map(ClientId),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct RangeFilter {
    pub clinicians: Option<Vec<UserId>>,
    pub room: Option<Uuid>,
    /// Only appointments in one of these rooms (a location's rooms); an empty list matches nothing.
    pub rooms: Option<Vec<Uuid>>,
    pub client: Option<ClientId>,
    pub include_cancelled: bool,
}

/// Appointments whose sessions overlap `range`, in start order. The lower bound on the indexed `start_at` keeps
/// the query off the practice's whole history.
pub async fn in_range(
    c: &impl ConnectionTrait,
    range: Interval,
    f: &RangeFilter,
) -> Result<Vec<Appointment>, StoreError> {
    let mut q = appointments::Entity::find()
        .filter(appointments::Column::StartAt.lt(range.end))
        .filter(appointments::Column::StartAt.gt(shifted(range.start, -LONGEST_SPAN)))
        .filter(appointments::Column::EndAt.gt(range.start));
    if !f.include_cancelled {
        q = q.filter(holding());
    }
    if let Some(list) = &f.clinicians {
        q = q.filter(
            appointments::Column::ClinicianId.is_in(list.iter().map(|u| u.0).collect::<Vec<_>>()),
        );
    }
    if let Some(r) = f.room {
        q = q.filter(appointments::Column::RoomId.eq(r));
    }
    if let Some(list) = &f.rooms {
        q = q.filter(appointments::Column::RoomId.is_in(list.clone()));
    }
    if let Some(cl) = f.client {
        q = q.filter(
            appointments::Column::Id.in_subquery(
                Query::select()
                    .column(appointment_clients::Column::AppointmentId)
                    .from(appointment_clients::Entity)
                    .and_where(appointment_clients::Column::ClientId.eq(cl.0))
                    .to_owned(),
            ),
        );
    }
    let rows = q
        .order_by_asc(appointments::Column::StartAt)
        .order_by_asc(appointments::Column::Id)
        .all(c)
        .await?;
    hydrate(c, rows).await
}

/// The remaining occurrences of a series from `index` on, in order.
pub async fn series_from(
    c: &impl ConnectionTrait,
    series_id: Uuid,
    index: i32,
) -> Result<Vec<Appointment>, StoreError> {
    let rows = appointments::Entity::find()
        .filter(appointments::Column::SeriesId.eq(series_id))
        .filter(appointments::Column::OccurrenceIndex.gte(index))
        .order_by_asc(appointments::Column::OccurrenceIndex)
        .all(c)
        .await?;
    hydrate(c, rows).await
}

fn stale() -> StoreError {
    StoreError::Conflict(
        "this appointment was changed by someone else since you opened it; reload it".into(),
    )
}

/// Moves an appointment (and its buffered time) if it is still at `version`.
pub async fn update_time(
    tx: &Tx<'_>,
    a: &Appointment,
    session: Interval,
    busy: Interval,
    room: Option<Uuid>,
) -> Result<i32, StoreError> {
    let r = appointments::Entity::update_many()
        .col_expr(appointments::Column::StartAt, Expr::value(session.start))
        .col_expr(appointments::Column::EndAt, Expr::value(session.end))
        .col_expr(appointments::Column::BusyStart, Expr::value(busy.start))
        .col_expr(appointments::Column::BusyEnd, Expr::value(busy.end))
        .col_expr(appointments::Column::RoomId, Expr::value(room))
        .col_expr(appointments::Column::UpdatedAt, Expr::value(now_utc()))
        .col_expr(appointments::Column::Version, Expr::value(a.version + 1))
        .filter(appointments::Column::Id.eq(a.id))
        .filter(appointments::Column::Version.eq(a.version))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(a.version + 1)
    } else {
        Err(stale())
    }
}

/// Sets a new status (with an optional, encrypted reason) if the appointment is still at `version`.
pub async fn update_status(
    tx: &Tx<'_>,
    a: &Appointment,
    status: Status,
    reason: Option<&str>,
) -> Result<i32, StoreError> {
    let row = a.id.to_string();
    let sealed = match reason {
        Some(r) => Some(Encrypted::<String>::seal(
            tx.cipher(),
            Aad {
                table: "appointments",
                column: "cancel_reason",
                row: &row,
            },
            &r.to_string(),
        )?),
        None => None,
    };
    let mut q = appointments::Entity::update_many()
        .col_expr(appointments::Column::Status, Expr::value(status.as_str()))
        .col_expr(appointments::Column::UpdatedAt, Expr::value(now_utc()))
        .col_expr(appointments::Column::Version, Expr::value(a.version + 1));
    if sealed.is_some() {
        q = q.col_expr(appointments::Column::CancelReason, Expr::value(sealed));
    }
    let r = q
        .filter(appointments::Column::Id.eq(a.id))
        .filter(appointments::Column::Version.eq(a.version))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(a.version + 1)
    } else {
        Err(stale())
    }
}

pub async fn cancel_reason(tx: &Tx<'_>, id: Uuid) -> Result<Option<String>, StoreError> {
    let Some(m) = appointments::Entity::find_by_id(id).one(tx.conn()).await? else {
        return Ok(None);
    };
    let row = id.to_string();
    Ok(Encrypted::<String>::open_opt(
        tx.cipher(),
        Aad {
            table: "appointments",
            column: "cancel_reason",
            row: &row,
        },
        m.cancel_reason.as_deref(),
    )?)
}

pub use series::Model as Series;

pub async fn insert_series(c: &impl ConnectionTrait, s: &Series) -> Result<(), StoreError> {
    series::ActiveModel::from(s.clone()).insert(c).await?;
    Ok(())
}

pub async fn get_series(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Series>, StoreError> {
    Ok(series::Entity::find_by_id(id).one(c).await?)
}
