//! The staff pages of behaviour work, on SQLite and PostgreSQL: diary values entered in session (the diary link's
//! checks, errors beside their fields, nothing stored half), homework edited with a clear answer to a stale edit,
//! the administrator's diary-link setting, and the caseload's behaviour column (read set-based, audited).

use crate::behaviour::{behaviour, client_of, today};
use chrono::{Datelike, Days, Utc};
use rapport_app::audit::AuditQuery;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, TestUser, between, both};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    a_clinician_enters_diary_values_in_session_on_the_client_page,
    homework_is_changed_on_its_page_and_a_stale_edit_is_said_plainly,
    the_administrator_sets_how_long_diary_links_work,
    the_caseload_shows_diary_logging_and_overdue_homework_at_a_glance,
);

async fn entries(t: &TestApp, clin: &TestUser, client: &str) -> Vec<Value> {
    let r = t
        .get(clin, &format!("/api/v1/clients/{client}/behaviour-entries"))
        .await;
    r.expect(200);
    r.json.as_array().unwrap().clone()
}

async fn audited(t: &TestApp, action: &str, client: &str) -> usize {
    let q = AuditQuery {
        client_id: Some(client.parse().unwrap()),
        action: Some(action.into()),
        limit: Some(100),
        ..Default::default()
    };
    t.app
        .list_audit(&rapport_app::Ctx::operator(), &q)
        .await
        .unwrap()
        .len()
}

