//! Clinical notes through the API: drafts with versions, signing with a hash, addenda, co-signature by the
//! supervisor, psychotherapy notes kept from everyone but their author, encryption at rest.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_clinician_drafts_saves_and_signs_a_progress_note,
    a_stale_draft_save_is_refused_and_changes_nothing,
    a_trainees_signed_note_waits_for_the_supervisors_co_signature,
    psychotherapy_notes_are_seen_by_their_author_alone,
    only_the_care_team_writes_notes_whoever_would_be_the_author,
    notes_and_addenda_are_encrypted_at_rest,
    a_note_for_an_appointment_takes_its_date_and_needs_the_client_on_it,
    bad_note_input_is_refused_with_the_field_named,
    practice_templates_are_managed_by_administrators,
    late_drafts_lead_the_dashboard,
    the_chart_puts_sessions_notes_and_plans_on_one_filtered_timeline,
);

async fn client_of(t: &TestApp, clin: &TestUser, name: &str) -> String {
    let r = t.post(clin, "/api/v1/clients", client_body(name)).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

fn soap(marker: &str) -> Value {
    json!({
        "subjective": format!("Client reports fewer panic episodes {marker}"),
        "objective": "Calm, good eye contact.",
        "assessment": "Improving; exposure hierarchy on track.",
        "plan": "Continue weekly; next step on the hierarchy.",
        "risk_level": "low",
    })
}

async fn draft(t: &TestApp, who: &TestUser, client: &str, template: &str, fields: Value) -> Value {
    let r = t
        .post(
            who,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": template, "fields": fields }),
        )
        .await;
    r.expect(201);
    r.json.clone()
}

async fn sign(t: &TestApp, who: &TestUser, id: &str, version: i64) -> rapport_testkit::Reply {
    t.call(
        Some(who),
        Method::POST,
        &format!("/api/v1/notes/{id}/sign"),
        None,
        Some(version as i32),
    )
    .await
}

async fn a_clinician_drafts_saves_and_signs_a_progress_note(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Sign Example").await;
    let n = draft(
        &t,
        &clin,
        &client,
        "progress_soap",
        json!({ "subjective": "Slept better." }),
    )
    .await;
    assert_eq!(n["status"], "draft");
    assert_eq!(n["kind"], "progress_soap");
    assert_eq!(n["rights"]["sign"], true);
    let id = n["id"].as_str().unwrap();

    // Signing an incomplete note names every empty required field and changes nothing.
    let r = sign(&t, &clin, id, 1).await;
    r.expect(422);
    let fields: Vec<&str> = r.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "fields.objective",
            "fields.assessment",
            "fields.plan",
            "fields.risk_level"
        ]
    );
    assert_eq!(
        t.get(&clin, &format!("/api/v1/notes/{id}")).await.json["status"],
        "draft"
    );

    let saved = t
        .put(
            &clin,
            &format!("/api/v1/notes/{id}"),
            1,
            json!({ "fields": soap("") }),
        )
        .await;
    saved.expect(200);
    assert_eq!(saved.etag(), 2);
    let signed = sign(&t, &clin, id, 2).await;
    signed.expect(200);
    assert_eq!(signed.json["status"], "signed");
    assert_eq!(signed.json["hash_verified"], true);
    assert_eq!(signed.json["content_hash"].as_str().unwrap().len(), 64);
    assert_eq!(signed.json["rights"]["edit"], false);

    // Locked: no edits, no second signature; corrections are addenda.
    let edit = t
        .put(
            &clin,
            &format!("/api/v1/notes/{id}"),
            3,
            json!({ "fields": soap("changed") }),
        )
        .await;
    edit.expect(409);
    assert!(
        edit.json["message"].as_str().unwrap().contains("addendum"),
        "{}",
        edit.text
    );
    sign(&t, &clin, id, 3).await.expect(409);
    let add = t
        .post(
            &clin,
            &format!("/api/v1/notes/{id}/addenda"),
            json!({ "body": "Correction: the session lasted 45 minutes." }),
        )
        .await;
    add.expect(201);
    assert_eq!(
        add.json["addenda"][0]["body"],
        "Correction: the session lasted 45 minutes."
    );
    assert_eq!(add.json["addenda"][0]["author"]["id"], json!(clin.id));
    assert_eq!(add.json["content"]["subjective"], soap("")["subjective"]);
    t.post(
        &clin,
        &format!("/api/v1/notes/{id}/addenda"),
        json!({ "body": "  " }),
    )
    .await
    .expect(422);

    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/notes"))
        .await;
    list.expect(200);
    assert_eq!(list.json.as_array().unwrap().len(), 1);
    assert_eq!(list.json[0]["status"], "signed");
    assert!(
        list.json[0].get("content").is_none(),
        "lists carry no content"
    );
    t.finish().await;
}

