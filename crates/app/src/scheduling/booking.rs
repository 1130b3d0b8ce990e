//! Booking, moving, cancelling, and editing series ("this one", "this and following", "end the series").

use super::calendar::view_of;
use super::reminders::ReminderPlan;
use super::{AppointmentView, Booked, Participant, buffers};
use crate::{App, Ctx};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rapport_domain::clinician::blocks_for;
use rapport_domain::error::Problems;
use rapport_domain::policy::{Action, Decision, Denial, Resource, authorize};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{
    self, AppointmentKind, AppointmentType, Mode, Status,
};
use rapport_domain::scheduling::availability::working_time;
use rapport_domain::scheduling::localtime::resolve_strict;
use rapport_domain::scheduling::recurrence::{self, Rule};
use rapport_domain::scheduling::slots::{BusyTime, fits};
use rapport_domain::{ClientId, Error, Result, UserId, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::clinicians::Profile;
use rapport_store::schedule::{self, Appointment};
use rapport_store::{ConnectionTrait, Tx, care, clients, clinicians, groups, now_utc, resources};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub type_key: String,
    pub clinician_id: UserId,
    #[serde(default)]
    pub client_ids: Vec<ClientId>,
    /// Wall-clock start, `YYYY-MM-DDTHH:MM`, in `time_zone` (default: the clinician's zone).
    pub start: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub room_id: Option<Uuid>,
    #[serde(default)]
    pub group_id: Option<Uuid>,
    /// RFC 5545 RRULE for a series, e.g. `FREQ=WEEKLY;COUNT=12`.
    #[serde(default)]
    pub rrule: Option<String>,
    /// Book even outside the clinician's working hours (an explicit decision by staff).
    #[serde(default)]
    pub outside_working_hours: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    pub start: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub room_id: Option<Uuid>,
    #[serde(default)]
    pub outside_working_hours: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesChangeInput {
    /// New wall-clock start for this occurrence; the following ones keep the rule's rhythm from here.
    pub start: String,
    /// A new rule for this and the following occurrences; by default the old one, with COUNT shortened to the
    /// sessions that remain.
    #[serde(default)]
    pub rrule: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub outside_working_hours: bool,
}

pub(crate) const DEFAULT_CANCELLATION_WINDOW_HOURS: i64 = 24;

fn fmt_local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y %H:%M")
        .to_string()
}

fn parse_tz(raw: Option<&str>, fallback: &str) -> Result<Tz> {
    validate::time_zone(
        "time_zone",
        raw.filter(|s| !s.trim().is_empty()).unwrap_or(fallback),
    )
}

/// Everything a booking needs, checked against the database.
pub(crate) struct Plan {
    pub(crate) t: AppointmentType,
    pub(crate) mode: Mode,
    pub(crate) profile: Profile,
    pub(crate) tz: Tz,
    pub(crate) clients: Vec<ClientId>,
    pub(crate) room: Option<Uuid>,
    pub(crate) group: Option<Uuid>,
    pub(crate) known: KnownClients,
}

/// What `check_clients` learnt: the clients' display names, and whether the caller may see them only through a
/// care-team relation (which another transaction can end, so a booking checks it again under the lock).
#[derive(Debug, Clone, Default)]
pub(crate) struct KnownClients {
    pub(crate) names: HashMap<ClientId, String>,
    pub(crate) by_relation: bool,
}

impl App {
    pub(crate) async fn cancellation_window(&self, tx: &Tx<'_>) -> Result<Duration> {
        let hours = resources::setting(tx.conn(), "cancellation_window_hours")
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(DEFAULT_CANCELLATION_WINDOW_HOURS);
        Ok(Duration::hours(hours))
    }

    /// Clients must exist and be known to the caller; unknown and hidden ones get the same answer.
    pub(crate) async fn check_clients(
        &self,
        c: &impl ConnectionTrait,
        ctx: &Ctx,
        ids: &[ClientId],
    ) -> Result<KnownClients> {
        let names = clients::names(c, ids).await?;
        // Roles alone let administrators and the front desk see every client; otherwise it takes a relation.
        let by_relation = !ids.is_empty()
            && !authorize(
                &ctx.actor,
                Action::Read,
                Resource::ClientDemographics(Default::default()),
            )
            .is_allowed();
        for (i, id) in ids.iter().enumerate() {
            let visible = names.contains_key(id) && self.may_enrol(c, ctx, *id).await?;
            if !visible {
                return Err(no_such_client(i));
            }
        }
        let mut dedup = ids.to_vec();
        dedup.sort();
        dedup.dedup();
        if dedup.len() != ids.len() {
            return Err(Error::invalid("client_ids", "a client is listed twice"));
        }
        Ok(KnownClients { names, by_relation })
    }

