//! Couples and families: a joint note appears in each member's chart, a member's individual notes never appear in
//! another's, and releasing a note outside the practice needs the consent of every adult member.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_joint_note_is_in_each_members_chart_and_individual_notes_stay_apart,
    releasing_a_joint_note_needs_every_adult_members_consent,
    a_psychotherapy_note_is_released_only_with_the_clients_authorisation_by_its_author,
    units_need_sensible_members,
);

async fn client(t: &TestApp, who: &TestUser, name: &str, dob: &str) -> String {
    let mut body = client_body(name);
    body["date_of_birth"] = json!(dob);
    if dob > "2010-01-01" {
        body["guardians"] =
            json!([{ "name": "A Parent", "relationship": "mother", "phone": "+49 30 1234567" }]);
    }
    let r = t.post(who, "/api/v1/clients", body).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn signed_note(
    t: &TestApp,
    who: &TestUser,
    path: &str,
    fields: Value,
    template: &str,
) -> String {
    let r = t
        .post(who, path, json!({ "template": template, "fields": fields }))
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    t.call(
        Some(who),
        Method::POST,
        &format!("/api/v1/notes/{id}/sign"),
        None,
        Some(1),
    )
    .await
    .expect(200);
    id
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .or(v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|n| n["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn dap(text: &str) -> Value {
    json!({ "data": text, "assessment": "a", "plan": "p", "risk_level": "none" })
}

async fn a_joint_note_is_in_each_members_chart_and_individual_notes_stay_apart(b: Backend) {
    let t = TestApp::spawn(b).await;
    let couples = t.user(&[Role::Clinician]).await;
    let individual = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let ana = client(&t, &couples, "Ana Couple", "1985-01-01").await;
    let ben = client(&t, &couples, "Ben Couple", "1984-01-01").await;
    t.post(
        &admin,
        &format!("/api/v1/clients/{ana}/care-team"),
        json!({ "user_id": individual.id }),
    )
    .await
    .expect(204);
    let unit = t
        .post(
            &couples,
            "/api/v1/units",
            json!({ "kind": "couple", "label": "Ana and Ben", "members": [{ "client_id": ana }, { "client_id": ben }] }),
        )
        .await;
    unit.expect(201);
    let unit_id = unit.json["id"].as_str().unwrap();
    assert_eq!(unit.json["members"].as_array().unwrap().len(), 2);

    let joint = signed_note(
        &t,
        &couples,
        &format!("/api/v1/units/{unit_id}/notes"),
        dap("joint session"),
        "progress_dap",
    )
    .await;
    let ana_own = signed_note(
        &t,
        &individual,
        &format!("/api/v1/clients/{ana}/notes"),
        dap("Ana alone"),
        "progress_dap",
    )
    .await;

    let ana_list = t
        .get(&couples, &format!("/api/v1/clients/{ana}/notes"))
        .await;
    let ben_list = t
        .get(&couples, &format!("/api/v1/clients/{ben}/notes"))
        .await;
    let (ana_ids, ben_ids) = (ids(&ana_list.json, ""), ids(&ben_list.json, ""));
    assert!(
        ana_ids.contains(&joint) && ana_ids.contains(&ana_own),
        "{ana_ids:?}"
    );
    assert_eq!(
        ben_ids,
        std::slice::from_ref(&joint),
        "Ben's chart has the joint note and never Ana's own"
    );
    let ben_chart = t
        .get(&couples, &format!("/api/v1/clients/{ben}/chart?kinds=note"))
        .await;
    assert!(
        !ben_chart.text.contains("Ana alone"),
        "Ana's individual note is not in Ben's chart"
    );
    assert!(ben_chart.text.contains("joint session"));

    // Ana's individual clinician (not on Ben's care team) reads the joint note through Ana's chart, but cannot
    // write joint notes, which would go into Ben's chart too (404: she may not learn about Ben).
    let r = t.get(&individual, &format!("/api/v1/notes/{joint}")).await;
    r.expect(200);
    assert_eq!(r.json["unit"]["label"], "Ana and Ben");
    t.post(
        &individual,
        &format!("/api/v1/units/{unit_id}/notes"),
        json!({ "template": "progress_dap" }),
    )
    .await
    .expect(404);
    // She opens the unit of her client (issue 16: this was a 404), but Ben, whom she may not see, is withheld.
    let hers = t
        .get(&individual, &format!("/api/v1/units/{unit_id}"))
        .await;
    hers.expect(200);
    assert_eq!(hers.json["members"].as_array().unwrap().len(), 1);
    assert_eq!(hers.json["members"][0]["client_id"], ana.as_str());
    assert_eq!(hers.json["withheld_members"].as_array().unwrap().len(), 1);
    assert!(!hers.text.contains(&ben), "Ben's id is not disclosed");
    let u = t.get(&couples, &format!("/api/v1/units/{unit_id}")).await;
    assert_eq!(
        ids(&u.json, "notes"),
        std::slice::from_ref(&joint),
        "the unit lists only joint notes"
    );
    // Psychotherapy notes are never joint.
    t.post(
        &couples,
        &format!("/api/v1/units/{unit_id}/notes"),
        json!({ "template": "psychotherapy" }),
    )
    .await
    .expect(422);
    t.finish().await;
}

async fn releasing_a_joint_note_needs_every_adult_members_consent(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mum = client(&t, &clin, "Mum Family", "1980-05-05").await;
    let dad = client(&t, &clin, "Dad Family", "1979-05-05").await;
    let kid = client(&t, &clin, "Kid Family", "2015-05-05").await;
    let unit = t
        .post(
            &clin,
            "/api/v1/units",
            json!({ "kind": "family", "label": "The Family", "members": [
                { "client_id": mum, "role": "parent" }, { "client_id": dad, "role": "parent" }, { "client_id": kid, "role": "child" }] }),
        )
        .await;
    unit.expect(201);
    let unit_id = unit.json["id"].as_str().unwrap();
    let draft = t
        .post(
            &clin,
            &format!("/api/v1/units/{unit_id}/notes"),
            json!({ "template": "progress_dap", "fields": dap("family") }),
        )
        .await;
    let draft_id = draft.json["id"].as_str().unwrap();
    let release = json!({ "recipient": "School counsellor", "purpose": "coordination of care" });
    t.post(
        &clin,
        &format!("/api/v1/notes/{draft_id}/releases"),
        release.clone(),
    )
    .await
    .expect(409);
    let note = signed_note(
        &t,
        &clin,
        &format!("/api/v1/units/{unit_id}/notes"),
        dap("family session"),
        "progress_dap",
    )
    .await;
    let path = format!("/api/v1/notes/{note}");

    let view = t.get(&clin, &path).await;
    let needed: Vec<&str> = view.json["release"]["consenters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(needed, ["Mum Family", "Dad Family"], "adults only");
    t.post(
        &clin,
        &format!("{path}/release-consents"),
        json!({ "client_id": mum, "how": "signed release form" }),
    )
    .await
    .expect(200);
    let blocked = t
        .post(&clin, &format!("{path}/releases"), release.clone())
        .await;
    blocked.expect(422);
    assert!(
        blocked.json["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Dad Family"),
        "{}",
        blocked.text
    );
    t.post(
        &clin,
        &format!("{path}/release-consents"),
        json!({ "client_id": kid, "how": "asked" }),
    )
    .await
    .expect(422);
    t.post(
        &clin,
        &format!("{path}/release-consents"),
        json!({ "client_id": dad, "how": "signed release form" }),
    )
    .await
    .expect(200);
    let done = t.post(&clin, &format!("{path}/releases"), release).await;
    done.expect(201);
    assert_eq!(
        done.json["release"]["releases"][0]["recipient"],
        "School counsellor"
    );
    // The disclosure is in each consenting member's accounting of who accessed and received their record.
    for c in [&mum, &dad] {
        let log = t
            .get(&clin, &format!("/api/v1/clients/{c}/access-log"))
            .await;
        let releases = log
            .json
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "note.release")
            .count();
        assert_eq!(releases, 1, "disclosure recorded for {c}: {}", log.text);
    }
    t.finish().await;
}

async fn a_psychotherapy_note_is_released_only_with_the_clients_authorisation_by_its_author(
    b: Backend,
) {
    let t = TestApp::spawn(b).await;
    let author = t.user(&[Role::Clinician]).await;
    let teammate = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let c = client(&t, &author, "Auth Example", "1990-01-01").await;
    t.post(
        &admin,
        &format!("/api/v1/clients/{c}/care-team"),
        json!({ "user_id": teammate.id }),
    )
    .await
    .expect(204);
    let note = signed_note(
        &t,
        &author,
        &format!("/api/v1/clients/{c}/notes"),
        json!({ "notes": "process notes" }),
        "psychotherapy",
    )
    .await;
    let path = format!("/api/v1/notes/{note}");
    let release = json!({ "recipient": "Client's attorney", "purpose": "at the client's request" });
    // Nobody else can even find it, let alone record an authorisation or release it.
    t.post(
        &teammate,
        &format!("{path}/release-consents"),
        json!({ "client_id": c, "how": "x" }),
    )
    .await
    .expect(404);
    t.post(&teammate, &format!("{path}/releases"), release.clone())
        .await
        .expect(404);
    t.post(&author, &format!("{path}/releases"), release.clone())
        .await
        .expect(422);
    t.post(
        &author,
        &format!("{path}/release-consents"),
        json!({ "client_id": c, "how": "signed authorisation for psychotherapy notes (45 CFR 164.508(a)(2))" }),
    )
    .await
    .expect(200);
    t.post(&author, &format!("{path}/releases"), release)
        .await
        .expect(201);
    t.finish().await;
}

async fn units_need_sensible_members(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let stranger = t.user(&[Role::Clinician]).await;
    let a = client(&t, &clin, "Unit A", "1985-01-01").await;
    let b2 = client(&t, &clin, "Unit B", "1985-01-01").await;
    let c = client(&t, &clin, "Unit C", "1985-01-01").await;
    let post = |members: Vec<&String>, kind: &str| json!({ "kind": kind, "label": "X", "members": members.iter().map(|m| json!({ "client_id": m })).collect::<Vec<_>>() });
    let r = t
        .post(&clin, "/api/v1/units", post(vec![&a, &b2, &c], "couple"))
        .await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "members");
    t.post(&clin, "/api/v1/units", post(vec![&a, &a], "family"))
        .await
        .expect(422);
    t.post(&clin, "/api/v1/units", post(vec![&a, &b2], "trio"))
        .await
        .expect(422);
    t.post(&stranger, "/api/v1/units", post(vec![&a, &b2], "couple"))
        .await
        .expect(404);
    t.finish().await;
}
