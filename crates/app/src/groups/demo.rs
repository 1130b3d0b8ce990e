//! Demo couples, families and groups: a couple and a family with their clinicians on every member's care team,
//! two groups with rosters (one member left and came back), and each group's history: three past sessions run
//! through the same use cases a facilitator uses (start, attendance, "now speaking" clicks, shared and individual
//! notes, signing), so a member's chart in the demo shows the shared note and their own note with nobody else in
//! it, and the session screen a talk tally.
//!
//! The notes are written without any demo name in them, not even inside a word (signing would refuse a name, and
//! the browser test looks for name parts anywhere in a chart); the clicks are replayed at the session's evening
//! hour rather than now, so the tally has real minutes in it.

use super::{AttendanceEntry, AttendanceInput, IndividualNote, NewSession, NotesInput, TalkInput};
use crate::{App, Ctx};
use chrono::{Duration, NaiveDate};
use rapport_domain::group::GroupKind;
use rapport_domain::group::roster::member_on;
use rapport_domain::{ClientId, Result, UserId};
use rapport_store::care;
use uuid::Uuid;

/// A support group's evenings (the demo's bereavement group).
const SUPPORT: [&str; 3] = [
    "Opening round on the week. The theme was the first holidays after a loss; members talked in pairs about \
     what they dread and what they hope for, then shared one thought each with the group.",
    "Members brought a photograph or an object that matters to them and spoke about it. The facilitator \
     described common grief reactions; the group discussed how to answer when people ask how they are.",
    "Planning for anniversaries: members shared small rituals that help, and each chose one to try. \
     Closing round: one word each on how they leave tonight.",
];

const SUPPORT_OWN: [&str; 4] = [
    "Tearful when speaking of the holidays; settled by the end and stayed for the closing round.",
    "Brought a photograph; spoke warmly and listened closely to others.",
    "Quiet tonight; said the group helps even on the days when talking is hard.",
    "Reported sleeping a little better; plans to try a small ritual on the anniversary.",
];

/// A psycho-education or skills course's evenings (the demo's anger-management course).
const SHARED: [&str; 3] = [
    "Opening round on the week. The facilitator introduced the theme of triggers and early warning signs; \
     members mapped their own in pairs and shared one each with the group. Homework: note one trigger a day.",
    "Review of the trigger logs. Some members described using a time-out; the group practised slow breathing \
     and a short body scan, then discussed what gets in the way at home. One newer member spoke for the first time.",
    "Skills practice: members rehearsed a calm request in role play and gave each other feedback. The group \
     agreed to try the technique twice before the next meeting. Closing round: one word each on how they leave.",
];

const OWN: [&str; 4] = [
    "Engaged throughout; shared a trigger at work and tried the breathing exercise.",
    "Quiet at first, then gave thoughtful feedback in the role play.",
    "Reported two time-outs used this week; plans to keep the log going.",
    "Arrived tense after a difficult day; settled during the body scan.",
];

/// Who attends: most members present, one late, one absent and one excused, changing week by week.
fn status(member: usize, week: usize) -> &'static str {
    match (member + week) % 9 {
        0 => "late",
        4 => "absent",
        7 => "excused",
        _ => "present",
    }
}

impl App {
    /// Three weekly sessions before `today` of `group`, run by the facilitator in `ctx`, each with the members on
    /// the roster that day; returns how many.
    pub(crate) async fn seed_demo_group_sessions(
        &self,
        ctx: &Ctx,
        group: Uuid,
        today: NaiveDate,
    ) -> Result<usize> {
        let detail = self.get_group(ctx, group).await?;
        let (shared_notes, own_notes) = match detail.kind {
            GroupKind::Support => (&SUPPORT, &SUPPORT_OWN),
            _ => (&SHARED, &OWN),
        };
        let roster = detail.members;
        let mut made = 0;
        for (week, shared) in shared_notes.iter().enumerate() {
            let date = today - Duration::weeks(3 - week as i64);
            let members: Vec<ClientId> = roster
                .iter()
                .filter(|m| member_on(&m.periods, date))
                .map(|m| m.client_id)
                .collect();
            let s = self
                .create_group_session(
                    ctx,
                    group,
                    NewSession {
                        date: Some(date.to_string()),
                        appointment_id: None,
                    },
                )
                .await?;
            let entries = members
                .iter()
                .enumerate()
                .map(|(i, c)| AttendanceEntry {
                    client_id: *c,
                    status: status(i, week).into(),
                })
                .collect();
            let s = self
                .record_attendance(ctx, s.id, s.version, AttendanceInput { entries })
                .await?;
            let attending: Vec<ClientId> = members
                .iter()
                .enumerate()
                .filter(|(i, _)| matches!(status(*i, week), "present" | "late"))
                .map(|(_, c)| *c)
                .collect();
            if attending.is_empty() {
                continue;
            }
            // Uneven turns of a few minutes each from 18:00, the way a real evening goes, then a pause.
            let mut at = date.and_hms_opt(18, 0, 0).unwrap_or_default().and_utc();
            for turn in 0..10 {
                let speaker = attending[(turn * 5 + week) % attending.len()];
                self.log_talk_at(
                    ctx,
                    s.id,
                    TalkInput {
                        client_id: Some(speaker),
                        ago_ms: None,
                    },
                    at,
                )
                .await?;
                at += Duration::minutes(2 + ((turn * 7 + week * 3) % 9) as i64);
            }
            self.log_talk_at(ctx, s.id, TalkInput::default(), at)
                .await?;
            let notes = NotesInput {
                shared_note: Some((*shared).to_string()),
                individual_notes: attending
                    .iter()
                    .take(own_notes.len())
                    .enumerate()
                    .map(|(i, c)| IndividualNote {
                        client_id: *c,
                        note: own_notes[(i + week) % own_notes.len()].to_string(),
                    })
                    .collect(),
            };
            let s = self.save_group_notes(ctx, s.id, s.version, notes).await?;
            self.sign_group_session(ctx, s.id, s.version).await?;
            made += 1;
        }
        Ok(made)
    }
}

