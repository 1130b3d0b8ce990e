//! The full export of a client's record and record requests (right of access): psychotherapy notes never leave,
//! another member's individual notes never leave, other group members' names never leave; only the care team
//! makes a copy; requests are due within the practice's period and answered once.

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::{Value, json};

both!(
    an_export_holds_the_record_and_nothing_that_is_not_the_clients,
    a_fulfilled_record_request_discloses_the_same_record_once,
    only_the_care_team_exports_and_every_refusal_is_audited,
    record_requests_are_due_in_thirty_days_and_the_overdue_lead,
    record_request_free_text_is_encrypted_at_rest,
    the_menu_offers_record_requests_to_whoever_may_see_them,
    a_record_request_is_extended_once_before_it_is_due,
);

pub(crate) async fn client(t: &TestApp, who: &TestUser, name: &str) -> String {
    let r = t.post(who, "/api/v1/clients", client_body(name)).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

pub(crate) async fn signed(
    t: &TestApp,
    who: &TestUser,
    path: &str,
    template: &str,
    fields: Value,
) -> String {
    let r = t
        .post(who, path, json!({ "template": template, "fields": fields }))
        .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    t.call(
        Some(who),
        Method::POST,
        &format!("/api/v1/notes/{id}/sign"),
        None,
        Some(1),
    )
    .await
    .expect(200);
    id
}

pub(crate) fn dap(text: &str) -> Value {
    json!({ "data": text, "assessment": "a", "plan": "p", "risk_level": "none" })
}

/// A client whose record touches everything the export must keep or leave out.
pub(crate) struct Scene {
    pub(crate) clin: TestUser,
    pub(crate) client: String,
    pub(crate) progress: String,
    pub(crate) psychotherapy: String,
    pub(crate) joint: String,
    pub(crate) partner: String,
    pub(crate) partner_note: String,
    pub(crate) other_member: String,
}

/// Words that belong to someone else's record, or to the psychotherapy note: none may appear in an export.
const FOREIGN: [&str; 8] = [
    "PSYCHO-SECRET",
    "PARTNER-OWN",
    "OTHER-MEMBER-NOTE",
    "Zebulon",
    "Quackenbush",
    "Wilhelmina",
    "Fairweather",
    "DRAFT-ONLY",
];

pub(crate) async fn scene(t: &TestApp) -> Scene {
    let clin = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let c = client(t, &clin, "Ingrid Holm").await;
    let partner = client(t, &clin, "Torvald Brekke").await;
    let notes = format!("/api/v1/clients/{c}/notes");
    let progress = signed(
        t,
        &clin,
        &notes,
        "progress_dap",
        dap("PROGRESS-MARK steady week"),
    )
    .await;
    let psychotherapy = signed(
        t,
        &clin,
        &notes,
        "psychotherapy",
        json!({ "notes": "PSYCHO-SECRET my hunch about the transference" }),
    )
    .await;
    t.post(
        &clin,
        &notes,
        json!({ "template": "progress_dap", "fields": dap("DRAFT-ONLY unsigned") }),
    )
    .await
    .expect(201);
    let unit = t
        .post(
            &admin,
            "/api/v1/units",
            json!({ "kind": "couple", "label": "Holm and Brekke", "members": [{ "client_id": c }, { "client_id": partner }] }),
        )
        .await;
    unit.expect(201);
    let unit = unit.json["id"].as_str().unwrap().to_string();
    let joint = signed(
        t,
        &clin,
        &format!("/api/v1/units/{unit}/notes"),
        "progress_dap",
        dap("JOINT-MARK both spoke about chores"),
    )
    .await;
    let partner_note = signed(
        t,
        &clin,
        &format!("/api/v1/clients/{partner}/notes"),
        "progress_dap",
        dap("PARTNER-OWN private worry"),
    )
    .await;

    // A group session: the other member's own note stays theirs, and a word in the shared note that is (later) a
    // member's name is redacted.
    let other_member = client(t, &clin, "Zebulon Quackenbush").await;
    let g = t
        .post(
            &clin,
            "/api/v1/groups",
            json!({"name": "Tuesday grief group", "kind": "support", "capacity": 12, "facilitator_ids": [clin.id]}),
        )
        .await;
    g.expect(201);
    let g = g.json["id"].as_str().unwrap().to_string();
    for m in [&c, &other_member] {
        t.post(
            &clin,
            &format!("/api/v1/groups/{g}/members"),
            json!({"client_id": m, "joined_on": "2026-09-01"}),
        )
        .await
        .expect(201);
    }
    let s = t
        .post(
            &clin,
            &format!("/api/v1/groups/{g}/sessions"),
            json!({"date": "2026-10-06"}),
        )
        .await;
    s.expect(201);
    let s = s.json["id"].as_str().unwrap().to_string();
    t.put(
        &clin,
        &format!("/api/v1/group-sessions/{s}/attendance"),
        1,
        json!({"entries": [{"client_id": c, "status": "present"}, {"client_id": other_member, "status": "present"}]}),
    )
    .await
    .expect(200);
    t.put(
        &clin,
        &format!("/api/v1/group-sessions/{s}/notes"),
        2,
        json!({"shared_note": "SHARED-MARK one member read a poem by Wilhelmina Stone.",
        "individual_notes": [
            {"client_id": c, "note": "OWN-GROUP-MARK spoke first."},
            {"client_id": other_member, "note": "OTHER-MEMBER-NOTE stayed silent."},
        ]}),
    )
    .await
    .expect(200);
    t.call(
        Some(&clin),
        Method::POST,
        &format!("/api/v1/group-sessions/{s}/sign"),
        None,
        Some(3),
    )
    .await
    .expect(200);
    let late = client(t, &clin, "Wilhelmina Fairweather").await;
    t.post(
        &clin,
        &format!("/api/v1/groups/{g}/members"),
        json!({"client_id": late, "joined_on": "2026-11-01"}),
    )
    .await
    .expect(201);
    Scene {
        clin,
        client: c,
        progress,
        psychotherapy,
        joint,
        partner,
        partner_note,
        other_member,
    }
}

/// The checks every copy of the record must pass, JSON or HTML.
pub(crate) fn holds_the_record_and_nothing_else(s: &Scene, text: &str) {
    for kept in [
        "PROGRESS-MARK",
        "JOINT-MARK",
        "OWN-GROUP-MARK",
        "SHARED-MARK",
        "[group member]",
        "Ingrid Holm",
    ] {
        assert!(text.contains(kept), "{kept} missing from the export");
    }
    assert!(
        text.contains("Psychotherapy notes (45 CFR 164.501) are kept apart"),
        "the exclusion is stated"
    );
    for gone in FOREIGN {
        assert!(!text.contains(gone), "{gone} leaked into the export");
    }
    for id in [&s.psychotherapy, &s.partner_note, &s.other_member] {
        assert!(!text.contains(id.as_str()), "{id} leaked into the export");
    }
    assert!(text.contains(&s.progress) && text.contains(&s.joint));
}

async fn an_export_holds_the_record_and_nothing_that_is_not_the_clients(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let s = scene(&t).await;
    let r = t
        .get(&s.clin, &format!("/api/v1/clients/{}/export", s.client))
        .await;
    r.expect(200);
    holds_the_record_and_nothing_else(&s, &r.text);
    let j = &r.json;
    assert_eq!(j["format"], "rapport.client-record/1");
    assert_eq!(j["purpose"]["kind"], "export");
    assert_eq!(j["generated_by"]["id"], s.clin.id.to_string());
    let notes: Vec<&str> = j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes.len(),
        2,
        "the signed progress note and the joint note: {notes:?}"
    );
    for n in j["notes"].as_array().unwrap() {
        assert_eq!(n["hash_verified"], true);
        assert!(n["content_hash"].as_str().is_some_and(|h| h.len() == 64));
    }
    assert_eq!(j["group_sessions"][0]["attendance"], "present");
    assert_eq!(
        j["group_sessions"][0]["shared_note"],
        "SHARED-MARK one member read a poem by [group member] Stone."
    );
    // The partner's own export has the joint note and not this client's progress note.
    let p = t
        .get(&s.clin, &format!("/api/v1/clients/{}/export", s.partner))
        .await;
    p.expect(200);
    assert!(p.text.contains("JOINT-MARK") && p.text.contains("PARTNER-OWN"));
    assert!(!p.text.contains("PROGRESS-MARK") && !p.text.contains(&s.progress));

    // The printable page shows the same record.
    let browser = t.sign_in(&s.clin).await;
    let (status, _, html) = browser.get(&format!("/clients/{}/export", s.client)).await;
    assert_eq!(status, 200, "{html}");
    holds_the_record_and_nothing_else(&s, &html.replace("&quot;", "\""));
    let (status, headers, file) = browser
        .get(&format!("/clients/{}/export.json", s.client))
        .await;
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
    );
    holds_the_record_and_nothing_else(&s, &file);

    // Each copy is one audit entry naming the client and the sections it holds.
    let log = t
        .get(&s.clin, &format!("/api/v1/clients/{}/access-log", s.client))
        .await;
    log.expect(200);
    let entries: Vec<&str> = log
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "client.export" && e["outcome"] == "ok")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(entries[0].contains("2 notes"), "{entries:?}");
    t.finish().await;
}

