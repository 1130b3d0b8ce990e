//! Treatment plans and their sealed revision history. Every write goes through `save`, which checks the version,
//! writes the plan and appends the revision in the caller's transaction.

use crate::crypto::{Aad, Encrypted};
use crate::entity::{plan_revisions, plans};
use crate::{StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::plans::{PlanContent, PlanStatus};
use rapport_domain::{ClientId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: Uuid,
    pub client_id: ClientId,
    pub status: PlanStatus,
    pub template_key: Option<String>,
    pub content: PlanContent,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub effective_on: Option<NaiveDate>,
    pub next_review_on: Option<NaiveDate>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_how: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub version: i32,
    pub kind: String,
    pub note: Option<String>,
    pub author_id: UserId,
    pub created_at: DateTime<Utc>,
}

fn aad<'a>(table: &'a str, column: &'a str, row: &'a str) -> Aad<'a> {
    Aad { table, column, row }
}

fn integrity(e: impl std::fmt::Display) -> StoreError {
    StoreError::Integrity(e.to_string())
}

fn open(tx: &Tx<'_>, m: plans::Model) -> Result<Plan, StoreError> {
    let row = m.id.to_string();
    Ok(Plan {
        content: Encrypted::<PlanContent>::open(
            tx.cipher(),
            aad("plans", "content", &row),
            &m.content,
        )?,
        id: m.id,
        client_id: ClientId(m.client_id),
        status: PlanStatus::parse(&m.status).map_err(integrity)?,
        template_key: m.template_key,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
        effective_on: m.effective_on,
        next_review_on: m.next_review_on,
        acknowledged_at: m.acknowledged_at,
        acknowledged_how: m.acknowledged_how,
    })
}

pub async fn get(tx: &Tx<'_>, id: Uuid) -> Result<Option<Plan>, StoreError> {
    plans::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// The client's plans, newest first.
pub async fn for_client(tx: &Tx<'_>, client: ClientId) -> Result<Vec<Plan>, StoreError> {
    plans::Entity::find()
        .filter(plans::Column::ClientId.eq(client.0))
        .order_by_desc(plans::Column::CreatedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect()
}

/// Writes `plan` (new when `expected` is None, else only if still at `expected`) and appends a revision.
pub async fn save(
    tx: &Tx<'_>,
    plan: &Plan,
    expected: Option<i32>,
    kind: &str,
    note: Option<&str>,
    author: UserId,
) -> Result<(), StoreError> {
    let row = plan.id.to_string();
    let content =
        Encrypted::<PlanContent>::seal(tx.cipher(), aad("plans", "content", &row), &plan.content)?;
    let model = plans::ActiveModel {
        id: Set(plan.id),
        client_id: Set(plan.client_id.0),
        status: Set(plan.status.as_str().into()),
        template_key: Set(plan.template_key.clone()),
        content: Set(content),
        created_by: Set(plan.created_by.0),
        created_at: Set(plan.created_at),
        updated_at: Set(plan.updated_at),
        version: Set(plan.version),
        effective_on: Set(plan.effective_on),
        next_review_on: Set(plan.next_review_on),
        acknowledged_at: Set(plan.acknowledged_at),
        acknowledged_how: Set(plan.acknowledged_how.clone()),
    };
    match expected {
        None => {
            model.insert(tx.conn()).await?;
        }
        Some(v) => {
            let r = plans::Entity::update_many()
                .set(model)
                .filter(plans::Column::Id.eq(plan.id))
                .filter(plans::Column::Version.eq(v))
                .exec(tx.conn())
                .await?;
            if r.rows_affected != 1 {
                return Err(StoreError::Conflict(
                    "this plan was changed by someone else since you opened it; reload it".into(),
                ));
            }
        }
    }
    let rev = Uuid::now_v7();
    let rev_row = rev.to_string();
    plan_revisions::ActiveModel {
        id: Set(rev),
        plan_id: Set(plan.id),
        version: Set(plan.version),
        kind: Set(kind.into()),
        content: Set(Encrypted::<PlanContent>::seal(
            tx.cipher(),
            aad("plan_revisions", "content", &rev_row),
            &plan.content,
        )?),
        note: Set(Encrypted::<String>::seal_opt(
            tx.cipher(),
            aad("plan_revisions", "note", &rev_row),
            note.map(str::to_string).as_ref(),
        )?),
        author_id: Set(author.0),
        created_at: Set(plan.updated_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

/// The plan's history, oldest first (without the content of each revision).
pub async fn revisions(tx: &Tx<'_>, plan: Uuid) -> Result<Vec<Revision>, StoreError> {
    plan_revisions::Entity::find()
        .filter(plan_revisions::Column::PlanId.eq(plan))
        .order_by_asc(plan_revisions::Column::Version)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| {
            let row = m.id.to_string();
            Ok(Revision {
                note: Encrypted::<String>::open_opt(
                    tx.cipher(),
                    aad("plan_revisions", "note", &row),
                    m.note.as_deref(),
                )?,
                version: m.version,
                kind: m.kind,
                author_id: UserId(m.author_id),
                created_at: m.created_at,
            })
        })
        .collect()
}

/// The content of every revision of a plan, oldest first (for the ids it ever used).
pub async fn revision_contents(tx: &Tx<'_>, plan: Uuid) -> Result<Vec<PlanContent>, StoreError> {
    plan_revisions::Entity::find()
        .filter(plan_revisions::Column::PlanId.eq(plan))
        .order_by_asc(plan_revisions::Column::Version)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| {
            let row = m.id.to_string();
            Ok(Encrypted::<PlanContent>::open(
                tx.cipher(),
                aad("plan_revisions", "content", &row),
                &m.content,
            )?)
        })
        .collect()
}

/// Plans in effect whose review date has passed (for the dashboard).
pub async fn due_for_review(
    c: &impl ConnectionTrait,
    clients: &[ClientId],
    today: NaiveDate,
) -> Result<Vec<(Uuid, ClientId, NaiveDate)>, StoreError> {
    if clients.is_empty() {
        return Ok(vec![]);
    }
    Ok(plans::Entity::find()
        .filter(plans::Column::Status.eq(PlanStatus::Active.as_str()))
        .filter(plans::Column::NextReviewOn.lt(today))
        .filter(plans::Column::ClientId.is_in(clients.iter().map(|c| c.0)))
        .all(c)
        .await?
        .into_iter()
        .filter_map(|m| m.next_review_on.map(|d| (m.id, ClientId(m.client_id), d)))
        .collect())
}
