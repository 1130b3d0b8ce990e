//! Reading the schedule: calendar ranges, one appointment with its history, and the search for free slots.

use super::{AppointmentDetail, AppointmentView, HistoryView, Participant};
use crate::{App, Ctx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::clinician::blocks_for;
use rapport_domain::policy::{Action, ClientScope, Resource, authorize, client_scope};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::availability::working_time;
use rapport_domain::scheduling::interval::shifted;
use rapport_domain::scheduling::slots::{BusyTime, Calendar, SlotQuery, earliest};
use rapport_domain::{ClientId, Error, Result, UserId, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::schedule::{self, Appointment, RangeFilter};
use rapport_store::{ConnectionTrait, care, clients, clinicians, now_utc, resources, users};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The longest range one calendar request may cover.
const MAX_RANGE_DAYS: i64 = 62;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// Start of the range: a date (`YYYY-MM-DD`, midnight in `time_zone`) or an RFC 3339 instant.
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Comma-separated clinician ids (default: everyone).
    #[serde(default)]
    pub clinicians: Option<String>,
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// Only appointments in this location's rooms (telehealth sessions and sessions without a room are elsewhere).
    #[serde(default)]
    pub location_id: Option<Uuid>,
    #[serde(default)]
    pub client_id: Option<Uuid>,
    #[serde(default)]
    pub include_cancelled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotQueryInput {
    pub type_key: String,
    /// First day to search (`YYYY-MM-DD`, in `time_zone`); default today.
    #[serde(default)]
    pub from: Option<String>,
    /// Number of days to search (default 28, at most 62).
    #[serde(default)]
    pub days: Option<i64>,
    /// The client's zone: slots are shown in it.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Comma-separated clinician ids; default every clinician who accepts new clients and matches.
    #[serde(default)]
    pub clinicians: Option<String>,
    #[serde(default)]
    pub specialisation: Option<String>,
    #[serde(default)]
    pub age_group: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    /// Only hours kept for in-person sessions at this location (or for any place).
    #[serde(default)]
    pub location_id: Option<Uuid>,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Where a searched or booked session takes place, which decides the blocks of working hours it may use.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Place {
    pub(crate) mode: Option<rapport_domain::scheduling::appointment::Mode>,
    pub(crate) location: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlotView {
    pub clinician_id: UserId,
    pub clinician_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Wall-clock start in the zone asked for.
    pub start_local: chrono::NaiveDateTime,
    pub time_zone: String,
}

/// A range bound: a date at local midnight, or an instant; either inside the range every date keeps.
fn bound(field: &str, raw: &str, tz: Tz) -> Result<DateTime<Utc>> {
    if DateTime::parse_from_rfc3339(raw.trim()).is_ok() {
        return validate::instant(field, raw);
    }
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "use a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let d = rapport_domain::dates::in_range(field, d)?;
    Ok(rapport_domain::scheduling::localtime::resolve_lenient(
        tz,
        d.and_hms_opt(0, 0, 0).unwrap_or_default(),
    ))
}

fn id_list(field: &str, raw: Option<&str>) -> Result<Option<Vec<UserId>>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    raw.split(',')
        .map(|s| {
            s.trim()
                .parse::<UserId>()
                .map_err(|_| Error::invalid(field, format!("'{}' is not an id", s.trim())))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// An appointment as the caller sees it, given the clinician's name and the participants they may know.
pub(crate) fn view_of(
    a: &Appointment,
    clinician_name: String,
    clients: Vec<Participant>,
) -> AppointmentView {
    let tz: Tz = a.time_zone.parse().unwrap_or(chrono_tz::UTC);
    AppointmentView {
        id: a.id,
        series_id: a.series_id,
        occurrence_index: a.occurrence_index,
        type_key: a.type_key.clone(),
        kind: a.kind.as_str().into(),
        mode: a.mode.as_str().into(),
        status: a.status.as_str().into(),
        clinician_name,
        clinician_id: a.clinician_id,
        room_id: a.room_id,
        group_id: a.group_id,
        start: a.session.start,
        end: a.session.end,
        start_local: a.session.start.with_timezone(&tz).naive_local(),
        end_local: a.session.end.with_timezone(&tz).naive_local(),
        time_zone: a.time_zone.clone(),
        client_count: a.client_ids.len(),
        clients,
        version: a.version,
    }
}

impl App {
    /// The clients this caller may know about, or `None` for "all".
    pub(crate) async fn known_clients(
        &self,
        c: &impl ConnectionTrait,
        ctx: &Ctx,
    ) -> Result<Option<HashSet<ClientId>>> {
        Ok(match (client_scope(&ctx.actor), ctx.actor.user_id()) {
            (ClientScope::All, _) => None,
            (
                ClientScope::CareTeam {
                    include_supervisees,
                },
                Some(me),
            ) => Some(care::clients_in_scope(c, me, include_supervisees).await?),
            _ => Some(HashSet::new()),
        })
    }

    /// Views of appointments: participants are named only where the caller may know them.
    pub(crate) async fn views(
        &self,
        c: &impl ConnectionTrait,
        ctx: &Ctx,
        list: Vec<Appointment>,
    ) -> Result<Vec<AppointmentView>> {
        let known = self.known_clients(c, ctx).await?;
        let visible: Vec<ClientId> = list
            .iter()
            .flat_map(|a| a.client_ids.iter().copied())
            .filter(|c| known.as_ref().is_none_or(|k| k.contains(c)))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let names = clients::names(c, &visible).await?;
        let staff_ids: Vec<UserId> = list
            .iter()
            .map(|a| a.clinician_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let staff = users::display_names(c, &staff_ids).await?;
        Ok(list
            .into_iter()
            .map(|a| {
                let clients = a
                    .client_ids
                    .iter()
                    .filter_map(|c| {
                        names.get(c).map(|n| Participant {
                            client_id: *c,
                            name: n.clone(),
                        })
                    })
                    .collect();
                let clinician_name = staff.get(&a.clinician_id).cloned().unwrap_or_default();
                view_of(&a, clinician_name, clients)
            })
            .collect())
    }

    /// Appointments in a range (at most 62 days), for a calendar view. Reading it is audited once.
    ///
    /// The range is read without the writers' turn (one query, so one consistent snapshot); the audit entry
    /// is then appended and committed in a short transaction of its own, and only after that commit is anything
    /// returned. So no calendar leaves without its entry, and a long read never holds up bookings.
    pub async fn calendar(&self, ctx: &Ctx, q: &CalendarQuery) -> Result<Vec<AppointmentView>> {
        let tz = validate::time_zone("time_zone", q.time_zone.as_deref().unwrap_or("UTC"))?;
        let from = bound("from", &q.from, tz)?;
        let to = bound("to", &q.to, tz)?;
        let range = Interval::new(from, to)
            .map_err(|_| Error::invalid("to", "the end of the range must be after its start"))?;
        if range.duration() > Duration::days(MAX_RANGE_DAYS) {
            return Err(Error::invalid(
                "to",
                format!("a calendar range covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        let clinicians = id_list("clinicians", q.clinicians.as_deref())?;
        self.permit(
            ctx,
            Action::List,
            Resource::Calendar {
                owner: UserId::default(),
            },
            AuditEvent::new(&ctx.actor, "calendar.read", "appointment"),
        )
        .await?;
        let db = self.store.unaudited(Unaudited::AfterDecision);
        let client = match q.client_id.map(ClientId) {
            Some(c) => {
                // Filtering by a client is reading that client's schedule: only for those who may see them.
                let rel = match ctx.actor.user_id() {
                    Some(me) => care::relation(db, me, c).await?,
                    None => Default::default(),
                };
                authorize(&ctx.actor, Action::Read, Resource::ClientDemographics(rel))
                    .into_result()?;
                Some(c)
            }
            None => None,
        };
        let rooms = match q.location_id {
            Some(l) => {
                if !resources::locations(db).await?.iter().any(|x| x.id == l) {
                    return Err(Error::invalid(
                        "location_id",
                        "there is no location with this id",
                    ));
                }
                Some(
                    resources::rooms(db)
                        .await?
                        .into_iter()
                        .filter(|r| r.location_id == l)
                        .map(|r| r.id)
                        .collect(),
                )
            }
            None => None,
        };
        let filter = RangeFilter {
            clinicians,
            room: q.room_id,
            rooms,
            client,
            include_cancelled: q.include_cancelled.unwrap_or(false),
        };
        let list = rapport_store::calendar::entries(db, range, &filter).await?;
        let known = self.known_clients(db, ctx).await?;
        let views: Vec<AppointmentView> = list
            .into_iter()
            .map(|e| {
                let client_count = e.participants.len();
                let clients = e
                    .participants
                    .into_iter()
                    .filter(|(c, _)| known.as_ref().is_none_or(|k| k.contains(c)))
                    .map(|(client_id, name)| Participant { client_id, name })
                    .collect();
                let tz: Tz = e.time_zone.parse().unwrap_or(chrono_tz::UTC);
                AppointmentView {
                    id: e.id,
                    series_id: e.series_id,
                    occurrence_index: e.occurrence_index,
                    type_key: e.type_key,
                    kind: e.kind.as_str().into(),
                    mode: e.mode.as_str().into(),
                    status: e.status.as_str().into(),
                    clinician_id: e.clinician_id,
                    clinician_name: e.clinician_name,
                    room_id: e.room_id,
                    group_id: e.group_id,
                    start: e.session.start,
                    end: e.session.end,
                    start_local: e.session.start.with_timezone(&tz).naive_local(),
                    end_local: e.session.end.with_timezone(&tz).naive_local(),
                    time_zone: e.time_zone,
                    clients,
                    client_count,
                    version: e.version,
                }
            })
            .collect();
        let mut ev = AuditEvent::new(&ctx.actor, "calendar.read", "appointment")
            .request(ctx.rid())
            .detail(format!("{} appointment(s)", views.len()));
        if let Some(c) = client {
            ev = ev.client(c.0);
        }
        self.store.audit_alone(ev).await?;
        Ok(views)
    }

    /// One appointment with its history. The cancellation reason is shown only to those who may read every
    /// participant's clinical record.
    pub async fn appointment(&self, ctx: &Ctx, id: Uuid) -> Result<AppointmentDetail> {
        let tx = self.store.begin_read().await?;
        let a = schedule::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Read,
                Resource::Calendar {
                    owner: a.clinician_id,
                },
                AuditEvent::new(&ctx.actor, "appointment.read", "appointment").resource(id),
            )
            .await?;
        let mut clinical = !a.client_ids.is_empty();
        for c in &a.client_ids {
            let rel = match ctx.actor.user_id() {
                Some(me) => care::relation(tx.conn(), me, *c).await?,
                None => Default::default(),
            };
            clinical &=
                authorize(&ctx.actor, Action::Read, Resource::ClientClinical(rel)).is_allowed();
        }
        let cancel_reason = if clinical {
            schedule::cancel_reason(&tx, id).await?
        } else {
            None
        };
        let history = schedule::history_of(tx.conn(), id)
            .await?
            .into_iter()
            .map(|h| HistoryView {
                at: h.at,
                actor_id: h.actor_id,
                change: h.change,
                from_start: h.from_start,
                to_start: h.to_start,
                from_status: h.from_status,
                to_status: h.to_status,
            })
            .collect();
        let view = self
            .views(tx.conn(), ctx, vec![a.clone()])
            .await?
            .pop()
            .ok_or(Error::NotFound)?;
        for c in &a.client_ids {
            tx.audit(
                AuditEvent::new(&ctx.actor, "appointment.read", "appointment")
                    .resource(id)
                    .client(c.0)
                    .request(ctx.rid()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(AppointmentDetail {
            appointment: view,
            history,
            cancel_reason,
        })
    }

    /// The earliest free slots for an appointment type across matching clinicians, shown in the client's zone.
    pub async fn find_slots(&self, ctx: &Ctx, q: &SlotQueryInput) -> Result<Vec<SlotView>> {
        let tz = validate::time_zone("time_zone", q.time_zone.as_deref().unwrap_or("UTC"))?;
        let days = rapport_domain::dates::count("days", q.days.unwrap_or(28), 1, MAX_RANGE_DAYS)?;
        let limit = q.limit.unwrap_or(20).clamp(1, 200);
        let today = now_utc().with_timezone(&tz).date_naive();
        let first_day: NaiveDate = match q.from.as_deref().map(str::trim).filter(|f| !f.is_empty())
        {
            Some(f) => validate::date("from", f)?,
            None => today,
        };
        let wanted_mode = match q.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => Some(rapport_domain::scheduling::appointment::Mode::parse(m)?),
            None => None,
        };
        let only = id_list("clinicians", q.clinicians.as_deref())?;
        // Searching writes nothing, so it takes no transaction (and so not the writers' turn that every
        // booking waits for); every staff member may search.
        authorize(
            &ctx.actor,
            Action::List,
            Resource::Calendar {
                owner: UserId::default(),
            },
        )
        .into_result()?;
        let db = self.store.unaudited(Unaudited::AfterDecision);
        let t = resources::appointment_type(db, q.type_key.trim())
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "type_key",
                    format!("there is no appointment type '{}'", q.type_key.trim()),
                )
            })?;
        if let Some(m) = wanted_mode
            && !t.modes.contains(&m)
        {
            return Err(Error::invalid(
                "mode",
                format!("{} is not offered as {}", t.label, m.label().to_lowercase()),
            ));
        }
        let start = rapport_domain::scheduling::localtime::resolve_lenient(
            tz,
            first_day.and_hms_opt(0, 0, 0).unwrap_or_default(),
        );
        let range = Interval::from_duration(start, Duration::days(days));
        let matches = |list: &[String], want: &Option<String>| {
            want.as_deref()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .is_none_or(|w| list.iter().any(|x| x == w))
        };
        let profiles: Vec<_> = clinicians::list(db)
            .await?
            .into_iter()
            .filter(|p| match &only {
                Some(ids) => ids.contains(&p.user_id),
                None => p.accepts_new_clients,
            })
            .filter(|p| {
                matches(&p.specialisations, &q.specialisation)
                    && matches(&p.age_groups, &q.age_group)
                    && matches(&p.languages, &q.language)
            })
            .filter(|p| !p.weekly_hours.is_empty())
            .collect();
        // Most searches are answered by the first day, many more by the first week: look further only when
        // that is not enough, reading each clinician's busy time only for the window searched. The windows
        // share their start, so a window's answer is the whole range's: a slot that fits in the window starts
        // before any slot that runs past the window's end.
        let earliest_start = now_utc().max(range.start);
        let place = Place {
            mode: wanted_mode,
            location: q.location_id,
        };
        for days in [1, 7] {
            let window = Interval {
                start: range.start,
                end: range.end.min(shifted(range.start, Duration::days(days))),
            };
            if window.end >= range.end {
                break;
            }
            let slots = self
                .slots_among(db, &t, &profiles, place, window, earliest_start, tz, limit)
                .await?;
            if slots.len() >= limit {
                return Ok(slots);
            }
        }
        self.slots_among(db, &t, &profiles, place, range, earliest_start, tz, limit)
            .await
    }

    /// The earliest free slots among these clinicians in `range`, starting no earlier than `earliest_start`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn slots_among(
        &self,
        c: &impl rapport_store::ConnectionTrait,
        t: &rapport_domain::scheduling::appointment::AppointmentType,
        profiles: &[rapport_store::clinicians::Profile],
        place: Place,
        range: Interval,
        earliest_start: DateTime<Utc>,
        tz: Tz,
        limit: usize,
    ) -> Result<Vec<SlotView>> {
        let ids: Vec<UserId> = profiles.iter().map(|p| p.user_id).collect();
        let exceptions = resources::exceptions(c, &ids, range).await?;
        let busy = schedule::busy_times(c, &ids, range).await?;
        let calendars: Vec<Calendar> = profiles
            .iter()
            .map(|p| {
                let ptz: Tz = p.time_zone.parse().unwrap_or(chrono_tz::UTC);
                let ex: Vec<_> = exceptions
                    .iter()
                    .filter(|e| e.clinician_id == p.user_id)
                    .map(|e| e.exception)
                    .collect();
                Calendar {
                    clinician: p.user_id,
                    working: working_time(
                        &blocks_for(&p.weekly_hours, place.mode, place.location),
                        ptz,
                        range,
                        &ex,
                    ),
                    busy: busy
                        .iter()
                        .filter(|a| a.clinician_id == p.user_id)
                        .map(|a| BusyTime {
                            session: a.session,
                            buffer_before: a.session.start - a.busy.start,
                            buffer_after: a.busy.end - a.session.end,
                        })
                        .collect(),
                }
            })
            .collect();
        let (before, after) = t.buffers();
        let query = SlotQuery {
            length: t.length(),
            buffer_before: before,
            buffer_after: after,
            step: Duration::minutes(15),
            earliest: earliest_start,
            latest: range.end,
            limit,
        };
        let names: HashMap<UserId, String> = profiles
            .iter()
            .map(|p| (p.user_id, p.display_name.clone()))
            .collect();
        Ok(earliest(&calendars, &query)
            .into_iter()
            .map(|s| SlotView {
                clinician_name: names.get(&s.clinician).cloned().unwrap_or_default(),
                clinician_id: s.clinician,
                start: s.start,
                end: s.start + t.length(),
                start_local: s.start.with_timezone(&tz).naive_local(),
                time_zone: tz.name().to_string(),
            })
            .collect())
    }
}
