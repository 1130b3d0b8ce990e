//! The administrators' mail page: every queued message's kind (in words), recipient, state and attempts, never
//! its subject or text; paged with "showing N of M"; a failed or given-up message retried from the page, the
//! retry audited; nobody but an administrator sees the queue.

use rapport_app::AppConfig;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both, client_body};
use serde_json::json;

both!(
    administrators_follow_and_retry_outgoing_mail,
    the_demo_mailbox_exists_only_in_a_demo_without_smtp
);

async fn administrators_follow_and_retry_outgoing_mail(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Mo Mail");
    body["email"] = json!("mo@client.test");
    let r = t.post(&clin, "/api/v1/clients", body).await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/measure-assignments"),
        json!({ "instrument": "phq9" }),
    )
    .await
    .expect(201);
    let subjects = t.query_text("SELECT subject FROM outbox").await;
    assert_eq!(subjects.len(), 1);

    let page = t.sign_in(&admin).await;
    let (status, _, html) = page.get("/admin/mail").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("questionnaire link") && html.contains("mo@client.test"),
        "{html}"
    );
    assert!(html.contains("Showing 1–1 of 1 message."), "{html}");
    assert!(html.contains("waiting"), "{html}");
    assert!(
        !html.contains(&subjects[0]),
        "the subject stays out of the page"
    );
    assert!(!html.contains("measure_link"), "no code shows");

    // Given up after failures: the page says so, and "Retry now" starts it over.
    let later = match b {
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%S+00:00', next_attempt_at, '+3650 days')",
        Backend::Postgres => "next_attempt_at + INTERVAL '3650 days'",
    };
    t.execute(&format!(
        "UPDATE outbox SET attempts = 12, last_error = 'smtp: 550 mailbox unavailable', \
         next_attempt_at = {later}"
    ))
    .await;
    let (_, _, html) = page.get("/admin/mail").await;
    assert!(
        html.contains("failed, given up") && html.contains("550 mailbox unavailable"),
        "{html}"
    );
    let id = rapport_testkit::between(&html, "/admin/mail/", "/retry");
    assert_eq!(id.len(), 36, "{html}");
    let (status, location, _) = page.post(&format!("/admin/mail/{id}/retry"), &[]).await;
    assert_eq!((status, location.as_str()), (303, "/admin/mail?retried=1"));
    let (_, _, html) = page.get(&location).await;
    assert!(html.contains("will be sent again"), "{html}");
    assert!(
        html.contains("waiting") && !html.contains("given up"),
        "{html}"
    );
    assert_eq!(
        t.query_text("SELECT CAST(attempts AS TEXT) FROM outbox")
            .await,
        vec!["0"]
    );
    let retried = t
        .query_text("SELECT outcome FROM audit_log WHERE action = 'outbox.retry'")
        .await;
    assert_eq!(retried, vec!["ok"]);
    // Sent messages leave the default list and stay in "all".
    t.execute("UPDATE outbox SET sent_at = created_at").await;
    let (_, _, html) = page.get("/admin/mail").await;
    assert!(html.contains("Nothing is waiting to be sent."), "{html}");
    let (_, _, html) = page.get("/admin/mail?all=1").await;
    assert!(
        html.contains("sent (") && !html.contains("Retry now"),
        "{html}"
    );
    // A sent message is not retried behind the page's back either.
    let (status, _, _) = page.post(&format!("/admin/mail/{id}/retry"), &[]).await;
    assert_eq!(status, 409);

    // Anyone else: refused, and the refusal audited.
    let other = t.sign_in(&clin).await;
    let (status, _, html) = other.get("/admin/mail").await;
    assert_eq!(status, 403, "{html}");
    assert!(!html.contains("mo@client.test"));
    let denied = t
        .query_text(
            "SELECT outcome FROM audit_log WHERE action = 'outbox.read' AND outcome = 'denied'",
        )
        .await;
    assert_eq!(denied.len(), 1);
    t.finish().await;
}

/// Assigns a questionnaire to a new client with an address: one message in the outbox.
async fn one_message(t: &TestApp, clin: &rapport_testkit::TestUser) {
    let mut body = client_body("Dee Demo");
    body["email"] = json!("dee@client.test");
    let r = t.post(clin, "/api/v1/clients", body).await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    t.post(
        clin,
        &format!("/api/v1/clients/{client}/measure-assignments"),
        json!({ "instrument": "phq9" }),
    )
    .await
    .expect(201);
}

async fn the_demo_mailbox_exists_only_in_a_demo_without_smtp(b: Backend) {
    // A real practice: no demo mailbox, for an administrator either.
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    one_message(&t, &clin).await;
    let page = t.sign_in(&admin).await;
    let (status, _, html) = page.get("/demo/mailbox").await;
    assert_eq!(status, 404);
    assert!(!html.contains("dee@client.test"));
    let (_, _, html) = page.get("/admin/mail").await;
    assert!(!html.contains("/demo/mailbox"));
    t.finish().await;

    // A demo without SMTP: the administrator reads what would have been sent and can follow its link.
    let t = TestApp::spawn_with(
        b,
        AppConfig {
            demo_mailbox: true,
            ..AppConfig::default()
        },
    )
    .await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    one_message(&t, &clin).await;
    let subject = t.query_text("SELECT subject FROM outbox").await.remove(0);
    let page = t.sign_in(&admin).await;
    let (_, _, html) = page.get("/admin/mail").await;
    assert!(html.contains(r#"href="/demo/mailbox""#), "{html}");
    let (status, _, html) = page.get("/demo/mailbox").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Demo only: nothing here was sent."), "{html}");
    assert!(
        html.contains(&subject) && html.contains("dee@client.test"),
        "{html}"
    );
    let link = rapport_testkit::between(&html, r#"<p><a href=""#, r#"">Follow the link"#);
    assert!(link.contains("/m/"), "a questionnaire link: {link}");
    // The link names the practice's public address; this test server listens elsewhere.
    let path = &link[link.find("/m/").unwrap()..];
    let opened = reqwest::get(t.url(path)).await.unwrap();
    assert_eq!(opened.status(), 200, "the link works: {link}");
    // Still the administrators' only.
    let other = t.sign_in(&clin).await;
    let (status, _, html) = other.get("/demo/mailbox").await;
    assert_eq!(status, 403);
    assert!(!html.contains("dee@client.test"));
    t.finish().await;
}
