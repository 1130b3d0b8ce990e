//! No request can stop the server or go unanswered: impossible dates are refused naming the field (and never reach
//! the group-commit writer), extreme ranges are 422s rather than closed connections or 500s, a series with no
//! session stores nothing, and errors raised outside the handlers (body too large, wrong method, cross-site post)
//! come in our error shape with the request id.

use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    an_impossible_booking_date_is_refused_and_bookings_go_on,
    ranges_at_the_edge_of_time_are_refused_not_dropped,
    a_series_with_no_sessions_is_refused_and_stores_nothing,
    errors_outside_the_handlers_have_our_shape,
);

/// A clinician in Berlin with a client of their own.
async fn clinician_with_client(t: &TestApp) -> (TestUser, String) {
    let clin = t.user(&[Role::Clinician]).await;
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Robin Robust"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    (clin, client)
}

fn booking(clin: &TestUser, client: &str, start: &str) -> Value {
    json!({
        "type_key": "individual", "clinician_id": clin.id, "client_ids": [client], "start": start,
        "outside_working_hours": true,
    })
}

#[track_caller]
fn refused(r: &Reply, field: &str) {
    r.expect(422);
    assert_eq!(r.json["error"], "validation_failed", "{}", r.text);
    assert_eq!(r.json["fields"][0]["field"], field, "{}", r.text);
    assert!(
        r.json["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{}",
        r.text
    );
}

async fn count(t: &TestApp, table: &str) -> usize {
    t.query_text(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
        .await
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap()
}

async fn ready(t: &TestApp) {
    let r = t.http.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "/readyz");
}

async fn an_impossible_booking_date_is_refused_and_bookings_go_on(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t).await;
    // The first once overflowed in the group-commit writer and stopped every later booking; the others were
    // accepted (and on SQLite, past 9999, compared as text). Today is 2026-11-26 on the test clock.
    for start in [
        "+262142-12-31T20:00",
        "+10000-01-01T09:00",
        "9999-12-31T22:00",
        "0000-01-01T09:00",
        "2032-01-05T10:00",
        "2025-11-20T10:00",
    ] {
        let r = t
            .post(
                &clin,
                "/api/v1/appointments",
                booking(&clin, &client, start),
            )
            .await;
        refused(&r, "start");
    }
    // Refused the same way as a series' start and as a move.
    let mut body = booking(&clin, &client, "+262142-12-31T20:00");
    body["rrule"] = json!("FREQ=WEEKLY;COUNT=3");
    refused(&t.post(&clin, "/api/v1/appointments", body).await, "start");
    let r = t
        .post(
            &clin,
            "/api/v1/appointments",
            booking(&clin, &client, "2026-12-01T10:00"),
        )
        .await;
    r.expect(201);
    let id = r.json["appointments"][0]["id"].as_str().unwrap();
    let r = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/appointments/{id}/reschedule"),
            Some(json!({"start": "9999-12-31T10:00", "outside_working_hours": true})),
            Some(1),
        )
        .await;
    refused(&r, "start");
    // Bookings at the edges of the window, and the writer still serves.
    for start in ["2025-11-27T10:00", "2031-11-25T10:00", "2026-12-02T10:00"] {
        t.post(
            &clin,
            "/api/v1/appointments",
            booking(&clin, &client, start),
        )
        .await
        .expect(201);
    }
    ready(&t).await;
    t.finish().await;
}

async fn ranges_at_the_edge_of_time_are_refused_not_dropped(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, _) = clinician_with_client(&t).await;
    let admin = t.user(&[Role::Admin]).await;
    // Each of these once closed the connection without an answer (a panic), or was a 500 on PostgreSQL.
    let cases = [
        (
            "/api/v1/appointments?from=%2B262142-12-30&to=%2B262142-12-31",
            "from",
        ),
        (
            "/api/v1/appointments?from=-262143-01-02&to=-262143-01-03",
            "from",
        ),
        (
            "/api/v1/appointments?from=2026-11-01&to=%2B262142-12-31",
            "to",
        ),
        (
            "/api/v1/appointments?from=9999-12-30T00:00:00Z&to=9999-12-31T00:00:00Z",
            "from",
        ),
        (
            "/api/v1/slots?type_key=individual&from=%2B262142-12-31",
            "from",
        ),
        (
            "/api/v1/slots?type_key=individual&from=-262143-01-01",
            "from",
        ),
        ("/api/v1/slots?type_key=individual&days=100000", "days"),
        ("/api/v1/slots?type_key=individual&days=0", "days"),
        (
            "/api/v1/on-call-shifts?from=%2B262142-12-31&to=%2B262142-12-31",
            "from",
        ),
        ("/api/v1/on-call-shifts?from=2026-11-01&to=2200-12-31", "to"),
        ("/api/v1/on-call-shifts?to=9999-12-31", "to"),
        ("/api/v1/audit?since=9999-12-31T00:00:00Z", "since"),
    ];
    for (path, field) in cases {
        let r = t.get(&admin, path).await;
        assert_eq!(r.status, 422, "{path}: {}", r.text);
        assert_eq!(r.json["fields"][0]["field"], field, "{path}: {}", r.text);
    }
    let path = format!(
        "/api/v1/clinicians/{}/availability-exceptions?from=9999-12-30T00:00:00Z&to=9999-12-31T00:00:00Z",
        clin.id
    );
    refused(&t.get(&clin, &path).await, "from");
    // Dates in clinical records keep to 1900-2200 as well.
    let mut body = client_body("Far Future");
    body["date_of_birth"] = json!("+262142-01-01");
    refused(
        &t.post(&admin, "/api/v1/clients", body).await,
        "date_of_birth",
    );
    ready(&t).await;
    t.finish().await;
}

