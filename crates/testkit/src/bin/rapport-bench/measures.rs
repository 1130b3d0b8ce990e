//! The `measures` scenario: a clinician's caseload dashboard with 150 clients, each with two years of fortnightly
//! PHQ-9 scores (52 per client, 7,800 in all) and, for two clients in three, a behaviour diary with homework,
//! timed over HTTP as the page (`GET /measures`, session cookie) and
//! as JSON (`GET /api/v1/measures/caseload`, bearer token); `--phases` adds the use case in-process and the
//! store query alone. Issue 5 asks for a median of at most 100 ms.

use crate::{Rng, load, new_client, send};
use chrono::{Days, Duration, Utc};
use rapport_app::behaviour::{EntriesInput, EntryInput};
use rapport_app::measures::ResponseInput;
use rapport_domain::Role;
use rapport_domain::behaviour::{BehaviourInput, HomeworkInput};
use rapport_domain::measures::Answers;
use rapport_testkit::TestApp;
use std::sync::Arc;
use std::time::Instant;

/// PHQ-9 answers (item 9 always 0, so no alert is raised) that add up to `total` (0–24).
fn answers_for(total: i32) -> Answers {
    let mut left = total.clamp(0, 24);
    (1..=9)
        .map(|i| {
            let v = if i == 9 { 0 } else { left.min(3) };
            left -= v;
            (i.to_string(), v)
        })
        .collect()
}

pub async fn run(t: &TestApp, requests: usize, clients: usize, phases: bool) {
    let seeding = Instant::now();
    let clin = t.user(&[Role::Clinician]).await;
    let ctx = clin.ctx();
    let mut rng = Rng(0x3EA5);
    let today = Utc::now();
    let mut ids = Vec::with_capacity(clients);
    for k in 0..clients {
        ids.push(new_client(&t.app, &clin, &format!("Measured Client {k}")).await);
    }
    // Every trajectory starts between 10 and 22 and drifts: most improve, some stall, a few get worse, so the
    // dashboard has both groups to sort.
    for (k, id) in ids.iter().enumerate() {
        let start = 10 + (k % 13) as i32;
        let slope = match k % 5 {
            0 => 1,
            1 => 0,
            _ => -1,
        };
        for n in 0..52i64 {
            let noise = i32::from(rng.chance(0.5)) - i32::from(rng.chance(0.5));
            let total = start + slope * (n as i32) / 6 + noise;
            let at = today - Duration::days(14 * (51 - n)) - Duration::hours(1);
            let input = ResponseInput {
                instrument: "phq9".into(),
                answers: answers_for(total),
                assignment_id: None,
                completed_at: Some(at.to_rfc3339()),
                partial: false,
            };
            t.app
                .enter_measure_response(&ctx, *id, input)
                .await
                .unwrap();
        }
    }
    // Two clients in three also keep a diary (one behaviour, logged on most of the last 21 days) and have two
    // homework items, one of them overdue, so the caseload's behaviour column reads real rows.
    let mut diaries = 0;
    for (k, id) in ids.iter().enumerate().filter(|(k, _)| k % 3 != 2) {
        let b = t
            .app
            .define_behaviour(
                &ctx,
                *id,
                BehaviourInput {
                    name: "Drinks".into(),
                    kind: "count".into(),
                    scale_min: None,
                    scale_max: None,
                    direction: Some("reduce".into()),
                    target: Some(10.0),
                    target_per: Some("week".into()),
                    plan_id: None,
                    objective_id: None,
                },
            )
            .await
            .unwrap();
        let entries = (1..=21u64)
            .filter(|_| rng.chance(0.75))
            .map(|back| EntryInput {
                behaviour_id: b.id,
                date: Some((today.date_naive() - Days::new(back)).to_string()),
                value: f64::from((k % 4) as u8),
            })
            .collect::<Vec<_>>();
        if !entries.is_empty() {
            t.app
                .log_behaviour_entries(&ctx, *id, EntriesInput { entries })
                .await
                .unwrap();
        }
        for (n, days) in [(0, 7i64), (1, 14)] {
            let due = (today.date_naive() + Days::new(days as u64)).to_string();
            let h = t
                .app
                .assign_homework(
                    &ctx,
                    *id,
                    HomeworkInput {
                        title: format!("Homework {n}"),
                        instructions: None,
                        due_on: due,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            if n == 0 {
                // Set homework cannot be due in the past; an edit can, which is how an overdue item arises here.
                let past = (today.date_naive() - Days::new(3)).to_string();
                t.app
                    .update_homework(
                        &ctx,
                        h.id,
                        h.version,
                        HomeworkInput {
                            title: h.title,
                            instructions: None,
                            due_on: past,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
            }
        }
        diaries += 1;
    }
    println!(
        "seeded {clients} clients x 52 fortnightly PHQ-9 = {} responses, and {diaries} diaries with homework, in {:.1} s",
        clients * 52,
        seeding.elapsed().as_secs_f64()
    );

    let api = t.get(&clin, "/api/v1/measures/caseload").await;
    api.expect(200);
    println!(
        "caseload: {} clients, {} not on track, {} KiB of JSON",
        api.json["clients"].as_array().map_or(0, Vec::len),
        api.json["not_on_track"],
        api.text.len() / 1024
    );
    let browser = t.sign_in(&clin).await;
    let (status, _, html) = browser.get("/measures").await;
    assert_eq!(status, 200);
    println!("caseload page: {} KiB of HTML", html.len() / 1024);

    let (http, url) = (browser.http.clone(), t.url("/measures"));
    for _ in 0..10 {
        send(http.get(&url), 200).await.unwrap();
    }
    load(requests, 1, move |_, _| send(http.get(&url), 200))
        .await
        .print("caseload page GET /measures over HTTP", 1);
    let (http, url, token) = (
        t.http.clone(),
        t.url("/api/v1/measures/caseload"),
        clin.token.clone(),
    );
    load(requests, 1, move |_, _| {
        send(http.get(&url).bearer_auth(&token), 200)
    })
    .await
    .print("caseload JSON GET /api/v1/measures/caseload over HTTP", 1);
    if phases {
        let (app, ctx) = (t.app.clone(), clin.ctx());
        load(requests, 1, move |_, _| {
            let (app, ctx) = (app.clone(), ctx.clone());
            async move {
                app.measures_caseload(&ctx)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .await
        .print("phase: caseload use case in-process", 1);
        let (db, _) = rapport_store::connect(&t.database_url).await.unwrap();
        let (db, ids) = (Arc::new(db), Arc::new(ids));
        let (db2, ids2) = (db.clone(), ids.clone());
        load(requests, 1, move |_, _| {
            let (db, ids) = (db.clone(), ids.clone());
            async move {
                rapport_store::measures::responses_for_clients(&*db, &ids)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        })
        .await
        .print("phase: store query of the caseload's scores", 1);
        let (db, ids) = (db2, ids2);
        let day = today.date_naive();
        load(requests, 1, move |_, _| {
            let (db, ids) = (db.clone(), ids.clone());
            async move {
                rapport_store::behaviour::glance(
                    &*db,
                    &ids,
                    day - Days::new(46),
                    day + Days::new(1),
                )
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
            }
        })
        .await
        .print("phase: store queries of the caseload's behaviour column", 1);
    }
}
