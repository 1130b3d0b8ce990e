//! The waitlist: clients waiting for a time, and offers made automatically when a session is cancelled (shown to
//! staff, and e-mailed to the client when the practice allows it).
//!
//! An offer's state is worked out when the list is read, from the calendar as it is now, rather than stored: a
//! time offered to three people and then booked for one of them (or for anyone else) is "taken" for the other two
//! the moment the booking commits, with nothing on the booking path to keep in step.

use crate::{App, Ctx};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::waitlist::{FreedSlot, Preference, rank};
use rapport_domain::{ClientId, Error, Result, UserId, validate};
use rapport_store::audit::AuditEvent;
use rapport_store::outbox::{self, NewMessage};
use rapport_store::schedule::{self, Appointment};
use rapport_store::{Tx, clients, now_utc, resources, users, waitlist};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// How many waiting clients are offered each freed time.
const OFFERS_PER_SLOT: usize = 3;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitlistInput {
    pub client_id: ClientId,
    pub type_key: String,
    #[serde(default)]
    pub clinician_id: Option<UserId>,
    #[serde(default)]
    pub mode: Option<String>,
    /// Weekdays that suit ("Mon", "Tue", …); empty: any day.
    #[serde(default)]
    pub days: Vec<String>,
    /// Local times `HH:MM` in `time_zone` (default: the client's zone).
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// 0 (routine) to 3 (urgent).
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where an offered time stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Still free on the clinician's calendar.
    Open,
    /// Booked since, for this entry's client.
    BookedForClient,
    /// Booked since, for someone else: withdrawn.
    Taken,
    /// The time has passed.
    Past,
}

impl OfferStatus {
    pub fn key(self) -> &'static str {
        match self {
            OfferStatus::Open => "open",
            OfferStatus::BookedForClient => "booked_for_client",
            OfferStatus::Taken => "taken",
            OfferStatus::Past => "past",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OfferStatus::Open => "open",
            OfferStatus::BookedForClient => "booked for this client",
            OfferStatus::Taken => "taken by another booking",
            OfferStatus::Past => "past",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferView {
    pub clinician_id: UserId,
    pub clinician_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The start on the waiting client's wall clock (the entry's zone).
    pub start_local: chrono::NaiveDateTime,
    pub emailed: bool,
    pub status: OfferStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaitlistView {
    pub id: Uuid,
    pub client_id: ClientId,
    pub client_name: String,
    pub type_key: String,
    pub clinician_id: Option<UserId>,
    pub mode: Option<String>,
    pub days: Vec<Weekday>,
    pub earliest: Option<NaiveTime>,
    pub latest: Option<NaiveTime>,
    pub time_zone: String,
    pub priority: i32,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub offers: Vec<OfferView>,
}

fn time(field: &str, raw: Option<&str>) -> Result<Option<NaiveTime>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map(Some)
            .map_err(|_| Error::invalid(field, "use a time such as 09:30")),
        None => Ok(None),
    }
}

/// The appointments now holding each future offered time on its clinician's calendar, by offer id.
async fn offer_holders(
    tx: &Tx<'_>,
    offers: &[waitlist::Offer],
) -> Result<HashMap<Uuid, Vec<Appointment>>> {
    let now = now_utc();
    let mut out = HashMap::new();
    for o in offers.iter().filter(|o| o.end_at > now) {
        let window = Interval {
            start: o.start_at,
            end: o.end_at,
        };
        let filter = schedule::RangeFilter {
            clinicians: Some(vec![UserId(o.clinician_id)]),
            ..Default::default()
        };
        out.insert(o.id, schedule::in_range(tx.conn(), window, &filter).await?);
    }
    Ok(out)
}

fn offer_status(
    o: &waitlist::Offer,
    client: ClientId,
    now: DateTime<Utc>,
    holders: &HashMap<Uuid, Vec<Appointment>>,
) -> OfferStatus {
    if o.end_at <= now {
        return OfferStatus::Past;
    }
    match holders.get(&o.id).map(Vec::as_slice).unwrap_or_default() {
        [] => OfferStatus::Open,
        held if held.iter().any(|a| a.client_ids.contains(&client)) => OfferStatus::BookedForClient,
        _ => OfferStatus::Taken,
    }
}

