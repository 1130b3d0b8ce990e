//! Treatment plans through the API: templates, measurable objectives, putting a plan into effect, reviews with
//! history, the client's acknowledgement, closure, versions and encryption at rest; and objectives linked to a
//! questionnaire showing the client's baseline, latest score, target and verdict (an audited read of measures);
//! ids that follow their element through edits, in the API and in the editor form.

use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_plan_from_a_template_is_completed_put_into_effect_reviewed_and_acknowledged,
    an_objective_without_a_target_is_refused_and_nothing_is_stored,
    plans_are_clinical_and_encrypted,
    an_objective_linked_to_a_questionnaire_shows_measured_progress,
    a_behaviour_keeps_its_objective_when_the_plan_changes_around_it,
);

async fn client_of(t: &TestApp, clin: &TestUser) -> String {
    let r = t
        .post(clin, "/api/v1/clients", client_body("Plan Example"))
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn post_v(t: &TestApp, who: &TestUser, path: &str, v: i64, body: Option<Value>) -> Reply {
    t.call(Some(who), Method::POST, path, body, Some(v as i32))
        .await
}

async fn a_plan_from_a_template_is_completed_put_into_effect_reviewed_and_acknowledged(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin).await;
    let templates = t.get(&clin, "/api/v1/plan-templates").await;
    let keys: Vec<&str> = templates
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "bereavement",
            "anger_management",
            "substance_use",
            "depression",
            "anxiety"
        ]
    );

    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/plans"),
            json!({ "template": "anger_management", "start": "2027-01-04" }),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["status"], "draft");
    let id = r.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/plans/{id}");
    let o = &r.json["content"]["problems"][0]["goals"][0]["objectives"][0];
    assert_eq!(o["id"], "p1.g1.o1");
    assert_eq!(o["target_date"], "2027-03-29", "12 weeks from the start");

    // Baselines are the client's: the plan cannot take effect without them.
    let early = post_v(&t, &clin, &format!("{path}/activate"), 1, None).await;
    early.expect(422);
    assert_eq!(
        early.json["fields"][0]["field"],
        "problems[0].goals[0].objectives[0].baseline"
    );

    let mut content = r.json["content"].clone();
    content["problems"][0]["goals"][0]["objectives"][0]["baseline"] = json!(6);
    content["problems"][0]["goals"][0]["objectives"][1]["baseline"] = json!(10);
    t.put(&clin, &path, 1, content.clone()).await.expect(200);
    t.put(&clin, &path, 1, content).await.expect(409);
    let active = post_v(&t, &clin, &format!("{path}/activate"), 2, None).await;
    active.expect(200);
    assert_eq!(active.json["status"], "active");
    assert!(active.json["next_review_on"].is_string());

    let reviewed = post_v(
        &t,
        &clin,
        &format!("{path}/reviews"),
        3,
        Some(json!({
            "note": "Two outbursts this month; time-out used most times.",
            "objectives": [{ "id": "p1.g1.o1", "current": 3.5, "status": "in_progress" }],
        })),
    )
    .await;
    reviewed.expect(200);
    assert_eq!(
        reviewed.json["progress"][0]["progress"], 0.5,
        "halfway from 6 to 1"
    );
    assert_eq!(reviewed.json["progress"][0]["status_label"], "In progress");
    let bad = post_v(
        &t,
        &clin,
        &format!("{path}/reviews"),
        4,
        Some(json!({ "note": "x", "objectives": [{ "id": "p9.g9.o9", "current": 1 }] })),
    )
    .await;
    bad.expect(422);
    assert_eq!(bad.json["fields"][0]["field"], "objectives[0].id");

    let ack = post_v(
        &t,
        &clin,
        &format!("{path}/acknowledge"),
        4,
        Some(json!({ "how": "signed in session" })),
    )
    .await;
    ack.expect(200);
    assert_eq!(ack.json["acknowledged_how"], "signed in session");
    let closed = post_v(&t, &clin, &format!("{path}/close"), 5, None).await;
    closed.expect(200);
    let kinds: Vec<&str> = closed.json["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "updated",
            "activated",
            "reviewed",
            "acknowledged",
            "closed"
        ]
    );
    assert_eq!(
        closed.json["history"][3]["note"],
        "Two outbursts this month; time-out used most times."
    );
    t.put(&clin, &path, 6, closed.json["content"].clone())
        .await
        .expect(409);
    t.finish().await;
}