async fn log_request(
    t: &TestApp,
    who: &TestUser,
    client: &str,
    body: Value,
) -> rapport_testkit::Reply {
    t.post(
        who,
        &format!("/api/v1/clients/{client}/record-requests"),
        body,
    )
    .await
}

async fn a_fulfilled_record_request_discloses_the_same_record_once(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let s = scene(&t).await;
    let desk = t.user(&[Role::Scheduler]).await;
    let r = log_request(
        &t,
        &desk,
        &s.client,
        json!({"capacity": "representative", "requester": "Maren Holm (attorney)", "format": "electronic", "delivery": "email"}),
    )
    .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["status"], "open");
    assert_eq!(
        r.json["can_answer"], false,
        "the front desk logs, the care team answers"
    );
    // The front desk cannot answer it; the care team can.
    t.call(
        Some(&desk),
        Method::POST,
        &format!("/api/v1/record-requests/{id}/fulfil"),
        None,
        None,
    )
    .await
    .expect(403);
    let f = t
        .call(
            Some(&s.clin),
            Method::POST,
            &format!("/api/v1/record-requests/{id}/fulfil"),
            None,
            None,
        )
        .await;
    f.expect(200);
    holds_the_record_and_nothing_else(&s, &f.text);
    assert_eq!(f.json["record"]["purpose"]["kind"], "record_request");
    assert_eq!(f.json["record"]["purpose"]["request_id"], id);
    assert_eq!(f.json["request"]["status"], "fulfilled");
    assert_eq!(f.json["request"]["decided_by"]["id"], s.clin.id.to_string());
    assert!(f.json["request"]["decided_at"].is_string());
    // Answered once.
    t.call(
        Some(&s.clin),
        Method::POST,
        &format!("/api/v1/record-requests/{id}/fulfil"),
        None,
        None,
    )
    .await
    .expect(409);
    // The disclosure is in the client's access log.
    let log = t
        .get(&s.clin, &format!("/api/v1/clients/{}/access-log", s.client))
        .await;
    log.expect(200);
    let disclosures: Vec<&Value> = log
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "record_request.fulfil" && e["outcome"] == "ok")
        .collect();
    assert_eq!(disclosures.len(), 1);
    assert!(
        disclosures[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("disclosure of the record")
    );
    // Fulfilled requests leave the open register.
    let open = t.get(&desk, "/api/v1/record-requests").await;
    open.expect(200);
    assert!(open.json.as_array().unwrap().is_empty());
    let all = t.get(&desk, "/api/v1/record-requests?status=all").await;
    assert_eq!(all.json[0]["status"], "fulfilled");

    // Through the page: fulfilling a second request renders the printable record.
    let r = log_request(
        &t,
        &s.clin,
        &s.client,
        json!({"capacity": "client", "format": "paper", "delivery": "collect"}),
    )
    .await;
    r.expect(201);
    let second = r.json["id"].as_str().unwrap().to_string();
    let browser = t.sign_in(&s.clin).await;
    let (status, _, html) = browser.get("/record-requests").await;
    assert_eq!(status, 200);
    assert!(html.contains("Ingrid Holm") && html.contains(&second));
    let (status, _, html) = browser
        .post(&format!("/record-requests/{second}/fulfil"), &[])
        .await;
    assert_eq!(status, 200, "{html}");
    holds_the_record_and_nothing_else(&s, &html.replace("&quot;", "\""));
    t.finish().await;
}

