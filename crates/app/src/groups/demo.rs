//! Demo group history: three past sessions of a demo group, run through the same use cases a facilitator uses
//! (start, attendance, "now speaking" clicks, shared and individual notes, signing), so a member's chart in the
//! demo shows the shared note and their own note with nobody else in it, and the session screen a talk tally.
//!
//! The notes are written without any demo name in them, not even inside a word (signing would refuse a name, and
//! the browser test looks for name parts anywhere in a chart); the clicks are replayed at the session's evening
//! hour rather than now, so the tally has real minutes in it.

use super::{AttendanceEntry, AttendanceInput, IndividualNote, NewSession, NotesInput, TalkInput};
use crate::{App, Ctx};
use chrono::{Duration, NaiveDate};
use rapport_domain::group::GroupKind;
use rapport_domain::group::roster::member_on;
use rapport_domain::{ClientId, Result};
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
                    },
                    at,
                )
                .await?;
                at += Duration::minutes(2 + ((turn * 7 + week * 3) % 9) as i64);
            }
            self.log_talk_at(ctx, s.id, TalkInput { client_id: None }, at)
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
