//! Episodes of care: opened at intake, closed at discharge. Presenting problems and diagnoses are sealed.

use crate::crypto::{Aad, Encrypted};
use crate::entity::episodes;
use crate::{StoreError, Tx, now_utc};
use chrono::NaiveDate;
use rapport_domain::{ClientId, EpisodeId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub id: EpisodeId,
    pub client_id: ClientId,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub presenting_problems: Option<String>,
    pub diagnoses: Vec<String>,
    pub created_by: UserId,
    pub version: i32,
}

fn aad<'a>(column: &'a str, row: &'a str) -> Aad<'a> {
    Aad {
        table: "episodes",
        column,
        row,
    }
}

pub async fn insert(tx: &Tx<'_>, e: &Episode) -> Result<(), StoreError> {
    let row = e.id.to_string();
    let now = now_utc();
    episodes::ActiveModel {
        id: Set(e.id.0),
        client_id: Set(e.client_id.0),
        opened_on: Set(e.opened_on),
        closed_on: Set(e.closed_on),
        presenting_problems: Set(Encrypted::<String>::seal_opt(
            tx.cipher(),
            aad("presenting_problems", &row),
            e.presenting_problems.as_ref(),
        )?),
        diagnoses: Set(Some(Encrypted::<Vec<String>>::seal(
            tx.cipher(),
            aad("diagnoses", &row),
            &e.diagnoses,
        )?)),
        created_by: Set(e.created_by.0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

fn open(tx: &Tx<'_>, m: episodes::Model) -> Result<Episode, StoreError> {
    let row = m.id.to_string();
    Ok(Episode {
        id: EpisodeId(m.id),
        client_id: ClientId(m.client_id),
        opened_on: m.opened_on,
        closed_on: m.closed_on,
        presenting_problems: Encrypted::<String>::open_opt(
            tx.cipher(),
            aad("presenting_problems", &row),
            m.presenting_problems.as_deref(),
        )?,
        diagnoses: Encrypted::<Vec<String>>::open_opt(
            tx.cipher(),
            aad("diagnoses", &row),
            m.diagnoses.as_deref(),
        )?
        .unwrap_or_default(),
        created_by: UserId(m.created_by),
        version: m.version,
    })
}

pub async fn list_for_client(tx: &Tx<'_>, client: ClientId) -> Result<Vec<Episode>, StoreError> {
    episodes::Entity::find()
        .filter(episodes::Column::ClientId.eq(client.0))
        .order_by_desc(episodes::Column::OpenedOn)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect()
}

pub async fn get(tx: &Tx<'_>, id: EpisodeId) -> Result<Option<Episode>, StoreError> {
    episodes::Entity::find_by_id(id.0)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// Closes an episode if it is still at `version`.
pub async fn close(
    tx: &Tx<'_>,
    id: EpisodeId,
    on: NaiveDate,
    version: i32,
) -> Result<(), StoreError> {
    let r = episodes::Entity::update_many()
        .col_expr(episodes::Column::ClosedOn, Expr::value(Some(on)))
        .col_expr(episodes::Column::UpdatedAt, Expr::value(now_utc()))
        .col_expr(episodes::Column::Version, Expr::value(version + 1))
        .filter(episodes::Column::Id.eq(id.0))
        .filter(episodes::Column::Version.eq(version))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this episode was changed by someone else; reload it".into(),
        ))
    }
}
