//! A clinician's part of Today: their own sessions with each one's note, what waits for them, and a supervisor's
//! trainees. Everything reads inside the Today transaction; each listed item has passed the policy the item's own
//! page asks, so Today never shows more than a click would.

use super::{
    ClientCount, Day, ReferralWaiting, RequestDue, SessionItem, SessionNote, TraineeQueue, Waiting,
    day_start,
};
use crate::scheduling::Participant;
use crate::{App, Ctx};
use chrono::{DateTime, Days as ChronoDays, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::notes::{NoteStatus, built_in_template, lifecycle};
use rapport_domain::policy::{Action, ClientRelation, Resource, authorize};
use rapport_domain::scheduling::Interval;
use rapport_domain::scheduling::appointment::{AppointmentKind, Mode};
use rapport_domain::{ClientId, Result, UserId, records};
use rapport_store::schedule::RangeFilter;
use rapport_store::{Tx, care, clients, resources, users};
use std::collections::{HashMap, HashSet};

/// The viewer's today and zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Days {
    pub today: NaiveDate,
    pub tz: Tz,
}

impl Days {
    /// From the start of today to the start of the day after `n` days.
    pub(crate) fn range(self, n: u64) -> Result<Interval> {
        let end = self
            .today
            .checked_add_days(ChronoDays::new(n))
            .unwrap_or(self.today);
        Interval::new(day_start(self.today, self.tz), day_start(end, self.tz))
    }

    pub(crate) fn day_of(self, at: DateTime<Utc>) -> Day {
        if at.with_timezone(&self.tz).date_naive() <= self.today {
            Day::Today
        } else {
            Day::Tomorrow
        }
    }
}

/// "Telehealth", the room's name, or "In person" for a session without a room.
pub(crate) fn place(
    mode: Mode,
    room: Option<uuid::Uuid>,
    rooms: &HashMap<uuid::Uuid, String>,
) -> String {
    match (mode, room.and_then(|r| rooms.get(&r))) {
        (Mode::Telehealth, _) => "Telehealth".into(),
        (_, Some(name)) => name.clone(),
        (_, None) => "In person".into(),
    }
}

