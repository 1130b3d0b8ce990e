//! Measurement-based care through the API and the public questionnaire page: assignment with an e-mailed
//! single-use link (through a real SMTP server), scoring, alerts and their acknowledgement and escalation, change
//! statistics, links bound to one client, all-or-nothing submissions, and answers encrypted at rest.

use rapport_app::mail::{MailConfig, Mailer};
use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, SmtpSink, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_client_answers_by_link_and_the_clinician_acknowledges_the_alert,
    a_used_expired_or_unknown_link_is_refused_in_plain_words,
    a_link_answers_only_for_the_client_it_was_sent_to,
    incomplete_or_out_of_range_answers_are_refused_and_nothing_is_stored,
    answers_are_encrypted_at_rest,
    an_unacknowledged_alert_escalates_to_supervisors_and_administrators,
    results_show_reliable_improvement_and_recovery_with_definitions,
    scheduled_assignments_send_the_next_link_when_due,
    the_instrument_catalogue_is_fhir_friendly,
);

async fn client_of(t: &TestApp, clin: &TestUser, name: &str, email: &str) -> String {
    let mut body = client_body(name);
    body["email"] = json!(email);
    let r = t.post(clin, "/api/v1/clients", body).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

async fn assign(t: &TestApp, clin: &TestUser, client: &str, body: Value) -> Reply {
    t.post(
        clin,
        &format!("/api/v1/clients/{client}/measure-assignments"),
        body,
    )
    .await
}

/// The token of every questionnaire link queued so far, oldest first.
async fn tokens(t: &TestApp) -> Vec<String> {
    t.query_text("SELECT body FROM outbox WHERE kind = 'measure_link' ORDER BY created_at")
        .await
        .iter()
        .map(|b| token_in(b))
        .collect()
}

fn token_in(text: &str) -> String {
    let i = text.find("/m/").expect("a questionnaire link") + 3;
    text[i..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// PHQ-9 answers as form fields: items 1–8 at `rest`, item 9 at `item9`.
fn phq9_form(rest: i32, item9: i32) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = (1..=8)
        .map(|i| (format!("items.{i}"), rest.to_string()))
        .collect();
    f.push(("items.9".into(), item9.to_string()));
    f
}

fn phq9_json(items: [i32; 9]) -> Value {
    let answers: serde_json::Map<String, Value> = items
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1).to_string(), json!(v)))
        .collect();
    json!({ "instrument": "phq9", "answers": answers })
}

