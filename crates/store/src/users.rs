//! Staff accounts: look-up by e-mail or id, and the few changes the account use cases make.

use crate::crypto::{Aad, Encrypted};
use crate::entity::users;
use crate::{StoreError, Tx, now_utc};
use chrono::{DateTime, Utc};
use rapport_domain::{Role, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

pub use users::Model as User;

pub fn roles(u: &User) -> Vec<Role> {
    u.roles.split(',').filter_map(|r| r.parse().ok()).collect()
}

pub fn roles_text(roles: &[Role]) -> String {
    let mut r: Vec<Role> = roles.to_vec();
    r.sort();
    r.dedup();
    r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: String,
    pub roles: &'a [Role],
    pub must_change_password: bool,
}

pub async fn insert(c: &impl ConnectionTrait, u: NewUser<'_>) -> Result<(), StoreError> {
    let now = now_utc();
    let r = users::ActiveModel {
        id: Set(u.id.0),
        email: Set(u.email.to_string()),
        display_name: Set(u.display_name.to_string()),
        password_hash: Set(u.password_hash),
        roles: Set(roles_text(u.roles)),
        must_change_password: Set(u.must_change_password),
        totp_secret: Set(None),
        totp_enabled: Set(false),
        totp_pending_secret: Set(None),
        totp_last_step: Set(None),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(c)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                Err(StoreError::Conflict(format!(
                    "an account with the e-mail {} already exists",
                    u.email
                )))
            } else {
                Err(e)
            }
        }
    }
}

pub async fn by_email(c: &impl ConnectionTrait, email: &str) -> Result<Option<User>, StoreError> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(c)
        .await?)
}

pub async fn by_id(c: &impl ConnectionTrait, id: UserId) -> Result<Option<User>, StoreError> {
    Ok(users::Entity::find_by_id(id.0).one(c).await?)
}

pub async fn list(c: &impl ConnectionTrait) -> Result<Vec<User>, StoreError> {
    Ok(users::Entity::find()
        .order_by_asc(users::Column::DisplayName)
        .all(c)
        .await?)
}

/// Display names of these staff members (only the two columns), for views that name a few of them.
pub async fn display_names(
    c: &impl ConnectionTrait,
    ids: &[UserId],
) -> Result<std::collections::HashMap<UserId, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(uuid::Uuid, String)> = users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::DisplayName])
            .filter(users::Column::Id.is_in(chunk.iter().map(|u| u.0)))
            .into_tuple()
            .all(c)
            .await?;
        out.extend(rows.into_iter().map(|(id, name)| (UserId(id), name)));
    }
    Ok(out)
}

/// The fields an account use case may change; `None` leaves a field as it is. The second factor is not among
/// them: it changes only through the conditional updates below (`accept_totp_step`, `confirm_totp_pending`,
/// `clear_totp`), so no plain write can replay a code or switch the factor off.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub must_change_password: Option<bool>,
    pub disabled: Option<bool>,
    pub failed_logins: Option<i32>,
    pub locked_until: Option<Option<DateTime<Utc>>>,
}

pub async fn patch(c: &impl ConnectionTrait, id: UserId, p: UserPatch) -> Result<(), StoreError> {
    fn opt<T: Into<sea_orm::Value>>(v: Option<T>) -> sea_orm::ActiveValue<T> {
        match v {
            Some(v) => Set(v),
            None => NotSet,
        }
    }
    users::ActiveModel {
        id: Set(id.0),
        display_name: opt(p.display_name),
        password_hash: opt(p.password_hash),
        roles: opt(p.roles.map(|r| roles_text(&r))),
        must_change_password: opt(p.must_change_password),
        disabled: opt(p.disabled),
        failed_logins: opt(p.failed_logins),
        locked_until: opt(p.locked_until),
        updated_at: Set(now_utc()),
        ..Default::default()
    }
    .update(c)
    .await?;
    Ok(())
}

fn totp_aad<'a>(column: &'static str, id: &'a str) -> Aad<'a> {
    Aad {
        table: "users",
        column,
        row: id,
    }
}

