//! Behaviours, their log entries, homework and diary links.
//!
//! A behaviour's name and homework text are the client's clinical content: sealed with their row as associated
//! data. Entry values, targets and dates are plain, so a weekly summary reads numbers without decrypting anything.
//! A diary link is found by its token's hash; every use goes through a conditional update that fails once the
//! link is revoked or expired, so a revocation racing a submission cannot be outrun.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{behaviour_entries, behaviours, diary_links, homework};
use crate::{StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::behaviour::{Direction, HomeworkStatus, MeasureKind, Period, Target};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, FromQueryResult,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub use diary_links::Model as DiaryLink;

#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub id: Uuid,
    pub client_id: ClientId,
    pub name: String,
    pub kind: MeasureKind,
    pub direction: Direction,
    pub target: Option<Target>,
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<String>,
    pub starts_on: NaiveDate,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// Who logged an entry or completed homework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The client, through the diary link with this id.
    DiaryLink(Uuid),
    Staff(UserId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: Uuid,
    pub behaviour_id: Uuid,
    pub client_id: ClientId,
    pub date: NaiveDate,
    pub value: f64,
    pub via: Via,
    pub logged_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Homework {
    pub id: Uuid,
    pub client_id: ClientId,
    pub title: String,
    pub instructions: Option<String>,
    pub due_on: NaiveDate,
    pub status: HomeworkStatus,
    pub completion_note: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_on: Option<NaiveDate>,
    /// "diary_link" or "staff".
    pub completed_via: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// The plan objective the item serves, as a behaviour's link: plan id and the objective's id in it.
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<String>,
}

fn integrity(what: &str, id: Uuid, e: impl std::fmt::Display) -> StoreError {
    StoreError::Integrity(format!("{what} {id}: {e}"))
}

fn aad<'a>(table: &'a str, column: &'a str, row: &'a str) -> Aad<'a> {
    Aad { table, column, row }
}

fn behaviour_from(tx: &Tx<'_>, m: behaviours::Model) -> Result<Behaviour, StoreError> {
    let row = m.id.to_string();
    let kind = MeasureKind::parse("kind", &m.kind, m.scale_min, m.scale_max)
        .map_err(|e| integrity("behaviour", m.id, e))?;
    let direction =
        Direction::parse("direction", &m.direction).map_err(|e| integrity("behaviour", m.id, e))?;
    let target = match (m.target_value, m.target_per.as_deref()) {
        (Some(value), Some(per)) => Some(Target {
            value,
            per: Period::parse("target_per", per).map_err(|e| integrity("behaviour", m.id, e))?,
        }),
        _ => None,
    };
    Ok(Behaviour {
        name: Encrypted::<String>::open(tx.cipher(), aad("behaviours", "name", &row), &m.name)?,
        id: m.id,
        client_id: ClientId(m.client_id),
        kind,
        direction,
        target,
        plan_id: m.plan_id,
        objective_id: m.objective_id,
        starts_on: m.starts_on,
        active: m.active,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        retired_at: m.retired_at,
    })
}