async fn page(t: &TestApp, token: &str) -> (u16, String) {
    let r = t
        .http
        .get(t.url(&format!("/m/{token}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn submit(t: &TestApp, token: &str, form: &[(String, String)]) -> (u16, String) {
    let r = t
        .http
        .post(t.url(&format!("/m/{token}")))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn stored_responses(t: &TestApp) -> usize {
    t.query_text("SELECT 'x' FROM measure_responses")
        .await
        .len()
}

fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&MailConfig {
        smtp_url: sink.url().into(),
        from: "Rapport <desk@practice.test>".into(),
    })
    .unwrap()
}

/// The body of a raw message (after the blank line that ends the headers).
fn body_of(raw: &str) -> String {
    let m = raw.replace("\r\n", "\n");
    m.split_once("\n\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or(m)
}

/// Messages received by the sink for one address, with quoted-printable soft line breaks undone.
fn mail_to(sink: &SmtpSink, address: &str) -> Vec<String> {
    sink.messages()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {address}")))
        .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

async fn a_client_answers_by_link_and_the_clinician_acknowledges_the_alert(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Casey Linkwood", "casey@client.test").await;
    let a = assign(&t, &clin, &client, json!({"instrument": "phq9"})).await;
    a.expect(201);
    assert_eq!(a.json["schedule"], "once");
    assert_eq!(a.json["next_due_on"], Value::Null);

    let sink = SmtpSink::start().await;
    assert_eq!(t.app.deliver_due(&mailer(&sink)).await.unwrap().sent, 1);
    let mail = mail_to(&sink, "casey@client.test");
    assert_eq!(mail.len(), 1);
    let body = body_of(&mail[0]).to_lowercase();
    assert!(
        body.contains("your practice asked you to fill in a short questionnaire"),
        "{body}"
    );
    for word in [
        "phq",
        "patient health",
        "depress",
        "suicid",
        "harm",
        "mental",
        "casey",
        "linkwood",
    ] {
        assert!(!body.contains(word), "the e-mail mentions '{word}': {body}");
    }
    let token = token_in(&mail[0]);

    let (status, html) = page(&t, &token).await;
    assert_eq!(status, 200);
    assert!(html.contains("<fieldset") && html.contains("<legend>"));
    assert!(html.contains(r#"type="radio" name="items.9" value="1""#));
    assert!(
        !html.contains("Casey"),
        "the form says nothing about whom it is for"
    );

    // Items 1–8 at 2 and item 9 at 1: total 17, moderately severe, and a critical answer.
    let (status, html) = submit(&t, &token, &phq9_form(2, 1)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Thank you"));

    let r = t
        .get(&clin, &format!("/api/v1/clients/{client}/measures"))
        .await;
    r.expect(200);
    let phq = &r.json["instruments"][0];
    assert_eq!(phq["instrument"], "phq9");
    assert_eq!(phq["loinc_total"], "44261-6");
    let resp = &phq["responses"][0];
    assert_eq!(resp["total"], 17.0);
    assert_eq!(resp["band"], "Moderately severe");
    assert_eq!(resp["critical"], true);
    assert_eq!(resp["entered_via"], "client_link");
    assert_eq!(r.json["open_alerts"], 1);

    let alerts = t.get(&clin, "/api/v1/alerts").await;
    alerts.expect(200);
    let list = alerts.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", alerts.text);
    assert_eq!(list[0]["client_name"], "Casey Linkwood");
    assert_eq!(list[0]["reason"], "PHQ-9: critical answer to item 9");
    assert_eq!(list[0]["instrument"], "phq9");
    let alert = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.get(&other, "/api/v1/alerts").await.json,
        json!([]),
        "not the care team, not their alert"
    );
    // The care team was told by e-mail, without the client's name.
    t.app.deliver_due(&mailer(&sink)).await.unwrap();
    let told = mail_to(&sink, &clin.email);
    assert_eq!(told.len(), 1);
    assert!(told[0].contains(&format!("/alerts/{alert}")));
    assert!(!body_of(&told[0]).contains("Casey") && !told[0].contains("PHQ"));

    let path = format!("/api/v1/alerts/{alert}/acknowledge");
    let ack = t.call(Some(&clin), Method::POST, &path, None, None).await;
    ack.expect(200);
    assert_eq!(ack.json["acknowledged_by"]["id"], json!(clin.id));
    t.call(Some(&clin), Method::POST, &path, None, None)
        .await
        .expect(409);
    t.call(Some(&other), Method::POST, &path, None, None)
        .await
        .expect(404);
    assert_eq!(t.get(&clin, "/api/v1/alerts").await.json, json!([]));

    // The link is used up: a second submission is refused and stores nothing.
    let (status, html) = submit(&t, &token, &phq9_form(0, 0)).await;
    assert_eq!(status, 409);
    assert!(html.contains("already been used"), "{html}");
    assert_eq!(stored_responses(&t).await, 1);
    t.finish().await;
}

async fn a_used_expired_or_unknown_link_is_refused_in_plain_words(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Eden Expiry", "eden@client.test").await;
    assign(
        &t,
        &clin,
        &client,
        json!({"instrument": "gad7", "link_days": 3}),
    )
    .await
    .expect(201);
    let token = tokens(&t).await.remove(0);
    assert_eq!(page(&t, &token).await.0, 200);
    t.execute("UPDATE measure_links SET expires_at = created_at")
        .await;
    let (status, html) = page(&t, &token).await;
    assert_eq!(status, 409);
    assert!(html.contains("has expired"), "{html}");
    let gad: Vec<(String, String)> = (1..=7)
        .map(|i| (format!("items.{i}"), "1".into()))
        .collect();
    let (status, html) = submit(&t, &token, &gad).await;
    assert_eq!(status, 409);
    assert!(html.contains("ask your practice for a new one"), "{html}");
    assert_eq!(stored_responses(&t).await, 0);

    let (status, html) = page(&t, "not-a-real-token").await;
    assert_eq!(status, 404);
    assert!(html.contains("not valid"), "{html}");
    assert_eq!(submit(&t, "not-a-real-token", &gad).await.0, 404);
    // Each refusal is in the audit log.
    let denied = t
        .query_text(
            "SELECT action FROM audit_log WHERE outcome = 'denied' AND action LIKE 'measure.%'",
        )
        .await;
    assert!(denied.len() >= 4, "{denied:?}");
    t.finish().await;
}

async fn a_link_answers_only_for_the_client_it_was_sent_to(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let a = client_of(&t, &clin, "Ari Bound", "ari@client.test").await;
    let b_client = client_of(&t, &clin, "Bea Other", "bea@client.test").await;
    let assignment = assign(&t, &clin, &a, json!({"instrument": "phq9"})).await;
    assignment.expect(201);
    let token = tokens(&t).await.remove(0);

    // Whatever else the form carries, the link decides whose answers these are.
    let mut form = phq9_form(1, 0);
    form.push(("client_id".into(), b_client.clone()));
    form.push(("client".into(), b_client.clone()));
    form.push(("instrument".into(), "gad7".into()));
    assert_eq!(submit(&t, &token, &form).await.0, 200);
    let of = |c: &str| format!("/api/v1/clients/{c}/measures");
    let ra = t.get(&clin, &of(&a)).await;
    assert_eq!(ra.json["instruments"][0]["instrument"], "phq9");
    assert_eq!(ra.json["instruments"][0]["responses"][0]["total"], 8.0);
    assert_eq!(
        t.get(&clin, &of(&b_client)).await.json["instruments"],
        json!([])
    );
    assert_eq!(stored_responses(&t).await, 1);

    // Staff cannot file an answer under another client's assignment either.
    let mut body = phq9_json([0; 9]);
    body["assignment_id"] = assignment.json["id"].clone();
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{b_client}/measure-responses"),
            body,
        )
        .await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "assignment_id");
    assert_eq!(stored_responses(&t).await, 1);
    t.finish().await;
}

async fn incomplete_or_out_of_range_answers_are_refused_and_nothing_is_stored(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Io Incomplete", "io@client.test").await;
    assign(&t, &clin, &client, json!({"instrument": "phq9"}))
        .await
        .expect(201);
    let token = tokens(&t).await.remove(0);

    let mut missing = phq9_form(1, 0);
    missing.retain(|(k, _)| k != "items.9" && k != "items.4");
    let (status, html) = submit(&t, &token, &missing).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Question 4") && html.contains("Question 9"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="1" checked"#),
        "what was chosen is kept"
    );
    let mut out_of_range = phq9_form(1, 0);
    out_of_range[0].1 = "7".into();
    let (status, html) = submit(&t, &token, &out_of_range).await;
    assert_eq!(status, 422);
    assert!(html.contains("must be one of 0, 1, 2, 3"), "{html}");
    let mut garbage = phq9_form(1, 0);
    garbage[2].1 = "lots".into();
    assert_eq!(submit(&t, &token, &garbage).await.0, 422);
    assert_eq!(stored_responses(&t).await, 0, "nothing stored");
    // The link was not used up by the refused attempts.
    assert_eq!(submit(&t, &token, &phq9_form(1, 0)).await.0, 200);
    assert_eq!(stored_responses(&t).await, 1);

    let path = format!("/api/v1/clients/{client}/measure-responses");
    let r = t
        .post(&clin, &path, phq9_json([1, 1, 1, 1, 1, 1, 1, 1, 4]))
        .await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "items.9");
    let mut incomplete = phq9_json([1; 9]);
    incomplete["answers"].as_object_mut().unwrap().remove("3");
    let r = t.post(&clin, &path, incomplete.clone()).await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "items.3");
    let mut unknown = phq9_json([1; 9]);
    unknown["answers"]["10"] = json!(1);
    let r = t.post(&clin, &path, unknown).await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "items.10");
    assert_eq!(stored_responses(&t).await, 1);
    // A paper form with a blank is scored by the published rule only when the clinician says so.
    incomplete["partial"] = json!(true);
    let r = t.post(&clin, &path, incomplete).await;
    r.expect(201);
    assert_eq!(r.json["score"]["prorated"], true);
    assert_eq!(r.json["score"]["total"], 9.0);
    t.finish().await;
}

