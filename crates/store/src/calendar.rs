//! The calendar's read model: appointments in a range as a calendar shows them, in one query.
//!
//! A week of a 50-clinician clinic is about 1,500 appointments. Loading full rows (ciphertext columns included),
//! their participants, every participant's full client row and the whole staff list cost more than the target for
//! the view; this query joins the few columns shown, the participants' name columns and the clinician's display
//! name, is bounded on the indexed `start_at` so it does not scan the practice's whole history, and returns the
//! whole range as one row (see `entries`).

use crate::StoreError;
use crate::entity::{appointment_clients, appointments, clients, users};
use crate::schedule::{LONGEST_SPAN, RangeFilter, holding};
use chrono::{DateTime, Utc};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{AppointmentKind, Mode, Status};
use rapport_domain::scheduling::interval::shifted;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::{Expr, JoinType, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, ExprTrait};
use serde::Deserialize;
use std::collections::HashMap;
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
///
/// The range comes back as one row either way. The data-access layer copies, type-checks and decodes a result's
/// values one by one (on SQLite each copy is an allocation under SQLite's memory mutex); a clinic's week as rows
/// (1,500 × 18 values) cost two to four times what the query itself takes. On SQLite the database writes the
/// range as one JSON text; on PostgreSQL, whose JSON functions are slow per value, it returns one binary array per
/// column.
pub async fn entries(
    c: &impl ConnectionTrait,
    range: Interval,
    f: &RangeFilter,
) -> Result<Vec<CalendarEntry>, StoreError> {
    let mut out = match c.get_database_backend() {
        DbBackend::Postgres => pg_entries(c, range, f).await?,
        _ => sqlite_entries(c, range, f).await?,
    };
    // Aggregates keep no order the SQL could promise: sort here.
    out.sort_unstable_by_key(|e| (e.session.start, e.id));
    Ok(out)
}

/// `SELECT <what> FROM appointments LEFT JOIN users …` with the range and the filter.
fn in_range(range: Interval, f: &RangeFilter) -> SelectStatement {
    use appointments::Column as A;
    let a = appointments::Entity;
    let ac = appointment_clients::Entity;
    let mut q = Query::select();
    q.from(a)
        .join(
            JoinType::LeftJoin,
            users::Entity,
            Expr::col((users::Entity, users::Column::Id)).equals((a, A::ClinicianId)),
        )
        // The lower bound on `start_at` lets the database walk the index instead of the whole table: no session
        // lasts `LONGEST_SPAN`, so nothing that starts earlier can still be running at `range.start`.
        .and_where(Expr::col((a, A::StartAt)).lt(range.end))
        .and_where(Expr::col((a, A::StartAt)).gt(shifted(range.start, -LONGEST_SPAN)))
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
    q
}

async fn sqlite_entries(
    c: &impl ConnectionTrait,
    range: Interval,
    f: &RangeFilter,
) -> Result<Vec<CalendarEntry>, StoreError> {
    let mut q = in_range(range, f);
    q.expr(Expr::cust(SQLITE_WEEK));
    let text: String = one_row(c, &q).await?.try_get_by_index(0)?;
    let rows: Vec<WeekRow> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Integrity(format!("calendar rows: {e}")))?;
    rows.into_iter().map(WeekRow::entry).collect()
}

async fn one_row(
    c: &impl ConnectionTrait,
    q: &SelectStatement,
) -> Result<sea_orm::QueryResult, StoreError> {
    c.query_one(q)
        .await?
        .ok_or_else(|| StoreError::Integrity("the calendar query returned no row".into()))
}

