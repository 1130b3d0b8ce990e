//! The on-call rota: planning shifts (wall-clock times, DST, overlap, who may be on call), who is on call now,
//! escalated alerts reaching whoever is on call, and the rota page.

use crate::measures::{client_of, phq9_json};
use chrono::Duration;
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    shifts_are_added_listed_and_removed,
    bad_shifts_are_refused_naming_the_field_and_nothing_is_stored,
    only_the_front_desk_and_administrators_plan_the_rota,
    now_lists_everyone_whose_shift_covers_this_moment,
    an_escalated_alert_reaches_whoever_is_on_call,
    the_rota_page_shows_the_shifts_and_is_in_the_menu,
);

fn shift(user: &TestUser, start: &str, end: &str, zone: &str) -> Value {
    json!({"user_id": user.id, "start": start, "end": end, "time_zone": zone})
}

/// Local `YYYY-MM-DDTHH:MM` in UTC, `minutes` from now.
fn utc_in(minutes: i64) -> String {
    (rapport_testkit::now() + Duration::minutes(minutes))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn stored(t: &TestApp) -> usize {
    t.query_text("SELECT time_zone FROM on_call_shifts")
        .await
        .len()
}

async fn shifts_are_added_listed_and_removed(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    // Across Berlin's autumn change: 18:00 Saturday to 08:00 Sunday is 15 hours.
    let r = t
        .post(
            &admin,
            "/api/v1/on-call-shifts",
            shift(
                &clin,
                "2026-10-24T18:00",
                "2026-10-25T08:00",
                "Europe/Berlin",
            ),
        )
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["start"], json!("2026-10-24T16:00:00Z"));
    assert_eq!(r.json["end"], json!("2026-10-25T07:00:00Z"));
    assert_eq!(r.json["start_local"], json!("2026-10-24T18:00"));
    assert_eq!(r.json["end_local"], json!("2026-10-25T08:00"));
    assert_eq!(r.json["user"]["id"], json!(clin.id));
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("/api/v1/on-call-shifts/{id}")
    );
    // The new shift's address answers with the same shift.
    let one = t.get(&clin, &format!("/api/v1/on-call-shifts/{id}")).await;
    one.expect(200);
    assert_eq!(one.json, r.json);
    // Two people may be on call at once.
    t.post(
        &admin,
        "/api/v1/on-call-shifts",
        shift(
            &sup,
            "2026-10-24T20:00",
            "2026-10-25T10:00",
            "Europe/Berlin",
        ),
    )
    .await
    .expect(201);
    // The same person may start again exactly when their shift ends.
    t.post(
        &admin,
        "/api/v1/on-call-shifts",
        shift(
            &clin,
            "2026-10-25T08:00",
            "2026-10-25T20:00",
            "Europe/Berlin",
        ),
    )
    .await
    .expect(201);

    let list = t
        .get(
            &clin,
            "/api/v1/on-call-shifts?from=2026-10-24&to=2026-10-24",
        )
        .await;
    list.expect(200);
    let ids: Vec<&str> = list
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "the third shift starts on the 25th: {ids:?}");
    assert_eq!(ids[0], id, "earliest first");
    let none = t
        .get(
            &admin,
            "/api/v1/on-call-shifts?from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(none.json, json!([]));
    t.get(
        &admin,
        "/api/v1/on-call-shifts?from=2026-01-01&to=2026-12-31",
    )
    .await
    .expect(422);

    t.call(
        Some(&admin),
        Method::DELETE,
        &format!("/api/v1/on-call-shifts/{id}"),
        None,
        None,
    )
    .await
    .expect(204);
    t.call(
        Some(&admin),
        Method::DELETE,
        &format!("/api/v1/on-call-shifts/{id}"),
        None,
        None,
    )
    .await
    .expect(404);
    assert_eq!(stored(&t).await, 2);
    let audit = t
        .query_text("SELECT action FROM audit_log WHERE action LIKE 'on_call.%' ORDER BY seq")
        .await;
    assert_eq!(
        audit,
        [
            "on_call.create",
            "on_call.read",
            "on_call.create",
            "on_call.create",
            "on_call.list",
            "on_call.list",
            "on_call.delete"
        ]
    );
    t.finish().await;
}