async fn answers_are_encrypted_at_rest(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Cy Pher", "cy@client.test").await;
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/measure-responses"),
            phq9_json([3, 2, 1, 0, 3, 2, 1, 0, 0]),
        )
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap();
    let sql = match b {
        Backend::Sqlite => "SELECT hex(answers) FROM measure_responses",
        Backend::Postgres => "SELECT encode(answers, 'hex') FROM measure_responses",
    };
    let rows = t.query_text(sql).await;
    assert_eq!(rows.len(), 1);
    let bytes = hex::decode(&rows[0]).unwrap();
    assert!(
        serde_json::from_slice::<Value>(&bytes).is_err(),
        "the answers column holds JSON"
    );
    for plain in [&b"{\""[..], b"\"1\":", b"\"9\":"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain),
            "plaintext {:?} in the answers column",
            String::from_utf8_lossy(plain)
        );
    }
    // And they open again for the care team.
    let read = t
        .get(&clin, &format!("/api/v1/measure-responses/{id}"))
        .await;
    read.expect(200);
    assert_eq!(read.json["answers"]["1"], 3);
    assert_eq!(read.json["score"]["total"], 12.0);
    t.finish().await;
}

async fn an_unacknowledged_alert_escalates_to_supervisors_and_administrators(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    let bystander = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, clin.id)
        .await
        .unwrap();
    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/settings/measures",
        Some(json!({"escalate_after_minutes": 5})),
        None,
    )
    .await
    .expect(204);
    let client = client_of(&t, &clin, "Esme Escalate", "esme@client.test").await;
    let path = format!("/api/v1/clients/{client}/measure-responses");
    let r = t
        .post(&clin, &path, phq9_json([1, 1, 1, 1, 1, 1, 1, 1, 2]))
        .await;
    r.expect(201);
    let alert = r.json["alert_id"].as_str().unwrap().to_string();
    assert_eq!(
        t.get(&sup, "/api/v1/alerts").await.json,
        json!([]),
        "supervisors see an alert once it escalates"
    );

    let now = chrono::Utc::now();
    assert_eq!(t.app.escalate_measure_alerts(now).await.unwrap(), 0);
    let later = now + chrono::Duration::minutes(6);
    assert_eq!(t.app.escalate_measure_alerts(later).await.unwrap(), 1);
    assert_eq!(
        t.app.escalate_measure_alerts(later).await.unwrap(),
        0,
        "once"
    );
    let seen = t.get(&sup, "/api/v1/alerts").await;
    assert_eq!(seen.json[0]["id"], json!(alert));
    assert!(seen.json[0]["escalated_at"].is_string());
    // Still the care team's to acknowledge.
    let ack = format!("/api/v1/alerts/{alert}/acknowledge");
    t.call(Some(&sup), Method::POST, &ack, None, None)
        .await
        .expect(403);

    let sink = SmtpSink::start().await;
    t.app.deliver_due(&mailer(&sink)).await.unwrap();
    for who in [&sup, &admin] {
        let mail = mail_to(&sink, &who.email);
        assert_eq!(mail.len(), 1, "{} gets one escalation e-mail", who.email);
        assert!(mail[0].contains("has not been acknowledged within 5 minutes"));
        assert!(mail[0].contains(&format!("/alerts/{alert}")));
        assert!(!body_of(&mail[0]).contains("Esme") && !mail[0].contains("PHQ"));
    }
    assert!(mail_to(&sink, &bystander.email).is_empty());
    // The clinician who entered the answers is not e-mailed about their own alert.
    assert!(mail_to(&sink, &clin.email).is_empty());

    // An acknowledged alert never escalates.
    let r = t
        .post(&clin, &path, phq9_json([0, 0, 0, 0, 0, 0, 0, 0, 1]))
        .await;
    let second = r.json["alert_id"].as_str().unwrap().to_string();
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/alerts/{second}/acknowledge"),
        None,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        t.app
            .escalate_measure_alerts(later + chrono::Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    let escalations = t
        .query_text("SELECT action FROM audit_log WHERE action = 'measure.alert.escalate'")
        .await;
    assert_eq!(escalations.len(), 1);
    t.finish().await;
}

