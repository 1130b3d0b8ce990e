//! Care teams and supervision: the relationships from which the policy's facts are computed.

use crate::entity::{care_team, supervisions, users};
use crate::{StoreError, now_utc};
use rapport_domain::policy::ClientRelation;
use rapport_domain::{ClientId, UserId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub display_name: String,
    pub team_role: String,
}

/// How `actor` relates to the client: on the care team, or supervising someone who is.
pub async fn relation(
    c: &impl ConnectionTrait,
    actor: UserId,
    client: ClientId,
) -> Result<ClientRelation, StoreError> {
    let team: Vec<uuid::Uuid> = care_team::Entity::find()
        .filter(care_team::Column::ClientId.eq(client.0))
        .all(c)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let on_care_team = team.contains(&actor.0);
    let supervises_care_team_member = !on_care_team
        && !team.is_empty()
        && supervisions::Entity::find()
            .filter(supervisions::Column::SupervisorId.eq(actor.0))
            .filter(supervisions::Column::SuperviseeId.is_in(team))
            .count(c)
            .await?
            > 0;
    // Only someone with no other way in needs the extra look-up (the usual caller is on the team).
    let emergency_access = !on_care_team
        && !supervises_care_team_member
        && crate::emergency::is_live(c, actor, client).await?;
    Ok(ClientRelation {
        on_care_team,
        supervises_care_team_member,
        emergency_access,
    })
}

pub async fn members(
    c: &impl ConnectionTrait,
    client: ClientId,
) -> Result<Vec<Member>, StoreError> {
    let rows = care_team::Entity::find()
        .filter(care_team::Column::ClientId.eq(client.0))
        .order_by_asc(care_team::Column::AddedAt)
        .all(c)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name = users::Entity::find_by_id(r.user_id)
            .one(c)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        out.push(Member {
            user_id: UserId(r.user_id),
            display_name: name,
            team_role: r.team_role,
        });
    }
    Ok(out)
}

/// Adds a member; adding someone already on the team updates their team role.
pub async fn add(
    c: &impl ConnectionTrait,
    client: ClientId,
    user: UserId,
    team_role: &str,
) -> Result<(), StoreError> {
    let existing = care_team::Entity::find_by_id((client.0, user.0))
        .one(c)
        .await?;
    let am = care_team::ActiveModel {
        client_id: Set(client.0),
        user_id: Set(user.0),
        team_role: Set(team_role.to_string()),
        added_at: Set(now_utc()),
    };
    if existing.is_some() {
        am.update(c).await?;
    } else {
        am.insert(c).await?;
    }
    Ok(())
}

pub async fn remove(
    c: &impl ConnectionTrait,
    client: ClientId,
    user: UserId,
) -> Result<bool, StoreError> {
    let r = care_team::Entity::delete_by_id((client.0, user.0))
        .exec(c)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn add_supervision(
    c: &impl ConnectionTrait,
    supervisor: UserId,
    supervisee: UserId,
) -> Result<(), StoreError> {
    if supervisions::Entity::find_by_id((supervisor.0, supervisee.0))
        .one(c)
        .await?
        .is_some()
    {
        return Ok(());
    }
    supervisions::ActiveModel {
        supervisor_id: Set(supervisor.0),
        supervisee_id: Set(supervisee.0),
        created_at: Set(now_utc()),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn supervisees(
    c: &impl ConnectionTrait,
    supervisor: UserId,
) -> Result<Vec<UserId>, StoreError> {
    Ok(supervisions::Entity::find()
        .filter(supervisions::Column::SupervisorId.eq(supervisor.0))
        .all(c)
        .await?
        .into_iter()
        .map(|s| UserId(s.supervisee_id))
        .collect())
}

/// Who oversees any of `users` (each supervisor once): those an unacknowledged alert escalates to.
pub async fn supervisors_of(
    c: &impl ConnectionTrait,
    users: &[UserId],
) -> Result<Vec<UserId>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<UserId> = supervisions::Entity::find()
        .filter(supervisions::Column::SuperviseeId.is_in(users.iter().map(|u| u.0)))
        .all(c)
        .await?
        .into_iter()
        .map(|s| UserId(s.supervisor_id))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The clients whose care team includes `user` (or, with `include_supervisees`, someone `user` supervises).
pub async fn clients_in_scope(
    c: &impl ConnectionTrait,
    user: UserId,
    include_supervisees: bool,
) -> Result<std::collections::HashSet<ClientId>, StoreError> {
    let mut members = vec![user.0];
    if include_supervisees {
        members.extend(supervisees(c, user).await?.into_iter().map(|u| u.0));
    }
    Ok(care_team::Entity::find()
        .filter(care_team::Column::UserId.is_in(members))
        .all(c)
        .await?
        .into_iter()
        .map(|m| ClientId(m.client_id))
        .collect())
}

/// Whether `supervisor` oversees `supervisee`.
pub async fn supervises(
    c: &impl ConnectionTrait,
    supervisor: UserId,
    supervisee: UserId,
) -> Result<bool, StoreError> {
    Ok(
        supervisions::Entity::find_by_id((supervisor.0, supervisee.0))
            .one(c)
            .await?
            .is_some(),
    )
}

/// Whether anyone oversees `user`: a trainee's signed notes wait for a co-signature.
pub async fn is_supervised(c: &impl ConnectionTrait, user: UserId) -> Result<bool, StoreError> {
    Ok(supervisions::Entity::find()
        .filter(supervisions::Column::SuperviseeId.eq(user.0))
        .count(c)
        .await?
        > 0)
}
