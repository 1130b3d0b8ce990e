//! Group sessions through the API and the pages: attendance only for members on the roster that day, a shared
//! note that names no member, talk time saved with the session, and a member's chart that shows their own part of
//! each session and nobody else's.

use super::groups::{attendance, client, group, join, messages, notes, session, sign};
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both};
use serde_json::{Value, json};

both!(
    attendance_for_a_non_member_is_refused_and_nothing_is_stored,
    a_shared_note_naming_a_member_cannot_be_signed,
    a_members_chart_shows_their_own_part_and_no_one_else,
    the_talk_tally_is_saved_with_the_session,
);

async fn attendance_for_a_non_member_is_refused_and_nothing_is_stored(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 12, &[&lead]).await;
    let member = client(&t, &lead, "Vera Lindqvist").await;
    let outsider = client(&t, &lead, "Olga Outsider").await;
    let newcomer = client(&t, &lead, "Nils Newcomer").await;
    join(&t, &lead, &g, &member).await.expect(201);
    t.post(
        &lead,
        &format!("/api/v1/groups/{g}/members"),
        json!({"client_id": newcomer, "joined_on": "2026-10-20"}),
    )
    .await
    .expect(201);
    let s = session(&t, &lead, &g, "2026-10-13").await;
    let r = attendance(
        &t,
        &lead,
        &s,
        1,
        json!([
            {"client_id": member, "status": "present"},
            {"client_id": outsider, "status": "present"},
            {"client_id": newcomer, "status": "late"},
        ]),
    )
    .await;
    r.expect(422);
    let m = messages(&r);
    assert!(
        m.contains("entries[1].client_id") && m.contains("Olga Outsider"),
        "{m}"
    );
    // Joining a week after the session is not being on its roster that day.
    assert!(
        m.contains("entries[2].client_id") && m.contains("Nils Newcomer"),
        "{m}"
    );
    assert!(
        t.query_text("SELECT status FROM group_attendance")
            .await
            .is_empty(),
        "nothing stored"
    );
    let now = t.get(&lead, &format!("/api/v1/group-sessions/{s}")).await;
    assert_eq!(now.etag(), 1);
    assert!(now.json["members"][0]["attendance"].is_null());
    // An unknown status and a member listed twice are refused the same way.
    let r = attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": member, "status": "asleep"}]),
    )
    .await;
    r.expect(422);
    attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": member, "status": "present"}, {"client_id": member, "status": "absent"}]),
    )
    .await
    .expect(422);
    let ok = attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": member, "status": "excused"}]),
    )
    .await;
    ok.expect(200);
    assert_eq!(ok.etag(), 2);
    assert_eq!(ok.json["members"][0]["attendance"], "excused");
    // A stale version is a conflict.
    attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": member, "status": "present"}]),
    )
    .await
    .expect(409);
    t.finish().await;
}

async fn a_shared_note_naming_a_member_cannot_be_signed(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 12, &[&lead]).await;
    let amara = client(&t, &lead, "Amara Quintero").await;
    let ben = client(&t, &lead, "Benedikt Varga").await;
    for m in [&amara, &ben] {
        join(&t, &lead, &g, m).await.expect(201);
    }
    let s = session(&t, &lead, &g, "2026-11-03").await;
    attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": amara, "status": "present"}, {"client_id": ben, "status": "late"}]),
    )
    .await
    .expect(200);
    let draft = notes(
        &t,
        &lead,
        &s,
        2,
        json!({"shared_note": "AMARA opened with her week; quintero's story moved Benedikt.",
               "individual_notes": [{"client_id": amara, "note": "Engaged, tearful at times."}]}),
    )
    .await;
    draft.expect(200);
    // The draft keeps what was typed and flags the names before anyone tries to sign.
    assert_eq!(
        draft.json["names_in_shared_note"],
        json!(["Amara", "Quintero", "Benedikt"])
    );
    let refused = sign(&t, &lead, &s, 3).await;
    refused.expect(422);
    assert_eq!(refused.json["fields"][0]["field"], "shared_note");
    let m = messages(&refused);
    for name in ["Amara", "Quintero", "Benedikt"] {
        assert!(m.contains(name), "{name} listed: {m}");
    }
    let still = t.get(&lead, &format!("/api/v1/group-sessions/{s}")).await;
    assert_eq!(still.json["signed"], false);
    assert_eq!(still.etag(), 3);

    notes(
        &t,
        &lead,
        &s,
        3,
        json!({"shared_note": "One member opened with her week; another member's story moved the group."}),
    )
    .await
    .expect(200);
    let signed = sign(&t, &lead, &s, 4).await;
    signed.expect(200);
    assert_eq!(signed.json["signed"], true);
    assert_eq!(signed.json["hash_verified"], true);
    assert_eq!(signed.json["content_hash"].as_str().unwrap().len(), 64);
    assert_eq!(
        signed.json["members"][0]["note"],
        "Engaged, tearful at times."
    );
    assert!(signed.json["members"][0]["note_hash"].is_string());
    // Locked: no more notes, attendance or talk time.
    notes(&t, &lead, &s, 5, json!({"shared_note": "changed"}))
        .await
        .expect(409);
    attendance(
        &t,
        &lead,
        &s,
        5,
        json!([{"client_id": amara, "status": "absent"}]),
    )
    .await
    .expect(409);
    t.post(
        &lead,
        &format!("/api/v1/group-sessions/{s}/talk"),
        json!({}),
    )
    .await
    .expect(409);
    // Sealed at rest.
    let raw = t
        .query_text("SELECT CAST(shared_note AS TEXT) FROM group_sessions")
        .await
        .join(" ");
    assert!(!raw.contains("opened with her week"), "encrypted at rest");
    t.finish().await;
}

