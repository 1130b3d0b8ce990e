//! Staff account administration, supervision pairs and personal API tokens.

use crate::auth::hash_password;
use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::policy::{Action, Resource};
use rapport_domain::validate::{self, Email};
use rapport_domain::{Error, Result, Role, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::users::{self, NewUser, UserPatch};
use rapport_store::{clinicians, sessions, tokens};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// `None`: generate a one-time password that must be changed at first sign-in.
    pub password: Option<String>,
    /// For clinical roles: the clinician's IANA time zone (a profile is created with it).
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub totp_enabled: bool,
    pub must_change_password: bool,
    pub locked: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::User> for Account {
    fn from(u: users::User) -> Self {
        Account {
            id: UserId(u.id),
            roles: users::roles(&u),
            locked: u.locked_until.is_some_and(|t| t > rapport_store::now_utc()),
            email: u.email,
            display_name: u.display_name,
            disabled: u.disabled,
            totp_enabled: u.totp_enabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Created {
    pub id: UserId,
    /// The generated one-time password, when none was given.
    pub one_time_password: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

impl From<tokens::ApiToken> for TokenInfo {
    fn from(t: tokens::ApiToken) -> Self {
        let expires_at = tokens::expires_at(&t);
        TokenInfo {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at,
            revoked: t.revoked_at.is_some(),
        }
    }
}

impl App {
    pub async fn create_account(&self, ctx: &Ctx, new: NewAccount) -> Result<Created> {
        let mut problems = rapport_domain::error::Problems::new();
        let email = problems.take(Email::parse(&new.email));
        let name = problems.take(validate::required_line(
            "display_name",
            &new.display_name,
            200,
        ));
        if new.roles.is_empty() {
            problems.add("roles", "give the account at least one role");
        }
        let tz = match &new.time_zone {
            Some(t) => problems.take(validate::time_zone("time_zone", t)),
            None => Some(chrono_tz::UTC),
        };
        if let (Some(pw), Some(e), Some(n)) = (&new.password, &email, &name) {
            problems.take(rapport_domain::password::check_new(pw, &[e.as_str(), n]));
        }
        problems.finish()?;
        let (Some(email), Some(name), Some(tz)) = (email, name, tz) else {
            return Err(Error::internal("validation passed without values"));
        };
        let id = UserId::new();
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::UserAccounts,
                AuditEvent::new(&ctx.actor, "user.create", "user"),
            )
            .await?;
        let generated = new.password.is_none().then(secrets::one_time_password);
        let password = new
            .password
            .as_deref()
            .or(generated.as_deref())
            .unwrap_or_default();
        let hash = hash_password(password).await?;
        users::insert(
            tx.conn(),
            NewUser {
                id,
                email: email.as_str(),
                display_name: &name,
                password_hash: hash,
                roles: &new.roles,
                must_change_password: generated.is_some(),
            },
        )
        .await?;
        if new.roles.iter().any(|r| r.is_clinical()) {
            clinicians::save(
                tx.conn(),
                &clinicians::Profile {
                    user_id: id,
                    display_name: name.clone(),
                    time_zone: tz.name().to_string(),
                    specialisations: vec![],
                    age_groups: vec![],
                    modalities: vec![],
                    languages: vec![],
                    accepts_new_clients: true,
                    weekly_hours: vec![],
                    licences: None,
                    bio: None,
                    version: 0,
                },
            )
            .await?;
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, "user.create", "user")
                .resource(id)
                .request(ctx.rid())
                .detail(format!("roles {}", users::roles_text(&new.roles))),
        )
        .await?;
        tx.commit().await?;
        Ok(Created {
            id,
            one_time_password: generated,
        })
    }

    /// Whether no account exists yet (a fresh installation); used by the CLI to explain the first step.
    pub async fn has_no_accounts(&self) -> Result<bool> {
        Ok(users::list(self.store.unaudited(Unaudited::Setup))
            .await?
            .is_empty())
    }

    pub async fn list_accounts(&self, ctx: &Ctx) -> Result<Vec<Account>> {
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::List,
                Resource::UserAccounts,
                AuditEvent::new(&ctx.actor, "user.list", "user"),
            )
            .await?;
        let list = users::list(tx.conn()).await?;
        tx.commit().await?;
        Ok(list.into_iter().map(Account::from).collect())
    }

    pub async fn account_by_email(&self, ctx: &Ctx, email: &str) -> Result<Account> {
        let email = Email::parse(email)?;
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Read,
                Resource::UserAccounts,
                AuditEvent::new(&ctx.actor, "user.read", "user"),
            )
            .await?;
        let u = users::by_email(tx.conn(), email.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(u.into())
    }

    /// Disables or re-enables an account; disabling ends its sessions at once.
    pub async fn set_account_disabled(&self, ctx: &Ctx, id: UserId, disabled: bool) -> Result<()> {
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::UserAccounts,
                AuditEvent::new(&ctx.actor, action, "user").resource(id),
            )
            .await?;
        users::by_id(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        if disabled && ctx.actor.user_id() == Some(id) {
            return Err(Error::Conflict(
                "you cannot disable your own account".into(),
            ));
        }
        users::patch(
            tx.conn(),
            id,
            UserPatch {
                disabled: Some(disabled),
                ..Default::default()
            },
        )
        .await?;
        if disabled {
            sessions::delete_for_user(tx.conn(), id, None).await?;
            tokens::revoke_all_for_user(tx.conn(), id).await?;
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, action, "user")
                .resource(id)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new one-time password (returned, to hand over) that must be changed at the next sign-in.
    /// With `reset_mfa`, the authenticator and the passkeys are removed too, for a lost phone.
    pub async fn reset_password(&self, ctx: &Ctx, id: UserId, reset_mfa: bool) -> Result<String> {
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::UserAccounts,
                AuditEvent::new(&ctx.actor, "user.reset_password", "user").resource(id),
            )
            .await?;
        users::by_id(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let otp = secrets::one_time_password();
        let hash = hash_password(&otp).await?;
        let patch = UserPatch {
            password_hash: Some(hash),
            must_change_password: Some(true),
            failed_logins: Some(0),
            locked_until: Some(None),
            ..Default::default()
        };
        users::patch(tx.conn(), id, patch).await?;
        if reset_mfa {
            // A lost phone may hold the passkeys too: the reset removes every second factor.
            users::clear_totp(tx.conn(), id).await?;
            rapport_store::passkeys::delete_all_for_user(tx.conn(), id).await?;
        }
        // Account recovery ends every way in that the account had: sessions and API tokens alike.
        sessions::delete_for_user(tx.conn(), id, None).await?;
        tokens::revoke_all_for_user(tx.conn(), id).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "user.reset_password", "user")
                .resource(id)
                .request(ctx.rid())
                .detail(if reset_mfa {
                    "with authenticator reset"
                } else {
                    "password only"
                }),
        )
        .await?;
        tx.commit().await?;
        Ok(otp)
    }

    pub async fn set_roles(&self, ctx: &Ctx, id: UserId, roles: Vec<Role>) -> Result<()> {
        if roles.is_empty() {
            return Err(Error::invalid(
                "roles",
                "give the account at least one role",
            ));
        }
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::UserAccounts,
                AuditEvent::new(&ctx.actor, "user.roles", "user").resource(id),
            )
            .await?;
        users::by_id(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        // Nobody changes their own roles: an administrator who could would grant themselves the clinical role and
        // a place on any care team. Another administrator does it, or the operator with `rapport admin`.
        if ctx.actor.user_id() == Some(id) {
            return Err(Error::Forbidden(
                "you cannot change your own roles; another administrator (or `rapport admin roles`) does".into(),
            ));
        }
        users::patch(
            tx.conn(),
            id,
            UserPatch {
                roles: Some(roles.clone()),
                ..Default::default()
            },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "user.roles", "user")
                .resource(id)
                .request(ctx.rid())
                .detail(format!("roles {}", users::roles_text(&roles))),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_supervision(
        &self,
        ctx: &Ctx,
        supervisor: UserId,
        supervisee: UserId,
    ) -> Result<()> {
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::Supervision,
                AuditEvent::new(&ctx.actor, "supervision.create", "supervision"),
            )
            .await?;
        let sup = users::by_id(tx.conn(), supervisor)
            .await?
            .ok_or(Error::NotFound)?;
        users::by_id(tx.conn(), supervisee)
            .await?
            .ok_or(Error::NotFound)?;
        if !users::roles(&sup).contains(&Role::Supervisor) {
            return Err(Error::invalid(
                "supervisor_id",
                "this account does not have the supervisor role",
            ));
        }
        if supervisor == supervisee {
            return Err(Error::invalid(
                "supervisee_id",
                "a supervisor cannot supervise themselves",
            ));
        }
        rapport_store::care::add_supervision(tx.conn(), supervisor, supervisee).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "supervision.create", "supervision")
                .resource(format!("{supervisor}/{supervisee}"))
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a personal API token for the caller; the token is shown once and stored only as a hash.
    /// Makes a personal API token that lives `days` days (90 when not given, at most 365). The token itself is
    /// returned once; only its hash is kept.
    pub async fn create_api_token(
        &self,
        ctx: &Ctx,
        name: &str,
        days: Option<i64>,
    ) -> Result<(String, TokenInfo)> {
        let name = validate::required_line("name", name, 100)?;
        let days = days.unwrap_or(tokens::DEFAULT_LIFETIME_DAYS);
        if !(1..=tokens::MAX_LIFETIME_DAYS).contains(&days) {
            return Err(Error::invalid(
                "expires_in_days",
                format!("a token lives from 1 to {} days", tokens::MAX_LIFETIME_DAYS),
            ));
        }
        let me = ctx.actor.user_id().ok_or(Error::Forbidden(
            "only staff accounts have API tokens".into(),
        ))?;
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::ApiToken { owner: me },
                AuditEvent::new(&ctx.actor, "token.create", "api_token"),
            )
            .await?;
        let raw = format!("rpt_{}", secrets::token());
        let expires = rapport_store::now_utc() + chrono::Duration::days(days);
        let t =
            tokens::insert(tx.conn(), me, &name, &sha256_hex(&raw), &raw[..12], expires).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "token.create", "api_token")
                .resource(t.id)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok((raw, t.into()))
    }

    pub async fn list_api_tokens(&self, ctx: &Ctx) -> Result<Vec<TokenInfo>> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let list = tokens::list_for_user(self.store.unaudited(Unaudited::Credentials), me).await?;
        Ok(list.into_iter().map(TokenInfo::from).collect())
    }

    pub async fn revoke_api_token(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let tx = self.store.begin().await?;
        let t = tokens::by_id(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Delete,
                Resource::ApiToken {
                    owner: UserId(t.user_id),
                },
                AuditEvent::new(&ctx.actor, "token.revoke", "api_token").resource(id),
            )
            .await?;
        tokens::revoke(tx.conn(), id).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "token.revoke", "api_token")
                .resource(id)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