impl App {
    /// A couple and a family (each unit's clinician joins every member's care team), and two groups with
    /// facilitators and rosters: a bereavement support group and an anger-management course.
    pub(crate) async fn seed_units_and_groups(
        &self,
        tx: &rapport_store::Tx<'_>,
        adults: &[(ClientId, UserId)],
        children: &[ClientId],
        staff: &[(UserId, &str)],
        today: chrono::NaiveDate,
    ) -> Result<Vec<DemoGroup>> {
        use rapport_domain::group::{GroupKind, UnitKind};
        use rapport_store::groups;
        if adults.len() < 30 || children.is_empty() {
            return Ok(vec![]);
        }
        let by_name = |n: &str| staff.iter().find(|s| s.1 == n).map(|s| s.0);
        let (Some(couples), Some(family), Some(grief), Some(anger)) = (
            by_name("Sofia Reyes"),
            by_name("Mei Chen"),
            by_name("Annika Larsen"),
            by_name("Marcus Oyelaran"),
        ) else {
            return Ok(vec![]);
        };
        let couple = [(adults[0].0, "partner"), (adults[1].0, "partner")];
        groups::create_unit(tx, UnitKind::Couple, "Couple 1", &couple).await?;
        let family_members = [
            (adults[2].0, "parent"),
            (adults[3].0, "parent"),
            (children[0], "child"),
        ];
        groups::create_unit(tx, UnitKind::Family, "Family 1", &family_members).await?;
        // Joins the care team without demoting a primary clinician who is already on it.
        let join = |client: ClientId, user: UserId| async move {
            if care::relation(tx.conn(), user, client).await?.on_care_team {
                Ok::<_, rapport_store::StoreError>(())
            } else {
                care::add(tx.conn(), client, user, "member").await
            }
        };
        for (client, _) in couple {
            join(client, couples).await?;
        }
        for (client, _) in family_members {
            join(client, family).await?;
        }
        let since = today - Duration::days(60);
        let roster = |range: std::ops::Range<usize>| {
            adults[range]
                .iter()
                .map(|(c, _)| (*c, since))
                .collect::<Vec<_>>()
        };
        let grief_roster = roster(4..16);
        let anger_roster = roster(16..28);
        let grief_id = groups::create_group(
            tx,
            "Bereavement support (Tuesday evenings)",
            GroupKind::Support,
            14,
            &[grief],
            &grief_roster,
        )
        .await?;
        let anger_id = groups::create_group(
            tx,
            "Anger management (8-week course)",
            GroupKind::Psychoeducation,
            14,
            &[anger, couples],
            &anger_roster,
        )
        .await?;
        for (client, _) in &grief_roster {
            join(*client, grief).await?;
        }
        for (client, _) in &anger_roster {
            join(*client, anger).await?;
        }
        // Roster history: one bereavement-group member left after the first past session and came back before
        // the last; one member of the anger course left after the last. Sessions are three, two and one week ago.
        let (returning, former) = (grief_roster[11].0, anger_roster[11].0);
        groups::set_left(tx.conn(), grief_id, returning, today - Duration::days(18)).await?;
        groups::add_member(tx.conn(), grief_id, returning, today - Duration::days(10)).await?;
        groups::set_left(tx.conn(), anger_id, former, today - Duration::days(4)).await?;
        Ok(vec![
            DemoGroup {
                id: grief_id,
                facilitator: grief,
                members: grief_roster.iter().map(|(c, _)| *c).collect(),
                weekday: 1,
            },
            DemoGroup {
                id: anger_id,
                facilitator: anger,
                members: anger_roster
                    .iter()
                    .map(|(c, _)| *c)
                    .filter(|c| *c != former)
                    .collect(),
                weekday: 3,
            },
        ])
    }
}

/// A demo group, its current members and when it meets (days after Monday).
pub(crate) struct DemoGroup {
    pub(crate) id: uuid::Uuid,
    pub(crate) facilitator: UserId,
    pub(crate) members: Vec<ClientId>,
    pub(crate) weekday: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{FIRST, LAST};

    #[test]
    fn the_demo_notes_hold_no_demo_name_even_inside_a_word() {
        let text = SHARED
            .iter()
            .chain(OWN.iter())
            .chain(SUPPORT.iter())
            .chain(SUPPORT_OWN.iter())
            .map(|t| t.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        for name in FIRST
            .iter()
            .chain(LAST.iter())
            .filter(|n| n.chars().count() >= 3)
        {
            assert!(!text.contains(&name.to_lowercase()), "{name}");
        }
    }

    #[test]
    fn every_week_has_someone_late_absent_and_excused_among_twelve() {
        for week in 0..SHARED.len() {
            let all: Vec<&str> = (0..12).map(|m| status(m, week)).collect();
            for s in ["late", "absent", "excused", "present"] {
                assert!(all.contains(&s), "week {week}: {s}");
            }
        }
    }
}
