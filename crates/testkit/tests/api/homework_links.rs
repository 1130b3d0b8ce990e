//! Homework linked to a treatment-plan objective, on SQLite and PostgreSQL: over the API (only an objective of
//! the client's own plan, both halves or neither, changed or cleared by an edit), on the homework forms (the
//! chooser, the problem beside it), and on the plan page, which names what is linked to each objective in an
//! audited read.

use crate::behaviour::{client_of, today};
use chrono::Days;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, between, both};
use serde_json::{Value, json};

both!(
    homework_links_only_to_an_objective_of_the_clients_own_plan,
    the_homework_forms_choose_an_objective_and_the_plan_shows_the_homework,
);

/// A plan with one objective (`p1.g1.o1`) for the client; returns its id.
async fn plan(t: &TestApp, clin: &TestUser, client: &str, objective: &str) -> String {
    let r = t
        .post(
            clin,
            &format!("/api/v1/clients/{client}/plans"),
            json!({"content": {"problems": [{"statement": "Worry", "goals": [{"statement": "Calmer days",
                "objectives": [{"statement": objective, "measure": "worry episodes per week", "baseline": 10, "target": 3}]}]}]}}),
        )
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

fn due() -> String {
    (today() + Days::new(4)).to_string()
}

fn fields(r: &Value) -> Vec<String> {
    r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

async fn homework_links_only_to_an_objective_of_the_clients_own_plan(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Wren Linked", "wren@client.test").await;
    let other = client_of(&t, &clin, "Otto Elsewhere", "otto@client.test").await;
    let mine = plan(&t, &clin, &client, "Fewer worry episodes").await;
    let theirs = plan(&t, &clin, &other, "Sleep through").await;
    let path = format!("/api/v1/clients/{client}/homework");

    let r = t
        .post(
            &clin,
            &path,
            json!({"title": "Worry time", "due_on": due(), "plan_id": mine, "objective_id": "p1.g1.o1"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["plan_id"], mine.as_str());
    assert_eq!(r.json["objective_id"], "p1.g1.o1");
    assert_eq!(r.json["objective"], "Fewer worry episodes");
    let id = r.json["id"].as_str().unwrap().to_string();

    // Another client's plan is not this client's: refused under the plan, nothing stored.
    let r = t
        .post(
            &clin,
            &path,
            json!({"title": "Borrowed", "due_on": due(), "plan_id": theirs, "objective_id": "p1.g1.o1"}),
        )
        .await;
    r.expect(422);
    assert_eq!(fields(&r.json), ["plan_id"]);
    let r = t
        .post(
            &clin,
            &path,
            json!({"title": "Nowhere", "due_on": due(), "plan_id": mine, "objective_id": "p9.g9.o9"}),
        )
        .await;
    r.expect(422);
    assert_eq!(fields(&r.json), ["objective_id"]);
    let r = t
        .post(
            &clin,
            &path,
            json!({"title": "Half", "due_on": due(), "objective_id": "p1.g1.o1"}),
        )
        .await;
    r.expect(422);
    assert_eq!(fields(&r.json), ["objective_id"]);
    let list = t.get(&clin, &path).await;
    assert_eq!(list.json.as_array().unwrap().len(), 1, "{}", list.text);

    // An edit without the link clears it; another links it again.
    let item = format!("/api/v1/homework/{id}");
    let r = t
        .put(
            &clin,
            &item,
            1,
            json!({"title": "Worry time", "due_on": due()}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["objective"], Value::Null);
    assert_eq!(r.json["plan_id"], Value::Null);
    let r = t
        .put(
            &clin,
            &item,
            2,
            json!({"title": "Worry time", "due_on": due(), "plan_id": mine, "objective_id": "p1.g1.o1"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["objective"], "Fewer worry episodes");

    // The linked plan lists the homework; a clinician off the care team still cannot read the plan.
    let stranger = t.user(&[Role::Clinician]).await;
    t.get(&stranger, &format!("/api/v1/plans/{mine}"))
        .await
        .expect(404);
    let r = t.get(&clin, &format!("/api/v1/plans/{mine}")).await;
    r.expect(200);
    assert_eq!(r.json["linked"]["homework"][0]["title"], "Worry time");
    assert_eq!(r.json["linked"]["homework"][0]["objective_id"], "p1.g1.o1");
    let r = t.get(&clin, &format!("/api/v1/plans/{theirs}")).await;
    assert_eq!(r.json["linked"]["homework"], json!([]));
    t.finish().await;
}

async fn the_homework_forms_choose_an_objective_and_the_plan_shows_the_homework(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Ivy Chooser", "ivy@client.test").await;
    let plan_id = plan(&t, &clin, &client, "Fewer panic attacks").await;
    let choice = format!("{plan_id}:p1.g1.o1");
    let page = t.sign_in(&clin).await;

    let (_, _, html) = page.get(&format!("/clients/{client}/homework")).await;
    assert!(
        html.contains(&format!(r#"<option value="{choice}">Fewer panic attacks"#)),
        "{html}"
    );
    // A value that is no objective comes back beside the chooser; nothing is stored.
    let form = format!("/clients/{client}/homework");
    let (status, _, html) = page
        .post(
            &form,
            &[
                ("title", "Breathing"),
                ("due_on", &due()),
                ("objective", "nonsense:p1"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(r#"<p class="field-error" id="e-objective">"#),
        "{html}"
    );
    let (status, location, _) = page
        .post(
            &form,
            &[
                ("title", "Breathing"),
                ("due_on", &due()),
                ("objective", &choice),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/clients/{client}?section=behaviour&done=homework")
    );
    let (_, _, html) = page
        .get(&format!("/clients/{client}?section=behaviour"))
        .await;
    assert!(
        html.contains("For the plan objective “Fewer panic attacks”"),
        "{html}"
    );

    // The edit form shows the link chosen, and the plan names the homework under its objective.
    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/homework"))
        .await;
    let id = list.json[0]["id"].as_str().unwrap().to_string();
    let (_, _, html) = page.get(&format!("/homework/{id}/edit")).await;
    assert!(
        html.contains(&format!(r#"<option value="{choice}" selected>"#)),
        "{html}"
    );
    let (status, _, html) = page.get(&format!("/plans/{plan_id}")).await;
    assert_eq!(status, 200);
    let linked = between(&html, r#"<ul class="linked-homework">"#, "</ul>");
    assert!(linked.contains("Breathing, due"), "{linked}");
    assert!(linked.contains("Assigned"), "{linked}");
    let details = t
        .query_text(&format!(
            "SELECT detail FROM audit_log WHERE action = 'homework.list' AND resource_id = '{client}' AND detail LIKE 'plan %' ORDER BY seq"
        ))
        .await;
    assert!(
        details
            .iter()
            .any(|d| d == &format!("plan {plan_id}: 1 linked homework, 0 linked behaviours")),
        "{details:?}"
    );
    t.finish().await;
}
