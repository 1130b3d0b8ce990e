//! The client page as a chart: a header with the next appointment and the risk flags, a row of sections each one
//! click away, one section per request read in one transaction, the clinical sections closed (and the refusal
//! audited) for the front desk, and an unknown section a clear error.

use super::today::book;
use chrono::Duration;
use rapport_app::audit::AuditQuery;
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, between, both, client_body};

both!(
    the_client_file_shows_a_header_and_one_section_at_a_time,
    the_front_desk_sees_the_sessions_but_no_clinical_section,
);

async fn audited(t: &TestApp, client: &str, action: &str) -> Vec<(String, Option<String>)> {
    let q = AuditQuery {
        client_id: Some(client.parse().unwrap()),
        action: Some(action.into()),
        limit: Some(100),
        ..Default::default()
    };
    t.app
        .list_audit(&rapport_app::Ctx::operator(), &q)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.outcome, e.request_id))
        .collect()
}

async fn the_client_file_shows_a_header_and_one_section_at_a_time(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let r = t
        .post(&clin, "/api/v1/clients", client_body("Fiona File"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    let today = rapport_testkit::today();
    let later = book(
        &t,
        &clin,
        &clin,
        &client,
        &format!("{}T11:00", today + Duration::days(9)),
    )
    .await;
    let next = book(
        &t,
        &clin,
        &clin,
        &client,
        &format!("{}T10:00", today + Duration::days(2)),
    )
    .await;

    let page = t.sign_in(&clin).await;
    let path = format!("/clients/{client}");
    let (status, _, html) = page.get(&path).await;
    assert_eq!(status, 200, "{html}");
    // The header: who, the flags, the care team, the next appointment (the sooner one) and "Book".
    let head = between(&html, r#"<header class="file-head">"#, "</header>");
    assert!(head.contains("Fiona File"), "{head}");
    assert!(
        head.contains("No open alert") && head.contains("No safety plan"),
        "{head}"
    );
    let next_line = between(&head, r#"<p class="file-next">"#, "</p>");
    assert!(
        next_line.contains(&format!("/appointments/{next}")),
        "{next_line}"
    );
    assert!(!next_line.contains(&later), "{next_line}");
    assert!(
        next_line.contains(&format!(r#"href="/appointments/new?client={client}""#)),
        "{next_line}"
    );
    // Every section is one link away, the current one marked.
    let nav = between(&html, r#"<nav class="file-sections""#, "</nav>");
    for (label, href) in [
        ("Overview", path.clone()),
        ("Sessions", format!("{path}?section=sessions")),
        ("Notes", format!("{path}?section=notes")),
        ("Plan", format!("{path}?section=plans")),
        ("Measures", format!("{path}?section=measures")),
        ("Behaviour", format!("{path}?section=behaviour")),
        ("Record", format!("{path}?section=record")),
        ("Safety plan", format!("{path}/safety-plan")),
        ("Medications", format!("{path}/medications")),
        ("Referrals", format!("{path}/referrals")),
    ] {
        assert!(nav.contains(&format!(r#"href="{href}""#)), "{label}: {nav}");
    }
    assert!(
        nav.contains(&format!(
            r#"<a href="{path}" aria-current="page">Overview</a>"#
        )),
        "{nav}"
    );
    // Only the overview's content is on the overview: no notes table, no measures.
    assert!(
        html.contains("Date of birth")
            && !html.contains("Start note")
            && !html.contains(r#"id="measures""#)
    );

    // Each section: its own content, the same header.
    let cases = [
        ("sessions", "<h3>Coming</h3>"),
        ("notes", "Start note"),
        ("plans", "Start plan"),
        ("measures", r#"id="measures""#),
        ("behaviour", r#"id="behaviours""#),
        ("record", "Export record"),
    ];
    for (key, marker) in cases {
        let (status, _, html) = page.get(&format!("{path}?section={key}")).await;
        assert_eq!(status, 200, "{key}: {html}");
        assert!(html.contains(marker), "{key}: {marker} missing");
        assert!(
            html.contains(r#"<p class="file-next">"#),
            "{key}: no header"
        );
        assert!(
            !html.contains("Date of birth</dt>"),
            "{key} shows the overview too"
        );
    }
    // The sessions section lists both appointments, soonest first.
    let (_, _, html) = page.get(&format!("{path}?section=sessions")).await;
    let coming = between(&html, "<h3>Coming</h3>", "</table>");
    let (a, b2) = (coming.find(&next).unwrap(), coming.find(&later).unwrap());
    assert!(a < b2, "{coming}");

    // One request, one transaction: the notes section's request id carries both the client's read and the
    // notes' read, each allowed ("ok").
    let reads = audited(&t, &client, "client.read").await;
    let lists = audited(&t, &client, "note.list").await;
    let (outcome, rid) = lists.first().cloned().unwrap();
    assert_eq!(outcome, "ok");
    assert!(
        rid.is_some() && reads.iter().any(|(o, r)| o == "ok" && *r == rid),
        "{reads:?} {lists:?}"
    );

    // An unknown section is a clear error, not a silent overview.
    let (status, _, html) = page.get(&format!("{path}?section=billing")).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Unknown section; use overview, sessions"),
        "{html}"
    );
}

async fn the_front_desk_sees_the_sessions_but_no_clinical_section(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let r = t
        .post(&clin, "/api/v1/clients", client_body("Dora Desk"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    let today = rapport_testkit::today();
    let next = book(
        &t,
        &desk,
        &clin,
        &client,
        &format!("{}T10:00", today + Duration::days(3)),
    )
    .await;

    let page = t.sign_in(&desk).await;
    let path = format!("/clients/{client}");
    let (status, _, html) = page.get(&path).await;
    assert_eq!(status, 200, "{html}");
    let head = between(&html, r#"<header class="file-head">"#, "</header>");
    // No risk flags for the front desk: "no alert" would be a clinical statement they may not make.
    assert!(
        !head.contains("Risk flags") && !head.contains("safety plan"),
        "{head}"
    );
    assert!(head.contains(&format!("/appointments/{next}")), "{head}");
    let nav = between(&html, r#"<nav class="file-sections""#, "</nav>");
    assert!(nav.contains("Sessions") && nav.contains("Record"), "{nav}");
    for clinical in [
        "Notes",
        "Measures",
        "Behaviour",
        "Safety plan",
        "Medications",
    ] {
        assert!(
            !nav.contains(clinical),
            "{clinical} offered to the front desk: {nav}"
        );
    }
    let (status, _, html) = page.get(&format!("{path}?section=sessions")).await;
    assert_eq!(status, 200);
    assert!(between(&html, "<h3>Coming</h3>", "</table>").contains(&next));
    // Typing the address of a clinical section: refused, and the refusal is in the audit log.
    let (status, _, _) = page.get(&format!("{path}?section=notes")).await;
    assert!(status == 403 || status == 404, "{status}");
    let denied = audited(&t, &client, "note.list").await;
    assert!(denied.iter().any(|(o, _)| o == "denied"), "{denied:?}");
}
