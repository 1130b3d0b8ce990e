//! Talk time during a group without a page reload: the page's click with `Rapport-Fragment: talk` answers with the
//! tally alone; a click held while offline carries its age and counts from when it happened; a held click older
//! than one already recorded, or held too long, is refused with its reason; the plain form still redirects.

use super::groups::{attendance, client, group, join, session};
use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both};
use serde_json::{Value, json};

both!(clicks_held_offline_count_from_when_they_happened);

async fn clicks_held_offline_count_from_when_they_happened(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let lead = t.user(&[Role::Clinician]).await;
    let g = group(&t, &lead, 12, &[&lead]).await;
    let a = client(&t, &lead, "Held Alma").await;
    let bb = client(&t, &lead, "Held Bruno").await;
    for m in [&a, &bb] {
        join(&t, &lead, &g, m).await.expect(201);
    }
    let s = session(&t, &lead, &g, "2026-11-17").await;
    attendance(
        &t,
        &lead,
        &s,
        1,
        json!([{"client_id": a, "status": "present"}, {"client_id": bb, "status": "present"}]),
    )
    .await
    .expect(200);
    let page = t.sign_in(&lead).await;
    let base = t.url(&format!("/group-sessions/{s}/talk"));
    let click = |who: String, ago: Option<u64>, fragment: bool| {
        let mut form = vec![
            ("_csrf".to_string(), page.csrf.clone()),
            ("client_id".to_string(), who),
        ];
        if let Some(ms) = ago {
            form.push(("ago_ms".to_string(), ms.to_string()));
        }
        let mut req = page.http.post(&base).form(&form);
        if fragment {
            req = req.header("Rapport-Fragment", "talk");
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    // Offline for two minutes: Alma began three minutes ago, Bruno one minute ago; both arrive now, in order.
    let (status, html) = click(a.clone(), Some(180_000), true).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.starts_with(r#"<div id="talk-tally""#),
        "only the tally: {html}"
    );
    assert!(!html.contains("<html"), "{html}");
    assert!(
        html.contains("Now speaking: <strong>Held Alma</strong>"),
        "{html}"
    );
    let (status, html) = click(bb.clone(), Some(60_000), true).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Now speaking: <strong>Held Bruno</strong>"),
        "{html}"
    );

    // Alma spoke for the two minutes between the clicks, not for the moment between their arrivals.
    let v = t.get(&lead, &format!("/api/v1/group-sessions/{s}")).await;
    let shares = v.json["talk"]["shares"].as_array().unwrap().clone();
    let seconds = |id: &str| -> i64 {
        shares
            .iter()
            .find(|x: &&Value| x["client_id"] == id)
            .unwrap()["seconds"]
            .as_i64()
            .unwrap()
    };
    let alma = seconds(&a);
    assert!((119..=122).contains(&alma), "Alma spoke {alma} s");

    // A held click older than one recorded since (another screen's) would rewrite history: refused, and said.
    let (status, html) = click(a.clone(), Some(120_000), true).await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains(r#"role="alert""#)
            && html.contains("later change of speaker is recorded already"),
        "{html}"
    );
    // Held for longer than ten minutes: refused, and said.
    let (status, html) = click(a.clone(), Some(11 * 60 * 1000), true).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("more than ten minutes"), "{html}");
    let (status, html) = click(a.clone(), None, true).await;
    assert_eq!(status, 200, "{html}");
    let v = t.get(&lead, &format!("/api/v1/group-sessions/{s}")).await;
    assert_eq!(
        v.json["talk"]["clicks"], 3,
        "the refused clicks left no trace"
    );

    // Without the script, the same form reloads the page.
    let (status, _) = click(String::new(), None, false).await;
    assert_eq!(status, 303);
    t.finish().await;
}
