//! Couples and families in the staff pages, on SQLite and PostgreSQL: a partner's own primary clinician opens the
//! couple (it was a 404, issue 16) and sees only the members they may see; an outsider still gets "not found"; a
//! couple or family is created from a client's page with the directory's search, renamed, its members added,
//! re-roled and removed, and ended; joint notes stay in the chart of whoever was a member when they were written.

use rapport_domain::Role;
use rapport_testkit::{Backend, Browser, TestApp, TestUser, both, client_body};
use serde_json::{Value, json};

both!(
    a_partners_primary_clinician_opens_the_couple_and_sees_only_their_client,
    an_outsider_gets_not_found_for_the_unit_page_and_every_change,
    a_couple_is_created_from_the_client_page_with_the_search,
    a_family_changes_members_and_ends_and_joint_notes_stay_with_their_time,
);

async fn client(t: &TestApp, who: &TestUser, name: &str, dob: &str) -> String {
    let mut body = client_body(name);
    body["date_of_birth"] = json!(dob);
    let r = t.post(who, "/api/v1/clients", body).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn unit(t: &TestApp, who: &TestUser, kind: &str, label: &str, members: &[&String]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({ "client_id": m })).collect();
    let r = t
        .post(
            who,
            "/api/v1/units",
            json!({ "kind": kind, "label": label, "members": members }),
        )
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn joint_note(t: &TestApp, who: &TestUser, unit: &str) -> String {
    let r = t
        .post(
            who,
            &format!("/api/v1/units/{unit}/notes"),
            json!({ "template": "progress_dap" }),
        )
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn chart_note_ids(t: &TestApp, who: &TestUser, client: &str) -> Vec<String> {
    let r = t.get(who, &format!("/api/v1/clients/{client}/notes")).await;
    r.expect(200);
    r.json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["id"].as_str().map(String::from))
        .collect()
}

/// Posts a form and expects a redirect back to `to`.
async fn post_ok(page: &Browser, path: &str, fields: &[(&str, &str)], to: &str) {
    let (status, location, body) = page.post(path, fields).await;
    assert_eq!(status, 303, "{path}: {body}");
    assert!(location.starts_with(to), "{path} went to {location}");
}

async fn a_partners_primary_clinician_opens_the_couple_and_sees_only_their_client(b: Backend) {
    let t = TestApp::spawn(b).await;
    let couples = t.user(&[Role::Clinician]).await;
    let individual = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let ana = client(&t, &couples, "Ana Partner", "1985-01-01").await;
    let ben = client(&t, &couples, "Ben Partner", "1984-01-01").await;
    t.post(
        &admin,
        &format!("/api/v1/clients/{ana}/care-team"),
        json!({ "user_id": individual.id, "team_role": "primary" }),
    )
    .await
    .expect(204);
    let id = unit(&t, &couples, "couple", "Couple 1", &[&ana, &ben]).await;
    let joint = joint_note(&t, &couples, &id).await;

    let page = t.sign_in(&individual).await;
    let (_, _, client_page) = page.get(&format!("/clients/{ana}")).await;
    assert!(
        client_page.contains(&format!(r#"href="/units/{id}""#)),
        "Ana's page links to her couple"
    );
    let (status, _, html) = page.get(&format!("/units/{id}")).await;
    assert_eq!(
        status, 200,
        "Ana's primary clinician opens her couple: {html}"
    );
    assert!(
        html.contains("Couple 1") && html.contains(">Couple<"),
        "{html}"
    );
    assert!(html.contains(&format!(r#"<a href="/clients/{ana}">Ana Partner</a>"#)));
    assert!(
        !html.contains("Ben Partner") && !html.contains(&ben),
        "Ben, whom she does not treat, is neither named nor linked"
    );
    assert!(html.contains("Another member · partner"), "{html}");
    assert!(
        html.contains(&format!("/notes/{joint}")),
        "the joint note in Ana's chart is listed"
    );
    assert!(
        !html.contains("Start joint note") && !html.contains("Rename"),
        "writing or changing the couple needs Ben's care team too"
    );
    let api = t.get(&individual, &format!("/api/v1/units/{id}")).await;
    api.expect(200);
    assert_eq!(api.json["members"].as_array().unwrap().len(), 1);
    assert_eq!(api.json["withheld_members"][0]["role"], "partner");
    assert!(!api.text.contains(&ben), "no id of the withheld member");
    // Changing the couple stays with those who treat both partners.
    let (status, _, _) = page
        .post(&format!("/units/{id}"), &[("label", "Renamed")])
        .await;
    assert_eq!(status, 403);

    // The couple's clinician sees both, with links, and may change the couple.
    let theirs = t.sign_in(&couples).await;
    let (_, _, html) = theirs.get(&format!("/units/{id}")).await;
    assert!(html.contains(&format!(r#"<a href="/clients/{ben}">Ben Partner</a>"#)));
    assert!(html.contains("Start joint note") && html.contains("Rename"));
    t.finish().await;
}

async fn an_outsider_gets_not_found_for_the_unit_page_and_every_change(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let outsider = t.user(&[Role::Clinician]).await;
    let ana = client(&t, &clin, "Ana Outside", "1985-01-01").await;
    let ben = client(&t, &clin, "Ben Outside", "1984-01-01").await;
    let mine = client(&t, &outsider, "Cleo Mine", "1990-01-01").await;
    let id = unit(&t, &clin, "couple", "Couple 2", &[&ana, &ben]).await;

    let page = t.sign_in(&outsider).await;
    let (status, _, html) = page.get(&format!("/units/{id}")).await;
    assert_eq!(status, 404);
    assert!(!html.contains("Couple 2") && !html.contains("Ana Outside"));
    t.get(&outsider, &format!("/api/v1/units/{id}"))
        .await
        .expect(404);
    for (path, fields) in [
        (format!("/units/{id}"), vec![("label", "Mine now")]),
        (
            format!("/units/{id}/members"),
            vec![("client_id", mine.as_str()), ("role", "partner")],
        ),
        (format!("/units/{id}/members/{ana}/remove"), vec![]),
        (format!("/units/{id}/members/{ana}"), vec![("role", "x")]),
        (format!("/units/{id}/end"), vec![]),
        (
            format!("/units/{id}/notes"),
            vec![("template", "progress_dap")],
        ),
    ] {
        let (status, _, _) = page.post(&path, &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    // Nor does the new-unit form name a client of someone else's caseload put into its address.
    let (status, _, html) = page.get(&format!("/units/new?with={mine},{ana}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Cleo Mine") && !html.contains("Ana Outside"));
    // The refusals are audited.
    let denied = t
        .query_text(
            "SELECT action FROM audit_log WHERE outcome = 'denied' AND action LIKE 'unit.%'",
        )
        .await;
    assert!(denied.len() >= 6, "{denied:?}");
    t.finish().await;
}

async fn a_couple_is_created_from_the_client_page_with_the_search(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let dana = client(&t, &clin, "Dana Newcouple", "1988-03-03").await;
    let eli = client(&t, &clin, "Eli Newcouple", "1987-04-04").await;
    let hidden = client(&t, &other, "Eli Elsewhere", "1970-01-01").await;
    let page = t.sign_in(&clin).await;

    let (_, _, html) = page.get(&format!("/clients/{dana}")).await;
    let start = format!("/units/new?with={dana}");
    assert!(
        html.contains(&start),
        "the client page starts a couple or family"
    );
    let (_, _, html) = page.get(&format!("{start}&q=Eli")).await;
    assert!(
        html.contains("Dana Newcouple"),
        "the client is chosen already"
    );
    assert!(html.contains("Eli Newcouple") && html.contains("born 1987-04-04"));
    assert!(
        !html.contains("Eli Elsewhere"),
        "the search is the directory's: only clients the caller may see"
    );
    assert!(html.contains(&format!("with={dana},{eli}")), "an Add link");

    // A couple of one is refused with the form kept.
    let (status, _, html) = page
        .post(
            "/units",
            &[
                ("kind", "couple"),
                ("label", "Couple 7"),
                ("member", dana.as_str()),
                ("role", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("a couple has two members") && html.contains("Couple 7"));
    // A client of someone else's caseload cannot be slipped in.
    let (status, _, _) = page
        .post(
            "/units",
            &[
                ("kind", "couple"),
                ("label", "Couple 7"),
                ("member", dana.as_str()),
                ("member", hidden.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 404);

    let (status, location, body) = page
        .post(
            "/units",
            &[
                ("kind", "couple"),
                ("label", "Couple 7"),
                ("member", dana.as_str()),
                ("role", "partner"),
                ("member", eli.as_str()),
                ("role", "spouse"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let (_, _, html) = page.get(&location).await;
    assert!(html.contains("Couple 7") && html.contains(">Couple<"));
    assert!(html.contains(&format!(
        r#"<a href="/clients/{eli}">Eli Newcouple</a> · spouse"#
    )));
    assert!(
        !html.contains(">couple<"),
        "the kind in words, not its code"
    );
    let id = location.trim_start_matches("/units/").to_string();
    let (_, _, html) = page.get(&format!("/clients/{eli}")).await;
    assert!(html.contains(&format!(r#"href="/units/{id}""#)) && html.contains("as spouse"));
    t.finish().await;
}

async fn a_family_changes_members_and_ends_and_joint_notes_stay_with_their_time(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mum = client(&t, &clin, "Mia Family", "1980-05-05").await;
    let dad = client(&t, &clin, "Dan Family", "1979-05-05").await;
    let gran = client(&t, &clin, "Gwen Family", "1950-05-05").await;
    let id = unit(&t, &clin, "family", "Family 9", &[&mum, &dad]).await;
    let page = t.sign_in(&clin).await;
    let base = format!("/units/{id}");

    let (_, _, html) = page.get(&format!("{base}?q=Gwen")).await;
    assert!(html.contains("Gwen Family") && html.contains("born 1950-05-05"));
    post_ok(
        &page,
        &format!("{base}/members"),
        &[("client_id", gran.as_str()), ("role", "grandparent")],
        &base,
    )
    .await;
    post_ok(
        &page,
        &format!("{base}/members/{dad}"),
        &[("role", "father")],
        &base,
    )
    .await;
    post_ok(&page, &base, &[("label", "Family Nine")], &base).await;
    let (_, _, html) = page.get(&base).await;
    assert!(html.contains("Family Nine"));
    assert!(html.contains("Gwen Family</a> · grandparent"));
    assert!(html.contains("Dan Family</a> · father"));
    let (status, _, html) = page
        .post(
            &format!("{base}/members"),
            &[("client_id", gran.as_str()), ("role", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("a member already"));

    let before = joint_note(&t, &clin, &id).await;
    post_ok(&page, &format!("{base}/members/{gran}/remove"), &[], &base).await;
    let after = joint_note(&t, &clin, &id).await;
    let gran_chart = chart_note_ids(&t, &clin, &gran).await;
    assert!(
        gran_chart.contains(&before),
        "her time's joint note stays in her chart"
    );
    assert!(
        !gran_chart.contains(&after),
        "a note after she left is not in her chart"
    );
    let mum_chart = chart_note_ids(&t, &clin, &mum).await;
    assert!(mum_chart.contains(&before) && mum_chart.contains(&after));
    let (_, _, html) = page.get(&base).await;
    assert!(
        html.contains("Former members") && html.contains("Gwen Family</a> · grandparent · left")
    );
    // A family needs two members; a former member does not rejoin.
    let (status, _, html) = page
        .post(&format!("{base}/members/{dad}/remove"), &[])
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("end the family unit instead"), "{html}");
    let (status, _, _) = page
        .post(
            &format!("{base}/members"),
            &[("client_id", gran.as_str()), ("role", "")],
        )
        .await;
    assert_eq!(status, 422);

    post_ok(&page, &format!("{base}/end"), &[], &base).await;
    let (_, _, html) = page.get(&base).await;
    assert!(html.contains("ended"), "{html}");
    assert!(!html.contains("Start joint note") && !html.contains("Rename"));
    let (status, _, _) = page.post(&base, &[("label", "Again")]).await;
    assert_eq!(status, 409);
    t.post(
        &clin,
        &format!("/api/v1/units/{id}/notes"),
        json!({ "template": "progress_dap" }),
    )
    .await
    .expect(409);
    assert!(
        chart_note_ids(&t, &clin, &mum).await.contains(&before),
        "ending keeps the joint notes"
    );
    t.finish().await;
}
