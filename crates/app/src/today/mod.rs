//! The Today page's one read model: what the signed-in person has on today and tomorrow and what waits for them,
//! read in one transaction with its audit entries, with the rights that decide which sections a page shows.
//!
//! Sections follow the roles: a clinician's sessions and queue, the front desk's arrivals and cancellations, a
//! supervisor's trainees, an administrator's practice health. A section the caller's roles do not call for is not
//! read at all (an empty section would claim "nothing to do" where nothing was looked at).

mod clinician;
mod office;

use crate::measures::AlertView;
use crate::notes::NoteSummary;
use crate::scheduling::Participant;
use crate::{App, Ctx};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::policy::{Action, Resource, StaffRights, authorize};
use rapport_domain::{ClientId, Error, Result, Role, UserId};
use rapport_store::audit::AuditEvent;
use rapport_store::{now_utc, resources};
use uuid::Uuid;

/// Which sections the caller's roles call for, as the policy answers them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TodayRights {
    /// Their own sessions today and tomorrow (clinicians and supervisors).
    pub sessions: bool,
    /// Notes, alerts, homework, record requests and referrals waiting for them (clinical staff).
    pub waiting: bool,
    /// Today's arrivals and the cancellations to refill (the front desk).
    pub desk: bool,
    /// Check a client in or mark a no-show from the arrivals list.
    pub set_status: bool,
    /// Their trainees' notes (supervisors with trainees).
    pub trainees: bool,
    /// Locked accounts and failing e-mail (administrators).
    pub health: bool,
}

/// Whether a session is today's or tomorrow's, on the viewer's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    Today,
    Tomorrow,
}

impl Day {
    pub fn label(self) -> &'static str {
        match self {
            Day::Today => "Today",
            Day::Tomorrow => "Tomorrow",
        }
    }
}

/// The note of one session, as the caller may see it.
#[derive(Debug, Clone)]
pub enum SessionNote {
    /// A note the caller wrote for this appointment: open it.
    Written {
        id: rapport_domain::NoteId,
        status_label: &'static str,
    },
    /// None yet: start one in this client's chart, linked to the appointment.
    Start { client_id: ClientId },
    /// A group session: its notes are written on the group's session page.
    Group { group_id: Uuid },
    /// Tomorrow's session: a note cannot be dated in the future.
    NotYet,
    /// Nothing the caller may write here (e.g. a participant outside their care team).
    Unavailable,
}

/// One of the caller's own sessions.
#[derive(Debug, Clone)]
pub struct SessionItem {
    pub id: Uuid,
    pub day: Day,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub minutes: i64,
    /// "Individual", "Couple"…
    pub kind_label: &'static str,
    /// "Telehealth", or the room's name, or "In person" without a room.
    pub place: String,
    pub status_label: &'static str,
    pub clients: Vec<Participant>,
    /// One per participant the caller may write about (a couple's session has two).
    pub notes: Vec<(String, SessionNote)>,
    /// The template a new note starts with: the intake assessment for an intake, else a progress note.
    pub template: &'static str,
}

/// A client with a count of something waiting (overdue homework).
#[derive(Debug, Clone)]
pub struct ClientCount {
    pub client_id: ClientId,
    pub client_name: String,
    pub count: u32,
}

/// An open record request with its due date.
#[derive(Debug, Clone)]
pub struct RequestDue {
    pub id: Uuid,
    pub client_id: ClientId,
    pub client_name: String,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// A referral sent and not yet answered.
#[derive(Debug, Clone)]
pub struct ReferralWaiting {
    pub client_id: ClientId,
    pub client_name: String,
    pub kind_label: &'static str,
    pub sent_on: NaiveDate,
    pub days: i64,
}

/// What waits for a clinician.
#[derive(Debug, Clone, Default)]
pub struct Waiting {
    pub drafts: Vec<NoteSummary>,
    pub late_drafts: usize,
    pub to_cosign: Vec<NoteSummary>,
    pub alerts: Vec<AlertView>,
    pub overdue_homework: Vec<ClientCount>,
    pub record_requests: Vec<RequestDue>,
    pub referrals: Vec<ReferralWaiting>,
}

impl Waiting {
    pub fn is_empty(&self) -> bool {
        self.drafts.is_empty()
            && self.to_cosign.is_empty()
            && self.alerts.is_empty()
            && self.overdue_homework.is_empty()
            && self.record_requests.is_empty()
            && self.referrals.is_empty()
    }
}

/// An appointment on the front desk's lists.
#[derive(Debug, Clone)]
pub struct DeskItem {
    pub id: Uuid,
    pub day: Day,
    pub start: DateTime<Utc>,
    pub clinician_name: String,
    pub clients: Vec<Participant>,
    /// Participants the desk may not know of (shown as a number, never named).
    pub hidden_clients: usize,
    pub kind_label: &'static str,
    pub place: String,
    pub status_label: &'static str,
    pub version: i32,
    /// Whether "Arrived" and "No-show" are possible next steps.
    pub can_check_in: bool,
}

/// The front desk's day.
#[derive(Debug, Clone, Default)]
pub struct Desk {
    pub arrivals: Vec<DeskItem>,
    pub cancellations: Vec<DeskItem>,
    /// Waitlist entries still waiting for a place.
    pub waitlist_waiting: usize,
}

/// One trainee's notes as their supervisor sees them.
#[derive(Debug, Clone)]
pub struct TraineeQueue {
    pub trainee_id: UserId,
    pub name: String,
    pub drafts: usize,
    pub late_drafts: usize,
    pub to_cosign: usize,
}

/// An account that cannot sign in for now.
#[derive(Debug, Clone)]
pub struct LockedAccount {
    pub id: UserId,
    pub name: String,
    pub until: DateTime<Utc>,
}

/// The practice's health, for administrators.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub locked_accounts: Vec<LockedAccount>,
    pub failing_mail: u64,
}

