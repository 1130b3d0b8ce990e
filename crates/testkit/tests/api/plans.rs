//! Treatment plans through the API: templates, measurable objectives, putting a plan into effect, reviews with
//! history, the client's acknowledgement, closure, versions and encryption at rest.

use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_plan_from_a_template_is_completed_put_into_effect_reviewed_and_acknowledged,
    an_objective_without_a_target_is_refused_and_nothing_is_stored,
    plans_are_clinical_and_encrypted,
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
    let t = TestApp::spawn(b).await;
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
    let t = TestApp::spawn(b).await;
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
    let t = TestApp::spawn(b).await;
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