/// Signs `email` in through the forms (enrolling TOTP) and returns a browser with the session cookie.
async fn signed_in(t: &TestApp, email: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    c.post(t.url("/login"))
        .form(&[
            ("email", email),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    let page = c
        .get(t.url("/mfa/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let between = |start: &str, end: char| {
        let i = page.find(start).unwrap() + start.len();
        page[i..i + page[i..].find(end).unwrap()].to_string()
    };
    let secret = between("id=\"totp-secret\" class=\"secret\">", '<');
    let csrf = between("name=\"_csrf\" value=\"", '"');
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap())
        .with_account_name("x".to_string())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[("_csrf", csrf), ("code", totp.generate(now).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/"),
        "TOTP enrolment"
    );
    c
}

async fn a_members_chart_shows_their_own_part_and_no_one_else(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 12, &[&lead]).await;
    let a = client(&t, &lead, "Ximena Castillo").await;
    let bb = client(&t, &lead, "Hiroshi Petrov").await;
    let c = client(&t, &lead, "Grace Okafor").await;
    for m in [&a, &bb, &c] {
        join(&t, &lead, &g, m).await.expect(201);
    }
    let s = session(&t, &lead, &g, "2026-11-10").await;
    attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": a, "status": "present"}, {"client_id": bb, "status": "absent"}, {"client_id": c, "status": "late"}]),
    )
    .await
    .expect(200);
    notes(
        &t,
        &lead,
        &s,
        2,
        json!({"shared_note": "Psycho-education on grief waves; one member read a letter by Zelda Fitzgerald.",
               "individual_notes": [
                   {"client_id": a, "note": "A-OWN-NOTE: shared a memory of her father."},
                   {"client_id": c, "note": "C-OWN-NOTE: arrived late, quiet."},
               ]}),
    )
    .await
    .expect(200);
    sign(&t, &lead, &s, 3).await.expect(200);
    // A member who joins after the note was signed shares a name with a word in it: the chart hides it anyway.
    let z = client(&t, &lead, "Zelda Kowalski").await;
    join(&t, &lead, &g, &z).await.expect(201);

    let r = t
        .get(&lead, &format!("/api/v1/clients/{a}/group-sessions"))
        .await;
    r.expect(200);
    let list = r.json.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["group_name"], "Thursday skills group");
    assert_eq!(list[0]["date"], "2026-11-10");
    assert_eq!(list[0]["attendance"], "present");
    assert_eq!(
        list[0]["own_note"],
        "A-OWN-NOTE: shared a memory of her father."
    );
    assert_eq!(
        list[0]["shared_note"],
        "Psycho-education on grief waves; one member read a letter by [group member] Fitzgerald."
    );
    for other in [
        "Hiroshi",
        "Petrov",
        "Grace",
        "Okafor",
        "Zelda",
        "Kowalski",
        "C-OWN-NOTE",
        "absent",
        "late",
        &bb,
        &c,
    ] {
        assert!(!r.text.contains(other), "{other} in {}", r.text);
    }
    // The absent member's chart records the absence and no content of a session they were not at.
    let absent = t
        .get(&lead, &format!("/api/v1/clients/{bb}/group-sessions"))
        .await;
    assert_eq!(absent.json[0]["attendance"], "absent");
    assert!(absent.json[0]["shared_note"].is_null());
    assert!(absent.json[0]["own_note"].is_null());

    // Staff off the member's care team do not get there.
    let desk = t.user(&[Role::Scheduler]).await;
    t.get(&desk, &format!("/api/v1/clients/{a}/group-sessions"))
        .await
        .expect(403);
    let stranger = t.user(&[Role::Clinician]).await;
    t.get(&stranger, &format!("/api/v1/clients/{a}/group-sessions"))
        .await
        .expect(404);

    // The same rule on the client page.
    let browser = signed_in(&t, &lead.email).await;
    let page = browser
        .get(t.url(&format!("/clients/{a}?section=sessions")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Thursday skills group"), "{html}");
    assert!(html.contains("A-OWN-NOTE"), "own note on the page");
    assert!(html.contains("one member read a letter by [group member] Fitzgerald"));
    for other in [
        "Hiroshi",
        "Petrov",
        "Grace",
        "Okafor",
        "Zelda",
        "Kowalski",
        "C-OWN-NOTE",
    ] {
        assert!(!html.contains(other), "{other} on the client page");
    }
    // The facilitator's session page shows the whole session.
    let whole = browser
        .get(t.url(&format!("/group-sessions/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "Ximena Castillo",
        "Hiroshi Petrov",
        "Grace Okafor",
        "C-OWN-NOTE",
    ] {
        assert!(whole.contains(name), "{name} on the session page");
    }
    t.finish().await;
}

async fn the_talk_tally_is_saved_with_the_session(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 12, &[&lead]).await;
    let a = client(&t, &lead, "Talker One").await;
    let bb = client(&t, &lead, "Talker Two").await;
    let c = client(&t, &lead, "Quiet Three").await;
    let gone = client(&t, &lead, "Absent Four").await;
    for m in [&a, &bb, &c, &gone] {
        join(&t, &lead, &g, m).await.expect(201);
    }
    let s = session(&t, &lead, &g, "2026-11-17").await;
    attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": a, "status": "present"}, {"client_id": bb, "status": "present"},
               {"client_id": c, "status": "late"}, {"client_id": gone, "status": "absent"}]),
    )
    .await
    .expect(200);
    let talk = |who: Option<&str>| {
        let body = json!({ "client_id": who });
        let path = format!("/api/v1/group-sessions/{s}/talk");
        let lead = lead.clone();
        let t = &t;
        async move { t.post(&lead, &path, body).await }
    };
    // Someone not taking part cannot be speaking.
    let r = talk(Some(&gone)).await;
    r.expect(422);
    assert!(messages(&r).contains("Absent Four"), "{}", r.text);
    talk(Some(&a)).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    talk(Some(&bb)).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let paused = talk(None).await;
    paused.expect(200);
    assert!(paused.json["talk"]["speaking"].is_null());
    assert_eq!(paused.json["talk"]["clicks"], 3);
    let shares = paused.json["talk"]["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 3, "one bar per member taking part");
    let share = |id: &str| {
        shares
            .iter()
            .find(|x| x["client_id"] == id)
            .unwrap()
            .clone()
    };
    assert!(share(&a)["share"].as_f64().unwrap() > share(&bb)["share"].as_f64().unwrap());
    assert_eq!(share(&c)["seconds"], 0);
    assert_eq!(share(&c)["quieter"], true);
    assert_eq!(share(&a)["quieter"], false);
    assert_eq!(paused.json["talk"]["quieter"], json!(["Quiet Three"]));

    // The tally through the last click is stored with the session.
    let saved = t.query_text("SELECT talk_tally FROM group_sessions").await;
    let tally: Value = serde_json::from_str(&saved[0]).unwrap();
    let stored: Vec<&Value> = tally["shares"].as_array().unwrap().iter().collect();
    assert_eq!(stored.len(), 3);
    let sum: f64 = stored.iter().map(|x| x["share"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-9, "shares sum to one: {sum}");
    let a_ms = stored
        .iter()
        .find(|x| x["client_id"] == a.as_str())
        .unwrap()["millis"]
        .as_i64()
        .unwrap();
    assert!(a_ms >= 300, "{a_ms}");
    assert!(
        !saved[0].contains("Talker"),
        "the stored tally names nobody"
    );
    t.finish().await;
}
