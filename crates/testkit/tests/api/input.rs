//! Bad input gets a clear 4xx in our error format, and nothing is stored.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both, client_body};
use serde_json::json;

both!(
    malformed_requests_get_clear_errors_and_store_nothing,
    unknown_ids_and_routes_are_404
);

async fn malformed_requests_get_clear_errors_and_store_nothing(b: Backend) {
    let t = TestApp::spawn(b).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let url = t.url("/api/v1/clients");
    let send = |body: &'static str, ctype: &'static str| {
        t.http
            .post(&url)
            .bearer_auth(&sched.token)
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    let r = send("{not json", "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["error"], "malformed_json");
    assert!(j["request_id"].as_str().is_some_and(|s| !s.is_empty()));

    let r = send(
        r#"{"legal_name":"A","date_of_birth":"1990-01-01","time_zone":"UTC"}"#,
        "text/plain",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 415);

    let mut body = client_body("Unknown Field");
    body["favourite_colour"] = json!("blue");
    let r = t.post(&sched, "/api/v1/clients", body).await;
    r.expect(422);
    assert_eq!(r.json["error"], "invalid_body");
    assert!(
        r.json["message"]
            .as_str()
            .unwrap()
            .contains("favourite_colour"),
        "{}",
        r.text
    );

    let r = t
        .post(
            &sched,
            "/api/v1/clients",
            json!({"legal_name": 5, "date_of_birth": "x", "time_zone": "UTC"}),
        )
        .await;
    r.expect(422);

    // Several problems are reported together, each naming its field.
    let mut body = client_body("");
    body["date_of_birth"] = json!("2031-02-30");
    body["time_zone"] = json!("Mars/Olympus");
    body["email"] = json!("not-an-address");
    let r = t.post(&sched, "/api/v1/clients", body).await;
    r.expect(422);
    let fields: Vec<&str> = r.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["legal_name", "date_of_birth", "time_zone", "email"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }

    let mut body = client_body("Nul\u{0}Byte");
    body["legal_name"] = json!("Nul\u{0}Byte");
    t.post(&sched, "/api/v1/clients", body).await.expect(422);

    let r = t.get(&sched, "/api/v1/clients?limit=lots").await;
    r.expect(422);

    assert_eq!(
        t.get(&sched, "/api/v1/clients").await.json["total"],
        0,
        "nothing was stored"
    );
    t.finish().await;
}

async fn unknown_ids_and_routes_are_404(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let r = t
        .get(&admin, &format!("/api/v1/clients/{}", uuid::Uuid::now_v7()))
        .await;
    r.expect(404);
    assert_eq!(r.json["error"], "not_found");
    t.get(&admin, "/api/v1/clients/not-a-uuid")
        .await
        .expect(404);
    let r = t.get(&admin, "/api/v1/no-such-thing").await;
    r.expect(404);
    assert_eq!(r.json["error"], "not_found");
    t.finish().await;
}
