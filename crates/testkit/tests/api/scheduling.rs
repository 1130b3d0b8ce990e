//! Scheduling through the API: series across DST, no double-booking (also under concurrency), buffers, bad input,
//! occurrence edits that never lose another occurrence, late cancellation, slot search and privacy of calendars.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_weekly_series_keeps_its_local_time_across_dst,
    parallel_bookings_of_one_slot_let_exactly_one_through,
    clients_rooms_and_buffers_are_not_double_booked,
    bad_times_rules_and_rosters_are_refused_and_store_nothing,
    moving_or_cancelling_one_occurrence_keeps_the_others,
    this_and_following_changes_the_rest_of_the_series,
    cancelling_late_is_a_late_cancellation,
    slot_search_finds_free_time_in_the_clients_zone,
    calendars_name_only_clients_the_viewer_may_know,
    the_week_view_filters_by_clinician_room_and_client,
);

/// A clinician in `tz` working Monday to Friday 09:00-17:00, with a client of their own.
async fn clinician_with_client(t: &TestApp, tz: &str) -> (TestUser, String) {
    let clin = t.user(&[Role::Clinician]).await;
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    let hours: Vec<Value> = ["Mon", "Tue", "Wed", "Thu", "Fri"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "09:00:00", "end": "17:00:00"}))
        .collect();
    t.put(&clin, &path, v, json!({"time_zone": tz, "weekly_hours": hours, "accepts_new_clients": true, "specialisations": ["grief"], "languages": ["en"]}))
        .await
        .expect(200);
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Sam Schedule"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    (clin, client)
}

/// "Room 1" of a new "Main office" location in Berlin; its id.
async fn office_room(t: &TestApp, admin: &TestUser) -> String {
    let loc = t
        .post(
            admin,
            "/api/v1/locations",
            json!({"name": "Main office", "time_zone": "Europe/Berlin"}),
        )
        .await;
    loc.expect(201);
    let room = t
        .post(
            admin,
            &format!(
                "/api/v1/locations/{}/rooms",
                loc.json["id"].as_str().unwrap()
            ),
            json!({"name": "Room 1"}),
        )
        .await;
    room.expect(201);
    room.json["id"].as_str().unwrap().to_string()
}

fn booking(clin: &TestUser, client: &str, start: &str) -> Value {
    json!({ "type_key": "individual", "clinician_id": clin.id, "client_ids": [client], "start": start })
}

