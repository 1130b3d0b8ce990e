//! Calendar feeds checked by real iCalendar software: PyPI `icalendar` parses them and `recurring-ical-events`
//! expands them (scripts/test installs both), including a series across a DST change with a cancelled and a moved
//! occurrence. The feed must name no client.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    the_feed_expands_to_exactly_the_calendar_and_names_no_one,
    a_single_appointment_downloads_as_ics
);

fn expand(ics: &str, from: &str, to: &str) -> Value {
    let file = std::env::temp_dir().join(format!(
        "rapport-feed-{}.ics",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&file, ics).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ext/ics_expand.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .arg(from)
        .arg(to)
        .output();
    let _ = std::fs::remove_file(&file);
    let out = out.expect("python3 runs");
    assert!(
        out.status.success(),
        "the iCalendar check failed (scripts/test installs PyPI icalendar and recurring-ical-events): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn the_feed_expands_to_exactly_the_calendar_and_names_no_one(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    t.put(
        &clin,
        &path,
        v,
        json!({"time_zone": "America/New_York", "accepts_new_clients": true}),
    )
    .await
    .expect(200);
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Quinn Privacy"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Tuesdays 16:00 New York from 20 October 2026: the clocks fall back on 1 November.
    let series = t
        .post(&clin, "/api/v1/appointments", json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client], "start": "2026-10-20T16:00", "rrule": "FREQ=WEEKLY;COUNT=6"}))
        .await;
    series.expect(201);
    let ids: Vec<String> = series.json["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/appointments/{}/status", ids[1]),
        Some(json!({"status": "cancelled"})),
        Some(1),
    )
    .await
    .expect(200);
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/appointments/{}/reschedule", ids[2]),
        Some(json!({"start": "2026-11-04T10:00"})),
        Some(1),
    )
    .await
    .expect(200);
    // A single session booked on a Berlin wall clock.
    t.post(&clin, "/api/v1/appointments", json!({"type_key": "intake", "clinician_id": clin.id, "client_ids": [client], "start": "2026-12-01T09:00", "time_zone": "Europe/Berlin"}))
        .await
        .expect(201);
    let feed = t
        .post(
            &clin,
            &format!("/api/v1/clinicians/{}/calendar-feed", clin.id),
            json!({}),
        )
        .await;
    feed.expect(201);
    let url = t.url(feed.json["path"].as_str().unwrap());
    // No credentials: the secret URL is the credential.
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = res.text().await.unwrap();
    assert!(
        !ics.contains("Quinn") && !ics.contains("Privacy"),
        "the feed names the client:\n{ics}"
    );
    assert!(
        ics.contains("RRULE:FREQ=WEEKLY;COUNT=6")
            && ics.contains("EXDATE;TZID=America/New_York")
            && ics.contains("RECURRENCE-ID;TZID=America/New_York"),
        "{ics}"
    );
    let (from, to) = ("2026-10-15T00:00:00+00:00", "2026-12-15T00:00:00+00:00");
    let expanded = expand(&ics, from, to);
    let cal = t
        .get(
            &clin,
            "/api/v1/appointments?from=2026-10-15T00:00:00Z&to=2026-12-15T00:00:00Z",
        )
        .await;
    let mut api: Vec<String> = cal
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            chrono::DateTime::parse_from_rfc3339(a["start"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .collect();
    api.sort();
    assert_eq!(
        api.len(),
        6,
        "five series sessions (one cancelled) and the intake"
    );
    assert_eq!(
        expanded["starts"],
        json!(api),
        "feed and calendar disagree:\n{ics}"
    );
    // The wall clock held across the change: 16:00 EDT is 20:00 UTC, 16:00 EST is 21:00 UTC.
    assert!(
        api.contains(&"2026-10-20T20:00:00Z".to_string())
            && api.contains(&"2026-11-17T21:00:00Z".to_string()),
        "{api:?}"
    );
    assert_eq!(
        expanded["zones"],
        json!(["America/New_York", "Europe/Berlin"])
    );
    assert_eq!(expanded["summaries"], json!(["Client session", "Intake"]));
    // Revoked: the URL stops working.
    t.call(
        Some(&clin),
        Method::DELETE,
        &format!("/api/v1/clinicians/{}/calendar-feed", clin.id),
        None,
        None,
    )
    .await
    .expect(204);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    t.finish().await;
}

async fn a_single_appointment_downloads_as_ics(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Robin Download"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .post(&clin, "/api/v1/appointments", json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client], "start": "2026-12-02T10:00", "mode": "telehealth"}))
        .await;
    let id = r.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = t
        .http
        .get(t.url(&format!("/api/v1/appointments/{id}/ics")))
        .bearer_auth(&clin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("appointment.ics")
    );
    let ics = res.text().await.unwrap();
    assert!(!ics.contains("Robin"));
    assert!(ics.contains("LOCATION:Telehealth"));
    let expanded = expand(
        &ics,
        "2026-12-01T00:00:00+00:00",
        "2026-12-03T00:00:00+00:00",
    );
    assert_eq!(
        expanded["starts"],
        json!(["2026-12-02T09:00:00Z"]),
        "10:00 Berlin is 09:00 UTC in winter"
    );
    t.finish().await;
}