async fn only_the_care_team_exports_and_every_refusal_is_audited(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let s = scene(&t).await;
    let path = format!("/api/v1/clients/{}/export", s.client);
    for (roles, status) in [
        (vec![Role::Scheduler], 403),
        (vec![Role::Billing], 403),
        (vec![Role::Admin], 403),
        (vec![Role::Clinician], 404),
        (vec![Role::Supervisor], 404),
    ] {
        let who = t.user(&roles).await;
        let r = t.get(&who, &path).await;
        r.expect(status);
        assert!(!r.text.contains("PROGRESS-MARK"));
    }
    // A supervisor of the clinician reads the chart but does not make copies of it.
    let sup = t.user(&[Role::Supervisor]).await;
    t.app
        .add_supervision(&rapport_app::Ctx::operator(), sup.id, s.clin.id)
        .await
        .unwrap();
    t.get(&sup, &format!("/api/v1/clients/{}/chart", s.client))
        .await
        .expect(200);
    t.get(&sup, &path).await.expect(403);
    let denied = t
        .query_text(
            "SELECT action FROM audit_log WHERE action = 'client.export' AND outcome = 'denied'",
        )
        .await;
    assert_eq!(denied.len(), 6, "every refusal audited: {denied:?}");
    // An unknown client is not found, like one the caller may not see.
    t.get(
        &s.clin,
        &format!("/api/v1/clients/{}/export", uuid::Uuid::new_v4()),
    )
    .await
    .expect(404);
    t.finish().await;
}