async fn a_stale_draft_save_is_refused_and_changes_nothing(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Tabs Example").await;
    let n = draft(&t, &clin, &client, "progress_dap", json!({})).await;
    let path = format!("/api/v1/notes/{}", n["id"].as_str().unwrap());
    t.put(
        &clin,
        &path,
        1,
        json!({ "fields": { "data": "first tab" } }),
    )
    .await
    .expect(200);
    let stale = t
        .put(
            &clin,
            &path,
            1,
            json!({ "fields": { "data": "second tab" } }),
        )
        .await;
    stale.expect(409);
    let now = t.get(&clin, &path).await;
    assert_eq!(now.json["content"]["data"], "first tab");
    assert_eq!(now.etag(), 2);
    // A draft whose version moved on cannot be signed blind either.
    sign(&t, &clin, n["id"].as_str().unwrap(), 1)
        .await
        .expect(409);
    t.finish().await;
}

async fn a_trainees_signed_note_waits_for_the_supervisors_co_signature(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let trainee = t.user(&[Role::Clinician]).await;
    let supervisor = t.user(&[Role::Supervisor]).await;
    let colleague = t.user(&[Role::Clinician]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), supervisor.id, trainee.id)
        .await
        .unwrap();
    let client = client_of(&t, &trainee, "Cosign Example").await;
    let n = draft(&t, &trainee, &client, "progress_soap", soap("")).await;
    let id = n["id"].as_str().unwrap();
    let signed = sign(&t, &trainee, id, 1).await;
    signed.expect(200);
    assert_eq!(signed.json["status"], "awaiting_cosign");
    assert_eq!(signed.json["cosign_required"], true);

    let mine = t.get(&trainee, "/api/v1/notes/dashboard").await;
    assert_eq!(mine.json["awaiting_my_supervisor"][0]["id"], json!(id));
    let queue = t.get(&supervisor, "/api/v1/notes/dashboard").await;
    queue.expect(200);
    assert_eq!(queue.json["to_cosign"][0]["id"], json!(id));
    assert_eq!(queue.json["to_cosign"][0]["client_name"], "Cosign Example");

    let own = t
        .post(&trainee, &format!("/api/v1/notes/{id}/cosign"), json!({}))
        .await;
    own.expect(403);
    assert!(
        own.json["message"]
            .as_str()
            .unwrap()
            .contains("your own note"),
        "{}",
        own.text
    );
    t.post(&colleague, &format!("/api/v1/notes/{id}/cosign"), json!({}))
        .await
        .expect(404);
    let done = t
        .post(
            &supervisor,
            &format!("/api/v1/notes/{id}/cosign"),
            json!({}),
        )
        .await;
    done.expect(200);
    assert_eq!(done.json["status"], "cosigned");
    assert_eq!(done.json["cosigned_by"]["id"], json!(supervisor.id));
    t.post(
        &supervisor,
        &format!("/api/v1/notes/{id}/cosign"),
        json!({}),
    )
    .await
    .expect(409);
    let queue = t.get(&supervisor, "/api/v1/notes/dashboard").await;
    assert_eq!(queue.json["to_cosign"].as_array().unwrap().len(), 0);
    t.finish().await;
}

