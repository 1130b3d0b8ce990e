//! The staff pages of measures, through a signed-in browser session: the client page's trends, change figures
//! and CSV export; assigning and entering answers; the alerts page and the dashboard banner; the caseload.

use super::*;
use rapport_app::audit::AuditQuery;
use rapport_domain::Role;
use rapport_testkit::{Backend, both};

both!(
    the_client_page_shows_trends_and_figures_and_exports_an_audited_csv,
    questionnaires_are_assigned_and_entered_through_the_pages,
    alerts_are_announced_on_the_dashboard_and_acknowledged_on_their_page,
    the_caseload_lists_clients_not_on_track_first,
    answers_from_paper_keep_the_day_they_were_given,
);

/// Enters PHQ-9 answers (items 1–9) as completed `days_ago` days ago.
async fn phq9_at(t: &TestApp, clin: &TestUser, client: &str, items: [i32; 9], days_ago: i64) {
    let mut body = phq9_json(items);
    let at = rapport_testkit::now() - chrono::Duration::days(days_ago);
    body["completed_at"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    t.post(
        clin,
        &format!("/api/v1/clients/{client}/measure-responses"),
        body,
    )
    .await
    .expect(201);
}

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The outcomes of the audit entries with this action about this client.
async fn audited(t: &TestApp, action: &str, client: &str) -> Vec<String> {
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
        .into_iter()
        .map(|e| e.outcome)
        .collect()
}

async fn the_client_page_shows_trends_and_figures_and_exports_an_audited_csv(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Tara Trend", "tara@client.test").await;
    phq9_at(&t, &clin, &client, [2, 2, 2, 2, 2, 2, 2, 3, 0], 56).await; // 17
    phq9_at(&t, &clin, &client, [2, 2, 2, 1, 1, 1, 2, 2, 0], 28).await; // 13
    phq9_at(&t, &clin, &client, [1, 1, 1, 1, 1, 1, 1, 1, 0], 0).await; // 8
    let page = t.sign_in(&clin).await;
    let (status, headers, html) = page
        .get(&format!("/clients/{client}?section=measures"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    let section = html
        .split("id=\"measures-h\"")
        .nth(1)
        .expect("a Measures section");
    assert!(section.contains(r#"<svg class="trend-chart""#));
    assert!(section.contains(r#"role="img" aria-labelledby="trend-phq9-t trend-phq9-d""#));
    assert!(section.contains("first 17 (Moderately severe), latest 8 (Mild)"));
    assert!(section.contains("Latest: <strong>8 (Mild)</strong>"));
    // Each figure with its definition.
    assert!(section.contains("Reliable improvement (NHS Talking Therapies)</dt><dd>yes"));
    assert!(section.contains("the score fell by 6 points or more"));
    assert!(section.contains("Reliable change index</dt>"));
    assert!(section.contains("scores as a table</summary>"));
    assert!(!html.contains("style=\""), "no inline styles under the CSP");

    let (status, headers, csv) = page.get(&format!("/clients/{client}/measures.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"measures-{client}.csv\"").as_str()
    );
    assert_eq!(headers["cache-control"], "no-store");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("client_id,instrument,instrument_name,"));
    assert!(
        lines[1].contains(",phq9,PHQ-9,44261-6,")
            && lines[1].contains(",17,true,false,Moderately severe,")
    );
    assert!(lines[3].ends_with(",staff,reliable_improvement"));
    assert!(!csv.contains("Tara"), "the export carries ids, not names");
    assert_eq!(
        audited(&t, "measure.results.export", &client).await,
        vec!["ok"]
    );

    // Someone outside the care team learns nothing, and the attempt is audited as a denial.
    let outsider = t.sign_in(&other).await;
    let (status, _, _) = outsider
        .get(&format!("/clients/{client}/measures.csv"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        audited(&t, "measure.results.export", &client).await,
        vec!["denied", "ok"]
    );
    t.finish().await;
}

async fn questionnaires_are_assigned_and_entered_through_the_pages(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Ari Assign", "ari@client.test").await;
    let page = t.sign_in(&clin).await;
    let (_, _, html) = page
        .get(&format!("/clients/{client}?section=measures"))
        .await;
    assert!(html.contains("No questionnaire answered yet."));
    assert!(html.contains("Assign questionnaire") && html.contains("Enter answers in session"));

    // Assigning sends the link through the outbox.
    let path = format!("/clients/{client}/measures/assign");
    let (status, location, _) = page
        .post(
            &path,
            &[
                ("instrument", "phq9"),
                ("schedule", "every_days"),
                ("every_days", "14"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/clients/{client}?section=measures&done=assigned")
    );
    assert_eq!(tokens(&t).await.len(), 1);
    let (_, _, html) = page.get(&location).await;
    assert!(html.contains("on its way to the client by e-mail"));
    assert!(html.contains("PHQ-9: every 14 days"));
    // A bad schedule comes back with the problem beside its field, and nothing is sent.
    let (status, _, html) = page
        .post(
            &path,
            &[
                ("instrument", "gad7"),
                ("schedule", "every_days"),
                ("every_days", "0"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"<p class="error" id="assign-every-e">"#),
        "{html}"
    );
    assert_eq!(tokens(&t).await.len(), 1);

    // In session: the form lists the items as radio groups; a blank question is refused by name.
    let (status, _, html) = page
        .get(&format!("/clients/{client}/measures/enter?instrument=phq9"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(html.matches(r#"type="radio" name="items.9""#).count(), 4);
    let enter = format!("/clients/{client}/measures/enter");
    let mut fields: Vec<(String, String)> = (1..=8)
        .map(|i| (format!("items.{i}"), "1".into()))
        .collect();
    fields.push(("instrument".into(), "phq9".into()));
    let (status, _, html) = page.post(&enter, &refs(&fields)).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"<p class="field-error" id="e-9">please choose an answer</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="1" checked"#),
        "the answers given are kept"
    );
    assert_eq!(stored_responses(&t).await, 0);
    fields.push(("items.9".into(), "2".into()));
    let (status, location, _) = page.post(&enter, &refs(&fields)).await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/clients/{client}?section=measures&done=entered-alert")
    );
    assert_eq!(stored_responses(&t).await, 1);
    let (_, _, html) = page.get(&location).await;
    assert!(html.contains("A critical answer raised an alert"));
    assert!(html.contains("1 alert is waiting for acknowledgement."));

    // Stopping the schedule.
    let assignment = t
        .get(
            &clin,
            &format!("/api/v1/clients/{client}/measure-assignments"),
        )
        .await
        .json[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, location, _) = page
        .post(
            &format!("/clients/{client}/measures/assignments/{assignment}/stop"),
            &[],
        )
        .await;
    assert_eq!(
        (status, location.ends_with("?section=measures&done=stopped")),
        (303, true)
    );
    t.finish().await;
}

async fn alerts_are_announced_on_the_dashboard_and_acknowledged_on_their_page(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let other = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Ada Alert", "ada@client.test").await;
    let page = t.sign_in(&clin).await;
    let (_, _, home) = page.get("/").await;
    assert!(!home.contains("alert-banner"));

    // The client answers item 9 by link.
    assign(&t, &clin, &client, json!({"instrument": "phq9"}))
        .await
        .expect(201);
    let token = tokens(&t).await.remove(0);
    let (status, _) = submit(&t, &token, &phq9_form(1, 1)).await;
    assert_eq!(status, 200);
    let alert = t.get(&clin, "/api/v1/alerts").await.json[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (_, _, home) = page.get("/").await;
    assert!(home.contains(r#"<div class="alert-banner" role="alert">"#));
    assert!(home.contains("1 unacknowledged alert needs your attention."));
    assert!(home.contains(r#"<a href="/alerts">"#));
    let (status, _, list) = page.get("/alerts").await;
    assert_eq!(status, 200);
    assert!(list.contains("Ada Alert") && list.contains("PHQ-9: critical answer to item 9"));
    let (status, _, one) = page.get(&format!("/alerts/{alert}")).await;
    assert_eq!(status, 200);
    assert!(one.contains("Thoughts that you would be better off dead"));
    assert!(one.contains("<td>Several days</td>"));
    assert_eq!(audited(&t, "measure.alert.read", &client).await, vec!["ok"]);

    // Someone outside the care team can neither see nor acknowledge it.
    let outsider = t.sign_in(&other).await;
    assert_eq!(outsider.get(&format!("/alerts/{alert}")).await.0, 404);
    let (status, _, _) = outsider
        .post(
            &format!("/alerts/{alert}/acknowledge"),
            &[("action", "contacted_client")],
        )
        .await;
    assert_eq!(status, 404);
    let (_, _, home) = outsider.get("/").await;
    assert!(!home.contains("alert-banner"));

    // Once escalated, the clinician's supervisor sees it too, but only the care team may acknowledge it.
    let sup = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, clin.id)
        .await
        .unwrap();
    let later = rapport_testkit::now() + chrono::Duration::hours(2);
    assert_eq!(t.app.escalate_measure_alerts(later).await.unwrap(), 1);
    let supervisor = t.sign_in(&sup).await;
    let (_, _, home) = supervisor.get("/").await;
    assert!(home.contains("1 unacknowledged alert needs your attention."));
    let (_, _, list) = supervisor.get("/alerts").await;
    assert!(list.contains("Escalated to you as supervisor") && list.contains("escalated</span>"));
    assert!(!list.contains("/acknowledge\""));
    let (_, _, list) = page.get("/alerts").await;
    assert!(list.contains(&format!("href=\"/alerts/{alert}#acknowledge\"")));
    let (_, _, one) = page.get(&format!("/alerts/{alert}")).await;
    assert!(one.contains(
        r#"<input type="radio" name="action" value="no_action_needed"> No action needed</label>"#
    ));

    // Without saying what was done, or "no action needed" without why: the same page, the note kept.
    let (status, _, again) = page
        .post(
            &format!("/alerts/{alert}/acknowledge"),
            &[("note", "thinking")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(again.contains("Not acknowledged: <a href=\"#ack-action\">say what was done"));
    assert!(again.contains(">thinking</textarea>"));
    let (status, _, again) = page
        .post(
            &format!("/alerts/{alert}/acknowledge"),
            &[("action", "no_action_needed")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(again.contains(r#"value="no_action_needed" checked"#));

    let (status, location, _) = page
        .post(
            &format!("/alerts/{alert}/acknowledge"),
            &[
                ("action", "no_action_needed"),
                (
                    "note",
                    "Answered about last month; seen in session today, no current intent.",
                ),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/alerts?done=acknowledged")
    );
    let (_, _, list) = page.get(&location).await;
    assert!(list.contains("Alert acknowledged") && list.contains("No open alerts."));
    // The alert keeps what was done, for whoever reads it later.
    let (_, _, done) = page.get(&format!("/alerts/{alert}")).await;
    assert!(
        done.contains("<h2>What was done</h2>\n<p>No action needed</p>"),
        "{done}"
    );
    assert!(done.contains("no current intent") && !done.contains("id=\"acknowledge\""));
    let (_, _, home) = page.get("/").await;
    assert!(!home.contains("alert-banner"));
    let (_, _, one) = page.get(&format!("/alerts/{alert}")).await;
    assert!(one.contains("Acknowledged ") && !one.contains("Acknowledge alert</button>"));
    t.finish().await;
}

async fn the_caseload_lists_clients_not_on_track_first(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let better = client_of(&t, &clin, "Bea Better", "bea@client.test").await;
    let worse = client_of(&t, &clin, "Wes Worse", "wes@client.test").await;
    let stuck = client_of(&t, &clin, "Stu Stuck", "stu@client.test").await;
    let none = client_of(&t, &clin, "Nel None", "nel@client.test").await;
    phq9_at(&t, &clin, &better, [2, 2, 2, 2, 2, 2, 2, 3, 0], 56).await; // 17
    phq9_at(&t, &clin, &better, [1, 1, 1, 1, 1, 1, 1, 1, 0], 0).await; // 8
    phq9_at(&t, &clin, &worse, [1, 1, 1, 1, 1, 1, 1, 1, 0], 28).await; // 8
    phq9_at(&t, &clin, &worse, [2, 2, 2, 2, 2, 2, 2, 1, 0], 0).await; // 15
    phq9_at(&t, &clin, &stuck, [2, 2, 2, 2, 2, 2, 1, 1, 0], 56).await; // 14
    phq9_at(&t, &clin, &stuck, [2, 2, 2, 2, 2, 1, 1, 1, 0], 0).await; // 13

    let r = t.get(&clin, "/api/v1/measures/caseload").await;
    r.expect(200);
    let rows = r.json["clients"].as_array().unwrap();
    let order: Vec<&str> = rows
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec![stuck.as_str(), worse.as_str(), better.as_str()]);
    assert_eq!(r.json["not_on_track"], json!(2));
    assert!(
        r.json["definition"]
            .as_str()
            .unwrap()
            .starts_with("Not on track:")
    );
    assert_eq!(
        rows[1]["reasons"],
        json!(["PHQ-9: reliable deterioration since the first score"])
    );
    assert_eq!(
        rows[0]["reasons"],
        json!(["PHQ-9: no reliable improvement after six weeks or more"])
    );
    assert_eq!(rows[2]["instruments"][0]["totals"], json!([17.0, 8.0]));
    assert_eq!(
        rows[2]["instruments"][0]["reliable_change"],
        json!("reliably_improved")
    );
    // Each client listed has its own audit entry; the one without measures was not read.
    for c in [&better, &worse, &stuck] {
        assert_eq!(audited(&t, "measure.caseload.read", c).await.len(), 1);
    }
    assert!(audited(&t, "measure.caseload.read", &none).await.is_empty());
    // Staff without clinical access see an empty caseload.
    assert_eq!(
        t.get(&admin, "/api/v1/measures/caseload").await.json["clients"],
        json!([])
    );

    let page = t.sign_in(&clin).await;
    let (status, _, html) = page.get("/measures").await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>2 not on track</strong>"));
    assert!(html.contains(r#"<svg class="sparkline""#) && html.contains("PHQ-9 trend: 17 → 8"));
    let stu = html.find("Stu Stuck").unwrap();
    let bea = html.find("Bea Better").unwrap();
    assert!(stu < bea, "not on track first");
    let report = t.app.verify_audit().await.unwrap();
    assert!(report.first_broken.is_none(), "{report:?}");
    t.finish().await;
}

/// A questionnaire filled in on paper is entered later with its own day: stored at noon of that day in the user's
/// zone, so the trend shows it where it belongs; a day to come or more than a year back is refused by name.
async fn answers_from_paper_keep_the_day_they_were_given(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let client = client_of(&t, &clin, "Pia Paper", "pia@client.test").await;
    let page = t.sign_in(&clin).await;
    let enter = format!("/clients/{client}/measures/enter");
    let (status, _, html) = page.get(&format!("{enter}?instrument=phq9")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"type="date" id="completed_on" name="completed_on""#),
        "{html}"
    );
    let now = rapport_testkit::now();
    let day = |days_from_now: i64| {
        (now + chrono::Duration::days(days_from_now))
            .date_naive()
            .to_string()
    };
    let answers = |on: String| {
        let mut f: Vec<(String, String)> = (1..=9)
            .map(|i| (format!("items.{i}"), "0".into()))
            .collect();
        f.push(("instrument".into(), "phq9".into()));
        f.push(("completed_on".into(), on));
        f
    };

    for (on, problem) in [
        (day(2), "Filled in on: cannot be in the future"),
        (
            day(-400),
            "Filled in on: is more than a year ago; check the date",
        ),
        ("14/03/2026".to_string(), "Filled in on: a date such as"),
    ] {
        let (status, _, html) = page.post(&enter, &refs(&answers(on.clone()))).await;
        assert_eq!(status, 422, "{on}");
        assert!(html.contains(problem), "{on}: {html}");
        assert!(
            html.contains(&format!(r#"value="{on}""#)),
            "what was typed stays: {on}"
        );
    }
    assert_eq!(stored_responses(&t).await, 0);

    let paper_day = day(-10);
    let (status, location, _) = page.post(&enter, &refs(&answers(paper_day.clone()))).await;
    assert_eq!(status, 303, "{location}");
    let (status, _, _) = page.post(&enter, &refs(&answers(String::new()))).await;
    assert_eq!(status, 303, "no day given is today");
    let r = t
        .get(&clin, &format!("/api/v1/clients/{client}/measures"))
        .await;
    r.expect(200);
    let mut when: Vec<chrono::DateTime<chrono::Utc>> = r.json["instruments"][0]["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["completed_at"].as_str().unwrap().parse().unwrap())
        .collect();
    when.sort();
    assert_eq!(when.len(), 2, "{}", r.json);
    // Noon of the paper day in the user's zone is within half a day of noon UTC that day.
    let noon_utc = chrono::NaiveDate::parse_from_str(&paper_day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    assert!(
        (when[0] - noon_utc).num_hours().abs() <= 14,
        "{} vs {noon_utc}",
        when[0]
    );
    assert!(
        (now - when[1]).num_minutes().abs() <= 5,
        "entered today: now"
    );
    t.finish().await;
}