async fn results_show_reliable_improvement_and_recovery_with_definitions(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let sup = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, clin.id)
        .await
        .unwrap();
    let client = client_of(&t, &clin, "Rae Recovery", "rae@client.test").await;
    let path = format!("/api/v1/clients/{client}/measure-responses");
    let mut first = phq9_json([3, 3, 3, 3, 2, 2, 2, 0, 0]);
    first["completed_at"] = json!("2026-09-01T09:00:00Z");
    t.post(&clin, &path, first).await.expect(201);
    let one = t
        .get(&clin, &format!("/api/v1/clients/{client}/measures"))
        .await;
    assert_eq!(one.json["instruments"][0]["change"], Value::Null);
    assert!(one.json["instruments"][0]["change_note"].is_string());
    t.post(&clin, &path, phq9_json([1, 1, 1, 1, 1, 1, 1, 1, 0]))
        .await
        .expect(201);

    let r = t
        .get(&sup, &format!("/api/v1/clients/{client}/measures"))
        .await;
    r.expect(200);
    let phq = &r.json["instruments"][0];
    let totals: Vec<f64> = phq["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total"].as_f64().unwrap())
        .collect();
    assert_eq!(totals, vec![18.0, 8.0]);
    let c = &phq["change"];
    assert_eq!(c["baseline"], 18.0);
    assert_eq!(c["latest"], 8.0);
    assert_eq!(c["change"]["value"], -10.0);
    assert_eq!(
        c["reliable_change"]["outcome"]["value"],
        "reliably_improved"
    );
    assert!(c["reliable_change"]["rci"]["value"].as_f64().unwrap() < -1.96);
    assert!(
        c["reliable_change"]["rci"]["definition"]
            .as_str()
            .unwrap()
            .contains("Jacobson & Truax")
    );
    assert_eq!(c["clinical_significance"]["outcome"]["value"], "recovered");
    let tt = &c["talking_therapies"];
    for (figure, value) in [
        ("caseness_at_start", true),
        ("caseness_at_end", false),
        ("reliable_improvement", true),
        ("reliable_deterioration", false),
        ("recovery", true),
        ("reliable_recovery", true),
    ] {
        assert_eq!(tt[figure]["value"], value, "{figure}");
        assert!(
            !tt[figure]["definition"].as_str().unwrap().is_empty(),
            "{figure} has a definition"
        );
    }
    assert!(
        tt["reliable_improvement"]["definition"]
            .as_str()
            .unwrap()
            .contains("NHS Talking Therapies")
    );
    assert_eq!(r.json["talking_therapies_combined"], Value::Null);

    // With a GAD-7 pair as well, the programme's combined outcome appears.
    let gad = |v: i32| {
        let answers: serde_json::Map<String, Value> =
            (1..=7).map(|i| (i.to_string(), json!(v))).collect();
        json!({"instrument": "gad7", "answers": answers})
    };
    t.post(&clin, &path, gad(2)).await.expect(201);
    t.post(&clin, &path, gad(0)).await.expect(201);
    let r = t
        .get(&clin, &format!("/api/v1/clients/{client}/measures"))
        .await;
    let combined = &r.json["talking_therapies_combined"];
    assert_eq!(combined["recovery"]["value"], true, "{}", r.text);
    assert_eq!(combined["reliable_improvement"]["value"], true);
    t.finish().await;
}

