//! Safety plans: read, and saved against the version the writer saw (`UPDATE … WHERE version = ?`, or an insert
//! for the first), so two people editing at once cannot overwrite each other. The plan is sealed with the client's
//! id as associated data.

use crate::crypto::{Aad, Encrypted};
use crate::entity::safety_plans;
use crate::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rapport_domain::safety::SafetyPlan;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub plan: SafetyPlan,
    pub version: i32,
    pub updated_by: UserId,
    pub updated_at: DateTime<Utc>,
}

fn aad(row: &str) -> Aad<'_> {
    Aad {
        table: "safety_plans",
        column: "content",
        row,
    }
}

pub async fn get(tx: &Tx<'_>, client: ClientId) -> Result<Option<Stored>, StoreError> {
    let Some(m) = safety_plans::Entity::find_by_id(client.0)
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let row = client.0.to_string();
    Ok(Some(Stored {
        plan: Encrypted::<SafetyPlan>::open(tx.cipher(), aad(&row), &m.content)?,
        version: m.version,
        updated_by: UserId(m.updated_by),
        updated_at: m.updated_at,
    }))
}

/// Saves the plan if `version` is the stored one (0 when there is none yet); returns the new version, or `None`
/// when someone saved in between.
pub async fn save(
    tx: &Tx<'_>,
    client: ClientId,
    version: i32,
    plan: &SafetyPlan,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<Option<i32>, StoreError> {
    let row = client.0.to_string();
    let sealed = Encrypted::<SafetyPlan>::seal(tx.cipher(), aad(&row), plan)?;
    if version == 0 {
        if safety_plans::Entity::find_by_id(client.0)
            .one(tx.conn())
            .await?
            .is_some()
        {
            return Ok(None);
        }
        safety_plans::ActiveModel {
            client_id: Set(client.0),
            content: Set(sealed),
            version: Set(1),
            updated_by: Set(by.0),
            updated_at: Set(at),
        }
        .insert(tx.conn())
        .await?;
        return Ok(Some(1));
    }
    let r = safety_plans::Entity::update_many()
        .col_expr(safety_plans::Column::Content, Expr::value(sealed))
        .col_expr(safety_plans::Column::Version, Expr::value(version + 1))
        .col_expr(safety_plans::Column::UpdatedBy, Expr::value(by.0))
        .col_expr(safety_plans::Column::UpdatedAt, Expr::value(at))
        .filter(safety_plans::Column::ClientId.eq(client.0))
        .filter(safety_plans::Column::Version.eq(version))
        .exec(tx.conn())
        .await?;
    Ok((r.rows_affected == 1).then_some(version + 1))
}