async fn an_objective_without_a_target_is_refused_and_nothing_is_stored(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin).await;
    let plans = format!("/api/v1/clients/{client}/plans");
    let r = t
        .post(
            &clin,
            &plans,
            json!({ "content": { "problems": [{ "statement": "Low mood", "goals": [{ "statement": "Feel better",
                "objectives": [{ "statement": "Feel better", "measure": "how I feel", "target": null }] }] }] } }),
        )
        .await;
    r.expect(422);
    assert_eq!(
        r.json["fields"][0]["field"],
        "problems[0].goals[0].objectives[0].target"
    );
    assert!(
        r.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("measurable target")
    );
    t.post(&clin, &plans, json!({ "template": "astrology" }))
        .await
        .expect(422);
    t.post(&clin, &plans, json!({})).await.expect(422);
    assert_eq!(t.get(&clin, &plans).await.json.as_array().unwrap().len(), 0);
    t.finish().await;
}

async fn plans_are_clinical_and_encrypted(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin).await;
    let marker = format!("marker{}", uuid::Uuid::new_v4().simple());
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/plans"),
            json!({ "content": { "problems": [{ "statement": format!("Grief {marker}"), "goals": [{ "statement": "Adjust",
                "objectives": [{ "statement": "Return to work", "measure": "days at work per week", "target": 5 }] }] }] } }),
        )
        .await;
    r.expect(201);
    let path = format!("/api/v1/plans/{}", r.json["id"].as_str().unwrap());
    t.get(&sched, &path).await.expect(403);
    t.get(&other, &path).await.expect(404);
    let hex_marker = hex::encode(marker.as_bytes());
    for (table, col) in [("plans", "content"), ("plan_revisions", "content")] {
        let sql = match b {
            Backend::Sqlite => format!("SELECT hex({col}) FROM {table}"),
            Backend::Postgres => format!("SELECT encode({col}, 'hex') FROM {table}"),
        };
        for row in t.query_text(&sql).await {
            assert!(
                !row.to_lowercase().contains(&hex_marker),
                "{table}.{col} holds plaintext"
            );
        }
    }
    t.finish().await;
}

fn phq9(total_of_items_1_to_8: i32, when: &str) -> Value {
    // Items 1–8 share the total as evenly as the 0–3 options allow; item 9 stays 0.
    let mut a = serde_json::Map::new();
    let mut left = total_of_items_1_to_8;
    for i in 1..=8 {
        let v = left.min(3);
        a.insert(i.to_string(), json!(v));
        left -= v;
    }
    a.insert("9".into(), json!(0));
    json!({ "instrument": "phq9", "answers": a, "completed_at": when })
}

