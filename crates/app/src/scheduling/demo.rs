//! The demo calendar: weekly sessions for the first clients of each clinician and the demo groups' evenings,
//! booked through the ordinary booking use case. The week starts today, so the calendar and the Today page open
//! on sessions whatever day the demo is made.

use crate::groups::demo::DemoGroup;
use crate::{App, Ctx};
use chrono::{Datelike, Duration};
use rapport_domain::{ClientId, Result, Role, UserId};
use rapport_store::now_utc;

impl App {
    /// Weekly sessions for the first clients of each clinician, and the two groups' evening sessions, over the
    /// next eight weeks, booked through the ordinary use case (so conflicts, reminders and audit apply).
    pub(crate) async fn seed_calendar(
        &self,
        admin: UserId,
        assignments: &[(ClientId, UserId)],
        groups: &[DemoGroup],
    ) -> Result<usize> {
        use crate::scheduling::BookingInput;
        let ctx = Ctx::new(rapport_domain::Actor::staff(admin, vec![Role::Admin]), None);
        let today = now_utc().date_naive();
        let monday = today + Duration::days(7 - today.weekday().num_days_from_monday() as i64);
        // Each clinician's first six clients: three sessions today, two tomorrow, one the day after, weekly. The
        // hours are wall-clock times in the clinician's zone; one already past today is a session to write up.
        // Tuesdays at 10:00 a week or more ahead stay free where the browser tests book (they look for free
        // weeks first in any case).
        const SLOTS: [(i64, u32); 6] = [(0, 9), (0, 11), (0, 15), (1, 9), (1, 13), (2, 16)];
        let mut booked = 0;
        let mut per_clinician: std::collections::HashMap<UserId, usize> =
            std::collections::HashMap::new();
        for (client, clinician) in assignments {
            let n = per_clinician.entry(*clinician).or_default();
            if *n >= 6 {
                continue;
            }
            let (offset, hour) = SLOTS[*n];
            // "Today" is the clinician's own: in Sydney it may already be tomorrow in UTC.
            let zone = rapport_store::resources::zone_of_user(
                self.store.unaudited(rapport_store::Unaudited::Setup),
                *clinician,
            )
            .await?;
            let day =
                rapport_domain::when::Zone::named(&zone).date(now_utc()) + Duration::days(offset);
            *n += 1;
            let input = BookingInput {
                type_key: "individual".into(),
                clinician_id: *clinician,
                client_ids: vec![*client],
                start: format!("{day}T{hour:02}:00"),
                time_zone: None,
                mode: None,
                room_id: None,
                group_id: None,
                rrule: Some("FREQ=WEEKLY;COUNT=8".into()),
                outside_working_hours: true,
            };
            if self.book(&ctx, input).await.is_ok() {
                booked += 1;
            }
        }
        for g in groups {
            let day = monday + Duration::days(g.weekday);
            // Evenings first; a member's individual session with a clinician in another zone may hold one of
            // them, and the demo wants each group's series on the calendar.
            for at in ["18:00", "19:30", "17:00", "20:30", "12:30"] {
                let input = BookingInput {
                    type_key: "group".into(),
                    clinician_id: g.facilitator,
                    client_ids: g.members.clone(),
                    start: format!("{day}T{at}"),
                    time_zone: None,
                    mode: None,
                    room_id: None,
                    group_id: Some(g.id),
                    rrule: Some("FREQ=WEEKLY;COUNT=8".into()),
                    outside_working_hours: true,
                };
                if self.book(&ctx, input).await.is_ok() {
                    booked += 1;
                    break;
                }
            }
        }
        Ok(booked)
    }
}
