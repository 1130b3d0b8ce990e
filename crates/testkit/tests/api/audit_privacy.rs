//! The audit log keeps a psychotherapy note's secret: its events are shown to its author (and a supervisor it is
//! shared with) and to nobody else, in the client's access log and on the administrators' audit page alike, while
//! the chain still covers every entry.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, both, client_body};
use serde_json::{Value, json};

both!(psychotherapy_note_events_are_shown_to_their_author_alone);

fn mentions(entries: &Value, note: &str) -> Vec<String> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["resource_id"].as_str() == Some(note)
                || e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("psychotherapy"))
        })
        .map(|e| format!("{} {}", e["action"], e["outcome"]))
        .collect()
}

async fn log(t: &TestApp, who: &TestUser, client: &str) -> Value {
    let r = t
        .get(
            who,
            &format!("/api/v1/clients/{client}/access-log?limit=500"),
        )
        .await;
    r.expect(200);
    r.json.clone()
}

async fn psychotherapy_note_events_are_shown_to_their_author_alone(b: Backend) {
    let t = TestApp::spawn(b).await;
    let author = t.user(&[Role::Clinician]).await;
    let teammate = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let outsider = t.user(&[Role::Clinician]).await;
    let r = t
        .post(&author, "/api/v1/clients", client_body("Quiet Example"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    t.post(
        &admin,
        &format!("/api/v1/clients/{client}/care-team"),
        json!({ "user_id": teammate.id }),
    )
    .await
    .expect(204);
    let notes = format!("/api/v1/clients/{client}/notes");
    let p = t
        .post(
            &author,
            &notes,
            json!({"template": "psychotherapy", "fields": {"notes": "my hunch"}}),
        )
        .await;
    p.expect(201);
    let note = p.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/notes/{note}");
    t.get(&author, &path).await.expect(200);
    // Colleagues who try are refused as if it did not exist, and an outsider's attempt to write one is refused.
    t.get(&teammate, &path).await.expect(404);
    t.get(&admin, &path).await.expect(404);
    t.post(
        &outsider,
        &notes,
        json!({"template": "psychotherapy", "fields": {"notes": "x"}}),
    )
    .await
    .expect(404);
    t.post(
        &author,
        &notes,
        json!({"template": "progress_dap", "fields": {"data": "shared"}}),
    )
    .await
    .expect(201);

    let mine = mentions(&log(&t, &author, &client).await, &note);
    assert!(
        mine.len() >= 2,
        "the author sees the events of their own note: {mine:?}"
    );
    for who in [&teammate, &admin] {
        let seen = log(&t, who, &client).await;
        assert!(
            mentions(&seen, &note).is_empty(),
            "{:?} learns nothing of the psychotherapy note: {:?}",
            who.roles,
            mentions(&seen, &note)
        );
        assert!(
            seen.as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "note.create"),
            "other events stay in the log"
        );
    }
    let audit = t.get(&admin, "/api/v1/audit?limit=500").await;
    audit.expect(200);
    assert!(
        mentions(&audit.json, &note).is_empty(),
        "{:?}",
        mentions(&audit.json, &note)
    );
    // The chain still covers the hidden entries.
    assert!(t.app.verify_audit().await.unwrap().first_broken.is_none());
    t.finish().await;
}
