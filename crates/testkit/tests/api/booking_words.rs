//! Public booking in words, on SQLite and PostgreSQL: clinicians' specialisations, age groups and languages as a
//! reader says them (never the stored codes), and the zone for times chosen from a list with the practice's zone
//! preselected (the browser's own is the page's script's to choose, tested in e2e/booking.test.mjs).

use crate::online::{browser, practice};
use rapport_testkit::{Backend, TestApp, between, both};
use serde_json::json;

both!(public_booking_describes_clinicians_in_words_and_preselects_the_practices_zone);

async fn public_booking_describes_clinicians_in_words_and_preselects_the_practices_zone(
    b: Backend,
) {
    let t = TestApp::spawn(b).await;
    let (admin, clin) = practice(&t, true).await;
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    let hours: Vec<serde_json::Value> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00:00", "end": "18:00:00"}))
        .collect();
    t.put(
        &clin,
        &path,
        v,
        json!({"time_zone": "Europe/Berlin", "weekly_hours": hours, "accepts_new_clients": true,
            "specialisations": ["eating_disorders", "ocd"], "age_groups": ["older_adults", "adults"], "languages": ["de", "en"]}),
    )
    .await
    .expect(200);
    let c = browser();
    let get = |p: String| {
        let c = c.clone();
        let url = t.url(&p);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };

    let index = get("/book".into()).await;
    let card = between(&index, r#"<div class="cards">"#, "</div>");
    assert!(
        card.contains("Specialises in eating disorders, OCD."),
        "{card}"
    );
    assert!(card.contains("Works with older adults, adults."), "{card}");
    assert!(card.contains("Languages: German, English."), "{card}");
    for code in ["eating_disorders", "older_adults", ">ocd", " de,", "de, en"] {
        assert!(!card.contains(code), "{code} in {card}");
    }

    // No location yet: the practice's zone is UTC, preselected; the list reads without underscores.
    let page = get(format!("/book/clinician/{}", clin.id)).await;
    assert!(
        page.contains(r#"<option value="UTC" selected>UTC</option>"#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="America/New_York">America/New York</option>"#));
    assert!(page.contains(r#"<script src="/static/tz-select.js" defer></script>"#));
    assert!(!page.contains(r#"data-chosen="yes""#), "nothing chosen yet");
    assert!(page.contains("Languages: German, English."), "{page}");

    // With a location, its zone is the practice's; a zone in the address is the visitor's choice.
    t.post(
        &admin,
        "/api/v1/locations",
        json!({"name": "Main office", "time_zone": "Europe/Berlin"}),
    )
    .await
    .expect(201);
    let page = get(format!("/book/clinician/{}", clin.id)).await;
    assert!(
        page.contains(r#"<option value="Europe/Berlin" selected>Europe/Berlin</option>"#),
        "{page}"
    );
    let page = get(format!("/book/clinician/{}?tz=America/New_York", clin.id)).await;
    assert!(page.contains(r#"<option value="America/New_York" selected>"#));
    assert!(page.contains(r#"data-chosen="yes""#));
    assert!(page.contains("Choose a time (America/New York)"), "{page}");

    let script = c.get(t.url("/static/tz-select.js")).send().await.unwrap();
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("resolvedOptions().timeZone")
    );
    t.finish().await;
}
