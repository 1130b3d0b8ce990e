//! Client use cases: register, read (demographics always, clinical text only for the care team), update with
//! optimistic versioning, search within the caller's scope, care-team assignment and episodes of care.

use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::client::{self, ClientStatus, Contact};
use rapport_domain::error::Problems;
use rapport_domain::policy::{
    Action, ClientRelation, ClientRights, Resource, authorize, client_scope,
};
use rapport_domain::validate;
use rapport_domain::{ClientId, Error, Result, UserId};
use rapport_store::audit::AuditEvent;
use rapport_store::clients::{self as repo, Client, Clinical};
use rapport_store::{Tx, care, now_utc, users};

pub use crate::episodes::{EpisodeInput, EpisodeView};
use serde::{Deserialize, Serialize};

/// What a form or API request submits for a client. Clinical fields are `None` when not submitted (left as they
/// are), `Some("")` to clear.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub legal_name: String,
    #[serde(default)]
    pub preferred_name: Option<String>,
    #[serde(default)]
    pub pronouns: Option<String>,
    pub date_of_birth: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub time_zone: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub emergency_contacts: Vec<Contact>,
    #[serde(default)]
    pub guardians: Vec<Contact>,
    #[serde(default)]
    pub presenting_problem: Option<String>,
    #[serde(default)]
    pub clinical_notes: Option<String>,
}