impl App {
    pub async fn add_to_waitlist(&self, ctx: &Ctx, input: WaitlistInput) -> Result<Uuid> {
        let mut p = rapport_domain::error::Problems::new();
        let days: Vec<Weekday> = input
            .days
            .iter()
            .filter_map(|d| match d.parse::<Weekday>() {
                Ok(w) => Some(w),
                Err(_) => {
                    p.add(
                        "days",
                        format!("'{d}' is not a weekday such as Mon or Tuesday"),
                    );
                    None
                }
            })
            .collect();
        let earliest = p.take(time("earliest", input.earliest.as_deref()));
        let latest = p.take(time("latest", input.latest.as_deref()));
        let priority = input.priority.unwrap_or(0);
        if !(0..=3).contains(&priority) {
            p.add("priority", "use 0 (routine) to 3 (urgent)");
        }
        if let Some(m) = input.mode.as_deref() {
            p.take(rapport_domain::scheduling::appointment::Mode::parse(m));
        }
        let note = p.take(validate::optional_text(
            "note",
            input.note.as_deref().unwrap_or(""),
            2000,
        ));
        p.finish()?;
        let (Some(earliest), Some(latest), Some(note)) = (earliest, latest, note) else {
            return Err(Error::internal("validation passed without values"));
        };
        if let (Some(e), Some(l)) = (earliest, latest)
            && l <= e
        {
            return Err(Error::invalid(
                "latest",
                "the latest time must be after the earliest",
            ));
        }
        let tx = self.store.begin().await?;
        let ev =
            || AuditEvent::new(&ctx.actor, "waitlist.add", "waitlist").client(input.client_id.0);
        let tx = self
            .guard(tx, ctx, Action::Create, Resource::Waitlist, ev())
            .await?;
        self.once_check(&tx, ctx).await?;
        self.check_clients(tx.conn(), ctx, std::slice::from_ref(&input.client_id))
            .await
            .map_err(|e| match e {
                // Emergency access sees the client but enrols nobody: say so rather than "no such client".
                e @ Error::Forbidden(_) => e,
                e if e.is_server_fault() => e,
                _ => Error::invalid("client_id", "there is no client with this id"),
            })?;
        if resources::appointment_type(tx.conn(), input.type_key.trim())
            .await?
            .is_none()
        {
            return Err(Error::invalid(
                "type_key",
                format!("there is no appointment type '{}'", input.type_key.trim()),
            ));
        }
        let client = clients::get(tx.conn(), input.client_id)
            .await?
            .ok_or(Error::NotFound)?;
        let tz: Tz = match input.time_zone.as_deref() {
            Some(t) if !t.trim().is_empty() => validate::time_zone("time_zone", t)?,
            _ => client.time_zone.parse().unwrap_or(chrono_tz::UTC),
        };
        let pref = Preference {
            type_key: input.type_key.trim().to_string(),
            clinician: input.clinician_id,
            mode: input.mode.map(|m| m.trim().to_string()),
            days,
            earliest,
            latest,
            time_zone: tz,
            priority,
            since: now_utc(),
        };
        let id = waitlist::insert(
            &tx,
            input.client_id,
            &pref,
            note.as_deref(),
            ctx.actor.user_id().unwrap_or_default(),
        )
        .await?;
        tx.audit(ev().resource(id).request(ctx.rid())).await?;
        // The API answers `{"id": …}`; that is the answer a retry under the same key gets again.
        self.once_record(&tx, ctx, &serde_json::json!({ "id": id }))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The waitlist (waiting entries by default), most urgent first, limited to clients the caller may know.
    pub async fn waitlist(&self, ctx: &Ctx, status: Option<&str>) -> Result<Vec<WaitlistView>> {
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => Some("waiting"),
            Some("all") => None,
            Some(s @ ("waiting" | "booked" | "removed")) => Some(s),
            Some(_) => {
                return Err(Error::invalid(
                    "status",
                    "use waiting, booked, removed or all",
                ));
            }
        };
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::List,
                Resource::Waitlist,
                AuditEvent::new(&ctx.actor, "waitlist.list", "waitlist"),
            )
            .await?;
        let known = self.known_clients_for(&tx, ctx).await?;
        let entries: Vec<_> = waitlist::list(&tx, status, false)
            .await?
            .into_iter()
            .filter(|e| known.as_ref().is_none_or(|k| k.contains(&e.client_id)))
            .collect();
        let ids: Vec<ClientId> = entries.iter().map(|e| e.client_id).collect();
        let names = clients::names(tx.conn(), &ids).await?;
        let staff: HashMap<UserId, String> = users::list(tx.conn())
            .await?
            .into_iter()
            .map(|u| (UserId(u.id), u.display_name))
            .collect();
        let offers =
            waitlist::offers(tx.conn(), &entries.iter().map(|e| e.id).collect::<Vec<_>>()).await?;
        let holders = offer_holders(&tx, &offers).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "waitlist.list", "waitlist")
                .request(ctx.rid())
                .detail(format!("{} entries", entries.len())),
        )
        .await?;
        tx.commit().await?;
        let now = now_utc();
        Ok(entries
            .into_iter()
            .map(|e| WaitlistView {
                offers: offers
                    .iter()
                    .filter(|o| o.entry_id == e.id)
                    .map(|o| OfferView {
                        clinician_id: UserId(o.clinician_id),
                        clinician_name: staff
                            .get(&UserId(o.clinician_id))
                            .cloned()
                            .unwrap_or_default(),
                        start: o.start_at,
                        end: o.end_at,
                        start_local: o
                            .start_at
                            .with_timezone(&e.preference.time_zone)
                            .naive_local(),
                        emailed: o.emailed,
                        status: offer_status(o, e.client_id, now, &holders),
                    })
                    .collect(),
                id: e.id,
                client_name: names.get(&e.client_id).cloned().unwrap_or_default(),
                client_id: e.client_id,
                type_key: e.preference.type_key,
                clinician_id: e.preference.clinician,
                mode: e.preference.mode,
                days: e.preference.days,
                earliest: e.preference.earliest,
                latest: e.preference.latest,
                time_zone: e.preference.time_zone.name().to_string(),
                priority: e.preference.priority,
                status: e.status,
                created_at: e.created_at,
            })
            .collect())
    }

    pub async fn set_waitlist_status(&self, ctx: &Ctx, id: Uuid, status: &str) -> Result<()> {
        let status = match status.trim() {
            s @ ("waiting" | "booked" | "removed") => s,
            _ => return Err(Error::invalid("status", "use waiting, booked or removed")),
        };
        let tx = self.store.begin().await?;
        let e = waitlist::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "waitlist.status", "waitlist")
                .resource(id)
                .client(e.client_id.0)
        };
        let tx = self
            .guard(tx, ctx, Action::Update, Resource::Waitlist, ev())
            .await?;
        let known = self.known_clients_for(&tx, ctx).await?;
        if known.is_some_and(|k| !k.contains(&e.client_id)) {
            return self.hidden(tx, ctx, ev()).await;
        }
        waitlist::set_status(tx.conn(), id, status).await?;
        tx.audit(ev().request(ctx.rid()).detail(status)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_waitlist_emails(&self, ctx: &Ctx, email_offers: bool) -> Result<()> {
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::PracticeSettings,
                AuditEvent::new(&ctx.actor, "settings.waitlist", "settings"),
            )
            .await?;
        resources::set_setting(
            tx.conn(),
            "waitlist_email_offers",
            if email_offers { "true" } else { "false" },
        )
        .await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.waitlist", "settings")
                .request(ctx.rid())
                .detail(email_offers.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Offers a just-freed future session time to the best-fitting waiting clients.
    pub(crate) async fn offer_freed_time(&self, tx: &Tx<'_>, a: &Appointment) -> Result<()> {
        let now = now_utc();
        if a.session.start <= now {
            return Ok(());
        }
        let slot = FreedSlot {
            type_key: a.type_key.clone(),
            clinician: a.clinician_id,
            mode: a.mode.as_str().into(),
            session: a.session,
        };
        let entries = waitlist::list(tx, Some("waiting"), false).await?;
        let prefs: Vec<Preference> = entries.iter().map(|e| e.preference.clone()).collect();
        let email = resources::setting(tx.conn(), "waitlist_email_offers")
            .await?
            .as_deref()
            == Some("true");
        let practice = resources::practice_name(tx.conn()).await?;
        for i in rank(&prefs, &slot).into_iter().take(OFFERS_PER_SLOT) {
            let e = &entries[i];
            let mut emailed = false;
            if email
                && let Some(c) = clients::get(tx.conn(), e.client_id).await?
                && let Some(to) = c.email.clone()
            {
                let tz = e.preference.time_zone;
                let when = a
                    .session
                    .start
                    .with_timezone(&tz)
                    .format("%A %-d %B %Y at %H:%M")
                    .to_string();
                emailed = outbox::enqueue(
                    tx,
                    NewMessage {
                        dedupe_key: format!("waitlist:{}:{}", e.id, a.session.start.timestamp()),
                        kind: "waitlist_offer",
                        appointment_id: None,
                        recipient: to,
                        subject: "An appointment time has become available".into(),
                        body: format!(
                            "Hello,\n\nAn appointment time has become available on {when} ({}).\nIf you would like it, please contact us soon; it is offered to a few people on our waiting list.\n\n{practice}\n",
                            tz.name()
                        ),
                        due_at: now,
                    },
                )
                .await?;
            }
            waitlist::add_offer(
                tx.conn(),
                e.id,
                a.clinician_id,
                a.session.start,
                a.session.end,
                a.id,
                emailed,
            )
            .await?;
            tx.audit(
                AuditEvent {
                    actor_kind: "system",
                    actor_id: None,
                    ..AuditEvent::anonymous("waitlist.offer", "waitlist")
                }
                .resource(e.id)
                .client(e.client_id.0),
            )
            .await?;
        }
        Ok(())
    }

    /// The clients the caller may know about, or `None` for all (shared with calendars).
    pub(crate) async fn known_clients_for(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
    ) -> Result<Option<std::collections::HashSet<ClientId>>> {
        if authorize(&ctx.actor, Action::List, Resource::ClientDirectory).is_allowed() {
            use rapport_domain::policy::{ClientScope, client_scope};
            return Ok(match (client_scope(&ctx.actor), ctx.actor.user_id()) {
                (ClientScope::All, _) => None,
                (
                    ClientScope::CareTeam {
                        include_supervisees,
                    },
                    Some(me),
                ) => Some(
                    rapport_store::care::clients_in_scope(tx.conn(), me, include_supervisees)
                        .await?,
                ),
                _ => Some(Default::default()),
            });
        }
        Ok(Some(Default::default()))
    }
}
