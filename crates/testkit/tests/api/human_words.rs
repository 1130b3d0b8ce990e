//! Human words on the staff pages that showed stored codes, on SQLite and PostgreSQL: the waitlist (session type,
//! mode, priority), the group directory (kind) and the clinician directory and profile (specialisations, age
//! groups, languages). The visible text of each page is scanned for `snake_case` tokens.

use crate::export::client;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both};
use serde_json::json;

both!(the_waitlist_groups_and_clinicians_pages_speak_in_words);

/// The page's text as read: tags, and what is inside `<script>`, dropped.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `snake_case` tokens in a text: lower-case words joined by underscores.
fn snake_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.contains('_')
                && w.split('_').all(|p| !p.is_empty())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_string)
        .collect()
}

async fn the_waitlist_groups_and_clinicians_pages_speak_in_words(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let c = client(&t, &admin, "Wanda Words").await;
    t.post(
        &admin,
        "/api/v1/waitlist",
        json!({"client_id": c, "type_key": "individual", "mode": "in_person", "priority": 2}),
    )
    .await
    .expect(201);
    t.post(
        &admin,
        "/api/v1/groups",
        json!({"name": "Learning together", "kind": "psychoeducation", "capacity": 8, "facilitator_ids": [clin.id]}),
    )
    .await
    .expect(201);
    let path = format!("/api/v1/clinicians/{}", clin.id);
    let v = t.get(&clin, &path).await.etag();
    t.put(
        &clin,
        &path,
        v,
        json!({"time_zone": "Europe/Berlin", "weekly_hours": [], "accepts_new_clients": true,
            "specialisations": ["eating_disorders", "self_harm"], "age_groups": ["older_adults"],
            "modalities": ["solution_focused"], "languages": ["de", "en"]}),
    )
    .await
    .expect(200);

    let page = t.sign_in(&admin).await;
    for (path, words) in [
        ("/waitlist", &["In person", "High"][..]),
        ("/groups", &["Psycho-education"][..]),
        (
            "/clinicians",
            &[
                "eating disorders, self-harm",
                "older adults",
                "German, English",
            ][..],
        ),
        (
            &*format!("/clinicians/{}", clin.id),
            &[
                "solution-focused therapy",
                "older adults",
                "German, English",
            ][..],
        ),
    ] {
        let (status, _, html) = page.get(path).await;
        assert_eq!(status, 200, "{path}");
        let text = visible_text(&html);
        for w in words {
            assert!(text.contains(w), "{path} should say {w}: {text}");
        }
        let codes = snake_tokens(&text);
        assert!(codes.is_empty(), "{path} shows codes {codes:?}");
    }
    t.finish().await;
}
