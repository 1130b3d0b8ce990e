//! iCalendar (RFC 5545) output: a clinician's subscription feed and single-appointment downloads.
//!
//! Events never carry client names or clinical details: by default they say "Client session" (or "Group
//! session", …); a clinician may choose initials. Series are one VEVENT with RRULE, cancelled occurrences are
//! EXDATEs and moved ones RECURRENCE-ID overrides, all on the series' wall clock with a VTIMEZONE for each zone.

use crate::secrets::{self, sha256_hex};
use crate::{App, Ctx};
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{AppointmentKind, Mode};
use rapport_domain::scheduling::recurrence::{self, Rule};
use rapport_domain::{Error, Result, UserId};
use rapport_store::audit::{AuditEvent, Outcome};
use rapport_store::schedule::{self, Appointment, RangeFilter};
use rapport_store::{Unaudited, clients, feeds, now_utc, resources, users};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The caller's own live feed: when it was made and what it shows (the URL itself is shown only once).
#[derive(Debug, Clone, Serialize)]
pub struct FeedStatus {
    pub created_at: DateTime<Utc>,
    /// "generic" or "initials".
    pub show: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedCreated {
    /// The secret token (shown once); the feed is at `/calendar/{token}.ics`.
    pub token: String,
    pub path: String,
    /// The whole address to subscribe to, at the practice's public URL.
    pub url: String,
    pub show: String,
}

fn ical_local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

/// A VTIMEZONE with every transition of `tz` between the two years (and the one before, so the first event is
/// covered), computed from the tz database.
pub fn vtimezone(tz: Tz, from_year: i32, to_year: i32) -> String {
    let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc());
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{}", tz.name())];
    let start = Utc
        .with_ymd_and_hms(from_year - 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let end = Utc
        .with_ymd_and_hms(to_year + 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut t = start;
    let mut found = 0;
    while t < end {
        let next = t + Duration::days(1);
        let (a, b) = (offset_at(t), offset_at(next));
        if a.fix() != b.fix() {
            // Binary search for the exact second of the change.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid).fix() == a.fix() {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            let from = a.fix().local_minus_utc();
            let to = b.fix().local_minus_utc();
            let kind = if b.dst_offset() != Duration::zero() {
                "DAYLIGHT"
            } else {
                "STANDARD"
            };
            lines.push(format!("BEGIN:{kind}"));
            lines.push(format!(
                "DTSTART:{}",
                ical_local(hi.naive_utc() + Duration::seconds(from as i64))
            ));
            lines.push(format!("TZOFFSETFROM:{}", offset_text(from)));
            lines.push(format!("TZOFFSETTO:{}", offset_text(to)));
            if let Some(name) = b.abbreviation() {
                lines.push(format!("TZNAME:{name}"));
            }
            lines.push(format!("END:{kind}"));
            found += 1;
        }
        t = next;
    }
    if found == 0 {
        let o = offset_at(start);
        let off = o.fix().local_minus_utc();
        lines.push("BEGIN:STANDARD".into());
        lines.push("DTSTART:19700101T000000".into());
        lines.push(format!("TZOFFSETFROM:{}", offset_text(off)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(off)));
        if let Some(name) = o.abbreviation() {
            lines.push(format!("TZNAME:{name}"));
        }
        lines.push("END:STANDARD".into());
    }
    lines.push("END:VTIMEZONE".into());
    lines.join("\r\n") + "\r\n"
}

fn summary(kind: AppointmentKind, initials: Option<&str>) -> String {
    let base = match kind {
        AppointmentKind::Individual => "Client session",
        AppointmentKind::Intake => "Intake",
        AppointmentKind::Couple => "Couple session",
        AppointmentKind::Family => "Family session",
        AppointmentKind::Group => "Group session",
        AppointmentKind::Crisis => "Crisis session",
        AppointmentKind::Consultation => "Consultation",
    };
    match initials {
        Some(i) if !i.is_empty() => format!("{base} ({i})"),
        _ => base.to_string(),
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<String>()
}

fn zoned(t: NaiveDateTime, tz: Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: t,
        tzid: tz.name().to_string(),
    }
}

fn tz_prop(key: &str, t: NaiveDateTime, tz: Tz) -> Property {
    Property::new(key, ical_local(t))
        .add_parameter("TZID", tz.name())
        .done()
}

/// What an event shows besides its time.
struct Labels {
    names: HashMap<rapport_domain::ClientId, String>,
    rooms: HashMap<Uuid, String>,
    use_initials: bool,
    /// The summary of every event, instead of the session kind (a client's own download).
    title: Option<String>,
}

impl Labels {
    fn event(
        &self,
        a: &Appointment,
        uid: &str,
        start: NaiveDateTime,
        end: NaiveDateTime,
        tz: Tz,
    ) -> Event {
        let who = if self.use_initials {
            Some(
                a.client_ids
                    .iter()
                    .filter_map(|c| self.names.get(c))
                    .map(|n| initials(n))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        } else {
            None
        };
        let mut e = Event::new();
        let title = match &self.title {
            Some(t) => t.clone(),
            None => summary(a.kind, who.as_deref()),
        };
        e.uid(uid)
            .summary(&title)
            .starts(zoned(start, tz))
            .ends(zoned(end, tz))
            .status(EventStatus::Confirmed);
        let place = match (a.mode, a.room_id.and_then(|r| self.rooms.get(&r))) {
            (Mode::Telehealth, _) => Some("Telehealth".to_string()),
            (_, Some(room)) => Some(room.clone()),
            _ => None,
        };
        if let Some(p) = place {
            e.location(&p);
        }
        e.done()
    }
}

/// Builds the calendar for these appointments; series come with their full rule, exceptions and overrides.
fn build(
    name: &str,
    appointments: &[Appointment],
    series: &HashMap<Uuid, schedule::Series>,
    labels: &Labels,
) -> Result<String> {
    let mut cal = Calendar::new();
    cal.properties.retain(|p| p.key() != "PRODID");
    cal.properties.push(Property::new(
        "PRODID",
        "-//Rapport//Rapport practice records//EN",
    ));
    cal.name(name);
    let mut zones: BTreeSet<String> = BTreeSet::new();
    let mut years = (i32::MAX, i32::MIN);
    let mut by_series: HashMap<Uuid, Vec<&Appointment>> = HashMap::new();
    for a in appointments {
        years = (
            years.0.min(a.session.start.year()),
            years.1.max(a.session.end.year()),
        );
        match a.series_id.filter(|s| series.contains_key(s)) {
            Some(s) => by_series.entry(s).or_default().push(a),
            None if a.status.holds_time() => {
                let tz: Tz = a.time_zone.parse().unwrap_or(chrono_tz::UTC);
                zones.insert(tz.name().to_string());
                let ev = labels.event(
                    a,
                    &format!("{}@rapport", a.id),
                    a.session.start.with_timezone(&tz).naive_local(),
                    a.session.end.with_timezone(&tz).naive_local(),
                    tz,
                );
                cal.push(ev);
            }
            None => {}
        }
    }
    let mut series_ids: Vec<&Uuid> = by_series.keys().collect();
    series_ids.sort();
    for sid in series_ids {
        let (Some(s), Some(occ)) = (series.get(sid), by_series.get(sid)) else {
            continue;
        };
        let tz: Tz = s.time_zone.parse().unwrap_or(chrono_tz::UTC);
        zones.insert(tz.name().to_string());
        let start_local = NaiveDateTime::parse_from_str(&s.start_local, "%Y-%m-%dT%H:%M:%S")
            .map_err(|_| Error::internal(format!("series {sid}: bad start")))?;
        let rule = Rule::parse(&s.rule)?;
        let originals = recurrence::expand(&rule, start_local, tz)?;
        let Some(first) = occ.first() else { continue };
        let length = first.session.duration();
        let uid = format!("{sid}@rapport");
        let mut main = labels.event(first, &uid, start_local, start_local + length, tz);
        main.add_property("RRULE", rule.as_str());
        let mut overrides = Vec::new();
        for a in occ {
            let Some(orig) = a.occurrence_index.and_then(|i| originals.get(i as usize)) else {
                continue;
            };
            if !a.status.holds_time() {
                main.append_multi_property(tz_prop("EXDATE", orig.local, tz));
                continue;
            }
            let actual = a.session.start.with_timezone(&tz).naive_local();
            if actual != orig.local || a.session.duration() != length {
                let mut o = labels.event(
                    a,
                    &uid,
                    actual,
                    a.session.end.with_timezone(&tz).naive_local(),
                    tz,
                );
                o.append_property(tz_prop("RECURRENCE-ID", orig.local, tz));
                overrides.push(o.done());
            }
        }
        // Occurrences with no appointment row (outside the window we loaded) stay as the rule says.
        cal.push(main.done());
        for o in overrides {
            cal.push(o);
        }
    }
    let mut text = cal.done().to_string();
    if years.0 > years.1 {
        let y = now_utc().year();
        years = (y, y);
    }
    let tzs: String = zones
        .iter()
        .filter_map(|z| z.parse::<Tz>().ok())
        .map(|tz| vtimezone(tz, years.0, years.1))
        .collect();
    let at = text
        .find("BEGIN:VEVENT")
        .or_else(|| text.find("END:VCALENDAR"))
        .unwrap_or(text.len());
    text.insert_str(at, &tzs);
    Ok(text)
}

/// One appointment as the client downloads it: "Appointment with <clinician>" at the practice, on the session's
/// own zone. No session kind: "Couple session" or "Crisis session" in someone's shared calendar would say too much.
pub(crate) fn client_ics(practice: &str, clinician: &str, a: &Appointment) -> Result<String> {
    let labels = Labels {
        names: HashMap::new(),
        rooms: HashMap::new(),
        use_initials: false,
        title: Some(if clinician.is_empty() {
            format!("Appointment ({practice})")
        } else {
            format!("Appointment with {clinician} ({practice})")
        }),
    };
    let one = Appointment {
        series_id: None,
        ..a.clone()
    };
    build(
        practice,
        std::slice::from_ref(&one),
        &HashMap::new(),
        &labels,
    )
}

impl App {
    /// Issues a new secret feed URL for a clinician (the old one stops working). `show`: "generic" (default) or
    /// "initials".
    pub async fn create_calendar_feed(
        &self,
        ctx: &Ctx,
        clinician: UserId,
        show: Option<&str>,
    ) -> Result<FeedCreated> {
        let show = match show.map(str::trim).unwrap_or("generic") {
            "" | "generic" => "generic",
            "initials" => "initials",
            _ => return Err(Error::invalid("show", "use generic or initials")),
        };
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "calendar.feed.create", "calendar_feed").resource(clinician)
        };
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar { owner: clinician },
                ev(),
            )
            .await?;
        if rapport_store::clinicians::get(tx.conn(), clinician)
            .await?
            .is_none()
        {
            return Err(Error::NotFound);
        }
        let token = secrets::token();
        feeds::replace(tx.conn(), clinician, &sha256_hex(&token), show).await?;
        tx.audit(ev().request(ctx.rid()).detail(show)).await?;
        tx.commit().await?;
        let path = format!("/calendar/{token}.ics");
        Ok(FeedCreated {
            url: format!("{}{path}", self.config.public_url.trim_end_matches('/')),
            path,
            token,
            show: show.into(),
        })
    }

