//! Medications: recorded and stopped by the care team (stopped once, against the version read, never before the
//! start), sealed at rest, read by whoever may read the record (emergency access included), in every copy of it.

use crate::export::client;
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both};
use serde_json::json;

both!(medications_are_recorded_stopped_once_and_read_where_needed);

async fn medications_are_recorded_stopped_once_and_read_where_needed(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Rudi Maas").await;
    let list = format!("/api/v1/clients/{c}/medications");

    let r = t
        .post(
            &clin,
            &list,
            json!({"name": "", "started_on": "2999-01-01"}),
        )
        .await;
    r.expect(422);
    assert!(
        r.text.contains("\"name\"") && r.text.contains("started_on"),
        "{}",
        r.text
    );
    let old = t
        .post(
            &clin,
            &list,
            json!({"name": "MED-MARK Sertraline", "dose": "50 mg each morning", "prescriber": "Dr. Ode", "started_on": "2026-01-05"}),
        )
        .await;
    old.expect(201);
    let old = old.json["id"].as_str().unwrap().to_string();
    t.post(
        &clin,
        &list,
        json!({"name": "Melatonin", "started_on": "2026-03-01"}),
    )
    .await
    .expect(201);
    let stop = format!("/api/v1/medications/{old}/stop");
    t.post(
        &clin,
        &stop,
        json!({"stopped_on": "2025-12-31", "reason": "Nausea", "version": 1}),
    )
    .await
    .expect(422);
    t.post(
        &clin,
        &stop,
        json!({"stopped_on": "2026-02-01", "reason": "Nausea", "version": 7}),
    )
    .await
    .expect(409);
    let r = t
        .post(
            &clin,
            &stop,
            json!({"stopped_on": "2026-02-01", "reason": "Nausea", "version": 1}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["current"], json!(false));
    assert_eq!(r.json["stop_reason"], json!("Nausea"));
    t.post(
        &clin,
        &stop,
        json!({"stopped_on": "2026-02-02", "reason": "Again", "version": 2}),
    )
    .await
    .expect(409);
    let r = t.get(&clin, &list).await;
    r.expect(200);
    let names: Vec<&str> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Melatonin", "MED-MARK Sertraline"],
        "current first"
    );
    let sealed = t
        .query_text(match b {
            Backend::Sqlite => "SELECT hex(content) FROM medications",
            Backend::Postgres => "SELECT encode(content, 'hex') FROM medications",
        })
        .await;
    let plain: String = "MED-MARK".bytes().map(|x| format!("{x:02X}")).collect();
    assert_eq!(sealed.len(), 2);
    assert!(
        sealed.iter().all(|h| !h.to_uppercase().contains(&plain)),
        "sealed at rest"
    );

    // Off the care team: nothing; under emergency access: read, not write.
    t.get(&on_call, &list).await.expect(404);
    t.post(
        &on_call,
        "/api/v1/emergency-access",
        json!({"legal_name": "Rudi Maas", "date_of_birth": "1988-03-14", "reason": "Crisis call at night; his clinician cannot be reached."}),
    )
    .await
    .expect(201);
    t.get(&on_call, &list).await.expect(200);
    t.post(
        &on_call,
        &list,
        json!({"name": "X", "started_on": "2026-01-01"}),
    )
    .await
    .expect(403);

    // In the record, and on the page.
    let export = t.get(&clin, &format!("/api/v1/clients/{c}/export")).await;
    export.expect(200);
    assert_eq!(export.json["medications"].as_array().unwrap().len(), 2);
    let staff = t.sign_in(&clin).await;
    let (status, _, html) = staff.get(&format!("/clients/{c}/medications")).await;
    assert_eq!(status, 200);
    assert!(html.contains("MED-MARK Sertraline") && html.contains("Stopped 2026-02-01: Nausea"));
    assert!(html.contains("Record that Melatonin was stopped"));
    let (status, location, _) = staff
        .post(
            &format!("/clients/{c}/medications"),
            &[
                ("name", "Lithium"),
                ("started_on", "2026-04-01"),
                ("dose", "400 mg"),
            ],
        )
        .await;
    assert_eq!(
        (status, location),
        (303, format!("/clients/{c}/medications?done=added"))
    );
    t.finish().await;
}
