//! What clients and clinicians arrange for themselves: a client's own appointments through the e-mailed booking
//! link (list, .ics download, cancellation outside the late-cancellation window), each clinician's own
//! online-booking rules, and the availability editor page.

use super::online::{browser, practice};
use chrono::{Duration, Timelike, Utc};
use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_testkit::{Backend, SmtpSink, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_client_lists_downloads_and_cancels_their_own_appointments_with_the_link,
    a_clinician_sets_their_own_online_booking_rules,
    the_availability_page_edits_weekly_hours_and_time_off,
    hours_kept_for_a_place_take_only_sessions_there
);

/// Asks for a booking link for `email` and reads the token from the message that reached the SMTP sink.
async fn link_token(t: &TestApp, email: &str) -> String {
    let r = browser()
        .post(t.url("/book/returning"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sink = SmtpSink::start().await;
    let m = Mailer::new(&MailConfig {
        smtp_url: sink.url().into(),
        from: "Rapport <desk@practice.test>".into(),
    })
    .unwrap();
    t.app.deliver_due(&m).await.unwrap();
    let raw = sink
        .messages()
        .into_iter()
        .find(|m| m.contains("/book/link/"))
        .expect("a booking link was sent")
        .replace("=\r\n", "")
        .replace("=\n", "");
    let i = raw.find("/book/link/").unwrap() + "/book/link/".len();
    raw[i..]
        .chars()
        .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
        .collect()
}

/// Books `client` with `clin` at a UTC instant (outside working hours allowed), returning the appointment.
pub(crate) async fn book_at(
    t: &TestApp,
    clin: &TestUser,
    client: &str,
    at: chrono::DateTime<Utc>,
) -> Value {
    let r = t
        .post(
            clin,
            "/api/v1/appointments",
            json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client],
                   "start": at.format("%Y-%m-%dT%H:%M").to_string(), "time_zone": "UTC",
                   "outside_working_hours": true}),
        )
        .await;
    r.expect(201);
    r.json["appointments"][0].clone()
}