async fn bad_shifts_are_refused_naming_the_field_and_nothing_is_stored(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let refused = |r: &rapport_testkit::Reply, field: &str| {
        r.expect(422);
        let fields: Vec<&str> = r.json["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field} in {}", r.text);
    };
    let cases = [
        (
            shift(&clin, "2026-06-02T08:00", "2026-06-01T20:00", "UTC"),
            "end",
        ),
        (
            shift(&clin, "2026-06-01T08:00", "2026-06-08T08:01", "UTC"),
            "end",
        ),
        // Berlin springs forward from 02:00 to 03:00 on 29 March 2026.
        (
            shift(
                &clin,
                "2026-03-29T02:30",
                "2026-03-29T08:00",
                "Europe/Berlin",
            ),
            "start",
        ),
        (
            shift(
                &clin,
                "2026-03-28T20:00",
                "2026-03-29T02:30",
                "Europe/Berlin",
            ),
            "end",
        ),
        (
            shift(
                &clin,
                "2026-06-01T08:00",
                "2026-06-01T20:00",
                "Mars/Olympus",
            ),
            "time_zone",
        ),
        (
            shift(&desk, "2026-06-01T08:00", "2026-06-01T20:00", "UTC"),
            "user_id",
        ),
        (
            shift(&admin, "2026-06-01T08:00", "2026-06-01T20:00", "UTC"),
            "user_id",
        ),
        (
            json!({"user_id": "nobody", "start": "2026-06-01T08:00", "end": "2026-06-01T20:00"}),
            "user_id",
        ),
    ];
    for (body, field) in cases {
        let r = t.post(&admin, "/api/v1/on-call-shifts", body).await;
        refused(&r, field);
    }
    assert_eq!(stored(&t).await, 0);

    t.post(
        &admin,
        "/api/v1/on-call-shifts",
        shift(&clin, "2026-06-01T08:00", "2026-06-02T08:00", "UTC"),
    )
    .await
    .expect(201);
    // The same clinician again, overlapping by an hour (entered in another zone: 09:00 Berlin is 07:00 UTC).
    let r = t
        .post(
            &admin,
            "/api/v1/on-call-shifts",
            shift(
                &clin,
                "2026-06-02T09:00",
                "2026-06-02T20:00",
                "Europe/Berlin",
            ),
        )
        .await;
    refused(&r, "start");
    assert!(r.text.contains("already on call"), "{}", r.text);
    assert_eq!(stored(&t).await, 1);
    // A disabled clinician cannot be put on call.
    t.call(
        Some(&admin),
        Method::POST,
        &format!("/api/v1/users/{}/disable", clin.id),
        None,
        None,
    )
    .await
    .expect(204);
    let r = t
        .post(
            &admin,
            "/api/v1/on-call-shifts",
            shift(&clin, "2026-07-01T08:00", "2026-07-01T20:00", "UTC"),
        )
        .await;
    refused(&r, "user_id");
    assert_eq!(stored(&t).await, 1);
    t.finish().await;
}

async fn only_the_front_desk_and_administrators_plan_the_rota(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let billing = t.user(&[Role::Billing]).await;
    let body = shift(&clin, "2026-06-01T08:00", "2026-06-01T20:00", "UTC");
    // Even a well-formed shift for themself: a clinician does not plan the rota.
    let r = t.post(&clin, "/api/v1/on-call-shifts", body.clone()).await;
    r.expect(403);
    // A refusal says nothing about the input: the policy answers first.
    let r = t
        .post(
            &clin,
            "/api/v1/on-call-shifts",
            json!({"user_id": "x", "start": "x", "end": "x"}),
        )
        .await;
    r.expect(403);
    assert_eq!(stored(&t).await, 0);
    let r = t.post(&desk, "/api/v1/on-call-shifts", body).await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    t.call(
        Some(&clin),
        Method::DELETE,
        &format!("/api/v1/on-call-shifts/{id}"),
        None,
        None,
    )
    .await
    .expect(403);
    t.get(&billing, "/api/v1/on-call-shifts").await.expect(403);
    t.get(&billing, "/api/v1/on-call/now").await.expect(403);
    assert_eq!(stored(&t).await, 1);
    let denials = t
        .query_text(
            "SELECT action FROM audit_log WHERE action LIKE 'on_call.%' AND outcome = 'denied' ORDER BY seq",
        )
        .await;
    assert_eq!(
        denials,
        [
            "on_call.create",
            "on_call.create",
            "on_call.delete",
            "on_call.list",
            "on_call.now"
        ]
    );
    let _ = admin;
    t.finish().await;
}