/// Keeps a new authenticator's secret, sealed, beside the current one: the second factor stays on, with the
/// current authenticator, until a code from the new one confirms it (`confirm_totp_pending`).
pub async fn set_totp_pending(tx: &Tx<'_>, id: UserId, secret: &[u8]) -> Result<(), StoreError> {
    let row = id.to_string();
    let sealed = Encrypted::<Vec<u8>>::seal(
        tx.cipher(),
        totp_aad("totp_pending_secret", &row),
        &secret.to_vec(),
    )?;
    users::ActiveModel {
        id: Set(id.0),
        totp_pending_secret: Set(Some(sealed)),
        updated_at: Set(now_utc()),
        ..Default::default()
    }
    .update(tx.conn())
    .await?;
    Ok(())
}

/// The secret of an authenticator being set up, if any.
pub fn totp_pending(
    cipher: &crate::crypto::Cipher,
    u: &User,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = u.id.to_string();
    Ok(Encrypted::<Vec<u8>>::open_opt(
        cipher,
        totp_aad("totp_pending_secret", &row),
        u.totp_pending_secret.as_deref(),
    )?)
}

/// Makes the pending authenticator the account's one, with `step` as its last used code, provided the pending
/// secret is still the one `u` was read with: of two confirmations racing, one wins and the other changes nothing.
pub async fn confirm_totp_pending(
    tx: &Tx<'_>,
    u: &User,
    secret: &[u8],
    step: i64,
) -> Result<bool, StoreError> {
    let Some(pending) = u.totp_pending_secret.clone() else {
        return Ok(false);
    };
    let row = u.id.to_string();
    let sealed =
        Encrypted::<Vec<u8>>::seal(tx.cipher(), totp_aad("totp_secret", &row), &secret.to_vec())?;
    let done = users::Entity::update_many()
        .col_expr(users::Column::TotpSecret, Expr::value(Some(sealed)))
        .col_expr(
            users::Column::TotpPendingSecret,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(users::Column::TotpEnabled, Expr::value(true))
        .col_expr(users::Column::TotpLastStep, Expr::value(Some(step)))
        .col_expr(users::Column::FailedLogins, Expr::value(0))
        .col_expr(users::Column::UpdatedAt, Expr::value(now_utc()))
        .filter(users::Column::Id.eq(u.id))
        .filter(users::Column::TotpPendingSecret.eq(pending))
        .exec(tx.conn())
        .await?;
    Ok(done.rows_affected == 1)
}

/// Accepts TOTP time step `step` for the account only if it is later than the last accepted one, in one
/// conditional update: a code is good once, even when the same code arrives on several connections at once.
pub async fn accept_totp_step(
    c: &impl ConnectionTrait,
    id: UserId,
    step: i64,
) -> Result<bool, StoreError> {
    let done = users::Entity::update_many()
        .col_expr(users::Column::TotpLastStep, Expr::value(Some(step)))
        .col_expr(users::Column::FailedLogins, Expr::value(0))
        .col_expr(users::Column::UpdatedAt, Expr::value(now_utc()))
        .filter(users::Column::Id.eq(id.0))
        .filter(users::Column::TotpEnabled.eq(true))
        .filter(
            Condition::any()
                .add(users::Column::TotpLastStep.is_null())
                .add(users::Column::TotpLastStep.lt(step)),
        )
        .exec(c)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Adds one failed attempt to the account's count, in the database, and returns the new count.
pub async fn count_failure(c: &impl ConnectionTrait, id: UserId) -> Result<i32, StoreError> {
    users::Entity::update_many()
        .col_expr(
            users::Column::FailedLogins,
            Expr::col(users::Column::FailedLogins).add(1),
        )
        .filter(users::Column::Id.eq(id.0))
        .exec(c)
        .await?;
    let count: Option<i32> = users::Entity::find_by_id(id.0)
        .select_only()
        .column(users::Column::FailedLogins)
        .into_tuple()
        .one(c)
        .await?;
    Ok(count.unwrap_or(0))
}

/// Removes every authenticator of the account (a lost phone): the next sign-in sets one up.
pub async fn clear_totp(c: &impl ConnectionTrait, id: UserId) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TotpSecret,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            users::Column::TotpPendingSecret,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(users::Column::TotpEnabled, Expr::value(false))
        .col_expr(
            users::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now_utc()))
        .filter(users::Column::Id.eq(id.0))
        .exec(c)
        .await?;
    Ok(())
}

pub fn totp_secret(
    cipher: &crate::crypto::Cipher,
    u: &User,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = u.id.to_string();
    Ok(Encrypted::<Vec<u8>>::open_opt(
        cipher,
        totp_aad("totp_secret", &row),
        u.totp_secret.as_deref(),
    )?)
}