    /// Whether the caller has a live calendar feed. Not audited: it reveals only the caller's own subscription.
    pub async fn my_calendar_feed(&self, ctx: &Ctx) -> Result<Option<FeedStatus>> {
        let Some(me) = ctx.actor.user_id() else {
            return Ok(None);
        };
        authorize(&ctx.actor, Action::Update, Resource::Calendar { owner: me }).into_result()?;
        Ok(
            feeds::live_for(self.store.unaudited(Unaudited::Credentials), me)
                .await?
                .map(|f| FeedStatus {
                    created_at: f.created_at,
                    show: f.show,
                }),
        )
    }

    pub async fn revoke_calendar_feed(&self, ctx: &Ctx, clinician: UserId) -> Result<()> {
        let tx = self.store.begin().await?;
        let ev = || {
            AuditEvent::new(&ctx.actor, "calendar.feed.revoke", "calendar_feed").resource(clinician)
        };
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar { owner: clinician },
                ev(),
            )
            .await?;
        feeds::revoke_all(tx.conn(), clinician).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn labels(
        &self,
        tx: &rapport_store::Tx<'_>,
        list: &[Appointment],
        use_initials: bool,
    ) -> Result<Labels> {
        let names = if use_initials {
            let ids: Vec<_> = list
                .iter()
                .flat_map(|a| a.client_ids.iter().copied())
                .collect();
            clients::names(tx.conn(), &ids).await?
        } else {
            HashMap::new()
        };
        let rooms = resources::rooms(tx.conn())
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
        Ok(Labels {
            names,
            rooms,
            use_initials,
            title: None,
        })
    }