async fn a_series_with_no_sessions_is_refused_and_stores_nothing(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t).await;
    for rule in [
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;INTERVAL=0;COUNT=4",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31;COUNT=3",
        "FREQ=WEEKLY;UNTIL=20200101T000000Z",
    ] {
        let mut body = booking(&clin, &client, "2026-12-01T10:00");
        body["rrule"] = json!(rule);
        let r = t.post(&clin, "/api/v1/appointments", body).await;
        assert_eq!(r.status, 422, "{rule}: {}", r.text);
        assert_eq!(r.json["fields"][0]["field"], "rrule", "{rule}: {}", r.text);
    }
    assert_eq!(count(&t, "series").await, 0, "no series row was kept");
    assert_eq!(count(&t, "appointments").await, 0);
    // A series that happens: its row, its sessions and its audit entry, together.
    let mut body = booking(&clin, &client, "2026-12-01T10:00");
    body["rrule"] = json!("FREQ=WEEKLY;COUNT=2");
    t.post(&clin, "/api/v1/appointments", body)
        .await
        .expect(201);
    assert_eq!(count(&t, "series").await, 1);
    assert_eq!(count(&t, "appointments").await, 2);
    assert_eq!(
        count(&t, "audit_log WHERE action = 'appointment.create'").await,
        1
    );
    t.finish().await;
}

async fn errors_outside_the_handlers_have_our_shape(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let shape = |status: u16, code: &str, r: &Reply| {
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.json["error"], code, "{}", r.text);
        let rid = r.json["request_id"].as_str().unwrap_or("");
        assert!(!rid.is_empty(), "{}", r.text);
        assert_eq!(
            r.headers.get("x-request-id").and_then(|v| v.to_str().ok()),
            Some(rid)
        );
        assert!(
            r.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.contains("json"))
        );
    };
    let reply = |r: reqwest::Response| async move {
        let (status, headers) = (r.status(), r.headers().clone());
        let text = r.text().await.unwrap();
        Reply {
            status,
            headers,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    };
    // A 10 MB body announced by its length (answered before it is sent), and 2 MB streamed without one.
    for chunked in [false, true] {
        let size = if chunked { 2 } else { 10 } * 1024 * 1024;
        let (status, text) = raw_post(&t, &admin, size, chunked).await;
        let j: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(
            (status, &j["error"]),
            (413, &json!("request.too_large")),
            "chunked: {chunked}: {text}"
        );
        assert!(j["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    }
    // A method the route does not take.
    let r = t
        .call(Some(&admin), Method::DELETE, "/api/v1/clients", None, None)
        .await;
    shape(405, "request.method_not_allowed", &r);
    assert!(r.headers.get("allow").is_some(), "the Allow header is kept");
    // A change posted from another site: JSON for a client, the error page for a browser.
    let r = t
        .http
        .post(t.url("/api/v1/clients"))
        .bearer_auth(&admin.token)
        .header("origin", "https://elsewhere.example")
        .json(&client_body("Cross Site"))
        .send()
        .await
        .unwrap();
    shape(403, "request.cross_origin", &reply(r).await);
    let r = t
        .http
        .post(t.url("/clients"))
        .header("origin", "https://elsewhere.example")
        .header("accept", "text/html")
        .form(&[("legal_name", "Cross Site")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let page = r.text().await.unwrap();
    assert!(page.contains("<html") && page.contains(&rid), "{page}");
    assert_eq!(count(&t, "clients").await, 0, "nothing was stored");
    ready(&t).await;
    t.finish().await;
}

/// POSTs a body of `size` spaces over a plain connection: announced by its Content-Length and never sent (the limit
/// answers at once, and a client still writing would see the connection closed), or sent in chunks without a
/// length (the limit is met while reading). Returns the status and the JSON of the answer.
async fn raw_post(t: &TestApp, who: &TestUser, size: usize, chunked: bool) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {size}")
    };
    let head = format!(
        "POST /api/v1/clients HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n{length}\r\nConnection: close\r\n\r\n",
        who.token
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..if chunked { size / chunk.len() } else { 0 } {
        // The server may answer and stop reading before the end: that is what is being tested.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    if chunked {
        let _ = s.write_all(b"0\r\n\r\n").await;
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let raw = String::from_utf8_lossy(&raw).to_string();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    // The body may itself be chunked: keep the JSON object.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if b > a => body[a..=b].to_string(),
        _ => body,
    };
    (status, json)
}
