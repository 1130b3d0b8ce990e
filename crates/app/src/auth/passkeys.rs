//! Passkeys (WebAuthn, through `webauthn-rs`) for staff: register one from the account page, use one as the second
//! step of sign-in beside (or instead of) the authenticator app's code, or alone (a discoverable passkey, which
//! verifies its user, is both factors at once), list and remove them.
//!
//! The relying party is the address people use (`public_url`): its host is the RP id the credentials are bound to,
//! its origin the only one whose answers are accepted, so behind a TLS proxy `--public-url` must name the outside
//! address. A ceremony's state never travels through the browser: it is sealed in `passkey_ceremonies`, bound to
//! the session that asked for the options, and taken once. Adding or removing a passkey needs the password again;
//! a failed passkey sign-in counts towards the account's lockout like a wrong code. A sign-in with the passkey alone
//! has no session yet: its ceremony is bound to a random one-time handle the browser holds (only its hash is kept).

use super::{LoginResult, NextStep, verify_password};
use crate::App;
use crate::auth::SessionInfo;
use crate::secrets::{self, sha256_hex};
use chrono::{DateTime, Utc};
use rapport_domain::{Actor, Error, Result, UserId};
use rapport_store::Unaudited;
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::passkeys::{self, NewPasskey};
use rapport_store::sessions;
use serde_json::Value;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

const REGISTER: &str = "register";
const AUTHENTICATE: &str = "authenticate";
const PASSWORDLESS: &str = "passwordless";
/// Passkeys one account may hold: enough for every device a person uses, few enough to list on one page.
const MAX_PER_ACCOUNT: usize = 20;

/// A registered passkey, as the account page lists it.
#[derive(Debug, Clone)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The relying party for this installation, or why there is none.
pub(crate) fn relying_party(public_url: &str, name: &str) -> Result<Webauthn> {
    let unusable = || {
        Error::invalid(
            "passkey",
            "passkeys need Rapport to be reached by a domain name (set --public-url, e.g. https://rapport.example.org)",
        )
    };
    let origin = Url::parse(public_url).map_err(|_| unusable())?;
    let host = origin.host_str().ok_or_else(unusable)?.to_string();
    WebauthnBuilder::new(&host, &origin)
        .and_then(|b| b.rp_name(name).build())
        .map_err(|_| unusable())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(Error::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(Error::internal)
}

fn credential_key(p: &Passkey) -> String {
    // The credential id as the browser names it (base64url without padding), for the unique column.
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode::<&[u8]>(p.cred_id().as_ref())
}

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "give the passkey a name of 1 to 100 characters (e.g. “work laptop”)",
        ));
    }
    Ok(name.to_string())
}

impl App {
    fn webauthn(&self) -> Result<Webauthn> {
        relying_party(&self.config.public_url, &self.config.totp_issuer)
    }

    /// Whether the account has a passkey to offer as its second factor.
    pub(crate) async fn has_passkey(&self, user: UserId) -> Result<bool> {
        Ok(passkeys::count_for_user(self.store.unaudited(Unaudited::Credentials), user).await? > 0)
    }

    /// The signed-in user's passkeys.
    pub async fn list_passkeys(&self, s: &SessionInfo) -> Result<Vec<PasskeyInfo>> {
        if s.actor().is_none() {
            return Err(Error::Unauthenticated);
        }
        Ok(
            passkeys::list_for_user(self.store.unaudited(Unaudited::Credentials), s.user_id)
                .await?
                .into_iter()
                .map(|p| PasskeyInfo {
                    id: p.id,
                    name: p.name,
                    created_at: p.created_at,
                    last_used_at: p.last_used_at,
                })
                .collect(),
        )
    }

    /// Checks the password again (a passkey is added or removed only by someone who knows it), counting a wrong
    /// one towards the lockout.
    async fn confirm_password(
        &self,
        s: &SessionInfo,
        password: &str,
        action: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        if s.actor().is_none() {
            return Err(Error::Unauthenticated);
        }
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        if !verify_password(password, &user.password_hash).await {
            self.record_failure(&user, action, request_id).await?;
            return Err(Error::invalid("password", "that password is not right"));
        }
        Ok(())
    }