    /// The feed behind a secret token: the clinician's appointments from 90 days back to 400 days ahead.
    /// The token is the credential; each fetch is audited.
    pub async fn calendar_feed(&self, token: &str, request_id: Option<&str>) -> Result<String> {
        let tx = self.store.begin_read().await?;
        let feed = feeds::by_hash(tx.conn(), &sha256_hex(token))
            .await?
            .ok_or(Error::NotFound)?;
        let clinician = UserId(feed.clinician_id);
        let now = now_utc();
        let range = Interval::from_duration(now - Duration::days(90), Duration::days(490));
        let filter = RangeFilter {
            clinicians: Some(vec![clinician]),
            include_cancelled: true,
            ..Default::default()
        };
        let list = schedule::in_range(tx.conn(), range, &filter).await?;
        let mut series = HashMap::new();
        for sid in list
            .iter()
            .filter_map(|a| a.series_id)
            .collect::<BTreeSet<_>>()
        {
            if let Some(s) = schedule::get_series(tx.conn(), sid).await? {
                series.insert(sid, s);
            }
        }
        let labels = self.labels(&tx, &list, feed.show == "initials").await?;
        let name = users::by_id(tx.conn(), clinician)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        let text = build(&format!("Rapport: {name}"), &list, &series, &labels)?;
        tx.audit(AuditEvent {
            actor_kind: "feed",
            actor_id: None,
            action: "calendar.feed.read".into(),
            resource_type: "calendar_feed",
            resource_id: Some(feed.id.to_string()),
            client_id: None,
            outcome: Outcome::Ok,
            request_id: request_id.map(String::from),
            detail: Some(format!(
                "clinician {clinician}, {} appointment(s)",
                list.len()
            )),
        })
        .await?;
        tx.commit().await?;
        Ok(text)
    }

