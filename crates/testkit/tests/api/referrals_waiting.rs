//! The practice's referrals waiting for an answer, on SQLite and PostgreSQL: only sent ones (not yet accepted or
//! declined), only the caller's care teams' (a supervisor's supervisees' too), longest waiting first, paged with
//! "showing N of M", each client's read audited; refused to the front desk and administrators, whose navigation
//! does not offer it.

use crate::export::client;
use chrono::Days;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, between, both, today};
use serde_json::json;

both!(
    the_waiting_referrals_are_the_callers_care_teams_longest_waiting_first,
    a_long_list_of_waiting_referrals_is_paged_and_says_how_much_it_shows,
);

async fn refer(t: &TestApp, who: &TestUser, client: &str, to: &str, days_ago: u64) -> String {
    let r = t
        .post(
            who,
            &format!("/api/v1/clients/{client}/referrals"),
            json!({"kind": "primary_care", "to": to, "reason": "Physical check", "urgency": "urgent",
                "sent_on": (today() - Days::new(days_ago)).to_string()}),
        )
        .await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn the_waiting_referrals_are_the_callers_care_teams_longest_waiting_first(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let admin = t.user(&[Role::Admin]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, clin.id)
        .await
        .unwrap();
    let xena = client(&t, &clin, "Xena Waiting").await;
    let yuri = client(&t, &clin, "Yuri Recent").await;
    let zoe = client(&t, &other, "Zoe Elsewhere").await;
    refer(&t, &clin, &yuri, "Dr. Recent, family practice", 1).await;
    refer(&t, &clin, &xena, "Dr. Longest, family practice", 9).await;
    let answered = refer(&t, &clin, &xena, "Dr. Answered, family practice", 12).await;
    t.post(
        &clin,
        &format!("/api/v1/referrals/{answered}/status"),
        json!({"status": "accepted", "on": today().to_string(), "version": 1}),
    )
    .await
    .expect(200);
    refer(&t, &other, &zoe, "Dr. Other, family practice", 3).await;

    let page = t.sign_in(&clin).await;
    let (status, _, html) = page.get("/referrals").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"<a href="/referrals">Referrals</a>"#),
        "{html}"
    );
    assert!(
        html.contains("Showing 1–2 of 2 referrals waiting for an answer."),
        "{html}"
    );
    let rows = between(&html, "<tbody>", "</tbody>");
    let (longest, recent) = (
        rows.find("Dr. Longest").unwrap(),
        rows.find("Dr. Recent").unwrap(),
    );
    assert!(longest < recent, "longest waiting first: {rows}");
    assert!(rows.contains("9 days") && rows.contains("1 day<"), "{rows}");
    assert!(
        rows.contains("Family doctor") && rows.contains("Urgent"),
        "{rows}"
    );
    for hidden in ["Dr. Answered", "Dr. Other", "Zoe Elsewhere"] {
        assert!(!rows.contains(hidden), "{hidden}: {rows}");
    }

    // The supervisor sees their supervisee's; the other clinician only their own.
    let (_, _, html) = t.sign_in(&sup).await.get("/referrals").await;
    assert!(html.contains("Showing 1–2 of 2"), "{html}");
    assert!(html.contains("Xena Waiting") && !html.contains("Zoe Elsewhere"));
    let (_, _, html) = t.sign_in(&other).await.get("/referrals").await;
    assert!(
        html.contains("Showing 1–1 of 1 referral waiting for an answer."),
        "{html}"
    );
    assert!(html.contains("Zoe Elsewhere") && !html.contains("Xena Waiting"));

    // Referrals are clinical: the front desk and administrators are refused, and not offered the link.
    for who in [&desk, &admin] {
        let b = t.sign_in(who).await;
        let (status, _, html) = b.get("/referrals").await;
        assert_eq!(status, 403, "{html}");
        let (_, _, home) = b.get("/").await;
        assert!(!home.contains(r#"<a href="/referrals">"#), "{home}");
    }

    let details = t
        .query_text(&format!(
            "SELECT detail FROM audit_log WHERE action = 'referral.list' AND resource_id = '{xena}' ORDER BY seq"
        ))
        .await;
    assert!(
        details
            .iter()
            .any(|d| d == "1 waiting for an answer, on the practice's list"),
        "{details:?}"
    );
    let denied = t
        .query_text("SELECT outcome FROM audit_log WHERE action = 'referral.waiting' ORDER BY seq")
        .await;
    assert_eq!(
        denied.iter().filter(|o| *o == "denied").count(),
        2,
        "{denied:?}"
    );
    t.finish().await;
}

async fn a_long_list_of_waiting_referrals_is_paged_and_says_how_much_it_shows(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Paula Paged").await;
    for n in 0..53u64 {
        refer(&t, &clin, &c, &format!("Service {n:02}"), 60 - n).await;
    }
    let page = t.sign_in(&clin).await;
    let (_, _, html) = page.get("/referrals").await;
    assert!(
        html.contains("Showing 1–50 of 53 referrals waiting for an answer."),
        "{html}"
    );
    assert!(html.contains("Service 00") && !html.contains("Service 50"));
    assert!(html.contains(r#"<a href="/referrals?offset=50">Next page</a>"#));
    let (_, _, html) = page.get("/referrals?offset=50").await;
    assert!(
        html.contains("Showing 51–53 of 53 referrals waiting for an answer."),
        "{html}"
    );
    assert!(html.contains("Service 52") && !html.contains("Service 49"));
    assert!(html.contains(r#"<a href="/referrals?offset=0">Earlier page</a>"#));
    t.finish().await;
}
