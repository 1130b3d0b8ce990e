//! The Today page: one read model per caller with the sections their roles call for — a clinician's sessions with
//! a button that starts the note linked to the appointment, what waits for them, the front desk's arrivals with
//! check-in, an administrator's practice health — read and audited in one go; and the demo opens on a day with
//! sessions, scores and something to do.

use chrono::Duration;
use rapport_app::audit::AuditQuery;
use rapport_domain::{Actor, Role};
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both, client_body};
use serde_json::{Value, json};

both!(
    today_lists_a_clinicians_sessions_and_starts_the_linked_note,
    today_gives_the_front_desk_check_in_and_the_administrator_practice_health,
    the_demo_opens_today_on_sessions_scores_and_an_alert,
);

/// A clinician working in Berlin with one client of their own.
async fn clinician_with_client(t: &TestApp, name: &str) -> (TestUser, String) {
    let clin = t.user(&[Role::Clinician]).await;
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    t.put(&clin, &path, v, json!({"time_zone": "Europe/Berlin", "weekly_hours": [], "accepts_new_clients": true, "specialisations": [], "languages": ["en"]}))
        .await
        .expect(200);
    let r = t.post(&clin, "/api/v1/clients", client_body(name)).await;
    r.expect(201);
    (clin, r.json["id"].as_str().unwrap().to_string())
}

/// Books an individual session at `start` (local time in the clinician's zone); its id.
pub(crate) async fn book(
    t: &TestApp,
    who: &TestUser,
    clin: &TestUser,
    client: &str,
    start: &str,
) -> String {
    let r = t
        .post(
            who,
            "/api/v1/appointments",
            json!({ "type_key": "individual", "clinician_id": clin.id, "client_ids": [client], "start": start, "outside_working_hours": true }),
        )
        .await;
    r.expect(201);
    r.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn audit_actions(t: &TestApp, client: &str) -> Vec<String> {
    let q = AuditQuery {
        client_id: Some(client.parse().unwrap()),
        action: Some("today.read".into()),
        limit: Some(100),
        ..Default::default()
    };
    t.app
        .list_audit(&rapport_app::Ctx::operator(), &q)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.outcome)
        .collect()
}

