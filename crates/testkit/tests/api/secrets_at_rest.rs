//! A copy of the database opens nothing: after every kind of e-mailed one-time link has been queued, and again
//! after it has been sent, no working token is found anywhere in the database's files (SQLite: the database and
//! its WAL; PostgreSQL: a full `pg_dump`). Links are stored as hashes and e-mail bodies are sealed.

use crate::portal::invite;
use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_testkit::{Backend, SmtpSink, TestApp, both, client_body};
use serde_json::json;

both!(a_copy_of_the_database_holds_no_working_link);

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
