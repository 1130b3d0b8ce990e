//! Therapy groups through the API: capacity and facilitators, rosters with join and leave dates (a member may
//! leave and rejoin; their chart covers each of their periods and none between), sessions that document a group
//! appointment. The helpers here serve `group_sessions` too.

use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_group_takes_thirty_members_and_refuses_one_beyond_its_capacity,
    a_third_facilitator_is_refused,
    a_session_documents_one_appointment_of_its_own_group,
    a_member_who_left_can_rejoin_and_their_chart_covers_only_their_periods,
);

pub(crate) async fn client(t: &TestApp, who: &TestUser, name: &str) -> String {
    let r = t.post(who, "/api/v1/clients", client_body(name)).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

pub(crate) async fn group(
    t: &TestApp,
    who: &TestUser,
    capacity: i32,
    facilitators: &[&TestUser],
) -> String {
    let ids: Vec<_> = facilitators.iter().map(|f| f.id).collect();
    let r = t
        .post(
            who,
            "/api/v1/groups",
            json!({"name": "Thursday skills group", "kind": "skills", "capacity": capacity, "facilitator_ids": ids}),
        )
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

pub(crate) async fn join(t: &TestApp, who: &TestUser, group: &str, client: &str) -> Reply {
    t.post(
        who,
        &format!("/api/v1/groups/{group}/members"),
        json!({"client_id": client, "joined_on": "2026-09-01"}),
    )
    .await
}

pub(crate) async fn session(t: &TestApp, who: &TestUser, group: &str, date: &str) -> String {
    let r = t
        .post(
            who,
            &format!("/api/v1/groups/{group}/sessions"),
            json!({ "date": date }),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["version"], 1);
    r.json["id"].as_str().unwrap().to_string()
}

pub(crate) async fn attendance(
    t: &TestApp,
    who: &TestUser,
    s: &str,
    v: i32,
    entries: Value,
) -> Reply {
    t.put(
        who,
        &format!("/api/v1/group-sessions/{s}/attendance"),
        v,
        json!({ "entries": entries }),
    )
    .await
}

pub(crate) async fn notes(t: &TestApp, who: &TestUser, s: &str, v: i32, body: Value) -> Reply {
    t.put(who, &format!("/api/v1/group-sessions/{s}/notes"), v, body)
        .await
}

pub(crate) async fn sign(t: &TestApp, who: &TestUser, s: &str, v: i32) -> Reply {
    t.call(
        Some(who),
        Method::POST,
        &format!("/api/v1/group-sessions/{s}/sign"),
        None,
        Some(v),
    )
    .await
}

pub(crate) fn messages(r: &Reply) -> String {
    r.json["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| format!("{}: {}", f["field"], f["message"]))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

async fn a_group_takes_thirty_members_and_refuses_one_beyond_its_capacity(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &desk, 30, &[&lead]).await;
    let mut members = Vec::new();
    for i in 0..31 {
        members.push(client(&t, &desk, &format!("Member Number{i}")).await);
    }
    for m in &members[..30] {
        join(&t, &desk, &g, m).await.expect(201);
    }
    let full = join(&t, &desk, &g, &members[30]).await;
    full.expect(422);
    assert!(
        full.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("all 30 places are taken"),
        "{}",
        full.text
    );
    // Someone on the roster already is a conflict, not a second row.
    join(&t, &desk, &g, &members[0]).await.expect(409);
    let r = t.get(&desk, &format!("/api/v1/groups/{g}")).await;
    r.expect(200);
    assert_eq!(r.json["members"].as_array().unwrap().len(), 30);
    assert_eq!(r.json["active_members"], 30);

    // A member leaving frees a place; the leave date is kept on the roster.
    t.post(
        &desk,
        &format!("/api/v1/groups/{g}/members/{}/leave", members[1]),
        json!({}),
    )
    .await
    .expect(200);
    t.post(
        &desk,
        &format!("/api/v1/groups/{g}/members/{}/leave", members[1]),
        json!({}),
    )
    .await
    .expect(409);
    // From today on, after the leave, there is a place again.
    t.post(
        &desk,
        &format!("/api/v1/groups/{g}/members"),
        json!({"client_id": members[30], "joined_on": rapport_testkit::now().date_naive().to_string()}),
    )
    .await
    .expect(201);

    // Capacity: large groups are fine, absurd ones and a capacity below the members holding a place are not.
    let v = t.get(&desk, &format!("/api/v1/groups/{g}")).await.etag();
    let body = |cap: i32| json!({"name": "Thursday skills group", "kind": "skills", "capacity": cap, "facilitator_ids": [lead.id]});
    t.put(&desk, &format!("/api/v1/groups/{g}"), v, body(201))
        .await
        .expect(422);
    t.put(&desk, &format!("/api/v1/groups/{g}"), v, body(29))
        .await
        .expect(422);
    let r = t
        .put(&desk, &format!("/api/v1/groups/{g}"), v, body(200))
        .await;
    r.expect(200);
    assert_eq!(r.json["capacity"], 200);
    // A stale version changes nothing.
    t.put(&desk, &format!("/api/v1/groups/{g}"), v, body(150))
        .await
        .expect(409);
    t.finish().await;
}

async fn a_third_facilitator_is_refused(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let c1 = t.user(&[Role::Clinician]).await;
    let c2 = t.user(&[Role::Clinician]).await;
    let c3 = t.user(&[Role::Supervisor]).await;
    let clerk = t.user(&[Role::Billing]).await;
    let r = t
        .post(
            &admin,
            "/api/v1/groups",
            json!({"name": "Crowded", "kind": "process", "capacity": 12, "facilitator_ids": [c1.id, c2.id, c3.id]}),
        )
        .await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "facilitator_ids");
    assert!(
        messages(&r).contains("at most 2 facilitators"),
        "{}",
        r.text
    );
    // Facilitators are clinicians: billing staff cannot lead a group.
    let r = t
        .post(
            &admin,
            "/api/v1/groups",
            json!({"name": "Billing group", "kind": "process", "capacity": 12, "facilitator_ids": [clerk.id]}),
        )
        .await;
    r.expect(422);
    let g = group(&t, &admin, 12, &[&c1, &c2]).await;
    let v = t.get(&admin, &format!("/api/v1/groups/{g}")).await.etag();
    t.put(
        &admin,
        &format!("/api/v1/groups/{g}"),
        v,
        json!({"name": "Crowded", "kind": "process", "capacity": 12, "facilitator_ids": [c1.id, c2.id, c3.id]}),
    )
    .await
    .expect(422);
    let r = t.get(&admin, "/api/v1/groups").await;
    assert_eq!(r.json[0]["facilitators"].as_array().unwrap().len(), 2);
    t.finish().await;
}

async fn a_session_documents_one_appointment_of_its_own_group(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 12, &[&lead]).await;
    let other_group = group(&t, &lead, 12, &[&lead]).await;
    let m = client(&t, &lead, "Appointment Member").await;
    join(&t, &lead, &g, &m).await.expect(201);
    let appt = t
        .post(
            &lead,
            "/api/v1/appointments",
            json!({"type_key": "group", "clinician_id": lead.id, "client_ids": [m], "group_id": g,
                   "start": "2026-12-08T18:00", "time_zone": "Europe/Berlin", "outside_working_hours": true}),
        )
        .await;
    appt.expect(201);
    let appt = appt.json["appointments"][0]["id"].as_str().unwrap();
    let r = t
        .post(
            &lead,
            &format!("/api/v1/groups/{g}/sessions"),
            json!({ "appointment_id": appt }),
        )
        .await;
    r.expect(201);
    assert_eq!(r.json["date"], "2026-12-08");
    assert_eq!(r.json["appointment_id"], appt);
    t.post(
        &lead,
        &format!("/api/v1/groups/{g}/sessions"),
        json!({ "appointment_id": appt }),
    )
    .await
    .expect(409);
    t.post(
        &lead,
        &format!("/api/v1/groups/{other_group}/sessions"),
        json!({ "appointment_id": appt }),
    )
    .await
    .expect(422);
    let list = t.get(&lead, &format!("/api/v1/groups/{g}/sessions")).await;
    assert_eq!(list.json.as_array().unwrap().len(), 1);
    t.finish().await;
}

/// The roster line of `client` in a group as the API gives it.
async fn roster_line(t: &TestApp, who: &TestUser, g: &str, client: &str) -> Value {
    let r = t.get(who, &format!("/api/v1/groups/{g}")).await;
    r.expect(200);
    r.json["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["client_id"] == client)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn a_member_who_left_can_rejoin_and_their_chart_covers_only_their_periods(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 2, &[&lead]).await;
    let a = client(&t, &lead, "Amara Quintero").await;
    let bb = client(&t, &lead, "Ben Haddad").await;
    let c = client(&t, &lead, "Chiara Moreau").await;
    let member = |who: &str, on: &str| json!({"client_id": who, "joined_on": on});
    let members = format!("/api/v1/groups/{g}/members");
    let leave = |who: &str| format!("/api/v1/groups/{g}/members/{who}/leave");
    for m in [&a, &bb] {
        join(&t, &lead, &g, m).await.expect(201);
    }
    t.post(&lead, &members, member(&c, "2026-09-02"))
        .await
        .expect(422);

    // First period: A attends the session of 15 September.
    let s1 = session(&t, &lead, &g, "2026-09-15").await;
    attendance(
        &t,
        &lead,
        &s1,
        1,
        json!([{"client_id": a, "status": "present"}, {"client_id": bb, "status": "present"}]),
    )
    .await
    .expect(200);
    notes(
        &t,
        &lead,
        &s1,
        2,
        json!({"shared_note": "FIRST-PERIOD-SHARED: introductions.",
               "individual_notes": [{"client_id": a, "note": "A-FIRST: spoke about her week."}]}),
    )
    .await
    .expect(200);
    sign(&t, &lead, &s1, 3).await.expect(200);

    // A leave date on or before a session she attended would drop it from her period.
    let early = t
        .post(&lead, &leave(&a), json!({"left_on": "2026-09-15"}))
        .await;
    early.expect(422);
    assert_eq!(
        early.json["fields"][0]["field"], "left_on",
        "{}",
        early.text
    );
    t.post(&lead, &leave(&a), json!({"left_on": "2026-10-01"}))
        .await
        .expect(200);
    // Her place is free from then on.
    t.post(&lead, &members, member(&c, "2026-10-02"))
        .await
        .expect(201);

    // Between her periods she is not a member: attendance for her is refused, by that day's roster.
    let s2 = session(&t, &lead, &g, "2026-10-15").await;
    let r = attendance(
        &t,
        &lead,
        &s2,
        1,
        json!([{"client_id": a, "status": "present"}, {"client_id": bb, "status": "present"}]),
    )
    .await;
    r.expect(422);
    assert!(messages(&r).contains("entries[0].client_id"), "{}", r.text);
    attendance(
        &t,
        &lead,
        &s2,
        1,
        json!([{"client_id": bb, "status": "present"}, {"client_id": c, "status": "present"}]),
    )
    .await
    .expect(200);
    notes(
        &t,
        &lead,
        &s2,
        2,
        json!({"shared_note": "BETWEEN-PERIODS-SHARED: a session she was not part of."}),
    )
    .await
    .expect(200);
    sign(&t, &lead, &s2, 3).await.expect(200);

    // Rejoining: not inside the earlier period, not into a full group, and once.
    let r = t.post(&lead, &members, member(&a, "2026-09-20")).await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "joined_on", "{}", r.text);
    let full = t.post(&lead, &members, member(&a, "2026-11-01")).await;
    full.expect(422);
    assert!(
        messages(&full).contains("all 2 places are taken"),
        "{}",
        full.text
    );
    let v = t.get(&lead, &format!("/api/v1/groups/{g}")).await.etag();
    t.put(
        &lead,
        &format!("/api/v1/groups/{g}"),
        v,
        json!({"name": "Thursday skills group", "kind": "skills", "capacity": 3, "facilitator_ids": [lead.id]}),
    )
    .await
    .expect(200);
    let back = t.post(&lead, &members, member(&a, "2026-11-01")).await;
    back.expect(201);
    assert_eq!(back.json["active_members"], 3);
    t.post(&lead, &members, member(&a, "2026-11-02"))
        .await
        .expect(409);
    let line = roster_line(&t, &lead, &g, &a).await;
    assert_eq!(line["joined_on"], "2026-11-01", "{line}");
    assert!(line["left_on"].is_null());
    assert_eq!(line["active"], true);
    assert_eq!(
        line["periods"],
        json!([
            {"joined_on": "2026-09-01", "left_on": "2026-10-01"},
            {"joined_on": "2026-11-01", "left_on": null},
        ])
    );

    // Second period: the session of 10 November.
    let s3 = session(&t, &lead, &g, "2026-11-10").await;
    attendance(
        &t,
        &lead,
        &s3,
        1,
        json!([{"client_id": a, "status": "late"}, {"client_id": bb, "status": "absent"}, {"client_id": c, "status": "present"}]),
    )
    .await
    .expect(200);
    notes(
        &t,
        &lead,
        &s3,
        2,
        json!({"shared_note": "SECOND-PERIOD-SHARED: a returning member was welcomed back.",
               "individual_notes": [{"client_id": a, "note": "A-SECOND: glad to be back."}]}),
    )
    .await
    .expect(200);
    sign(&t, &lead, &s3, 3).await.expect(200);

    let chart = t
        .get(&lead, &format!("/api/v1/clients/{a}/group-sessions"))
        .await;
    chart.expect(200);
    let dates: Vec<&str> = chart
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-11-10", "2026-09-15"], "{}", chart.text);
    for shown in [
        "A-FIRST",
        "A-SECOND",
        "FIRST-PERIOD-SHARED",
        "SECOND-PERIOD-SHARED",
    ] {
        assert!(chart.text.contains(shown), "{shown} in {}", chart.text);
    }
    for hidden in ["BETWEEN-PERIODS", "Ben", "Haddad", "Chiara", "Moreau"] {
        assert!(!chart.text.contains(hidden), "{hidden} in {}", chart.text);
    }
    // Her record lists both periods.
    let rec = t.get(&lead, &format!("/api/v1/clients/{a}")).await;
    let periods: Vec<(Value, Value)> = rec.json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["joined_on"].clone(), p["left_on"].clone()))
        .collect();
    assert_eq!(
        periods,
        [
            (json!("2026-09-01"), json!("2026-10-01")),
            (json!("2026-11-01"), Value::Null)
        ]
    );

    // The roster page shows the history and offers a former member's return on her line.
    t.post(&lead, &leave(&c), json!({"left_on": "2026-11-20"}))
        .await
        .expect(200);
    let browser = t.sign_in(&lead).await;
    let (status, _, html) = browser.get(&format!("/groups/{g}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("2026-09-01 to 2026-10-01"), "{html}");
    assert!(html.contains(&format!(r#"id="rejoin-{c}""#)), "{html}");
    assert!(
        !html.contains(&format!(r#"id="rejoin-{a}""#)),
        "a current member has no rejoin form"
    );
    let (status, location, _) = browser
        .post(
            &format!("/groups/{g}/members"),
            &[("client_id", c.as_str()), ("joined_on", "2026-11-20")],
        )
        .await;
    assert_eq!((status, location), (303, format!("/groups/{g}#roster")));
    let line = roster_line(&t, &lead, &g, &c).await;
    assert_eq!(line["periods"].as_array().unwrap().len(), 2, "{line}");
    t.finish().await;
}