async fn scheduled_assignments_send_the_next_link_when_due(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Sol Schedule", "sol@client.test").await;
    let a = assign(
        &t,
        &clin,
        &client,
        json!({"instrument": "gad7", "schedule": "every_days", "every_days": 14}),
    )
    .await;
    a.expect(201);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        a.json["next_due_on"],
        json!((today + chrono::Duration::days(14)).to_string())
    );
    let now = chrono::Utc::now();
    assert_eq!(t.app.send_due_measure_links(now).await.unwrap(), 0);
    let later = now + chrono::Duration::days(15);
    assert_eq!(t.app.send_due_measure_links(later).await.unwrap(), 1);
    assert_eq!(t.app.send_due_measure_links(later).await.unwrap(), 0);
    assert_eq!(tokens(&t).await.len(), 2);
    let list = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/measure-assignments"),
        )
        .await;
    assert_eq!(
        list.json[0]["next_due_on"],
        json!((today + chrono::Duration::days(28)).to_string())
    );
    let stop = format!(
        "/api/v1/clients/{client}/measure-assignments/{}/stop",
        a.json["id"].as_str().unwrap()
    );
    let r = t.call(Some(&clin), Method::POST, &stop, None, None).await;
    r.expect(200);
    assert_eq!(r.json["active"], false);
    let much_later = now + chrono::Duration::days(60);
    assert_eq!(t.app.send_due_measure_links(much_later).await.unwrap(), 0);
    assert_eq!(tokens(&t).await.len(), 2);
    t.finish().await;
}