pub async fn insert_behaviour(tx: &Tx<'_>, b: &Behaviour) -> Result<(), StoreError> {
    let row = b.id.to_string();
    let scale = b.kind.scale();
    behaviours::ActiveModel {
        id: Set(b.id),
        client_id: Set(b.client_id.0),
        name: Set(Encrypted::<String>::seal(
            tx.cipher(),
            aad("behaviours", "name", &row),
            &b.name,
        )?),
        kind: Set(b.kind.as_str().into()),
        scale_min: Set(scale.map(|s| s.0)),
        scale_max: Set(scale.map(|s| s.1)),
        direction: Set(b.direction.as_str().into()),
        target_value: Set(b.target.map(|t| t.value)),
        target_per: Set(b.target.map(|t| t.per.as_str().to_string())),
        plan_id: Set(b.plan_id),
        objective_id: Set(b.objective_id.clone()),
        starts_on: Set(b.starts_on),
        active: Set(b.active),
        created_by: Set(b.created_by.0),
        created_at: Set(b.created_at),
        retired_at: Set(b.retired_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn behaviour(tx: &Tx<'_>, id: Uuid) -> Result<Option<Behaviour>, StoreError> {
    behaviours::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| behaviour_from(tx, m))
        .transpose()
}

/// The client's behaviours, active and retired, oldest first.
pub async fn behaviours_for_client(
    tx: &Tx<'_>,
    client: ClientId,
) -> Result<Vec<Behaviour>, StoreError> {
    behaviours::Entity::find()
        .filter(behaviours::Column::ClientId.eq(client.0))
        .order_by_asc(behaviours::Column::CreatedAt)
        .order_by_asc(behaviours::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| behaviour_from(tx, m))
        .collect()
}

/// Stops a behaviour being logged (its entries stay); false if it was already retired.
pub async fn retire(
    c: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(behaviours::Entity::update_many()
        .col_expr(behaviours::Column::Active, Expr::value(false))
        .col_expr(behaviours::Column::RetiredAt, Expr::value(Some(now)))
        .filter(behaviours::Column::Id.eq(id))
        .filter(behaviours::Column::Active.eq(true))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

pub async fn insert_entry(c: &impl ConnectionTrait, e: &Entry) -> Result<(), StoreError> {
    let (via, by, link) = match e.via {
        Via::DiaryLink(l) => ("diary_link", None, Some(l)),
        Via::Staff(u) => ("staff", Some(u.0), None),
    };
    behaviour_entries::ActiveModel {
        id: Set(e.id),
        behaviour_id: Set(e.behaviour_id),
        client_id: Set(e.client_id.0),
        entry_date: Set(e.date),
        value: Set(e.value),
        entered_via: Set(via.into()),
        entered_by: Set(by),
        link_id: Set(link),
        logged_at: Set(e.logged_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

fn entry_from(m: behaviour_entries::Model) -> Result<Entry, StoreError> {
    let via = match (m.entered_via.as_str(), m.entered_by, m.link_id) {
        ("diary_link", _, Some(l)) => Via::DiaryLink(l),
        ("staff", Some(u), _) => Via::Staff(UserId(u)),
        (other, _, _) => return Err(integrity("behaviour entry", m.id, format!("via '{other}'"))),
    };
    Ok(Entry {
        id: m.id,
        behaviour_id: m.behaviour_id,
        client_id: ClientId(m.client_id),
        date: m.entry_date,
        value: m.value,
        via,
        logged_at: m.logged_at,
    })
}

/// A client's entries between two calendar dates (inclusive), by date then time logged.
pub async fn entries_for_client(
    c: &impl ConnectionTrait,
    client: ClientId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Entry>, StoreError> {
    use behaviour_entries::Column as C;
    behaviour_entries::Entity::find()
        .filter(C::ClientId.eq(client.0))
        .filter(C::EntryDate.gte(from))
        .filter(C::EntryDate.lte(to))
        .order_by_asc(C::EntryDate)
        .order_by_asc(C::LoggedAt)
        .order_by_asc(C::Id)
        .all(c)
        .await?
        .into_iter()
        .map(entry_from)
        .collect()
}

/// What is already logged for a behaviour on one day, as the values of its entries.
pub async fn day_values(
    c: &impl ConnectionTrait,
    behaviour: Uuid,
    date: NaiveDate,
) -> Result<Vec<f64>, StoreError> {
    use behaviour_entries::Column as C;
    Ok(behaviour_entries::Entity::find()
        .filter(C::BehaviourId.eq(behaviour))
        .filter(C::EntryDate.eq(date))
        .all(c)
        .await?
        .into_iter()
        .map(|m| m.value)
        .collect())
}

fn homework_from(tx: &Tx<'_>, m: homework::Model) -> Result<Homework, StoreError> {
    let row = m.id.to_string();
    let c = tx.cipher();
    Ok(Homework {
        title: Encrypted::<String>::open(c, aad("homework", "title", &row), &m.title)?,
        instructions: Encrypted::<String>::open_opt(
            c,
            aad("homework", "instructions", &row),
            m.instructions.as_deref(),
        )?,
        completion_note: Encrypted::<String>::open_opt(
            c,
            aad("homework", "completion_note", &row),
            m.completion_note.as_deref(),
        )?,
        status: HomeworkStatus::parse("status", &m.status)
            .map_err(|e| integrity("homework", m.id, e))?,
        id: m.id,
        client_id: ClientId(m.client_id),
        due_on: m.due_on,
        completed_at: m.completed_at,
        completed_on: m.completed_on,
        completed_via: m.completed_via,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
        plan_id: m.plan_id,
        objective_id: m.objective_id,
    })
}

fn homework_model(tx: &Tx<'_>, h: &Homework) -> Result<homework::ActiveModel, StoreError> {
    let row = h.id.to_string();
    let c = tx.cipher();
    Ok(homework::ActiveModel {
        id: Set(h.id),
        client_id: Set(h.client_id.0),
        title: Set(Encrypted::<String>::seal(
            c,
            aad("homework", "title", &row),
            &h.title,
        )?),
        instructions: Set(Encrypted::<String>::seal_opt(
            c,
            aad("homework", "instructions", &row),
            h.instructions.as_ref(),
        )?),
        due_on: Set(h.due_on),
        status: Set(h.status.as_str().into()),
        completion_note: Set(Encrypted::<String>::seal_opt(
            c,
            aad("homework", "completion_note", &row),
            h.completion_note.as_ref(),
        )?),
        completed_at: Set(h.completed_at),
        completed_on: Set(h.completed_on),
        completed_via: Set(h.completed_via.clone()),
        created_by: Set(h.created_by.0),
        created_at: Set(h.created_at),
        updated_at: Set(h.updated_at),
        version: Set(h.version),
        plan_id: Set(h.plan_id),
        objective_id: Set(h.objective_id.clone()),
    })
}

pub async fn insert_homework(tx: &Tx<'_>, h: &Homework) -> Result<(), StoreError> {
    homework_model(tx, h)?.insert(tx.conn()).await?;
    Ok(())
}

/// Writes the item only if it is still at version `expected` (the caller has set `h.version` to the next one).
pub async fn save_homework(tx: &Tx<'_>, h: &Homework, expected: i32) -> Result<bool, StoreError> {
    let m = homework_model(tx, h)?;
    Ok(homework::Entity::update_many()
        .set(m)
        .filter(homework::Column::Id.eq(h.id))
        .filter(homework::Column::Version.eq(expected))
        .exec(tx.conn())
        .await?
        .rows_affected
        == 1)
}

pub async fn homework(tx: &Tx<'_>, id: Uuid) -> Result<Option<Homework>, StoreError> {
    homework::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| homework_from(tx, m))
        .transpose()
}

/// The client's homework, by due date.
pub async fn homework_for_client(
    tx: &Tx<'_>,
    client: ClientId,
) -> Result<Vec<Homework>, StoreError> {
    homework::Entity::find()
        .filter(homework::Column::ClientId.eq(client.0))
        .order_by_asc(homework::Column::DueOn)
        .order_by_asc(homework::Column::CreatedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| homework_from(tx, m))
        .collect()
}

/// The homework linked to an objective of this plan, by due date.
pub async fn homework_for_plan(tx: &Tx<'_>, plan: Uuid) -> Result<Vec<Homework>, StoreError> {
    homework::Entity::find()
        .filter(homework::Column::PlanId.eq(plan))
        .order_by_asc(homework::Column::DueOn)
        .order_by_asc(homework::Column::CreatedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| homework_from(tx, m))
        .collect()
}

/// The behaviours linked to an objective of this plan, oldest first.
pub async fn behaviours_for_plan(tx: &Tx<'_>, plan: Uuid) -> Result<Vec<Behaviour>, StoreError> {
    behaviours::Entity::find()
        .filter(behaviours::Column::PlanId.eq(plan))
        .order_by_asc(behaviours::Column::CreatedAt)
        .order_by_asc(behaviours::Column::Id)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| behaviour_from(tx, m))
        .collect()
}

#[derive(Debug, Clone)]
pub struct NewDiaryLink<'a> {
    pub token_hash: &'a str,
    pub client_id: ClientId,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_link(
    c: &impl ConnectionTrait,
    l: NewDiaryLink<'_>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    diary_links::ActiveModel {
        id: Set(id),
        token_hash: Set(l.token_hash.into()),
        client_id: Set(l.client_id.0),
        created_by: Set(l.created_by.0),
        created_at: Set(l.created_at),
        expires_at: Set(l.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(c)
    .await?;
    Ok(id)
}

/// The link with this token hash, live or not: the caller tells "expired" and "revoked" apart.
pub async fn link_by_hash(
    c: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<DiaryLink>, StoreError> {
    Ok(diary_links::Entity::find()
        .filter(diary_links::Column::TokenHash.eq(token_hash))
        .one(c)
        .await?)
}

/// The client's newest link that is neither revoked nor expired.
pub async fn live_link_for_client(
    c: &impl ConnectionTrait,
    client: ClientId,
    now: DateTime<Utc>,
) -> Result<Option<DiaryLink>, StoreError> {
    use diary_links::Column as C;
    Ok(diary_links::Entity::find()
        .filter(C::ClientId.eq(client.0))
        .filter(C::RevokedAt.is_null())
        .filter(C::ExpiresAt.gt(now))
        .order_by_desc(C::CreatedAt)
        .one(c)
        .await?)
}

/// Revokes every live link of the client; returns how many.
pub async fn revoke_links(
    c: &impl ConnectionTrait,
    client: ClientId,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    use diary_links::Column as C;
    Ok(diary_links::Entity::update_many()
        .col_expr(C::RevokedAt, Expr::value(Some(now)))
        .filter(C::ClientId.eq(client.0))
        .filter(C::RevokedAt.is_null())
        .filter(C::ExpiresAt.gt(now))
        .exec(c)
        .await?
        .rows_affected)
}

/// Records a use of the link; false if it was revoked or expired in the meantime.
pub async fn use_link(
    c: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    use diary_links::Column as C;
    Ok(diary_links::Entity::update_many()
        .col_expr(C::LastUsedAt, Expr::value(Some(now)))
        .filter(C::Id.eq(id))
        .filter(C::RevokedAt.is_null())
        .filter(C::ExpiresAt.gt(now))
        .exec(c)
        .await?
        .rows_affected
        == 1)
}

/// One active behaviour of a caseload client, with the days in the window that have at least one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct GlanceBehaviour {
    pub client_id: ClientId,
    pub behaviour_id: Uuid,
    pub starts_on: NaiveDate,
    pub logged: Vec<NaiveDate>,
}

/// What the caseload's behaviour column needs of many clients: their active behaviours with logged days, their
/// open homework's due dates, and each such client's time zone (to know their today). Nothing is decrypted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Glance {
    pub behaviours: Vec<GlanceBehaviour>,
    pub open_homework: Vec<(ClientId, NaiveDate)>,
    pub time_zones: std::collections::HashMap<ClientId, String>,
}

#[derive(Debug, FromQueryResult)]
struct GlanceDayRow {
    id: Uuid,
    client_id: Uuid,
    starts_on: NaiveDate,
    time_zone: String,
    entry_date: Option<NaiveDate>,
}

#[derive(Debug, FromQueryResult)]
struct GlanceHomeworkRow {
    client_id: Uuid,
    time_zone: String,
    due_on: NaiveDate,
}

/// The behaviour glance of `clients`, entries limited to `from..=to`: two set-based queries per 500 clients
/// (active behaviours left-joined to their entry days; open homework), whatever the caseload's size.
pub async fn glance(
    c: &impl ConnectionTrait,
    clients: &[ClientId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Glance, StoreError> {
    use crate::entity::clients as cl;
    use sea_orm::sea_query::{JoinType, Order, Query};
    let (b, e, h) = (
        behaviours::Entity,
        behaviour_entries::Entity,
        homework::Entity,
    );
    let mut out = Glance::default();
    for chunk in clients.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|c| c.0).collect();
        let mut q = Query::select();
        q.distinct()
            .columns([
                (b, behaviours::Column::Id),
                (b, behaviours::Column::ClientId),
                (b, behaviours::Column::StartsOn),
            ])
            .column((cl::Entity, cl::Column::TimeZone))
            .column((e, behaviour_entries::Column::EntryDate))
            .from(b)
            .join(
                JoinType::InnerJoin,
                cl::Entity,
                Expr::col((cl::Entity, cl::Column::Id)).equals((b, behaviours::Column::ClientId)),
            )
            .join(
                JoinType::LeftJoin,
                e,
                Expr::col((e, behaviour_entries::Column::BehaviourId))
                    .equals((b, behaviours::Column::Id))
                    .and(Expr::col((e, behaviour_entries::Column::EntryDate)).gte(from))
                    .and(Expr::col((e, behaviour_entries::Column::EntryDate)).lte(to)),
            )
            .and_where(Expr::col((b, behaviours::Column::Active)).eq(true))
            .and_where(Expr::col((b, behaviours::Column::ClientId)).is_in(ids.clone()))
            .order_by((b, behaviours::Column::ClientId), Order::Asc)
            .order_by((b, behaviours::Column::Id), Order::Asc);
        let stmt = c.get_database_backend().build(&q);
        for r in GlanceDayRow::find_by_statement(stmt).all(c).await? {
            out.time_zones.insert(ClientId(r.client_id), r.time_zone);
            // Rows of one behaviour are adjacent (ordered by client, then behaviour).
            match out.behaviours.last_mut() {
                Some(last) if last.behaviour_id == r.id => last.logged.extend(r.entry_date),
                _ => out.behaviours.push(GlanceBehaviour {
                    client_id: ClientId(r.client_id),
                    behaviour_id: r.id,
                    starts_on: r.starts_on,
                    logged: r.entry_date.into_iter().collect(),
                }),
            }
        }
        let mut q = Query::select();
        q.column((h, homework::Column::ClientId))
            .column((cl::Entity, cl::Column::TimeZone))
            .column((h, homework::Column::DueOn))
            .from(h)
            .join(
                JoinType::InnerJoin,
                cl::Entity,
                Expr::col((cl::Entity, cl::Column::Id)).equals((h, homework::Column::ClientId)),
            )
            .and_where(
                Expr::col((h, homework::Column::Status)).eq(HomeworkStatus::Assigned.as_str()),
            )
            .and_where(Expr::col((h, homework::Column::ClientId)).is_in(ids));
        let stmt = c.get_database_backend().build(&q);
        for r in GlanceHomeworkRow::find_by_statement(stmt).all(c).await? {
            out.time_zones.insert(ClientId(r.client_id), r.time_zone);
            out.open_homework.push((ClientId(r.client_id), r.due_on));
        }
    }
    Ok(out)
}