async fn today_lists_a_clinicians_sessions_and_starts_the_linked_note(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Tess Today").await;
    // SCENE is noon in UTC, 13:00 in Berlin: one session later today, one tomorrow.
    let today = rapport_testkit::today();
    let now_id = book(&t, &clin, &clin, &client, &format!("{today}T15:00")).await;
    let tomorrow = today + Duration::days(1);
    book(&t, &clin, &clin, &client, &format!("{tomorrow}T10:00")).await;
    // A session three days on is neither today nor tomorrow.
    book(
        &t,
        &clin,
        &clin,
        &client,
        &format!("{}T11:00", today + Duration::days(3)),
    )
    .await;

    let page = t.sign_in(&clin).await;
    let (status, _, html) = page.get("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<title>Today"), "{html}");
    let sessions = rapport_testkit::between(&html, r#"<h2 id="sessions">"#, "</section>");
    let today_part = rapport_testkit::between(&sessions, "<h3>Today", "<h3>Tomorrow");
    assert!(today_part.contains("15:00 CET–15:53 CET"), "{today_part}");
    assert!(today_part.contains("Tess Today") && today_part.contains("Individual"));
    assert!(today_part.contains(&format!(r#"name="appointment_id" value="{now_id}""#)));
    let tomorrow_part = rapport_testkit::between(&sessions, "<h3>Tomorrow", "</table>");
    assert!(tomorrow_part.contains("10:00 CET") && tomorrow_part.contains("Not yet"));
    assert_eq!(
        sessions.matches("<tr>").count(),
        1 + 2 + 1,
        "two sessions and two header rows"
    );
    assert!(!html.contains("Arrivals today") && !html.contains("Practice health"));
    assert!(html.contains("Nothing is waiting for you."));
    // Every visit is audited against the client it names (signing in landed on Today once already).
    let seen = audit_actions(&t, &client).await;
    assert!(
        !seen.is_empty() && seen.iter().all(|o| o == "ok"),
        "{seen:?}"
    );
    page.get("/").await;
    assert_eq!(audit_actions(&t, &client).await.len(), seen.len() + 1);

    // "Start note" makes a draft linked to the appointment, dated on its day.
    let (status, location, _) = page
        .post(
            &format!("/clients/{client}/notes"),
            &[
                ("template", "progress_soap"),
                ("appointment_id", now_id.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let note = location.strip_prefix("/notes/").unwrap().to_string();
    let r = t.get(&clin, &format!("/api/v1/notes/{note}")).await;
    r.expect(200);
    assert_eq!(r.json["appointment_id"], Value::String(now_id.clone()));
    assert_eq!(r.json["service_date"], Value::String(today.to_string()));
    // The note shows the session it documents: time in the clinician's zone, length, kind, CPT code, who.
    let (_, _, editor) = page.get(&location).await;
    let facts = rapport_testkit::between(&editor, r#"<p class="session-facts">"#, "</p>");
    assert!(
        facts.contains(
            "15:00 CET–15:53 CET</a> (53 min) · Individual · CPT 90837 · with Tess Today"
        ),
        "{facts}"
    );

    // Back on Today, the session opens that note, and the draft waits to be signed.
    let (_, _, html) = page.get("/").await;
    assert!(
        html.contains(&format!(r#"<a href="/notes/{note}">Open note"#)),
        "{html}"
    );
    let waiting = rapport_testkit::between(&html, r#"<h2 id="waiting">"#, "</section>");
    assert!(
        waiting.contains("Notes to sign") && waiting.contains("Tess Today"),
        "{waiting}"
    );

    // A colleague outside the care team sees neither the session nor the client.
    let other = t.user(&[Role::Clinician]).await;
    let (_, _, html) = t.sign_in(&other).await.get("/").await;
    assert!(!html.contains("Tess Today"));
    assert!(html.contains("No sessions today."));
    t.finish().await;
}

async fn today_gives_the_front_desk_check_in_and_the_administrator_practice_health(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Carl Checkin").await;
    let desk = t.user(&[Role::Scheduler]).await;
    let today = rapport_testkit::today();
    let id = book(&t, &desk, &clin, &client, &format!("{today}T16:00")).await;
    let cancelled = book(&t, &desk, &clin, &client, &format!("{today}T17:00")).await;
    t.call(
        Some(&desk),
        reqwest::Method::POST,
        &format!("/api/v1/appointments/{cancelled}/status"),
        Some(json!({"status": "cancelled"})),
        Some(1),
    )
    .await
    .expect(200);

    let page = t.sign_in(&desk).await;
    let (_, _, html) = page.get("/").await;
    let arrivals = rapport_testkit::between(&html, r#"<h2 id="arrivals">"#, "</table>");
    assert!(
        // 16:00 in Berlin, shown in the desk's own zone (the practice's, UTC here).
        arrivals.contains("Carl Checkin") && arrivals.contains(">15:00 UTC</a>"),
        "{arrivals}"
    );
    assert!(arrivals.contains("No-show"));
    let refill = rapport_testkit::between(&html, r#"<h2 id="cancellations">"#, "</section>");
    assert!(
        refill.contains(&format!("/appointments/{cancelled}")),
        "{refill}"
    );
    assert!(refill.contains("Offer the time from the waitlist"));
    // The front desk has no clinical queue and no sessions of its own.
    assert!(!html.contains(r#"id="waiting""#) && !html.contains(r#"id="sessions""#));

    // Checking in from Today comes back to Today, which now says the client arrived.
    let version = t
        .get(&desk, &format!("/api/v1/appointments/{id}"))
        .await
        .etag()
        .to_string();
    let (status, location, _) = page
        .post(
            &format!("/appointments/{id}/status"),
            &[
                ("version", version.as_str()),
                ("status", "arrived"),
                ("back", "today"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let (_, _, html) = page.get("/").await;
    let arrivals = rapport_testkit::between(&html, r#"<h2 id="arrivals">"#, "</table>");
    assert!(arrivals.contains("<td>Arrived</td>"), "{arrivals}");
    assert!(!arrivals.contains("No-show"));

    // The administrator reads the practice's health; billing gets neither that nor the desk.
    let admin = t.user(&[Role::Admin]).await;
    let (_, _, html) = t.sign_in(&admin).await.get("/").await;
    let health = rapport_testkit::between(&html, r#"<h2 id="health">"#, "</section>");
    assert!(
        health.contains("No accounts locked.") && health.contains("No e-mail is failing."),
        "{health}"
    );
    assert!(health.contains(r#"href="/admin/audit""#));
    let billing = t.user(&[Role::Billing]).await;
    let (status, _, html) = t.sign_in(&billing).await.get("/").await;
    assert_eq!(status, 200);
    assert!(!html.contains(r#"id="health""#) && !html.contains(r#"id="arrivals""#));
    assert!(!html.contains("Carl Checkin"));
    t.finish().await;
}

async fn the_demo_opens_today_on_sessions_scores_and_an_alert(b: Backend) {
    let t = TestApp::spawn(b).await;
    t.app.seed_demo(40).await.unwrap();
    let admin = t.user(&[Role::Admin]).await;
    // Every clinician's first clients have sessions from today on: someone has a session today.
    let accounts = t.app.list_accounts(&admin.ctx()).await.unwrap();
    let mut with_sessions = 0;
    let mut alerts = std::collections::HashSet::new();
    let mut scored = None;
    for a in accounts
        .iter()
        .filter(|a| a.roles.contains(&Role::Clinician) || a.roles.contains(&Role::Supervisor))
    {
        let ctx = rapport_app::Ctx::new(Actor::staff(a.id, a.roles.clone()), None);
        let v = t.app.today(&ctx).await.unwrap();
        if v.sessions
            .iter()
            .any(|s| s.day == rapport_app::today::Day::Today)
        {
            with_sessions += 1;
        }
        alerts.extend(v.waiting.alerts.iter().map(|a| a.id));
        if scored.is_none() {
            let caseload = t.app.measures_caseload(&ctx).await.unwrap();
            scored = caseload
                .clients
                .into_iter()
                .find(|c| {
                    // An improving client: the demo's PHQ-9 series that starts at 19.
                    c.instruments.iter().any(|i| {
                        i.instrument.as_str() == "phq9"
                            && i.responses == 5
                            && i.first_total == Some(19.0)
                    })
                })
                .map(|c| (ctx.clone(), c.client_id));
        }
    }
    assert!(
        with_sessions >= 5,
        "{with_sessions} clinicians with sessions today"
    );
    assert_eq!(alerts.len(), 1, "one demo alert waits for its care team");
    // A client's PHQ-9 history has five scores over ten weeks, the last a fortnight ago, with a reliable change.
    let (ctx, client) = scored.expect("a demo client with a history of scores");
    let results = t.app.client_measures(&ctx, client).await.unwrap();
    let phq9 = results
        .instruments
        .iter()
        .find(|i| i.instrument.as_str() == "phq9")
        .unwrap();
    assert_eq!(phq9.responses.len(), 5);
    let first = phq9.responses.first().unwrap().completed_at;
    let last = phq9.responses.last().unwrap().completed_at;
    assert_eq!((last - first).num_days(), 56);
    let ago = (rapport_testkit::now() - last).num_days();
    assert!((13..=14).contains(&ago), "the last score {ago} days ago");
    let change = phq9.change.as_ref().expect("a change assessment");
    let reliable = change
        .reliable_change
        .as_ref()
        .expect("a reliable change index");
    assert_eq!(
        reliable.outcome.value,
        rapport_domain::measures::change::ReliableChangeOutcome::ReliablyImproved,
        "{change:?}"
    );
    t.finish().await;
}
