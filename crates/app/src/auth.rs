//! Signing in: password (Argon2id), second factor (TOTP or a passkey, `passkeys`), server-side sessions, lockout,
//! API tokens.
//!
//! A session is created only after the password checks out, with a fresh id (so a planted id is useless), and it
//! grants nothing until the second factor is passed. Failures count per account and lock it with growing back-off.

use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rapport_domain::validate::Email;
use rapport_domain::{Actor, Error, Result, Role, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::users::{self, User, UserPatch};
use rapport_store::{now_utc, sessions, tokens};

pub mod passkeys;

/// OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane); hashing runs on the blocking pool.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash_password(password: &str) -> Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(Error::internal)?
}

pub(crate) async fn verify_password(password: &str, hash: &str) -> bool {
    let pw = password.to_string();
    let hash = hash.to_string();
    tokio::task::spawn_blocking(move || {
        hasher()
            .verify_password(pw.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The second step: the code from the authenticator app, or a passkey.
    SecondFactor,
    /// Set up an authenticator app first (required for staff).
    EnrolTotp,
    /// Signed in.
    Done,
}

#[derive(Debug, Clone)]
pub struct LoginResult {
    /// The new session's token (cookie value). Only its hash is stored.
    pub token: String,
    pub next: NextStep,
}

/// A live session, as the web edge needs it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id_hash: String,
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub mfa_passed: bool,
    pub totp_enabled: bool,
    /// The account has a passkey to offer at the second step (looked up only while that step is to come).
    pub passkey_offered: bool,
    pub must_change_password: bool,
    pub csrf_token: String,
    /// The IANA zone the user reads times in: their clinician profile's, else the practice's.
    pub time_zone: String,
}

impl SessionInfo {
    /// The actor, only once every sign-in step is complete.
    pub fn actor(&self) -> Option<Actor> {
        (self.mfa_passed && !self.must_change_password)
            .then(|| Actor::staff(self.user_id, self.roles.clone()))
    }
}

#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
}

fn totp_for(secret: Vec<u8>, account: &str, issuer: &str) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account.to_string())
        .with_issuer(Some(issuer.to_string()))
        .build()
        .map_err(|e| Error::internal(format!("totp: {e:?}")))
}

pub(crate) fn backoff(failures: i32, threshold: i32) -> ChronoDuration {
    // 1, 2, 4 … minutes for each failure past the threshold, at most an hour.
    let over = (failures - threshold).clamp(0, 6) as u32;
    ChronoDuration::minutes((1i64 << over).min(60))
}

