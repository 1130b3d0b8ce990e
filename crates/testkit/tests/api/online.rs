//! Online booking through the public pages: off until the practice turns it on; new clients request a first
//! consultation (approved by staff); existing clients book with a one-time link e-mailed through a real SMTP server.

use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_testkit::{Backend, SmtpSink, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    new_clients_request_a_first_consultation,
    existing_clients_book_with_a_one_time_link
);

/// A practice with online booking on (14 days ahead, 24 hours' notice) and one clinician working every day
/// 08:00–18:00 Berlin time; returns (administrator, clinician). Shared with `self_service`.
pub(crate) async fn practice(t: &TestApp, approve: bool) -> (TestUser, TestUser) {
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    let hours: Vec<Value> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00:00", "end": "18:00:00"}))
        .collect();
    t.put(&clin, &path, v, json!({"time_zone": "Europe/Berlin", "weekly_hours": hours, "accepts_new_clients": true, "specialisations": ["anxiety"]})).await.expect(200);
    let rules = json!({"enabled": true, "min_notice_hours": 24, "horizon_days": 14, "approve_new_clients": approve, "new_client_type": "consultation", "existing_client_type": "individual"});
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/settings/online-booking",
        Some(rules),
        None,
    )
    .await
    .expect(204);
    (admin, clin)
}

/// An HTTP client that does not follow redirects, like a visitor's browser seen one response at a time.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn first_slot(html: &str) -> String {
    let i = html
        .find("name=\"start\" value=\"")
        .expect("a time is offered")
        + "name=\"start\" value=\"".len();
    html[i..i + html[i..].find('"').unwrap()].to_string()
}

async fn new_clients_request_a_first_consultation(b: Backend) {
    let t = TestApp::spawn(b).await;
    let c = browser();
    assert_eq!(
        c.get(t.url("/book")).send().await.unwrap().status(),
        404,
        "off by default"
    );
    let (_, clin) = practice(&t, true).await;
    let index = c
        .get(t.url("/book"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        index.contains(&format!("/book/clinician/{}", clin.id)),
        "{index}"
    );
    let page = c
        .get(t.url(&format!("/book/clinician/{}?tz=America/New_York", clin.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = first_slot(&page);
    let at = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(
        at >= rapport_testkit::now() + chrono::Duration::hours(24),
        "minimum notice respected: {at}"
    );
    let form = |name: &str, email: &str, dob: &str, website: &str| {
        vec![
            ("name", name.to_string()),
            ("email", email.to_string()),
            ("date_of_birth", dob.to_string()),
            ("time_zone", "America/New_York".to_string()),
            ("start", start.clone()),
            ("website", website.to_string()),
        ]
    };
    let url = t.url(&format!("/book/clinician/{}", clin.id));
    // A minor is asked to have a guardian call; a robot's submission is quietly dropped.
    let minor = c
        .post(&url)
        .form(&form("Kid Online", "kid@x.test", "2015-01-01", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(minor.status(), 422);
    let robot = c
        .post(&url)
        .form(&form("Bot", "bot@x.test", "1990-01-01", "http://spam.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(robot.status(), 200);
    let ok = c
        .post(&url)
        .form(&form(
            "Rowan Newclient",
            "rowan@client.test",
            "1990-06-15",
            "",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("Request received"));
    // The same time again: gone.
    let again = c
        .post(&url)
        .form(&form("Sky Second", "sky@client.test", "1991-06-15", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);
    assert!(again.text().await.unwrap().contains("no longer available"));
    // Staff see one request, from a new inquiry, and accept it.
    let sched = t.user(&[Role::Scheduler]).await;
    let clients = t.get(&sched, "/api/v1/clients?q=rowan").await;
    assert_eq!(clients.json["total"], 1);
    assert_eq!(clients.json["items"][0]["status"], "inquiry");
    assert_eq!(
        t.get(&sched, "/api/v1/clients?q=bot").await.json["total"],
        0,
        "the robot stored nothing"
    );
    let day = at.date_naive();
    let cal = t
        .get(
            &sched,
            &format!(
                "/api/v1/appointments?from={day}&to={}",
                day + chrono::Duration::days(1)
            ),
        )
        .await;
    let list = cal.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", cal.text);
    assert_eq!(list[0]["status"], "requested");
    assert_eq!(list[0]["type_key"], "consultation");
    let id = list[0]["id"].as_str().unwrap();
    let r = t
        .call(
            Some(&sched),
            Method::POST,
            &format!("/api/v1/appointments/{id}/status"),
            Some(json!({"status": "booked"})),
            Some(1),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json["status"], "booked");
    let mail = t
        .query_text("SELECT recipient FROM outbox ORDER BY created_at")
        .await;
    assert!(mail.contains(&"rowan@client.test".to_string()), "{mail:?}");
    assert!(!mail.contains(&"bot@x.test".to_string()));
    t.finish().await;
}

async fn existing_clients_book_with_a_one_time_link(b: Backend) {
    let t = TestApp::spawn(b).await;
    let (_, clin) = practice(&t, true).await;
    let mut body = client_body("Ellis Returning");
    body["email"] = json!("ellis@client.test");
    body["time_zone"] = json!("Europe/Berlin");
    t.post(&clin, "/api/v1/clients", body).await.expect(201);
    let c = browser();
    for email in ["ellis@client.test", "stranger@nowhere.test"] {
        let r = c
            .post(t.url("/book/returning"))
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("If we have this address on file"),
            "the same answer for {email}"
        );
    }
    let sink = SmtpSink::start().await;
    let m = Mailer::new(&MailConfig {
        smtp_url: sink.url().into(),
        from: "Rapport <desk@practice.test>".into(),
    })
    .unwrap();
    t.app.deliver_due(&m).await.unwrap();
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1, "only the known address gets a link");
    let raw = msgs[0].replace("=\r\n", "").replace("=\n", "");
    let i = raw.find("/book/link/").unwrap();
    let token: String = raw[i + "/book/link/".len()..]
        .chars()
        .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
        .collect();
    let link = t.url(&format!("/book/link/{token}"));
    let page = c.get(&link).send().await.unwrap().text().await.unwrap();
    let start = first_slot(&page);
    let booked = c
        .post(&link)
        .form(&[("clinician_id", clin.id.to_string()), ("start", start)])
        .send()
        .await
        .unwrap();
    assert_eq!(booked.status(), 200);
    assert!(booked.text().await.unwrap().contains("Appointment booked"));
    // The link is used up.
    let reused = c.get(&link).send().await.unwrap();
    assert_eq!(reused.status(), 409);
    let cal = t
        .get(
            &clin,
            &format!(
                "/api/v1/appointments?from={}&to={}",
                rapport_testkit::now().date_naive(),
                rapport_testkit::now().date_naive() + chrono::Duration::days(20)
            ),
        )
        .await;
    let list = cal.json.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "booked");
    assert_eq!(list[0]["clients"][0]["name"], "Ellis Returning");
    t.finish().await;
}
