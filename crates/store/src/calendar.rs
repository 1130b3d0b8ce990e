//! The calendar's read model: appointments in a range as a calendar shows them, in one query.
//!
//! A week of a 50-clinician clinic is about 1,500 appointments. Loading full rows (ciphertext columns included),
//! their participants, every participant's full client row and the whole staff list cost more than the target for
//! the view; this query joins the few columns shown, the participants' name columns and the clinician's display
//! name, and is bounded on the indexed `start_at` so it does not scan the practice's whole history.

use crate::StoreError;
use crate::entity::{appointment_clients, appointments, clients, users};
use crate::schedule::{LONGEST_SPAN, RangeFilter, holding};
use chrono::{DateTime, Utc};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{AppointmentKind, Mode, Status};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::{Expr, JoinType, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, ExprTrait, FromQueryResult};
use uuid::Uuid;

/// One appointment as a calendar shows it. `participants` are all of its clients with their display names; the
/// caller decides which of them the viewer may see named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub id: Uuid,
    pub series_id: Option<Uuid>,
    pub occurrence_index: Option<i32>,
    pub type_key: String,
    pub kind: AppointmentKind,
    pub mode: Mode,
    pub status: Status,
    pub clinician_id: UserId,
    pub clinician_name: String,
    pub room_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub session: Interval,
    pub time_zone: String,
    pub version: i32,
    pub participants: Vec<(ClientId, String)>,
}

/// One appointment joined with one of its participants (or none).
#[derive(Debug, FromQueryResult)]
struct Row {
    id: Uuid,
    series_id: Option<Uuid>,
    occurrence_index: Option<i32>,
    type_key: String,
    kind: String,
    mode: String,
    status: String,
    clinician_id: Uuid,
    clinician_name: Option<String>,
    room_id: Option<Uuid>,
    group_id: Option<Uuid>,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    time_zone: String,
    version: i32,
    client_id: Option<Uuid>,
    legal_name: Option<String>,
    preferred_name: Option<String>,
}

/// How a client is named on a calendar: the preferred first name with the legal surname, else the legal name.
pub fn display_name(legal_name: &str, preferred_name: Option<&str>) -> String {
    match preferred_name {
        Some(p) => format!("{p} {}", legal_name.split_whitespace().last().unwrap_or(""))
            .trim()
            .to_string(),
        None => legal_name.to_string(),
    }
}

/// Appointments whose sessions overlap `range`, in start order, with their participants' names.
pub async fn entries(
    c: &impl ConnectionTrait,
    range: Interval,
    f: &RangeFilter,
) -> Result<Vec<CalendarEntry>, StoreError> {
    use appointments::Column as A;
    let a = appointments::Entity;
    let ac = appointment_clients::Entity;
    let mut q = Query::select();
    q.columns([
        (a, A::Id),
        (a, A::SeriesId),
        (a, A::OccurrenceIndex),
        (a, A::TypeKey),
        (a, A::Kind),
        (a, A::Mode),
        (a, A::Status),
        (a, A::ClinicianId),
        (a, A::RoomId),
        (a, A::GroupId),
        (a, A::StartAt),
        (a, A::EndAt),
        (a, A::TimeZone),
        (a, A::Version),
    ])
    .column((ac, appointment_clients::Column::ClientId))
    .column((clients::Entity, clients::Column::LegalName))
    .column((clients::Entity, clients::Column::PreferredName))
    .expr_as(
        Expr::col((users::Entity, users::Column::DisplayName)),
        "clinician_name",
    )
    .from(a)
    .join(
        JoinType::LeftJoin,
        ac,
        Expr::col((ac, appointment_clients::Column::AppointmentId)).equals((a, A::Id)),
    )
    .join(
        JoinType::LeftJoin,
        clients::Entity,
        Expr::col((clients::Entity, clients::Column::Id))
            .equals((ac, appointment_clients::Column::ClientId)),
    )
    .join(
        JoinType::LeftJoin,
        users::Entity,
        Expr::col((users::Entity, users::Column::Id)).equals((a, A::ClinicianId)),
    )
    // The lower bound on `start_at` lets the database walk the index instead of the whole table: no session
    // lasts `LONGEST_SPAN`, so nothing that starts earlier can still be running at `range.start`.
    .and_where(Expr::col((a, A::StartAt)).lt(range.end))
    .and_where(Expr::col((a, A::StartAt)).gt(range.start - LONGEST_SPAN))
    .and_where(Expr::col((a, A::EndAt)).gt(range.start));
    if !f.include_cancelled {
        q.cond_where(holding());
    }
    if let Some(list) = &f.clinicians {
        q.and_where(Expr::col((a, A::ClinicianId)).is_in(list.iter().map(|u| u.0)));
    }
    if let Some(r) = f.room {
        q.and_where(Expr::col((a, A::RoomId)).eq(r));
    }
    if let Some(list) = &f.rooms {
        q.and_where(Expr::col((a, A::RoomId)).is_in(list.iter().copied()));
    }
    if let Some(cl) = f.client {
        q.and_where(
            Expr::col((a, A::Id)).in_subquery(
                Query::select()
                    .column(appointment_clients::Column::AppointmentId)
                    .from(ac)
                    .and_where(appointment_clients::Column::ClientId.eq(cl.0))
                    .to_owned(),
            ),
        );
    }
    q.order_by((a, A::StartAt), Order::Asc)
        .order_by((a, A::Id), Order::Asc)
        .order_by((ac, appointment_clients::Column::ClientId), Order::Asc);
    let stmt = c.get_database_backend().build(&q);
    let rows = Row::find_by_statement(stmt).all(c).await?;
    let mut out: Vec<CalendarEntry> = Vec::new();
    for r in rows {
        let participant = match (r.client_id, &r.legal_name) {
            (Some(id), Some(legal)) => Some((
                ClientId(id),
                display_name(legal, r.preferred_name.as_deref()),
            )),
            _ => None,
        };
        // Rows of one appointment are adjacent (ordered by start, then id).
        if let Some(last) = out.last_mut()
            && last.id == r.id
        {
            last.participants.extend(participant);
            continue;
        }
        let bad = |what: &str| StoreError::Integrity(format!("appointment {}: bad {what}", r.id));
        out.push(CalendarEntry {
            id: r.id,
            series_id: r.series_id,
            occurrence_index: r.occurrence_index,
            kind: AppointmentKind::parse(&r.kind).map_err(|_| bad("kind"))?,
            mode: Mode::parse(&r.mode).map_err(|_| bad("mode"))?,
            status: Status::parse(&r.status).map_err(|_| bad("status"))?,
            type_key: r.type_key,
            clinician_id: UserId(r.clinician_id),
            clinician_name: r.clinician_name.unwrap_or_default(),
            room_id: r.room_id,
            group_id: r.group_id,
            session: Interval {
                start: r.start_at,
                end: r.end_at,
            },
            time_zone: r.time_zone,
            version: r.version,
            participants: participant.into_iter().collect(),
        });
    }
    Ok(out)
}