    /// Step one of adding a passkey: after the password, the options for `navigator.credentials.create`
    /// (`{"publicKey": …}`); the challenge waits, sealed, for this session's answer.
    pub async fn passkey_registration_options(
        &self,
        s: &SessionInfo,
        password: &str,
        request_id: Option<&str>,
    ) -> Result<Value> {
        self.confirm_password(s, password, "auth.passkey.add", request_id)
            .await?;
        let webauthn = self.webauthn()?;
        let existing =
            passkeys::list_for_user(self.store.unaudited(Unaudited::Credentials), s.user_id)
                .await?;
        if existing.len() >= MAX_PER_ACCOUNT {
            return Err(Error::invalid(
                "passkey",
                "this account has as many passkeys as it may have; remove one first",
            ));
        }
        let mut exclude = Vec::with_capacity(existing.len());
        for row in &existing {
            let p: Passkey = from_json(passkeys::open(self.store.cipher(), row)?)?;
            exclude.push(p.cred_id().clone());
        }
        let (options, state) = webauthn
            .start_passkey_registration(s.user_id.0, &s.email, &s.display_name, Some(exclude))
            .map_err(|e| Error::internal(format!("passkey registration: {e}")))?;
        let mut options = to_json(&options)?;
        // Ask for a discoverable credential where the authenticator can make one, so the passkey can also sign in
        // alone; webauthn-rs asks for none, and accepts either kind at the finish.
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
            sel["residentKey"] = Value::from("preferred");
        }
        let tx = self.store.begin().await?;
        passkeys::put_ceremony(&tx, &s.id_hash, REGISTER, &to_json(&state)?).await?;
        tx.commit().await?;
        Ok(options)
    }

    /// Step two of adding a passkey: the browser's answer (`RegisterPublicKeyCredential` as JSON) to this
    /// session's challenge. Audited; a credential already registered to any account is refused.
    pub async fn finish_passkey_registration(
        &self,
        s: &SessionInfo,
        name: &str,
        credential: Value,
        request_id: Option<&str>,
    ) -> Result<PasskeyInfo> {
        if s.actor().is_none() {
            return Err(Error::Unauthenticated);
        }
        let name = check_name(name)?;
        let webauthn = self.webauthn()?;
        let actor = Actor::staff(s.user_id, vec![]);
        let refused = |detail: &str| {
            AuditEvent::new(&actor, "auth.passkey.add", "passkey")
                .outcome(Outcome::Denied)
                .request(request_id)
                .detail(detail.to_string())
        };
        let tx = self.store.begin().await?;
        let Some(state) = passkeys::take_ceremony(&tx, &s.id_hash, REGISTER).await? else {
            tx.audit(refused("no registration under way")).await?;
            tx.commit().await?;
            return Err(Error::invalid(
                "passkey",
                "start again: no passkey is being added in this session, or it took too long",
            ));
        };
        let state: PasskeyRegistration = from_json(state)?;
        let passkey = serde_json::from_value::<RegisterPublicKeyCredential>(credential)
            .ok()
            .and_then(|c| webauthn.finish_passkey_registration(&c, &state).ok());
        let Some(passkey) = passkey else {
            tx.audit(refused("the authenticator's answer did not verify"))
                .await?;
            tx.commit().await?;
            return Err(Error::invalid(
                "passkey",
                "the passkey could not be verified; try again",
            ));
        };
        let credential_id = credential_key(&passkey);
        if passkeys::credential_exists(tx.conn(), &credential_id).await? {
            tx.audit(refused("credential already registered")).await?;
            tx.commit().await?;
            return Err(Error::Conflict("this passkey is already registered".into()));
        }
        let id = Uuid::now_v7();
        passkeys::insert(
            &tx,
            NewPasskey {
                id,
                user: s.user_id,
                credential_id: &credential_id,
                name: &name,
                passkey: &to_json(&passkey)?,
            },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&actor, "auth.passkey.add", "passkey")
                .resource(id)
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(PasskeyInfo {
            id,
            name,
            created_at: rapport_store::now_utc(),
            last_used_at: None,
        })
    }

    /// Removes one of the signed-in user's passkeys, after the password. Another account's passkey is not found.
    pub async fn remove_passkey(
        &self,
        s: &SessionInfo,
        id: Uuid,
        password: &str,
        request_id: Option<&str>,
    ) -> Result<()> {
        self.confirm_password(s, password, "auth.passkey.remove", request_id)
            .await?;
        let actor = Actor::staff(s.user_id, vec![]);
        let tx = self.store.begin().await?;
        if !passkeys::delete(tx.conn(), s.user_id, id).await? {
            tx.audit(
                AuditEvent::new(&actor, "auth.passkey.remove", "passkey")
                    .resource(id)
                    .outcome(Outcome::Denied)
                    .request(request_id),
            )
            .await?;
            tx.commit().await?;
            return Err(Error::NotFound);
        }
        tx.audit(
            AuditEvent::new(&actor, "auth.passkey.remove", "passkey")
                .resource(id)
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Step one of the second factor by passkey, after the password: the options for `navigator.credentials.get`,
    /// listing this account's passkeys only.
    pub async fn passkey_sign_in_options(&self, s: &SessionInfo) -> Result<Value> {
        if s.mfa_passed {
            return Err(Error::invalid("passkey", "you are already signed in"));
        }
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        let rows = passkeys::list_for_user(self.store.unaudited(Unaudited::Credentials), s.user_id)
            .await?;
        if rows.is_empty() {
            return Err(Error::invalid(
                "passkey",
                "this account has no passkey; enter the code from your authenticator app",
            ));
        }
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            keys.push(from_json::<Passkey>(passkeys::open(
                self.store.cipher(),
                row,
            )?)?);
        }
        let (options, state) = self
            .webauthn()?
            .start_passkey_authentication(&keys)
            .map_err(|e| Error::internal(format!("passkey authentication: {e}")))?;
        let tx = self.store.begin().await?;
        passkeys::put_ceremony(&tx, &s.id_hash, AUTHENTICATE, &to_json(&state)?).await?;
        tx.commit().await?;
        to_json(&options)
    }

    /// Step two: the browser's answer (`PublicKeyCredential` as JSON). A passkey of this account that signs this
    /// session's challenge completes sign-in; anything else counts as a failed attempt.
    pub async fn finish_passkey_sign_in(
        &self,
        s: &SessionInfo,
        credential: Value,
        request_id: Option<&str>,
    ) -> Result<()> {
        if s.mfa_passed {
            return Err(Error::invalid("passkey", "you are already signed in"));
        }
        let user = self.user_of(s).await?;
        self.check_lock(&user)?;
        let webauthn = self.webauthn()?;
        let tx = self.store.begin().await?;
        let state = passkeys::take_ceremony(&tx, &s.id_hash, AUTHENTICATE).await?;
        let verified = match state {
            Some(state) => {
                let state: PasskeyAuthentication = from_json(state)?;
                serde_json::from_value::<PublicKeyCredential>(credential)
                    .ok()
                    .and_then(|c| webauthn.finish_passkey_authentication(&c, &state).ok())
            }
            None => None,
        };
        let mut used = None;
        if let Some(result) = &verified {
            for row in passkeys::list_for_user(tx.conn(), s.user_id).await? {
                let mut p: Passkey = from_json(passkeys::open(tx.cipher(), &row)?)?;
                if p.cred_id() == result.cred_id() {
                    p.update_credential(result);
                    used = Some((row.id, p));
                    break;
                }
            }
        }
        let Some((id, passkey)) = used else {
            // The challenge is spent either way (taken above): commit that, then count the failure.
            tx.commit().await?;
            self.record_failure(&user, "auth.passkey", request_id)
                .await?;
            return Err(Error::invalid(
                "passkey",
                "the passkey was not accepted; try again, or enter the code from your authenticator app",
            ));
        };
        passkeys::record_use(&tx, id, &to_json(&passkey)?).await?;
        rapport_store::users::patch(
            tx.conn(),
            s.user_id,
            rapport_store::users::UserPatch {
                failed_logins: Some(0),
                locked_until: Some(None),
                ..Default::default()
            },
        )
        .await?;
        sessions::mark_mfa_passed(tx.conn(), &s.id_hash).await?;
        tx.audit(
            AuditEvent::new(&Actor::staff(s.user_id, vec![]), "auth.passkey", "session")
                .resource(id)
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The options for a sign-in with a passkey alone, and the one-time handle its answer must come back with.
#[derive(Debug, Clone)]
pub struct PasswordlessStart {
    pub handle: String,
    pub options: Value,
}

impl App {
    /// Step one of signing in with a passkey alone: a challenge any of this installation's discoverable passkeys
    /// may answer. Its state is bound to a random handle, kept only as a hash.
    pub async fn passwordless_options(&self) -> Result<PasswordlessStart> {
        let (options, state) = self
            .webauthn()?
            .start_discoverable_authentication()
            .map_err(|e| Error::internal(format!("passkey authentication: {e}")))?;
        let mut options = to_json(&options)?;
        // webauthn-rs marks this for conditional mediation (autofill); the page asks from a button instead.
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
        let handle = secrets::token();
        let tx = self.store.begin().await?;
        passkeys::put_ceremony(&tx, &sha256_hex(&handle), PASSWORDLESS, &to_json(&state)?).await?;
        tx.commit().await?;
        Ok(PasswordlessStart { handle, options })
    }

    /// Step two: the browser's answer names the account (its user handle) and the passkey; a passkey of that
    /// account that signs the handle's challenge, with the user verified, opens a fully signed-in session.
    /// Anything else is refused, audited, and counted against the account it names, if any.
    pub async fn passwordless_sign_in(
        &self,
        handle: &str,
        credential: Value,
        request_id: Option<&str>,
    ) -> Result<LoginResult> {
        let webauthn = self.webauthn()?;
        let refused = || {
            Error::invalid(
                "passkey",
                "the passkey was not accepted; try again, or sign in with your password",
            )
        };
        let tx = self.store.begin().await?;
        let state = passkeys::take_ceremony(&tx, &sha256_hex(handle), PASSWORDLESS).await?;
        tx.commit().await?;
        let credential = serde_json::from_value::<PublicKeyCredential>(credential).ok();
        let user_id = credential
            .as_ref()
            .and_then(|c| webauthn.identify_discoverable_authentication(c).ok())
            .map(|(id, _)| UserId(id));
        let user = match user_id {
            Some(id) => {
                rapport_store::users::by_id(self.store.unaudited(Unaudited::Credentials), id)
                    .await?
                    .filter(|u| !u.disabled)
            }
            None => None,
        };
        let (Some(user), Some(credential), Some(state)) = (user, credential, state) else {
            self.store
                .audit_alone(
                    AuditEvent::anonymous("auth.passkey.sign_in", "session")
                        .outcome(Outcome::Denied)
                        .request(request_id),
                )
                .await?;
            return Err(refused());
        };
        self.check_lock(&user)?;
        let state: DiscoverableAuthentication = from_json(state)?;
        let mut used = None;
        for row in passkeys::list_for_user(
            self.store.unaudited(Unaudited::Credentials),
            UserId(user.id),
        )
        .await?
        {
            let p: Passkey = from_json(passkeys::open(self.store.cipher(), &row)?)?;
            if p.cred_id().as_slice() == credential.get_credential_id() {
                used = Some((row.id, p));
                break;
            }
        }
        let verified = used.and_then(|(id, mut p)| {
            let result = webauthn
                .finish_discoverable_authentication_v2(&credential, state, &p)
                .ok()?;
            p.update_credential(&result);
            Some((id, p))
        });
        let Some((id, passkey)) = verified else {
            self.record_failure(&user, "auth.passkey.sign_in", request_id)
                .await?;
            return Err(refused());
        };
        let token = secrets::token();
        let tx = self.store.begin().await?;
        passkeys::record_use(&tx, id, &to_json(&passkey)?).await?;
        rapport_store::users::patch(
            tx.conn(),
            UserId(user.id),
            rapport_store::users::UserPatch {
                failed_logins: Some(0),
                locked_until: Some(None),
                ..Default::default()
            },
        )
        .await?;
        sessions::create(
            tx.conn(),
            &sha256_hex(&token),
            UserId(user.id),
            true,
            &secrets::token(),
        )
        .await?;
        tx.audit(
            AuditEvent::new(
                &Actor::staff(UserId(user.id), vec![]),
                "auth.passkey.sign_in",
                "session",
            )
            .resource(id)
            .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginResult {
            token,
            next: NextStep::Done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_address() {
        assert!(relying_party("https://rapport.example.org", "Rapport").is_ok());
        assert!(relying_party("http://localhost:8080", "Rapport").is_ok());
        assert!(relying_party("not a url", "Rapport").is_err());
    }

    #[test]
    fn passkey_names_are_short_plain_text() {
        assert_eq!(
            check_name("  work laptop ").ok().as_deref(),
            Some("work laptop")
        );
        assert!(check_name("").is_err());
        assert!(check_name("a\u{7}b").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
    }
}
