//! The audit log: reads and writes are recorded, denials too; the chain verifies and a tampered entry is named.

use rapport_app::audit::AuditQuery;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both, client_body};

both!(
    reads_writes_and_denials_are_audited,
    tampering_with_an_entry_is_detected,
    the_access_log_shows_who_read_a_record,
    a_long_access_log_page_links_to_its_older_entries
);

async fn reads_writes_and_denials_are_audited(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let id = t
        .post(&clin, "/api/v1/clients", client_body("Audit Example"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.get(&clin, &format!("/api/v1/clients/{id}"))
        .await
        .expect(200);
    t.get(&other, &format!("/api/v1/clients/{id}"))
        .await
        .expect(404);
    let log = t
        .get(&admin, &format!("/api/v1/audit?client_id={id}"))
        .await;
    log.expect(200);
    let entries = log.json.as_array().unwrap();
    let has = |action: &str, outcome: &str, who: &rapport_testkit::TestUser| {
        entries.iter().any(|e| {
            e["action"] == action
                && e["outcome"] == outcome
                && e["actor_id"] == serde_json::json!(who.id)
        })
    };
    assert!(has("client.create", "ok", &clin), "{}", log.text);
    assert!(has("client.read", "ok", &clin), "{}", log.text);
    assert!(has("client.read", "denied", &other), "{}", log.text);
    // No names or clinical text in the log itself.
    assert!(!log.text.contains("Audit Example"));
    let report = t.app.verify_audit().await.unwrap();
    assert_eq!(report.first_broken, None);
    assert!(report.entries >= 5);
    t.finish().await;
}

async fn tampering_with_an_entry_is_detected(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    for i in 0..3 {
        t.post(&clin, "/api/v1/clients", client_body(&format!("Chain {i}")))
            .await
            .expect(201);
    }
    assert_eq!(t.app.verify_audit().await.unwrap().first_broken, None);
    // Someone with database access rewrites who did something in entry 3.
    t.execute("UPDATE audit_log SET action = 'client.list' WHERE seq = 3")
        .await;
    let report = t.app.verify_audit().await.unwrap();
    let (seq, why) = report.first_broken.expect("the change is detected");
    assert_eq!(seq, 3, "{why}");
    let stored = crate::stored_audit_entries(&t).await;
    assert!(
        report.entries < stored,
        "the walk stops at the changed entry: {} of {stored}",
        report.entries
    );
    t.finish().await;
}

async fn the_access_log_shows_who_read_a_record(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let id = t
        .post(&clin, "/api/v1/clients", client_body("Access Example"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.get(&sched, &format!("/api/v1/clients/{id}"))
        .await
        .expect(200);
    let r = t
        .get(&clin, &format!("/api/v1/clients/{id}/access-log"))
        .await;
    r.expect(200);
    let readers: Vec<_> = r
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "client.read")
        .map(|e| e["actor_id"].clone())
        .collect();
    assert!(readers.contains(&serde_json::json!(sched.id)), "{}", r.text);
    t.get(&sched, &format!("/api/v1/clients/{id}/access-log"))
        .await
        .expect(403);
    // The admin's browser of the whole log works through the use case too.
    let admin = t.user(&[Role::Admin]).await;
    let all = t
        .app
        .list_audit(
            &admin.ctx(),
            &AuditQuery {
                action: Some("client.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(all.iter().all(|e| e.action.starts_with("client.")));
    t.finish().await;
}

/// A record read more often than one page of its access log holds: the page says nothing is missing by linking to
/// the older entries, which open on a page of their own.
async fn a_long_access_log_page_links_to_its_older_entries(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let id = t
        .post(&clin, "/api/v1/clients", client_body("Often Read"))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let client = rapport_domain::ClientId(id.parse().unwrap());
    for _ in 0..510 {
        t.app.get_client(&clin.ctx(), client).await.unwrap();
    }
    let web = t.sign_in(&clin).await;
    let (status, _, page) = web.get(&format!("/clients/{id}/access-log")).await;
    assert_eq!(status, 200);
    let older = rapport_testkit::between(&page, "<p><a href=\"", "\">Older entries</a>");
    assert!(
        older.starts_with(&format!("/clients/{id}/access-log?before=")),
        "{older}"
    );
    let (status, _, page) = web.get(&older.replace("&amp;", "&")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<code>client.read</code>"), "{page}");
    assert!(
        !page.contains("Older entries"),
        "the second page holds the rest"
    );
    t.finish().await;
}
