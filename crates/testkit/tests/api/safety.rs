//! Safety plans: written by the care team against the version they read, sealed at rest, read by whoever may read
//! the record (a clinician under emergency access included, who may not change it), in every copy of the record
//! and in the client's portal.

use crate::export::client;
use crate::portal::invited_and_signed_in;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both};
use reqwest::Method;
use serde_json::json;

both!(a_safety_plan_is_written_by_the_care_team_and_read_where_it_is_needed);

async fn put(
    t: &TestApp,
    who: &rapport_testkit::TestUser,
    path: &str,
    version: Option<i32>,
    body: serde_json::Value,
) -> rapport_testkit::Reply {
    t.call(Some(who), Method::PUT, path, Some(body), version)
        .await
}

async fn a_safety_plan_is_written_by_the_care_team_and_read_where_it_is_needed(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let on_call = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Paula Stern").await;
    let path = format!("/api/v1/clients/{c}/safety-plan");

    let r = t.get(&clin, &path).await;
    r.expect(200);
    assert_eq!(r.etag(), 0, "no plan yet");
    let plan = json!({
        "warning_signs": ["Not sleeping for two nights"],
        "coping": ["Walk by the river", "  "],
        "supports": ["SUPPORT-MARK Sam (sister) 0170 1234567"],
        "professionals": ["Crisis line 988"],
        "reasons": ["My daughter"],
    });
    put(&t, &clin, &path, None, plan.clone()).await.expect(428);
    let r = put(&t, &clin, &path, Some(0), json!({"coping": ["Walk"]})).await;
    r.expect(422);
    assert!(r.text.contains("supports"), "{}", r.text);
    let r = put(&t, &clin, &path, Some(0), plan.clone()).await;
    r.expect(200);
    assert_eq!(r.etag(), 1);
    assert_eq!(
        r.json["plan"]["coping"],
        json!(["Walk by the river"]),
        "blank entries dropped"
    );
    // A second writer who read version 0 cannot overwrite it.
    put(&t, &clin, &path, Some(0), plan.clone())
        .await
        .expect(409);
    let r = put(&t, &clin, &path, Some(1), plan.clone()).await;
    r.expect(200);
    assert_eq!(r.etag(), 2);
    let sealed = t
        .query_text(match b {
            Backend::Sqlite => "SELECT hex(content) FROM safety_plans",
            Backend::Postgres => "SELECT encode(content, 'hex') FROM safety_plans",
        })
        .await;
    let plain: String = "SUPPORT-MARK".bytes().map(|x| format!("{x:02X}")).collect();
    assert_eq!(sealed.len(), 1);
    assert!(!sealed[0].to_uppercase().contains(&plain), "sealed at rest");

    // Off the care team: nothing. Under emergency access: read, never write.
    t.get(&on_call, &path).await.expect(404);
    t.post(
        &on_call,
        "/api/v1/emergency-access",
        json!({"legal_name": "Paula Stern", "date_of_birth": "1988-03-14", "reason": "Crisis call at night; her clinician cannot be reached."}),
    )
    .await
    .expect(201);
    let r = t.get(&on_call, &path).await;
    r.expect(200);
    assert!(r.text.contains("SUPPORT-MARK"));
    put(&t, &on_call, &path, Some(2), plan.clone())
        .await
        .expect(403);

    // In every copy of the record, and in the client's portal.
    let export = t.get(&clin, &format!("/api/v1/clients/{c}/export")).await;
    export.expect(200);
    assert_eq!(export.json["safety_plan"]["version"], json!(2));
    assert!(export.text.contains("SUPPORT-MARK"));
    let staff = t.sign_in(&clin).await;
    let p = invited_and_signed_in(&t, &staff, &c, "client", "paula@example.org").await;
    let (status, _, page) = p.get(&format!("/portal/clients/{c}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("My safety plan")
            && page.contains("SUPPORT-MARK")
            && page.contains("My daughter")
    );

    // The page: the editor holds one entry per line; a stale form keeps what was typed and saves nothing.
    let (status, _, html) = staff.get(&format!("/clients/{c}/safety-plan")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Walk by the river") && html.contains("name=\"version\" value=\"2\""));
    let form = |version: &'static str| {
        vec![
            ("version", version),
            ("supports", "Sam (sister)\nNew friend: Jo"),
            ("coping", "TYPED-MARK breathing"),
        ]
    };
    let (status, _, html) = staff
        .post(&format!("/clients/{c}/safety-plan"), &form("1"))
        .await;
    assert_eq!(status, 409);
    assert!(html.contains("TYPED-MARK breathing") && html.contains("in the meantime"));
    assert_eq!(t.get(&clin, &path).await.etag(), 2, "nothing saved");
    let (status, location, _) = staff
        .post(&format!("/clients/{c}/safety-plan"), &form("2"))
        .await;
    assert_eq!(
        (status, location),
        (303, format!("/clients/{c}/safety-plan?done=saved"))
    );
    let r = t.get(&clin, &path).await;
    assert_eq!(
        r.json["plan"]["supports"],
        json!(["Sam (sister)", "New friend: Jo"])
    );
    assert_eq!(
        r.json["plan"]["reasons"],
        json!([]),
        "a section left empty in the form is empty"
    );
    t.finish().await;
}