async fn psychotherapy_notes_are_seen_by_their_author_alone(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let author = t.user(&[Role::Clinician]).await;
    let teammate = t.user(&[Role::Clinician]).await;
    let supervisor = t.user(&[Role::Supervisor]).await;
    let admin = t.user(&[Role::Admin, Role::Clinician]).await;
    let scheduler = t.user(&[Role::Scheduler]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), supervisor.id, author.id)
        .await
        .unwrap();
    let client = client_of(&t, &author, "Private Example").await;
    for u in [&teammate, &admin] {
        t.post(
            &admin,
            &format!("/api/v1/clients/{client}/care-team"),
            json!({ "user_id": u.id }),
        )
        .await
        .expect(204);
    }
    let progress = draft(
        &t,
        &author,
        &client,
        "progress_dap",
        json!({ "data": "shared record" }),
    )
    .await;
    let p = draft(
        &t,
        &author,
        &client,
        "psychotherapy",
        json!({ "notes": "my hypotheses" }),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/notes/{id}");
    let list_path = format!("/api/v1/clients/{client}/notes");
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|n| n["id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };

    // The author sees both notes; the care team, an administrator on the team and the supervisor only the
    // progress note, and the psychotherapy note answers 404 as if it did not exist.
    assert_eq!(ids(&t.get(&author, &list_path).await.json).len(), 2);
    for who in [&teammate, &admin, &supervisor] {
        let l = t.get(who, &list_path).await;
        l.expect(200);
        assert_eq!(
            ids(&l.json),
            [progress["id"].as_str().unwrap().to_string()],
            "{:?}",
            who.roles
        );
        t.get(who, &path).await.expect(404);
        t.put(who, &path, 1, json!({ "fields": { "notes": "x" } }))
            .await
            .expect(404);
        t.post(who, &format!("{path}/addenda"), json!({ "body": "x" }))
            .await
            .expect(404);
    }
    t.get(&scheduler, &path).await.expect(404);
    t.get(&scheduler, &list_path).await.expect(403);

    // Sharing is only with the author's own supervisor, read only, and can be taken back.
    t.post(
        &author,
        &format!("{path}/shares"),
        json!({ "user_id": teammate.id }),
    )
    .await
    .expect(422);
    t.post(
        &teammate,
        &format!("{path}/shares"),
        json!({ "user_id": teammate.id }),
    )
    .await
    .expect(404);
    let shared = t
        .post(
            &author,
            &format!("{path}/shares"),
            json!({ "user_id": supervisor.id }),
        )
        .await;
    shared.expect(200);
    assert_eq!(shared.json["shared_with"][0]["id"], json!(supervisor.id));
    let seen = t.get(&supervisor, &path).await;
    seen.expect(200);
    assert_eq!(seen.json["content"]["notes"], "my hypotheses");
    assert!(
        seen.json.get("shared_with").is_none(),
        "only the author sees the share list"
    );
    assert_eq!(ids(&t.get(&supervisor, &list_path).await.json).len(), 2);
    t.put(&supervisor, &path, 1, json!({ "fields": { "notes": "x" } }))
        .await
        .expect(404);
    t.get(&teammate, &path).await.expect(404);
    t.call(
        Some(&author),
        Method::DELETE,
        &format!("{path}/shares/{}", supervisor.id),
        None,
        None,
    )
    .await
    .expect(200);
    t.get(&supervisor, &path).await.expect(404);

    // Psychotherapy notes never wait for a co-signature, even a trainee's.
    let s = sign(&t, &author, &id, 1).await;
    s.expect(200);
    assert_eq!(s.json["status"], "signed");

    // Every refused look was audited.
    let denied = t
        .query_text(
            "SELECT action FROM audit_log WHERE outcome = 'denied' AND action = 'note.read'",
        )
        .await;
    assert!(denied.len() >= 5, "denied reads audited: {denied:?}");
    t.finish().await;
}

/// Creating a note makes its caller the author, so authorship can never be what permits it: a clinician or
/// supervisor off the care team is told the client does not exist, whatever the body, and writes nothing. An author
/// taken off the team no longer changes or signs their draft.
async fn only_the_care_team_writes_notes_whoever_would_be_the_author(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let outsiders = [
        t.user(&[Role::Clinician]).await,
        t.user(&[Role::Supervisor]).await,
        t.user(&[Role::Clinician, Role::Supervisor]).await,
    ];
    let client = client_of(&t, &clin, "Careteam Only").await;
    let notes = format!("/api/v1/clients/{client}/notes");
    let bodies = [
        json!({ "template": "psychotherapy", "fields": { "notes": "OUTSIDER-MARK" } }),
        json!({ "template": "progress_dap", "fields": { "data": "OUTSIDER-MARK" } }),
        // Invalid fields must not turn the 404 into a 422 that tells the client exists.
        json!({ "template": "psychotherapy", "fields": { "no_such_field": "x" } }),
        json!({ "template": "progress_dap", "service_date": "not a date", "fields": {} }),
    ];
    for who in &outsiders {
        for body in &bodies {
            let r = t.post(who, &notes, body.clone()).await;
            r.expect(404);
            assert!(
                !r.text.contains("Careteam"),
                "the refusal names no one: {}",
                r.text
            );
        }
    }
    let written = t.query_text("SELECT status FROM notes").await;
    assert!(written.is_empty(), "nothing was written: {written:?}");

    // The author's drafts, then the author leaves the care team.
    let mine = draft(
        &t,
        &clin,
        &client,
        "progress_dap",
        json!({ "data": "draft" }),
    )
    .await;
    let private = draft(
        &t,
        &clin,
        &client,
        "psychotherapy",
        json!({ "notes": "draft" }),
    )
    .await;
    let admin = t.user(&[Role::Admin]).await;
    t.call(
        Some(&admin),
        Method::DELETE,
        &format!("/api/v1/clients/{client}/care-team/{}", clin.id),
        None,
        None,
    )
    .await
    .expect(204);
    for note in [&mine, &private] {
        let id = note["id"].as_str().unwrap();
        let path = format!("/api/v1/notes/{id}");
        let put = t
            .put(
                &clin,
                &path,
                1,
                json!({ "fields": { "data": "changed", "notes": "changed" } }),
            )
            .await;
        assert!(
            [403, 404].contains(&put.status.as_u16()),
            "an author off the team cannot change the draft: {}",
            put.text
        );
        let s = sign(&t, &clin, id, 1).await;
        assert!(
            [403, 404].contains(&s.status.as_u16()),
            "nor sign it: {}",
            s.text
        );
    }
    let statuses = t.query_text("SELECT status FROM notes").await;
    assert_eq!(statuses, ["draft", "draft"], "both drafts stay drafts");
    t.finish().await;
}

async fn notes_and_addenda_are_encrypted_at_rest(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Cipher Note").await;
    let marker = format!("marker{}", uuid::Uuid::new_v4().simple());
    let n = draft(&t, &clin, &client, "progress_soap", soap(&marker)).await;
    let id = n["id"].as_str().unwrap();
    sign(&t, &clin, id, 1).await.expect(200);
    t.post(
        &clin,
        &format!("/api/v1/notes/{id}/addenda"),
        json!({ "body": format!("late {marker}") }),
    )
    .await
    .expect(201);
    let read = t.get(&clin, &format!("/api/v1/notes/{id}")).await;
    assert!(
        read.json["content"]["subjective"]
            .as_str()
            .unwrap()
            .contains(&marker)
    );
    let hex_marker = hex::encode(marker.as_bytes());
    for (table, col) in [("notes", "content"), ("note_addenda", "body")] {
        let sql = match b {
            Backend::Sqlite => format!("SELECT hex({col}) FROM {table}"),
            Backend::Postgres => format!("SELECT encode({col}, 'hex') FROM {table}"),
        };
        let rows = t.query_text(&sql).await;
        assert!(!rows.is_empty());
        for r in rows {
            assert!(
                !r.to_lowercase().contains(&hex_marker),
                "{table}.{col} holds plaintext"
            );
        }
    }
    t.finish().await;
}

async fn a_note_for_an_appointment_takes_its_date_and_needs_the_client_on_it(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Appt Example").await;
    let other = client_of(&t, &clin, "Other Example").await;
    // 23:30 in Los Angeles is already the next day in UTC: the note takes the local date. (The scene's clock is
    // 26 November, 12:00 UTC: this session was last night.)
    let appt = t
        .post(
            &clin,
            "/api/v1/appointments",
            json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client],
                   "start": "2026-11-25T23:30", "time_zone": "America/Los_Angeles", "outside_working_hours": true}),
        )
        .await;
    appt.expect(201);
    let appt_id = appt.json["appointments"][0]["id"].as_str().unwrap();
    let n = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "progress_birp", "appointment_id": appt_id }),
        )
        .await;
    n.expect(201);
    assert_eq!(n.json["service_date"], "2026-11-25");
    assert_eq!(n.json["appointment_id"], json!(appt_id));
    let wrong = t
        .post(
            &clin,
            &format!("/api/v1/clients/{other}/notes"),
            json!({ "template": "progress_birp", "appointment_id": appt_id }),
        )
        .await;
    wrong.expect(422);
    assert_eq!(wrong.json["fields"][0]["field"], "appointment_id");
    // Several notes on one date are fine.
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/notes"),
        json!({ "template": "crisis", "service_date": "2026-11-25" }),
    )
    .await
    .expect(201);
    // A note cannot be dated in the future: neither by its date nor by a coming appointment's. The writer's today
    // (Berlin, the test accounts' zone) is 26 November.
    let future = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "crisis", "service_date": "2026-11-27" }),
        )
        .await;
    future.expect(422);
    assert_eq!(future.json["fields"][0]["field"], "service_date");
    let coming = t
        .post(
            &clin,
            "/api/v1/appointments",
            json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client],
                   "start": "2026-12-02T10:00", "time_zone": "Europe/Berlin", "outside_working_hours": true}),
        )
        .await;
    coming.expect(201);
    let coming_id = coming.json["appointments"][0]["id"].as_str().unwrap();
    let early = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "progress_birp", "appointment_id": coming_id }),
        )
        .await;
    early.expect(422);
    assert!(
        early.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("a note cannot be dated in the future")
    );
    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/notes"))
        .await;
    assert_eq!(list.json.as_array().unwrap().len(), 2);
    t.finish().await;
}