impl App {
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        request_id: Option<&str>,
    ) -> Result<LoginResult> {
        let fail = |_| Error::Unauthenticated;
        let email = Email::parse(email).map_err(fail)?;
        let db = self.store.unaudited(Unaudited::Credentials);
        let user = users::by_email(db, email.as_str()).await?;
        let Some(user) = user.filter(|u| !u.disabled) else {
            // Spend the same Argon2 work as for a real account, so timing does not reveal which e-mails exist.
            let _ = hash_password(password).await;
            self.store
                .audit_alone(
                    AuditEvent::anonymous("auth.login", "session")
                        .outcome(Outcome::Denied)
                        .request(request_id),
                )
                .await?;
            return Err(Error::Unauthenticated);
        };
        self.check_lock(&user)?;
        if !verify_password(password, &user.password_hash).await {
            self.record_failure(&user, "auth.login", request_id).await?;
            return Err(Error::Unauthenticated);
        }
        let token = secrets::token();
        let next = if user.totp_enabled || self.has_passkey(UserId(user.id)).await? {
            NextStep::SecondFactor
        } else if self.config.require_mfa {
            NextStep::EnrolTotp
        } else {
            NextStep::Done
        };
        let tx = self.store.begin().await?;
        // The count of failures starts again only when sign-in is complete: with a second factor to come, a right
        // password alone must not wipe the wrong codes before it (or the password's holder could guess codes for
        // ever, five at a time). The code step resets it (`accept_totp_step`, `confirm_totp_pending`).
        if next == NextStep::Done {
            users::patch(
                tx.conn(),
                UserId(user.id),
                UserPatch {
                    failed_logins: Some(0),
                    locked_until: Some(None),
                    ..Default::default()
                },
            )
            .await?;
        }
        sessions::create(
            tx.conn(),
            &sha256_hex(&token),
            UserId(user.id),
            next == NextStep::Done,
            &secrets::token(),
        )
        .await?;
        tx.audit(
            AuditEvent::new(
                &Actor::staff(UserId(user.id), vec![]),
                "auth.login",
                "session",
            )
            .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginResult { token, next })
    }

    fn check_lock(&self, user: &User) -> Result<()> {
        if let Some(until) = user.locked_until
            && until > now_utc()
        {
            let secs = (until - now_utc()).num_seconds().max(1) as u64;
            return Err(Error::RateLimited {
                retry_after_secs: secs,
            });
        }
        Ok(())
    }

    async fn record_failure(
        &self,
        user: &User,
        action: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        let tx = self.store.begin().await?;
        // Counted in the database, not from the row read earlier: guesses sent in parallel each count.
        let failures = users::count_failure(tx.conn(), UserId(user.id)).await?;
        let locked_until = (failures >= self.config.lockout_after)
            .then(|| now_utc() + backoff(failures, self.config.lockout_after));
        if locked_until.is_some() {
            users::patch(
                tx.conn(),
                UserId(user.id),
                UserPatch {
                    locked_until: Some(locked_until),
                    ..Default::default()
                },
            )
            .await?;
        }
        let mut ev = AuditEvent::new(&Actor::staff(UserId(user.id), vec![]), action, "session")
            .outcome(Outcome::Denied)
            .request(request_id);
        if locked_until.is_some() {
            ev = ev.detail(format!("account locked after {failures} failures"));
        }
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a session cookie, ending it if it has been idle or alive too long.
    pub async fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let db = self.store.unaudited(Unaudited::Credentials);
        let id_hash = sha256_hex(token);
        let Some(s) = sessions::get(db, &id_hash).await? else {
            return Ok(None);
        };
        let now = now_utc();
        let idle = chrono::Duration::from_std(self.config.idle_timeout).unwrap_or_default();
        let absolute = chrono::Duration::from_std(self.config.absolute_timeout).unwrap_or_default();
        if now - s.last_seen_at > idle || now - s.created_at > absolute {
            sessions::delete(db, &id_hash).await?;
            return Ok(None);
        }
        let Some(user) = users::by_id(db, UserId(s.user_id))
            .await?
            .filter(|u| !u.disabled)
        else {
            sessions::delete(db, &id_hash).await?;
            return Ok(None);
        };
        let passkey_offered = !s.mfa_passed && self.has_passkey(UserId(user.id)).await?;
        // Touch at most once a minute: the idle timeout does not need more precision than that.
        if now - s.last_seen_at > chrono::Duration::seconds(60) {
            sessions::touch(db, &id_hash, now).await?;
        }
        let time_zone = rapport_store::resources::zone_of_user(db, UserId(user.id)).await?;
        Ok(Some(SessionInfo {
            time_zone,
            id_hash,
            user_id: UserId(user.id),
            roles: users::roles(&user),
            email: user.email,
            display_name: user.display_name,
            mfa_passed: s.mfa_passed,
            totp_enabled: user.totp_enabled,
            passkey_offered,
            must_change_password: user.must_change_password,
            csrf_token: s.csrf_token,
        }))
    }

    async fn user_of(&self, s: &SessionInfo) -> Result<User> {
        users::by_id(self.store.unaudited(Unaudited::Credentials), s.user_id)
            .await?
            .ok_or(Error::Unauthenticated)
    }

    /// Checks a code from the authenticator app and completes sign-in. A code is accepted once only.
    pub async fn verify_totp(
        &self,
        s: &SessionInfo,
        code: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        let secret = users::totp_secret(self.store.cipher(), &user)?.filter(|_| user.totp_enabled);
        let Some(secret) = secret else {
            return Err(Error::invalid(
                "code",
                "two-step sign-in is not set up for this account",
            ));
        };
        let step =
            totp_for(secret, &user.email, &self.config.totp_issuer)?.check_current(code.trim());
        let step = step.filter(|st| user.totp_last_step.is_none_or(|last| (*st as i64) > last));
        let tx = match step {
            Some(step) => {
                let tx = self.store.begin().await?;
                // The check above read a snapshot; only the conditional update decides, so one code signs in
                // once even when it is sent on several connections at the same moment.
                if users::accept_totp_step(tx.conn(), s.user_id, step as i64).await? {
                    Some(tx)
                } else {
                    tx.rollback().await?;
                    None
                }
            }
            None => None,
        };
        let Some(tx) = tx else {
            self.record_failure(&user, "auth.mfa", request_id).await?;
            return Err(Error::invalid(
                "code",
                "that code is not right, or was already used; wait for the next one",
            ));
        };
        sessions::mark_mfa_passed(tx.conn(), &s.id_hash).await?;
        tx.audit(
            AuditEvent::new(&Actor::staff(s.user_id, vec![]), "auth.mfa", "session")
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a new TOTP secret for the signed-in (or half-signed-in, first-time) user.
    pub async fn begin_totp_enrolment(
        &self,
        s: &SessionInfo,
        ctx_request: Option<&str>,
    ) -> Result<TotpEnrolment> {
        // With a second factor in place (an authenticator or a passkey), a new authenticator needs a fully
        // signed-in session and the password again: the password alone must not add a factor of its own.
        if (s.totp_enabled || s.passkey_offered) && !s.mfa_passed {
            return Err(Error::Unauthenticated);
        }
        if s.totp_enabled && !self.recently_reauthenticated(s).await? {
            return Err(Error::Forbidden(
                "confirm your password before setting up a new authenticator".into(),
            ));
        }
        let mut secret = vec![0u8; 20];
        rand::fill(&mut secret[..]);
        let totp = totp_for(secret.clone(), &s.email, &self.config.totp_issuer)?;
        let tx = self.store.begin().await?;
        users::set_totp_pending(&tx, s.user_id, &secret).await?;
        tx.audit(
            AuditEvent::new(
                &Actor::staff(s.user_id, vec![]),
                "auth.mfa.enrol.start",
                "user",
            )
            .resource(s.user_id)
            .request(ctx_request),
        )
        .await?;
        tx.commit().await?;
        Ok(TotpEnrolment {
            secret_base32: totp_rs::Secret::from(secret).to_base32(),
            otpauth_url: totp
                .to_url()
                .map_err(|e| Error::internal(format!("{e:?}")))?,
        })
    }

    /// The secret of an enrolment in progress, to show it again (e.g. after a mistyped code). Replacing an
    /// authenticator that is on needs a fully signed-in session: a password alone never sees or confirms one.
    pub async fn pending_totp(&self, s: &SessionInfo) -> Result<Option<TotpEnrolment>> {
        let user = self.user_of(s).await?;
        if !s.mfa_passed && (user.totp_enabled || self.has_passkey(s.user_id).await?) {
            return Ok(None);
        }
        let Some(secret) = users::totp_pending(self.store.cipher(), &user)? else {
            return Ok(None);
        };
        let totp = totp_for(secret.clone(), &user.email, &self.config.totp_issuer)?;
        Ok(Some(TotpEnrolment {
            secret_base32: totp_rs::Secret::from(secret).to_base32(),
            otpauth_url: totp
                .to_url()
                .map_err(|e| Error::internal(format!("{e:?}")))?,
        }))
    }

    /// Confirms the authenticator being set up with its first code; until then the current one (if any) stays.
    pub async fn confirm_totp_enrolment(
        &self,
        s: &SessionInfo,
        code: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        if !s.mfa_passed && (user.totp_enabled || self.has_passkey(s.user_id).await?) {
            return Err(Error::Unauthenticated);
        }
        let Some(secret) = users::totp_pending(self.store.cipher(), &user)? else {
            return Err(Error::invalid(
                "code",
                "start the set-up again: no authenticator is being set up",
            ));
        };
        let Some(step) = totp_for(secret.clone(), &user.email, &self.config.totp_issuer)?
            .check_current(code.trim())
        else {
            self.record_failure(&user, "auth.mfa.enrol", request_id)
                .await?;
            return Err(Error::invalid(
                "code",
                "that code is not right; check the time on your phone and try the next code",
            ));
        };
        let tx = self.store.begin().await?;
        if !users::confirm_totp_pending(&tx, &user, &secret, step as i64).await? {
            tx.rollback().await?;
            return Err(Error::invalid(
                "code",
                "start the set-up again: this authenticator was already confirmed or replaced",
            ));
        }
        sessions::mark_mfa_passed(tx.conn(), &s.id_hash).await?;
        tx.audit(
            AuditEvent::new(&Actor::staff(s.user_id, vec![]), "auth.mfa.enrol", "user")
                .resource(s.user_id)
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn recently_reauthenticated(&self, s: &SessionInfo) -> Result<bool> {
        let Some(sess) =
            sessions::get(self.store.unaudited(Unaudited::Credentials), &s.id_hash).await?
        else {
            return Ok(false);
        };
        let window = chrono::Duration::from_std(self.config.reauth_window).unwrap_or_default();
        Ok(sess
            .reauth_at
            .is_some_and(|t: DateTime<Utc>| now_utc() - t < window))
    }

    /// Re-enter the password before a sensitive change (new authenticator).
    pub async fn reauthenticate(
        &self,
        s: &SessionInfo,
        password: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        if !verify_password(password, &user.password_hash).await {
            self.record_failure(&user, "auth.reauth", request_id)
                .await?;
            return Err(Error::invalid("password", "that password is not right"));
        }
        sessions::mark_reauthenticated(self.store.unaudited(Unaudited::Credentials), &s.id_hash)
            .await?;
        Ok(())
    }

    pub async fn logout(&self, s: &SessionInfo, request_id: Option<&str>) -> Result<()> {
        let tx = self.store.begin().await?;
        sessions::delete(tx.conn(), &s.id_hash).await?;
        tx.audit(
            AuditEvent::new(&Actor::staff(s.user_id, vec![]), "auth.logout", "session")
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the password after checking the current one (the re-authentication); ends all other sessions.
    pub async fn change_password(
        &self,
        s: &SessionInfo,
        current: &str,
        new: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        if !s.mfa_passed {
            return Err(Error::Unauthenticated);
        }
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        if !verify_password(current, &user.password_hash).await {
            self.record_failure(&user, "auth.password.change", request_id)
                .await?;
            return Err(Error::invalid(
                "current_password",
                "that is not your current password",
            ));
        }
        rapport_domain::password::check_new(new, &[&user.email, &user.display_name])?;
        if new == current {
            return Err(Error::invalid(
                "password",
                "choose a password different from the current one",
            ));
        }
        let hash = hash_password(new).await?;
        let tx = self.store.begin().await?;
        users::patch(
            tx.conn(),
            s.user_id,
            UserPatch {
                password_hash: Some(hash),
                must_change_password: Some(false),
                ..Default::default()
            },
        )
        .await?;
        sessions::delete_for_user(tx.conn(), s.user_id, Some(&s.id_hash)).await?;
        // Whoever knew the old password may have made tokens with it; the new password starts clean.
        tokens::revoke_all_for_user(tx.conn(), s.user_id).await?;
        tx.audit(
            AuditEvent::new(
                &Actor::staff(s.user_id, vec![]),
                "auth.password.change",
                "user",
            )
            .resource(s.user_id)
            .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a personal API token (`Authorization: Bearer rpt_…`) to its owner's current rights.
    pub async fn api_token_actor(&self, raw: &str) -> Result<Option<Actor>> {
        let db = self.store.unaudited(Unaudited::Credentials);
        let Some(t) = tokens::by_hash(db, &sha256_hex(raw)).await? else {
            return Ok(None);
        };
        if tokens::expires_at(&t) <= now_utc() {
            return Ok(None);
        }
        // A token stands for its account as it is now: a disabled account, or one whose password an
        // administrator reset (it must be changed at the next sign-in), has no working token.
        let Some(user) = users::by_id(db, UserId(t.user_id))
            .await?
            .filter(|u| !u.disabled && !u.must_change_password)
        else {
            return Ok(None);
        };
        if t.last_used_at
            .is_none_or(|at| now_utc() - at > chrono::Duration::seconds(60))
        {
            tokens::touch(db, t.id).await?;
        }
        Ok(Some(Actor::staff(UserId(user.id), users::roles(&user))))
    }

    /// Deletes expired sessions (and passkey ceremonies past their time); run periodically by the server.
    pub async fn sweep_sessions(&self) -> Result<u64> {
        let now = now_utc();
        let idle = chrono::Duration::from_std(self.config.idle_timeout).unwrap_or_default();
        let absolute = chrono::Duration::from_std(self.config.absolute_timeout).unwrap_or_default();
        rapport_store::passkeys::sweep_ceremonies(self.store.unaudited(Unaudited::Worker)).await?;
        Ok(sessions::delete_expired(
            self.store.unaudited(Unaudited::Worker),
            now - idle,
            now - absolute,
        )
        .await?)
    }

    /// For the web edge: the context of a fully signed-in session.
    pub fn ctx_for(&self, s: &SessionInfo, request_id: Option<String>) -> Option<Ctx> {
        s.actor().map(|a| Ctx::new(a, request_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(5, 5), ChronoDuration::minutes(1));
        assert_eq!(backoff(6, 5), ChronoDuration::minutes(2));
        assert_eq!(backoff(50, 5), ChronoDuration::minutes(60));
    }

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery staple")
            .await
            .unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &h).await);
        assert!(!verify_password("wrong", &h).await);
    }
}
