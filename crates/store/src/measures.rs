//! Measures: assignments, single-use links, responses and alerts.
//!
//! Answers are sealed with the response's id as associated data; the score sits in plain columns, so a client's
//! trend (and, later, a caseload dashboard) reads totals without decrypting a single answer. Links are found by
//! the hash of their token and used up by a conditional update, so two submissions of one link cannot both win.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{measure_assignments, measure_links, measure_responses};
use crate::{StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::measures::{Answers, InstrumentId, Schedule};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

pub use crate::alerts::{
    Alert, acknowledge, alert, alerts_for_client, insert_alert, mark_escalated, open_alerts,
    overdue_alerts,
};
pub use measure_links::Model as Link;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub id: Uuid,
    pub client_id: ClientId,
    pub instrument: InstrumentId,
    pub schedule: Schedule,
    pub next_due_on: Option<NaiveDate>,
    pub link_days: i32,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who entered a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnteredVia {
    /// The client, through an e-mailed link.
    ClientLink,
    /// A staff member (in session, or from a paper form).
    Staff(UserId),
}

/// A response without its answers: what a trend needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseHead {
    pub id: Uuid,
    pub client_id: ClientId,
    pub instrument: InstrumentId,
    pub assignment_id: Option<Uuid>,
    pub link_id: Option<Uuid>,
    pub entered_via: EnteredVia,
    pub total: Option<f64>,
    pub valid: bool,
    pub prorated: bool,
    pub band: Option<String>,
    pub risk_level: Option<String>,
    pub critical: bool,
    pub completed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub head: ResponseHead,
    pub answers: Answers,
}

const AAD_TABLE: &str = "measure_responses";
const AAD_COLUMN: &str = "answers";