    /// One appointment as an .ics file, for sending to a client (no names, no clinical details).
    pub async fn appointment_ics(&self, ctx: &Ctx, id: Uuid) -> Result<String> {
        let tx = self.store.begin_read().await?;
        let a = schedule::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "appointment.ics", "appointment").resource(id);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Read,
                Resource::Calendar {
                    owner: a.clinician_id,
                },
                ev(),
            )
            .await?;
        let labels = self.labels(&tx, std::slice::from_ref(&a), false).await?;
        let text = build(
            "Rapport appointment",
            &[Appointment {
                series_id: None,
                ..a
            }],
            &HashMap::new(),
            &labels,
        )?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vtimezone_lists_both_transitions_of_a_year() {
        let v = vtimezone(chrono_tz::America::New_York, 2026, 2026);
        assert!(v.contains("DTSTART:20260308T020000"), "{v}");
        assert!(v.contains("DTSTART:20261101T020000"), "{v}");
        assert!(v.contains("TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400"), "{v}");
        assert!(v.contains("TZNAME:EDT"));
    }

    #[test]
    fn a_zone_without_dst_still_gets_an_observance() {
        let v = vtimezone(chrono_tz::Asia::Kolkata, 2026, 2026);
        assert!(v.contains("TZOFFSETTO:+0530"), "{v}");
    }

    #[test]
    fn initials_not_names() {
        assert_eq!(initials("ana lópez garcía"), "A.L.G.");
        assert_eq!(summary(AppointmentKind::Couple, None), "Couple session");
    }
}