    /// Whether the caller may put this client on an appointment or the waitlist: false for a client they may not
    /// know of; a refusal for one they see only through emergency access (read-only).
    async fn may_enrol(&self, c: &impl ConnectionTrait, ctx: &Ctx, id: ClientId) -> Result<bool> {
        let rel = match ctx.actor.user_id() {
            Some(me) => care::relation(c, me, id).await?,
            None => Default::default(),
        };
        match authorize(&ctx.actor, Action::Create, Resource::ClientEnrolment(rel)) {
            Decision::Allow => Ok(true),
            Decision::Deny(Denial::Forbidden(why)) => Err(Error::Forbidden(why.into())),
            Decision::Deny(Denial::Hidden) => Ok(false),
        }
    }

    /// Asks again, inside the locked transaction, the one question of `check_clients` whose answer another
    /// transaction can change: whether the caller still sees each client through a care-team relation. (Clients
    /// are never deleted, so existence cannot change.)
    pub(crate) async fn recheck_clients(&self, tx: &Tx<'_>, ctx: &Ctx, plan: &Plan) -> Result<()> {
        if !plan.known.by_relation {
            return Ok(());
        }
        for (i, id) in plan.clients.iter().enumerate() {
            if !self.may_enrol(tx.conn(), ctx, *id).await? {
                return Err(no_such_client(i));
            }
        }
        Ok(())
    }