async fn a_clinician_enters_diary_values_in_session_on_the_client_page(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Sam Session", "sam@client.test").await;
    let drinks = behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Drinks", "kind": "count", "direction": "reduce", "target": 10, "target_per": "week"}),
    )
    .await;
    let sleep = behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Hours slept", "kind": "duration", "direction": "increase", "target": 420, "target_per": "day"}),
    )
    .await;
    let page = t.sign_in(&clin).await;
    let (_, _, html) = page
        .get(&format!("/clients/{client}?section=behaviour"))
        .await;
    assert!(html.contains("Enter diary values in session"), "{html}");
    assert!(html.contains(&format!(r#"name="value.{drinks}""#)));
    assert!(html.contains(&format!(r#"<label for="en-{sleep}">Hours slept"#)));

    let path = format!("/clients/{client}/behaviour-entries");
    let yesterday = (today() - Days::new(1)).to_string();
    let (status, location, _) = page
        .post(
            &path,
            &[
                ("date", yesterday.as_str()),
                (&format!("value.{drinks}"), "3"),
                (&format!("value.{sleep}"), "7,5"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/clients/{client}?section=behaviour&done=entries")
    );
    let (_, _, html) = page.get(&location).await;
    assert!(
        html.contains("The values were added to the client&#39;s diary.")
            || html.contains("The values were added to the client's diary."),
        "{html}"
    );
    let list = entries(&t, &clin, &client).await;
    assert_eq!(list.len(), 2);
    let minutes: Vec<f64> = list
        .iter()
        .filter(|o| o["code"]["text"] == "Hours slept")
        .map(|o| o["valueQuantity"]["value"].as_f64().unwrap())
        .collect();
    assert_eq!(minutes, vec![450.0], "hours typed, minutes stored");
    assert!(list.iter().all(|o| {
        o["effectiveDateTime"] == json!(yesterday)
            && o["performer"][0]["reference"]
                .as_str()
                .unwrap()
                .starts_with("Practitioner/")
    }));
    assert_eq!(audited(&t, "behaviour.entry.create", &client).await, 1);

    // One impossible value refuses the whole form, named beside its field; the good value is not stored either.
    let (status, _, html) = page
        .post(
            &path,
            &[
                (&format!("value.{drinks}"), "-2"),
                (&format!("value.{sleep}"), "8"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("nothing has been saved"), "{html}");
    assert!(
        html.contains(&format!(r#"<p class="field-error" id="e-{drinks}">"#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"id="en-{drinks}""#)) && html.contains(r#"aria-invalid="true""#)
    );
    assert!(html.contains(r#"value="-2""#), "what was typed is kept");
    // Over 24 hours in a day across entries: yesterday already has 7.5.
    let (status, _, html) = page
        .post(
            &path,
            &[
                ("date", yesterday.as_str()),
                (&format!("value.{sleep}"), "17"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(&format!(r#"id="e-{sleep}""#)), "{html}");
    // A future day, and an empty form.
    let tomorrow = (today() + Days::new(1)).to_string();
    let (status, _, html) = page
        .post(
            &path,
            &[
                ("date", tomorrow.as_str()),
                (&format!("value.{drinks}"), "1"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"<p class="field-error" id="e-date">"#),
        "{html}"
    );
    let (status, _, html) = page.post(&path, &[("date", "")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("nothing to save yet"), "{html}");
    assert_eq!(entries(&t, &clin, &client).await.len(), 2);

    // A clinician outside the care team cannot log for the client, and the refusal is audited.
    let outsider = t.sign_in(&other).await;
    let (status, _, _) = outsider
        .post(&path, &[(&format!("value.{drinks}"), "1")])
        .await;
    assert_eq!(status, 404);
    assert_eq!(entries(&t, &clin, &client).await.len(), 2);
    let report = t.app.verify_audit().await.unwrap();
    assert!(report.first_broken.is_none(), "{report:?}");
    t.finish().await;
}

async fn homework_is_changed_on_its_page_and_a_stale_edit_is_said_plainly(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Hana Homework", "hana@client.test").await;
    let due = (today() + Days::new(5)).to_string();
    let r = t
        .post(
            &clin,
            &format!("/api/v1/clients/{client}/homework"),
            json!({"title": "Thought record", "instructions": "Once a day.", "due_on": due}),
        )
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();

    let page = t.sign_in(&clin).await;
    let (_, _, html) = page
        .get(&format!("/clients/{client}?section=behaviour"))
        .await;
    assert!(
        html.contains(&format!(
            r#"<a href="/homework/{id}/edit">Change “Thought record”</a>"#
        )),
        "{html}"
    );
    let edit = format!("/homework/{id}/edit");
    let (status, _, html) = page.get(&edit).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"name="version" value="1""#) && html.contains(r#"value="Thought record""#)
    );

    let later = (today() + Days::new(9)).to_string();
    let (status, location, _) = page
        .post(
            &edit,
            &[
                ("version", "1"),
                ("title", "Thought record, evenings"),
                ("instructions", "After dinner."),
                ("due_on", later.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/clients/{client}?section=behaviour&done=homework-edited")
    );
    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/homework"))
        .await;
    assert_eq!(list.json[0]["title"], "Thought record, evenings");
    assert_eq!(list.json[0]["instructions"], "After dinner.");
    assert_eq!(list.json[0]["due_on"], json!(later));
    assert_eq!(list.json[0]["version"], 2);

    // Someone opened the form at version 1 and saves after the change above: nothing is saved, the page says why
    // and shows what is saved now, and the form now carries the current version.
    let (status, _, html) = page
        .post(
            &edit,
            &[
                ("version", "1"),
                ("title", "Mine"),
                ("instructions", ""),
                ("due_on", due.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        html.contains("Someone else changed this homework"),
        "{html}"
    );
    assert!(html.contains("Saved now") && html.contains("Thought record, evenings"));
    assert!(html.contains(r#"name="version" value="2""#) && html.contains(r#"value="Mine""#));
    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/homework"))
        .await;
    assert_eq!(list.json[0]["title"], "Thought record, evenings");
    // Saving again, knowingly, replaces it.
    let (status, _, _) = page
        .post(
            &edit,
            &[
                ("version", "2"),
                ("title", "Mine"),
                ("instructions", ""),
                ("due_on", due.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let list = t
        .get(&clin, &format!("/api/v1/clients/{client}/homework"))
        .await;
    assert_eq!(list.json[0]["title"], "Mine");
    assert_eq!(list.json[0]["instructions"], Value::Null);

    // A blank title is named beside its field; nothing changes.
    let (status, _, html) = page
        .post(
            &edit,
            &[("version", "3"), ("title", " "), ("due_on", due.as_str())],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"<p class="field-error" id="e-title">"#),
        "{html}"
    );
    assert_eq!(
        t.get(&clin, &format!("/api/v1/clients/{client}/homework"))
            .await
            .json[0]["version"],
        3
    );
    // Outside the care team the item does not exist.
    let outsider = t.sign_in(&other).await;
    assert_eq!(outsider.get(&edit).await.0, 404);
    let (status, _, _) = outsider
        .post(
            &edit,
            &[
                ("version", "3"),
                ("title", "Theirs"),
                ("due_on", due.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 404);
    // Two saves and the outsider's refusal; the stale and the invalid attempt stored nothing and left no entry.
    assert_eq!(audited(&t, "homework.update", &client).await, 3);
    t.finish().await;
}

async fn the_administrator_sets_how_long_diary_links_work(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let page = t.sign_in(&admin).await;
    let (status, _, html) = page.get("/admin/settings").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<label for="link-days">Days a diary link works</label>"#));
    assert!(html.contains(r#"value="30""#), "{html}");
    let (status, _, html) = page.post("/admin/settings", &[("link_days", "0")]).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("between 1 and 90 days") && html.contains(r#"aria-invalid="true""#),
        "{html}"
    );
    let (status, _, html) = page.post("/admin/settings", &[("link_days", "ten")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("a whole number of days"));
    let (status, _, html) = page.post("/admin/settings", &[("link_days", "14")]).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("work for 14 days") && html.contains(r#"value="14""#),
        "{html}"
    );

    // A link sent from now on works 14 days.
    let client = client_of(&t, &clin, "Lin Link", "lin@client.test").await;
    behaviour(
        &t,
        &clin,
        &client,
        json!({"name": "Drinks", "kind": "count", "direction": "reduce"}),
    )
    .await;
    let r = t
        .call(
            Some(&clin),
            Method::POST,
            &format!("/api/v1/clients/{client}/diary-link"),
            None,
            None,
        )
        .await;
    r.expect(201);
    let until: chrono::DateTime<Utc> = r.json["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (until - rapport_testkit::now()).num_hours();
    assert!((14 * 24 - 1..=14 * 24).contains(&days), "{days} hours");

    // Not the clinician's page; the setting is unchanged.
    let other = t.sign_in(&clin).await;
    assert_eq!(other.get("/admin/settings").await.0, 403);
    let (status, _, _) = other.post("/admin/settings", &[("link_days", "60")]).await;
    assert_eq!(status, 403);
    assert_eq!(t.app.behaviour_settings().await.unwrap().link_days, 14);
    t.finish().await;
}

async fn the_caseload_shows_diary_logging_and_overdue_homework_at_a_glance(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let busy = client_of(&t, &clin, "Bo Busy", "bo@client.test").await;
    let plain = client_of(&t, &clin, "Pia Plain", "pia@client.test").await;
    // A client with a diary and no questionnaire is on the caseload too, for the behaviour column.
    let diary_only = client_of(&t, &clin, "Dee Diary", "dee@client.test").await;
    behaviour(
        &t,
        &clin,
        &diary_only,
        json!({"name": "Cravings", "kind": "count", "direction": "reduce"}),
    )
    .await;
    for c in [&busy, &plain] {
        t.post(
            &clin,
            &format!("/api/v1/clients/{c}/measure-responses"),
            json!({"instrument": "gad7", "answers": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1}}),
        )
        .await
        .expect(201);
    }
    let drinks = behaviour(
        &t,
        &clin,
        &busy,
        json!({"name": "Drinks", "kind": "count", "direction": "reduce"}),
    )
    .await;
    // Last week (ISO, the client's zone is UTC): Monday to Saturday logged, Sunday not; this week's entries do not
    // count.
    let monday = today() - Days::new(u64::from(today().weekday().num_days_from_monday()) + 7);
    let mut list: Vec<Value> = (0..6)
        .map(|i| json!({"behaviour_id": drinks, "date": (monday + Days::new(i)).to_string(), "value": 1}))
        .collect();
    list.push(json!({"behaviour_id": drinks, "date": today().to_string(), "value": 2}));
    t.post(
        &clin,
        &format!("/api/v1/clients/{busy}/behaviour-entries"),
        json!({ "entries": list }),
    )
    .await
    .expect(201);
    // Two homework items, one of them moved into the past by an edit.
    for (title, past) in [("Walk", true), ("Read", false)] {
        let r = t
            .post(
                &clin,
                &format!("/api/v1/clients/{busy}/homework"),
                json!({"title": title, "due_on": (today() + Days::new(3)).to_string()}),
            )
            .await;
        r.expect(201);
        if past {
            t.put(
                &clin,
                &format!("/api/v1/homework/{}", r.json["id"].as_str().unwrap()),
                1,
                json!({"title": title, "due_on": (today() - Days::new(2)).to_string()}),
            )
            .await
            .expect(200);
        }
    }

    let r = t.get(&clin, "/api/v1/measures/caseload").await;
    r.expect(200);
    let row = |id: &str| {
        r.json["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == id)
            .cloned()
            .unwrap()
    };
    let g = &row(&busy)["behaviour"];
    assert_eq!(g["last_week"]["days_logged"], 6, "{g}");
    assert_eq!(g["last_week"]["days_expected"], 7, "{g}");
    assert_eq!(g["overdue_homework"], 1);
    assert_eq!(g["open_homework"], 2);
    assert_eq!(row(&plain)["behaviour"], Value::Null);
    let d = row(&diary_only);
    assert_eq!(d["instruments"], json!([]), "{d}");
    assert_eq!(d["last_completed_at"], Value::Null);
    assert_eq!(d["not_on_track"], false);
    assert!(d["behaviour"].is_object(), "{d}");
    assert_eq!(r.json["clients"].as_array().unwrap().len(), 3);
    assert_eq!(audited(&t, "measure.caseload.read", &diary_only).await, 1);
    assert!(
        r.json["behaviour_definition"]
            .as_str()
            .unwrap()
            .contains("last complete ISO week")
    );
    // Each client listed still has one audit entry per read; the behaviour column adds none.
    assert_eq!(audited(&t, "measure.caseload.read", &busy).await, 1);

    let page = t.sign_in(&clin).await;
    let (status, _, html) = page.get("/measures").await;
    assert_eq!(status, 200);
    assert!(html.contains("<th scope=\"col\">Behaviour work</th>"));
    assert!(
        html.contains("diary last week: 6 of 7 days (86%)"),
        "{html}"
    );
    assert!(html.contains(r#"<span class="tag risk">1 homework overdue</span>"#));
    let dee = between(&html, "Dee Diary</a>", "</tr>");
    assert!(dee.contains("no measures"), "{dee}");
    assert!(dee.contains("no questionnaire yet"), "{dee}");
    assert_eq!(audited(&t, "measure.caseload.read", &busy).await, 2);
    t.finish().await;
}
