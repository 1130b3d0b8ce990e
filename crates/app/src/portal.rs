//! The client portal: the practice invites a client (or a minor's parent or guardian) by e-mail, the invitee sets
//! a password, signs in, and reads their own coming appointments and their own record.
//!
//! The record a portal account reads is the very document a record request yields (`records::client_record`):
//! psychotherapy notes are never part of it, drafts are left out, and group sessions come through the member's
//! own view, so other members' names are redacted. There is no separate "portal projection" to keep in step.
//!
//! Portal sessions live in their own table and cookie, and a portal actor (`Actor::Portal`) holds no staff role,
//! so nothing a portal account does can reach a staff page or the API. Clients sign in with a password only;
//! a second factor for clients (e-mailed code or authenticator) is a later step.

use crate::auth::hash_password;
use crate::records::{ClientRecord, Maker, Purpose};
use crate::scheduling::OwnAppointments;
use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx, today};
use chrono::{DateTime, Duration, Utc};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, ClientRelation, Resource};
use rapport_domain::portal::{Capacity, PortalRelation};
use rapport_domain::validate::{self, Email};
use rapport_domain::{Actor, ClientId, Error, PortalAccountId, Result};
use rapport_store::Unaudited;
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::outbox::{self, NewMessage};
use rapport_store::portal::{self as repo, Account};
use rapport_store::{Tx, care, clients, now_utc, resources, users};
use serde::Serialize;
use uuid::Uuid;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

const SHOW_RECORD_SETTING: &str = "portal.show_record";

/// The practice's portal settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSettings {
    /// Whether clients (and guardians of minors) read their record in the portal. On by default, as the right of
    /// access and the US information-blocking rule expect; a practice that prefers to release records on request,
    /// after a clinician has considered each one, turns it off.
    pub show_record: bool,
}

/// What the front desk or care team types to invite someone.
#[derive(Debug, Clone, Default)]
pub struct InviteInput {
    /// "client" or "guardian".
    pub capacity: String,
    pub email: String,
    pub name: String,
}

/// One account's access to this client, as staff see it on the client's page.
#[derive(Debug, Clone, Serialize)]
pub struct AccessView {
    pub grant_id: Uuid,
    pub name: String,
    pub email: String,
    pub capacity: Capacity,
    pub granted_at: DateTime<Utc>,
    pub granted_by: String,
    /// "Invited", "Active", "Revoked" or "Ended: the client is an adult".
    pub status: &'static str,
    pub revocable: bool,
}

/// Whom a signed-in portal account may act for.
#[derive(Debug, Clone, Serialize)]
pub struct PortalPerson {
    pub client_id: ClientId,
    pub name: String,
    pub capacity: Capacity,
}

/// A portal account's page about one client: who, and the coming appointments.
#[derive(Debug, Clone, Serialize)]
pub struct PortalClient {
    pub person: PortalPerson,
    pub appointments: OwnAppointments,
    /// Whether the practice shows the record in the portal (else the page says how to ask for a copy).
    pub record_shown: bool,
    /// The safety plan written with the care team, always at hand (whatever the record setting).
    pub safety_plan: Option<rapport_domain::safety::SafetyPlan>,
}

/// A live portal session, as the web edge needs it.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub id_hash: String,
    pub account: PortalAccountId,
    pub display_name: String,
    pub csrf_token: String,
}

impl PortalSession {
    pub fn ctx(&self, request_id: Option<String>) -> Ctx {
        Ctx::new(
            Actor::Portal {
                account: self.account,
            },
            request_id,
        )
    }
}

/// What the welcome page shows before the invitee chooses a password.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub email: String,
    pub display_name: String,
    pub expires_at: DateTime<Utc>,
    /// The zone of the first client the account was granted (the person it was made for), for the expiry.
    pub time_zone: String,
}

fn account_of(ctx: &Ctx) -> Result<PortalAccountId> {
    match ctx.actor {
        Actor::Portal { account } => Ok(account),
        _ => Err(Error::NotFound),
    }
}

fn client_name(c: &clients::Client) -> String {
    c.preferred_name
        .clone()
        .unwrap_or_else(|| c.legal_name.clone())
}

