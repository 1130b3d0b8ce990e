//! Couples and families as units: who belongs, in which role. A unit's members are shown only to those who may
//! see every member. The label is sealed (`sealed_labels`).

use crate::StoreError;
use crate::crypto::Cipher;
use crate::entity::{unit_members, units};
use crate::sealed_labels::Sealed;
use rapport_domain::ClientId;
use rapport_domain::group::UnitKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: Uuid,
    pub kind: UnitKind,
    pub label: String,
    /// Member and role ("partner", "parent", "child", …), in the order they were added.
    pub members: Vec<(ClientId, String)>,
}

pub async fn get(
    c: &impl ConnectionTrait,
    cipher: &Cipher,
    id: Uuid,
) -> Result<Option<Unit>, StoreError> {
    let Some(u) = units::Entity::find_by_id(id).one(c).await? else {
        return Ok(None);
    };
    let members = unit_members::Entity::find()
        .filter(unit_members::Column::UnitId.eq(id))
        .order_by_asc(unit_members::Column::AddedAt)
        .all(c)
        .await?
        .into_iter()
        .map(|m| (ClientId(m.client_id), m.member_role))
        .collect();
    Ok(Some(Unit {
        id: u.id,
        kind: UnitKind::parse(&u.kind).map_err(|e| StoreError::Integrity(e.to_string()))?,
        label: Sealed::UnitLabel.open(cipher, u.id, u.sealed_label.as_deref(), &u.label)?,
        members,
    }))
}
