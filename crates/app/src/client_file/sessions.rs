//! The client file's appointments: the next one for the header, and the sessions section (coming and past).

use crate::Ctx;
use crate::notes::Names;
use chrono::{DateTime, Duration, Utc};
use rapport_domain::policy::{Action, Resource, authorize};
use rapport_domain::scheduling::Interval;
use rapport_domain::{ClientId, Result, UserId};
use rapport_store::audit::AuditEvent;
use rapport_store::schedule::{self, Appointment, RangeFilter};
use rapport_store::{Tx, resources};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// How far the sessions section looks back and ahead: a year each way is a chart's working span; older sessions
/// are in the timeline (`/clients/{id}/chart`), which takes any range.
const SPAN_DAYS: i64 = 366;

#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    pub appointment_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The appointment's own zone, which the viewer's may differ from.
    pub time_zone: String,
    pub type_label: String,
    pub mode_label: &'static str,
    pub status_label: &'static str,
    pub cancelled: bool,
    pub clinician: String,
}

fn filter(client: ClientId, include_cancelled: bool) -> RangeFilter {
    RangeFilter {
        client: Some(client),
        include_cancelled,
        ..Default::default()
    }
}

async fn rows(tx: &Tx<'_>, list: Vec<Appointment>) -> Result<Vec<SessionRow>> {
    let labels: HashMap<String, String> = resources::types(tx.conn())
        .await?
        .into_iter()
        .map(|t| (t.key, t.label))
        .collect();
    let mut names = Names::default();
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        out.push(SessionRow {
            appointment_id: a.id,
            start: a.session.start,
            end: a.session.end,
            time_zone: a.time_zone.clone(),
            type_label: labels.get(&a.type_key).cloned().unwrap_or(a.type_key),
            mode_label: a.mode.label(),
            status_label: a.status.label(),
            cancelled: !a.status.holds_time(),
            clinician: names.person(tx, a.clinician_id).await?.name,
        });
    }
    Ok(out)
}

/// The client's next appointment that still holds its time, if any within a year. Part of the client's read
/// (whoever may see the client may see their calendar), so it adds no audit entry of its own.
pub(super) async fn next(
    tx: &Tx<'_>,
    client: ClientId,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>> {
    let range = Interval {
        start: now,
        end: now + Duration::days(SPAN_DAYS),
    };
    let first = schedule::in_range(tx.conn(), range, &filter(client, false))
        .await?
        .into_iter()
        .find(|a| a.session.start >= now);
    Ok(rows(tx, first.into_iter().collect()).await?.pop())
}

/// Coming appointments (soonest first) and past ones (latest first), cancelled ones included and marked. Audited
/// as a calendar read filtered by this client, as the calendar's own client filter is.
pub(super) async fn list(
    tx: &Tx<'_>,
    ctx: &Ctx,
    client: ClientId,
    now: DateTime<Utc>,
) -> Result<(Vec<SessionRow>, Vec<SessionRow>)> {
    authorize(
        &ctx.actor,
        Action::List,
        Resource::Calendar {
            owner: UserId::default(),
        },
    )
    .into_result()?;
    let range = Interval {
        start: now - Duration::days(SPAN_DAYS),
        end: now + Duration::days(SPAN_DAYS),
    };
    let all = schedule::in_range(tx.conn(), range, &filter(client, true)).await?;
    let (coming, mut past): (Vec<Appointment>, Vec<Appointment>) =
        all.into_iter().partition(|a| a.session.start >= now);
    past.reverse();
    let (coming, past) = (rows(tx, coming).await?, rows(tx, past).await?);
    tx.audit(
        AuditEvent::new(&ctx.actor, "calendar.read", "appointment")
            .client(client.0)
            .request(ctx.rid())
            .detail(format!(
                "client file: {} coming, {} past",
                coming.len(),
                past.len()
            )),
    )
    .await?;
    Ok((coming, past))
}
