//! Client records. Demographics are plain columns the front desk can search; the clinical fields are sealed with
//! the row's id as associated data and decrypted only when a use case asks for them.

use crate::crypto::{Aad, Cipher, Encrypted};
use crate::entity::{care_team, clients, supervisions};
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::client::{ClientStatus, Contact};
use rapport_domain::policy::ClientScope;
use rapport_domain::{ClientId, UserId};
use sea_orm::sea_query::{Expr, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    pub status: ClientStatus,
    pub emergency_contacts: Vec<Contact>,
    pub guardians: Vec<Contact>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// The clinical free text kept on the client's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clinical {
    pub presenting_problem: Option<String>,
    pub clinical_notes: Option<String>,
}

fn search_text(c: &Client) -> String {
    format!(
        "{} {}",
        c.legal_name,
        c.preferred_name.as_deref().unwrap_or("")
    )
    .to_lowercase()
}

fn from_model(m: clients::Model) -> Result<Client, StoreError> {
    let bad = |what: &str| StoreError::Integrity(format!("client {}: {what}", m.id));
    Ok(Client {
        id: ClientId(m.id),
        status: ClientStatus::parse(&m.status).map_err(|_| bad("unknown status"))?,
        emergency_contacts: serde_json::from_str(&m.emergency_contacts)
            .map_err(|_| bad("bad emergency contacts"))?,
        guardians: serde_json::from_str(&m.guardians).map_err(|_| bad("bad guardians"))?,
        legal_name: m.legal_name,
        preferred_name: m.preferred_name,
        pronouns: m.pronouns,
        date_of_birth: m.date_of_birth,
        email: m.email,
        phone: m.phone,
        time_zone: m.time_zone,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn aad<'a>(column: &'a str, row: &'a str) -> Aad<'a> {
    Aad {
        table: "clients",
        column,
        row,
    }
}

fn seal(
    cipher: &Cipher,
    id: ClientId,
    column: &str,
    v: Option<&String>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = id.to_string();
    Ok(Encrypted::<String>::seal_opt(cipher, aad(column, &row), v)?)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Integrity(e.to_string()))
}

pub async fn insert(tx: &Tx<'_>, c: &Client, clinical: &Clinical) -> Result<(), StoreError> {
    clients::ActiveModel {
        id: Set(c.id.0),
        legal_name: Set(c.legal_name.clone()),
        preferred_name: Set(c.preferred_name.clone()),
        pronouns: Set(c.pronouns.clone()),
        date_of_birth: Set(c.date_of_birth),
        email: Set(c.email.clone()),
        phone: Set(c.phone.clone()),
        time_zone: Set(c.time_zone.clone()),
        status: Set(c.status.as_str().to_string()),
        search_text: Set(search_text(c)),
        emergency_contacts: Set(json(&c.emergency_contacts)?),
        guardians: Set(json(&c.guardians)?),
        presenting_problem: Set(seal(
            tx.cipher(),
            c.id,
            "presenting_problem",
            clinical.presenting_problem.as_ref(),
        )?),
        clinical_notes: Set(seal(
            tx.cipher(),
            c.id,
            "clinical_notes",
            clinical.clinical_notes.as_ref(),
        )?),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(c: &impl ConnectionTrait, id: ClientId) -> Result<Option<Client>, StoreError> {
    clients::Entity::find_by_id(id.0)
        .one(c)
        .await?
        .map(from_model)
        .transpose()
}

pub async fn clinical(tx: &Tx<'_>, id: ClientId) -> Result<Option<Clinical>, StoreError> {
    let Some(m) = clients::Entity::find_by_id(id.0).one(tx.conn()).await? else {
        return Ok(None);
    };
    let row = id.to_string();
    Ok(Some(Clinical {
        presenting_problem: Encrypted::<String>::open_opt(
            tx.cipher(),
            aad("presenting_problem", &row),
            m.presenting_problem.as_deref(),
        )?,
        clinical_notes: Encrypted::<String>::open_opt(
            tx.cipher(),
            aad("clinical_notes", &row),
            m.clinical_notes.as_deref(),
        )?,
    }))
}

/// Writes demographics (and, when given, the clinical fields) if the stored version is still `c.version`;
/// otherwise someone else saved first and the caller gets a conflict instead of overwriting their work.
pub async fn update(
    tx: &Tx<'_>,
    c: &Client,
    clinical: Option<&Clinical>,
) -> Result<i32, StoreError> {
    let mut q = clients::Entity::update_many()
        .col_expr(
            clients::Column::LegalName,
            Expr::value(c.legal_name.clone()),
        )
        .col_expr(
            clients::Column::PreferredName,
            Expr::value(c.preferred_name.clone()),
        )
        .col_expr(clients::Column::Pronouns, Expr::value(c.pronouns.clone()))
        .col_expr(clients::Column::DateOfBirth, Expr::value(c.date_of_birth))
        .col_expr(clients::Column::Email, Expr::value(c.email.clone()))
        .col_expr(clients::Column::Phone, Expr::value(c.phone.clone()))
        .col_expr(clients::Column::TimeZone, Expr::value(c.time_zone.clone()))
        .col_expr(clients::Column::Status, Expr::value(c.status.as_str()))
        .col_expr(clients::Column::SearchText, Expr::value(search_text(c)))
        .col_expr(
            clients::Column::EmergencyContacts,
            Expr::value(json(&c.emergency_contacts)?),
        )
        .col_expr(clients::Column::Guardians, Expr::value(json(&c.guardians)?))
        .col_expr(clients::Column::UpdatedAt, Expr::value(now_utc()))
        .col_expr(clients::Column::Version, Expr::value(c.version + 1));
    if let Some(cl) = clinical {
        q = q
            .col_expr(
                clients::Column::PresentingProblem,
                Expr::value(seal(
                    tx.cipher(),
                    c.id,
                    "presenting_problem",
                    cl.presenting_problem.as_ref(),
                )?),
            )
            .col_expr(
                clients::Column::ClinicalNotes,
                Expr::value(seal(
                    tx.cipher(),
                    c.id,
                    "clinical_notes",
                    cl.clinical_notes.as_ref(),
                )?),
            );
    }
    let r = q
        .filter(clients::Column::Id.eq(c.id.0))
        .filter(clients::Column::Version.eq(c.version))
        .exec(tx.conn())
        .await?;
    if r.rows_affected == 1 {
        Ok(c.version + 1)
    } else {
        Err(StoreError::Conflict(
            "this client was changed by someone else since you opened it; reload and apply your changes again".into(),
        ))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Matches any part of the legal or preferred name, case-insensitively.
    pub text: Option<String>,
    /// Matches the date of birth exactly.
    pub born: Option<NaiveDate>,
    pub status: Option<ClientStatus>,
    pub limit: u64,
    pub offset: u64,
}

fn scope_condition(scope: ClientScope, actor: Option<UserId>) -> Option<Condition> {
    let actor = actor.map(|a| a.0);
    match (scope, actor) {
        (ClientScope::All, _) => None,
        (
            ClientScope::CareTeam {
                include_supervisees,
            },
            Some(me),
        ) => {
            let mut members = Condition::any().add(care_team::Column::UserId.eq(me));
            if include_supervisees {
                members = members.add(
                    care_team::Column::UserId.in_subquery(
                        Query::select()
                            .column(supervisions::Column::SuperviseeId)
                            .from(supervisions::Entity)
                            .and_where(supervisions::Column::SupervisorId.eq(me))
                            .to_owned(),
                    ),
                );
            }
            Some(
                Condition::all().add(
                    clients::Column::Id.in_subquery(
                        Query::select()
                            .column(care_team::Column::ClientId)
                            .from(care_team::Entity)
                            .cond_where(members)
                            .to_owned(),
                    ),
                ),
            )
        }
        _ => Some(Condition::all().add(Expr::val(1).eq(0))),
    }
}

/// Lists clients within the policy's scope for this actor; returns the page and the total count.
pub async fn search(
    c: &impl ConnectionTrait,
    scope: ClientScope,
    actor: Option<UserId>,
    s: &Search,
) -> Result<(Vec<Client>, u64), StoreError> {
    let mut q = clients::Entity::find();
    if let Some(cond) = scope_condition(scope, actor) {
        q = q.filter(cond);
    }
    if let Some(t) = s.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // `%` and `_` typed in a name are letters, not LIKE's wildcards.
        let escaped: String = t
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        q = q.filter(
            clients::Column::SearchText.like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    if let Some(born) = s.born {
        q = q.filter(clients::Column::DateOfBirth.eq(born));
    }
    if let Some(st) = s.status {
        q = q.filter(clients::Column::Status.eq(st.as_str()));
    }
    let total = q.clone().count(c).await?;
    let rows = q
        .order_by_asc(clients::Column::LegalName)
        .order_by_asc(clients::Column::Id)
        .limit(s.limit.clamp(1, 500))
        .offset(s.offset)
        .all(c)
        .await?;
    let list = rows
        .into_iter()
        .map(from_model)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((list, total))
}

/// Those of `ids` that lie within the policy's scope for this actor, by name: a form's already chosen clients.
/// An id outside the scope is left out like an unknown one, so a form cannot be used to learn a client exists.
pub async fn within_scope(
    c: &impl ConnectionTrait,
    scope: ClientScope,
    actor: Option<UserId>,
    ids: &[ClientId],
) -> Result<Vec<Client>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q = clients::Entity::find()
        .filter(clients::Column::Id.is_in(ids.iter().map(|c| c.0).collect::<Vec<_>>()));
    if let Some(cond) = scope_condition(scope, actor) {
        q = q.filter(cond);
    }
    q.order_by_asc(clients::Column::LegalName)
        .order_by_asc(clients::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// Display names (preferred name if given, else legal name) for these clients, in one query per 500. Only the
/// name columns are read: a calendar names hundreds of clients and needs none of their other (sealed) fields.
pub async fn names(
    c: &impl ConnectionTrait,
    ids: &[ClientId],
) -> Result<std::collections::HashMap<ClientId, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(uuid::Uuid, String, Option<String>)> = clients::Entity::find()
            .select_only()
            .columns([
                clients::Column::Id,
                clients::Column::LegalName,
                clients::Column::PreferredName,
            ])
            .filter(clients::Column::Id.is_in(chunk.iter().map(|c| c.0).collect::<Vec<_>>()))
            .into_tuple()
            .all(c)
            .await?;
        for (id, legal, preferred) in rows {
            out.insert(
                ClientId(id),
                crate::calendar::display_name(&legal, preferred.as_deref()),
            );
        }
    }
    Ok(out)
}

/// Which of `ids` exist.
pub async fn existing(
    c: &impl ConnectionTrait,
    ids: &[ClientId],
) -> Result<Vec<ClientId>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<uuid::Uuid> = clients::Entity::find()
            .select_only()
            .column(clients::Column::Id)
            .filter(clients::Column::Id.is_in(chunk.iter().map(|c| c.0).collect::<Vec<_>>()))
            .into_tuple()
            .all(c)
            .await?;
        out.extend(rows.into_iter().map(ClientId));
    }
    Ok(out)
}

/// Clients with this e-mail address (lower-cased), not discharged.
pub async fn by_email(c: &impl ConnectionTrait, email: &str) -> Result<Vec<Client>, StoreError> {
    clients::Entity::find()
        .filter(clients::Column::Email.eq(email.trim().to_lowercase()))
        .filter(clients::Column::Status.ne(ClientStatus::Discharged.as_str()))
        .all(c)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}

/// Clients born on this day, whatever their status (the emergency look-up then compares legal names exactly).
pub async fn born_on(c: &impl ConnectionTrait, dob: NaiveDate) -> Result<Vec<Client>, StoreError> {
    clients::Entity::find()
        .filter(clients::Column::DateOfBirth.eq(dob))
        .all(c)
        .await?
        .into_iter()
        .map(from_model)
        .collect()
}
