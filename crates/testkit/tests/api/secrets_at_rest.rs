//! A copy of the database opens nothing: after every kind of e-mailed one-time link has been queued, and again
//! after it has been sent, no working token is found anywhere in the database's files (SQLite: the database and
//! its WAL; PostgreSQL: a full `pg_dump`). Links are stored as hashes and e-mail bodies are sealed. Nor does it
//! show clinical labels: a group's name, a couple's label and an alert's reason are sealed like notes, including
//! rows written before they were (sealed at the next start).

use crate::portal::invite;
use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_store::keyring::Keyring;
use rapport_testkit::{Backend, SmtpSink, TestApp, both, client_body};
use serde_json::json;

both!(
    a_copy_of_the_database_holds_no_working_link,
    group_names_unit_labels_and_alert_reasons_are_not_in_a_copy,
    labels_stored_plain_by_an_older_version_are_sealed_at_the_next_start,
);

/// Every run of 32 or more URL-safe characters in the e-mails: the tokens of their links.
fn tokens_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() >= 32)
        .map(String::from)
        .collect()
}

/// Everything the database holds, as bytes an attacker with a copy of it would have.
async fn database_copy(t: &TestApp) -> Vec<u8> {
    match t.backend {
        Backend::Sqlite => {
            let mut all = Vec::new();
            for f in ["rapport.db", "rapport.db-wal"] {
                if let Ok(b) = std::fs::read(t.dir.join(f)) {
                    all.extend(b);
                }
            }
            all
        }
        Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .arg("--data-only")
                .arg(&t.database_url)
                .output()
                .expect("pg_dump (Debian's postgresql-client)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn a_copy_of_the_database_holds_no_working_link(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Secret Keeper");
    body["email"] = json!("keeper@client.test");
    let r = t.post(&clin, "/api/v1/clients", body).await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();

    // A questionnaire link, a diary link and a portal invitation: each e-mail carries a live token.
    t.post(
        &clin,
        &format!("/api/v1/clients/{client}/measure-assignments"),
        json!({"instrument": "phq9"}),
    )
    .await
    .expect(201);
    let behaviour = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/behaviours"),
            json!({"name": "Cravings", "kind": "count", "direction": "reduce", "target": 2, "target_per": "week"}),
        )
        .await;
    behaviour.expect(201);
    let link = t
        .call(
            Some(&clin),
            reqwest::Method::POST,
            &format!("/api/v1/clients/{client}/diary-link"),
            None,
            None,
        )
        .await;
    assert!(link.status.is_success(), "{}", link.text);
    let staff = t.sign_in(&clin).await;
    let (status, _, page) = invite(
        &staff,
        &client,
        "client",
        "Secret Keeper",
        "keeper@client.test",
    )
    .await;
    assert_eq!(status, 303, "{page}");

    let mut tokens = Vec::new();
    for kind in ["measure_link", "diary_link", "portal_invitation"] {
        let mails = t.mails(kind).await;
        assert_eq!(mails.len(), 1, "one {kind} e-mail");
        let found = tokens_in(&mails[0].body);
        assert!(
            !found.is_empty(),
            "a link in the {kind} e-mail: {}",
            mails[0].body
        );
        tokens.extend(found);
    }
    // The tokens are real: the questionnaire opens with its link.
    let q = tokens_in(&t.mails("measure_link").await[0].body);
    let page = t
        .http
        .get(t.url(&format!("/m/{}", q[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200, "the questionnaire link works");

    let copy = database_copy(&t).await;
    for token in &tokens {
        assert!(
            !contains(&copy, token),
            "a working token sits in the database while queued"
        );
    }

    // Sent, the bodies are dropped altogether.
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(&MailConfig {
        smtp_url: sink.url().into(),
        from: "Rapport <no-reply@practice.test>".into(),
    })
    .unwrap();
    let sent = t.app.deliver_due(&mailer).await.unwrap();
    assert_eq!((sent.sent, sent.failed), (3, 0));
    assert_eq!(sink.messages().len(), 3);
    for kind in ["measure_link", "diary_link", "portal_invitation"] {
        assert_eq!(
            t.mails(kind).await[0].body,
            "",
            "the {kind} body is gone once sent"
        );
    }
    let copy = database_copy(&t).await;
    for token in &tokens {
        assert!(
            !contains(&copy, token),
            "a working token sits in the database once sent"
        );
    }
    t.finish().await;
}

const GROUP: &str = "Anger management for veterans";
const RENAMED: &str = "Anger management (evenings)";
const UNIT: &str = "Okonkwo-Lindqvist marriage";
const REASON: &str = "PHQ-9: critical answer to item 9";

/// A group, a couple and an alert, each written through the API; returns the ids of the group and the unit.
async fn labels_through_the_api(t: &TestApp) -> (String, String) {
    let clin = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let mut ids = Vec::new();
    for name in ["Label Partner", "Label Other"] {
        let r = t.post(&clin, "/api/v1/clients", client_body(name)).await;
        r.expect(201);
        ids.push(r.json["id"].as_str().unwrap().to_string());
    }
    let g = t
        .post(
            &admin,
            "/api/v1/groups",
            json!({"name": GROUP, "kind": "psychoeducation", "capacity": 10, "facilitator_ids": [clin.id]}),
        )
        .await;
    g.expect(201);
    let group = g.json["id"].as_str().unwrap().to_string();
    // A rename is sealed as well.
    let v = t
        .get(&admin, &format!("/api/v1/groups/{group}"))
        .await
        .etag();
    t.put(
        &admin,
        &format!("/api/v1/groups/{group}"),
        v,
        json!({"name": RENAMED, "kind": "psychoeducation", "capacity": 10, "facilitator_ids": [clin.id]}),
    )
    .await
    .expect(200);
    let u = t
        .post(
            &clin,
            "/api/v1/units",
            json!({"kind": "couple", "label": UNIT, "members": [{"client_id": ids[0]}, {"client_id": ids[1]}]}),
        )
        .await;
    u.expect(201);
    let unit = u.json["id"].as_str().unwrap().to_string();
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{}/measure-responses", ids[0]),
            crate::measures::phq9_json([1, 1, 1, 1, 1, 1, 1, 1, 2]),
        )
        .await;
    r.expect(201);
    assert!(r.json["alert_id"].is_string(), "{}", r.text);

    // Each reads back, opened, where it is shown.
    let r = t.get(&admin, &format!("/api/v1/groups/{group}")).await;
    assert_eq!(r.json["name"], RENAMED, "{}", r.text);
    let r = t.get(&admin, "/api/v1/groups").await;
    assert_eq!(r.json[0]["name"], RENAMED, "{}", r.text);
    let r = t.get(&clin, &format!("/api/v1/units/{unit}")).await;
    assert_eq!(r.json["label"], UNIT, "{}", r.text);
    let r = t.get(&clin, "/api/v1/alerts").await;
    assert_eq!(r.json[0]["reason"], REASON, "{}", r.text);
    (group, unit)
}

async fn group_names_unit_labels_and_alert_reasons_are_not_in_a_copy(b: Backend) {
    let t = TestApp::spawn(b).await;
    labels_through_the_api(&t).await;
    let copy = database_copy(&t).await;
    for label in [GROUP, RENAMED, UNIT, "critical answer to item"] {
        assert!(
            !contains(&copy, label),
            "\"{label}\" is readable in a copy of the database"
        );
    }
    t.finish().await;
}

async fn labels_stored_plain_by_an_older_version_are_sealed_at_the_next_start(b: Backend) {
    let t = TestApp::spawn(b).await;
    let (group, unit) = labels_through_the_api(&t).await;
    assert_eq!(
        t.query_text("SELECT label FROM units").await,
        vec![String::new()]
    );
    // Rows as a version before sealing left them: the label in the plain column, no ciphertext (one row each).
    t.execute("UPDATE groups SET name = 'Plain old group', sealed_name = NULL")
        .await;
    t.execute("UPDATE units SET label = 'Plain old unit', sealed_label = NULL")
        .await;
    t.execute("UPDATE measure_alerts SET reason = 'Plain old reason', sealed_reason = NULL")
        .await;
    let plain = |sql: &'static str| t.query_text(sql);
    assert_eq!(
        plain("SELECT name FROM groups").await,
        vec!["Plain old group"]
    );

    // The next start seals them, once, and says so in the audit log.
    let keyring = Keyring::load(&t.dir.join("keyring.json")).unwrap();
    for _ in 0..2 {
        let store = rapport_store::Store::open(&t.database_url, &keyring)
            .await
            .unwrap();
        let unit = rapport_store::units::get(store.db(), store.cipher(), unit.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unit.label, "Plain old unit");
        store.close().await;
    }
    for sql in [
        "SELECT name FROM groups",
        "SELECT label FROM units",
        "SELECT reason FROM measure_alerts",
    ] {
        assert_eq!(plain(sql).await, vec![String::new()], "{sql}");
    }
    let sealings = plain("SELECT detail FROM audit_log WHERE action = 'store.labels_seal'").await;
    assert_eq!(sealings.len(), 1, "{sealings:?}");
    assert!(sealings[0].starts_with("3 "), "{sealings:?}");
    // The running server reads them as before.
    let admin = t.user(&[Role::Admin]).await;
    let r = t.get(&admin, &format!("/api/v1/groups/{group}")).await;
    assert_eq!(r.json["name"], "Plain old group", "{}", r.text);
    let copy = database_copy(&t).await;
    for label in ["Plain old group", "Plain old unit", "Plain old reason"] {
        assert!(
            !contains(&copy, label),
            "\"{label}\" is readable in a copy of the database once sealed"
        );
    }
    assert!(t.app.verify_audit().await.unwrap().first_broken.is_none());
    t.finish().await;
}