async fn bad_note_input_is_refused_with_the_field_named(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Bad Example").await;
    let path = format!("/api/v1/clients/{client}/notes");
    let field_of =
        |r: &rapport_testkit::Reply| r.json["fields"][0]["field"].as_str().unwrap().to_string();
    let r = t.post(&clin, &path, json!({ "template": "poem" })).await;
    r.expect(422);
    assert_eq!(field_of(&r), "template");
    let r = t
        .post(
            &clin,
            &path,
            json!({ "template": "intake", "fields": { "mood": "low" } }),
        )
        .await;
    r.expect(422);
    assert_eq!(field_of(&r), "fields.mood");
    let r = t
        .post(
            &clin,
            &path,
            json!({ "template": "intake", "fields": { "diagnoses": "F32.1, Z63.0" } }),
        )
        .await;
    r.expect(422);
    assert!(
        r.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Z63.0")
    );
    let r = t
        .post(
            &clin,
            &path,
            json!({ "template": "intake", "service_date": "2027-02-30" }),
        )
        .await;
    r.expect(422);
    assert_eq!(field_of(&r), "service_date");
    let r = t
        .post(
            &clin,
            &path,
            json!({ "template": "intake", "fields": { "plan": "a\u{0}b" } }),
        )
        .await;
    r.expect(422);
    // Nothing was stored by any of those.
    assert_eq!(t.get(&clin, &path).await.json.as_array().unwrap().len(), 0);
    t.finish().await;
}