async fn the_instrument_catalogue_is_fhir_friendly(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let list = t.get(&clin, "/api/v1/instruments").await;
    list.expect(200);
    let find = |id: &str| {
        list.json
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("phq9")["offered"], true);
    assert_eq!(find("phq9")["loinc_total"], "44261-6");
    assert_eq!(find("cssrs_screener")["offered"], false);

    let one = t.get(&clin, "/api/v1/instruments/phq9").await;
    one.expect(200);
    let q = &one.json["questionnaire"];
    assert_eq!(q["resourceType"], "Questionnaire");
    assert_eq!(q["status"], "active");
    assert_eq!(q["code"][0]["system"], "http://loinc.org");
    assert_eq!(q["code"][0]["code"], "44249-1");
    assert_eq!(q["item"].as_array().unwrap().len(), 10);
    assert_eq!(q["item"][8]["linkId"], "9");
    assert_eq!(q["item"][8]["answerOption"][1]["valueCoding"]["code"], "1");
    assert_eq!(one.json["bands"][3]["label"], "Moderately severe");
    t.get(&clin, "/api/v1/instruments/nope").await.expect(404);

    // An instrument whose licence nobody has reviewed is not offered to clients.
    let client = client_of(&t, &clin, "Lee Licence", "lee@client.test").await;
    let r = assign(&t, &clin, &client, json!({"instrument": "cssrs_screener"})).await;
    r.expect(422);
    assert_eq!(r.json["fields"][0]["field"], "instrument");
    let r = assign(
        &t,
        &clin,
        &client,
        json!({"instrument": "phq9", "schedule": "every_days", "every_days": 0, "link_days": 90}),
    )
    .await;
    r.expect(422);
    let fields: Vec<&str> = r.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["every_days", "link_days"]);
    t.finish().await;
}
