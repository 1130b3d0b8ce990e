//! Clients: registration, reading by role, scoping of lists, optimistic versioning, encryption at rest.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both, client_body};
use serde_json::json;

both!(
    clinician_registers_a_client_and_joins_the_care_team,
    clinical_fields_are_shown_only_to_the_care_team,
    lists_are_scoped_to_the_care_team,
    search_finds_clients_by_part_of_the_name,
    a_stale_update_is_refused_with_409,
    clinical_text_is_encrypted_at_rest,
    minors_need_a_guardian,
    episodes_of_care_open_and_close,
);

async fn clinician_registers_a_client_and_joins_the_care_team(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Nora Example");
    body["presenting_problem"] = json!("Low mood after bereavement.");
    let r = t.post(&clin, "/api/v1/clients", body).await;
    r.expect(201);
    assert_eq!(r.json["care_team"][0]["user_id"], json!(clin.id));
    assert_eq!(r.json["care_team"][0]["team_role"], "primary");
    assert_eq!(
        r.json["clinical"]["presenting_problem"],
        "Low mood after bereavement."
    );
    let location = r.headers["location"].to_str().unwrap().to_string();
    let back = t.get(&clin, &location).await;
    back.expect(200);
    assert_eq!(back.json["legal_name"], "Nora Example");
    assert_eq!(back.json["age"].as_u64().map(|a| a >= 18), Some(true));
    t.finish().await;
}

async fn clinical_fields_are_shown_only_to_the_care_team(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let admin = t.user(&[Role::Admin]).await;
    let other = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Ravi Example");
    body["clinical_notes"] = json!("Discussed sleep hygiene.");
    let id = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/clients/{id}");
    for who in [&sched, &admin] {
        let r = t.get(who, &path).await;
        r.expect(200);
        assert_eq!(r.json["legal_name"], "Ravi Example");
        assert!(
            r.json.get("clinical").is_none(),
            "no clinical content for {:?}: {}",
            who.roles,
            r.text
        );
        assert!(!r.text.contains("sleep hygiene"));
    }
    t.get(&other, &path).await.expect(404);
    // The front desk may not write clinical text, even on registration.
    let mut body = client_body("Sneaky Example");
    body["clinical_notes"] = json!("x");
    t.post(&sched, "/api/v1/clients", body).await.expect(403);
    t.finish().await;
}