async fn practice_templates_are_managed_by_administrators(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let body = json!({
        "label": "Anger management group check-in",
        "kind": "progress_dap",
        "fields": [
            { "key": "episodes", "label": "Anger episodes this week", "type": "line", "required": true },
            { "key": "skills", "label": "Skills practised", "type": "text" },
            { "key": "risk_level", "label": "Risk", "type": "choice", "options": ["none", "low", "high"], "required": true },
        ],
    });
    t.call(
        Some(&clin),
        Method::PUT,
        "/api/v1/note-templates/anger_checkin",
        Some(body.clone()),
        None,
    )
    .await
    .expect(403);
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/note-templates/progress_soap",
        Some(body.clone()),
        None,
    )
    .await
    .expect(422);
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/note-templates/anger_checkin",
        Some(body),
        None,
    )
    .await
    .expect(200);
    let all = t.get(&clin, "/api/v1/note-templates").await;
    let keys: Vec<&str> = all
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"anger_checkin") && keys.contains(&"progress_birp"),
        "{keys:?}"
    );

    let client = client_of(&t, &clin, "Template Example").await;
    let n = draft(
        &t,
        &clin,
        &client,
        "anger_checkin",
        json!({ "episodes": "2", "risk_level": "low" }),
    )
    .await;
    assert_eq!(n["template"]["label"], "Anger management group check-in");
    sign(&t, &clin, n["id"].as_str().unwrap(), 1)
        .await
        .expect(200);
    let bad = draft_err(
        &t,
        &clin,
        &client,
        json!({ "template": "anger_checkin", "fields": { "risk_level": "extreme" } }),
    )
    .await;
    assert_eq!(bad["fields"][0]["field"], "fields.risk_level");
    t.finish().await;
}

