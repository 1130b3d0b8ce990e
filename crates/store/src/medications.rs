//! Medications: added, listed per client (current first), stopped once (`UPDATE … WHERE version = ? AND
//! stopped_on IS NULL`). The text is sealed with the row's id as associated data.

use crate::crypto::{Aad, Encrypted};
use crate::entity::medications;
use crate::{StoreError, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::medication::MedicationText;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Medication {
    pub id: Uuid,
    pub client_id: ClientId,
    pub text: MedicationText,
    pub started_on: NaiveDate,
    pub stopped_on: Option<NaiveDate>,
    pub version: i32,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
}

fn aad(row: &str) -> Aad<'_> {
    Aad {
        table: "medications",
        column: "content",
        row,
    }
}

fn open(tx: &Tx<'_>, m: medications::Model) -> Result<Medication, StoreError> {
    let row = m.id.to_string();
    Ok(Medication {
        text: Encrypted::<MedicationText>::open(tx.cipher(), aad(&row), &m.content)?,
        id: m.id,
        client_id: ClientId(m.client_id),
        started_on: m.started_on,
        stopped_on: m.stopped_on,
        version: m.version,
        recorded_by: UserId(m.recorded_by),
        recorded_at: m.recorded_at,
    })
}

pub async fn insert(
    tx: &Tx<'_>,
    client: ClientId,
    text: &MedicationText,
    started_on: NaiveDate,
    by: UserId,
    at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let row = id.to_string();
    medications::ActiveModel {
        id: Set(id),
        client_id: Set(client.0),
        content: Set(Encrypted::<MedicationText>::seal(
            tx.cipher(),
            aad(&row),
            text,
        )?),
        started_on: Set(started_on),
        stopped_on: Set(None),
        version: Set(1),
        recorded_by: Set(by.0),
        recorded_at: Set(at),
    }
    .insert(tx.conn())
    .await?;
    Ok(id)
}

pub async fn get(tx: &Tx<'_>, id: Uuid) -> Result<Option<Medication>, StoreError> {
    medications::Entity::find_by_id(id)
        .one(tx.conn())
        .await?
        .map(|m| open(tx, m))
        .transpose()
}

/// The client's medications: current ones first, then stopped ones, each newest first.
pub async fn for_client(tx: &Tx<'_>, client: ClientId) -> Result<Vec<Medication>, StoreError> {
    let mut out: Vec<Medication> = medications::Entity::find()
        .filter(medications::Column::ClientId.eq(client.0))
        .order_by_desc(medications::Column::StartedOn)
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|m| open(tx, m))
        .collect::<Result<_, _>>()?;
    out.sort_by_key(|m| m.stopped_on.is_some());
    Ok(out)
}

/// Records the stop if the medication is still current at `version`; false otherwise.
pub async fn stop(
    tx: &Tx<'_>,
    m: &Medication,
    version: i32,
    stopped_on: NaiveDate,
    reason: &str,
) -> Result<bool, StoreError> {
    let row = m.id.to_string();
    let text = MedicationText {
        stop_reason: Some(reason.to_string()),
        ..m.text.clone()
    };
    let sealed = Encrypted::<MedicationText>::seal(tx.cipher(), aad(&row), &text)?;
    Ok(medications::Entity::update_many()
        .col_expr(medications::Column::Content, Expr::value(sealed))
        .col_expr(
            medications::Column::StoppedOn,
            Expr::value(Some(stopped_on)),
        )
        .col_expr(medications::Column::Version, Expr::value(version + 1))
        .filter(medications::Column::Id.eq(m.id))
        .filter(medications::Column::Version.eq(version))
        .filter(medications::Column::StoppedOn.is_null())
        .exec(tx.conn())
        .await?
        .rows_affected
        == 1)
}
