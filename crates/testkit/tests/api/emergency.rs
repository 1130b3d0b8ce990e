//! Break the glass: a clinician outside the care team opens one client's record in an emergency, read-only, for a
//! few hours, after naming the client exactly and giving a reason; the care team and administrators are told,
//! psychotherapy notes stay hidden, and an administrator reviews every use against what was read.

use crate::export::{client, dap, signed};
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both, client_body};
use reqwest::Method;
use serde_json::json;

both!(
    a_clinician_outside_the_team_breaks_the_glass_reads_only_and_is_reviewed,
    emergency_access_needs_an_exact_client_a_reason_and_a_clinician,
    emergency_access_books_enrols_and_changes_nothing,
);

const REASON: &str =
    "Crisis line call at 02:10; client says she took pills. Care team unreachable.";

fn glass(name: &str, dob: &str, reason: &str) -> serde_json::Value {
    json!({"legal_name": name, "date_of_birth": dob, "reason": reason})
}

async fn a_clinician_outside_the_team_breaks_the_glass_reads_only_and_is_reviewed(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Nora Vance").await;
    let notes = format!("/api/v1/clients/{c}/notes");
    let progress = signed(
        &t,
        &clin,
        &notes,
        "progress_dap",
        dap("GLASS-VISIBLE safety plan agreed"),
    )
    .await;
    let secret = signed(
        &t,
        &clin,
        &notes,
        "psychotherapy",
        json!({"notes": "GLASS-SECRET my own hunch"}),
    )
    .await;

    // Before: the record does not exist for the on-call clinician.
    t.get(&on_call, &format!("/api/v1/clients/{c}"))
        .await
        .expect(404);

    // The name is matched whatever the case and spacing; the date exactly.
    let r = t
        .post(
            &on_call,
            "/api/v1/emergency-access",
            glass("  nora   VANCE ", "1988-03-14", REASON),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["client_id"], json!(c));
    let access = r.json["id"].as_str().unwrap().to_string();
    let until: chrono::DateTime<chrono::Utc> =
        r.json["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (until - rapport_testkit::now()).num_minutes();
    assert!((235..=240).contains(&hours), "four hours: {hours} minutes");

    // Read: the client, the signed note; never the psychotherapy note, not even its existence.
    t.get(&on_call, &format!("/api/v1/clients/{c}"))
        .await
        .expect(200);
    let list = t.get(&on_call, &notes).await;
    list.expect(200);
    assert!(list.text.contains(&progress) && !list.text.contains(&secret));
    let note = t.get(&on_call, &format!("/api/v1/notes/{progress}")).await;
    note.expect(200);
    assert!(note.text.contains("GLASS-VISIBLE"));
    t.get(&on_call, &format!("/api/v1/notes/{secret}"))
        .await
        .expect(404);
    // Nothing written, nothing copied.
    t.post(
        &on_call,
        &notes,
        json!({"template": "progress_dap", "fields": dap("x")}),
    )
    .await
    .expect(403);
    t.get(&on_call, &format!("/api/v1/clients/{c}/export"))
        .await
        .expect(403);
    // The client page says so.
    let page = t.sign_in(&on_call).await;
    let (status, _, html) = page.get(&format!("/clients/{c}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Emergency access until"), "{html}");

    // The care team and the administrators were told, without the client's name.
    let mut mails: Vec<String> = t
        .mails("emergency_access")
        .await
        .into_iter()
        .map(|m| format!("{} {}", m.recipient, m.body))
        .collect();
    mails.sort();
    assert_eq!(mails.len(), 2, "{mails:?}");
    for m in &mails {
        assert!(
            m.contains("used emergency access") && !m.contains("Nora") && !m.contains("Vance"),
            "{m}"
        );
    }
    assert!(mails.iter().any(|m| m.starts_with(&clin.email)
        && m.contains("a client on your caseload")
        && m.contains(&format!("/clients/{c}/access-log"))));
    assert!(
        mails
            .iter()
            .any(|m| m.starts_with(&admin.email) && m.contains("/admin/emergency-access"))
    );

    // The review: the reason and what was read, then one finding.
    let list = t.get(&admin, "/api/v1/emergency-access").await;
    list.expect(200);
    let a = &list.json[0];
    assert_eq!(a["id"], json!(access));
    assert_eq!(a["reason"], json!(REASON.trim()));
    assert_eq!(a["client_name"], json!("Nora Vance"));
    assert_eq!(a["live"], json!(true));
    let actions: Vec<&str> = a["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"emergency.open"), "{actions:?}");
    assert!(
        actions.iter().any(|x| x.starts_with("note.")),
        "{actions:?}"
    );
    assert!(actions.len() >= 5, "{actions:?}");
    // The reason is sealed at rest.
    let stored = t
        .query_text(match b {
            Backend::Sqlite => "SELECT hex(reason) FROM emergency_access",
            Backend::Postgres => "SELECT encode(reason, 'hex') FROM emergency_access",
        })
        .await;
    let plain_hex: String = "Crisis line".bytes().map(|x| format!("{x:02X}")).collect();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].to_uppercase().contains(&plain_hex),
        "the reason is sealed"
    );
    let review = format!("/api/v1/emergency-access/{access}/review");
    t.post(&admin, &review, json!({"finding": "fine"}))
        .await
        .expect(422);
    t.call(
        Some(&admin),
        Method::POST,
        &review,
        Some(json!({"finding": "appropriate", "note": "Called back within the hour."})),
        None,
    )
    .await
    .expect(204);
    t.post(&admin, &review, json!({"finding": "inappropriate"}))
        .await
        .expect(409);
    let list = t.get(&admin, "/api/v1/emergency-access").await;
    assert_eq!(list.json[0]["finding"], json!("appropriate"));
    assert_eq!(
        list.json[0]["review_note"],
        json!("Called back within the hour.")
    );
    let (status, _, html) = t.sign_in(&admin).await.get("/admin/emergency-access").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Nora Vance")
            && html.contains("Appropriate")
            && html.contains("Crisis line call")
    );

    // It ends by itself.
    t.execute("UPDATE emergency_access SET expires_at = started_at")
        .await;
    t.get(&on_call, &format!("/api/v1/clients/{c}"))
        .await
        .expect(404);
    t.finish().await;
}

