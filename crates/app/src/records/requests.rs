//! Record requests (right of access): logged by the front desk or the care team with the date received, who asked
//! and in what capacity, the format and delivery wanted; due within the practice's period (30 days by default);
//! answered once by a clinician on the care team, either fulfilled (which produces the record document, audited as
//! a disclosure in the client's access log) or denied with a sealed reason. Before it is due, the care team may
//! extend it once by up to 30 days with the reasons to tell the requester (HIPAA 45 CFR 164.524(b)(2)(iii)).

use super::{ClientRecord, Purpose};
use crate::notes::{Names, Person};
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, ClientScope, Resource, authorize, client_scope};
use rapport_domain::records::{
    self, Capacity, DEFAULT_DUE_DAYS, Delivery, RequestFormat, RequestStatus,
};
use rapport_domain::{ClientId, Error, Result, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::record_requests::{self as repo, RecordRequest};
use rapport_store::{Tx, care, now_utc, resources};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const DUE_DAYS_SETTING: &str = "records.request_due_days";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The day the request reached the practice (YYYY-MM-DD); today when left out.
    #[serde(default)]
    pub received_on: Option<String>,
    pub capacity: String,
    /// Who asked, when not the client themself.
    #[serde(default)]
    pub requester: Option<String>,
    pub format: String,
    pub delivery: String,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestQuery {
    /// `open` (the default) or `all`.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordRequestView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub client_name: String,
    pub received_on: NaiveDate,
    pub capacity: Capacity,
    pub capacity_label: &'static str,
    pub requester: Option<String>,
    pub format: RequestFormat,
    pub format_label: &'static str,
    pub delivery: Delivery,
    pub delivery_label: &'static str,
    pub notes: Option<String>,
    pub due_on: NaiveDate,
    pub status: RequestStatus,
    pub status_label: &'static str,
    pub overdue: bool,
    /// Days until the due date (negative once overdue); for open requests only.
    pub days_left: Option<i64>,
    pub logged_by: Person,
    pub logged_at: DateTime<Utc>,
    pub decided_by: Option<Person>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Only for those who may read the client's clinical record: the grounds can be clinical.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denial_reason: Option<String>,
    /// Whether the caller may fulfil or deny it (for buttons; the use cases check again).
    pub can_answer: bool,
    /// HIPAA's one extension, once given: by whom, when, and the reasons the requester is told (so shown to
    /// everyone who may read the request; the due date above is already the new one).
    pub extended_by: Option<Person>,
    pub extended_at: Option<DateTime<Utc>>,
    pub extension_reason: Option<String>,
    /// Whether the caller may extend it now: open, not extended before, not yet overdue.
    pub can_extend: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    /// 1 to 30 days added to the due date.
    pub days: i64,
    /// The reasons for the delay, which the requester must be told in writing.
    pub reason: String,
}

/// A fulfilled request and the record it produced.
#[derive(Debug, Clone, Serialize)]
pub struct Fulfilled {
    pub request: RecordRequestView,
    pub record: ClientRecord,
}

/// A request as logged, once every field is valid.
struct Valid {
    received_on: NaiveDate,
    capacity: Capacity,
    requester: Option<String>,
    format: RequestFormat,
    delivery: Delivery,
    notes: Option<String>,
}

fn validated(input: &RequestInput, today: NaiveDate) -> Result<Valid> {
    let mut p = Problems::new();
    let received = match input
        .received_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => p.take(records::received_on(raw, today)),
        None => Some(today),
    };
    let capacity = p.take(Capacity::parse(&input.capacity));
    let requester = p
        .take(validate::optional_line(
            "requester",
            input.requester.as_deref().unwrap_or(""),
            200,
        ))
        .flatten();
    if capacity.is_some_and(|c| c != Capacity::Client) && requester.is_none() {
        p.add(
            "requester",
            "name the guardian or representative who asked for the record",
        );
    }
    let format = p.take(RequestFormat::parse(&input.format));
    let delivery = p.take(Delivery::parse(&input.delivery));
    let notes = p
        .take(validate::optional_text(
            "notes",
            input.notes.as_deref().unwrap_or(""),
            2000,
        ))
        .flatten();
    p.finish()?;
    match (received, capacity, format, delivery) {
        (Some(received_on), Some(capacity), Some(format), Some(delivery)) => Ok(Valid {
            received_on,
            capacity,
            requester,
            format,
            delivery,
            notes,
        }),
        _ => Err(Error::internal("validation passed without values")),
    }
}