fn assignment_from(m: measure_assignments::Model) -> Result<Assignment, StoreError> {
    let schedule = Schedule::parse(&m.schedule, m.every_days.map(i64::from)).map_err(|e| {
        StoreError::Integrity(format!("measure assignment {}: schedule: {e}", m.id))
    })?;
    Ok(Assignment {
        id: m.id,
        client_id: ClientId(m.client_id),
        instrument: InstrumentId::new(m.instrument_id),
        schedule,
        next_due_on: m.next_due_on,
        link_days: m.link_days,
        active: m.active,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub async fn insert_assignment(c: &impl ConnectionTrait, a: &Assignment) -> Result<(), StoreError> {
    measure_assignments::ActiveModel {
        id: Set(a.id),
        client_id: Set(a.client_id.0),
        instrument_id: Set(a.instrument.as_str().into()),
        schedule: Set(a.schedule.kind().into()),
        every_days: Set(a.schedule.every_days().map(|d| d as i32)),
        next_due_on: Set(a.next_due_on),
        link_days: Set(a.link_days),
        active: Set(a.active),
        created_by: Set(a.created_by.0),
        created_at: Set(a.created_at),
        updated_at: Set(a.updated_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn assignment(
    c: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Assignment>, StoreError> {
    measure_assignments::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(assignment_from)
        .transpose()
}

pub async fn assignments_for_client(
    c: &impl ConnectionTrait,
    client: ClientId,
) -> Result<Vec<Assignment>, StoreError> {
    measure_assignments::Entity::find()
        .filter(measure_assignments::Column::ClientId.eq(client.0))
        .order_by_asc(measure_assignments::Column::CreatedAt)
        .all(c)
        .await?
        .into_iter()
        .map(assignment_from)
        .collect()
}

/// Active assignments whose next link is due on or before `today`, oldest due first.
pub async fn due_assignments(
    c: &impl ConnectionTrait,
    today: NaiveDate,
    limit: u64,
) -> Result<Vec<Assignment>, StoreError> {
    measure_assignments::Entity::find()
        .filter(measure_assignments::Column::Active.eq(true))
        .filter(measure_assignments::Column::NextDueOn.lte(today))
        .order_by_asc(measure_assignments::Column::NextDueOn)
        .limit(limit)
        .all(c)
        .await?
        .into_iter()
        .map(assignment_from)
        .collect()
}

/// Moves the next due date (a one-off that has gone out has none), or stops the assignment. Only an active
/// assignment still due on `was_due` changes, so two workers cannot both send the same scheduled link.
pub async fn advance(
    c: &impl ConnectionTrait,
    id: Uuid,
    was_due: Option<NaiveDate>,
    next_due_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut q = measure_assignments::Entity::update_many()
        .col_expr(
            measure_assignments::Column::NextDueOn,
            Expr::value(next_due_on),
        )
        .col_expr(measure_assignments::Column::UpdatedAt, Expr::value(now))
        .filter(measure_assignments::Column::Id.eq(id))
        .filter(measure_assignments::Column::Active.eq(true));
    q = match was_due {
        Some(d) => q.filter(measure_assignments::Column::NextDueOn.eq(d)),
        None => q.filter(measure_assignments::Column::NextDueOn.is_null()),
    };
    Ok(q.exec(c).await?.rows_affected == 1)
}

/// Stops an assignment: no further links go out (links already sent still work until they expire).
pub async fn stop_assignment(
    c: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(measure_assignments::Entity::update_many()
        .col_expr(measure_assignments::Column::Active, Expr::value(false))
        .col_expr(
            measure_assignments::Column::NextDueOn,
            Expr::value(Option::<NaiveDate>::None),
        )
        .col_expr(measure_assignments::Column::UpdatedAt, Expr::value(now))
        .filter(measure_assignments::Column::Id.eq(id))
        .filter(measure_assignments::Column::Active.eq(true))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

#[derive(Debug, Clone)]
pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub client_id: ClientId,
    pub assignment_id: Option<Uuid>,
    pub instrument: &'a InstrumentId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_link(c: &impl ConnectionTrait, l: NewLink<'_>) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    measure_links::ActiveModel {
        id: Set(id),
        token_hash: Set(l.token_hash.into()),
        client_id: Set(l.client_id.0),
        assignment_id: Set(l.assignment_id),
        instrument_id: Set(l.instrument.as_str().into()),
        created_at: Set(l.created_at),
        expires_at: Set(l.expires_at),
        used_at: Set(None),
    }
    .insert(c)
    .await?;
    Ok(id)
}

/// The link with this token hash, used or not: the caller tells "expired" and "already used" apart.
pub async fn link_by_hash(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<Link>, StoreError> {
    Ok(measure_links::Entity::find()
        .filter(measure_links::Column::TokenHash.eq(token_hash))
        .one(c)
        .await?)
}

/// Uses the link up; false if it was used or expired in the meantime.
pub async fn consume_link(
    c: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(measure_links::Entity::update_many()
        .col_expr(measure_links::Column::UsedAt, Expr::value(Some(now)))
        .filter(measure_links::Column::Id.eq(id))
        .filter(measure_links::Column::UsedAt.is_null())
        .filter(measure_links::Column::ExpiresAt.gt(now))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

/// The plain columns of a response: everything but the answers.
#[derive(Debug, FromQueryResult)]
struct HeadRow {
    id: Uuid,
    client_id: Uuid,
    instrument_id: String,
    assignment_id: Option<Uuid>,
    link_id: Option<Uuid>,
    entered_via: String,
    entered_by: Option<Uuid>,
    total: Option<f64>,
    valid: bool,
    prorated: bool,
    band: Option<String>,
    risk_level: Option<String>,
    critical: bool,
    completed_at: DateTime<Utc>,
}

impl From<measure_responses::Model> for HeadRow {
    fn from(m: measure_responses::Model) -> Self {
        HeadRow {
            id: m.id,
            client_id: m.client_id,
            instrument_id: m.instrument_id,
            assignment_id: m.assignment_id,
            link_id: m.link_id,
            entered_via: m.entered_via,
            entered_by: m.entered_by,
            total: m.total,
            valid: m.valid,
            prorated: m.prorated,
            band: m.band,
            risk_level: m.risk_level,
            critical: m.critical,
            completed_at: m.completed_at,
        }
    }
}

fn head_from(m: HeadRow) -> Result<ResponseHead, StoreError> {
    let entered_via = match (m.entered_via.as_str(), m.entered_by) {
        ("client_link", _) => EnteredVia::ClientLink,
        ("staff", Some(u)) => EnteredVia::Staff(UserId(u)),
        (other, _) => {
            return Err(StoreError::Integrity(format!(
                "measure response {}: entered via '{other}'",
                m.id
            )));
        }
    };
    Ok(ResponseHead {
        id: m.id,
        client_id: ClientId(m.client_id),
        instrument: InstrumentId::new(m.instrument_id),
        assignment_id: m.assignment_id,
        link_id: m.link_id,
        entered_via,
        total: m.total,
        valid: m.valid,
        prorated: m.prorated,
        band: m.band,
        risk_level: m.risk_level,
        critical: m.critical,
        completed_at: m.completed_at,
    })
}

pub async fn insert_response(tx: &Tx<'_>, r: &Response) -> Result<(), StoreError> {
    let row = r.head.id.to_string();
    let h = &r.head;
    let (via, by) = match h.entered_via {
        EnteredVia::ClientLink => ("client_link", None),
        EnteredVia::Staff(u) => ("staff", Some(u.0)),
    };
    measure_responses::ActiveModel {
        id: Set(h.id),
        client_id: Set(h.client_id.0),
        instrument_id: Set(h.instrument.as_str().into()),
        assignment_id: Set(h.assignment_id),
        link_id: Set(h.link_id),
        entered_via: Set(via.into()),
        entered_by: Set(by),
        answers: Set(Encrypted::<Answers>::seal(
            tx.cipher(),
            Aad {
                table: AAD_TABLE,
                column: AAD_COLUMN,
                row: &row,
            },
            &r.answers,
        )?),
        total: Set(h.total),
        valid: Set(h.valid),
        prorated: Set(h.prorated),
        band: Set(h.band.clone()),
        risk_level: Set(h.risk_level.clone()),
        critical: Set(h.critical),
        completed_at: Set(h.completed_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// One response with its answers opened.
pub async fn response(tx: &Tx<'_>, id: Uuid) -> Result<Option<Response>, StoreError> {
    let Some(m) = measure_responses::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let row = m.id.to_string();
    let answers = Encrypted::<Answers>::open(
        tx.cipher(),
        Aad {
            table: AAD_TABLE,
            column: AAD_COLUMN,
            row: &row,
        },
        &m.answers,
    )?;
    Ok(Some(Response {
        head: head_from(m.into())?,
        answers,
    }))
}

/// Responses without their answers (the answers column is not even read).
fn heads() -> sea_orm::Select<measure_responses::Entity> {
    use measure_responses::Column as C;
    measure_responses::Entity::find().select_only().columns([
        C::Id,
        C::ClientId,
        C::InstrumentId,
        C::AssignmentId,
        C::LinkId,
        C::EnteredVia,
        C::EnteredBy,
        C::Total,
        C::Valid,
        C::Prorated,
        C::Band,
        C::RiskLevel,
        C::Critical,
        C::CompletedAt,
    ])
}

/// A client's responses, oldest first, without answers.
pub async fn responses_for_client(
    c: &impl ConnectionTrait,
    client: ClientId,
) -> Result<Vec<ResponseHead>, StoreError> {
    use measure_responses::Column as C;
    heads()
        .filter(C::ClientId.eq(client.0))
        .order_by_asc(C::CompletedAt)
        .into_model::<HeadRow>()
        .all(c)
        .await?
        .into_iter()
        .map(head_from)
        .collect()
}

/// The responses of many clients (a caseload), without answers, oldest first within each client; one query per
/// 500 clients so no backend's bound-parameter limit is reached.
pub async fn responses_for_clients(
    c: &impl ConnectionTrait,
    clients: &[ClientId],
) -> Result<Vec<ResponseHead>, StoreError> {
    use measure_responses::Column as C;
    let mut out = Vec::new();
    for chunk in clients.chunks(500) {
        let rows = heads()
            .filter(C::ClientId.is_in(chunk.iter().map(|c| c.0)))
            .order_by_asc(C::ClientId)
            .order_by_asc(C::CompletedAt)
            .into_model::<HeadRow>()
            .all(c)
            .await?;
        for r in rows {
            out.push(head_from(r)?);
        }
    }
    Ok(out)
}

/// Which instrument a response answered (without touching its answers).
pub async fn response_instrument(
    c: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<InstrumentId>, StoreError> {
    Ok(measure_responses::Entity::find_by_id(id)
        .select_only()
        .column(measure_responses::Column::InstrumentId)
        .into_tuple::<String>()
        .one(c)
        .await?
        .map(InstrumentId::new))
}
