//! Referrals: added, listed per client (open first), moved along their statuses against the version read
//! (`UPDATE … WHERE version = ?`). Recipient, reason and notes are sealed with the row's id as associated data.

use crate::crypto::{Aad, Encrypted};
use crate::entity::referrals;
use crate::{StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::referral::{ReferralKind, ReferralStatus, ReferralText, Urgency};
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: Uuid,
    pub client_id: ClientId,
    pub kind: ReferralKind,
    pub urgency: Urgency,
    pub status: ReferralStatus,
    pub sent_on: NaiveDate,
    pub status_on: NaiveDate,
    pub text: ReferralText,
    pub version: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

fn aad(row: &str) -> Aad<'_> {
    Aad {
        table: "referrals",
        column: "content",
        row,
    }
}

fn open(tx: &Tx<'_>, m: referrals::Model) -> Result<Referral, StoreError> {
    let bad = |what: &str| StoreError::Integrity(format!("referral {}: bad {what}", m.id));
    let row = m.id.to_string();
    Ok(Referral {
        text: Encrypted::<ReferralText>::open(tx.cipher(), aad(&row), &m.content)?,
        kind: ReferralKind::parse(&m.kind).map_err(|_| bad("kind"))?,
        urgency: Urgency::parse(&m.urgency).map_err(|_| bad("urgency"))?,
        status: ReferralStatus::parse(&m.status).map_err(|_| bad("status"))?,
        id: m.id,
        client_id: ClientId(m.client_id),
        sent_on: m.sent_on,
        status_on: m.status_on,
        version: m.version,
        created_by: UserId(m.created_by),
        created_at: m.created_at,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &Tx<'_>,
    client: ClientId,
    kind: ReferralKind,
    urgency: Urgency,
    sent_on: NaiveDate,
    text: &ReferralText,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let row = id.to_string();
    referrals::ActiveModel {
        id: Set(id),
        client_id: Set(client.0),
        kind: Set(kind.as_str().into()),
        urgency: Set(urgency.as_str().into()),
        status: Set(ReferralStatus::Sent.as_str().into()),
        sent_on: Set(sent_on),
        status_on: Set(sent_on),
        content: Set(Encrypted::<ReferralText>::seal(
            tx.cipher(),
            aad(&row),
            text,
        )?),
        version: Set(1),
        created_by: Set(by.0),
        created_at: Set(at),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

pub async fn get(tx: &Tx<'_>, id: Uuid) -> Result<Option<Referral>, StoreError> {
    referrals::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// The client's referrals: open ones first, each group newest first.
pub async fn for_client(tx: &Tx<'_>, client: ClientId) -> Result<Vec<Referral>, StoreError> {
    let mut out: Vec<Referral> = referrals::Entity::find()
        .filter(referrals::Column::ClientId.eq(client.0))
        .order_by_desc(referrals::Column::SentOn)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect::<Result<_, _>>()?;
    out.sort_by_key(|r| !r.status.is_open());
    Ok(out)
}

/// One page of the referrals still waiting for an answer (sent, neither accepted nor declined) of the clients
/// whose care team includes one of `members`, longest waiting first, and how many there are in all. The care
/// team is a subquery, so a supervisor's wide scope is never a long list of bound ids.
pub async fn waiting(
    tx: &Tx<'_>,
    members: &[UserId],
    offset: u64,
    limit: u64,
) -> Result<(Vec<Referral>, u64), StoreError> {
    use crate::entity::care_team;
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Query;
    if members.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let teams = Query::select()
        .column(care_team::Column::ClientId)
        .from(care_team::Entity)
        .and_where(
            Expr::col(care_team::Column::UserId)
                .is_in(members.iter().map(|u| u.0).collect::<Vec<_>>()),
        )
        .to_owned();
    let q = referrals::Entity::find()
        .filter(referrals::Column::Status.eq(ReferralStatus::Sent.as_str()))
        .filter(referrals::Column::ClientId.in_subquery(teams));
    let total = q.clone().count(tx.conn()).await?;
    let page = q
        .order_by_asc(referrals::Column::SentOn)
        .order_by_asc(referrals::Column::CreatedAt)
        .order_by_asc(referrals::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect::<Result<_, _>>()?;
    Ok((page, total))
}

/// Moves the referral to `status` on `on` with its new text, if it is still at `version`; false otherwise.
pub async fn move_to(
    tx: &Tx<'_>,
    id: Uuid,
    version: i32,
    status: ReferralStatus,
    on: NaiveDate,
    text: &ReferralText,
) -> Result<bool, StoreError> {
    let row = id.to_string();
    let sealed = Encrypted::<ReferralText>::seal(tx.cipher(), aad(&row), text)?;
    Ok(referrals::Entity::update_many()
        .col_expr(referrals::Column::Status, Expr::value(status.as_str()))
        .col_expr(referrals::Column::StatusOn, Expr::value(on))
        .col_expr(referrals::Column::Content, Expr::value(sealed))
        .col_expr(referrals::Column::Version, Expr::value(version + 1))
        .filter(referrals::Column::Id.eq(id))
        .filter(referrals::Column::Version.eq(version))
        .exec(tx.conn())
        .await?
        .rows_affected
        == 1)
}
