//! Therapy groups through the API: capacity and facilitators, rosters with join and leave dates, sessions that
//! document a group appointment. The helpers here serve `group_sessions` too.

use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_group_takes_thirty_members_and_refuses_one_beyond_its_capacity,
    a_third_facilitator_is_refused,
    a_session_documents_one_appointment_of_its_own_group,
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
    let t = TestApp::spawn(b).await;
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
        json!({"client_id": members[30], "joined_on": chrono::Utc::now().date_naive().to_string()}),
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
    let t = TestApp::spawn(b).await;
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
    let t = TestApp::spawn(b).await;
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
