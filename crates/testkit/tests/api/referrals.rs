//! Referrals out of the practice: made by the care team, moved forward only (sent → accepted/declined, accepted
//! → seen, open → closed), dated between sending and today, against the version read; sealed, read like the
//! record (emergency access included), in every copy of it.

use crate::export::client;
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both};
use serde_json::json;

both!(referrals_are_made_followed_and_read_where_needed);

async fn referrals_are_made_followed_and_read_where_needed(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Ines Kolb").await;
    let list = format!("/api/v1/clients/{c}/referrals");

    let r = t
        .post(
            &clin,
            &list,
            json!({"kind": "astrology", "to": "", "reason": "", "sent_on": "2999-01-01"}),
        )
        .await;
    r.expect(422);
    for field in ["kind", "to", "reason", "sent_on"] {
        assert!(r.text.contains(field), "{field}: {}", r.text);
    }
    let r = t
        .post(
            &clin,
            &list,
            json!({"kind": "psychiatry", "to": "REF-MARK Dr. Ode, outpatient psychiatry", "reason": "Medication review", "urgency": "urgent", "sent_on": "2026-02-01"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["status"], json!("sent"));
    let id = r.json["id"].as_str().unwrap().to_string();
    let status = format!("/api/v1/referrals/{id}/status");
    // Seen before accepted, a date before sending, a stale version: refused, nothing stored.
    t.post(
        &clin,
        &status,
        json!({"status": "seen", "on": "2026-02-10", "version": 1}),
    )
    .await
    .expect(409);
    t.post(
        &clin,
        &status,
        json!({"status": "accepted", "on": "2026-01-31", "version": 1}),
    )
    .await
    .expect(422);
    t.post(
        &clin,
        &status,
        json!({"status": "accepted", "on": "2026-02-03", "version": 9}),
    )
    .await
    .expect(409);
    let r = t
        .post(&clin, &status, json!({"status": "accepted", "on": "2026-02-03", "note": "First appointment 10 Feb", "version": 1}))
        .await;
    r.expect(200);
    let r = t
        .post(
            &clin,
            &status,
            json!({"status": "seen", "on": "2026-02-10", "version": 2}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["open"], json!(false));
    assert_eq!(
        r.json["history"][1],
        json!(["accepted", "First appointment 10 Feb"])
    );
    t.post(
        &clin,
        &status,
        json!({"status": "closed", "on": "2026-02-11", "version": 3}),
    )
    .await
    .expect(409);
    let sealed = t
        .query_text(match b {
            Backend::Sqlite => "SELECT hex(content) FROM referrals",
            Backend::Postgres => "SELECT encode(content, 'hex') FROM referrals",
        })
        .await;
    let plain: String = "REF-MARK".bytes().map(|x| format!("{x:02X}")).collect();
    assert!(!sealed[0].to_uppercase().contains(&plain), "sealed at rest");

    t.get(&on_call, &list).await.expect(404);
    t.post(
        &on_call,
        "/api/v1/emergency-access",
        json!({"legal_name": "Ines Kolb", "date_of_birth": "1988-03-14", "reason": "Crisis call at night; her clinician cannot be reached."}),
    )
    .await
    .expect(201);
    let r = t.get(&on_call, &list).await;
    r.expect(200);
    assert!(r.text.contains("REF-MARK"));
    t.post(
        &on_call,
        &list,
        json!({"kind": "crisis", "to": "X", "reason": "Y", "sent_on": "2026-02-01"}),
    )
    .await
    .expect(403);

    let export = t.get(&clin, &format!("/api/v1/clients/{c}/export")).await;
    assert_eq!(export.json["referrals"][0]["status"], json!("seen"));
    let staff = t.sign_in(&clin).await;
    let (code, _, html) = staff.get(&format!("/clients/{c}/referrals")).await;
    assert_eq!(code, 200);
    assert!(
        html.contains("REF-MARK")
            && html.contains("Seen")
            && html.contains("First appointment 10 Feb")
    );
    let (code, location, _) = staff
        .post(
            &format!("/clients/{c}/referrals"),
            &[
                ("kind", "primary_care"),
                ("to", "Dr. Lamm"),
                ("reason", "Sleep"),
                ("urgency", "routine"),
                ("sent_on", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(
        (code, location),
        (303, format!("/clients/{c}/referrals?done=referred"))
    );
    let (_, _, html) = staff.get(&format!("/clients/{c}/referrals")).await;
    assert!(
        html.contains("Update the referral to Dr. Lamm"),
        "an open referral can move on"
    );
    t.finish().await;
}