async fn an_objective_linked_to_a_questionnaire_shows_measured_progress(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin).await;
    let objective = |id: &str, instrument: Option<&str>, baseline: Option<f64>, target: f64| {
        json!({"id": id, "statement": "Fewer depressive symptoms", "measure": "PHQ-9 total",
               "instrument": instrument, "baseline": baseline, "target": target})
    };
    let content = json!({"problems": [{"statement": "Low mood", "goals": [{"statement": "Feel better", "objectives": [
        objective("", Some("phq9"), Some(18.0), 9.0),
        objective("", Some("gad7"), None, 7.0),
        objective("", None, Some(6.0), 2.0),
    ]}]}]});
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/plans"),
            json!({"content": content}),
        )
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    let m = &r.json["measured"];
    assert_eq!(
        m.as_array().unwrap().len(),
        2,
        "only objectives linked to an instrument"
    );
    assert_eq!(m[0]["status"], "no_score_yet");

    for (total, when) in [
        (18, "2026-01-05T09:00:00Z"),
        (14, "2026-01-19T09:00:00Z"),
        (11, "2026-02-02T09:00:00Z"),
    ] {
        t.post(
            &clin,
            &format!("/api/v1/clients/{client}/measure-responses"),
            phq9(total, when),
        )
        .await
        .expect(201);
    }
    let plan = t.get(&clin, &format!("/api/v1/plans/{id}")).await;
    plan.expect(200);
    let m = &plan.json["measured"][0];
    assert_eq!(m["objective_id"], "p1.g1.o1");
    assert_eq!(m["instrument"], "phq9");
    assert_eq!(m["baseline"], 18.0);
    assert_eq!(m["baseline_source"], "plan");
    assert_eq!(m["latest"], 11.0);
    assert_eq!(m["latest_at"], "2026-02-02T09:00:00Z");
    assert_eq!(m["target"], 9.0);
    assert_eq!(
        m["met"], false,
        "11 is above the target of 9, and lower is better"
    );
    assert_eq!(
        m["reliable_change"], "reliably_improved",
        "18 → 11 is 7 points, NHS Talking Therapies' rule is 6"
    );
    assert_eq!(m["status"], "reliably_improved");
    assert_eq!(m["totals"], json!([18.0, 14.0, 11.0]));
    assert!(
        m["definition"]
            .as_str()
            .unwrap()
            .contains("at or below the target")
    );
    assert_eq!(plan.json["measured"][1]["status"], "no_score_yet");

    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/measure-responses"),
        phq9(8, "2026-02-16T09:00:00Z"),
    )
    .await
    .expect(201);
    let plan = t.get(&clin, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(plan.json["measured"][0]["status"], "met");
    assert_eq!(plan.json["measured"][0]["met"], true);

    // The plan page says the same in words, with a small trend.
    let browser = t.sign_in(&clin).await;
    let (status, _, html) = browser.get(&format!("/plans/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("baseline 18; latest 8 on 16 Feb 2026; target 9"),
        "{html}"
    );
    assert!(html.contains("target met"));
    assert!(html.contains("class=\"sparkline\""));

    // Reading the plan read the scores: each read leaves a measure entry naming the plan; outsiders see nothing.
    let entries = t
        .query_text(&format!(
            "SELECT detail FROM audit_log WHERE action = 'measure.results.read' AND resource_id = '{client}' ORDER BY seq"
        ))
        .await;
    assert!(entries.len() >= 4, "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|d| d == &format!("plan {id}: 2 measured objectives")),
        "{entries:?}"
    );
    t.get(&other, &format!("/api/v1/plans/{id}"))
        .await
        .expect(404);
}

/// The statement of the objective a behaviour of `client` links to, as its list shows it.
async fn linked_statement(t: &TestApp, clin: &TestUser, client: &str) -> (String, String) {
    let r = t
        .get(clin, &format!("/api/v1/clients/{client}/behaviours"))
        .await;
    r.expect(200);
    (
        r.json[0]["objective_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        r.json[0]["objective"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

async fn a_behaviour_keeps_its_objective_when_the_plan_changes_around_it(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin).await;
    let obj = |statement: &str, target: i32| json!({"statement": statement, "measure": "times per week", "baseline": 6, "target": target});
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/plans"),
            json!({"content": {"problems": [{"statement": "Anger at home", "goals": [{"statement": "Calmer evenings",
                "objectives": [obj("ALPHA shouting", 2), obj("BRAVO slamming doors", 1)]}]}]}}),
        )
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/plans/{id}");
    let bravo = &r.json["content"]["problems"][0]["goals"][0]["objectives"][1];
    assert_eq!(bravo["id"], "p1.g1.o2");
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/behaviours"),
        json!({"name": "Doors slammed", "kind": "count", "plan_id": id, "objective_id": "p1.g1.o2"}),
    )
    .await
    .expect(201);
    assert_eq!(
        linked_statement(&t, &clin, &client).await,
        ("p1.g1.o2".into(), "BRAVO slamming doors".into())
    );

    // A new objective goes first; the two kept ones come back with their ids.
    let mut content = r.json["content"].clone();
    let objectives = content["problems"][0]["goals"][0]["objectives"]
        .as_array_mut()
        .unwrap();
    objectives.insert(0, obj("NEW counting to ten", 5));
    let r = t.put(&clin, &path, 1, content).await;
    r.expect(200);
    let ids: Vec<(String, String)> = r.json["content"]["problems"][0]["goals"][0]["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["statement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("p1.g1.o3".to_string(), "NEW counting to ten".to_string()),
            ("p1.g1.o1".to_string(), "ALPHA shouting".to_string()),
            ("p1.g1.o2".to_string(), "BRAVO slamming doors".to_string()),
        ]
    );
    assert_eq!(
        linked_statement(&t, &clin, &client).await,
        ("p1.g1.o2".into(), "BRAVO slamming doors".into()),
        "the behaviour still points at the objective it was linked to"
    );

    // The same id twice is refused, naming the field, and nothing changes.
    let mut twice = r.json["content"].clone();
    twice["problems"][0]["goals"][0]["objectives"][0]["id"] = json!("p1.g1.o2");
    let bad = t.put(&clin, &path, 2, twice).await;
    bad.expect(422);
    assert_eq!(
        bad.json["fields"][0]["field"], "problems[0].goals[0].objectives[2].id",
        "{}",
        bad.text
    );
    assert_eq!(t.get(&clin, &path).await.etag(), 2);

    // In the editor: ALPHA (first of the old two) is cleared, so removed; BRAVO keeps its id through the form.
    let browser = t.sign_in(&clin).await;
    let (status, _, html) = browser.get(&format!("/plans/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"name="p0.g0.o2.id" value="p1.g1.o2""#),
        "the editor carries each objective's id"
    );
    for (name, value) in [
        ("p0.id", "p1"),
        ("p0.g0.id", "p1.g1"),
        ("p0.g0.o0.id", "p1.g1.o3"),
        ("p0.g0.o1.id", "p1.g1.o1"),
    ] {
        assert!(
            html.contains(&format!(r#"name="{name}" value="{value}""#)),
            "{name}"
        );
    }
    let (status, location, body) = browser
        .post(
            &format!("/plans/{id}/edit"),
            &[
                ("version", "2"),
                ("p0.id", "p1"),
                ("p0.statement", "Anger at home"),
                ("p0.g0.id", "p1.g1"),
                ("p0.g0.statement", "Calmer evenings"),
                ("p0.g0.o0.id", "p1.g1.o3"),
                ("p0.g0.o0.statement", "NEW counting to ten"),
                ("p0.g0.o0.measure", "times per week"),
                ("p0.g0.o0.baseline", "6"),
                ("p0.g0.o0.target", "5"),
                ("p0.g0.o1.id", "p1.g1.o1"),
                ("p0.g0.o1.statement", ""),
                ("p0.g0.o1.measure", ""),
                ("p0.g0.o1.baseline", ""),
                ("p0.g0.o1.target", ""),
                ("p0.g0.o1.current", ""),
                ("p0.g0.o1.status", "not_started"),
                ("p0.g0.o2.id", "p1.g1.o2"),
                ("p0.g0.o2.statement", "BRAVO slamming doors"),
                ("p0.g0.o2.measure", "times per week"),
                ("p0.g0.o2.baseline", "6"),
                ("p0.g0.o2.target", "1"),
                ("p0.g0.o3.id", ""),
                ("p0.g0.o3.statement", "LATER a walk when angry"),
                ("p0.g0.o3.measure", "walks per week"),
                ("p0.g0.o3.target", "3"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/plans/{id}").as_str()),
        "{body}"
    );
    let now = t.get(&clin, &path).await;
    let ids: Vec<(String, String)> = now.json["content"]["problems"][0]["goals"][0]["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["statement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // ALPHA is gone, and its id p1.g1.o1 is not handed to the newcomer.
    assert_eq!(
        ids,
        [
            ("p1.g1.o3".to_string(), "NEW counting to ten".to_string()),
            ("p1.g1.o2".to_string(), "BRAVO slamming doors".to_string()),
            (
                "p1.g1.o4".to_string(),
                "LATER a walk when angry".to_string()
            ),
        ]
    );
    assert_eq!(
        linked_statement(&t, &clin, &client).await,
        ("p1.g1.o2".into(), "BRAVO slamming doors".into())
    );
    t.finish().await;
}