async fn emergency_access_needs_an_exact_client_a_reason_and_a_clinician(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let desk = t.user(&[Role::Scheduler]).await;
    client(&t, &clin, "Ivo Brandt").await;

    // No such client: "not found", audited; nothing opened.
    t.post(
        &other,
        "/api/v1/emergency-access",
        glass("Ivo Brandt", "1988-03-15", REASON),
    )
    .await
    .expect(404);
    t.post(
        &other,
        "/api/v1/emergency-access",
        glass("Ivo Brand", "1988-03-14", REASON),
    )
    .await
    .expect(404);
    let denied = t
        .query_text(
            "SELECT action FROM audit_log WHERE action = 'emergency.open' AND outcome = 'denied'",
        )
        .await;
    assert_eq!(denied.len(), 2);
    // Every field named at once.
    let r = t
        .post(
            &other,
            "/api/v1/emergency-access",
            glass("", "tomorrow", "urgent"),
        )
        .await;
    r.expect(422);
    for field in ["legal_name", "date_of_birth", "reason"] {
        assert!(r.text.contains(field), "{field}: {}", r.text);
    }
    // Those with another way in, or no clinical role, cannot.
    t.post(
        &clin,
        "/api/v1/emergency-access",
        glass("Ivo Brandt", "1988-03-14", REASON),
    )
    .await
    .expect(403);
    t.post(
        &desk,
        "/api/v1/emergency-access",
        glass("Ivo Brandt", "1988-03-14", REASON),
    )
    .await
    .expect(403);
    t.get(&other, "/api/v1/emergency-access").await.expect(403);
    // Two clients with the same name and birthday: no guessing.
    t.post(&clin, "/api/v1/clients", client_body("Ivo Brandt"))
        .await
        .expect(201);
    t.post(
        &other,
        "/api/v1/emergency-access",
        glass("Ivo Brandt", "1988-03-14", REASON),
    )
    .await
    .expect(409);
    assert!(
        t.query_text("SELECT 'row' FROM emergency_access")
            .await
            .is_empty()
    );
    t.finish().await;
}

/// Emergency access is for reading: a clinician who broke the glass cannot book the client into their own
/// calendar (which would e-mail the client), put them on the waitlist or a group, or change their record.
async fn emergency_access_books_enrols_and_changes_nothing(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Ines Holloway").await;
    t.post(
        &on_call,
        "/api/v1/emergency-access",
        glass("Ines Holloway", "1988-03-14", REASON),
    )
    .await
    .expect(201);
    t.get(&on_call, &format!("/api/v1/clients/{c}"))
        .await
        .expect(200);
    let start = (rapport_testkit::today() + chrono::Duration::days(3)).to_string() + "T22:00";
    let booking = t
        .post(
            &on_call,
            "/api/v1/appointments",
            json!({"type_key": "individual", "clinician_id": on_call.id, "client_ids": [c],
                   "start": start, "time_zone": "Europe/Berlin", "outside_working_hours": true}),
        )
        .await;
    booking.expect(403);
    assert!(booking.text.contains("read-only"), "{}", booking.text);
    t.post(
        &on_call,
        "/api/v1/waitlist",
        json!({"client_id": c, "type_key": "individual"}),
    )
    .await
    .expect(403);
    let group = t
        .post(
            &on_call,
            "/api/v1/groups",
            json!({"name": "Night group", "kind": "support", "capacity": 8, "facilitator_ids": [on_call.id]}),
        )
        .await;
    group.expect(201);
    let g = group.json["id"].as_str().unwrap();
    let joined = t
        .post(
            &on_call,
            &format!("/api/v1/groups/{g}/members"),
            json!({"client_id": c}),
        )
        .await;
    assert_eq!(joined.status.as_u16(), 403, "{}", joined.text);
    let mut changed = client_body("Ines Holloway");
    changed["phone"] = json!("+49 30 0000000");
    t.call(
        Some(&on_call),
        Method::PUT,
        &format!("/api/v1/clients/{c}"),
        Some(changed),
        Some(1),
    )
    .await
    .expect(403);
    let appts = t.query_text("SELECT status FROM appointments").await;
    assert!(appts.is_empty(), "nothing was booked: {appts:?}");
    let mails = t.query_text("SELECT kind FROM outbox").await;
    assert!(
        !mails
            .iter()
            .any(|k| k.contains("booking") || k.contains("reminder")),
        "no booking e-mail: {mails:?}"
    );
    t.finish().await;
}
