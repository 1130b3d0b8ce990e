//! Behaviour modification over HTTP, on SQLite and PostgreSQL: a behaviour linked to a plan objective, the diary
//! link (e-mail naming nobody, many uses, revoked, expired, bound to one client), impossible values refused whole,
//! summaries and streaks computed right, who may see what (and that refusals are audited), and sealed text at rest.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_client_logs_by_link_and_the_clinician_sees_the_summary,
    impossible_values_are_refused_naming_the_field_and_nothing_is_stored,
    revoked_expired_or_unknown_diary_links_are_refused_in_plain_words,
    a_diary_link_logs_only_for_its_own_clients_behaviours_and_homework,
    only_the_care_team_writes_and_refusals_are_audited,
    daily_and_weekly_streaks_and_peaks_are_computed_over_http,
    behaviour_names_and_homework_text_are_encrypted_at_rest,
    homework_is_changed_with_its_version_and_settled_once,
);

pub(crate) async fn client_of(t: &TestApp, clin: &TestUser, name: &str, email: &str) -> String {
    let mut body = client_body(name);
    body["email"] = json!(email);
    // UTC, so the test knows the client's calendar date without a time-zone crate.
    body["time_zone"] = json!("UTC");
    let r = t.post(clin, "/api/v1/clients", body).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

pub(crate) async fn behaviour(t: &TestApp, clin: &TestUser, client: &str, body: Value) -> String {
    let r = t
        .post(clin, &format!("/api/v1/clients/{client}/behaviours"), body)
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

fn outbursts() -> Value {
    json!({"name": "Angry outbursts", "kind": "count", "direction": "reduce", "target": 2, "target_per": "week"})
}

/// Today's date in the test clients' zone.
pub(crate) fn today() -> chrono::NaiveDate {
    rapport_testkit::now().date_naive()
}

fn days_ago(n: u64) -> String {
    (today() - chrono::Days::new(n)).to_string()
}

async fn homework(t: &TestApp, clin: &TestUser, client: &str, title: &str) -> Value {
    let r = t
        .post(
            clin,
            &format!("/api/v1/clients/{client}/homework"),
            json!({"title": title, "instructions": "Once a day.", "due_on": (today() + chrono::Days::new(5)).to_string()}),
        )
        .await;
    r.expect(201);
    r.json.clone()
}

/// Sends the client's diary link and returns the token from the queued e-mail.
async fn diary_link(t: &TestApp, clin: &TestUser, client: &str) -> String {
    t.call(
        Some(clin),
        Method::POST,
        &format!("/api/v1/clients/{client}/diary-link"),
        None,
        None,
    )
    .await
    .expect(201);
    let bodies: Vec<String> = t
        .mails("diary_link")
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    let last = bodies.last().expect("a diary e-mail");
    let i = last.find("/log/").expect("a diary link") + 5;
    last[i..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn page(t: &TestApp, token: &str) -> (u16, String) {
    let r = t
        .http
        .get(t.url(&format!("/log/{token}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn submit(t: &TestApp, token: &str, form: &[(String, String)]) -> (u16, String) {
    let r = t
        .http
        .post(t.url(&format!("/log/{token}")))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn field(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

async fn stored_entries(t: &TestApp) -> usize {
    t.query_text("SELECT 'x' FROM behaviour_entries")
        .await
        .len()
}

async fn a_client_logs_by_link_and_the_clinician_sees_the_summary(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Robin Tempest", "robin@client.test").await;
    let plan = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/plans"),
            json!({"content": {"problems": [{"statement": "Anger at home", "goals": [{"statement": "Calmer evenings",
                "objectives": [{"statement": "Fewer angry outbursts", "measure": "angry outbursts per week", "baseline": 6, "target": 2}]}]}]}}),
        )
        .await;
    plan.expect(201);
    let plan_id = plan.json["id"].as_str().unwrap().to_string();
    // Linked to the objective, the behaviour takes its target, period and direction from it.
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/behaviours"),
            json!({"name": "Angry outbursts", "kind": "count", "plan_id": plan_id, "objective_id": "p1.g1.o1"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["target"], json!({"value": 2.0, "per": "week"}));
    assert_eq!(r.json["direction"], "reduce");
    assert_eq!(r.json["objective"], "Fewer angry outbursts");
    assert_eq!(r.json["target_words"], "at most 2 times a week");
    let bid = r.json["id"].as_str().unwrap().to_string();
    let hw = homework(&t, &clin, &client, "Write an anger log").await;
    let hid = hw["id"].as_str().unwrap().to_string();

    let token = diary_link(&t, &clin, &client).await;
    let mail = t
        .mails("diary_link")
        .await
        .into_iter()
        .map(|m| format!("{} {}", m.subject, m.body))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    for word in ["robin", "tempest", "anger", "outburst", "homework"] {
        assert!(!mail.contains(word), "the e-mail mentions '{word}': {mail}");
    }

    let (status, html) = page(&t, &token).await;
    assert_eq!(status, 200);
    assert!(html.contains("Angry outbursts") && html.contains("Write an anger log"));
    assert!(html.contains(&format!(r#"<label for="v-{bid}">"#)));
    assert!(!html.contains("Robin"), "the form names nobody");

    let form = [
        field("date", today()),
        field(&format!("value.{bid}"), 1),
        field(&format!("done.{hid}"), 1),
        field(&format!("note.{hid}"), "Wrote it after each one."),
    ];
    let (status, html) = submit(&t, &token, &form).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("1 entry and 1 homework item"), "{html}");
    // The link works again (a diary is used many times).
    let (status, _) = submit(&t, &token, &[field(&format!("value.{bid}"), 1)]).await;
    assert_eq!(status, 200);

    let s = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/behaviour-summary"),
        )
        .await;
    s.expect(200);
    let b0 = &s.json["behaviours"][0];
    let week = b0["weeks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(week["total"], 2.0, "two entries today add up");
    assert_eq!(week["days_logged"], 1);
    assert_eq!(b0["streaks"]["logging_days"], 1);
    assert_eq!(b0["adherence"]["days_logged"], 1);
    assert_eq!(b0["adherence"]["days_expected"], 1);
    assert_eq!(s.json["homework"]["done_on_time"], 1);
    assert_eq!(s.json["homework_items"][0]["status"], "done");
    assert_eq!(s.json["homework_items"][0]["completed_via"], "diary_link");
    assert_eq!(
        s.json["homework_items"][0]["completion_note"],
        "Wrote it after each one."
    );
    assert!(s.json["diary_link_expires_at"].is_string());
    assert!(
        s.json["definitions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d[0] == "streak")
    );

    // Entries read as FHIR-friendly Observations.
    let e = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/behaviour-entries"),
        )
        .await;
    e.expect(200);
    let o = &e.json[0];
    assert_eq!(o["resourceType"], "Observation");
    assert_eq!(o["code"]["text"], "Angry outbursts");
    assert_eq!(o["valueQuantity"]["code"], "{count}");
    assert_eq!(o["subject"]["reference"], format!("Patient/{client}"));
    assert_eq!(o["effectiveDateTime"], today().to_string());
    t.finish().await;
}

async fn impossible_values_are_refused_naming_the_field_and_nothing_is_stored(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Imo Possible", "imo@client.test").await;
    let count = behaviour(&t, &clin, &client, outbursts()).await;
    let sleep = behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Sleep", "kind": "duration", "direction": "increase", "target": 420, "target_per": "day"}),
    )
    .await;
    let craving = behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Craving", "kind": "intensity", "direction": "reduce"}),
    )
    .await;
    let path = format!("/api/v1/clients/{client}/behaviour-entries");
    for (entry, field) in [
        (
            json!({"behaviour_id": count, "value": -1}),
            "entries[1].value",
        ),
        (
            json!({"behaviour_id": count, "value": 2.5}),
            "entries[1].value",
        ),
        (
            json!({"behaviour_id": count, "value": 500}),
            "entries[1].value",
        ),
        (
            json!({"behaviour_id": sleep, "value": 1500}),
            "entries[1].value",
        ),
        (
            json!({"behaviour_id": craving, "value": 11}),
            "entries[1].value",
        ),
        (
            json!({"behaviour_id": count, "value": 1, "date": days_ago(0).replace('-', "/")}),
            "entries[1].date",
        ),
        (
            json!({"behaviour_id": count, "value": 1, "date": (today() + chrono::Days::new(1)).to_string()}),
            "entries[1].date",
        ),
        (
            json!({"behaviour_id": count, "value": 1, "date": days_ago(40)}),
            "entries[1].date",
        ),
        (
            json!({"behaviour_id": uuid::Uuid::new_v4(), "value": 1}),
            "entries[1].behaviour_id",
        ),
    ] {
        // A good entry first: it must not be stored either.
        let body = json!({"entries": [{"behaviour_id": count, "value": 1}, entry]});
        let r = t.post(&clin, &path, body).await;
        r.expect(422);
        assert_eq!(r.json["fields"][0]["field"], field, "{}", r.text);
    }
    assert_eq!(stored_entries(&t).await, 0, "nothing stored half");
    // A day holds 24 hours across entries.
    t.post(
        &clin,
        &path,
        json!({"entries": [{"behaviour_id": sleep, "value": 1000}]}),
    )
    .await
    .expect(201);
    let r = t
        .post(
            &clin,
            &path,
            json!({"entries": [{"behaviour_id": sleep, "value": 300}, {"behaviour_id": sleep, "value": 300}]}),
        )
        .await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "entries[1].value");
    assert_eq!(stored_entries(&t).await, 1);

    // Through the diary link: the page shows the problem beside its field and stores nothing.
    let token = diary_link(&t, &clin, &client).await;
    let form = [
        field(&format!("value.{count}"), 2),
        field(&format!("value.{craving}"), 14),
    ];
    let (status, html) = submit(&t, &token, &form).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("choose a whole number from 0 to 10"),
        "{html}"
    );
    assert!(html.contains(&format!(r#"id="e-{craving}""#)));
    assert!(html.contains(&format!(r#"aria-describedby="h-{craving} e-{craving}""#)));
    assert!(html.contains(r#"value="2""#), "what was typed is kept");
    let (status, html) = submit(
        &t,
        &token,
        &[
            field("date", today() + chrono::Days::new(2)),
            field(&format!("value.{count}"), 1),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("has not happened yet"), "{html}");
    let (status, html) = submit(&t, &token, &[field(&format!("value.{count}"), "lots")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("type a number"), "{html}");
    let (status, _) = submit(&t, &token, &[]).await;
    assert_eq!(status, 422, "an empty diary is not sent");
    assert_eq!(stored_entries(&t).await, 1);
    // Hours on the form become minutes.
    let (status, _) = submit(
        &t,
        &token,
        &[
            field("date", days_ago(1)),
            field(&format!("value.{sleep}"), "7,5"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let e = t
        .get(
            &clin,
            &format!("{path}?behaviour_id={sleep}&from={}", days_ago(1)),
        )
        .await;
    assert_eq!(e.json[0]["valueQuantity"]["value"], 450.0);
    assert_eq!(e.json[0]["effectiveDateTime"], days_ago(1));
    t.finish().await;
}

async fn revoked_expired_or_unknown_diary_links_are_refused_in_plain_words(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Rev Oked", "rev@client.test").await;
    let bid = behaviour(&t, &clin, &client, outbursts()).await;
    let first = diary_link(&t, &clin, &client).await;
    assert_eq!(page(&t, &first).await.0, 200);
    // A new link replaces the old one.
    let second = diary_link(&t, &clin, &client).await;
    assert_ne!(first, second);
    let (status, html) = page(&t, &first).await;
    assert_eq!(status, 409);
    assert!(html.contains("switched off"), "{html}");
    assert!(!html.contains("Rev"), "no hint about the client");
    assert_eq!(page(&t, &second).await.0, 200);
    let r = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/clients/{client}/diary-link/revoke"),
            None,
            None,
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["revoked"], 1);
    let (status, _) = submit(&t, &second, &[field(&format!("value.{bid}"), 1)]).await;
    assert_eq!(status, 409);

    let third = diary_link(&t, &clin, &client).await;
    t.execute("UPDATE diary_links SET expires_at = created_at")
        .await;
    let (status, html) = page(&t, &third).await;
    assert_eq!(status, 409);
    assert!(html.contains("has expired"), "{html}");
    let (status, html) = page(&t, "not-a-real-token").await;
    assert_eq!(status, 404);
    assert!(html.contains("not valid"), "{html}");
    assert_eq!(
        submit(&t, "not-a-real-token", &[field(&format!("value.{bid}"), 1)])
            .await
            .0,
        404
    );
    assert_eq!(stored_entries(&t).await, 0);
    let denied = t
        .query_text(
            "SELECT action FROM audit_log WHERE outcome = 'denied' AND action LIKE 'diary.%'",
        )
        .await;
    assert!(denied.len() >= 5, "{denied:?}");
    t.finish().await;
}

async fn a_diary_link_logs_only_for_its_own_clients_behaviours_and_homework(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let a = client_of(&t, &clin, "Ada Own", "ada@client.test").await;
    let other = client_of(&t, &clin, "Ben Else", "ben@client.test").await;
    let mine = behaviour(&t, &clin, &a, outbursts()).await;
    let theirs = behaviour(&t, &clin, &other, outbursts()).await;
    let their_hw = homework(&t, &clin, &other, "Ben's task").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = diary_link(&t, &clin, &a).await;

    let (status, html) = submit(
        &t,
        &token,
        &[
            field(&format!("value.{mine}"), 1),
            field(&format!("value.{theirs}"), 1),
            field("client_id", &other),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("not one of the behaviours on your diary"));
    let (status, _) = submit(
        &t,
        &token,
        &[
            field(&format!("value.{mine}"), 1),
            field(&format!("done.{their_hw}"), 1),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(stored_entries(&t).await, 0);
    let hw = t
        .get(&clin, &format!("/api/v1/clients/{other}/homework"))
        .await;
    assert_eq!(hw.json[0]["status"], "assigned");
    // A retired behaviour is off the diary as well.
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/clients/{a}/behaviours/{mine}/retire"),
        None,
        None,
    )
    .await
    .expect(200);
    let (status, html) = page(&t, &token).await;
    assert_eq!(status, 200);
    assert!(!html.contains(&format!("value.{mine}")));
    assert_eq!(
        submit(&t, &token, &[field(&format!("value.{mine}"), 1)])
            .await
            .0,
        422
    );
    assert_eq!(stored_entries(&t).await, 0);
    t.finish().await;
}

async fn only_the_care_team_writes_and_refusals_are_audited(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, clin.id)
        .await
        .unwrap();
    let client = client_of(&t, &clin, "Cara Team", "cara@client.test").await;
    let bid = behaviour(&t, &clin, &client, outbursts()).await;
    let summary = format!("/api/v1/clients/{client}/behaviour-summary");
    let entries = format!("/api/v1/clients/{client}/behaviour-entries");
    let count = |action: &'static str| {
        let t = &t;
        async move {
            t.query_text(&format!(
                "SELECT 'x' FROM audit_log WHERE outcome = 'denied' AND action = '{action}'"
            ))
            .await
            .len()
        }
    };
    t.get(&sched, &summary).await.expect(403);
    t.get(&other, &summary).await.expect(404);
    t.get(&sup, &summary).await.expect(200);
    assert_eq!(count("behaviour.summary").await, 2);
    let body = json!({"entries": [{"behaviour_id": bid, "value": 1}]});
    t.post(&sched, &entries, body.clone()).await.expect(403);
    t.post(&other, &entries, body.clone()).await.expect(404);
    t.post(&sup, &entries, body.clone()).await.expect(403);
    assert_eq!(count("behaviour.entry.create").await, 3);
    t.post(&clin, &entries, body).await.expect(201);
    assert_eq!(stored_entries(&t).await, 1);
    let send = format!("/api/v1/clients/{client}/diary-link");
    t.call(Some(&sched), Method::POST, &send, None, None)
        .await
        .expect(403);
    t.call(Some(&other), Method::POST, &send, None, None)
        .await
        .expect(404);
    assert_eq!(count("diary.link.send").await, 2);
    let reads = t
        .query_text(
            "SELECT action FROM audit_log WHERE outcome = 'ok' AND action LIKE 'behaviour.%'",
        )
        .await;
    assert!(
        reads.contains(&"behaviour.summary".to_string()),
        "{reads:?}"
    );
    t.finish().await;
}

async fn daily_and_weekly_streaks_and_peaks_are_computed_over_http(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Stre Ak", "streak@client.test").await;
    let sleep = behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Sleep", "kind": "duration", "direction": "increase", "target": 420, "target_per": "day"}),
    )
    .await;
    let craving = behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Craving", "kind": "intensity", "direction": "reduce", "target": 5, "target_per": "day"}),
    )
    .await;
    let path = format!("/api/v1/clients/{client}/behaviour-entries");
    let e =
        |id: &str, ago: u64, v: f64| json!({"behaviour_id": id, "date": days_ago(ago), "value": v});
    t.post(
        &clin,
        &path,
        json!({"entries": [
            e(&sleep, 4, 480.0), e(&sleep, 3, 300.0), e(&sleep, 2, 450.0), e(&sleep, 1, 430.0), e(&sleep, 0, 425.0),
            e(&craving, 0, 3.0), e(&craving, 0, 8.0),
        ]}),
    )
    .await
    .expect(201);
    let s = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/behaviour-summary"),
        )
        .await;
    s.expect(200);
    let find = |id: &str| {
        s.json["behaviours"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["behaviour"]["id"] == id)
            .unwrap()
            .clone()
    };
    let sl = find(&sleep);
    // 3 days ago missed the target: the streak is the last three days, the best run is three as well.
    assert_eq!(
        sl["streaks"]["target"],
        json!({"per": "day", "current": 3, "best": 3})
    );
    assert_eq!(sl["streaks"]["logging_days"], 5);
    assert_eq!(sl["adherence"]["days_logged"], 5);
    assert_eq!(
        sl["adherence"]["days_expected"], 5,
        "the diary starts with the first entry"
    );
    let total: f64 = sl["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["total"].as_f64())
        .sum();
    assert_eq!(total, 480.0 + 300.0 + 450.0 + 430.0 + 425.0);
    // The day's peak craving (8) is what counts, and it fails today's target.
    let cr = find(&craving);
    let this_week = cr["weeks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(this_week["total"], 8.0);
    assert_eq!(this_week["status"], "not_met");
    assert_eq!(cr["streaks"]["target"]["current"], 0);
    t.finish().await;
}

async fn behaviour_names_and_homework_text_are_encrypted_at_rest(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Seal Ed", "seal@client.test").await;
    let marker = format!("marker{}", uuid::Uuid::new_v4().simple());
    behaviour(
        &t,
        &clin,
        &client,
        json!({"name": format!("Binge {marker}"), "kind": "count", "direction": "reduce"}),
    )
    .await;
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/homework"),
            json!({"title": format!("Title {marker}"), "instructions": format!("Do {marker}"), "due_on": today().to_string()}),
        )
        .await;
    r.expect(201);
    let hid = r.json["id"].as_str().unwrap();
    t.post(
        &clin,
        &format!("/api/v1/homework/{hid}/status"),
        json!({"status": "done", "note": format!("Note {marker}")}),
    )
    .await
    .expect(200);
    let hex_marker = hex::encode(marker.as_bytes());
    for (table, col) in [
        ("behaviours", "name"),
        ("homework", "title"),
        ("homework", "instructions"),
        ("homework", "completion_note"),
    ] {
        let sql = match b {
            Backend::Sqlite => format!("SELECT hex({col}) FROM {table}"),
            Backend::Postgres => format!("SELECT encode({col}, 'hex') FROM {table}"),
        };
        let rows = t.query_text(&sql).await;
        assert!(!rows.is_empty(), "{table}.{col} is empty");
        for row in rows {
            assert!(
                !row.to_lowercase().contains(&hex_marker),
                "{table}.{col} holds plaintext"
            );
        }
    }
    // And the care team reads it back.
    let h = t
        .get(&clin, &format!("/api/v1/clients/{client}/homework"))
        .await;
    assert_eq!(h.json[0]["completion_note"], format!("Note {marker}"));
    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/behaviours"))
        .await;
    assert_eq!(list.json[0]["name"], format!("Binge {marker}"));
    t.finish().await;
}

async fn homework_is_changed_with_its_version_and_settled_once(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Hom Ework", "hw@client.test").await;
    let h = homework(&t, &clin, &client, "Breathing practice").await;
    let id = h["id"].as_str().unwrap();
    let path = format!("/api/v1/homework/{id}");
    let body = json!({"title": "Breathing practice, twice", "due_on": (today() + chrono::Days::new(9)).to_string()});
    t.put(&clin, &path, 1, body.clone()).await.expect(200);
    t.put(&clin, &path, 1, body).await.expect(409);
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/homework"),
            json!({"title": "", "due_on": days_ago(3)}),
        )
        .await;
    r.expect(422);
    let fields: Vec<&str> = r.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "due_on"]);
    let status = format!("{path}/status");
    t.post(&clin, &status, json!({"status": "not_done"}))
        .await
        .expect(200);
    t.post(&clin, &status, json!({"status": "not_done"}))
        .await
        .expect(409);
    let r = t.post(&clin, &status, json!({"status": "finished"})).await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "status");
    let s = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/behaviour-summary"),
        )
        .await;
    assert_eq!(s.json["homework"]["not_done"], 1);
    t.finish().await;
}
