//! Times on pages are in the reader's zone, with the zone's abbreviation: a clinician's own zone, else the
//! practice's; the note editor's "Draft saved at" comes from the server in that zone, not from the browser's clock.

use chrono::{DateTime, Utc};
use rapport_domain::Role;
use rapport_domain::when::Zone;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(pages_show_times_in_the_readers_zone,);

/// Moves a clinician's profile to `tz`.
async fn move_to(t: &TestApp, clin: &TestUser, tz: &str) {
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(clin, &path).await.etag();
    t.put(
        clin,
        &path,
        v,
        json!({"time_zone": tz, "weekly_hours": [], "accepts_new_clients": true, "specialisations": [], "languages": ["en"]}),
    )
    .await
    .expect(200);
}

fn soap() -> Value {
    json!({
        "subjective": "Slept better this week.",
        "objective": "Calm, good eye contact.",
        "assessment": "Improving.",
        "plan": "Continue weekly.",
        "risk_level": "low",
    })
}

async fn pages_show_times_in_the_readers_zone(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    move_to(&t, &clin, "America/Chicago").await;
    let chicago = Zone::named("America/Chicago");

    let r = t
        .post(&clin, "/api/v1/clients", client_body("Zelda Zone"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "progress_soap", "fields": soap() }),
        )
        .await;
    r.expect(201);
    let note = r.json["id"].as_str().unwrap().to_string();

    // The editor's autosave answers with the time in Chicago, named as such.
    let page = t.sign_in(&clin).await;
    let r = page
        .http
        .post(t.url(&format!("/notes/{note}/autosave")))
        .header("accept", "application/json")
        .form(&[
            ("_csrf", page.csrf.as_str()),
            ("version", "1"),
            ("action", "autosave"),
            ("f.subjective", "Slept better this week; fewer worries."),
            ("f.objective", "Calm, good eye contact."),
            ("f.assessment", "Improving."),
            ("f.plan", "Continue weekly."),
            ("f.risk_level", "low"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let saved: Value = r.json().await.unwrap();
    let at = saved["saved_at"].as_str().unwrap().to_string();
    assert!(
        at.ends_with(" CST") || at.ends_with(" CDT"),
        "saved at {at}"
    );

    let signed = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/notes/{note}/sign"),
            None,
            Some(saved["version"].as_i64().unwrap() as i32),
        )
        .await;
    signed.expect(200);
    let signed_at: DateTime<Utc> = signed.json["signed_at"].as_str().unwrap().parse().unwrap();

    // The note page: signed at in Chicago time with its abbreviation, never the UTC reading; the header says
    // where the times are.
    let (status, _, html) = page.get(&format!("/notes/{note}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("times in Chicago"),
        "the header names the zone"
    );
    let local = chicago.stamp(signed_at);
    assert!(html.contains(&local), "{local} not on the page");
    let utc = Zone::named("UTC").stamp(signed_at);
    assert!(
        !html.contains(&utc) && !html.contains(" UTC"),
        "a UTC time on the page"
    );
    let (_, _, print) = page.get(&format!("/notes/{note}/print")).await;
    assert!(print.contains(&local));

    // An administrator has no clinician profile: the practice's zone (its first location's), here Berlin.
    t.post(
        &admin,
        "/api/v1/locations",
        json!({"name": "Main office", "time_zone": "Europe/Berlin"}),
    )
    .await
    .expect(201);
    let admin_page = t.sign_in(&admin).await;
    let (status, _, audit) = admin_page.get("/admin/audit").await;
    assert_eq!(status, 200);
    assert!(audit.contains("times in Berlin"));
    assert!(
        audit.contains(" CET</td>") || audit.contains(" CEST</td>"),
        "the audit log's times are in Berlin"
    );
    assert!(!audit.contains("When (UTC)"));
    t.finish().await;
}