async fn draft_err(t: &TestApp, who: &TestUser, client: &str, body: Value) -> Value {
    let r = t
        .post(who, &format!("/api/v1/clients/{client}/notes"), body)
        .await;
    r.expect(422);
    r.json.clone()
}

async fn late_drafts_lead_the_dashboard(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Late Example").await;
    let today = rapport_testkit::now().date_naive();
    let old = (today - chrono::Duration::days(10)).to_string();
    for date in [today.to_string(), old.clone()] {
        t.post(
            &clin,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "progress_soap", "service_date": date }),
        )
        .await
        .expect(201);
    }
    let d = t.get(&clin, "/api/v1/notes/dashboard").await;
    d.expect(200);
    assert_eq!(d.json["late_count"], 1);
    assert_eq!(d.json["drafts"][0]["service_date"], json!(old));
    assert_eq!(d.json["drafts"][0]["late"], true);
    assert_eq!(d.json["drafts"][1]["late"], false);
    t.finish().await;
}

async fn the_chart_puts_sessions_notes_and_plans_on_one_filtered_timeline(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let colleague = t.user(&[Role::Clinician]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let client = client_of(&t, &clin, "Chart Example").await;
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/care-team"),
        json!({ "user_id": colleague.id }),
    )
    .await;
    t.post(
        &sched,
        &format!("/api/v1/clients/{client}/care-team"),
        json!({ "user_id": colleague.id }),
    )
    .await
    .expect(204);
    t.post(
        &clin,
        "/api/v1/appointments",
        json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client],
               "start": "2026-11-02T10:00", "time_zone": "Europe/Berlin", "outside_working_hours": true}),
    )
    .await
    .expect(201);
    for (date, text) in [
        ("2026-11-02", "First session"),
        ("2026-11-09", "Second session"),
    ] {
        t.post(
            &clin,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "progress_dap", "service_date": date, "fields": { "data": text } }),
        )
        .await
        .expect(201);
    }
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/notes"),
        json!({ "template": "psychotherapy", "service_date": "2026-11-09", "fields": { "notes": "mine alone" } }),
    )
    .await
    .expect(201);
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/plans"),
        json!({ "template": "depression" }),
    )
    .await
    .expect(201);

    let phq9: serde_json::Map<String, Value> = (1..=9).map(|i| (i.to_string(), json!(1))).collect();
    let m = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/measure-responses"),
            json!({ "instrument": "phq9", "answers": phq9 }),
        )
        .await;
    let chart = format!("/api/v1/clients/{client}/chart");
    let all = t.get(&clin, &chart).await;
    all.expect(200);
    let kinds: Vec<&str> = all.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"appointment") && kinds.contains(&"plan"),
        "{kinds:?}"
    );
    m.expect(201);
    let measure = all.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "measure")
        .unwrap();
    assert_eq!(measure["title"], "PHQ-9: 9");
    assert_eq!(measure["status"], "Mild");
    assert_eq!(
        kinds.iter().filter(|k| **k == "note").count(),
        3,
        "the author sees their psychotherapy note"
    );
    let dates: Vec<&str> = all.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");

    let other = t.get(&colleague, &format!("{chart}?kinds=note")).await;
    other.expect(200);
    let excerpts: Vec<&str> = other.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["excerpt"].as_str().unwrap())
        .collect();
    assert_eq!(
        excerpts,
        ["Second session", "First session"],
        "no psychotherapy note for a colleague"
    );

    let feb1 = t
        .get(
            &clin,
            &format!("{chart}?kinds=note,appointment&from=2026-11-02&to=2026-11-02"),
        )
        .await;
    assert_eq!(feb1.json["entries"].as_array().unwrap().len(), 2);
    t.get(&clin, &format!("{chart}?kinds=gossip"))
        .await
        .expect(422);
    t.get(&clin, &format!("{chart}?from=2027-03-01&to=2026-11-02"))
        .await
        .expect(422);
    t.get(&sched, &chart).await.expect(403);
    t.finish().await;
}
