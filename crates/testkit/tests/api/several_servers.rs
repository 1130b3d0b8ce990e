//! Several servers on one database: the parts a single server never meets. Started together on a database that
//! needs migrating (servers restarted at once after an upgrade), every one starts, one after another under the
//! start lock, instead of all but one stopping on "duplicate key"; two servers' workers sending the same due
//! e-mails at the same moment send each once. The rest of running several servers (sessions, bookings, every
//! worker, a node killed mid-request) is checked with real processes behind haproxy by
//! scripts/robustness/multinode.py.

use rapport_app::domain::Role;
use rapport_app::mail::{MailConfig, Mailer};
use rapport_app::{App, AppConfig, Keyring};
use rapport_testkit::{
    Backend, SmtpSink, TestApp, both, client_body, drop_database, empty_database,
};
use serde_json::json;
use std::collections::HashSet;

both!(
    servers_started_together_on_a_new_database_all_start,
    two_servers_workers_send_each_due_message_once,
);

async fn servers_started_together_on_a_new_database_all_start(b: Backend) {
    let dir =
        std::env::temp_dir().join(format!("rapport-several-{}", uuid::Uuid::new_v4().simple()));
    let (url, pg) = empty_database(b, &dir, None).await;
    // One keyring for all, as a deployment copies it to every server.
    let keyring = Keyring::create(&dir.join("keyring.json")).unwrap();
    let open = || App::open(&url, &keyring, AppConfig::default());
    let (one, two, three) = tokio::join!(open(), open(), open());
    let apps: Vec<App> = [one, two, three]
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("server {} did not start: {e}", i + 1)))
        .collect();
    let count = |sql: &'static str| {
        let url = url.clone();
        async move { rapport_store::query_text(&url, sql).await.unwrap() }
    };
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM data_keys").await,
        ["1"],
        "one data key, made by the first server to start"
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM audit_head").await,
        [rapport_store::audit::PARTITIONS.to_string()],
        "one head per audit chain, made by the first server to start"
    );
    for app in &apps {
        assert_eq!(app.verify_audit().await.unwrap().first_broken, None);
    }
    drop(apps);
    drop_database(pg.as_deref()).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Message-ID header of a raw message.
fn message_id(raw: &str) -> Option<String> {
    raw.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .map(|v| v.trim().to_string())
}

async fn two_servers_workers_send_each_due_message_once(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    // Each assignment queues its first questionnaire link, due at once.
    for i in 0..12 {
        let client = t
            .post(
                &clin,
                "/api/v1/clients",
                client_body(&format!("Told Once {i}")),
            )
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.post(
            &clin,
            &format!("/api/v1/clients/{client}/measure-assignments"),
            json!({"instrument": "phq9"}),
        )
        .await
        .expect(201);
    }
    // A second server on the same database, with the same keyring.
    let keyring = Keyring::load(&t.dir.join("keyring.json")).unwrap();
    let other = App::open(&t.database_url, &keyring, AppConfig::default())
        .await
        .unwrap();
    let sink = SmtpSink::start().await;
    let mailer = || {
        Mailer::new(&MailConfig {
            smtp_url: sink.url().into(),
            from: "Rapport <desk@practice.test>".into(),
        })
        .unwrap()
    };
    let (here, there) = (mailer(), mailer());
    // Both scan the same twelve due messages, then race to claim each.
    let (a, b) = tokio::join!(t.app.deliver_due(&here), other.deliver_due(&there));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        (a.sent + b.sent, a.failed + b.failed),
        (12, 0),
        "{a:?} {b:?}"
    );
    let ids: Vec<String> = sink
        .messages()
        .iter()
        .filter_map(|m| message_id(m))
        .collect();
    assert_eq!(ids.len(), 12, "received: {ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 12, "{ids:?}");
    let again = other.deliver_due(&there).await.unwrap();
    assert_eq!(again.sent, 0, "nothing is left to send");
    t.finish().await;
}