/// The whole Today page.
#[derive(Debug, Clone)]
pub struct TodayView {
    pub rights: TodayRights,
    pub staff: StaffRights,
    /// The viewer's zone (IANA name) and calendar days.
    pub zone: String,
    pub today: NaiveDate,
    pub tomorrow: NaiveDate,
    pub sessions: Vec<SessionItem>,
    pub waiting: Waiting,
    pub desk: Desk,
    pub trainees: Vec<TraineeQueue>,
    pub health: Health,
}

/// Midnight at the start of `day` in `tz` (the earlier one if a DST change repeats it, the first instant after a
/// skipped one).
pub(crate) fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    use chrono::{NaiveTime, TimeZone};
    let mut t = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.with_timezone(&Utc);
        }
        // No zone skips more than an hour at midnight; step forward until the wall clock exists.
        t += chrono::Duration::minutes(30);
    }
    t.and_utc()
}

impl TodayRights {
    fn of(actor: &rapport_domain::Actor) -> TodayRights {
        let may = |action, resource| authorize(actor, action, resource).is_allowed();
        let me = actor.user_id().unwrap_or_default();
        let treats = actor.has(Role::Clinician) || actor.has(Role::Supervisor);
        let desk = actor.has(Role::Scheduler) && may(Action::List, Resource::Waitlist);
        TodayRights {
            sessions: treats && may(Action::List, Resource::Calendar { owner: me }),
            waiting: actor.is_clinical(),
            desk,
            set_status: desk
                && may(
                    Action::Update,
                    Resource::Calendar {
                        owner: UserId::default(),
                    },
                ),
            trainees: actor.has(Role::Supervisor),
            health: actor.has(Role::Admin)
                && may(Action::List, Resource::UserAccounts)
                && may(Action::List, Resource::Outbox),
        }
    }
}

impl App {
    /// The Today page: every section the caller's roles call for, from one read transaction, audited as one
    /// `today.read` entry plus one per client whose clinical items (note status, alerts, homework, referrals,
    /// record requests) it shows.
    pub async fn today(&self, ctx: &Ctx) -> Result<TodayView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let rights = TodayRights::of(&ctx.actor);
        let tx = self.store.begin_read().await?;
        let zone = resources::zone_of_user(tx.conn(), me).await?;
        let tz: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
        let now = now_utc();
        let today = now.with_timezone(&tz).date_naive();
        let tomorrow = today.succ_opt().unwrap_or(today);
        let mut touched: Vec<ClientId> = Vec::new();
        let days = clinician::Days { today, tz };
        let sessions = if rights.sessions {
            self.my_sessions(&tx, ctx, me, days, &mut touched).await?
        } else {
            Vec::new()
        };
        let waiting = if rights.waiting {
            self.waiting_for(&tx, ctx, me, now, &mut touched).await?
        } else {
            Waiting::default()
        };
        let desk = if rights.desk {
            self.desk_day(&tx, ctx, days).await?
        } else {
            Desk::default()
        };
        let trainees = if rights.trainees {
            self.trainee_queues(&tx, ctx, me).await?
        } else {
            Vec::new()
        };
        let health = if rights.health {
            office::health(&tx, now).await?
        } else {
            Health::default()
        };
        touched.sort();
        touched.dedup();
        let mut entries = vec![
            AuditEvent::new(&ctx.actor, "today.read", "today")
                .request(ctx.rid())
                .detail(format!(
                    "{} sessions, {} drafts, {} to co-sign, {} alerts, {} arrivals, {} trainees",
                    sessions.len(),
                    waiting.drafts.len(),
                    waiting.to_cosign.len(),
                    waiting.alerts.len(),
                    desk.arrivals.len(),
                    trainees.len()
                )),
        ];
        entries.extend(touched.iter().map(|c| {
            AuditEvent::new(&ctx.actor, "today.read", "client")
                .resource(c.0)
                .client(c.0)
                .request(ctx.rid())
        }));
        tx.audit_many(entries).await?;
        tx.commit().await?;
        Ok(TodayView {
            rights,
            staff: self.staff_rights(ctx),
            zone,
            today,
            tomorrow,
            sessions,
            waiting,
            desk,
            trainees,
            health,
        })
    }
}