async fn now_lists_everyone_whose_shift_covers_this_moment(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let on = t.user(&[Role::Clinician]).await;
    let also = t.user(&[Role::Supervisor]).await;
    let ended = t.user(&[Role::Clinician]).await;
    let later = t.user(&[Role::Clinician]).await;
    for (who, from, to) in [
        (&on, -60, 60),
        (&also, -5, 600),
        (&ended, -120, -2),
        (&later, 2, 120),
    ] {
        t.post(
            &admin,
            "/api/v1/on-call-shifts",
            shift(who, &utc_in(from), &utc_in(to), "UTC"),
        )
        .await
        .expect(201);
    }
    let r = t.get(&on, "/api/v1/on-call/now").await;
    r.expect(200);
    let mut who: Vec<String> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user"]["id"].as_str().unwrap().to_string())
        .collect();
    who.sort();
    let mut expected = vec![on.id.0.to_string(), also.id.0.to_string()];
    expected.sort();
    assert_eq!(who, expected);
    assert!(
        r.json
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["reachable"] == true)
    );
    // Someone disabled mid-shift stays listed, marked as unreachable, so the gap is seen and filled.
    t.call(
        Some(&admin),
        Method::POST,
        &format!("/api/v1/users/{}/disable", also.id),
        None,
        None,
    )
    .await
    .expect(204);
    let r = t.get(&on, "/api/v1/on-call/now").await;
    r.expect(200);
    let of = |id: &str| {
        r.json
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["user"]["id"] == id)
            .map(|s| s["reachable"].clone())
    };
    assert_eq!(of(&also.id.0.to_string()), Some(json!(false)));
    assert_eq!(of(&on.id.0.to_string()), Some(json!(true)));
    let page = t.sign_in(&admin).await;
    let (status, _, html) = page.get("/on-call").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("account disabled: cannot be reached"),
        "{html}"
    );
    assert!(html.contains("account disabled: replace this shift"));
    t.finish().await;
}

async fn an_escalated_alert_reaches_whoever_is_on_call(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    // The administrator is a clinician too, and will be on call: told once.
    let admin = t.user(&[Role::Admin, Role::Clinician]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let off_shift = t.user(&[Role::Clinician]).await;
    let gone = t.user(&[Role::Clinician]).await;
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/settings/measures",
        Some(json!({"escalate_after_minutes": 5})),
        None,
    )
    .await
    .expect(204);
    // On call through the moment of escalation (in ten minutes); the off-shift clinician starts an hour later.
    for (who, from, to) in [
        (&on_call, -60, 120),
        (&gone, -60, 120),
        (&off_shift, 180, 600),
    ] {
        t.post(
            &admin,
            "/api/v1/on-call-shifts",
            shift(who, &utc_in(from), &utc_in(to), "UTC"),
        )
        .await
        .expect(201);
    }
    t.post(
        &admin,
        "/api/v1/on-call-shifts",
        shift(&admin, &utc_in(-60), &utc_in(120), "UTC"),
    )
    .await
    .expect(201);
    // A disabled account on call is skipped.
    t.call(
        Some(&admin),
        Method::POST,
        &format!("/api/v1/users/{}/disable", gone.id),
        None,
        None,
    )
    .await
    .expect(204);

    let client = client_of(&t, &clin, "Olive Oncall", "olive@client.test").await;
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/measure-responses"),
            phq9_json([1, 1, 1, 1, 1, 1, 1, 1, 2]),
        )
        .await;
    r.expect(201);
    let alert = r.json["alert_id"].as_str().unwrap().to_string();
    // Raised: whoever is on call hears at once (by the care team's names, not the client's); the clinician who
    // entered the answers does not, nor anyone off shift or disabled.
    let first = bodies(&t, "measure_alert_on_call", &on_call.email).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains("You are on call"), "{}", first[0]);
    assert!(!first[0].contains("Olive") && !first[0].contains("PHQ"));
    assert_eq!(
        bodies(&t, "measure_alert_on_call", &admin.email)
            .await
            .len(),
        1
    );
    for quiet in [&clin, &off_shift, &gone] {
        assert!(
            bodies(&t, "measure_alert_on_call", &quiet.email)
                .await
                .is_empty()
        );
    }
    let later = rapport_testkit::now() + Duration::minutes(10);
    assert_eq!(t.app.escalate_measure_alerts(later).await.unwrap(), 1);

    let mail = bodies(&t, "measure_escalation", &on_call.email).await;
    assert_eq!(mail.len(), 1, "the on-call clinician is e-mailed once");
    assert!(mail[0].contains(&format!("/alerts/{alert}")));
    assert!(mail[0].contains("make sure someone on the care team responds"));
    assert!(!mail[0].contains("Olive") && !mail[0].contains("PHQ"));
    assert!(
        bodies(&t, "measure_escalation", &off_shift.email)
            .await
            .is_empty()
    );
    assert!(
        bodies(&t, "measure_escalation", &gone.email)
            .await
            .is_empty()
    );
    assert_eq!(
        bodies(&t, "measure_escalation", &admin.email).await.len(),
        1
    );
    let detail = t
        .query_text("SELECT detail FROM audit_log WHERE action = 'measure.alert.escalate'")
        .await;
    assert_eq!(
        detail,
        ["after 5 minutes; 2 people e-mailed, 2 of them on call"]
    );
    // Being on call grants no access to the client.
    t.get(&on_call, &format!("/api/v1/alerts/{alert}"))
        .await
        .expect(404);
    t.finish().await;
}