impl App {
    fn portal_url(&self, path: &str) -> String {
        format!("{}{path}", self.config.public_url.trim_end_matches('/'))
    }

    async fn staff_relation(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<ClientRelation> {
        Ok(match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, client).await?,
            None => ClientRelation::default(),
        })
    }

    /// Who has (or had) portal access to this client's record.
    pub async fn portal_access(&self, ctx: &Ctx, client: ClientId) -> Result<Vec<AccessView>> {
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "portal.access.list", "client")
                .resource(client)
                .client(client.0)
        };
        let Some(c) = clients::get(tx.conn(), client).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = self.staff_relation(&tx, ctx, client).await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::PortalAccess(rel), ev())
            .await?;
        let minor = rapport_domain::client::is_minor(c.date_of_birth, today());
        let mut out = Vec::new();
        for (g, a) in repo::grants_of_client(tx.conn(), client).await? {
            let status = if g.revoked_at.is_some() {
                "Revoked"
            } else if g.capacity == Capacity::Guardian && !minor {
                "Ended: the client is an adult"
            } else if a.activated_at.is_none() {
                "Invited"
            } else {
                "Active"
            };
            out.push(AccessView {
                grant_id: g.id,
                name: a.display_name,
                email: a.email,
                capacity: g.capacity,
                granted_at: g.granted_at,
                granted_by: users::by_id(tx.conn(), g.granted_by)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_default(),
                status,
                revocable: g.revoked_at.is_none(),
            });
        }
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Gives an account (made if the address is new) access to this client's portal and e-mails the invitation:
    /// a one-time link to choose a password, or, for an account that already has one, word that it can now act
    /// for one more person. The e-mail names no client: whoever reads the recipient's mailbox learns only that
    /// they use this practice's portal.
    pub async fn invite_to_portal(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: InviteInput,
    ) -> Result<AccessView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "portal.invite", "client")
                .resource(client)
                .client(client.0)
        };
        let Some(c) = clients::get(tx.conn(), client).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = self.staff_relation(&tx, ctx, client).await?;
        let tx = self
            .guard(tx, ctx, Action::Create, Resource::PortalAccess(rel), ev())
            .await?;
        let mut p = Problems::new();
        let capacity = p.take(Capacity::parse(&input.capacity));
        let email = p.take(Email::parse(&input.email));
        let name = p.take(validate::required_line("name", &input.name, 200));
        if let Some(cap) = capacity {
            p.take(cap.check_for(c.date_of_birth, today()));
        }
        p.finish()?;
        let (Some(capacity), Some(email), Some(name)) = (capacity, email, name) else {
            return Err(Error::internal("validated invitation lost a field"));
        };
        let account = match repo::account_by_email(tx.conn(), email.as_str()).await? {
            Some(a) if a.disabled => {
                return Err(Error::invalid(
                    "email",
                    "the portal account with this address is disabled",
                ));
            }
            Some(a) => a,
            None => repo::create_account(tx.conn(), email.as_str(), &name).await?,
        };
        let id = PortalAccountId(account.id);
        if let Some(g) = repo::grant_for(tx.conn(), id, client).await?
            && g.capacity == capacity
            && account.activated_at.is_some()
        {
            return Err(Error::Conflict(
                "this person already has portal access to this record".into(),
            ));
        }
        let g = repo::grant_access(tx.conn(), id, client, capacity, me).await?;
        let practice = resources::practice_name(tx.conn()).await?;
        let (subject, body, key) = if account.activated_at.is_some() {
            (
                format!("{practice}: more in your client portal"),
                format!(
                    "Hello {name},\n\n{practice} has given your portal account access to one more record. Sign in to see it:\n{}\n\n{practice}\n",
                    self.portal_url("/portal/login"),
                    name = account.display_name
                ),
                format!("portal-grant:{}", g.id),
            )
        } else {
            let token = secrets::token();
            let expires = now_utc() + Duration::days(INVITATION_DAYS);
            repo::create_invitation(tx.conn(), id, &sha256_hex(&token), me, expires).await?;
            (
                format!("{practice}: your invitation to the client portal"),
                format!(
                    "Hello {name},\n\n{practice} invites you to its client portal, where you can see appointments and records.\nChoose your password within {INVITATION_DAYS} days with this link (it works once):\n{}\n\nIf you did not expect this message, you can ignore it.\n\n{practice}\n",
                    self.portal_url(&format!("/portal/welcome/{token}")),
                    name = account.display_name
                ),
                format!("portal-invite:{}", sha256_hex(&token)),
            )
        };
        outbox::enqueue(
            &tx,
            NewMessage {
                dedupe_key: key,
                kind: "portal_invitation",
                appointment_id: None,
                recipient: account.email.clone(),
                subject,
                body,
                due_at: now_utc(),
            },
        )
        .await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} access for portal account {}",
            capacity.as_str(),
            account.id
        )))
        .await?;
        let who = users::by_id(tx.conn(), me).await?.map(|u| u.display_name);
        tx.commit().await?;
        Ok(AccessView {
            grant_id: g.id,
            name: account.display_name,
            email: account.email,
            capacity,
            granted_at: g.granted_at,
            granted_by: who.unwrap_or_default(),
            status: if account.activated_at.is_some() {
                "Active"
            } else {
                "Invited"
            },
            revocable: true,
        })
    }

    /// Ends one account's portal access to this client (its sessions end at their next request for this client).
    pub async fn revoke_portal_access(
        &self,
        ctx: &Ctx,
        client: ClientId,
        grant: Uuid,
    ) -> Result<()> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "portal.revoke", "client")
                .resource(client)
                .client(client.0)
        };
        if clients::get(tx.conn(), client).await?.is_none() {
            return self.hidden(tx, ctx, ev()).await;
        }
        let rel = self.staff_relation(&tx, ctx, client).await?;
        let tx = self
            .guard(tx, ctx, Action::Delete, Resource::PortalAccess(rel), ev())
            .await?;
        if !repo::revoke(tx.conn(), client, grant, me).await? {
            return Err(Error::NotFound);
        }
        tx.audit(ev().request(ctx.rid()).detail(format!("grant {grant}")))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The invitation behind a welcome link, while it can still be accepted.
    pub async fn portal_invitation(&self, token: &str) -> Result<Invitation> {
        let db = self.store.unaudited(Unaudited::Credentials);
        let inv = repo::live_invitation(db, &sha256_hex(token))
            .await?
            .ok_or(Error::NotFound)?;
        let a = repo::account(db, PortalAccountId(inv.account_id))
            .await?
            .filter(|a| !a.disabled)
            .ok_or(Error::NotFound)?;
        let first = repo::grants_of_account(db, PortalAccountId(a.id))
            .await?
            .into_iter()
            .next();
        let time_zone = match first {
            Some(g) => rapport_store::clients::get(db, g.client_id)
                .await?
                .map(|c| c.time_zone),
            None => None,
        };
        let time_zone = match time_zone {
            Some(z) => z,
            None => self.practice_zone().await?,
        };
        Ok(Invitation {
            email: a.email,
            display_name: a.display_name,
            expires_at: inv.expires_at,
            time_zone,
        })
    }

    /// Accepts an invitation: sets the password (the same rules as staff passwords), uses the link up, ends any
    /// older session of the account and signs the invitee in. Returns the new session's token.
    pub async fn accept_portal_invitation(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
        request_id: Option<&str>,
    ) -> Result<String> {
        let invitation = self.portal_invitation(token).await?;
        if password != confirm {
            return Err(Error::invalid(
                "confirm",
                "the two passwords are not the same",
            ));
        }
        rapport_domain::password::check_new(
            password,
            &[invitation.email.as_str(), invitation.display_name.as_str()],
        )?;
        let hash = hash_password(password).await?;
        let tx = self.store.begin().await?;
        let inv = repo::live_invitation(tx.conn(), &sha256_hex(token))
            .await?
            .ok_or(Error::NotFound)?;
        let account = repo::account(tx.conn(), PortalAccountId(inv.account_id))
            .await?
            .ok_or(Error::NotFound)?;
        if !repo::consume_invitation(tx.conn(), inv.id).await? {
            return Err(Error::NotFound);
        }
        let id = PortalAccountId(account.id);
        repo::set_password(tx.conn(), &account, &hash).await?;
        repo::delete_sessions_of(tx.conn(), id).await?;
        let session = secrets::token();
        repo::create_session(tx.conn(), &sha256_hex(&session), id, &secrets::token()).await?;
        tx.audit(
            AuditEvent::new(
                &Actor::Portal { account: id },
                "portal.activate",
                "portal_account",
            )
            .resource(id)
            .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Signs a portal account in with e-mail and password; returns the session token. Failures lock the account
    /// with the same growing back-off as staff accounts, and an unknown address costs the same hashing time.
    pub async fn portal_login(
        &self,
        email: &str,
        password: &str,
        request_id: Option<&str>,
    ) -> Result<String> {
        let refused =
            || AuditEvent::anonymous("portal.login", "portal_session").outcome(Outcome::Denied);
        let db = self.store.unaudited(Unaudited::Credentials);
        let account = match Email::parse(email) {
            Ok(e) => repo::account_by_email(db, e.as_str()).await?,
            Err(_) => None,
        };
        let Some((account, hash)) = account
            .filter(|a| !a.disabled)
            .and_then(|a| a.password_hash.clone().map(|h| (a, h)))
        else {
            let _ = hash_password(password).await;
            self.store
                .audit_alone(refused().request(request_id))
                .await?;
            return Err(Error::Unauthenticated);
        };
        let id = PortalAccountId(account.id);
        let actor = Actor::Portal { account: id };
        if let Some(until) = account.locked_until
            && until > now_utc()
        {
            return Err(Error::RateLimited {
                retry_after_secs: (until - now_utc()).num_seconds().max(1) as u64,
            });
        }
        if !crate::auth::verify_password(password, &hash).await {
            let tx = self.store.begin().await?;
            let failures = repo::count_failure(tx.conn(), id).await?;
            let locked_until = (failures >= self.config.lockout_after)
                .then(|| now_utc() + crate::auth::backoff(failures, self.config.lockout_after));
            repo::set_failures(tx.conn(), id, failures, locked_until).await?;
            let mut ev = AuditEvent::new(&actor, "portal.login", "portal_session")
                .outcome(Outcome::Denied)
                .request(request_id);
            if locked_until.is_some() {
                ev = ev.detail(format!("account locked after {failures} failures"));
            }
            tx.audit(ev).await?;
            tx.commit().await?;
            return Err(Error::Unauthenticated);
        }
        let token = secrets::token();
        let tx = self.store.begin().await?;
        repo::set_failures(tx.conn(), id, 0, None).await?;
        repo::create_session(tx.conn(), &sha256_hex(&token), id, &secrets::token()).await?;
        tx.audit(AuditEvent::new(&actor, "portal.login", "portal_session").request(request_id))
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Resolves a portal session cookie, ending it if it has been idle or alive too long (the staff limits).
    pub async fn portal_session(&self, token: &str) -> Result<Option<PortalSession>> {
        let db = self.store.unaudited(Unaudited::Credentials);
        let id_hash = sha256_hex(token);
        let Some(s) = repo::session(db, &id_hash).await? else {
            return Ok(None);
        };
        let now = now_utc();
        let idle = Duration::from_std(self.config.idle_timeout).unwrap_or_default();
        let absolute = Duration::from_std(self.config.absolute_timeout).unwrap_or_default();
        let account = repo::account(db, PortalAccountId(s.account_id))
            .await?
            .filter(|a: &Account| !a.disabled);
        let Some(account) =
            account.filter(|_| now - s.last_seen_at <= idle && now - s.created_at <= absolute)
        else {
            repo::delete_session(db, &id_hash).await?;
            return Ok(None);
        };
        if now - s.last_seen_at > Duration::seconds(60) {
            repo::touch_session(db, &id_hash, now).await?;
        }
        Ok(Some(PortalSession {
            id_hash,
            account: PortalAccountId(account.id),
            display_name: account.display_name,
            csrf_token: s.csrf_token,
        }))
    }

    pub async fn portal_logout(&self, s: &PortalSession, request_id: Option<&str>) -> Result<()> {
        let tx = self.store.begin().await?;
        repo::delete_session(tx.conn(), &s.id_hash).await?;
        tx.audit(
            AuditEvent::new(&s.ctx(None).actor, "portal.logout", "portal_session")
                .request(request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The people this account may act for today (a guardian's access to a client who has come of age is left
    /// out). Audited as one look at the list.
    pub async fn portal_people(&self, ctx: &Ctx) -> Result<Vec<PortalPerson>> {
        let account = account_of(ctx)?;
        let tx = self.store.begin_read().await?;
        let mut out = Vec::new();
        for g in repo::grants_of_account(tx.conn(), account).await? {
            let Some(c) = clients::get(tx.conn(), g.client_id).await? else {
                continue;
            };
            let rel = PortalRelation::of(Some(g.capacity), c.date_of_birth, today());
            if rapport_domain::policy::authorize(&ctx.actor, Action::List, Resource::OwnRecord(rel))
                .is_allowed()
            {
                out.push(PortalPerson {
                    client_id: c.id,
                    name: client_name(&c),
                    capacity: g.capacity,
                });
            }
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, "portal.people", "portal_account")
                .resource(account)
                .request(ctx.rid())
                .detail(format!("{} people", out.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Opens one client for a portal account, as `guard` does: a client it holds no grant in force for does not
    /// exist for it, and the refusal is audited.
    async fn guard_own<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        client: ClientId,
        event: AuditEvent,
        document: Option<bool>,
    ) -> Result<(Tx<'s>, clients::Client, Capacity)> {
        let account = account_of(ctx)?;
        let c = clients::get(tx.conn(), client).await?;
        let grant = repo::grant_for(tx.conn(), account, client).await?;
        let rel = match &c {
            Some(c) => {
                PortalRelation::of(grant.as_ref().map(|g| g.capacity), c.date_of_birth, today())
            }
            None => PortalRelation::default(),
        };
        let resource = match document {
            Some(practice_shares) => Resource::OwnRecordDocument {
                rel,
                practice_shares,
            },
            None => Resource::OwnRecord(rel),
        };
        let tx = self.guard(tx, ctx, Action::Read, resource, event).await?;
        match (c, grant) {
            (Some(c), Some(g)) => Ok((tx, c, g.capacity)),
            _ => Err(Error::NotFound),
        }
    }

    /// One person's page in the portal: their coming appointments, on their own clock.
    pub async fn portal_client(&self, ctx: &Ctx, client: ClientId) -> Result<PortalClient> {
        let tx = self.store.begin_read().await?;
        let ev = || AuditEvent::new(&ctx.actor, "portal.appointments", "client").client(client.0);
        let (tx, c, capacity) = self.guard_own(tx, ctx, client, ev(), None).await?;
        let appointments = self.own_appointments(&tx, &c).await?;
        let record_shown = portal_settings(&tx).await?.show_record;
        let safety_plan = Some(crate::safety::read(&tx, c.id).await?)
            .filter(|s| s.exists())
            .map(|s| s.plan);
        tx.audit(ev().resource(client).request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(PortalClient {
            person: PortalPerson {
                client_id: c.id,
                name: client_name(&c),
                capacity,
            },
            appointments,
            record_shown,
            safety_plan,
        })
    }

    /// Cancels one of the person's coming appointments, outside the late-cancellation window (inside it, the
    /// answer asks them to call), as the booking link does: reminders withdrawn, the time offered to the waitlist.
    pub async fn portal_cancel(
        &self,
        ctx: &Ctx,
        client: ClientId,
        appointment: Uuid,
    ) -> Result<()> {
        let account = account_of(ctx)?;
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "portal.cancel", "appointment")
                .resource(appointment)
                .client(client.0)
        };
        let rel = match clients::get(tx.conn(), client).await? {
            Some(c) => PortalRelation::of(
                repo::grant_for(tx.conn(), account, client)
                    .await?
                    .map(|g| g.capacity),
                c.date_of_birth,
                today(),
            ),
            None => PortalRelation::default(),
        };
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::OwnAppointment(rel), ev())
            .await?;
        let (before, changed) = self
            .cancel_own(
                &tx,
                client,
                appointment,
                "cancelled by the client in the portal",
            )
            .await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} -> {}",
            before.as_str(),
            changed.status.as_str()
        )))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The client's record as the portal shows it: the same document a record request yields (psychotherapy
    /// notes and drafts never included, other group members redacted). Audited as a disclosure to the account.
    pub async fn portal_record(&self, ctx: &Ctx, client: ClientId) -> Result<ClientRecord> {
        let account = account_of(ctx)?;
        let tx = self.store.begin_read().await?;
        let ev = || AuditEvent::new(&ctx.actor, "portal.record", "client").client(client.0);
        let shares = portal_settings(&tx).await?.show_record;
        let (tx, c, capacity) = self.guard_own(tx, ctx, client, ev(), Some(shares)).await?;
        let reader = repo::account(tx.conn(), account)
            .await?
            .ok_or(Error::NotFound)?;
        let record = self
            .client_record(
                &tx,
                ctx,
                c,
                Purpose::Portal { capacity },
                Maker {
                    id: reader.id,
                    name: reader.display_name,
                },
            )
            .await?;
        tx.audit(ev().resource(client).request(ctx.rid()).detail(format!(
            "read in the portal as {}: {}",
            capacity.as_str(),
            record.sections()
        )))
        .await?;
        tx.commit().await?;
        Ok(record)
    }
}

async fn portal_settings(tx: &Tx<'_>) -> Result<PortalSettings> {
    Ok(PortalSettings {
        show_record: resources::setting(tx.conn(), SHOW_RECORD_SETTING)
            .await?
            .is_none_or(|v| v != "false"),
    })
}

impl App {
    /// The practice's portal settings.
    pub async fn portal_settings(&self) -> Result<PortalSettings> {
        let tx = self.store.begin_read().await?;
        let s = portal_settings(&tx).await?;
        tx.rollback().await?;
        Ok(s)
    }

    /// Sets whether the portal shows clients their record (administrators).
    pub async fn set_portal_settings(&self, ctx: &Ctx, s: PortalSettings) -> Result<()> {
        let ev = || AuditEvent::new(&ctx.actor, "settings.portal", "settings");
        let tx = self.store.begin().await?;
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::PracticeSettings, ev())
            .await?;
        resources::set_setting(tx.conn(), SHOW_RECORD_SETTING, &s.show_record.to_string()).await?;
        tx.audit(ev().request(ctx.rid()).detail(if s.show_record {
            "the portal shows clients their record"
        } else {
            "the portal does not show the record"
        }))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Demo portal accounts, already active with the demo password: the first adult client's own, and a parent's for
/// the first minor. Returns (e-mail, who) lines for the start-up listing.
pub(crate) async fn seed_demo(
    tx: &Tx<'_>,
    password_hash: &str,
    by: rapport_domain::UserId,
    adult: Option<ClientId>,
    child: Option<ClientId>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (client, capacity, email) in [
        (adult, Capacity::Client, "client.portal@demo.rapport.test"),
        (child, Capacity::Guardian, "parent.portal@demo.rapport.test"),
    ] {
        let Some(client) = client else { continue };
        let Some(c) = clients::get(tx.conn(), client).await? else {
            continue;
        };
        let name = match capacity {
            Capacity::Client => client_name(&c),
            Capacity::Guardian => c
                .guardians
                .first()
                .map(|g| g.name.clone())
                .unwrap_or_else(|| "Parent".into()),
        };
        let account = repo::create_account(tx.conn(), email, &name).await?;
        repo::set_password(tx.conn(), &account, password_hash).await?;
        repo::grant_access(tx.conn(), PortalAccountId(account.id), client, capacity, by).await?;
        out.push((
            email.to_string(),
            format!(
                "client portal: {} of {}",
                capacity.label().to_lowercase(),
                client_name(&c)
            ),
        ));
    }
    Ok(out)
}