async fn lists_are_scoped_to_the_care_team(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let a = t.user(&[Role::Clinician]).await;
    let bb = t.user(&[Role::Clinician]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, a.id)
        .await
        .unwrap();
    for i in 0..3 {
        t.post(&a, "/api/v1/clients", client_body(&format!("Alpha {i}")))
            .await
            .expect(201);
    }
    t.post(&bb, "/api/v1/clients", client_body("Beta 0"))
        .await
        .expect(201);
    let names = |r: &rapport_testkit::Reply| {
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["legal_name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let ra = t.get(&a, "/api/v1/clients").await;
    assert_eq!(names(&ra), vec!["Alpha 0", "Alpha 1", "Alpha 2"]);
    assert_eq!(ra.json["total"], 3);
    assert_eq!(names(&t.get(&bb, "/api/v1/clients").await), vec!["Beta 0"]);
    assert_eq!(t.get(&sched, "/api/v1/clients").await.json["total"], 4);
    // A supervisor sees their supervisee's clients, and no one else's.
    assert_eq!(
        names(&t.get(&sup, "/api/v1/clients").await),
        vec!["Alpha 0", "Alpha 1", "Alpha 2"]
    );
    t.finish().await;
}

async fn search_finds_clients_by_part_of_the_name(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let sched = t.user(&[Role::Scheduler]).await;
    for n in ["Marta Kowalska", "Martin Lee", "Zoë Ångström"] {
        t.post(&sched, "/api/v1/clients", client_body(n))
            .await
            .expect(201);
    }
    let r = t.get(&sched, "/api/v1/clients?q=MART").await;
    assert_eq!(r.json["total"], 2, "{}", r.text);
    let r = t.get(&sched, "/api/v1/clients?q=%C3%A5ngstr").await;
    assert_eq!(
        r.json["total"], 1,
        "case-insensitive beyond ASCII: {}",
        r.text
    );
    let r = t.get(&sched, "/api/v1/clients?status=discharged").await;
    assert_eq!(r.json["total"], 0);
    let r = t.get(&sched, "/api/v1/clients?limit=1&offset=1").await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["total"], 3);
    t.finish().await;
}

async fn a_stale_update_is_refused_with_409(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let id = t
        .post(&clin, "/api/v1/clients", client_body("Ola Example"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/clients/{id}");
    let v = t.get(&clin, &path).await.etag();
    let mut first = client_body("Ola Example-Smith");
    first["clinical_notes"] = json!("First tab's note.");
    let r = t.put(&clin, &path, v, first).await;
    r.expect(200);
    assert_eq!(r.etag(), v + 1);
    // The second tab still holds version v.
    let r = t.put(&clin, &path, v, client_body("Ola Other")).await;
    r.expect(409);
    assert_eq!(r.json["error"], "conflict");
    let now = t.get(&clin, &path).await;
    assert_eq!(now.json["legal_name"], "Ola Example-Smith");
    assert_eq!(now.json["clinical"]["clinical_notes"], "First tab's note.");
    // Without If-Match nothing is written.
    let r = t
        .call(
            Some(&clin),
            reqwest::Method::PUT,
            &path,
            Some(client_body("No Version")),
            None,
        )
        .await;
    r.expect(428);
    t.finish().await;
}

async fn clinical_text_is_encrypted_at_rest(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let marker = format!("marker-{}", uuid::Uuid::new_v4().simple());
    let mut body = client_body("Cipher Example");
    body["presenting_problem"] = json!(format!("presenting {marker}"));
    body["clinical_notes"] = json!(format!("notes {marker}"));
    let id = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ep = t
        .post(&clin, &format!("/api/v1/clients/{id}/episodes"), json!({"opened_on": "2026-01-05", "presenting_problems": marker.clone(), "diagnoses": ["F32.1"]}))
        .await;
    ep.expect(201);
    // The API still returns the plaintext to the care team…
    let r = t.get(&clin, &format!("/api/v1/clients/{id}")).await;
    assert!(r.text.contains(&marker));
    // …but the database holds none of it.
    match b {
        Backend::Sqlite => {
            for suffix in ["", "-wal"] {
                let path = t.dir.join(format!("rapport.db{suffix}"));
                if let Ok(bytes) = std::fs::read(&path) {
                    assert!(
                        !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                        "plaintext found in {}",
                        path.display()
                    );
                }
            }
            let size = std::fs::metadata(t.dir.join("rapport.db"))
                .map(|m| m.len())
                .unwrap_or(0)
                + std::fs::metadata(t.dir.join("rapport.db-wal"))
                    .map(|m| m.len())
                    .unwrap_or(0);
            assert!(size > 0, "the database files exist and were searched");
        }
        Backend::Postgres => {
            let rows = t.query_text("SELECT c::text FROM clients c UNION ALL SELECT e::text FROM episodes e UNION ALL SELECT a::text FROM audit_log a").await;
            assert!(rows.len() >= 3);
            let hex: String = marker.bytes().map(|b| format!("{b:02x}")).collect();
            for row in rows {
                assert!(
                    !row.contains(&marker) && !row.contains(&hex),
                    "plaintext found in a row: {row}"
                );
            }
        }
    }
    t.finish().await;
}

async fn minors_need_a_guardian(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let mut body = client_body("Kid Example");
    body["date_of_birth"] = json!("2015-06-01");
    let r = t.post(&sched, "/api/v1/clients", body.clone()).await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "guardians");
    body["guardians"] =
        json!([{ "name": "Pat Example", "relationship": "mother", "phone": "+1 555 0100" }]);
    let r = t.post(&sched, "/api/v1/clients", body).await;
    r.expect(201);
    assert_eq!(r.json["is_minor"], true);
    assert_eq!(r.json["guardians"][0]["name"], "Pat Example");
    t.finish().await;
}

async fn episodes_of_care_open_and_close(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let id = t
        .post(&clin, "/api/v1/clients", client_body("Ep Example"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/api/v1/clients/{id}/episodes");
    let bad = t
        .post(
            &clin,
            &base,
            json!({"opened_on": "2026-01-05", "diagnoses": ["sad"]}),
        )
        .await;
    bad.expect(422);
    assert_eq!(bad.json["fields"][0]["field"], "diagnoses[0]");
    let e = t
        .post(
            &clin,
            &base,
            json!({"opened_on": "2026-01-05", "diagnoses": ["f43.10"]}),
        )
        .await;
    e.expect(201);
    assert_eq!(e.json["diagnoses"][0], "F43.10");
    let eid = e.json["id"].as_str().unwrap().to_string();
    let close = format!("{base}/{eid}/close");
    t.call(
        Some(&clin),
        reqwest::Method::POST,
        &close,
        Some(json!({"closed_on": "2025-12-01"})),
        Some(1),
    )
    .await
    .expect(422);
    let r = t
        .call(
            Some(&clin),
            reqwest::Method::POST,
            &close,
            Some(json!({"closed_on": "2026-03-01"})),
            Some(1),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["closed_on"], "2026-03-01");
    let list = t.get(&clin, &base).await;
    assert_eq!(list.json[0]["closed_on"], "2026-03-01");
    t.finish().await;
}