async fn a_weekly_series_keeps_its_local_time_across_dst(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "America/New_York").await;
    // Tuesdays 16:00 from 20 October 2026; clocks fall back on 1 November.
    let mut body = booking(&clin, &client, "2026-10-20T16:00");
    body["rrule"] = json!("FREQ=WEEKLY;COUNT=4");
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    r.expect(201);
    let list = r.json["appointments"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for a in list {
        assert!(
            a["start_local"].as_str().unwrap().ends_with("T16:00:00"),
            "{a}"
        );
        assert_eq!(a["time_zone"], "America/New_York");
    }
    assert!(
        list[1]["start"]
            .as_str()
            .unwrap()
            .starts_with("2026-10-27T20:00:00"),
        "EDT: {}",
        list[1]["start"]
    );
    assert!(
        list[2]["start"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-03T21:00:00"),
        "EST: {}",
        list[2]["start"]
    );
    assert!(r.json["series_id"].is_string());
    t.finish().await;
}

async fn parallel_bookings_of_one_slot_let_exactly_one_through(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, _) = clinician_with_client(&t, "Europe/Berlin").await;
    let sched = t.user(&[Role::Scheduler]).await;
    let mut clients = Vec::new();
    for i in 0..8 {
        clients.push(
            t.post(
                &sched,
                "/api/v1/clients",
                client_body(&format!("Racer {i}")),
            )
            .await
            .json["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Eight requests in flight at once, each from its own task.
    let mut set = tokio::task::JoinSet::new();
    for c in &clients {
        let req = t
            .http
            .post(t.url("/api/v1/appointments"))
            .bearer_auth(&sched.token)
            .json(&booking(&clin, c, "2026-12-01T10:00"));
        set.spawn(async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let replies: Vec<(u16, Value)> = set.join_all().await;
    let ok = replies.iter().filter(|r| r.0 == 201).count();
    let conflicts: Vec<_> = replies.iter().filter(|r| r.0 == 409).collect();
    assert_eq!(
        ok,
        1,
        "{:?}",
        replies.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(conflicts.len(), 7);
    for c in conflicts {
        assert!(
            c.1["message"]
                .as_str()
                .unwrap()
                .contains("Tue 1 Dec 2026 10:00"),
            "{}",
            c.1
        );
    }
    let cal = t
        .get(
            &sched,
            "/api/v1/appointments?from=2026-12-01&to=2026-12-02&time_zone=Europe/Berlin",
        )
        .await;
    assert_eq!(cal.json.as_array().unwrap().len(), 1);
    t.finish().await;
}

async fn clients_rooms_and_buffers_are_not_double_booked(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Europe/Berlin").await;
    let (other, other_client) = clinician_with_client(&t, "Europe/Berlin").await;
    let admin = t.user(&[Role::Admin]).await;
    t.post(
        &clin,
        "/api/v1/appointments",
        booking(&clin, &client, "2026-12-02T10:00"),
    )
    .await
    .expect(201);
    // Individual sessions are 53 minutes plus 7 minutes' buffer: 10:55 is too close, 11:00 fits.
    let r = t
        .post(
            &clin,
            "/api/v1/appointments",
            booking(&clin, &client, "2026-12-02T10:55"),
        )
        .await;
    r.expect(409);
    t.post(
        &clin,
        "/api/v1/appointments",
        booking(&clin, &client, "2026-12-02T11:00"),
    )
    .await
    .expect(201);
    // The same client cannot be with another clinician at the same time.
    let sched = t.user(&[Role::Scheduler]).await;
    let r = t
        .post(
            &sched,
            "/api/v1/appointments",
            booking(&other, &client, "2026-12-02T10:30"),
        )
        .await;
    r.expect(409);
    assert!(
        r.json["message"]
            .as_str()
            .unwrap()
            .contains("client of this session"),
        "{}",
        r.text
    );
    // Rooms: two clinicians, one room.
    let room_id = office_room(&t, &admin).await;
    let mut a = booking(&clin, &client, "2026-12-03T14:00");
    a["room_id"] = json!(room_id);
    t.post(&clin, "/api/v1/appointments", a).await.expect(201);
    let mut bb = booking(&other, &other_client, "2026-12-03T14:30");
    bb["room_id"] = json!(room_id);
    let r = t.post(&other, "/api/v1/appointments", bb).await;
    r.expect(409);
    assert!(
        r.json["message"].as_str().unwrap().contains("room"),
        "{}",
        r.text
    );
    t.finish().await;
}

async fn bad_times_rules_and_rosters_are_refused_and_store_nothing(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "America/New_York").await;
    let field = |r: &rapport_testkit::Reply| {
        r.json["fields"][0]["field"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    // 02:30 on 8 March 2026 does not exist in New York.
    let mut body = booking(&clin, &client, "2026-03-08T02:30");
    body["outside_working_hours"] = json!(true);
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    r.expect(422);
    assert_eq!(field(&r), "start");
    assert!(
        r.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{}",
        r.text
    );
    // 01:30 on 1 November happens twice: the first (EDT) is booked.
    let mut body = booking(&clin, &client, "2026-11-01T01:30");
    body["outside_working_hours"] = json!(true);
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    r.expect(201);
    assert!(
        r.json["appointments"][0]["start"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-01T05:30:00"),
        "{}",
        r.text
    );
    let id = r.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/appointments/{id}/status"),
        Some(json!({"status": "cancelled"})),
        Some(1),
    )
    .await
    .expect(200);
    // Outside working hours (Saturday), an invalid rule, a bad date, an unknown type, a stranger as client.
    let r = t
        .post(
            &clin,
            "/api/v1/appointments",
            booking(&clin, &client, "2026-12-05T10:00"),
        )
        .await;
    r.expect(422);
    assert!(
        r.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("working hours"),
        "{}",
        r.text
    );
    let mut body = booking(&clin, &client, "2026-12-07T10:00");
    body["rrule"] = json!("FREQ=WEEKLY");
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    r.expect(422);
    assert_eq!(field(&r), "rrule");
    let r = t
        .post(
            &clin,
            "/api/v1/appointments",
            booking(&clin, &client, "2026-02-30T10:00"),
        )
        .await;
    r.expect(422);
    assert_eq!(field(&r), "start");
    let mut body = booking(&clin, &client, "2026-12-07T10:00");
    body["type_key"] = json!("astrology");
    assert_eq!(
        field(&t.post(&clin, "/api/v1/appointments", body).await),
        "type_key"
    );
    let stranger = t
        .post(
            &t.user(&[Role::Scheduler]).await,
            "/api/v1/clients",
            client_body("Not Mine"),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .post(
            &clin,
            "/api/v1/appointments",
            booking(&clin, &stranger, "2026-12-07T10:00"),
        )
        .await;
    r.expect(422);
    assert_eq!(field(&r), "client_ids[0]");
    // A group session for someone not on the roster.
    let mut body = booking(&clin, &client, "2026-12-07T10:00");
    body["type_key"] = json!("group");
    body["group_id"] = json!(uuid::Uuid::now_v7());
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    r.expect(422);
    assert_eq!(field(&r), "group_id");
    // Nothing but the one cancelled booking was stored.
    let cal = t
        .get(
            &clin,
            "/api/v1/appointments?from=2026-01-01&to=2026-03-01&include_cancelled=true",
        )
        .await;
    assert_eq!(cal.json.as_array().unwrap().len(), 0, "{}", cal.text);
    let cal = t
        .get(&clin, "/api/v1/appointments?from=2026-11-01&to=2026-12-31")
        .await;
    assert_eq!(cal.json.as_array().unwrap().len(), 0, "{}", cal.text);
    t.finish().await;
}

async fn moving_or_cancelling_one_occurrence_keeps_the_others(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Europe/London").await;
    let mut body = booking(&clin, &client, "2026-11-02T09:00");
    body["rrule"] = json!("FREQ=WEEKLY;COUNT=5");
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    let ids: Vec<String> = r.json["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    // Skip the second, move the third to Wednesday 14:00.
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/appointments/{}/status", ids[1]),
        Some(json!({"status": "cancelled", "reason": "client away"})),
        Some(1),
    )
    .await
    .expect(200);
    let moved = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/appointments/{}/reschedule", ids[2]),
            Some(json!({"start": "2026-11-18T14:00"})),
            Some(1),
        )
        .await;
    moved.expect(200);
    assert_eq!(moved.json["start_local"], "2026-11-18T14:00:00");
    let stale = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/appointments/{}/reschedule", ids[2]),
            Some(json!({"start": "2026-11-19T14:00"})),
            Some(1),
        )
        .await;
    stale.expect(409);
    let cal = t
        .get(
            &clin,
            "/api/v1/appointments?from=2026-11-01&to=2026-12-15&time_zone=Europe/London",
        )
        .await;
    let starts: Vec<&str> = cal
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start_local"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        vec![
            "2026-11-02T09:00:00",
            "2026-11-18T14:00:00",
            "2026-11-23T09:00:00",
            "2026-11-30T09:00:00"
        ]
    );
    // The moved one remembers where it was.
    let detail = t
        .get(&clin, &format!("/api/v1/appointments/{}", ids[2]))
        .await;
    let history = detail.json["history"].as_array().unwrap();
    assert!(
        history.iter().any(|h| h["change"] == "rescheduled"
            && h["from_start"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-16T09:00")),
        "{}",
        detail.text
    );
    // The cancellation reason is clinical: the care team sees it, the front desk does not.
    let cancelled = t
        .get(&clin, &format!("/api/v1/appointments/{}", ids[1]))
        .await;
    assert_eq!(cancelled.json["cancel_reason"], "client away");
    let sched = t.user(&[Role::Scheduler]).await;
    let seen = t
        .get(&sched, &format!("/api/v1/appointments/{}", ids[1]))
        .await;
    assert!(seen.json.get("cancel_reason").is_none(), "{}", seen.text);
    t.finish().await;
}

async fn this_and_following_changes_the_rest_of_the_series(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Europe/Berlin").await;
    let mut body = booking(&clin, &client, "2026-11-02T09:00");
    body["rrule"] = json!("FREQ=WEEKLY;COUNT=6");
    let r = t.post(&clin, "/api/v1/appointments", body).await;
    let ids: Vec<String> = r.json["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    // From the fourth session on: Thursdays 15:00.
    let r = t
        .post(
            &clin,
            &format!("/api/v1/appointments/{}/series/change", ids[3]),
            json!({"start": "2026-11-26T15:00"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["appointments"].as_array().unwrap().len(), 3);
    let cal = t
        .get(
            &clin,
            "/api/v1/appointments?from=2026-11-01&to=2026-12-31&time_zone=Europe/Berlin",
        )
        .await;
    let starts: Vec<&str> = cal
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start_local"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        vec![
            "2026-11-02T09:00:00",
            "2026-11-09T09:00:00",
            "2026-11-16T09:00:00",
            "2026-11-26T15:00:00",
            "2026-12-03T15:00:00",
            "2026-12-10T15:00:00"
        ]
    );
    // End the new series after its first session.
    let first_new = r.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let end = t
        .post(
            &clin,
            &format!("/api/v1/appointments/{first_new}/series/end"),
            json!({}),
        )
        .await;
    end.expect(200);
    assert_eq!(end.json["cancelled"], 2);
    let cal = t
        .get(&clin, "/api/v1/appointments?from=2026-11-01&to=2026-12-31")
        .await;
    assert_eq!(cal.json.as_array().unwrap().len(), 4);
    t.finish().await;
}

async fn cancelling_late_is_a_late_cancellation(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "UTC").await;
    let soon = (rapport_testkit::now() + chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:00")
        .to_string();
    let later = (rapport_testkit::now() + chrono::Duration::days(10))
        .format("%Y-%m-%dT%H:00")
        .to_string();
    let mut a = booking(&clin, &client, &soon);
    a["outside_working_hours"] = json!(true);
    let mut bb = booking(&clin, &client, &later);
    bb["outside_working_hours"] = json!(true);
    let a = t.post(&clin, "/api/v1/appointments", a).await.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bb = t.post(&clin, "/api/v1/appointments", bb).await.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ra = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/appointments/{a}/status"),
            Some(json!({"status": "cancelled"})),
            Some(1),
        )
        .await;
    assert_eq!(ra.json["status"], "late_cancelled", "{}", ra.text);
    let rb = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/appointments/{bb}/status"),
            Some(json!({"status": "cancelled"})),
            Some(1),
        )
        .await;
    assert_eq!(rb.json["status"], "cancelled");
    // A finished appointment does not come back.
    let again = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/appointments/{bb}/status"),
            Some(json!({"status": "confirmed"})),
            Some(2),
        )
        .await;
    again.expect(409);
    t.finish().await;
}

async fn slot_search_finds_free_time_in_the_clients_zone(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Europe/Berlin").await;
    // Next Monday 09:00 Berlin is taken.
    let today = rapport_testkit::now().date_naive();
    let days_to_monday = (7 - chrono::Datelike::weekday(&today).num_days_from_monday()) % 7;
    let monday = today
        + chrono::Duration::days(if days_to_monday == 0 {
            7
        } else {
            days_to_monday as i64
        });
    t.post(
        &clin,
        "/api/v1/appointments",
        booking(&clin, &client, &format!("{monday}T09:00")),
    )
    .await
    .expect(201);
    let r = t.get(&clin, &format!("/api/v1/slots?type_key=individual&from={monday}&days=1&time_zone=America/New_York&clinicians={}", clin.id)).await;
    r.expect(200);
    let slots = r.json.as_array().unwrap();
    assert!(!slots.is_empty());
    // The first free start is 10:00 Berlin, shown as 04:00 New York (or 05:00 around the DST mismatch weeks).
    let first = slots[0]["start"].as_str().unwrap();
    assert!(
        first.contains("T09:00:00") || first.contains("T08:00:00"),
        "UTC start {first}"
    );
    let local = slots[0]["start_local"].as_str().unwrap();
    assert!(
        local.ends_with("T04:00:00")
            || local.ends_with("T03:00:00")
            || local.ends_with("T05:00:00"),
        "{local}"
    );
    assert_eq!(slots[0]["time_zone"], "America/New_York");
    // Filters by matching criteria.
    let none = t
        .get(
            &clin,
            &format!(
                "/api/v1/slots?type_key=individual&from={monday}&days=1&specialisation=couples"
            ),
        )
        .await;
    assert_eq!(none.json.as_array().unwrap().len(), 0);
    t.finish().await;
}

async fn calendars_name_only_clients_the_viewer_may_know(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Europe/Berlin").await;
    let (other, _) = clinician_with_client(&t, "Europe/Berlin").await;
    let sched = t.user(&[Role::Scheduler]).await;
    t.post(
        &clin,
        "/api/v1/appointments",
        booking(&clin, &client, "2026-12-02T10:00"),
    )
    .await
    .expect(201);
    let q = "/api/v1/appointments?from=2026-12-01&to=2026-12-03";
    let seen_by_other = t.get(&other, q).await;
    let a = &seen_by_other.json[0];
    assert_eq!(a["client_count"], 1);
    assert_eq!(
        a["clients"].as_array().unwrap().len(),
        0,
        "{}",
        seen_by_other.text
    );
    assert!(!seen_by_other.text.contains("Sam Schedule"));
    let seen_by_desk = t.get(&sched, q).await;
    assert_eq!(seen_by_desk.json[0]["clients"][0]["name"], "Sam Schedule");
    // Another clinician may not book onto this calendar.
    let r = t
        .post(
            &other,
            "/api/v1/appointments",
            booking(&clin, &client, "2026-12-02T12:00"),
        )
        .await;
    r.expect(403);
    t.finish().await;
}

/// The calendar's read model (one aggregated row per range, a different query on each database) against every
/// filter: a couple's session stays one entry with both clients, in the order of their ids; series keep their
/// ids and indexes; cancelled sessions appear only when asked for.
async fn the_week_view_filters_by_clinician_room_and_client(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (clin, client) = clinician_with_client(&t, "Europe/Berlin").await;
    let (other, other_client) = clinician_with_client(&t, "Europe/Berlin").await;
    let admin = t.user(&[Role::Admin]).await;
    let partner = t
        .post(&clin, "/api/v1/clients", client_body("Pat Partner"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let room_id = office_room(&t, &admin).await;
    let mut couple = json!({ "type_key": "couple", "clinician_id": clin.id,
        "client_ids": [client, partner], "start": "2026-12-02T10:00", "room_id": room_id });
    couple["rrule"] = json!("FREQ=WEEKLY;COUNT=2");
    let series = t.post(&clin, "/api/v1/appointments", couple).await;
    series.expect(201);
    let series_id = series.json["appointments"][0]["series_id"].clone();
    assert!(series_id.is_string(), "{}", series.text);
    t.post(
        &other,
        "/api/v1/appointments",
        booking(&other, &other_client, "2026-12-02T09:00"),
    )
    .await
    .expect(201);
    let gone = t
        .post(
            &other,
            "/api/v1/appointments",
            booking(&other, &other_client, "2026-12-03T09:00"),
        )
        .await;
    t.call(
        Some(&other),
        Method::POST,
        &format!(
            "/api/v1/appointments/{}/status",
            gone.json["appointments"][0]["id"].as_str().unwrap()
        ),
        Some(json!({"status": "cancelled", "reason": "client away"})),
        Some(1),
    )
    .await
    .expect(200);

    let week = "/api/v1/appointments?from=2026-11-30&to=2026-12-14&time_zone=Europe/Berlin";
    let starts = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["start_local"].as_str().unwrap().to_string())
            .collect()
    };
    let all = t.get(&admin, week).await;
    all.expect(200);
    assert_eq!(
        starts(&all.json),
        [
            "2026-12-02T09:00:00",
            "2026-12-02T10:00:00",
            "2026-12-09T10:00:00"
        ],
        "{}",
        all.text
    );
    let c = &all.json[1];
    assert_eq!(c["kind"], "couple");
    assert_eq!(c["series_id"], series_id);
    assert_eq!(all.json[2]["occurrence_index"], 1);
    assert_eq!(c["room_id"], json!(room_id));
    assert_eq!(c["client_count"], 2);
    let mut ids = [client.clone(), partner.clone()];
    ids.sort();
    let named: Vec<&str> = c["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(named, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(all.text.contains("Pat Partner"), "{}", all.text);
    assert_eq!(all.json[0]["series_id"], Value::Null);
    assert_eq!(all.json[0]["room_id"], Value::Null);
    assert_eq!(all.json[0]["clinician_id"], json!(other.id));

    let mine = t
        .get(&admin, &format!("{week}&clinicians={}", clin.id))
        .await;
    assert_eq!(
        starts(&mine.json),
        ["2026-12-02T10:00:00", "2026-12-09T10:00:00"]
    );
    let both = t
        .get(
            &admin,
            &format!("{week}&clinicians={},{}", clin.id, other.id),
        )
        .await;
    assert_eq!(starts(&both.json).len(), 3);
    let in_room = t.get(&admin, &format!("{week}&room_id={room_id}")).await;
    assert_eq!(starts(&in_room.json).len(), 2);
    let of_client = t
        .get(&admin, &format!("{week}&client_id={other_client}"))
        .await;
    assert_eq!(starts(&of_client.json), ["2026-12-02T09:00:00"]);
    let with_cancelled = t
        .get(
            &admin,
            &format!("{week}&client_id={other_client}&include_cancelled=true"),
        )
        .await;
    assert_eq!(
        starts(&with_cancelled.json),
        ["2026-12-02T09:00:00", "2026-12-03T09:00:00"]
    );
    assert_eq!(with_cancelled.json[1]["status"], "cancelled");
    let empty = t
        .get(&admin, "/api/v1/appointments?from=2027-03-01&to=2027-03-08")
        .await;
    assert_eq!(empty.json, json!([]));
    t.finish().await;
}
