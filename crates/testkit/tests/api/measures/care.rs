//! The clinical side: escalation of unacknowledged alerts, change statistics with their definitions, scheduled
//! links, and the instrument catalogue.

use super::*;
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, both};
use reqwest::Method;

both!(
    an_unacknowledged_alert_escalates_to_supervisors_and_administrators,
    results_show_reliable_improvement_and_recovery_with_definitions,
    scheduled_assignments_send_the_next_link_when_due,
    the_instrument_catalogue_is_fhir_friendly,
);

async fn an_unacknowledged_alert_escalates_to_supervisors_and_administrators(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
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

    let now = rapport_testkit::now();
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
    // Stamped with the moment the escalation ran as of, not the wall clock of the machine.
    let at: chrono::DateTime<chrono::Utc> = seen.json[0]["escalated_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((at - later).num_seconds().abs() <= 1, "{at} vs {later}");
    // Still the care team's to acknowledge.
    let ack = format!("/api/v1/alerts/{alert}/acknowledge");
    t.call(
        Some(&sup),
        Method::POST,
        &ack,
        Some(json!({"action": "contacted_client"})),
        None,
    )
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
        Some(json!({"action": "safety_plan_reviewed"})),
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
    let t = TestApp::spawn_at(b, SCENE).await;
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
    let t = TestApp::spawn_at(b, SCENE).await;
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
    let today = rapport_testkit::now().date_naive();
    assert_eq!(
        a.json["next_due_on"],
        json!((today + chrono::Duration::days(14)).to_string())
    );
    let now = rapport_testkit::now();
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
    let t = TestApp::spawn_at(b, SCENE).await;
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
