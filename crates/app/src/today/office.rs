//! The office's part of Today: the front desk's arrivals and the cancellations that free a time for the waitlist,
//! and the administrators' practice health (accounts locked by failed sign-ins, e-mail that keeps failing). The
//! audit chain's verification walks the whole log, far too slow for a landing page: the page links to it instead.

use super::clinician::{Days, place, room_names};
use super::{Desk, DeskItem, Health, LockedAccount};
use crate::scheduling::Participant;
use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::Result;
use rapport_domain::scheduling::appointment::Status;
use rapport_store::schedule::RangeFilter;
use rapport_store::{Tx, now_utc, users, waitlist};

impl App {
    /// Today's sessions practice-wide (with check-in where the status allows it), and today's and tomorrow's
    /// cancellations still ahead, which the waitlist may fill.
    pub(crate) async fn desk_day(&self, tx: &Tx<'_>, ctx: &Ctx, days: Days) -> Result<Desk> {
        let filter = RangeFilter {
            clinicians: None,
            room: None,
            rooms: None,
            client: None,
            include_cancelled: true,
        };
        let list = rapport_store::calendar::entries(tx.conn(), days.range(2)?, &filter).await?;
        let known = self.known_clients(tx.conn(), ctx).await?;
        let rooms = room_names(tx).await?;
        let now = now_utc();
        let mut desk = Desk::default();
        for e in list {
            let day = days.day_of(e.session.start);
            let total = e.participants.len();
            let clients: Vec<Participant> = e
                .participants
                .into_iter()
                .filter(|(c, _)| known.as_ref().is_none_or(|k| k.contains(c)))
                .map(|(client_id, name)| Participant { client_id, name })
                .collect();
            let item = DeskItem {
                id: e.id,
                day,
                start: e.session.start,
                clinician_name: e.clinician_name,
                hidden_clients: total - clients.len(),
                clients,
                kind_label: e.kind.label(),
                place: place(e.mode, e.room_id, &rooms),
                status_label: e.status.label(),
                version: e.version,
                can_check_in: e.status.can_become(Status::Arrived)
                    && e.status.can_become(Status::NoShow),
            };
            if !e.status.holds_time() {
                if e.session.start > now {
                    desk.cancellations.push(item);
                }
            } else if day == super::Day::Today {
                desk.arrivals.push(item);
            }
        }
        desk.waitlist_waiting = waitlist::list(tx, Some("waiting"), false).await?.len();
        Ok(desk)
    }
}

/// Accounts locked now, and messages failing to send.
pub(crate) async fn health(tx: &Tx<'_>, now: DateTime<Utc>) -> Result<Health> {
    let locked_accounts = users::list(tx.conn())
        .await?
        .into_iter()
        .filter_map(|u| {
            u.locked_until
                .filter(|t| *t > now)
                .map(|until| LockedAccount {
                    id: rapport_domain::UserId(u.id),
                    name: u.display_name,
                    until,
                })
        })
        .collect();
    Ok(Health {
        locked_accounts,
        failing_mail: rapport_store::today::failing_mail(tx.conn()).await?,
    })
}