impl ClientInput {
    fn has_clinical(&self) -> bool {
        self.presenting_problem.is_some() || self.clinical_notes.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClinicalView {
    pub presenting_problem: Option<String>,
    pub clinical_notes: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamMember {
    pub user_id: UserId,
    pub display_name: String,
    pub team_role: String,
}

/// A couple or family this client belongs to. Other members are not named: each member's record stands alone.
#[derive(Debug, Clone, Serialize)]
pub struct UnitMembership {
    pub unit_id: uuid::Uuid,
    pub kind: String,
    /// "Couple" or "Family", for pages.
    pub kind_label: &'static str,
    pub label: String,
    pub member_role: String,
    /// The client has left the unit.
    pub left: bool,
    /// The unit's joint work has ended.
    pub ended: bool,
}

/// A therapy group this client is (or was) on the roster of.
#[derive(Debug, Clone, Serialize)]
pub struct GroupMembership {
    pub group_id: uuid::Uuid,
    pub name: String,
    pub kind: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    pub id: ClientId,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub date_of_birth: NaiveDate,
    pub age: u32,
    pub is_minor: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    pub status: ClientStatus,
    pub emergency_contacts: Vec<Contact>,
    pub guardians: Vec<Contact>,
    /// Present only for those allowed to read clinical content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical: Option<ClinicalView>,
    pub care_team: Vec<TeamMember>,
    pub units: Vec<UnitMembership>,
    pub groups: Vec<GroupMembership>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// What the caller may do with this client (the policy's answers for the relation found in the read); left
    /// out when it is nothing, as in an exported record.
    #[serde(skip_serializing_if = "ClientRights::is_nothing")]
    pub rights: ClientRights,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientSummary {
    pub id: ClientId,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub is_minor: bool,
    pub status: ClientStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientPage {
    pub items: Vec<ClientSummary>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

pub(crate) const CLINICAL_TEXT_MAX: usize = 20_000;

fn today() -> NaiveDate {
    now_utc().date_naive()
}

pub(crate) fn summary(c: Client) -> ClientSummary {
    ClientSummary {
        id: c.id,
        is_minor: client::is_minor(c.date_of_birth, today()),
        legal_name: c.legal_name,
        preferred_name: c.preferred_name,
        date_of_birth: c.date_of_birth,
        status: c.status,
    }
}

/// Validates a submission into a client record (keeping id, timestamps and version from `base`), collecting every
/// problem at once.
fn validated(input: &ClientInput, base: Option<&Client>) -> Result<(Client, Option<Clinical>)> {
    let mut p = Problems::new();
    let legal_name = p.take(validate::required_line(
        "legal_name",
        &input.legal_name,
        200,
    ));
    let preferred_name = p.take(validate::optional_line(
        "preferred_name",
        input.preferred_name.as_deref().unwrap_or(""),
        200,
    ));
    let pronouns = p.take(validate::optional_line(
        "pronouns",
        input.pronouns.as_deref().unwrap_or(""),
        50,
    ));
    let dob = p.take(validate::date_of_birth(&input.date_of_birth, today()));
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => p.take(validate::Email::parse(e).map(|e| Some(e.to_string()))),
        None => Some(None),
    };
    let phone = p.take(validate::optional_phone(
        "phone",
        input.phone.as_deref().unwrap_or(""),
    ));
    let tz = p.take(validate::time_zone("time_zone", &input.time_zone));
    let status = match &input.status {
        Some(s) if !s.trim().is_empty() => p.take(ClientStatus::parse(s)),
        _ => Some(base.map(|b| b.status).unwrap_or(ClientStatus::Inquiry)),
    };
    let mut contacts = |list: &[Contact], name: &str| -> Vec<Contact> {
        list.iter()
            .enumerate()
            .filter_map(|(i, c)| p.take(c.clone().validated(&format!("{name}[{i}]"))))
            .collect()
    };
    let emergency_contacts = contacts(&input.emergency_contacts, "emergency_contacts");
    let guardians = contacts(&input.guardians, "guardians");
    if let Some(d) = dob
        && client::is_minor(d, today())
        && input.guardians.is_empty()
    {
        p.add(
            "guardians",
            "this client is a minor: add at least one parent or guardian",
        );
    }
    let clinical = if input.has_clinical() {
        let pp = p.take(validate::optional_text(
            "presenting_problem",
            input.presenting_problem.as_deref().unwrap_or(""),
            CLINICAL_TEXT_MAX,
        ));
        let notes = p.take(validate::optional_text(
            "clinical_notes",
            input.clinical_notes.as_deref().unwrap_or(""),
            CLINICAL_TEXT_MAX,
        ));
        Some(Clinical {
            presenting_problem: pp.flatten(),
            clinical_notes: notes.flatten(),
        })
    } else {
        None
    };
    p.finish()?;
    let (
        Some(legal_name),
        Some(preferred_name),
        Some(pronouns),
        Some(dob),
        Some(email),
        Some(phone),
        Some(tz),
        Some(status),
    ) = (
        legal_name,
        preferred_name,
        pronouns,
        dob,
        email,
        phone,
        tz,
        status,
    )
    else {
        return Err(Error::internal("validation passed without values"));
    };
    let now = now_utc();
    Ok((
        Client {
            id: base.map(|b| b.id).unwrap_or_default(),
            legal_name,
            preferred_name,
            pronouns,
            date_of_birth: dob,
            email,
            phone,
            time_zone: tz.name().to_string(),
            status,
            emergency_contacts,
            guardians,
            created_at: base.map(|b| b.created_at).unwrap_or(now),
            updated_at: now,
            version: base.map(|b| b.version).unwrap_or(1),
        },
        clinical,
    ))
}

type Memberships = (
    Vec<rapport_store::groups::UnitRef>,
    Vec<rapport_store::groups::GroupRef>,
);

pub(crate) fn view(
    c: Client,
    clinical: Option<Clinical>,
    team: Vec<care::Member>,
    memberships: Memberships,
    rights: ClientRights,
) -> ClientView {
    let t = today();
    ClientView {
        rights,
        id: c.id,
        age: client::age_on(c.date_of_birth, t),
        is_minor: client::is_minor(c.date_of_birth, t),
        legal_name: c.legal_name,
        preferred_name: c.preferred_name,
        pronouns: c.pronouns,
        date_of_birth: c.date_of_birth,
        email: c.email,
        phone: c.phone,
        time_zone: c.time_zone,
        status: c.status,
        emergency_contacts: c.emergency_contacts,
        guardians: c.guardians,
        clinical: clinical.map(|c| ClinicalView {
            presenting_problem: c.presenting_problem,
            clinical_notes: c.clinical_notes,
        }),
        care_team: team
            .into_iter()
            .map(|m| TeamMember {
                user_id: m.user_id,
                display_name: m.display_name,
                team_role: m.team_role,
            })
            .collect(),
        units: memberships
            .0
            .into_iter()
            .map(|u| UnitMembership {
                unit_id: u.id,
                kind_label: rapport_domain::group::UnitKind::parse(&u.kind)
                    .map(|k| k.label())
                    .unwrap_or("Unit"),
                kind: u.kind,
                label: u.label,
                member_role: u.member_role,
                left: u.left,
                ended: u.ended,
            })
            .collect(),
        groups: memberships
            .1
            .into_iter()
            .map(|g| GroupMembership {
                group_id: g.id,
                name: g.name,
                kind: g.kind,
                joined_on: g.joined_on,
                left_on: g.left_on,
            })
            .collect(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        version: c.version,
    }
}

impl App {
    pub(crate) async fn relation(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        client: ClientId,
    ) -> Result<ClientRelation> {
        match ctx.actor.user_id() {
            Some(me) => Ok(care::relation(tx.conn(), me, client).await?),
            None => Ok(ClientRelation::default()),
        }
    }

    pub async fn create_client(&self, ctx: &Ctx, input: ClientInput) -> Result<ClientView> {
        let (client, clinical) = validated(&input, None)?;
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::ClientDirectory,
                AuditEvent::new(&ctx.actor, "client.create", "client"),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        // A clinician who registers a client becomes their primary clinician; anyone else leaves the care team to
        // be assigned, and so may not write clinical text.
        let joins_team = ctx.actor.has(rapport_domain::Role::Clinician);
        let rel = ClientRelation {
            on_care_team: joins_team,
            supervises_care_team_member: false,
            emergency_access: false,
        };
        if clinical.is_some()
            && !authorize(&ctx.actor, Action::Create, Resource::ClientClinical(rel)).is_allowed()
        {
            return Err(Error::Forbidden(
                "clinical fields can be filled in only by the client's care team".into(),
            ));
        }
        repo::insert(&tx, &client, &clinical.clone().unwrap_or_default()).await?;
        if let (true, Some(me)) = (joins_team, ctx.actor.user_id()) {
            care::add(tx.conn(), client.id, me, "primary").await?;
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, "client.create", "client")
                .resource(client.id)
                .client(client.id.0)
                .request(ctx.rid()),
        )
        .await?;
        let team = care::members(tx.conn(), client.id).await?;
        let rights = ClientRights::of(
            &ctx.actor,
            ClientRelation {
                on_care_team: joins_team,
                ..ClientRelation::default()
            },
        );
        let out = view(
            client,
            clinical.filter(|_| joins_team),
            team,
            Default::default(),
            rights,
        );
        self.commit_once(tx, ctx, out).await
    }

    /// Reads one client; clinical text is included only when the policy allows it, and the read is audited.
    pub async fn get_client(&self, ctx: &Ctx, id: ClientId) -> Result<ClientView> {
        let tx = self.store.begin_read().await?;
        let (tx, view) = self.read_client(tx, ctx, id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// `get_client` inside the caller's transaction: authorised and audited, not committed (the client file reads
    /// the client and one section of the record in one transaction).
    pub(crate) async fn read_client<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        id: ClientId,
    ) -> Result<(Tx<'s>, ClientView)> {
        let client = repo::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, id).await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Read,
                Resource::ClientDemographics(rel),
                AuditEvent::new(&ctx.actor, "client.read", "client")
                    .resource(id)
                    .client(id.0),
            )
            .await?;
        let clinical_allowed =
            authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed();
        let clinical = if clinical_allowed {
            repo::clinical(&tx, id).await?
        } else {
            None
        };
        let team = care::members(tx.conn(), id).await?;
        let memberships = rapport_store::groups::memberships(tx.conn(), tx.cipher(), id).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "client.read", "client")
                .resource(id)
                .client(id.0)
                .request(ctx.rid())
                .detail(if clinical_allowed {
                    "demographics and clinical"
                } else {
                    "demographics"
                }),
        )
        .await?;
        let v = view(
            client,
            clinical,
            team,
            memberships,
            ClientRights::of(&ctx.actor, rel),
        );
        Ok((tx, v))
    }

    /// Updates a client if `expected_version` is still current. Clinical fields need the care team's rights.
    pub async fn update_client(
        &self,
        ctx: &Ctx,
        id: ClientId,
        expected_version: i32,
        input: ClientInput,
    ) -> Result<ClientView> {
        let tx = self.store.begin().await?;
        let current = repo::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, id).await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "client.update", "client")
                .resource(id)
                .client(id.0)
        };
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::ClientDemographics(rel),
                ev(),
            )
            .await?;
        let tx = if input.has_clinical() {
            self.guard(
                tx,
                ctx,
                Action::Update,
                Resource::ClientClinical(rel),
                ev().detail("clinical"),
            )
            .await?
        } else {
            tx
        };
        let mut base = current.clone();
        base.version = expected_version;
        let (mut client, clinical) = validated(&input, Some(&base))?;
        client.version = repo::update(&tx, &client, clinical.as_ref()).await?;
        let detail = if clinical.is_some() {
            "demographics and clinical"
        } else {
            "demographics"
        };
        tx.audit(ev().request(ctx.rid()).detail(detail)).await?;
        let clinical_allowed =
            authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed();
        let clinical = if clinical_allowed {
            repo::clinical(&tx, id).await?
        } else {
            None
        };
        let team = care::members(tx.conn(), id).await?;
        let memberships = rapport_store::groups::memberships(tx.conn(), tx.cipher(), id).await?;
        tx.commit().await?;
        Ok(view(
            client,
            clinical,
            team,
            memberships,
            ClientRights::of(&ctx.actor, rel),
        ))
    }

    /// Lists clients in the caller's scope (all for the front desk, own care teams for clinicians); `q` is part of a
    /// name, with a date of birth (YYYY-MM-DD) if typed.
    pub async fn search_clients(&self, ctx: &Ctx, q: &ClientQuery) -> Result<ClientPage> {
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(ClientStatus::parse(s)?),
            None => None,
        };
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let offset = q.offset.unwrap_or(0);
        let terms = match q.q.as_deref() {
            Some(t) => client::SearchTerms::parse(
                &validate::optional_line("q", t, 200)?.unwrap_or_default(),
            ),
            None => client::SearchTerms::default(),
        };
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::List,
                Resource::ClientDirectory,
                AuditEvent::new(&ctx.actor, "client.list", "client"),
            )
            .await?;
        let (items, total) = repo::search(
            tx.conn(),
            client_scope(&ctx.actor),
            ctx.actor.user_id(),
            &repo::Search {
                text: terms.name,
                born: terms.born,
                status,
                limit,
                offset,
            },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "client.list", "client")
                .request(ctx.rid())
                .detail(format!("{} of {} shown", items.len(), total)),
        )
        .await?;
        tx.commit().await?;
        Ok(ClientPage {
            items: items.into_iter().map(summary).collect(),
            total,
            limit,
            offset,
        })
    }

    pub async fn assign_care_team(
        &self,
        ctx: &Ctx,
        client: ClientId,
        user: UserId,
        team_role: &str,
    ) -> Result<()> {
        let team_role = match team_role.trim() {
            "" | "member" => "member",
            "primary" => "primary",
            _ => return Err(Error::invalid("team_role", "use primary or member")),
        };
        let tx = self.store.begin().await?;
        repo::get(tx.conn(), client).await?.ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, client).await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "care_team.add", "care_team")
                .resource(user)
                .client(client.0)
        };
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::CareTeam(rel), ev())
            .await?;
        let member = users::by_id(tx.conn(), user).await?.filter(|u| !u.disabled);
        let Some(member) = member else {
            return Err(Error::invalid(
                "user_id",
                "no active staff account has this id",
            ));
        };
        if !users::roles(&member).iter().any(|r| r.is_clinical()) {
            return Err(Error::invalid(
                "user_id",
                "only clinicians and supervisors can be on a care team",
            ));
        }
        care::add(tx.conn(), client, user, team_role).await?;
        tx.audit(ev().request(ctx.rid()).detail(team_role)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_from_care_team(
        &self,
        ctx: &Ctx,
        client: ClientId,
        user: UserId,
    ) -> Result<()> {
        let tx = self.store.begin().await?;
        repo::get(tx.conn(), client).await?.ok_or(Error::NotFound)?;
        let rel = self.relation(&tx, ctx, client).await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "care_team.remove", "care_team")
                .resource(user)
                .client(client.0)
        };
        let tx = self
            .guard(tx, ctx, Action::Delete, Resource::CareTeam(rel), ev())
            .await?;
        if !care::remove(tx.conn(), client, user).await? {
            return Err(Error::NotFound);
        }
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(())
    }
}