async fn the_rota_page_shows_the_shifts_and_is_in_the_menu(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let billing = t.user(&[Role::Billing]).await;
    t.post(
        &admin,
        "/api/v1/on-call-shifts",
        shift(&clin, &utc_in(-30), &utc_in(600), "UTC"),
    )
    .await
    .expect(201);
    let page = t.sign_in(&admin).await;
    let (status, _, html) = page.get("/on-call").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<a href="/on-call">On call</a>"#));
    let now = rapport_testkit::between(&html, r#"id="on-call-now""#, "</ul>");
    assert!(now.contains("<strong>"), "{now}");
    assert!(html.contains(r#"<label for="oc-user">Clinician</label>"#));
    assert!(html.contains(r#"<label for="oc-zone">Time zone</label>"#));
    assert!(html.contains(r#"name="time_zone" value="UTC""#));
    assert!(html.contains(&format!(r#"<option value="{}""#, clin.id.0)));
    assert!(!html.contains(&format!(r#"<option value="{}""#, billing.id.0)));
    assert!(html.contains(">Remove</button>"));

    // A shift in the gap is shown again with the field marked; a good one is added.
    let user = clin.id.0.to_string();
    let (status, _, html) = page
        .post(
            "/on-call",
            &[
                ("user_id", user.as_str()),
                ("start", "2026-03-29T02:30"),
                ("end", "2026-03-29T08:00"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="e-start""#), "{html}");
    assert!(html.contains(r#"value="2026-03-29T02:30""#));
    let (status, location, _) = page
        .post(
            "/on-call",
            &[
                ("user_id", user.as_str()),
                ("start", &utc_in(24 * 60)),
                ("end", &utc_in(25 * 60)),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/on-call?done=added");
    assert_eq!(stored(&t).await, 2);

    // A clinician reads it without the form; billing has neither the link nor the page.
    let (status, _, html) = t.sign_in(&clin).await.get("/on-call").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<a href="/on-call">On call</a>"#));
    assert!(!html.contains("Add a shift") && !html.contains(">Remove</button>"));
    let billing_page = t.sign_in(&billing).await;
    let (_, _, home) = billing_page.get("/").await;
    assert!(!home.contains(r#"href="/on-call""#));
    let (status, _, _) = billing_page.get("/on-call").await;
    assert_eq!(status, 403);
    t.finish().await;
}

/// The bodies of the e-mails of `kind` to `email`.
async fn bodies(t: &TestApp, kind: &str, email: &str) -> Vec<String> {
    t.mails(kind)
        .await
        .into_iter()
        .filter(|m| m.recipient == email)
        .map(|m| m.body)
        .collect()
}