async fn record_requests_are_due_in_thirty_days_and_the_overdue_lead(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let c = client(&t, &clin, "Due Example").await;
    let today = rapport_testkit::now().date_naive();
    let recent = log_request(
        &t,
        &admin,
        &c,
        json!({"capacity": "client", "format": "electronic", "delivery": "email"}),
    )
    .await;
    recent.expect(201);
    assert_eq!(recent.json["received_on"], today.to_string());
    assert_eq!(
        recent.json["due_on"],
        (today + chrono::Duration::days(30)).to_string()
    );
    assert_eq!(recent.json["overdue"], false);
    let old_day = today - chrono::Duration::days(40);
    let old = log_request(
        &t,
        &admin,
        &c,
        json!({"received_on": old_day.to_string(), "capacity": "guardian", "requester": "A Parent", "format": "paper", "delivery": "post"}),
    )
    .await;
    old.expect(201);
    assert_eq!(old.json["overdue"], true);
    assert_eq!(old.json["days_left"], -10);
    let list = t.get(&clin, "/api/v1/record-requests").await;
    list.expect(200);
    assert_eq!(list.json.as_array().unwrap().len(), 2);
    assert_eq!(list.json[0]["id"], old.json["id"], "overdue first");
    // A clinician off the care team does not see the client's requests; billing does not see the register.
    let stranger = t.user(&[Role::Clinician]).await;
    let none = t.get(&stranger, "/api/v1/record-requests").await;
    assert!(none.json.as_array().unwrap().is_empty());
    t.get(&t.user(&[Role::Billing]).await, "/api/v1/record-requests")
        .await
        .expect(403);

    // Bad input: a future date, a guardian without a name, an unknown format; nothing stored.
    let tomorrow = today + chrono::Duration::days(1);
    let bad = log_request(
        &t,
        &admin,
        &c,
        json!({"received_on": tomorrow.to_string(), "capacity": "guardian", "format": "fax", "delivery": "email"}),
    )
    .await;
    bad.expect(422);
    let fields: Vec<&str> = bad.json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["received_on", "requester", "format"]);
    assert_eq!(
        t.query_text("SELECT status FROM record_requests")
            .await
            .len(),
        2
    );

    // The period is the practice's: shorter periods apply to requests logged afterwards.
    let set = |days: i64| {
        let (t, admin) = (&t, &admin);
        async move {
            t.call(
                Some(admin),
                Method::PUT,
                "/api/v1/settings/record-requests",
                Some(json!({"due_days": days})),
                None,
            )
            .await
        }
    };
    set(31).await.expect(422);
    set(15).await.expect(204);
    let short = log_request(
        &t,
        &admin,
        &c,
        json!({"capacity": "client", "format": "paper", "delivery": "collect"}),
    )
    .await;
    assert_eq!(
        short.json["due_on"],
        (today + chrono::Duration::days(15)).to_string()
    );

    // A denial is recorded with its reason, which only the clinical record's readers see.
    let id = old.json["id"].as_str().unwrap();
    let d = t
        .post(&clin, &format!("/api/v1/record-requests/{id}/deny"), json!({"reason": "Access is reasonably likely to endanger the client (164.524(a)(3)(i))."}))
        .await;
    d.expect(200);
    assert_eq!(d.json["status"], "denied");
    assert!(
        d.json["denial_reason"]
            .as_str()
            .unwrap()
            .contains("endanger")
    );
    let seen = t
        .get(&admin, &format!("/api/v1/record-requests/{id}"))
        .await;
    seen.expect(200);
    assert_eq!(seen.json["status"], "denied");
    assert!(seen.json.get("denial_reason").is_none(), "{}", seen.text);
    t.post(
        &clin,
        &format!("/api/v1/record-requests/{id}/deny"),
        json!({"reason": "again"}),
    )
    .await
    .expect(409);
    t.finish().await;
}

