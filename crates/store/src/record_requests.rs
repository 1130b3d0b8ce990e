//! Record requests: logged once, answered once, extended at most once. The answer is an
//! `UPDATE … WHERE status = 'open'` (and the extension also `AND extended_at IS NULL`), so two staff members acting
//! at the same time cannot both succeed. The requester's name, the notes and the reasons for a denial or an
//! extension are sealed with the row as associated data.

use crate::crypto::{Aad, Encrypted};
use crate::entity::record_requests;
use crate::{StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::records::{Capacity, Delivery, RequestFormat, RequestStatus};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashSet;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRequest {
    pub id: Uuid,
    pub client_id: ClientId,
    pub received_on: NaiveDate,
    pub capacity: Capacity,
    /// Who asked, when not the client themself.
    pub requester: Option<String>,
    pub format: RequestFormat,
    pub delivery: Delivery,
    pub notes: Option<String>,
    pub due_on: NaiveDate,
    pub status: RequestStatus,
    pub logged_by: UserId,
    pub logged_at: DateTime<Utc>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub denial_reason: Option<String>,
    pub version: i32,
    /// HIPAA's one extension: who gave it, when and why (the due date has moved already).
    pub extended_by: Option<UserId>,
    pub extended_at: Option<DateTime<Utc>>,
    pub extension_reason: Option<String>,
}

fn aad<'a>(column: &'a str, row: &'a str) -> Aad<'a> {
    Aad {
        table: "record_requests",
        column,
        row,
    }
}

fn integrity(e: impl std::fmt::Display) -> StoreError {
    StoreError::Integrity(e.to_string())
}

fn open(tx: &Tx<'_>, m: record_requests::Model) -> Result<RecordRequest, StoreError> {
    let row = m.id.to_string();
    let text = |column: &str, v: &Option<Vec<u8>>| {
        Encrypted::<String>::open_opt(tx.cipher(), aad(column, &row), v.as_deref())
    };
    Ok(RecordRequest {
        requester: text("requester", &m.requester)?,
        notes: text("notes", &m.notes)?,
        denial_reason: text("denial_reason", &m.denial_reason)?,
        extension_reason: text("extension_reason", &m.extension_reason)?,
        extended_by: m.extended_by.map(UserId),
        extended_at: m.extended_at,
        id: m.id,
        client_id: ClientId(m.client_id),
        received_on: m.received_on,
        capacity: Capacity::parse(&m.capacity).map_err(integrity)?,
        format: RequestFormat::parse(&m.format).map_err(integrity)?,
        delivery: Delivery::parse(&m.delivery).map_err(integrity)?,
        due_on: m.due_on,
        status: RequestStatus::parse(&m.status).map_err(integrity)?,
        logged_by: UserId(m.logged_by),
        logged_at: m.logged_at,
        decided_by: m.decided_by.map(UserId),
        decided_at: m.decided_at,
        version: m.version,
    })
}

pub async fn insert(tx: &Tx<'_>, r: &RecordRequest) -> Result<(), StoreError> {
    let row = r.id.to_string();
    let seal = |column: &str, v: &Option<String>| {
        Encrypted::<String>::seal_opt(tx.cipher(), aad(column, &row), v.as_ref())
    };
    record_requests::ActiveModel {
        id: Set(r.id),
        client_id: Set(r.client_id.0),
        received_on: Set(r.received_on),
        capacity: Set(r.capacity.as_str().into()),
        requester: Set(seal("requester", &r.requester)?),
        format: Set(r.format.as_str().into()),
        delivery: Set(r.delivery.as_str().into()),
        notes: Set(seal("notes", &r.notes)?),
        due_on: Set(r.due_on),
        status: Set(r.status.as_str().into()),
        logged_by: Set(r.logged_by.0),
        logged_at: Set(r.logged_at),
        decided_by: Set(r.decided_by.map(|u| u.0)),
        decided_at: Set(r.decided_at),
        denial_reason: Set(seal("denial_reason", &r.denial_reason)?),
        version: Set(r.version),
        extended_by: Set(r.extended_by.map(|u| u.0)),
        extended_at: Set(r.extended_at),
        extension_reason: Set(seal("extension_reason", &r.extension_reason)?),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(tx: &Tx<'_>, id: Uuid) -> Result<Option<RecordRequest>, StoreError> {
    record_requests::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// Requests, optionally only open ones and only for `clients`; earliest due date first (so the overdue lead).
pub async fn list(
    tx: &Tx<'_>,
    open_only: bool,
    clients: Option<&HashSet<ClientId>>,
) -> Result<Vec<RecordRequest>, StoreError> {
    let mut q = record_requests::Entity::find();
    if open_only {
        q = q.filter(record_requests::Column::Status.eq(RequestStatus::Open.as_str()));
    }
    if let Some(set) = clients {
        if set.is_empty() {
            return Ok(Vec::new());
        }
        q = q.filter(record_requests::Column::ClientId.is_in(set.iter().map(|c| c.0)));
    }
    q.order_by_asc(record_requests::Column::DueOn)
        .order_by_asc(record_requests::Column::LoggedAt)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect()
}

/// Answers an open request (fulfilled, or denied with a sealed reason). A request answered already is a conflict.
pub async fn decide(
    tx: &Tx<'_>,
    id: Uuid,
    status: RequestStatus,
    by: UserId,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let row = id.to_string();
    let reason = reason.map(str::to_string);
    let sealed =
        Encrypted::<String>::seal_opt(tx.cipher(), aad("denial_reason", &row), reason.as_ref())?;
    let r = record_requests::Entity::update_many()
        .col_expr(
            record_requests::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(record_requests::Column::DecidedBy, Expr::value(Some(by.0)))
        .col_expr(record_requests::Column::DecidedAt, Expr::value(Some(at)))
        .col_expr(record_requests::Column::DenialReason, Expr::value(sealed))
        .col_expr(
            record_requests::Column::Version,
            Expr::col(record_requests::Column::Version).add(1),
        )
        .filter(record_requests::Column::Id.eq(id))
        .filter(record_requests::Column::Status.eq(RequestStatus::Open.as_str()))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this request has been answered already".into(),
        ))
    }
}

/// Extends an open request that was never extended: the due date moves to `due_on` and the reasons are sealed.
/// A request answered or extended meanwhile is a conflict.
pub async fn extend(
    tx: &Tx<'_>,
    id: Uuid,
    due_on: NaiveDate,
    by: UserId,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<(), StoreError> {
    let row = id.to_string();
    let sealed = Encrypted::<String>::seal_opt(
        tx.cipher(),
        aad("extension_reason", &row),
        Some(&reason.to_string()),
    )?;
    let r = record_requests::Entity::update_many()
        .col_expr(record_requests::Column::DueOn, Expr::value(due_on))
        .col_expr(record_requests::Column::ExtendedBy, Expr::value(Some(by.0)))
        .col_expr(record_requests::Column::ExtendedAt, Expr::value(Some(at)))
        .col_expr(
            record_requests::Column::ExtensionReason,
            Expr::value(sealed),
        )
        .col_expr(
            record_requests::Column::Version,
            Expr::col(record_requests::Column::Version).add(1),
        )
        .filter(record_requests::Column::Id.eq(id))
        .filter(record_requests::Column::Status.eq(RequestStatus::Open.as_str()))
        .filter(record_requests::Column::ExtendedAt.is_null())
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this request has been answered or extended already".into(),
        ))
    }
}
