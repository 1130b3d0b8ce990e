//! A supervisor co-signs a trainee's note with feedback: kept with the note (sealed at rest), shown to the trainee
//! on the note, through the API and the pages alike; too long is refused by name and co-signs nothing.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both, client_body};
use reqwest::Method;
use serde_json::json;

both!(a_supervisor_co_signs_with_feedback_the_trainee_reads);

async fn a_supervisor_co_signs_with_feedback_the_trainee_reads(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let trainee = t.user(&[Role::Clinician]).await;
    let supervisor = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), supervisor.id, trainee.id)
        .await
        .unwrap();
    let r = t
        .post(&trainee, "/api/v1/clients", client_body("Fay Feedback"))
        .await;
    r.expect(201);
    let client = r.json["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let n = t
            .post(
                &trainee,
                &format!("/api/v1/clients/{client}/notes"),
                json!({ "template": "progress_soap", "fields": {
                    "subjective": "Slept better.",
                    "objective": "Calm.",
                    "assessment": "Improving.",
                    "plan": "Continue weekly.",
                    "risk_level": "low",
                } }),
            )
            .await;
        n.expect(201);
        let id = n.json["id"].as_str().unwrap().to_string();
        t.call(
            Some(&trainee),
            Method::POST,
            &format!("/api/v1/notes/{id}/sign"),
            None,
            Some(1),
        )
        .await
        .expect(200);
        ids.push(id);
    }

    // Over the API: too long is a 422 naming the field, and the note still waits.
    let cosign = format!("/api/v1/notes/{}/cosign", ids[0]);
    let long = t
        .post(
            &supervisor,
            &cosign,
            json!({ "feedback": "x".repeat(4001) }),
        )
        .await;
    long.expect(422);
    assert!(long.text.contains("feedback"), "{}", long.text);
    let words = "Clear plan; name the exposure step you will take next time.";
    let done = t
        .post(&supervisor, &cosign, json!({ "feedback": words }))
        .await;
    done.expect(200);
    assert_eq!(done.json["status"], "cosigned");
    let read = t.get(&trainee, &format!("/api/v1/notes/{}", ids[0])).await;
    read.expect(200);
    assert_eq!(read.json["supervisor_feedback"]["text"], words);
    assert_eq!(
        read.json["supervisor_feedback"]["given_by"]["id"],
        json!(supervisor.id)
    );

    // Through the pages: the form offers the field; the trainee's page shows what was written.
    let sup_page = t.sign_in(&supervisor).await;
    let (status, _, html) = sup_page.get(&format!("/notes/{}", ids[1])).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<textarea id="feedback" name="feedback""#),
        "{html}"
    );
    let page_words = "Good risk assessment; keep the DAP order.";
    let (status, location, _) = sup_page
        .post(
            &format!("/notes/{}/cosign", ids[1]),
            &[("feedback", page_words)],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    let own_page = t.sign_in(&trainee).await;
    let (_, _, html) = own_page.get(&format!("/notes/{}", ids[1])).await;
    assert!(
        html.contains("feedback</dt>") && html.contains(page_words),
        "{html}"
    );

    // At rest, the words are nowhere in a copy of the database.
    let sql = match b {
        Backend::Sqlite => "SELECT hex(feedback) FROM note_feedback",
        Backend::Postgres => "SELECT encode(feedback, 'hex') FROM note_feedback",
    };
    let rows = t.query_text(sql).await;
    assert_eq!(rows.len(), 2);
    for r in &rows {
        for w in [words, page_words] {
            assert!(
                !r.to_lowercase().contains(&hex::encode(w.as_bytes())),
                "plaintext at rest"
            );
        }
    }
    let audited = t
        .query_text("SELECT detail FROM audit_log WHERE action = 'note.cosign'")
        .await;
    assert_eq!(
        audited
            .iter()
            .filter(|d| d.as_str() == "with feedback")
            .count(),
        2,
        "{audited:?}"
    );
    t.finish().await;
}