async fn record_request_free_text_is_encrypted_at_rest(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Cipher Request").await;
    let marker = format!("marker{}", uuid::Uuid::new_v4().simple());
    let r = log_request(
        &t,
        &clin,
        &c,
        json!({"capacity": "guardian", "requester": format!("Parent {marker}"), "format": "paper", "delivery": "post", "notes": format!("note {marker}")}),
    )
    .await;
    r.expect(201);
    let id = r.json["id"].as_str().unwrap();
    t.post(
        &clin,
        &format!("/api/v1/record-requests/{id}/extend"),
        json!({"days": 5, "reason": format!("delay {marker}")}),
    )
    .await
    .expect(200);
    t.post(
        &clin,
        &format!("/api/v1/record-requests/{id}/deny"),
        json!({"reason": format!("reason {marker}")}),
    )
    .await
    .expect(200);
    let hex_marker = hex::encode(&marker);
    for col in ["requester", "notes", "denial_reason", "extension_reason"] {
        let sql = match t.backend {
            Backend::Sqlite => format!("SELECT hex({col}) FROM record_requests"),
            Backend::Postgres => format!("SELECT encode({col}, 'hex') FROM record_requests"),
        };
        let rows = t.query_text(&sql).await;
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].is_empty(), "{col} stored");
        assert!(
            !rows[0].to_lowercase().contains(&hex_marker),
            "{col} holds plaintext"
        );
    }
    let audit = t
        .query_text("SELECT detail FROM audit_log WHERE detail IS NOT NULL")
        .await;
    assert!(
        audit.iter().all(|d| !d.contains(&marker)),
        "free text kept out of the audit log"
    );
    t.finish().await;
}

async fn the_menu_offers_record_requests_to_whoever_may_see_them(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    // The front desk logs requests and so sees the register; billing does not.
    for (role, shown) in [
        (Role::Scheduler, true),
        (Role::Clinician, true),
        (Role::Admin, true),
        (Role::Billing, false),
    ] {
        let who = t.user(&[role]).await;
        let (status, _, page) = t.sign_in(&who).await.get("/").await;
        assert_eq!(status, 200);
        assert_eq!(
            page.contains("href=\"/record-requests\""),
            shown,
            "{role:?}'s menu"
        );
    }
    t.finish().await;
}