/// Two requests for the demo practice's register: one received a few days ago, one overdue.
pub(crate) async fn seed_demo(
    tx: &Tx<'_>,
    clients: &[ClientId],
    by: rapport_domain::UserId,
    today: NaiveDate,
) -> Result<()> {
    let asks = [
        (3, Capacity::Client, None, Delivery::Email),
        (
            40,
            Capacity::Guardian,
            Some("A. Parent (demo)"),
            Delivery::Post,
        ),
    ];
    for (client, (ago, capacity, requester, delivery)) in clients.iter().zip(asks) {
        let received_on = today - chrono::Duration::days(ago);
        repo::insert(
            tx,
            &RecordRequest {
                id: Uuid::now_v7(),
                client_id: *client,
                received_on,
                capacity,
                requester: requester.map(str::to_string),
                format: RequestFormat::Electronic,
                delivery,
                notes: None,
                due_on: records::due_on(received_on, DEFAULT_DUE_DAYS),
                status: RequestStatus::Open,
                logged_by: by,
                logged_at: now_utc(),
                decided_by: None,
                decided_at: None,
                denial_reason: None,
                version: 1,
                extended_by: None,
                extended_at: None,
                extension_reason: None,
            },
        )
        .await?;
    }
    Ok(())
}

impl App {
    /// How many days the practice takes to answer a record request.
    pub async fn record_request_days(&self) -> Result<u32> {
        Ok(resources::setting(
            self.store.unaudited(Unaudited::Configuration),
            DUE_DAYS_SETTING,
        )
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_DUE_DAYS))
    }

    /// Sets the period (1 to 30 days) for requests logged from now on; an administrator's setting.
    pub async fn set_record_request_days(&self, ctx: &Ctx, days: i64) -> Result<()> {
        let days = records::due_days(days)?;
        let tx = self.store.begin().await?;
        let ev = || AuditEvent::new(&ctx.actor, "settings.record_requests", "settings");
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::PracticeSettings, ev())
            .await?;
        resources::set_setting(tx.conn(), DUE_DAYS_SETTING, &days.to_string()).await?;
        tx.audit(ev().request(ctx.rid()).detail(format!("{days} days")))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn request_view(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        r: RecordRequest,
        names: &mut Names,
    ) -> Result<RecordRequestView> {
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, r.client_id).await?,
            None => Default::default(),
        };
        let clinical =
            authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed();
        let can_answer = r.status == RequestStatus::Open
            && authorize(&ctx.actor, Action::Update, Resource::RecordRequest(rel)).is_allowed();
        let today = crate::today();
        let can_extend = can_answer
            && r.extended_at.is_none()
            && !records::is_overdue(r.status, r.due_on, today);
        let client_name = rapport_store::clients::get(tx.conn(), r.client_id)
            .await?
            .map(|c| c.preferred_name.unwrap_or(c.legal_name))
            .unwrap_or_default();
        Ok(RecordRequestView {
            id: r.id,
            client_id: r.client_id,
            client_name,
            received_on: r.received_on,
            capacity: r.capacity,
            capacity_label: r.capacity.label(),
            requester: r.requester,
            format: r.format,
            format_label: r.format.label(),
            delivery: r.delivery,
            delivery_label: r.delivery.label(),
            notes: r.notes,
            due_on: r.due_on,
            status: r.status,
            status_label: r.status.label(),
            overdue: records::is_overdue(r.status, r.due_on, today),
            days_left: (r.status == RequestStatus::Open).then(|| (r.due_on - today).num_days()),
            logged_by: names.person(tx, r.logged_by).await?,
            logged_at: r.logged_at,
            decided_by: match r.decided_by {
                Some(u) => Some(names.person(tx, u).await?),
                None => None,
            },
            decided_at: r.decided_at,
            denial_reason: r.denial_reason.filter(|_| clinical),
            can_answer,
            extended_by: match r.extended_by {
                Some(u) => Some(names.person(tx, u).await?),
                None => None,
            },
            extended_at: r.extended_at,
            extension_reason: r.extension_reason,
            can_extend,
        })
    }

    /// Logs a request for one client's record; it is due `record_request_days` after it was received.
    pub async fn log_record_request(
        &self,
        ctx: &Ctx,
        client: ClientId,
        input: RequestInput,
    ) -> Result<RecordRequestView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let Valid {
            received_on,
            capacity,
            requester,
            format,
            delivery,
            notes,
        } = validated(&input, crate::today())?;
        let days = self.record_request_days().await?;
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "record_request.create", "client")
                .resource(client)
                .client(client.0)
        };
        if rapport_store::clients::get(tx.conn(), client)
            .await?
            .is_none()
        {
            return self.hidden(tx, ctx, ev()).await;
        }
        let rel = care::relation(tx.conn(), me, client).await?;
        let tx = self
            .guard(tx, ctx, Action::Create, Resource::RecordRequest(rel), ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        let r = RecordRequest {
            id: Uuid::now_v7(),
            client_id: client,
            received_on,
            capacity,
            requester,
            format,
            delivery,
            notes,
            due_on: records::due_on(received_on, days),
            status: RequestStatus::Open,
            logged_by: me,
            logged_at: now_utc(),
            decided_by: None,
            decided_at: None,
            denial_reason: None,
            version: 1,
            extended_by: None,
            extended_at: None,
            extension_reason: None,
        };
        repo::insert(&tx, &r).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "record_request.create", "record_request")
                .resource(r.id)
                .client(client.0)
                .request(ctx.rid())
                .detail(format!(
                    "from {} ({}, {}), received {}, due {}",
                    capacity.as_str(),
                    format.as_str(),
                    delivery.as_str(),
                    received_on,
                    r.due_on
                )),
        )
        .await?;
        let view = self
            .request_view(&tx, ctx, r, &mut Names::default())
            .await?;
        self.commit_once(tx, ctx, view).await
    }

    /// The register: open requests (or all), earliest due first, so the overdue ones lead. The front desk and
    /// administrators see every client's; clinicians those of their care teams (and their supervisees').
    pub async fn record_requests(
        &self,
        ctx: &Ctx,
        q: &RequestQuery,
    ) -> Result<Vec<RecordRequestView>> {
        let open_only = match q.status.as_deref().map(str::trim) {
            None | Some("") | Some("open") => true,
            Some("all") => false,
            Some(_) => return Err(Error::invalid("status", "use open or all")),
        };
        let tx = self.store.begin_read().await?;
        let ev = || AuditEvent::new(&ctx.actor, "record_request.list", "record_request");
        let tx = self
            .guard(tx, ctx, Action::List, Resource::RecordRequests, ev())
            .await?;
        let scope = match (client_scope(&ctx.actor), ctx.actor.user_id()) {
            (ClientScope::All, _) => None,
            (
                ClientScope::CareTeam {
                    include_supervisees,
                },
                Some(me),
            ) => Some(care::clients_in_scope(tx.conn(), me, include_supervisees).await?),
            _ => Some(Default::default()),
        };
        let mut names = Names::default();
        let mut out = Vec::new();
        for r in repo::list(&tx, open_only, scope.as_ref()).await? {
            out.push(self.request_view(&tx, ctx, r, &mut names).await?);
        }
        // Overdue first, then by due date (the query's order).
        out.sort_by_key(|r| !r.overdue);
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} requests", out.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Loads a request and asks the policy about `action` on it; an unknown one is "not found".
    async fn request_for<'s>(
        &'s self,
        tx: Tx<'s>,
        ctx: &Ctx,
        id: Uuid,
        action: Action,
        audit_action: &'static str,
    ) -> Result<(Tx<'s>, RecordRequest)> {
        let ev = || AuditEvent::new(&ctx.actor, audit_action, "record_request").resource(id);
        let Some(r) = repo::get(&tx, id).await? else {
            return self.hidden(tx, ctx, ev()).await;
        };
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(tx.conn(), me, r.client_id).await?,
            None => Default::default(),
        };
        let tx = self
            .guard(
                tx,
                ctx,
                action,
                Resource::RecordRequest(rel),
                ev().client(r.client_id.0),
            )
            .await?;
        Ok((tx, r))
    }

    pub async fn record_request(&self, ctx: &Ctx, id: Uuid) -> Result<RecordRequestView> {
        let tx = self.store.begin_read().await?;
        let (tx, r) = self
            .request_for(tx, ctx, id, Action::Read, "record_request.read")
            .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "record_request.read", "record_request")
                .resource(id)
                .client(r.client_id.0)
                .request(ctx.rid()),
        )
        .await?;
        let view = self
            .request_view(&tx, ctx, r, &mut Names::default())
            .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Answers a request with the client's record (psychotherapy notes excluded, as in every export). The request
    /// records who fulfilled it and when; the one audit entry is the disclosure in the client's access log.
    pub async fn fulfil_record_request(&self, ctx: &Ctx, id: Uuid) -> Result<Fulfilled> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let tx = self.store.begin().await?;
        let (tx, r) = self
            .request_for(tx, ctx, id, Action::Update, "record_request.fulfil")
            .await?;
        let client = rapport_store::clients::get(tx.conn(), r.client_id)
            .await?
            .ok_or(Error::NotFound)?;
        let now = now_utc();
        repo::decide(&tx, id, RequestStatus::Fulfilled, me, now, None).await?;
        let maker = self.maker(&tx, ctx).await?;
        let record = self
            .client_record(
                &tx,
                ctx,
                client,
                Purpose::RecordRequest { request_id: id },
                maker,
            )
            .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "record_request.fulfil", "record_request")
                .resource(id)
                .client(r.client_id.0)
                .request(ctx.rid())
                .detail(format!(
                    "disclosure of the record to the {} ({}, {}): {}",
                    r.capacity.label().to_lowercase(),
                    r.format.as_str(),
                    r.delivery.as_str(),
                    record.sections()
                )),
        )
        .await?;
        let decided = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let request = self
            .request_view(&tx, ctx, decided, &mut Names::default())
            .await?;
        tx.commit().await?;
        Ok(Fulfilled { request, record })
    }

    /// Denies a request with a reason (sealed; e.g. the grounds of 45 CFR 164.524(a)(2)–(3)).
    pub async fn deny_record_request(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: &str,
    ) -> Result<RecordRequestView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let reason = validate::optional_text("reason", reason, 2000)?
            .ok_or_else(|| Error::invalid("reason", "give the reason for the denial"))?;
        let tx = self.store.begin().await?;
        let (tx, r) = self
            .request_for(tx, ctx, id, Action::Update, "record_request.deny")
            .await?;
        repo::decide(&tx, id, RequestStatus::Denied, me, now_utc(), Some(&reason)).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "record_request.deny", "record_request")
                .resource(id)
                .client(r.client_id.0)
                .request(ctx.rid()),
        )
        .await?;
        let decided = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let view = self
            .request_view(&tx, ctx, decided, &mut Names::default())
            .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Extends an open request once, before it is due, by 1 to 30 days, with the reasons the requester must be
    /// told in writing (45 CFR 164.524(b)(2)(iii)). Only those who may answer the request may extend it.
    pub async fn extend_record_request(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: &ExtendInput,
    ) -> Result<RecordRequestView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let reason = validate::optional_text("reason", &input.reason, 2000)?.ok_or_else(|| {
            Error::invalid(
                "reason",
                "give the reasons for the delay: the requester must be told them in writing",
            )
        })?;
        let tx = self.store.begin().await?;
        let (tx, r) = self
            .request_for(tx, ctx, id, Action::Update, "record_request.extend")
            .await?;
        let due = records::extended_due(
            r.status,
            r.due_on,
            r.extended_at.is_some(),
            input.days,
            crate::today(),
        )?;
        repo::extend(&tx, id, due, me, now_utc(), &reason).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "record_request.extend", "record_request")
                .resource(id)
                .client(r.client_id.0)
                .request(ctx.rid())
                .detail(format!("due {} instead of {}", due, r.due_on)),
        )
        .await?;
        let extended = repo::get(&tx, id).await?.ok_or(Error::NotFound)?;
        let view = self
            .request_view(&tx, ctx, extended, &mut Names::default())
            .await?;
        tx.commit().await?;
        Ok(view)
    }
}
