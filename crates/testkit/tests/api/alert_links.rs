//! Where an alert e-mail's link leads someone off the care team: the on-call clinician (and anyone the alert
//! escalated to) learns that the alert is real and whom to reach, never the client, and may break the glass from
//! there; anyone who was not told of the alert gets "not found".

use crate::measures::{client_of, phq9_json};
use chrono::Duration;
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both};
use serde_json::json;

both!(an_alert_link_leads_the_on_call_clinician_to_the_care_team_and_the_glass,);

async fn an_alert_link_leads_the_on_call_clinician_to_the_care_team_and_the_glass(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let bystander = t.user(&[Role::Clinician]).await;
    let start = (rapport_testkit::now() - Duration::minutes(60)).format("%Y-%m-%dT%H:%M");
    let end = (rapport_testkit::now() + Duration::minutes(120)).format("%Y-%m-%dT%H:%M");
    t.post(
        &admin,
        "/api/v1/on-call-shifts",
        json!({"user_id": on_call.id, "start": start.to_string(), "end": end.to_string(), "time_zone": "UTC"}),
    )
    .await
    .expect(201);
    let client = client_of(&t, &clin, "Quentin Quietly", "quentin@client.test").await;
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/measure-responses"),
            phq9_json([1, 1, 1, 1, 1, 1, 1, 1, 3]),
        )
        .await;
    r.expect(201);
    let alert = r.json["alert_id"].as_str().unwrap().to_string();
    let link = format!("/alerts/{alert}");
    // Test accounts are named "Test <the tag in their e-mail address>".
    let tag = &clin.email[clin.email.find('-').unwrap() + 1..clin.email.find('@').unwrap()];
    let clin_name = format!("Test {tag}");

    // The on-call clinician follows the e-mail's link: the care team by name, the glass, not the client.
    let page = t.sign_in(&on_call).await;
    let (status, _, html) = page.get(&link).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("An alert for a client of {clin_name}")),
        "{html}"
    );
    assert!(html.contains("Not acknowledged yet"));
    assert!(html.contains(&format!(r#"action="/alerts/{alert}/break-glass""#)));
    for secret in ["Quentin", "Quietly", "PHQ", &client] {
        assert!(!html.contains(secret), "the notice shows {secret}");
    }

    // Someone who was never told of it cannot tell it from an unknown alert, nor break the glass through it.
    let other = t.sign_in(&bystander).await;
    let (status, _, html) = other.get(&link).await;
    assert_eq!(status, 404);
    assert!(!html.contains(&clin_name));
    let (status, _, _) = other
        .post(
            &format!("{link}/break-glass"),
            &[("reason", "I would like to see who this is about, please.")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = other
        .get(&format!("/alerts/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(status, 404);

    // A reason too short is refused on the same page; nothing is opened.
    let (status, _, html) = page
        .post(&format!("{link}/break-glass"), &[("reason", "urgent")])
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Nothing was opened"));
    assert!(html.contains(">urgent</textarea>"));
    assert_eq!(
        t.query_text("SELECT 'one' FROM emergency_access")
            .await
            .len(),
        0
    );

    // Breaking the glass from the alert: back to the alert, which now names the client and links to the record.
    let (status, location, _) = page
        .post(
            &format!("{link}/break-glass"),
            &[(
                "reason",
                "Nobody on the care team answers the phone and the answer needs a response now.",
            )],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, link);
    let (status, _, html) = page.get(&link).await;
    assert_eq!(status, 200);
    assert!(html.contains("Quentin Quietly"), "{html}");
    assert!(html.contains(&format!(r#"href="/clients/{client}?section=measures""#)));
    assert!(
        !html.contains(">Acknowledge alert</button>"),
        "emergency access reads; it does not acknowledge"
    );
    assert_eq!(
        t.query_text("SELECT 'one' FROM emergency_access")
            .await
            .len(),
        1
    );
    let detail = t
        .query_text(
            "SELECT detail FROM audit_log WHERE action = 'emergency.open' AND outcome = 'ok'",
        )
        .await;
    assert_eq!(detail.len(), 1);
    assert!(
        detail[0].contains(&format!("the client of alert {alert}")),
        "{detail:?}"
    );
    // The care team hears of it at once.
    assert!(
        t.mails("emergency_access")
            .await
            .iter()
            .any(|m| m.recipient == clin.email)
    );

    // The escalation reaches the administrator, who sees the notice without the glass (not clinical staff).
    let later = rapport_testkit::now() + Duration::minutes(120);
    assert_eq!(t.app.escalate_measure_alerts(later).await.unwrap(), 1);
    let (status, _, html) = t.sign_in(&admin).await.get(&link).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Only clinicians and supervisors can open a record in an emergency"));
    assert!(!html.contains("break-glass") && !html.contains("Quentin"));

    // Each look at the notice is in the audit log, with the client it concerns.
    let notices = t
        .query_text(
            "SELECT action FROM audit_log WHERE action = 'measure.alert.notice' AND outcome = 'ok' AND client_id IS NOT NULL",
        )
        .await;
    assert_eq!(notices.len(), 3, "{notices:?}");
    t.finish().await;
}