/// HIPAA's one extension (45 CFR 164.524(b)(2)(iii)): before the due date, by at most 30 days, with the reasons the
/// requester is told; only by those who may answer the request; never twice.
async fn a_record_request_is_extended_once_before_it_is_due(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let admin = t.user(&[Role::Admin]).await;
    let c = client(&t, &clin, "Extension Example").await;
    let today = rapport_testkit::now().date_naive();
    let r = log_request(
        &t,
        &admin,
        &c,
        json!({"capacity": "client", "format": "electronic", "delivery": "email"}),
    )
    .await;
    r.expect(201);
    assert_eq!(
        r.json["can_extend"], false,
        "the logging admin cannot answer"
    );
    let id = r.json["id"].as_str().unwrap().to_string();
    let extend = |who: &TestUser, body: Value| {
        let (t, path) = (&t, format!("/api/v1/record-requests/{id}/extend"));
        let who = who.clone();
        async move { t.post(&who, &path, body).await }
    };
    let field =
        |r: &rapport_testkit::Reply| r.json["fields"][0]["field"].as_str().map(str::to_string);

    let too_long = extend(
        &clin,
        json!({"days": 31, "reason": "Records in off-site archive"}),
    )
    .await;
    too_long.expect(422);
    assert_eq!(field(&too_long).as_deref(), Some("days"));
    let no_reason = extend(&clin, json!({"days": 10, "reason": "  "})).await;
    no_reason.expect(422);
    assert_eq!(field(&no_reason).as_deref(), Some("reason"));
    extend(
        &admin,
        json!({"days": 10, "reason": "Records in off-site archive"}),
    )
    .await
    .expect(403);
    let unchanged = t.get(&clin, &format!("/api/v1/record-requests/{id}")).await;
    assert_eq!(
        unchanged.json["due_on"],
        (today + chrono::Duration::days(30)).to_string()
    );
    assert_eq!(unchanged.json["can_extend"], true);

    let done = extend(
        &clin,
        json!({"days": 20, "reason": "Records in off-site archive"}),
    )
    .await;
    done.expect(200);
    assert_eq!(
        done.json["due_on"],
        (today + chrono::Duration::days(50)).to_string()
    );
    assert_eq!(done.json["days_left"], 50);
    assert_eq!(done.json["can_extend"], false);
    assert_eq!(done.json["extended_by"]["id"], json!(clin.id));
    // The reasons go to the requester, so whoever keeps the register sees them.
    let seen = t
        .get(&admin, &format!("/api/v1/record-requests/{id}"))
        .await;
    assert_eq!(seen.json["extension_reason"], "Records in off-site archive");
    let again = extend(&clin, json!({"days": 5, "reason": "Still looking"})).await;
    again.expect(409);
    assert!(
        again.json["message"]
            .as_str()
            .unwrap()
            .contains("one extension"),
        "{}",
        again.text
    );
    let audit = t
        .query_text("SELECT detail FROM audit_log WHERE action = 'record_request.extend' AND outcome = 'ok'")
        .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0].contains(&format!("due {}", today + chrono::Duration::days(50))));

    // An overdue request can no longer be extended; an answered one neither.
    let late = log_request(
        &t,
        &clin,
        &c,
        json!({"received_on": (today - chrono::Duration::days(40)).to_string(), "capacity": "client", "format": "paper", "delivery": "post"}),
    )
    .await;
    let late_id = late.json["id"].as_str().unwrap();
    assert_eq!(late.json["can_extend"], false);
    let refused = t
        .post(
            &clin,
            &format!("/api/v1/record-requests/{late_id}/extend"),
            json!({"days": 5, "reason": "Too late"}),
        )
        .await;
    refused.expect(422);
    assert!(
        refused.text.contains("before the request is due"),
        "{}",
        refused.text
    );
    t.post(
        &clin,
        &format!("/api/v1/record-requests/{late_id}/deny"),
        json!({"reason": "No record held"}),
    )
    .await
    .expect(200);
    t.post(
        &clin,
        &format!("/api/v1/record-requests/{late_id}/extend"),
        json!({"days": 5, "reason": "x"}),
    )
    .await
    .expect(409);

    // The register page offers the extension to the care team and records it from the form.
    let fresh = log_request(
        &t,
        &clin,
        &c,
        json!({"capacity": "client", "format": "paper", "delivery": "collect"}),
    )
    .await;
    let fresh_id = fresh.json["id"].as_str().unwrap();
    let page = t.sign_in(&clin).await;
    let (status, _, html) = page.get("/record-requests").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("/record-requests/{fresh_id}/extend")),
        "{html}"
    );
    assert!(
        !html.contains(&format!("/record-requests/{id}/extend")),
        "extended once already"
    );
    assert!(html.contains("extended on"), "{html}");
    let (status, location, _) = page
        .post(
            &format!("/record-requests/{fresh_id}/extend"),
            &[("days", "7"), ("reason", "Copying paper records")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/record-requests?done=extended");
    let after = t
        .get(&clin, &format!("/api/v1/record-requests/{fresh_id}"))
        .await;
    assert_eq!(
        after.json["due_on"],
        (today + chrono::Duration::days(37)).to_string()
    );
    t.finish().await;
}
