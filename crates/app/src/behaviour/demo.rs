//! Demo diaries: two clients with five weeks of entries and some homework, so `rapport serve --demo` shows the
//! behaviours section with real summaries, streaks and a chart. Entries are written straight to the store (seed
//! data may reach back further than a client's own entries could).

use super::client_today;
use chrono::{Days, NaiveDate};
use rapport_domain::behaviour::{Direction, HomeworkStatus, MeasureKind, Period, Target};
use rapport_domain::{ClientId, Result, UserId};
use rapport_store::behaviour::{self as repo, Behaviour, Entry, Homework, Via};
use rapport_store::{Tx, clients, now_utc};
use uuid::Uuid;

const WEEKS: u64 = 5;

struct Plan<'a> {
    name: &'a str,
    kind: MeasureKind,
    direction: Direction,
    target: Target,
    /// The value on day `n` of the diary (0 = first day); `None` leaves the day unlogged.
    value: fn(u64) -> Option<f64>,
}

async fn diary(
    tx: &Tx<'_>,
    client: ClientId,
    by: UserId,
    start: NaiveDate,
    today: NaiveDate,
    p: &Plan<'_>,
) -> Result<()> {
    let now = now_utc();
    let b = Behaviour {
        id: Uuid::now_v7(),
        client_id: client,
        name: p.name.into(),
        kind: p.kind,
        direction: p.direction,
        target: Some(p.target),
        plan_id: None,
        objective_id: None,
        starts_on: start,
        active: true,
        created_by: by,
        created_at: now,
        retired_at: None,
    };
    repo::insert_behaviour(tx, &b).await?;
    for (n, date) in start.iter_days().take_while(|d| *d <= today).enumerate() {
        if let Some(value) = (p.value)(n as u64) {
            repo::insert_entry(
                tx.conn(),
                &Entry {
                    id: Uuid::now_v7(),
                    behaviour_id: b.id,
                    client_id: client,
                    date,
                    value,
                    via: Via::Staff(by),
                    logged_at: now,
                },
            )
            .await?;
        }
    }
    Ok(())
}

async fn homework(
    tx: &Tx<'_>,
    client: ClientId,
    by: UserId,
    title: &str,
    due_on: NaiveDate,
    done_on: Option<NaiveDate>,
) -> Result<()> {
    let now = now_utc();
    repo::insert_homework(
        tx,
        &Homework {
            id: Uuid::now_v7(),
            client_id: client,
            title: title.into(),
            instructions: Some("Write down what happened just before, and what you did.".into()),
            due_on,
            status: if done_on.is_some() {
                HomeworkStatus::Done
            } else {
                HomeworkStatus::Assigned
            },
            completion_note: done_on.map(|_| "Managed most days.".to_string()),
            completed_at: done_on.map(|_| now),
            completed_on: done_on,
            completed_via: done_on.map(|_| "diary_link".to_string()),
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 1,
            plan_id: None,
            objective_id: None,
        },
    )
    .await?;
    Ok(())
}

/// Gives the first two adult clients a diary: anger outbursts falling towards the weekly target, and sleep with
/// cravings; each with homework done, open and overdue.
pub(crate) async fn seed_demo_diaries(tx: &Tx<'_>, adults: &[(ClientId, UserId)]) -> Result<()> {
    let plans = [
        [
            Plan {
                name: "Angry outbursts",
                kind: MeasureKind::Count,
                direction: Direction::Reduce,
                target: Target {
                    value: 2.0,
                    per: Period::Week,
                },
                // About one a day at first, then fewer; every fifth day unlogged.
                value: |n| {
                    (n % 5 != 4).then_some(if n < 14 {
                        (n % 3) as f64
                    } else {
                        f64::from(u8::from(n % 7 == 2))
                    })
                },
            },
            Plan {
                name: "Urge to shout (0–10)",
                kind: MeasureKind::Intensity { min: 0, max: 10 },
                direction: Direction::Reduce,
                target: Target {
                    value: 4.0,
                    per: Period::Day,
                },
                value: |n| (n % 5 != 4).then(|| (8.0 - (n / 7) as f64).max(2.0)),
            },
        ],
        [
            Plan {
                name: "Hours slept",
                kind: MeasureKind::Duration,
                direction: Direction::Increase,
                target: Target {
                    value: 420.0,
                    per: Period::Day,
                },
                value: |n| Some(360.0 + (n.min(28) as f64) * 3.0 + (n % 3) as f64 * 15.0),
            },
            Plan {
                name: "Drinks",
                kind: MeasureKind::Count,
                direction: Direction::Reduce,
                target: Target {
                    value: 7.0,
                    per: Period::Week,
                },
                value: |n| (n % 6 != 5).then(|| ((20 - n.min(20)) / 6) as f64),
            },
        ],
    ];
    for ((client, by), set) in adults.iter().zip(plans.iter()) {
        let Some(c) = clients::get(tx.conn(), *client).await? else {
            continue;
        };
        let (_, today) = client_today(&c, now_utc());
        let start = today - Days::new(WEEKS * 7);
        for p in set {
            diary(tx, *client, *by, start, today, p).await?;
        }
        let week = Days::new(7);
        homework(
            tx,
            *client,
            *by,
            "Keep the diary every evening",
            today - week,
            Some(today - Days::new(8)),
        )
        .await?;
        homework(
            tx,
            *client,
            *by,
            "Practise a time-out once",
            today - Days::new(2),
            None,
        )
        .await?;
        homework(
            tx,
            *client,
            *by,
            "Plan one calm evening",
            today + Days::new(3),
            None,
        )
        .await?;
    }
    Ok(())
}
