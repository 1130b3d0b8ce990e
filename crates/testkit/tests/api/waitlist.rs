//! The waitlist: a cancellation offers the freed time to the best-fitting waiting clients, to staff and (when the
//! practice allows) by e-mail.

use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_testkit::{Backend, SmtpSink, TestApp, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(a_cancellation_offers_the_time_to_the_best_fitting_waiting_clients);

async fn a_cancellation_offers_the_time_to_the_best_fitting_waiting_clients(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let sched = t.user(&[Role::Scheduler]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let new_client = |name: &str, email: Option<&str>| {
        let mut b = client_body(name);
        b["time_zone"] = json!("Europe/Berlin");
        b["email"] = email.map(Value::from).unwrap_or(Value::Null);
        b
    };
    let x = t
        .post(
            &sched,
            "/api/v1/clients",
            new_client("Xavier Booked", Some("x@client.test")),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = t
        .post(&sched, "/api/v1/clients", new_client("Alma Tuesday", None))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bb = t
        .post(
            &sched,
            "/api/v1/clients",
            new_client("Bo Urgent", Some("bo@client.test")),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = t
        .post(&sched, "/api/v1/clients", new_client("Cy Couple", None))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = t
        .post(&sched, "/api/v1/clients", new_client("Di Friday", None))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/settings/waitlist",
        Some(json!({"email_offers": true})),
        None,
    )
    .await
    .expect(204);
    for (client, extra) in [
        (
            &a,
            json!({"days": ["Tue"], "earliest": "09:00", "latest": "12:00"}),
        ),
        (&bb, json!({"priority": 2})),
        (&c, json!({"type_key": "couple"})),
        (&d, json!({"days": ["Fri"]})),
    ] {
        let mut body = json!({"client_id": client, "type_key": "individual"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        t.post(&sched, "/api/v1/waitlist", body).await.expect(201);
    }
    // Bad input: an unknown weekday and a window that ends before it starts.
    let r = t.post(&sched, "/api/v1/waitlist", json!({"client_id": a, "type_key": "individual", "days": ["Someday"], "earliest": "12:00", "latest": "09:00"})).await;
    r.expect(422);
    // A Tuesday 10:00 Berlin session, more than a day ahead, is booked and then cancelled.
    let today = rapport_testkit::now().date_naive();
    let mut day = today + chrono::Duration::days(2);
    while chrono::Datelike::weekday(&day) != chrono::Weekday::Tue {
        day += chrono::Duration::days(1);
    }
    let booked = t
        .post(&sched, "/api/v1/appointments", json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [x], "start": format!("{day}T10:00"), "time_zone": "Europe/Berlin"}))
        .await;
    booked.expect(201);
    let id = booked.json["appointments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.call(
        Some(&sched),
        Method::POST,
        &format!("/api/v1/appointments/{id}/status"),
        Some(json!({"status": "cancelled"})),
        Some(1),
    )
    .await
    .expect(200);
    let list = t.get(&sched, "/api/v1/waitlist").await;
    list.expect(200);
    let entries = list.json.as_array().unwrap();
    let offered: Vec<&str> = entries
        .iter()
        .filter(|e| !e["offers"].as_array().unwrap().is_empty())
        .map(|e| e["client_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered,
        vec!["Bo Urgent", "Alma Tuesday"],
        "urgent first, and only those it fits: {}",
        list.text
    );
    let bo = entries
        .iter()
        .find(|e| e["client_name"] == "Bo Urgent")
        .unwrap();
    assert_eq!(
        bo["offers"][0]["start"],
        booked.json["appointments"][0]["start"]
    );
    assert_eq!(bo["offers"][0]["emailed"], true);
    assert_eq!(bo["offers"][0]["status"], "open");
    assert_eq!(
        bo["offers"][0]["start_local"],
        format!("{day}T10:00:00"),
        "shown on the client's wall clock"
    );
    // The offer e-mail goes to Bo (Alma has no address), and names nobody.
    let sink = SmtpSink::start().await;
    let m = Mailer::new(&MailConfig {
        smtp_url: sink.url().into(),
        from: "Rapport <desk@practice.test>".into(),
    })
    .unwrap();
    t.app.deliver_due(&m).await.unwrap();
    let offers: Vec<String> = sink
        .messages()
        .into_iter()
        .filter(|m| m.contains("has become available"))
        .collect();
    assert_eq!(offers.len(), 1, "{:?}", sink.messages());
    assert!(offers[0].contains("To: bo@client.test"));
    assert!(!offers[0].contains("Xavier") && !offers[0].contains(&clin.email));
    // Bo takes the offered time: the offer is booked for Bo, and withdrawn (taken) for Alma.
    t.post(&sched, "/api/v1/appointments", json!({"type_key": "individual", "clinician_id": clin.id, "client_ids": [bb], "start": format!("{day}T10:00"), "time_zone": "Europe/Berlin"}))
        .await
        .expect(201);
    let list = t.get(&sched, "/api/v1/waitlist").await;
    let status_of = |name: &str| {
        list.json
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["client_name"] == name)
            .map(|e| e["offers"][0]["status"].clone())
    };
    assert_eq!(status_of("Bo Urgent"), Some(json!("booked_for_client")));
    assert_eq!(
        status_of("Alma Tuesday"),
        Some(json!("taken")),
        "{}",
        list.text
    );
    // The page says so, and offers no booking link for a taken time.
    let (status, _, page) = t.sign_in(&sched).await.get("/waitlist").await;
    assert_eq!(status, 200);
    assert!(page.contains("taken by another booking"), "{page}");
    assert!(page.contains("booked for this client"), "{page}");
    assert!(!page.contains("Book this time"), "{page}");
    // Booked entries leave the default view.
    let bo_id = bo["id"].as_str().unwrap();
    t.post(
        &sched,
        &format!("/api/v1/waitlist/{bo_id}/status"),
        json!({"status": "booked"}),
    )
    .await
    .expect(204);
    let names: Vec<String> = t
        .get(&sched, "/api/v1/waitlist")
        .await
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["client_name"].as_str().unwrap().to_string())
        .collect();
    assert!(!names.contains(&"Bo Urgent".to_string()));
    assert_eq!(
        t.get(&sched, "/api/v1/waitlist?status=booked")
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Billing does not see the waitlist.
    let billing = t.user(&[Role::Billing]).await;
    t.get(&billing, "/api/v1/waitlist").await.expect(403);
    t.finish().await;
}
