//! Idempotency-Key on creates: a retry (or eight at once) makes one record and gets the first answer again, a
//! booking included; another body under the key is refused; keys are per caller and last a day; the stored answer
//! is sealed.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, both, client_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

both!(
    the_same_key_twice_makes_one_client_and_gives_the_same_answer,
    eight_concurrent_requests_with_one_key_make_one_client,
    a_retried_booking_gives_the_same_appointment_not_a_conflict,
    eight_concurrent_bookings_with_one_key_make_one_appointment,
    another_body_under_the_same_key_is_refused,
    another_callers_identical_key_is_independent,
    a_key_reused_after_a_day_makes_a_new_record_and_old_keys_are_swept,
    the_stored_answer_holds_no_plaintext,
    malformed_keys_are_refused,
    a_medication_a_note_and_a_waitlist_entry_are_made_once_under_a_key,
);

struct Answer {
    status: StatusCode,
    location: Option<String>,
    replayed: bool,
    json: Value,
    text: String,
}

async fn post_keyed(
    http: &reqwest::Client,
    url: String,
    who: &TestUser,
    key: &str,
    body: &Value,
) -> Answer {
    let r = http
        .post(url)
        .bearer_auth(&who.token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (location, replayed) = (header("location"), header("idempotent-replayed").is_some());
    let text = r.text().await.unwrap();
    Answer {
        status,
        location,
        replayed,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

async fn post(t: &TestApp, who: &TestUser, path: &str, key: &str, body: &Value) -> Answer {
    post_keyed(&t.http, t.url(path), who, key, body).await
}

async fn clients_named(t: &TestApp, name: &str) -> usize {
    t.query_text(&format!(
        "SELECT legal_name FROM clients WHERE legal_name = '{name}'"
    ))
    .await
    .len()
}

async fn the_same_key_twice_makes_one_client_and_gives_the_same_answer(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let body = client_body("Robin Retry");
    let first = post(&t, &clin, "/api/v1/clients", "create-robin-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(!first.replayed);
    let second = post(&t, &clin, "/api/v1/clients", "create-robin-1", &body).await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert!(second.replayed, "the second answer is the first one again");
    assert_eq!(second.json, first.json, "the same body");
    assert_eq!(second.location, first.location);
    let id = first.json["id"].as_str().unwrap();
    assert_eq!(
        first.location.as_deref(),
        Some(format!("/api/v1/clients/{id}").as_str())
    );
    assert_eq!(clients_named(&t, "Robin Retry").await, 1, "one client row");
    t.finish().await;
}

async fn eight_concurrent_requests_with_one_key_make_one_client(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let body = client_body("Casey Concurrent");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, url, who, body) = (
            t.http.clone(),
            t.url("/api/v1/clients"),
            clin.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            post_keyed(&http, url, &who, "eight-at-once", &body).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let a = task.await.unwrap();
        assert_eq!(a.status, 201, "{}", a.text);
        ids.push(a.json["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "all eight answer the same id: {ids:?}");
    assert_eq!(clients_named(&t, "Casey Concurrent").await, 1, "one row");
    t.finish().await;
}

async fn a_retried_booking_gives_the_same_appointment_not_a_conflict(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Bo Booking"))
        .await;
    client.expect(201);
    let start = (rapport_testkit::now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT10:00")
        .to_string();
    let body = json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client.json["id"]],
        "start": start, "time_zone": "UTC", "outside_working_hours": true});
    let first = post(&t, &clin, "/api/v1/appointments", "book-bo", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = post(&t, &clin, "/api/v1/appointments", "book-bo", &body).await;
    assert_eq!(again.status, 201, "a replay, not a 409: {}", again.text);
    assert_eq!(
        again.json["appointments"][0]["id"],
        first.json["appointments"][0]["id"]
    );
    let id = first.json["appointments"][0]["id"].as_str().unwrap();
    assert_eq!(
        again.location.as_deref(),
        Some(format!("/api/v1/appointments/{id}").as_str())
    );
    // Without the key the same booking is what it always was: a double booking, refused.
    t.post(&clin, "/api/v1/appointments", body)
        .await
        .expect(409);
    let booked = t.query_text("SELECT status FROM appointments").await;
    assert_eq!(booked.len(), 1, "{booked:?}");
    t.finish().await;
}

async fn another_body_under_the_same_key_is_refused(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let first = post(
        &t,
        &clin,
        "/api/v1/clients",
        "k-1",
        &client_body("Dana First"),
    )
    .await;
    let other = post(
        &t,
        &clin,
        "/api/v1/clients",
        "k-1",
        &client_body("Dana Second"),
    )
    .await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert_eq!(other.json["error"], "idempotency.mismatch");
    assert!(other.json["request_id"].is_string());
    assert_eq!(clients_named(&t, "Dana Second").await, 0);
    // The same key on another route is another request too.
    let med = post(
        &t,
        &clin,
        &format!(
            "/api/v1/clients/{}/medications",
            first.json["id"].as_str().unwrap()
        ),
        "k-1",
        &json!({"name": "sertraline", "started_on": rapport_testkit::today().to_string()}),
    )
    .await;
    assert_eq!(med.status, 422, "{}", med.text);
    assert_eq!(med.json["error"], "idempotency.mismatch");
    t.finish().await;
}

async fn another_callers_identical_key_is_independent(b: Backend) {
    let t = TestApp::spawn(b).await;
    let (one, two) = (
        t.user(&[Role::Clinician]).await,
        t.user(&[Role::Clinician]).await,
    );
    let body = client_body("Eli Shared");
    let a = post(&t, &one, "/api/v1/clients", "same-key", &body).await;
    let b2 = post(&t, &two, "/api/v1/clients", "same-key", &body).await;
    assert_eq!((a.status.as_u16(), b2.status.as_u16()), (201, 201));
    assert!(!b2.replayed, "another caller's key is not replayed to me");
    assert_ne!(a.json["id"], b2.json["id"]);
    assert_eq!(clients_named(&t, "Eli Shared").await, 2);
    t.finish().await;
}

async fn a_key_reused_after_a_day_makes_a_new_record_and_old_keys_are_swept(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let body = client_body("Frankie Tomorrow");
    let first = post(&t, &clin, "/api/v1/clients", "daily", &body).await;
    let later = rapport_testkit::now() + chrono::Duration::hours(23);
    rapport_testkit::set_clock(&later.to_rfc3339());
    let within = post(&t, &clin, "/api/v1/clients", "daily", &body).await;
    assert_eq!(
        within.json["id"], first.json["id"],
        "still kept after 23 hours"
    );
    let day_after = rapport_testkit::now() + chrono::Duration::hours(2);
    rapport_testkit::set_clock(&day_after.to_rfc3339());
    let next = post(&t, &clin, "/api/v1/clients", "daily", &body).await;
    assert_eq!(next.status, 201, "{}", next.text);
    assert!(!next.replayed);
    assert_ne!(
        next.json["id"], first.json["id"],
        "an expired key is ignored"
    );
    assert_eq!(clients_named(&t, "Frankie Tomorrow").await, 2);
    // Another key, left to expire, is swept by the worker's sweep.
    post(
        &t,
        &clin,
        "/api/v1/clients",
        "left",
        &client_body("Gale Left"),
    )
    .await;
    let much_later = rapport_testkit::now() + chrono::Duration::hours(25);
    rapport_testkit::set_clock(&much_later.to_rfc3339());
    assert_eq!(t.app.sweep_idempotency().await.unwrap(), 2);
    assert!(t.query_text("SELECT key FROM idempotency").await.is_empty());
    t.finish().await;
}

async fn the_stored_answer_holds_no_plaintext(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Harper Secretname");
    body["presenting_problem"] = json!("nightmares about the flood");
    let a = post(&t, &clin, "/api/v1/clients", "sealed", &body).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert!(
        a.text.contains("Secretname"),
        "the answer itself names the client"
    );
    let hex_of = match b {
        Backend::Sqlite => "hex(sealed_response)",
        Backend::Postgres => "encode(sealed_response, 'hex')",
    };
    let row = t
        .query_text(&format!(
            "SELECT caller || '|' || key || '|' || route || '|' || request_hash || '|' || \
             COALESCE(location, '') || '|' || {hex_of} FROM idempotency"
        ))
        .await;
    assert_eq!(row.len(), 1);
    let (plain, sealed_hex) = row[0].rsplit_once('|').unwrap();
    let sealed = hex::decode(sealed_hex).unwrap();
    for secret in ["Secretname", "nightmares", "flood"] {
        assert!(!plain.contains(secret), "{secret} in {plain}");
        assert!(
            !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} readable in the stored answer"
        );
    }
    assert!(sealed.len() > a.text.len(), "the whole answer is sealed");
    t.finish().await;
}

async fn malformed_keys_are_refused(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let body = client_body("Iris Invalid");
    for key in ["", &"k".repeat(256), "tab\tkey"] {
        let a = post(&t, &clin, "/api/v1/clients", key, &body).await;
        assert_eq!(a.status, 422, "{key:?}: {}", a.text);
        assert_eq!(a.json["error"], "idempotency.invalid_key");
    }
    let a = post(&t, &clin, "/api/v1/clients", &"k".repeat(255), &body).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(clients_named(&t, "Iris Invalid").await, 1);
    t.finish().await;
}

async fn a_medication_a_note_and_a_waitlist_entry_are_made_once_under_a_key(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Jo Subrecord"))
        .await;
    let id = client.json["id"].as_str().unwrap().to_string();
    let creates = [
        (
            format!("/api/v1/clients/{id}/medications"),
            json!({"name": "sertraline", "dose": "50 mg", "started_on": rapport_testkit::today().to_string()}),
            "medications",
        ),
        (
            format!("/api/v1/clients/{id}/notes"),
            json!({"template": "progress_dap", "fields": {"data": "slept better"}}),
            "notes",
        ),
    ];
    for (path, body, table) in creates {
        let key = format!("once-{table}");
        let first = post(&t, &clin, &path, &key, &body).await;
        assert_eq!(first.status, 201, "{path}: {}", first.text);
        let again = post(&t, &clin, &path, &key, &body).await;
        assert_eq!(again.status, 201, "{path}: {}", again.text);
        assert!(again.replayed);
        assert_eq!(again.json, first.json);
        assert_eq!(again.location, first.location);
        let rows = t
            .query_text(&format!("SELECT CAST(version AS TEXT) FROM {table}"))
            .await;
        assert_eq!(rows.len(), 1, "{table}: one row");
        // Another key is another request: the same body under it makes a second record.
        let next = post(&t, &clin, &path, &format!("{key}-2"), &body).await;
        assert_eq!(next.status, 201, "{path}: {}", next.text);
        assert_ne!(next.json["id"], first.json["id"]);
    }
    // The waitlist answers a bare id, built at the edge: the replay is that same answer.
    let sched = t.user(&[Role::Scheduler]).await;
    let entry = json!({"client_id": id, "type_key": "individual"});
    let first = post(&t, &sched, "/api/v1/waitlist", "wait-once", &entry).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = post(&t, &sched, "/api/v1/waitlist", "wait-once", &entry).await;
    assert!(again.replayed);
    assert_eq!(
        (again.json.clone(), again.location.clone()),
        (first.json.clone(), first.location.clone())
    );
    assert_eq!(
        t.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM waitlist_entries")
            .await,
        ["1"]
    );
    t.finish().await;
}

/// Bookings go through the group-commit writer, where concurrent ones share a transaction (a savepoint each): the
/// duplicates of one batch must still see the first's key.
async fn eight_concurrent_bookings_with_one_key_make_one_appointment(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Kim Batch"))
        .await;
    let start = (rapport_testkit::now() + chrono::Duration::days(4))
        .format("%Y-%m-%dT09:00")
        .to_string();
    let body = json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client.json["id"]],
        "start": start, "time_zone": "UTC", "outside_working_hours": true});
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, url, who, body) = (
            t.http.clone(),
            t.url("/api/v1/appointments"),
            clin.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            post_keyed(&http, url, &who, "book-kim", &body).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let a = task.await.unwrap();
        assert_eq!(a.status, 201, "{}", a.text);
        ids.push(
            a.json["appointments"][0]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "all eight answer the same appointment: {ids:?}"
    );
    assert_eq!(
        t.query_text("SELECT status FROM appointments").await.len(),
        1
    );
    t.finish().await;
}
