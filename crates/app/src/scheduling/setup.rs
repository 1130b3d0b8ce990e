//! The practice's scheduling set-up: appointment types, locations and rooms, the cancellation window, and each
//! clinician's time off and extra hours.

use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::AppointmentType;
use rapport_domain::scheduling::availability::{AvailabilityException, ExceptionKind};
use rapport_domain::scheduling::localtime::resolve_strict;
use rapport_domain::{Error, Result, UserId, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::{clinicians, resources};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The scheduling settings as they stand, each with its default when never set.
#[derive(Debug, Clone, Serialize)]
pub struct SchedulingSettings {
    pub cancellation_window_hours: i64,
    /// Hours before a session that its reminder goes out; 0 is off.
    pub reminder_hours: i64,
    /// The name reminders and other e-mails are signed with.
    pub practice_name: String,
    /// Whether a freed time is e-mailed to the best-matching waiting clients.
    pub waitlist_email_offers: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionInput {
    /// "time_off" or "extra_hours".
    pub kind: String,
    /// Wall-clock start and end in the clinician's zone, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExceptionView {
    pub id: Uuid,
    pub clinician_id: UserId,
    pub kind: ExceptionKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoomView {
    pub id: Uuid,
    pub location_id: Uuid,
    pub name: String,
    pub capacity: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationView {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    pub address: Option<String>,
    pub rooms: Vec<RoomView>,
}

impl App {
    pub async fn appointment_types(&self, ctx: &Ctx) -> Result<Vec<AppointmentType>> {
        authorize(&ctx.actor, Action::List, Resource::PracticeSettings).into_result()?;
        Ok(resources::types(self.store.unaudited(Unaudited::Configuration)).await?)
    }

    /// Creates or replaces an appointment type (administrators).
    pub async fn save_appointment_type(
        &self,
        ctx: &Ctx,
        t: AppointmentType,
    ) -> Result<AppointmentType> {
        let mut p = Problems::new();
        let key = t.key.trim().to_lowercase();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            p.add(
                "key",
                "use lower-case letters, digits and _ (for example individual_90)",
            );
        }
        p.take(validate::required_line("label", &t.label, 100));
        if !(5..=480).contains(&t.minutes) {
            p.add("minutes", "a session lasts between 5 and 480 minutes");
        }
        if t.buffer_before_minutes > 120 || t.buffer_after_minutes > 120 {
            p.add("buffer_after_minutes", "buffers are at most 120 minutes");
        }
        if t.modes.is_empty() {
            p.add("modes", "offer at least one mode (in_person, telehealth)");
        }
        p.finish()?;
        let t = AppointmentType { key, ..t };
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::PracticeSettings,
                AuditEvent::new(&ctx.actor, "settings.appointment_type", "settings")
                    .resource(&t.key),
            )
            .await?;
        resources::save_type(tx.conn(), &t).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.appointment_type", "settings")
                .resource(&t.key)
                .request(ctx.rid()),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The scheduling settings (configuration, no client data: not audited).
    pub async fn scheduling_settings(&self) -> Result<SchedulingSettings> {
        let db = self.store.unaudited(Unaudited::Configuration);
        let number = |v: Option<String>, default: i64| {
            v.and_then(|v| v.parse::<i64>().ok()).unwrap_or(default)
        };
        Ok(SchedulingSettings {
            cancellation_window_hours: number(
                resources::setting(db, "cancellation_window_hours").await?,
                super::booking::DEFAULT_CANCELLATION_WINDOW_HOURS,
            ),
            reminder_hours: number(
                resources::setting(db, "reminder_hours").await?,
                super::reminders::DEFAULT_REMINDER_HOURS,
            ),
            practice_name: resources::practice_name(db).await?,
            waitlist_email_offers: resources::setting(db, "waitlist_email_offers")
                .await?
                .as_deref()
                == Some("true"),
        })
    }

    pub async fn set_cancellation_window(&self, ctx: &Ctx, hours: i64) -> Result<()> {
        if !(0..=168).contains(&hours) {
            return Err(Error::invalid(
                "hours",
                "the cancellation window is between 0 and 168 hours",
            ));
        }
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::PracticeSettings,
                AuditEvent::new(&ctx.actor, "settings.cancellation_window", "settings"),
            )
            .await?;
        resources::set_setting(tx.conn(), "cancellation_window_hours", &hours.to_string()).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.cancellation_window", "settings")
                .request(ctx.rid())
                .detail(format!("{hours} h")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How long before a session reminders go out (0 turns them off), and the practice name they are signed with.
    pub async fn set_reminders(
        &self,
        ctx: &Ctx,
        hours: i64,
        practice_name: Option<&str>,
    ) -> Result<()> {
        if !(0..=336).contains(&hours) {
            return Err(Error::invalid(
                "hours",
                "reminders go out between 0 and 336 hours before a session (0: none)",
            ));
        }
        let name = match practice_name {
            Some(n) => Some(validate::required_line("practice_name", n, 100)?),
            None => None,
        };
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::PracticeSettings,
                AuditEvent::new(&ctx.actor, "settings.reminders", "settings"),
            )
            .await?;
        resources::set_setting(tx.conn(), "reminder_hours", &hours.to_string()).await?;
        if let Some(n) = &name {
            resources::set_setting(tx.conn(), "practice_name", n).await?;
        }
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.reminders", "settings")
                .request(ctx.rid())
                .detail(format!("{hours} h")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_location(
        &self,
        ctx: &Ctx,
        name: &str,
        time_zone: &str,
        address: Option<&str>,
    ) -> Result<LocationView> {
        let mut p = Problems::new();
        let name = p.take(validate::required_line("name", name, 100));
        let tz = p.take(validate::time_zone("time_zone", time_zone));
        let address = p.take(validate::optional_line(
            "address",
            address.unwrap_or(""),
            300,
        ));
        p.finish()?;
        let (Some(name), Some(tz), Some(address)) = (name, tz, address) else {
            return Err(Error::internal("validation passed without values"));
        };
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::PracticeSettings,
                AuditEvent::new(&ctx.actor, "settings.location", "settings"),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        let l = resources::add_location(tx.conn(), &name, tz.name(), address.as_deref()).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.location", "settings")
                .resource(l.id)
                .request(ctx.rid()),
        )
        .await?;
        self.commit_once(
            tx,
            ctx,
            LocationView {
                id: l.id,
                name: l.name,
                time_zone: l.time_zone,
                address: l.address,
                rooms: vec![],
            },
        )
        .await
    }

    pub async fn add_room(
        &self,
        ctx: &Ctx,
        location: Uuid,
        name: &str,
        capacity: i32,
    ) -> Result<RoomView> {
        let name = validate::required_line("name", name, 100)?;
        if !(1..=500).contains(&capacity) {
            return Err(Error::invalid(
                "capacity",
                "a room holds between 1 and 500 people",
            ));
        }
        let tx = self.store.begin().await?;
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Create,
                Resource::PracticeSettings,
                AuditEvent::new(&ctx.actor, "settings.room", "settings"),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        if !resources::locations(tx.conn())
            .await?
            .iter()
            .any(|l| l.id == location)
        {
            return Err(Error::invalid(
                "location_id",
                "there is no location with this id",
            ));
        }
        let r = resources::add_room(tx.conn(), location, &name, capacity).await?;
        tx.audit(
            AuditEvent::new(&ctx.actor, "settings.room", "settings")
                .resource(r.id)
                .request(ctx.rid()),
        )
        .await?;
        self.commit_once(
            tx,
            ctx,
            RoomView {
                id: r.id,
                location_id: r.location_id,
                name: r.name,
                capacity: r.capacity,
            },
        )
        .await
    }

    pub async fn locations(&self, ctx: &Ctx) -> Result<Vec<LocationView>> {
        authorize(&ctx.actor, Action::List, Resource::PracticeSettings).into_result()?;
        let db = self.store.unaudited(Unaudited::Configuration);
        let rooms = resources::rooms(db).await?;
        Ok(resources::locations(db)
            .await?
            .into_iter()
            .map(|l| LocationView {
                rooms: rooms
                    .iter()
                    .filter(|r| r.location_id == l.id)
                    .map(|r| RoomView {
                        id: r.id,
                        location_id: r.location_id,
                        name: r.name.clone(),
                        capacity: r.capacity,
                    })
                    .collect(),
                id: l.id,
                name: l.name,
                time_zone: l.time_zone,
                address: l.address,
            })
            .collect())
    }

    /// Adds time off or extra hours to a clinician's calendar (the clinician, the front desk or an administrator).
    pub async fn add_availability_exception(
        &self,
        ctx: &Ctx,
        clinician: UserId,
        input: ExceptionInput,
    ) -> Result<ExceptionView> {
        let mut p = Problems::new();
        let kind = match input.kind.trim() {
            "time_off" => Some(ExceptionKind::TimeOff),
            "extra_hours" => Some(ExceptionKind::ExtraHours),
            _ => {
                p.add("kind", "use time_off or extra_hours");
                None
            }
        };
        let start = p.take(validate::local_datetime("start", &input.start));
        let end = p.take(validate::local_datetime("end", &input.end));
        let note = p.take(validate::optional_line(
            "note",
            input.note.as_deref().unwrap_or(""),
            200,
        ));
        p.finish()?;
        let (Some(kind), Some(start), Some(end), Some(note)) = (kind, start, end, note) else {
            return Err(Error::internal("validation passed without values"));
        };
        let tx = self.store.begin().await?;
        let ev =
            || AuditEvent::new(&ctx.actor, "availability.add", "availability").resource(clinician);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar { owner: clinician },
                ev(),
            )
            .await?;
        self.once_check(&tx, ctx).await?;
        let profile = clinicians::get(tx.conn(), clinician)
            .await?
            .ok_or_else(|| Error::invalid("clinician_id", "there is no clinician with this id"))?;
        let tz = validate::time_zone("time_zone", &profile.time_zone)?;
        let interval = Interval::new(
            resolve_strict(tz, start, "start")?,
            resolve_strict(tz, end, "end")?,
        )?;
        let e = AvailabilityException { kind, interval };
        let id = resources::add_exception(tx.conn(), clinician, e, note.as_deref()).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        self.commit_once(
            tx,
            ctx,
            ExceptionView {
                id,
                clinician_id: clinician,
                kind,
                start: interval.start,
                end: interval.end,
                note,
            },
        )
        .await
    }

    pub async fn availability_exceptions(
        &self,
        ctx: &Ctx,
        clinician: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ExceptionView>> {
        authorize(
            &ctx.actor,
            Action::Read,
            Resource::Calendar { owner: clinician },
        )
        .into_result()?;
        let from = rapport_domain::dates::instant_in_range("from", from)?;
        let to = rapport_domain::dates::instant_in_range("to", to)?;
        let range = Interval::new(from, to)?;
        Ok(resources::exceptions(
            self.store.unaudited(Unaudited::Configuration),
            &[clinician],
            range,
        )
        .await?
        .into_iter()
        .map(|e| ExceptionView {
            id: e.id,
            clinician_id: e.clinician_id,
            kind: e.exception.kind,
            start: e.exception.interval.start,
            end: e.exception.interval.end,
            note: e.note,
        })
        .collect())
    }

    pub async fn remove_availability_exception(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let tx = self.store.begin().await?;
        let e = resources::exception(tx.conn(), id)
            .await?
            .ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "availability.remove", "availability").resource(id);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar {
                    owner: e.clinician_id,
                },
                ev(),
            )
            .await?;
        resources::remove_exception(tx.conn(), id).await?;
        tx.audit(ev().request(ctx.rid())).await?;
        tx.commit().await?;
        Ok(())
    }
}
