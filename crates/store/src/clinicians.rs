//! Clinician profiles: matching vocabularies and weekly hours, stored as JSON text columns (portable to both
//! databases; filtering happens in the use case, the directory is small).

use crate::entity::{clinicians, users};
use crate::{StoreError, now_utc};
use rapport_domain::UserId;
use rapport_domain::clinician::WorkingBlock;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user_id: UserId,
    pub display_name: String,
    pub time_zone: String,
    pub specialisations: Vec<String>,
    pub age_groups: Vec<String>,
    pub modalities: Vec<String>,
    pub languages: Vec<String>,
    pub accepts_new_clients: bool,
    pub weekly_hours: Vec<WorkingBlock>,
    pub licences: Option<String>,
    pub bio: Option<String>,
    pub version: i32,
}

fn parse<T: serde::de::DeserializeOwned>(
    id: uuid::Uuid,
    what: &str,
    s: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(s)
        .map_err(|_| StoreError::Integrity(format!("clinician {id}: bad {what}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Integrity(e.to_string()))
}

fn from_model(m: clinicians::Model, display_name: String) -> Result<Profile, StoreError> {
    Ok(Profile {
        user_id: UserId(m.user_id),
        display_name,
        specialisations: parse(m.user_id, "specialisations", &m.specialisations)?,
        age_groups: parse(m.user_id, "age groups", &m.age_groups)?,
        modalities: parse(m.user_id, "modalities", &m.modalities)?,
        languages: parse(m.user_id, "languages", &m.languages)?,
        weekly_hours: parse(m.user_id, "weekly hours", &m.weekly_hours)?,
        time_zone: m.time_zone,
        accepts_new_clients: m.accepts_new_clients,
        licences: m.licences,
        bio: m.bio,
        version: m.version,
    })
}

pub async fn get(c: &impl ConnectionTrait, user: UserId) -> Result<Option<Profile>, StoreError> {
    let Some(m) = clinicians::Entity::find_by_id(user.0).one(c).await? else {
        return Ok(None);
    };
    let name = users::Entity::find_by_id(user.0)
        .one(c)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    from_model(m, name).map(Some)
}

/// Every profile of an enabled account. Only the accounts' names are read (slot search lists every clinician
/// on each request).
pub async fn list(c: &impl ConnectionTrait) -> Result<Vec<Profile>, StoreError> {
    let rows = clinicians::Entity::find().all(c).await?;
    let names: std::collections::HashMap<uuid::Uuid, String> = users::Entity::find()
        .select_only()
        .columns([users::Column::Id, users::Column::DisplayName])
        .filter(users::Column::Disabled.eq(false))
        .into_tuple::<(uuid::Uuid, String)>()
        .all(c)
        .await?
        .into_iter()
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        if let Some(name) = names.get(&m.user_id) {
            out.push(from_model(m, name.clone())?);
        }
    }
    out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(out)
}

/// Creates the profile (version 1) or, when `p.version` matches the stored one, replaces it.
pub async fn save(c: &impl ConnectionTrait, p: &Profile) -> Result<i32, StoreError> {
    let existing = clinicians::Entity::find_by_id(p.user_id.0).one(c).await?;
    let am = clinicians::ActiveModel {
        user_id: Set(p.user_id.0),
        time_zone: Set(p.time_zone.clone()),
        specialisations: Set(json(&p.specialisations)?),
        age_groups: Set(json(&p.age_groups)?),
        modalities: Set(json(&p.modalities)?),
        languages: Set(json(&p.languages)?),
        accepts_new_clients: Set(p.accepts_new_clients),
        weekly_hours: Set(json(&p.weekly_hours)?),
        licences: Set(p.licences.clone()),
        bio: Set(p.bio.clone()),
        updated_at: Set(now_utc()),
        version: Set(p.version + 1),
    };
    match existing {
        None => {
            am.insert(c).await?;
        }
        Some(e) if e.version == p.version => {
            let r = clinicians::Entity::update_many()
                .set(am)
                .filter(clinicians::Column::UserId.eq(p.user_id.0))
                .filter(clinicians::Column::Version.eq(p.version))
                .exec(c)
                .await?;
            if r.rows_affected != 1 {
                return Err(StoreError::Conflict(
                    "this profile was changed by someone else; reload it".into(),
                ));
            }
        }
        Some(_) => {
            return Err(StoreError::Conflict(
                "this profile was changed by someone else; reload it".into(),
            ));
        }
    }
    Ok(p.version + 1)
}