    async fn plan(
        &self,
        c: &impl ConnectionTrait,
        ctx: &Ctx,
        input: &BookingInput,
        mode: Option<Mode>,
    ) -> Result<Plan> {
        let t = resources::appointment_type(c, input.type_key.trim())
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "type_key",
                    format!("there is no appointment type '{}'", input.type_key.trim()),
                )
            })?;
        let mode = mode.unwrap_or(t.modes.first().copied().unwrap_or(Mode::InPerson));
        if !t.modes.contains(&mode) {
            return Err(Error::invalid(
                "mode",
                format!(
                    "{} is not offered as {}",
                    t.label,
                    mode.label().to_lowercase()
                ),
            ));
        }
        let profile = clinicians::get(c, input.clinician_id)
            .await?
            .ok_or_else(|| Error::invalid("clinician_id", "there is no clinician with this id"))?;
        let tz = parse_tz(input.time_zone.as_deref(), &profile.time_zone)?;
        let known = self.check_clients(c, ctx, &input.client_ids).await?;
        appointment::check_participants(t.kind, input.client_ids.len())?;
        let group = match (t.kind, input.group_id) {
            (AppointmentKind::Group, None) => {
                return Err(Error::invalid(
                    "group_id",
                    "a group session belongs to a group",
                ));
            }
            (AppointmentKind::Group, Some(g)) => {
                if !groups::exists(c, g).await? {
                    return Err(Error::invalid("group_id", "there is no group with this id"));
                }
                Some(g)
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "group_id",
                    "only group sessions belong to a group",
                ));
            }
            (_, None) => None,
        };
        if let Some(r) = input.room_id {
            if mode == Mode::Telehealth {
                return Err(Error::invalid(
                    "room_id",
                    "a telehealth session needs no room",
                ));
            }
            if resources::room(c, r).await?.is_none() {
                return Err(Error::invalid("room_id", "there is no room with this id"));
            }
        }
        Ok(Plan {
            t,
            mode,
            profile,
            tz,
            clients: input.client_ids.clone(),
            room: input.room_id,
            group,
            known,
        })
    }

    /// Refuses sessions outside the clinician's working time (weekly hours plus exceptions), unless overridden.
    pub(crate) async fn check_hours(
        &self,
        c: &impl ConnectionTrait,
        plan: &Plan,
        sessions: &[Interval],
        override_hours: bool,
    ) -> Result<()> {
        if override_hours || plan.profile.weekly_hours.is_empty() || sessions.is_empty() {
            return Ok(());
        }
        let span = Interval {
            start: sessions.iter().map(|s| s.start).min().unwrap_or_default(),
            end: sessions.iter().map(|s| s.end).max().unwrap_or_default(),
        };
        let exceptions: Vec<_> = resources::exceptions(c, &[plan.profile.user_id], span)
            .await?
            .into_iter()
            .map(|e| e.exception)
            .collect();
        let tz = validate::time_zone("time_zone", &plan.profile.time_zone)?;
        let location = match plan.room {
            Some(r)
                if plan
                    .profile
                    .weekly_hours
                    .iter()
                    .any(|b| b.location_id.is_some()) =>
            {
                resources::room(c, r).await?.map(|room| room.location_id)
            }
            _ => None,
        };
        let blocks = blocks_for(&plan.profile.weekly_hours, Some(plan.mode), location);
        let working = working_time(&blocks, tz, span, &exceptions);
        if let Some(s) = sessions
            .iter()
            .find(|s| !working.iter().any(|w| w.contains(s)))
        {
            return Err(Error::invalid(
                "start",
                format!(
                    "{} is outside {}'s working hours for this kind of session and place (or during time off); choose another time, or book outside working hours on purpose",
                    fmt_local(s.start, plan.tz),
                    plan.profile.display_name
                ),
            ));
        }
        Ok(())
    }

    /// Refuses the first session that collides with the clinician's (buffered) calendar, the room or a client.
    pub(crate) async fn check_conflicts(
        &self,
        tx: &Tx<'_>,
        plan: &Plan,
        sessions: &[Interval],
        exclude: &[Uuid],
    ) -> Result<()> {
        let (before, after) = buffers(&plan.t);
        for s in sessions {
            let window = s.padded(before + Duration::hours(4), after + Duration::hours(4));
            let candidates = schedule::holdings_near(
                tx.conn(),
                window,
                plan.profile.user_id,
                plan.room,
                &plan.clients,
                exclude,
            )
            .await?;
            for e in candidates {
                let when = fmt_local(e.session.start, plan.tz);
                let busy = BusyTime {
                    session: e.session,
                    buffer_before: e.session.start - e.busy.start,
                    buffer_after: e.busy.end - e.session.end,
                };
                if e.clinician_id == plan.profile.user_id
                    && !fits(*s, before, after, &[*s], &[busy])
                {
                    return Err(Error::Conflict(format!(
                        "{} already has a session at {when} ({}); the time is taken",
                        plan.profile.display_name,
                        plan.tz.name()
                    )));
                }
                if plan.room.is_some() && e.room_id == plan.room && e.session.overlaps(s) {
                    return Err(Error::Conflict(format!(
                        "the room is booked at {when} ({})",
                        plan.tz.name()
                    )));
                }
                if e.session.overlaps(s) && e.shared_client.is_some() {
                    return Err(Error::Conflict(format!(
                        "a client of this session already has an appointment at {when} ({})",
                        plan.tz.name()
                    )));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn audit_each_client(
        &self,
        ctx: &Ctx,
        action: &str,
        a: &Appointment,
    ) -> Vec<AuditEvent> {
        let base = AuditEvent::new(&ctx.actor, action.to_string(), "appointment")
            .resource(a.series_id.unwrap_or(a.id))
            .request(ctx.rid());
        if a.client_ids.is_empty() {
            return vec![base];
        }
        a.client_ids
            .iter()
            .map(|c| base.clone().client(c.0))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_occurrences(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        plan: &Plan,
        starts: &[(Option<u32>, DateTime<Utc>)],
        series_id: Option<Uuid>,
        status: Status,
        reminders: &ReminderPlan,
    ) -> Result<Vec<Appointment>> {
        let (before, after) = buffers(&plan.t);
        let mut made = Vec::with_capacity(starts.len());
        for (index, start) in starts {
            let session = Interval::from_duration(*start, plan.t.length());
            let a = Appointment {
                id: Uuid::now_v7(),
                series_id,
                occurrence_index: index.map(|i| i as i32),
                type_key: plan.t.key.clone(),
                kind: plan.t.kind,
                mode: plan.mode,
                status,
                clinician_id: plan.profile.user_id,
                room_id: plan.room,
                group_id: plan.group,
                session,
                busy: session.padded(before, after),
                time_zone: plan.tz.name().to_string(),
                client_ids: plan.clients.clone(),
                created_by: ctx.actor.user_id().unwrap_or_default(),
                version: 1,
            };
            schedule::insert(tx, &a).await?;
            self.enqueue_reminders(tx, &a, reminders).await?;
            made.push(a);
        }
        Ok(made)
    }

    /// Books one session, or every occurrence of a series, all or nothing.
    pub async fn book(&self, ctx: &Ctx, input: BookingInput) -> Result<Booked> {
        let mut p = Problems::new();
        let start_local = p.take(session_start(&input.start));
        let rule = match input
            .rrule
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(r) => p.take(Rule::parse(r)).map(Some),
            None => Some(None),
        };
        let mode = match input
            .mode
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            Some(m) => p.take(Mode::parse(m)).map(Some),
            None => Some(None),
        };
        p.finish()?;
        let (Some(start_local), Some(rule), Some(mode)) = (start_local, rule, mode) else {
            return Err(Error::internal("validation passed without values"));
        };
        self.permit(
            ctx,
            Action::Create,
            Resource::Calendar {
                owner: input.clinician_id,
            },
            AuditEvent::new(&ctx.actor, "appointment.create", "appointment"),
        )
        .await?;
        // Everything read-only is checked before the writers' turn, so concurrent bookings validate in
        // parallel and hold the lock only for the conflict check and the writes. Why each answer is still true
        // when the booking commits:
        // - Appointment types, rooms and groups are never deleted, and clients neither; a type edited meanwhile
        //   books with the definition read here, as if this booking had committed just before the edit.
        // - Working hours, time off, rosters, reminder settings and addresses can change meanwhile, but none of
        //   those changes looks at existing appointments, so the end state equals the serial order "this booking,
        //   then that change" (which the later change would not have refused or altered).
        // - The one policy answer that rests on changeable data, whether the caller sees the clients through a
        //   care-team relation, is asked again under the lock (`recheck_clients`).
        // - Double-booking is decided only under the lock (`check_conflicts`), which serialises bookings.
        let db = self.store.unaudited(Unaudited::AfterDecision);
        let plan = self.plan(db, ctx, &input, mode).await?;
        let first = resolve_strict(plan.tz, start_local, "start")?;
        if let Some(g) = plan.group {
            for (i, c) in plan.clients.iter().enumerate() {
                if !groups::on_roster(db, g, *c, first.with_timezone(&plan.tz).date_naive()).await?
                {
                    return Err(Error::invalid(
                        format!("client_ids[{i}]"),
                        "this client is not on the group's roster on that date",
                    ));
                }
            }
        }
        let starts: Vec<(Option<u32>, DateTime<Utc>)> = match &rule {
            None => vec![(None, first)],
            Some(r) => recurrence::expand(r, start_local, plan.tz)?
                .into_iter()
                .map(|o| (Some(o.index), o.start))
                .collect(),
        };
        let sessions: Vec<Interval> = starts
            .iter()
            .map(|(_, s)| Interval::from_duration(*s, plan.t.length()))
            .collect();
        self.check_hours(db, &plan, &sessions, input.outside_working_hours)
            .await?;
        let reminders = self.reminder_plan(db, &plan.clients).await?;
        let series = rule.as_ref().map(|r| schedule::Series {
            id: Uuid::now_v7(),
            rule: r.as_str().to_string(),
            start_local: start_local.format("%Y-%m-%dT%H:%M:%S").to_string(),
            time_zone: plan.tz.name().to_string(),
            clinician_id: plan.profile.user_id.0,
            type_key: plan.t.key.clone(),
            previous_series_id: None,
            created_at: now_utc(),
        });
        let series_id = series.as_ref().map(|s| s.id);
        // The part that must be serialised, through the group-commit writer: it runs in the writers' turn's
        // transaction (in a savepoint of its own, batched with other bookings) and is answered once durable.
        let (app, ctx_w) = (self.clone(), ctx.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    app.recheck_clients(tx, &ctx_w, &plan).await?;
                    // Before the conflict check: a retried booking replays its first answer, not a 409.
                    app.once_check(tx, &ctx_w).await?;
                    app.check_conflicts(tx, &plan, &sessions, &[]).await?;
                    if let Some(s) = &series {
                        schedule::insert_series(tx.conn(), s).await?;
                    }
                    let made = app
                        .insert_occurrences(
                            tx,
                            &ctx_w,
                            &plan,
                            &starts,
                            series_id,
                            Status::Booked,
                            &reminders,
                        )
                        .await?;
                    // The audit entries hang on the first session: no session, nothing may be kept (the
                    // rule is refused before, in `expand`; this keeps a series row from ever lacking them).
                    let Some(a) = made.first() else {
                        return Err(Error::invalid("rrule", "this rule gives no sessions"));
                    };
                    for ev in app.audit_each_client(&ctx_w, "appointment.create", a) {
                        tx.audit(ev.detail(format!("{} session(s)", made.len())))
                            .await?;
                    }
                    // The answer is built from what was checked: every participant passed `check_clients`, so
                    // the caller may see each of them named, and the clinician's name came with the profile.
                    let appointments = made
                        .iter()
                        .map(|a| {
                            let clients = a
                                .client_ids
                                .iter()
                                .map(|c| Participant {
                                    client_id: *c,
                                    name: plan.known.names.get(c).cloned().unwrap_or_default(),
                                })
                                .collect();
                            view_of(a, plan.profile.display_name.clone(), clients)
                        })
                        .collect();
                    let booked = Booked {
                        series_id,
                        appointments,
                    };
                    app.once_record(tx, &ctx_w, &booked).await?;
                    Ok::<_, Error>(booked)
                })
            })
            .await
    }

    async fn load_for_change(&self, tx: &Tx<'_>, id: Uuid) -> Result<Appointment> {
        schedule::get(tx.conn(), id).await?.ok_or(Error::NotFound)
    }

    /// Moves one appointment (one occurrence of a series, without touching the others); the move is recorded in
    /// its history.
    pub async fn reschedule(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: RescheduleInput,
    ) -> Result<AppointmentView> {
        let start_local = session_start(&input.start)?;
        let tx = self.store.begin().await?;
        let a = self.load_for_change(&tx, id).await?;
        let ev =
            || AuditEvent::new(&ctx.actor, "appointment.reschedule", "appointment").resource(id);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar {
                    owner: a.clinician_id,
                },
                ev(),
            )
            .await?;
        if a.status.is_final() {
            return Err(Error::Conflict(format!(
                "a {} appointment cannot be moved",
                a.status.label().to_lowercase()
            )));
        }
        if a.version != version {
            return Err(Error::Conflict(
                "this appointment was changed by someone else since you opened it; reload it"
                    .into(),
            ));
        }
        let booking = BookingInput {
            type_key: a.type_key.clone(),
            clinician_id: a.clinician_id,
            client_ids: a.client_ids.clone(),
            start: input.start.clone(),
            time_zone: input.time_zone.clone().or(Some(a.time_zone.clone())),
            mode: None,
            room_id: input.room_id.or(a.room_id),
            group_id: a.group_id,
            rrule: None,
            outside_working_hours: input.outside_working_hours,
        };
        let plan = self.plan(tx.conn(), ctx, &booking, Some(a.mode)).await?;
        let start = resolve_strict(plan.tz, start_local, "start")?;
        let session = Interval::from_duration(start, plan.t.length());
        self.check_hours(tx.conn(), &plan, &[session], input.outside_working_hours)
            .await?;
        self.check_conflicts(&tx, &plan, &[session], &[a.id])
            .await?;
        let (before, after) = buffers(&plan.t);
        let a_before = a.clone();
        let version =
            schedule::update_time(&tx, &a, session, session.padded(before, after), plan.room)
                .await?;
        schedule::history(
            tx.conn(),
            a.id,
            ctx.actor.user_id(),
            "rescheduled",
            Some(a.session.start),
            Some(start),
            None,
            None,
        )
        .await?;
        for e in self.audit_each_client(ctx, "appointment.reschedule", &a) {
            tx.audit(e.resource(a.id)).await?;
        }
        let moved = Appointment {
            session,
            busy: session.padded(before, after),
            room_id: plan.room,
            version,
            ..a
        };
        self.cancel_reminders(&tx, &moved).await?;
        self.queue_reminders(&tx, &moved).await?;
        // The old time is free now.
        self.offer_freed_time(&tx, &a_before).await?;
        let view = self
            .views(tx.conn(), ctx, vec![moved])
            .await?
            .pop()
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Confirms, checks in, completes, marks a no-show, or cancels. A cancellation inside the practice's window
    /// becomes a late cancellation.
    pub async fn set_status(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: StatusInput,
    ) -> Result<AppointmentView> {
        let wanted = Status::parse(&input.status)?;
        let reason =
            validate::optional_text("reason", input.reason.as_deref().unwrap_or(""), 2000)?;
        let tx = self.store.begin().await?;
        let a = self.load_for_change(&tx, id).await?;
        let ev = || AuditEvent::new(&ctx.actor, "appointment.status", "appointment").resource(id);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar {
                    owner: a.clinician_id,
                },
                ev(),
            )
            .await?;
        if a.version != version {
            return Err(Error::Conflict(
                "this appointment was changed by someone else since you opened it; reload it"
                    .into(),
            ));
        }
        let target = if wanted == Status::Cancelled {
            appointment::cancellation_status(
                now_utc(),
                a.session.start,
                self.cancellation_window(&tx).await?,
            )
        } else {
            wanted
        };
        let next = a.status.transition(target)?;
        let a_status = a.status;
        let version = schedule::update_status(&tx, &a, next, reason.as_deref()).await?;
        schedule::history(
            tx.conn(),
            a.id,
            ctx.actor.user_id(),
            "status",
            None,
            None,
            Some(a.status),
            Some(next),
        )
        .await?;
        for e in self.audit_each_client(ctx, "appointment.status", &a) {
            tx.audit(e.resource(a.id).detail(format!(
                "{} -> {}",
                a.status.as_str(),
                next.as_str()
            )))
            .await?;
        }
        let changed = Appointment {
            status: next,
            version,
            ..a
        };
        if next.is_final() {
            self.cancel_reminders(&tx, &changed).await?;
        }
        if !next.holds_time() {
            self.offer_freed_time(&tx, &changed).await?;
        }
        if a_status == Status::Requested && next.holds_time() {
            self.queue_reminders(&tx, &changed).await?;
        }
        let view = self
            .views(tx.conn(), ctx, vec![changed])
            .await?
            .pop()
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(view)
    }

    /// Loads an occurrence of a series for a series edit, once the caller may change that calendar.
    async fn series_occurrence(
        &self,
        ctx: &Ctx,
        id: Uuid,
        action: &str,
    ) -> Result<(Tx<'_>, Appointment, Uuid, i32)> {
        let tx = self.store.begin().await?;
        let a = self.load_for_change(&tx, id).await?;
        let (Some(series_id), Some(index)) = (a.series_id, a.occurrence_index) else {
            return Err(Error::invalid(
                "id",
                "this appointment is not part of a series",
            ));
        };
        let ev = AuditEvent::new(&ctx.actor, action.to_string(), "appointment").resource(series_id);
        let tx = self
            .guard(
                tx,
                ctx,
                Action::Update,
                Resource::Calendar {
                    owner: a.clinician_id,
                },
                ev,
            )
            .await?;
        Ok((tx, a, series_id, index))
    }

    /// "This and following": cancels this and the later occurrences and books a new series from the new start.
    pub async fn change_series_from(
        &self,
        ctx: &Ctx,
        id: Uuid,
        input: SeriesChangeInput,
    ) -> Result<Booked> {
        let start_local = session_start(&input.start)?;
        let (tx, a, series_id, index) = self.series_occurrence(ctx, id, "series.change").await?;
        let series = schedule::get_series(tx.conn(), series_id)
            .await?
            .ok_or(Error::NotFound)?;
        let following: Vec<Appointment> = schedule::series_from(tx.conn(), series_id, index)
            .await?
            .into_iter()
            .filter(|o| !o.status.is_final())
            .collect();
        let rule = match input
            .rrule
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(r) => Rule::parse(r)?,
            None => Rule::parse(&remaining_rule(&series.rule, following.len()))?,
        };
        let booking = BookingInput {
            type_key: a.type_key.clone(),
            clinician_id: a.clinician_id,
            client_ids: a.client_ids.clone(),
            start: input.start.clone(),
            time_zone: input.time_zone.clone().or(Some(series.time_zone.clone())),
            mode: None,
            room_id: a.room_id,
            group_id: a.group_id,
            rrule: None,
            outside_working_hours: input.outside_working_hours,
        };
        let plan = self.plan(tx.conn(), ctx, &booking, Some(a.mode)).await?;
        resolve_strict(plan.tz, start_local, "start")?;
        let starts: Vec<(Option<u32>, DateTime<Utc>)> =
            recurrence::expand(&rule, start_local, plan.tz)?
                .into_iter()
                .map(|o| (Some(o.index), o.start))
                .collect();
        let sessions: Vec<Interval> = starts
            .iter()
            .map(|(_, s)| Interval::from_duration(*s, plan.t.length()))
            .collect();
        let exclude: Vec<Uuid> = following.iter().map(|o| o.id).collect();
        self.check_hours(tx.conn(), &plan, &sessions, input.outside_working_hours)
            .await?;
        self.check_conflicts(&tx, &plan, &sessions, &exclude)
            .await?;
        for o in &following {
            self.cancel_reminders(&tx, o).await?;
            schedule::update_status(&tx, o, Status::Cancelled, None).await?;
            schedule::history(
                tx.conn(),
                o.id,
                ctx.actor.user_id(),
                "series changed",
                None,
                None,
                Some(o.status),
                Some(Status::Cancelled),
            )
            .await?;
        }
        let new_id = Uuid::now_v7();
        schedule::insert_series(
            tx.conn(),
            &schedule::Series {
                id: new_id,
                rule: rule.as_str().to_string(),
                start_local: start_local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                time_zone: plan.tz.name().to_string(),
                clinician_id: plan.profile.user_id.0,
                type_key: plan.t.key.clone(),
                previous_series_id: Some(series_id),
                created_at: now_utc(),
            },
        )
        .await?;
        let made = self
            .insert_occurrences(
                &tx,
                ctx,
                &plan,
                &starts,
                Some(new_id),
                Status::Booked,
                &self.reminder_plan(tx.conn(), &plan.clients).await?,
            )
            .await?;
        for e in self.audit_each_client(ctx, "series.change", &a) {
            tx.audit(e.detail(format!(
                "{} cancelled, {} booked",
                following.len(),
                made.len()
            )))
            .await?;
        }
        let views = self.views(tx.conn(), ctx, made).await?;
        tx.commit().await?;
        Ok(Booked {
            series_id: Some(new_id),
            appointments: views,
        })
    }

    /// Ends a series: cancels the occurrences after this one (and this one too, with `including_this`).
    pub async fn end_series(&self, ctx: &Ctx, id: Uuid, including_this: bool) -> Result<usize> {
        let (tx, a, series_id, index) = self.series_occurrence(ctx, id, "series.end").await?;
        let from = if including_this { index } else { index + 1 };
        let rest: Vec<Appointment> = schedule::series_from(tx.conn(), series_id, from)
            .await?
            .into_iter()
            .filter(|o| !o.status.is_final())
            .collect();
        for o in &rest {
            self.cancel_reminders(&tx, o).await?;
            schedule::update_status(&tx, o, Status::Cancelled, None).await?;
            schedule::history(
                tx.conn(),
                o.id,
                ctx.actor.user_id(),
                "series ended",
                None,
                None,
                Some(o.status),
                Some(Status::Cancelled),
            )
            .await?;
        }
        for e in self.audit_each_client(ctx, "series.end", &a) {
            tx.audit(e.detail(format!("{} cancelled", rest.len())))
                .await?;
        }
        tx.commit().await?;
        Ok(rest.len())
    }
}

/// A session's wall-clock start, parsed and inside the booking window (a year back, five years ahead).
fn session_start(raw: &str) -> Result<NaiveDateTime> {
    let t = validate::local_datetime("start", raw)?;
    rapport_domain::dates::booking_start("start", t, now_utc().date_naive())
}

fn no_such_client(i: usize) -> Error {
    Error::invalid(
        format!("client_ids[{i}]"),
        "there is no client with this id",
    )
}

/// The old rule for what remains of a series: COUNT becomes the number of sessions left; UNTIL stays.
fn remaining_rule(rule: &str, remaining: usize) -> String {
    rule.split(';')
        .map(|part| match part.split_once('=') {
            Some(("COUNT", _)) => format!("COUNT={}", remaining.max(1)),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::remaining_rule;

    #[test]
    fn the_rest_of_a_counted_series_keeps_its_rhythm() {
        assert_eq!(
            remaining_rule("FREQ=WEEKLY;INTERVAL=2;COUNT=10", 4),
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4"
        );
        assert_eq!(
            remaining_rule("FREQ=WEEKLY;UNTIL=20270101T000000Z", 4),
            "FREQ=WEEKLY;UNTIL=20270101T000000Z"
        );
    }
}
