//! The questionnaire link: e-mailed without the instrument's name, answered on the public page, scored and
//! alerted; used, expired and unknown links; links bound to one client; all-or-nothing; answers sealed at rest;
//! the CORE-10, whose licence requires its copyright line on every form that shows its questions.

use super::*;
use rapport_domain::Role;
use rapport_testkit::{Backend, both};
use reqwest::Method;

both!(
    a_client_answers_by_link_and_the_clinician_acknowledges_the_alert,
    a_used_expired_or_unknown_link_is_refused_in_plain_words,
    a_link_answers_only_for_the_client_it_was_sent_to,
    incomplete_or_out_of_range_answers_are_refused_and_nothing_is_stored,
    answers_are_encrypted_at_rest,
    the_core10_forms_show_its_copyright_line_and_its_risk_item_alerts,
);

const CORE_NOTICE: &str = "© CORE System Trust: https://www.coresystemtrust.org.uk/copyright.pdf";

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
    let did =
        || Some(json!({"action": "contacted_client", "note": "Called; safe and seen tomorrow."}));
    // Acknowledging says what was done; "no action needed" says why.
    for (body, field) in [
        (json!({}), "action"),
        (json!({"action": "clicked"}), "action"),
        (json!({"action": "no_action_needed"}), "note"),
    ] {
        let r = t
            .call(Some(&clin), Method::POST, &path, Some(body), None)
            .await;
        r.expect(422);
        assert_eq!(r.json["fields"][0]["field"], field);
    }
    let ack = t.call(Some(&clin), Method::POST, &path, did(), None).await;
    ack.expect(200);
    assert_eq!(ack.json["acknowledged_by"]["id"], json!(clin.id));
    assert_eq!(ack.json["acknowledged_action"], "Contacted the client");
    assert_eq!(
        ack.json["acknowledged_note"],
        "Called; safe and seen tomorrow."
    );
    t.call(Some(&clin), Method::POST, &path, did(), None)
        .await
        .expect(409);
    t.call(Some(&other), Method::POST, &path, did(), None)
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

async fn the_core10_forms_show_its_copyright_line_and_its_risk_item_alerts(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Cory Tenner", "cory@client.test").await;
    let listed = t.get(&clin, "/api/v1/instruments").await;
    let core = listed
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "core10")
        .cloned()
        .unwrap();
    assert_eq!(core["offered"], true);
    assert_eq!(core["licence"], "free_non_commercial");
    let one = t.get(&clin, "/api/v1/instruments/core10").await;
    one.expect(200);
    assert_eq!(one.json["licence"]["notice"], CORE_NOTICE);
    let copyright = one.json["questionnaire"]["copyright"].as_str().unwrap();
    assert!(copyright.starts_with(CORE_NOTICE), "{copyright}");

    assign(&t, &clin, &client, json!({"instrument": "core10"}))
        .await
        .expect(201);
    let token = tokens(&t).await.remove(0);
    let (status, html) = page(&t, &token).await;
    assert_eq!(status, 200);
    assert!(html.contains(CORE_NOTICE), "the client's form: {html}");
    assert!(html.contains("how you have been OVER THE LAST WEEK"));
    assert_eq!(html.matches(r#"type="radio" name="items.6""#).count(), 5);

    // Item 2 "often" counts 1 and item 3 "sometimes" 2 (reversed); item 6 "only occasionally": 11, and critical.
    let ticked = [1, 3, 2, 1, 0, 1, 2, 1, 2, 0];
    let form: Vec<(String, String)> = ticked
        .iter()
        .enumerate()
        .map(|(n, v)| (format!("items.{}", n + 1), v.to_string()))
        .collect();
    let (status, html) = submit(&t, &token, &form).await;
    assert_eq!(status, 200, "{html}");
    let r = t
        .get(&clin, &format!("/api/v1/clients/{client}/measures"))
        .await;
    r.expect(200);
    let resp = &r.json["instruments"][0]["responses"][0];
    assert_eq!(r.json["instruments"][0]["instrument"], "core10");
    assert_eq!(resp["total"], 11.0);
    assert_eq!(resp["band"], "Mild");
    assert_eq!(resp["critical"], true);
    let alerts = t.get(&clin, "/api/v1/alerts").await;
    assert_eq!(
        alerts.json[0]["reason"], "CORE-10: critical answer to item 6",
        "{}",
        alerts.text
    );

    // Staff entering answers in session see the same line.
    let session = t.sign_in(&clin).await;
    let (status, _, html) = session
        .get(&format!(
            "/clients/{client}/measures/enter?instrument=core10"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(CORE_NOTICE), "the staff form: {html}");
    // An instrument without a notice prints none.
    let (_, _, html) = session
        .get(&format!("/clients/{client}/measures/enter?instrument=phq9"))
        .await;
    assert!(!html.contains("licence-notice"));
    t.finish().await;
}
