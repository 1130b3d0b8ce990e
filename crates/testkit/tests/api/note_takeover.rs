//! The draft of a clinician taken off the care team does not stay in limbo: they can no longer change or sign it,
//! and a clinician on the team (the author's supervisor once on it, or a colleague) takes it over, finishes and
//! signs it. Psychotherapy notes never change hands; nobody takes over a draft whose author is still on the team.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::json;

both!(
    a_draft_whose_author_left_the_care_team_is_taken_over_by_the_team,
    the_note_page_offers_the_team_the_draft_of_an_author_who_left
);

async fn take_over(t: &TestApp, who: &TestUser, id: &str, version: i32) -> rapport_testkit::Reply {
    t.call(
        Some(who),
        Method::POST,
        &format!("/api/v1/notes/{id}/take-over"),
        None,
        Some(version),
    )
    .await
}

async fn care_team(t: &TestApp, admin: &TestUser, method: Method, client: &str, who: &TestUser) {
    let (path, body) = if method == Method::POST {
        (
            format!("/api/v1/clients/{client}/care-team"),
            Some(json!({ "user_id": who.id })),
        )
    } else {
        (
            format!("/api/v1/clients/{client}/care-team/{}", who.id),
            None,
        )
    };
    t.call(Some(admin), method, &path, body, None)
        .await
        .expect(204);
}

async fn a_draft_whose_author_left_the_care_team_is_taken_over_by_the_team(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let author = t.user(&[Role::Clinician]).await;
    let colleague = t.user(&[Role::Clinician]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    let outsider = t.user(&[Role::Clinician]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, author.id)
        .await
        .unwrap();
    let r = t
        .post(&author, "/api/v1/clients", client_body("Handover Example"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    care_team(&t, &admin, Method::POST, &client, &colleague).await;
    let mut ids = Vec::new();
    for (template, fields) in [
        ("progress_dap", json!({ "data": "Half-written session" })),
        ("psychotherapy", json!({ "notes": "Private draft" })),
    ] {
        let r = t
            .post(
                &author,
                &format!("/api/v1/clients/{client}/notes"),
                json!({ "template": template, "fields": fields }),
            )
            .await;
        r.expect(201);
        ids.push(r.json["id"].as_str().unwrap().to_string());
    }
    let (draft, private) = (&ids[0], &ids[1]);

    // While the author is on the team, their draft is theirs alone.
    let r = take_over(&t, &colleague, draft, 1).await;
    r.expect(403);
    assert!(r.text.contains("still on the care team"), "{}", r.text);
    let r = t.get(&colleague, &format!("/api/v1/notes/{draft}")).await;
    assert_eq!(r.json["rights"]["take_over"], false, "{}", r.text);

    care_team(&t, &admin, Method::DELETE, &client, &author).await;
    // The author no longer changes or takes back the draft; an outsider does not learn it exists.
    t.put(
        &author,
        &format!("/api/v1/notes/{draft}"),
        1,
        json!({ "fields": { "data": "changed" } }),
    )
    .await
    .expect(403);
    assert!([403, 404].contains(&take_over(&t, &author, draft, 1).await.status.as_u16()));
    take_over(&t, &outsider, draft, 1).await.expect(404);
    // A psychotherapy note stays its author's: nobody else learns it exists.
    take_over(&t, &colleague, private, 1).await.expect(404);
    // The author's supervisor sees the draft, and takes it over once on the care team.
    let r = t.get(&sup, &format!("/api/v1/notes/{draft}")).await;
    r.expect(200);
    assert_eq!(r.json["rights"]["take_over"], false, "{}", r.text);
    let r = take_over(&t, &sup, draft, 1).await;
    r.expect(403);
    assert!(r.text.contains("care team"), "{}", r.text);
    let r = t.get(&colleague, &format!("/api/v1/notes/{draft}")).await;
    assert_eq!(r.json["rights"]["take_over"], true, "{}", r.text);
    care_team(&t, &admin, Method::POST, &client, &sup).await;

    // A stale version changes nothing; the current one hands the draft over.
    take_over(&t, &sup, draft, 7).await.expect(409);
    let r = take_over(&t, &sup, draft, 1).await;
    r.expect(200);
    assert_eq!(r.json["author"]["id"], json!(sup.id), "{}", r.text);
    assert_eq!(r.json["content"]["data"], "Half-written session");
    assert_eq!(r.json["rights"]["edit"], true, "{}", r.text);
    let version = r.json["version"].as_i64().unwrap() as i32;
    // Now the supervisor's, it is no longer the colleague's to take.
    take_over(&t, &colleague, draft, version).await.expect(403);
    let r = t
        .put(
            &sup,
            &format!("/api/v1/notes/{draft}"),
            version,
            json!({ "fields": { "data": "Finished by the supervisor", "assessment": "a", "plan": "p", "risk_level": "none" } }),
        )
        .await;
    r.expect(200);
    let version = r.json["version"].as_i64().unwrap() as i32;
    t.call(
        Some(&sup),
        Method::POST,
        &format!("/api/v1/notes/{draft}/sign"),
        None,
        Some(version),
    )
    .await
    .expect(200);

    // The hand-over is in the audit log, naming the former author by id.
    let detail = t
        .query_text(
            "SELECT detail FROM audit_log WHERE action = 'note.take_over' AND outcome = 'ok'",
        )
        .await;
    assert_eq!(detail.len(), 1, "{detail:?}");
    assert!(detail[0].contains(&author.id.to_string()), "{detail:?}");
    assert!(t.app.verify_audit().await.unwrap().first_broken.is_none());
    t.finish().await;
}

async fn the_note_page_offers_the_team_the_draft_of_an_author_who_left(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let author = t.user(&[Role::Clinician]).await;
    let colleague = t.user(&[Role::Clinician]).await;
    let r = t
        .post(&author, "/api/v1/clients", client_body("Page Handover"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    care_team(&t, &admin, Method::POST, &client, &colleague).await;
    let r = t
        .post(
            &author,
            &format!("/api/v1/clients/{client}/notes"),
            json!({ "template": "progress_dap", "fields": { "data": "Unfinished" } }),
        )
        .await;
    r.expect(201);
    let draft = r.json["id"].as_str().unwrap().to_string();
    let page = t.sign_in(&colleague).await;
    let (status, _, html) = page.get(&format!("/notes/{draft}")).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("Take over this draft"),
        "not while the author is on the team"
    );

    care_team(&t, &admin, Method::DELETE, &client, &author).await;
    let (_, _, html) = page.get(&format!("/notes/{draft}")).await;
    assert!(html.contains("Take over this draft"), "{html}");
    let (status, location, body) = page
        .post(&format!("/notes/{draft}/take-over"), &[("version", "1")])
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, format!("/notes/{draft}"));
    let r = t.get(&colleague, &format!("/api/v1/notes/{draft}")).await;
    assert_eq!(r.json["author"]["id"], json!(colleague.id), "{}", r.text);
    assert_eq!(r.json["rights"]["sign"], true, "{}", r.text);
    t.finish().await;
}