pub(crate) async fn room_names(tx: &Tx<'_>) -> Result<HashMap<uuid::Uuid, String>> {
    Ok(resources::rooms(tx.conn())
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

/// The care team relation, which is what lets a clinician read a client's clinical lists.
const ON_TEAM: ClientRelation = ClientRelation {
    on_care_team: true,
    supervises_care_team_member: false,
    emergency_access: false,
};

impl App {
    /// The caller's own sessions today and tomorrow (cancelled ones left out), each with its note.
    pub(crate) async fn my_sessions(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        me: UserId,
        days: Days,
        touched: &mut Vec<ClientId>,
    ) -> Result<Vec<SessionItem>> {
        let filter = RangeFilter {
            clinicians: Some(vec![me]),
            room: None,
            rooms: None,
            client: None,
            include_cancelled: false,
        };
        let list = rapport_store::calendar::entries(tx.conn(), days.range(2)?, &filter).await?;
        let known = self.known_clients(tx.conn(), ctx).await?;
        let rooms = room_names(tx).await?;
        let ids: Vec<uuid::Uuid> = list.iter().map(|e| e.id).collect();
        // The caller's own notes for these appointments, each asked of the policy as the note page would.
        let mut written: HashMap<(uuid::Uuid, ClientId), (rapport_domain::NoteId, NoteStatus)> =
            HashMap::new();
        for h in rapport_store::today::notes_for_appointments(tx.conn(), &ids).await? {
            let Some(appointment) = h.appointment_id else {
                continue;
            };
            if h.author_id != me {
                continue;
            }
            let rel = self
                .note_relation(
                    tx,
                    ctx,
                    h.client_id,
                    h.author_id,
                    Some(h.id),
                    h.unit_id.map(|u| (u, h.created_at)),
                )
                .await?;
            if authorize(
                &ctx.actor,
                Action::Read,
                crate::notes::resource(h.kind, rel),
            )
            .is_allowed()
            {
                written
                    .entry((appointment, h.client_id))
                    .or_insert((h.id, h.status));
            }
        }
        let mut out = Vec::with_capacity(list.len());
        for e in list {
            let day = days.day_of(e.session.start);
            let template = if e.kind == AppointmentKind::Intake {
                "intake"
            } else {
                "progress_soap"
            };
            let kind = built_in_template(template).map(|t| t.kind);
            let clients: Vec<Participant> = e
                .participants
                .into_iter()
                .filter(|(c, _)| known.as_ref().is_none_or(|k| k.contains(c)))
                .map(|(client_id, name)| Participant { client_id, name })
                .collect();
            let mut notes = Vec::new();
            for p in &clients {
                touched.push(p.client_id);
                let note = if let Some(g) = e.group_id {
                    SessionNote::Group { group_id: g }
                } else if let Some((id, status)) = written.get(&(e.id, p.client_id)) {
                    SessionNote::Written {
                        id: *id,
                        status_label: status.label(),
                    }
                } else if day == Day::Tomorrow {
                    SessionNote::NotYet
                } else {
                    let rel = self
                        .note_relation(tx, ctx, p.client_id, me, None, None)
                        .await?;
                    match kind {
                        Some(k)
                            if authorize(
                                &ctx.actor,
                                Action::Create,
                                crate::notes::resource(k, rel),
                            )
                            .is_allowed() =>
                        {
                            SessionNote::Start {
                                client_id: p.client_id,
                            }
                        }
                        _ => SessionNote::Unavailable,
                    }
                };
                notes.push((p.name.clone(), note));
            }
            out.push(SessionItem {
                id: e.id,
                day,
                start: e.session.start,
                end: e.session.end,
                minutes: (e.session.end - e.session.start).num_minutes(),
                kind_label: e.kind.label(),
                place: place(e.mode, e.room_id, &rooms),
                status_label: e.status.label(),
                clients,
                notes,
                template,
            });
        }
        Ok(out)
    }

    /// Drafts to sign, co-signatures to give, alerts to acknowledge, overdue homework, record requests and
    /// referrals without an answer, for the caller's own clients.
    pub(crate) async fn waiting_for(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        me: UserId,
        now: DateTime<Utc>,
        touched: &mut Vec<ClientId>,
    ) -> Result<Waiting> {
        let notes = self.notes_queue(tx, ctx, me).await?;
        let alerts = self.open_alerts_for(tx, ctx, me).await?;
        // The caseload's rule: the care team is what lets a clinician read these lists; the policy is asked with
        // that relation rather than trusting the query.
        let mine: Vec<ClientId> = if authorize(
            &ctx.actor,
            Action::Read,
            Resource::ClientClinical(ON_TEAM),
        )
        .is_allowed()
        {
            let mut v: Vec<ClientId> = care::clients_in_scope(tx.conn(), me, false)
                .await?
                .into_iter()
                .collect();
            v.sort();
            v
        } else {
            Vec::new()
        };
        let today = now.date_naive();
        let glances = crate::measures::glances(tx.conn(), &mine, now).await?;
        let mut homework: Vec<(ClientId, u32)> = glances
            .iter()
            .filter(|(_, g)| g.overdue_homework > 0)
            .map(|(c, g)| (*c, g.overdue_homework))
            .collect();
        homework.sort();
        let requests = if authorize(&ctx.actor, Action::List, Resource::RecordRequests).is_allowed()
            && authorize(&ctx.actor, Action::Read, Resource::RecordRequest(ON_TEAM)).is_allowed()
        {
            let set: HashSet<ClientId> = mine.iter().copied().collect();
            rapport_store::record_requests::list(tx, true, Some(&set)).await?
        } else {
            Vec::new()
        };
        let referrals = rapport_store::today::unanswered_referrals(tx.conn(), &mine).await?;
        let mut named: Vec<ClientId> = homework.iter().map(|h| h.0).collect();
        named.extend(requests.iter().map(|r| r.client_id));
        named.extend(referrals.iter().map(|r| r.client_id));
        let names = clients::names(tx.conn(), &named).await?;
        let name = |c: &ClientId| names.get(c).cloned().unwrap_or_default();
        touched.extend(notes.drafts.iter().map(|n| n.client_id));
        touched.extend(notes.to_cosign.iter().map(|n| n.client_id));
        touched.extend(alerts.iter().map(|a| a.client_id));
        touched.extend(named.iter().copied());
        Ok(Waiting {
            late_drafts: notes.late_count,
            drafts: notes.drafts,
            to_cosign: notes.to_cosign,
            alerts,
            overdue_homework: homework
                .into_iter()
                .map(|(client_id, count)| ClientCount {
                    client_name: name(&client_id),
                    client_id,
                    count,
                })
                .collect(),
            record_requests: requests
                .into_iter()
                .map(|r| RequestDue {
                    id: r.id,
                    client_name: name(&r.client_id),
                    client_id: r.client_id,
                    overdue: records::is_overdue(r.status, r.due_on, today),
                    due_on: r.due_on,
                })
                .collect(),
            referrals: referrals
                .into_iter()
                .map(|r| ReferralWaiting {
                    client_name: name(&r.client_id),
                    client_id: r.client_id,
                    kind_label: r.kind.label(),
                    days: (today - r.sent_on).num_days(),
                    sent_on: r.sent_on,
                })
                .collect(),
        })
    }

    /// Each trainee's drafts (late ones counted) and signed notes waiting for the caller's co-signature; only notes
    /// the policy lets the caller read are counted.
    pub(crate) async fn trainee_queues(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        me: UserId,
    ) -> Result<Vec<TraineeQueue>> {
        let due = self.note_due_days(tx).await?;
        let today = crate::today();
        let mut out = Vec::new();
        for trainee in care::supervisees(tx.conn(), me).await? {
            let heads = rapport_store::notes::by_author(
                tx.conn(),
                trainee,
                &[NoteStatus::Draft, NoteStatus::AwaitingCosign],
            )
            .await?;
            let mut q = TraineeQueue {
                trainee_id: trainee,
                name: users::by_id(tx.conn(), trainee)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_else(|| "(former staff member)".into()),
                drafts: 0,
                late_drafts: 0,
                to_cosign: 0,
            };
            for h in heads {
                let rel = self
                    .note_relation(
                        tx,
                        ctx,
                        h.client_id,
                        h.author_id,
                        Some(h.id),
                        h.unit_id.map(|u| (u, h.created_at)),
                    )
                    .await?;
                if !authorize(
                    &ctx.actor,
                    Action::Read,
                    crate::notes::resource(h.kind, rel),
                )
                .is_allowed()
                {
                    continue;
                }
                match h.status {
                    NoteStatus::Draft => {
                        q.drafts += 1;
                        if lifecycle::is_late(h.status, h.service_date, today, due) {
                            q.late_drafts += 1;
                        }
                    }
                    _ => q.to_cosign += 1,
                }
            }
            out.push(q);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