async fn a_client_lists_downloads_and_cancels_their_own_appointments_with_the_link(b: Backend) {
    let t = TestApp::spawn(b).await;
    let (admin, clin) = practice(&t, true).await;
    let mut body = client_body("Ellis Returning");
    body["email"] = json!("ellis@client.test");
    body["time_zone"] = json!("Europe/Berlin");
    let ellis = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let frankie = t
        .post(&clin, "/api/v1/clients", client_body("Frankie Other"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hour = rapport_testkit::now()
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap();
    // One session in five days (cancellable online), one in three hours (inside the 24-hour window).
    let far = book_at(&t, &clin, &ellis, hour + Duration::days(5)).await;
    let near = book_at(&t, &clin, &ellis, hour + Duration::hours(3)).await;
    let other = book_at(&t, &clin, &frankie, hour + Duration::days(6)).await;
    let token = link_token(&t, "ellis@client.test").await;
    let c = browser();
    let link = t.url(&format!("/book/link/{token}"));
    let page = c.get(&link).send().await.unwrap().text().await.unwrap();
    let far_id = far["id"].as_str().unwrap();
    let near_id = near["id"].as_str().unwrap();
    let other_id = other["id"].as_str().unwrap();
    assert!(
        page.contains(&format!("/appointments/{far_id}/cancel")),
        "{page}"
    );
    assert!(
        page.contains(&format!("/appointments/{near_id}/ics")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("/appointments/{near_id}/cancel")),
        "inside the window: no cancel button"
    );
    assert!(page.contains("please call the practice"), "{page}");
    assert!(
        !page.contains(other_id) && !page.contains("Frankie"),
        "only the client's own"
    );
    // The .ics names the clinician, not the kind of session, in the session's zone.
    let ics = c
        .get(t.url(&format!("/book/link/{token}/appointments/{far_id}/ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = ics.text().await.unwrap();
    assert!(
        ics.contains("BEGIN:VEVENT") && ics.contains("SUMMARY:Appointment with"),
        "{ics}"
    );
    assert!(
        !ics.contains("Client session") && !ics.contains("Ellis"),
        "{ics}"
    );
    // Another client's appointment is not reachable with this link.
    for path in [
        format!("/book/link/{token}/appointments/{other_id}/ics"),
        format!("/book/link/not-a-token/appointments/{far_id}/ics"),
    ] {
        assert_eq!(
            c.get(t.url(&path)).send().await.unwrap().status(),
            404,
            "{path}"
        );
    }
    let r = c
        .post(t.url(&format!(
            "/book/link/{token}/appointments/{other_id}/cancel"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Inside the window: refused, nothing changed.
    let r = c
        .post(t.url(&format!("/book/link/{token}/appointments/{near_id}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "refused in plain words on the page");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("cannot be cancelled online")
    );
    // Outside it: cancelled, with the history and the audit entry under the client.
    let r = c
        .post(t.url(&format!("/book/link/{token}/appointments/{far_id}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Your appointment is cancelled"), "{page}");
    assert!(!page.contains(&format!("/appointments/{far_id}/cancel")));
    let status = |id: String| {
        let t = &t;
        let clin = &clin;
        async move {
            t.get(clin, &format!("/api/v1/appointments/{id}"))
                .await
                .json["status"]
                .clone()
        }
    };
    assert_eq!(status(far_id.into()).await, "cancelled");
    assert_eq!(status(near_id.into()).await, "booked");
    assert_eq!(status(other_id.into()).await, "booked");
    let audit = t
        .get(
            &admin,
            &format!("/api/v1/audit?action=online.cancel&client_id={ellis}"),
        )
        .await;
    assert_eq!(
        audit.json.as_array().map(Vec::len),
        Some(1),
        "{}",
        audit.text
    );
    t.finish().await;
}

async fn a_clinician_sets_their_own_online_booking_rules(b: Backend) {
    let t = TestApp::spawn(b).await;
    let (_, clin) = practice(&t, false).await;
    let c = browser();
    let rules = format!("/api/v1/clinicians/{}/online-booking", clin.id);
    let got = t.get(&clin, &rules).await;
    got.expect(200);
    assert_eq!(got.json["offers_online"], true);
    assert_eq!(
        got.json["min_notice_hours"],
        Value::Null,
        "follows the practice"
    );
    let index = c
        .get(t.url("/book"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains(&clin.id.to_string()), "listed at first");
    // Off the public pages: not listed, and the clinician's page is gone.
    t.call(
        Some(&clin),
        Method::PUT,
        &rules,
        Some(json!({"offers_online": false})),
        None,
    )
    .await
    .expect(204);
    let index = c
        .get(t.url("/book"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!index.contains(&clin.id.to_string()), "{index}");
    let page = c
        .get(t.url(&format!("/book/clinician/{}?tz=Europe/Berlin", clin.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    // Back on, with four days' notice of their own.
    t.call(
        Some(&clin),
        Method::PUT,
        &rules,
        Some(json!({"offers_online": true, "min_notice_hours": 96, "approve_new_clients": true})),
        None,
    )
    .await
    .expect(204);
    let page = c
        .get(t.url(&format!("/book/clinician/{}?tz=UTC", clin.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let i = page
        .find("name=\"start\" value=\"")
        .expect("a time is offered")
        + 20;
    let first = &page[i..i + page[i..].find('"').unwrap()];
    let first = chrono::DateTime::parse_from_rfc3339(first).unwrap();
    assert!(
        first >= rapport_testkit::now() + Duration::hours(96) - Duration::minutes(1),
        "the clinician's notice applies: {first}"
    );
    // The clinician's approval applies although the practice books at once.
    let r = c
        .post(t.url(&format!("/book/clinician/{}", clin.id)))
        .form(&[
            ("name", "Noa New"),
            ("email", "noa@client.test"),
            ("date_of_birth", "1990-01-01"),
            ("time_zone", "UTC"),
            ("start", &first.to_rfc3339()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Request received"));
    // Out of range: refused, naming the field; another clinician may not change them.
    let r = t
        .call(
            Some(&clin),
            Method::PUT,
            &rules,
            Some(json!({"min_notice_hours": 5000})),
            None,
        )
        .await;
    r.expect(422);
    assert!(r.text.contains("min_notice_hours"), "{}", r.text);
    let other = t.user(&[Role::Clinician]).await;
    t.call(
        Some(&other),
        Method::PUT,
        &rules,
        Some(json!({"offers_online": false})),
        None,
    )
    .await
    .expect(403);
    assert_eq!(t.get(&clin, &rules).await.json["min_notice_hours"], 96);
    t.finish().await;
}

async fn the_availability_page_edits_weekly_hours_and_time_off(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let web = t.sign_in(&clin).await;
    let path = format!("/clinicians/{}/availability", clin.id);
    let (status, _, page) = web.get(&path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Save weekly hours"),
        "the clinician may edit: {page}"
    );
    // A half-filled block is refused with the day named, and what was typed is kept.
    let (status, _, page) = web
        .post(
            &format!("{path}/hours"),
            &[
                ("time_zone", "America/New_York"),
                ("Mon_0_start", "09:00"),
                ("Mon_0_end", "12:00"),
                ("Tue_0_start", "10:00"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Tuesday block 1"), "{page}");
    assert!(page.contains("value=\"10:00\""), "typed values kept");
    let (status, _, page) = web
        .post(
            &format!("{path}/hours"),
            &[
                ("time_zone", "America/New_York"),
                ("Mon_0_start", "09:00"),
                ("Mon_0_end", "12:00"),
                ("Mon_1_start", "13:00"),
                ("Mon_1_end", "17:30"),
                ("Thu_0_start", "08:00"),
                ("Thu_0_end", "11:00"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Weekly hours saved"));
    let profile = t
        .get(&clin, &format!("/api/v1/clinicians/{}", clin.id))
        .await;
    assert_eq!(profile.json["time_zone"], "America/New_York");
    assert_eq!(
        profile.json["weekly_hours"],
        json!([
            {"weekday": "Mon", "start": "09:00:00", "end": "12:00:00"},
            {"weekday": "Mon", "start": "13:00:00", "end": "17:30:00"},
            {"weekday": "Thu", "start": "08:00:00", "end": "11:00:00"}
        ])
    );
    // Overlapping blocks: the domain's rule, shown on the page.
    let (status, _, page) = web
        .post(
            &format!("{path}/hours"),
            &[
                ("Wed_0_start", "09:00"),
                ("Wed_0_end", "12:00"),
                ("Wed_1_start", "11:00"),
                ("Wed_1_end", "13:00"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    // Time off, on the clinician's wall clock, listed and removed.
    let day = (rapport_testkit::now() + Duration::days(10)).date_naive();
    let (status, location, _) = web
        .post(
            &format!("{path}/exceptions"),
            &[
                ("kind", "time_off"),
                ("start", &format!("{day}T09:00")),
                ("end", &format!("{day}T17:00")),
                ("note", "Conference"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, path.as_str()));
    let (_, _, page) = web.get(&path).await;
    assert!(
        page.contains("Conference") && page.contains("09:00"),
        "{page}"
    );
    let listed = t
        .get(
            &clin,
            &format!(
                "/api/v1/clinicians/{}/availability-exceptions?from={}T00:00:00Z&to={}T00:00:00Z",
                clin.id,
                day,
                day + Duration::days(1)
            ),
        )
        .await;
    let list = listed.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", listed.text);
    let start = list[0]["start"].as_str().unwrap();
    assert!(
        [format!("{day}T13:00:00Z"), format!("{day}T14:00:00Z")].contains(&start.to_string()),
        "09:00 in New York (EDT or EST): {start}"
    );
    let id = list[0]["id"].as_str().unwrap();
    let (status, _, _) = web
        .post(&format!("{path}/exceptions/{id}/remove"), &[])
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = web.get(&path).await;
    assert!(!page.contains("Conference"));
    // Someone else's page: readable by staff, but without the editing forms.
    let other = t.user(&[Role::Clinician]).await;
    let (status, _, page) = t.sign_in(&other).await.get(&path).await;
    assert_eq!(status, 200);
    assert!(!page.contains("Save weekly hours") && !page.contains("Add time off"));
    t.finish().await;
}

async fn hours_kept_for_a_place_take_only_sessions_there(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut rooms = Vec::new();
    let mut locations = Vec::new();
    for name in ["North clinic", "South clinic"] {
        let loc = t
            .post(
                &admin,
                "/api/v1/locations",
                json!({"name": name, "time_zone": "UTC"}),
            )
            .await;
        loc.expect(201);
        let id = loc.json["id"].as_str().unwrap().to_string();
        let room = t
            .post(
                &admin,
                &format!("/api/v1/locations/{id}/rooms"),
                json!({"name": "Room 1"}),
            )
            .await;
        rooms.push(room.json["id"].as_str().unwrap().to_string());
        locations.push(id);
    }
    let (north, south) = (&locations[0], &locations[1]);
    // Mondays: mornings in person at the North clinic, afternoons by video.
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    let r = t
        .put(&clin, &path, v, json!({"time_zone": "UTC", "accepts_new_clients": true, "weekly_hours": [
            {"weekday": "Mon", "start": "09:00:00", "end": "12:00:00", "mode": "in_person", "location_id": north},
            {"weekday": "Mon", "start": "13:00:00", "end": "17:00:00", "mode": "telehealth"}
        ]}))
        .await;
    r.expect(200);
    assert_eq!(r.json["weekly_hours"][0]["location_id"], json!(north));
    // A location that does not exist, and a telehealth block at a location, are refused.
    let v = r.etag();
    for bad in [
        json!({"weekday": "Tue", "start": "09:00:00", "end": "12:00:00", "location_id": uuid::Uuid::nil()}),
        json!({"weekday": "Tue", "start": "09:00:00", "end": "12:00:00", "mode": "telehealth", "location_id": north}),
    ] {
        let r = t
            .put(
                &clin,
                &path,
                v,
                json!({"time_zone": "UTC", "weekly_hours": [bad]}),
            )
            .await;
        r.expect(422);
        assert!(r.text.contains("weekly_hours"), "{}", r.text);
    }
    let mut monday = rapport_testkit::now().date_naive() + Duration::days(1);
    while chrono::Datelike::weekday(&monday) != chrono::Weekday::Mon {
        monday += Duration::days(1);
    }
    let slots = |query: String| {
        let t = &t;
        let clin = &clin;
        async move {
            let r = t
                .get(clin, &format!("/api/v1/slots?type_key=individual&from={monday}&days=1&time_zone=UTC&clinicians={}&limit=50{query}", clin.id))
                .await;
            r.expect(200);
            r.json
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["start"].as_str().unwrap()[11..16].to_string())
                .collect::<Vec<_>>()
        }
    };
    let video = slots("&mode=telehealth".into()).await;
    assert!(
        !video.is_empty() && video.iter().all(|h| h.as_str() >= "13:00"),
        "{video:?}"
    );
    let in_person = slots("&mode=in_person".into()).await;
    assert!(
        !in_person.is_empty() && in_person.iter().all(|h| h.as_str() < "12:00"),
        "{in_person:?}"
    );
    assert!(
        slots(format!("&mode=in_person&location_id={south}"))
            .await
            .is_empty()
    );
    assert_eq!(
        slots(format!("&mode=in_person&location_id={north}")).await,
        in_person
    );
    let any = slots(String::new()).await;
    assert!(any.len() > video.len() && any.len() > in_person.len());
    // Booking follows the same blocks.
    let client = t
        .post(&clin, "/api/v1/clients", client_body("Placed Client"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let book = |start: &str, mode: &str, room: Option<&String>| {
        json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client],
               "start": format!("{monday}T{start}"), "time_zone": "UTC", "mode": mode, "room_id": room})
    };
    let r = t
        .post(
            &clin,
            "/api/v1/appointments",
            book("09:00", "in_person", Some(&rooms[1])),
        )
        .await;
    r.expect(422);
    assert!(r.text.contains("working hours"), "{}", r.text);
    t.post(
        &clin,
        "/api/v1/appointments",
        book("10:00", "telehealth", None),
    )
    .await
    .expect(422);
    t.post(
        &clin,
        "/api/v1/appointments",
        book("14:00", "in_person", None),
    )
    .await
    .expect(422);
    t.post(
        &clin,
        "/api/v1/appointments",
        book("09:00", "in_person", Some(&rooms[0])),
    )
    .await
    .expect(201);
    t.post(
        &clin,
        "/api/v1/appointments",
        book("14:00", "telehealth", None),
    )
    .await
    .expect(201);
    // The calendar filtered by location shows the sessions in that location's rooms only.
    let at = |loc: String| {
        let t = &t;
        let clin = &clin;
        async move {
            t.get(
                clin,
                &format!(
                    "/api/v1/appointments?from={monday}&to={}&time_zone=UTC&location_id={loc}",
                    monday + Duration::days(1)
                ),
            )
            .await
        }
    };
    let north_day = at(north.clone()).await;
    north_day.expect(200);
    let starts: Vec<&str> = north_day
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["start"].as_str().unwrap()[11..16])
        .collect();
    assert_eq!(starts, ["09:00"], "{}", north_day.text);
    assert_eq!(
        at(south.clone()).await.json.as_array().map(Vec::len),
        Some(0)
    );
    at(uuid::Uuid::nil().to_string()).await.expect(422);
    let web = t.sign_in(&clin).await;
    let (status, _, page) = web
        .get(&format!(
            "/calendar?view=day&date={monday}&tz=UTC&location={north}"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("09:00") && !page.contains("14:00–"), "{page}");
    t.finish().await;
}
