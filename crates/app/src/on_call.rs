//! The clinic's on-call rota: list shifts in a range, add one, remove one, and who is on call now.
//!
//! Planned by the front desk and administrators, read by every clinical staff member (`policy::Resource::
//! OnCallRota`). Times are entered on the wall clock of a zone and stored in UTC (`domain::oncall`). Escalated
//! measure alerts also go to whoever is on call (`measures::alerts`).

use crate::notes::{Names, Person};
use crate::{App, Ctx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::error::Problems;
use rapport_domain::oncall::{self, ShiftTimes};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::{Error, Result, UserId, validate};
use rapport_store::Unaudited;
use rapport_store::audit::AuditEvent;
use rapport_store::on_call::{self as repo, Shift};
use rapport_store::{Tx, now_utc, resources, users};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest range one list may ask for, so a careless query cannot read the whole history at once.
pub const MAX_RANGE_DAYS: i64 = 92;
/// What a list shows when no range is given: from now, the coming two weeks.
pub const DEFAULT_RANGE_DAYS: i64 = 14;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    pub user_id: String,
    /// Local wall-clock start, `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub start: String,
    /// Local wall-clock end (exclusive), `YYYY-MM-DDTHH:MM`, in `time_zone`.
    pub end: String,
    /// IANA zone; the practice's (its first location's, else UTC) when left out.
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShiftQuery {
    /// First day (`YYYY-MM-DD`, UTC); now when left out.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, included (`YYYY-MM-DD`, UTC); 14 days after `from` when left out.
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShiftView {
    pub id: Uuid,
    pub user: Person,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub time_zone: String,
    /// The start and end on the wall clock of `time_zone`, as entered.
    pub start_local: String,
    pub end_local: String,
    pub created_by: Person,
    pub created_at: DateTime<Utc>,
    /// Whether the person can be told of an alert: an enabled account that still holds a clinical role. A shift
    /// whose person has since been disabled stays on the rota, marked, so that a planner sees the gap and fills it.
    pub reachable: bool,
}

/// Everything the rota page shows, read in one audited transaction.
#[derive(Debug, Clone, Serialize)]
pub struct RotaBoard {
    pub now: Vec<ShiftView>,
    pub coming: Vec<ShiftView>,
    /// Active clinical staff who may be put on call (only for those who plan the rota).
    pub candidates: Vec<Person>,
    pub can_manage: bool,
    pub default_zone: String,
}

fn local(t: DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<Tz>() {
        Ok(tz) => t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string(),
        Err(_) => t.format("%Y-%m-%dT%H:%M").to_string(),
    }
}

async fn view(tx: &Tx<'_>, s: Shift, names: &mut Names) -> Result<ShiftView> {
    let reachable = users::by_id(tx.conn(), s.user_id)
        .await?
        .is_some_and(|u| oncall::check_on_call_person(&users::roles(&u), u.disabled).is_ok());
    Ok(ShiftView {
        reachable,
        id: s.id,
        user: names.person(tx, s.user_id).await?,
        start_local: local(s.start_at, &s.time_zone),
        end_local: local(s.end_at, &s.time_zone),
        start: s.start_at,
        end: s.end_at,
        time_zone: s.time_zone,
        created_by: names.person(tx, s.created_by).await?,
        created_at: s.created_at,
    })
}

async fn views(tx: &Tx<'_>, shifts: Vec<Shift>) -> Result<Vec<ShiftView>> {
    let mut names = Names::default();
    let mut out = Vec::with_capacity(shifts.len());
    for s in shifts {
        out.push(view(tx, s, &mut names).await?);
    }
    Ok(out)
}

/// The requested range as instants: `[from, to + 1 day)`.
fn range(q: &ShiftQuery, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let day = |raw: &Option<String>, field: &str| -> Result<Option<NaiveDate>> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => validate::date(field, s).map(Some),
            None => Ok(None),
        }
    };
    let mut p = Problems::new();
    let from = p.take(day(&q.from, "from")).flatten();
    let to = p.take(day(&q.to, "to")).flatten();
    p.finish()?;
    let start = from.map_or(now, |d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    // Checked arithmetic: the dates are range-checked when parsed, but an overflow here once closed the
    // connection without an answer.
    let too_far = || Error::invalid("to", "the range ends too far in the future");
    let end = match to {
        Some(d) => d
            .checked_add_days(chrono::Days::new(1))
            .ok_or_else(too_far)?
            .and_time(chrono::NaiveTime::MIN)
            .and_utc(),
        None => start
            .checked_add_signed(Duration::days(DEFAULT_RANGE_DAYS))
            .ok_or_else(too_far)?,
    };
    if end <= start {
        return Err(Error::invalid(
            "to",
            "the range must end on or after `from`",
        ));
    }
    if end - start > Duration::days(MAX_RANGE_DAYS) {
        return Err(Error::invalid(
            "to",
            format!("ask for at most {MAX_RANGE_DAYS} days at once"),
        ));
    }
    Ok((start, end))
}

/// Users on call at `t` who may be told: enabled accounts with a clinical role.
pub(crate) async fn reachable_on_call(
    c: &impl rapport_store::ConnectionTrait,
    t: DateTime<Utc>,
) -> Result<Vec<UserId>> {
    let mut out = Vec::new();
    for s in repo::on_call_at(c, t).await? {
        let Some(u) = users::by_id(c, s.user_id).await? else {
            continue;
        };
        if !u.disabled && users::roles(&u).iter().any(|r| r.is_clinical()) {
            out.push(s.user_id);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

impl App {
    /// The zone a new shift defaults to: the practice's (`resources::practice_zone`).
    pub async fn practice_zone(&self) -> Result<String> {
        Ok(resources::practice_zone(self.store.unaudited(Unaudited::Configuration)).await?)
    }

    /// Shifts sharing an instant with the range, earliest first.
    pub async fn on_call_shifts(&self, ctx: &Ctx, q: &ShiftQuery) -> Result<Vec<ShiftView>> {
        let (from, to) = range(q, now_utc())?;
        let ev = || AuditEvent::new(&ctx.actor, "on_call.list", "on_call_shift");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::OnCallRota, ev())
            .await?;
        let out = views(&tx, repo::in_range(tx.conn(), from, to).await?).await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} shifts from {} to {}",
            out.len(),
            from.format("%Y-%m-%d %H:%M"),
            to.format("%Y-%m-%d %H:%M")
        )))
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Who is on call at this moment: every shift covering now (start inclusive, end exclusive).
    pub async fn on_call_now(&self, ctx: &Ctx) -> Result<Vec<ShiftView>> {
        let ev = || AuditEvent::new(&ctx.actor, "on_call.now", "on_call_shift");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::Read, Resource::OnCallRota, ev())
            .await?;
        let out = views(&tx, repo::on_call_at(tx.conn(), now_utc()).await?).await?;
        tx.audit(
            ev().request(ctx.rid())
                .detail(format!("{} on call", out.len())),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The rota page: who is on call now, the coming 14 days, and for planners the people they may put on call.
    pub async fn on_call_board(&self, ctx: &Ctx) -> Result<RotaBoard> {
        let ev = || AuditEvent::new(&ctx.actor, "on_call.list", "on_call_shift");
        let default_zone = self.practice_zone().await?;
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::OnCallRota, ev())
            .await?;
        let now = now_utc();
        let can_manage = authorize(&ctx.actor, Action::Create, Resource::OnCallRota).is_allowed();
        let current = views(&tx, repo::on_call_at(tx.conn(), now).await?).await?;
        let coming = views(
            &tx,
            repo::in_range(tx.conn(), now, now + Duration::days(DEFAULT_RANGE_DAYS)).await?,
        )
        .await?;
        let mut candidates = Vec::new();
        if can_manage {
            for u in users::list(tx.conn()).await? {
                if oncall::check_on_call_person(&users::roles(&u), u.disabled).is_ok() {
                    candidates.push(Person {
                        id: UserId(u.id),
                        name: u.display_name,
                    });
                }
            }
            candidates.sort_by(|a, b| a.name.cmp(&b.name));
        }
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} on call now, {} shifts in the coming {DEFAULT_RANGE_DAYS} days",
            current.len(),
            coming.len()
        )))
        .await?;
        tx.commit().await?;
        Ok(RotaBoard {
            now: current,
            coming,
            candidates,
            can_manage,
            default_zone,
        })
    }

    /// Puts an active clinician on call. Refused naming the field: a bad time or zone, a time skipped by the
    /// clocks, an end not after the start, more than a week, a person who is not an active clinician, or one who
    /// is on call then already. Nothing is written unless all is well.
    pub async fn add_on_call_shift(&self, ctx: &Ctx, input: ShiftInput) -> Result<ShiftView> {
        let me = ctx.actor.user_id().ok_or(Error::NotFound)?;
        let ev = || AuditEvent::new(&ctx.actor, "on_call.create", "on_call_shift");
        // Planners only, before anything about the input is revealed.
        self.permit(ctx, Action::Create, Resource::OnCallRota, ev())
            .await?;
        let zone = match input
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(z) => z.to_string(),
            None => self.practice_zone().await?,
        };
        let mut p = Problems::new();
        let user = p.take(
            input
                .user_id
                .trim()
                .parse::<Uuid>()
                .map(UserId)
                .map_err(|_| Error::invalid("user_id", "choose a clinician")),
        );
        let times: Option<ShiftTimes> =
            p.take(oncall::shift_times(&input.start, &input.end, &zone));
        p.finish()?;
        let (Some(user), Some(times)) = (user, times) else {
            return Err(Error::internal("validation passed without values"));
        };
        // Allowed by `permit` above; the roles it judged are the caller's own and cannot change meanwhile.
        let tx = self.store.begin().await?;
        self.once_check(&tx, ctx).await?;
        let Some(u) = users::by_id(tx.conn(), user).await? else {
            return Err(Error::invalid("user_id", "there is no such staff member"));
        };
        oncall::check_on_call_person(&users::roles(&u), u.disabled)?;
        let s = Shift {
            id: Uuid::now_v7(),
            user_id: user,
            start_at: times.start,
            end_at: times.end,
            time_zone: times.zone.name().to_string(),
            created_by: me,
            created_at: now_utc(),
        };
        let clashes = repo::insert(&tx, &s).await?;
        oncall::check_no_overlap(&times, clashes.iter().map(|c| (c.start_at, c.end_at)))?;
        tx.audit(ev().resource(s.id).request(ctx.rid()).detail(format!(
            "{} on call from {} to {} UTC ({})",
            u.id,
            s.start_at.format("%Y-%m-%d %H:%M"),
            s.end_at.format("%Y-%m-%d %H:%M"),
            s.time_zone
        )))
        .await?;
        let v = view(&tx, s, &mut Names::default()).await?;
        self.commit_once(tx, ctx, v).await
    }

    /// One shift (where a new shift's `Location` points).
    pub async fn on_call_shift(&self, ctx: &Ctx, id: Uuid) -> Result<ShiftView> {
        let ev = || AuditEvent::new(&ctx.actor, "on_call.read", "on_call_shift").resource(id);
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::Read, Resource::OnCallRota, ev())
            .await?;
        let s = repo::get(tx.conn(), id).await?.ok_or(Error::NotFound)?;
        tx.audit(ev().request(ctx.rid())).await?;
        let v = view(&tx, s, &mut Names::default()).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Removes a shift (past, current or coming); an unknown one is "not found".
    pub async fn remove_on_call_shift(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let ev = || AuditEvent::new(&ctx.actor, "on_call.delete", "on_call_shift").resource(id);
        let tx = self.store.begin().await?;
        let tx = self
            .guard(tx, ctx, Action::Delete, Resource::OnCallRota, ev())
            .await?;
        let Some(s) = repo::get(tx.conn(), id).await? else {
            return Err(Error::NotFound);
        };
        repo::delete(&tx, id).await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} was on call from {} to {} UTC",
            s.user_id.0,
            s.start_at.format("%Y-%m-%d %H:%M"),
            s.end_at.format("%Y-%m-%d %H:%M")
        )))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_range_defaults_to_two_weeks_from_now_and_is_bounded() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 9, 30, 0).unwrap();
        let (a, b) = range(&ShiftQuery::default(), now).unwrap();
        assert_eq!((a, b - a), (now, Duration::days(14)));
        let q = ShiftQuery {
            from: Some("2026-06-01".into()),
            to: Some("2026-06-01".into()),
        };
        let (a, b) = range(&q, now).unwrap();
        assert_eq!(b - a, Duration::days(1));
        let q = ShiftQuery {
            from: Some("2026-06-02".into()),
            to: Some("2026-06-01".into()),
        };
        assert!(range(&q, now).is_err());
        let q = ShiftQuery {
            from: Some("2026-01-01".into()),
            to: Some("2026-12-31".into()),
        };
        assert!(range(&q, now).is_err());
    }
}
