//! Reminders through a real SMTP server (aiosmtpd): sent once, to the right person, saying nothing clinical;
//! moved and cancelled appointments are handled; failures are retried; a claim left by a process that died is
//! taken over once its lease runs out, and not before.

use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_testkit::{Backend, SmtpSink, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::json;

both!(
    a_reminder_is_sent_once_and_says_nothing_clinical,
    moved_and_cancelled_appointments_are_reminded_correctly,
    a_failed_send_is_retried_and_minors_reminders_go_to_guardians,
    a_claim_left_by_a_dead_process_is_taken_over_after_its_lease,
);

fn mailer(url: &str) -> Mailer {
    Mailer::new(&MailConfig {
        smtp_url: url.to_string().into(),
        from: "Rapport <reminders@practice.test>".into(),
    })
    .unwrap()
}

/// The body of a raw message, quoted-printable decoded.
fn mail_text(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let text = raw
        .split_once("\n\n")
        .map(|(_, b)| b)
        .unwrap_or("")
        .replace("=\n", "");
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn soon(hours: i64) -> String {
    (rapport_testkit::now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:00")
        .to_string()
}

async fn book(t: &TestApp, clin: &TestUser, client: &str, start: &str) -> String {
    let r = t
        .post(clin, "/api/v1/appointments", json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [client], "start": start, "time_zone": "UTC", "outside_working_hours": true}))
        .await;
    r.expect(201);
    r.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn a_reminder_is_sent_once_and_says_nothing_clinical(b: Backend) {
    let t = TestApp::spawn(b).await;
    let sink = SmtpSink::start().await;
    let clin = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/settings/reminders",
        Some(json!({"hours": 24, "practice_name": "Harbour Counselling"})),
        None,
    )
    .await
    .expect(204);
    let mut body = client_body("Morgan Reminder");
    body["email"] = json!("morgan@client.test");
    body["time_zone"] = json!("America/Chicago");
    body["presenting_problem"] = json!("panic attacks");
    let client = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let start = soon(5);
    book(&t, &clin, &client, &start).await;
    let m = mailer(&sink.url());
    let d = t.app.deliver_due(&m).await.unwrap();
    assert_eq!(d.sent, 1);
    assert_eq!(t.app.deliver_due(&m).await.unwrap().sent, 0, "at most once");
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    let msg = &msgs[0];
    assert!(msg.contains("To: morgan@client.test"), "{msg}");
    assert!(msg.contains("Subject: Appointment reminder"), "{msg}");
    let text = mail_text(msg);
    assert!(text.contains("Harbour Counselling"), "{text}");
    assert!(
        text.contains("America/Chicago"),
        "shown in the client's zone: {text}"
    );
    for secret in ["Morgan", "panic", "individual", "therapy", &clin.email] {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "the reminder mentions {secret}: {text}"
        );
    }
    t.finish().await;
}

async fn moved_and_cancelled_appointments_are_reminded_correctly(b: Backend) {
    let t = TestApp::spawn(b).await;
    let sink = SmtpSink::start().await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Casey Moved");
    body["email"] = json!("casey@client.test");
    body["time_zone"] = json!("UTC");
    let client = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let moved = book(&t, &clin, &client, &soon(5)).await;
    let cancelled = book(&t, &clin, &client, &soon(8)).await;
    let new_start = soon(10);
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/appointments/{moved}/reschedule"),
        Some(json!({"start": new_start, "time_zone": "UTC", "outside_working_hours": true})),
        Some(1),
    )
    .await
    .expect(200);
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/appointments/{cancelled}/status"),
        Some(json!({"status": "cancelled"})),
        Some(1),
    )
    .await
    .expect(200);
    assert_eq!(
        t.app.deliver_due(&mailer(&sink.url())).await.unwrap().sent,
        1
    );
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1, "one reminder, for the new time only");
    let hour = &new_start[11..13];
    assert!(
        mail_text(&msgs[0]).contains(&format!("at {hour}:00")),
        "{}",
        msgs[0]
    );
    t.finish().await;
}

async fn a_failed_send_is_retried_and_minors_reminders_go_to_guardians(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Kit Minor");
    body["date_of_birth"] = json!("2014-05-05");
    body["email"] = json!("kit@client.test");
    body["guardians"] = json!([{ "name": "Pat Guardian", "email": "pat@family.test" }]);
    let client = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    book(&t, &clin, &client, &soon(5)).await;
    // No server on this port: nothing is sent, and the message waits for a retry.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = t
        .app
        .deliver_due(&mailer(&format!("smtp://127.0.0.1:{closed}")))
        .await
        .unwrap();
    assert_eq!((d.sent, d.failed), (0, 1));
    let sink = SmtpSink::start().await;
    assert_eq!(
        t.app.deliver_due(&mailer(&sink.url())).await.unwrap().sent,
        0,
        "not before the back-off"
    );
    t.execute("UPDATE outbox SET next_attempt_at = created_at")
        .await;
    assert_eq!(
        t.app.deliver_due(&mailer(&sink.url())).await.unwrap().sent,
        1
    );
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].contains("To: pat@family.test"),
        "a minor's reminder goes to the guardian: {}",
        msgs[0]
    );
    t.finish().await;
}

async fn a_claim_left_by_a_dead_process_is_taken_over_after_its_lease(b: Backend) {
    use rapport_store::outbox;
    let t = TestApp::spawn(b).await;
    let sink = SmtpSink::start().await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut body = client_body("Lee Lease");
    body["email"] = json!("lee@client.test");
    let client = t.post(&clin, "/api/v1/clients", body).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    book(&t, &clin, &client, &soon(5)).await;
    // Another process claims the reminder and dies before sending it.
    let (db, _) = rapport_store::connect(&t.database_url).await.unwrap();
    let due = outbox::due(&db, rapport_testkit::now(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let claimed = outbox::claim(&db, &due[0], "<dead-process@practice.test>")
        .await
        .unwrap()
        .expect("the first claim wins");
    assert_eq!(
        claimed.message_id.as_deref(),
        Some("<dead-process@practice.test>")
    );
    assert!(
        outbox::claim(&db, &due[0], "<rival@practice.test>")
            .await
            .unwrap()
            .is_none(),
        "a claim is taken once"
    );
    let m = mailer(&sink.url());
    let minutes = |n: i64| (rapport_testkit::now() + chrono::Duration::minutes(n)).to_rfc3339();
    rapport_testkit::set_clock(&minutes(outbox::LEASE_MINUTES - 1));
    assert_eq!(
        t.app.deliver_due(&m).await.unwrap().sent,
        0,
        "a claim inside its lease is not taken over"
    );
    rapport_testkit::set_clock(&minutes(2));
    assert_eq!(t.app.deliver_due(&m).await.unwrap().sent, 1, "taken over");
    assert_eq!(
        t.app.deliver_due(&m).await.unwrap().sent,
        0,
        "and sent once"
    );
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    let id = due[0].id;
    assert!(
        msgs[0].contains(&format!("Message-ID: <{id}@practice.test>")),
        "{}",
        msgs[0]
    );
    let row = outbox::for_appointment(&db, due[0].appointment_id.unwrap())
        .await
        .unwrap();
    let row = row.iter().find(|r| r.id == id).unwrap();
    assert_eq!(row.attempts, 1, "the lost attempt is counted");
    assert!(
        row.last_error.as_deref().is_some_and(
            |e| e.contains("claim expired") && e.contains("<dead-process@practice.test>")
        ),
        "{:?}",
        row.last_error
    );
    assert!(row.sent_at.is_some());
    db.close().await.unwrap();
    t.finish().await;
}