/// The PostgreSQL form: one array per column over the rows of (appointment, participant), all in the same row
/// order, so element `i` of every array belongs to the same row.
async fn pg_entries(
    c: &impl ConnectionTrait,
    range: Interval,
    f: &RangeFilter,
) -> Result<Vec<CalendarEntry>, StoreError> {
    use appointments::Column as A;
    let a = appointments::Entity;
    let ac = appointment_clients::Entity;
    let mut q = in_range(range, f);
    q.join(
        JoinType::LeftJoin,
        ac,
        Expr::col((ac, appointment_clients::Column::AppointmentId)).equals((a, A::Id)),
    )
    .join(
        JoinType::LeftJoin,
        clients::Entity,
        Expr::col((clients::Entity, clients::Column::Id))
            .equals((ac, appointment_clients::Column::ClientId)),
    );
    for col in [
        "appointments.id",
        "appointments.series_id",
        "appointments.occurrence_index",
        "appointments.type_key",
        "appointments.kind",
        "appointments.mode",
        "appointments.status",
        "appointments.clinician_id",
        "appointments.room_id",
        "appointments.group_id",
        "appointments.start_at",
        "appointments.end_at",
        "appointments.time_zone",
        "appointments.version",
        "users.display_name",
        "appointment_clients.client_id",
        "clients.legal_name",
        "clients.preferred_name",
    ] {
        // An aggregate over no rows is NULL, not an empty array.
        q.expr(Expr::cust(format!("coalesce(array_agg({col}), '{{}}')")));
    }
    let row = one_row(c, &q).await?;
    let ids: Vec<Uuid> = pg_col(&row, 0)?;
    let series: Vec<Option<Uuid>> = pg_col(&row, 1)?;
    let occurrences: Vec<Option<i32>> = pg_col(&row, 2)?;
    let mut type_keys: Vec<String> = pg_col(&row, 3)?;
    let kinds: Vec<String> = pg_col(&row, 4)?;
    let modes: Vec<String> = pg_col(&row, 5)?;
    let statuses: Vec<String> = pg_col(&row, 6)?;
    let clinicians: Vec<Uuid> = pg_col(&row, 7)?;
    let rooms: Vec<Option<Uuid>> = pg_col(&row, 8)?;
    let groups: Vec<Option<Uuid>> = pg_col(&row, 9)?;
    let starts: Vec<DateTime<Utc>> = pg_col(&row, 10)?;
    let ends: Vec<DateTime<Utc>> = pg_col(&row, 11)?;
    let mut zones: Vec<String> = pg_col(&row, 12)?;
    let versions: Vec<i32> = pg_col(&row, 13)?;
    let mut names: Vec<Option<String>> = pg_col(&row, 14)?;
    let client_ids: Vec<Option<Uuid>> = pg_col(&row, 15)?;
    let legal: Vec<Option<String>> = pg_col(&row, 16)?;
    let preferred: Vec<Option<String>> = pg_col(&row, 17)?;
    let n = ids.len();
    if [
        series.len(),
        occurrences.len(),
        type_keys.len(),
        kinds.len(),
        modes.len(),
        statuses.len(),
        clinicians.len(),
        rooms.len(),
        groups.len(),
        starts.len(),
        ends.len(),
        zones.len(),
        versions.len(),
        names.len(),
        client_ids.len(),
        legal.len(),
        preferred.len(),
    ]
    .iter()
    .any(|l| *l != n)
    {
        return Err(StoreError::Integrity(
            "calendar: the columns' arrays differ in length".into(),
        ));
    }
    // Rows of one appointment (one per participant) need not be adjacent: gather them by id.
    let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(n);
    let mut out: Vec<CalendarEntry> = Vec::with_capacity(n);
    for i in 0..n {
        let participant = match (client_ids[i], &legal[i]) {
            (Some(id), Some(l)) => Some((ClientId(id), display_name(l, preferred[i].as_deref()))),
            _ => None,
        };
        if let Some(&k) = at.get(&ids[i]) {
            out[k].participants.extend(participant);
            continue;
        }
        let id = ids[i];
        let bad = |what: &str| StoreError::Integrity(format!("appointment {id}: bad {what}"));
        at.insert(id, out.len());
        out.push(CalendarEntry {
            id,
            series_id: series[i],
            occurrence_index: occurrences[i],
            kind: AppointmentKind::parse(&kinds[i]).map_err(|_| bad("kind"))?,
            mode: Mode::parse(&modes[i]).map_err(|_| bad("mode"))?,
            status: Status::parse(&statuses[i]).map_err(|_| bad("status"))?,
            type_key: std::mem::take(&mut type_keys[i]),
            clinician_id: UserId(clinicians[i]),
            clinician_name: names[i].take().unwrap_or_default(),
            room_id: rooms[i],
            group_id: groups[i],
            session: Interval {
                start: starts[i],
                end: ends[i],
            },
            time_zone: std::mem::take(&mut zones[i]),
            version: versions[i],
            participants: participant.into_iter().collect(),
        });
    }
    for e in &mut out {
        e.participants.sort_unstable_by_key(|(c, _)| *c);
    }
    Ok(out)
}

/// Column `i` of a PostgreSQL row, decoded by sqlx itself (sea-orm's own getters know no arrays of nullables).
fn pg_col<T>(row: &sea_orm::QueryResult, i: usize) -> Result<T, StoreError>
where
    T: sea_orm::sqlx::Type<sea_orm::sqlx::Postgres>
        + for<'r> sea_orm::sqlx::Decode<'r, sea_orm::sqlx::Postgres>,
{
    match row.try_get_from_sqlx_postgres::<T, usize>(i) {
        Some(r) => r.map_err(|e| StoreError::Integrity(format!("calendar column {i}: {e:?}"))),
        None => Err(StoreError::Integrity(format!(
            "calendar column {i}: unexpected type"
        ))),
    }
}

/// The SQLite form: one appointment as one JSON array, its participants as a nested array (a subquery's JSON
/// must pass through `json()` to stay JSON). Ids are hex (stored as 16-byte blobs; `hex(NULL)` is ''), times the
/// stored RFC 3339 text.
const SQLITE_WEEK: &str = "json_group_array(json_array(\
    hex(appointments.id), hex(appointments.series_id), appointments.occurrence_index, appointments.type_key, \
    appointments.kind, appointments.mode, appointments.status, hex(appointments.clinician_id), \
    hex(appointments.room_id), hex(appointments.group_id), appointments.start_at, appointments.end_at, \
    appointments.time_zone, appointments.version, users.display_name, \
    json((SELECT json_group_array(json_array(hex(clients.id), clients.legal_name, clients.preferred_name)) \
      FROM appointment_clients JOIN clients ON clients.id = appointment_clients.client_id \
      WHERE appointment_clients.appointment_id = appointments.id))))";

/// One element of the range's JSON array, in the column order of `SQLITE_WEEK`.
#[derive(Deserialize)]
struct WeekRow(
    String,
    Option<String>,
    Option<i32>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    i32,
    Option<String>,
    Vec<(String, String, Option<String>)>,
);

impl WeekRow {
    fn entry(self) -> Result<CalendarEntry, StoreError> {
        let WeekRow(
            id,
            series_id,
            occurrence_index,
            type_key,
            kind,
            mode,
            status,
            clinician_id,
            room_id,
            group_id,
            start_at,
            end_at,
            time_zone,
            version,
            clinician_name,
            participants,
        ) = self;
        let id = uuid(&id)?;
        let bad = |what: &str| StoreError::Integrity(format!("appointment {id}: bad {what}"));
        let mut participants = participants
            .into_iter()
            .map(|(c, legal, preferred)| {
                Ok((
                    ClientId(uuid(&c)?),
                    display_name(&legal, preferred.as_deref()),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        participants.sort_unstable_by_key(|(c, _)| *c);
        Ok(CalendarEntry {
            id,
            series_id: uuid_opt(series_id)?,
            occurrence_index,
            kind: AppointmentKind::parse(&kind).map_err(|_| bad("kind"))?,
            mode: Mode::parse(&mode).map_err(|_| bad("mode"))?,
            status: Status::parse(&status).map_err(|_| bad("status"))?,
            type_key,
            clinician_id: UserId(uuid(&clinician_id)?),
            clinician_name: clinician_name.unwrap_or_default(),
            room_id: uuid_opt(room_id)?,
            group_id: uuid_opt(group_id)?,
            session: Interval {
                start: instant(&start_at).ok_or_else(|| bad("start"))?,
                end: instant(&end_at).ok_or_else(|| bad("end"))?,
            },
            time_zone,
            version,
            participants,
        })
    }
}

fn uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::try_parse(s).map_err(|_| StoreError::Integrity(format!("calendar: bad id {s:?}")))
}

/// An optional id: absent as `hex(NULL)`, the empty text.
fn uuid_opt(s: Option<String>) -> Result<Option<Uuid>, StoreError> {
    s.filter(|s| !s.is_empty()).map(|s| uuid(&s)).transpose()
}

/// A stored instant: SQLite holds RFC 3339 text with an offset.
fn instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
}
