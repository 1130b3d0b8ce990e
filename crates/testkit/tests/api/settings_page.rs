//! The practice's settings page: every practice-wide setting shown with its value, each area saved by its own
//! form through the use case the API uses (so the same checks and the same audit entry), a refused value shown
//! again beside its own field only, and the page closed to anyone but an administrator.

use rapport_app::audit::AuditQuery;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, between, both};

both!(an_administrator_changes_every_setting_from_the_page);

/// An area of the page, the fields its form posts, what the page then says, and the audit action of the change.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

async fn audited(t: &TestApp, action: &str) -> usize {
    let q = AuditQuery {
        action: Some(action.into()),
        limit: Some(50),
        ..Default::default()
    };
    t.app
        .list_audit(&rapport_app::Ctx::operator(), &q)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome == "ok")
        .count()
}

async fn an_administrator_changes_every_setting_from_the_page(b: Backend) {
    let t = TestApp::spawn(b).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let page = t.sign_in(&admin).await;
    let (status, _, html) = page.get("/admin/settings").await;
    assert_eq!(status, 200, "{html}");
    for heading in [
        "Reminders",
        "Appointments",
        "Waitlist",
        "Online booking",
        "Alerts",
        "Record requests",
        "Behaviour diary",
        "Client portal",
        "Appointment types",
    ] {
        assert!(html.contains(&format!(">{heading}</h2>")), "{heading}");
    }
    // The defaults, as the use cases apply them.
    let cancel = between(&html, r#"<input id="cancel-hours""#, ">");
    assert!(cancel.contains(r#"value="24""#), "{cancel}");
    let types = between(&html, r#"<h2 id="types-h">"#, "</table>");
    assert!(
        types.contains("minutes") && types.contains("In person"),
        "{types}"
    );

    // Each area saves on its own and says what changed.
    let cases: [Case; 6] = [
        (
            "cancellation",
            vec![("hours", "48")],
            "later than 48 hours",
            "settings.cancellation_window",
        ),
        (
            "reminders",
            vec![("hours", "12"), ("practice_name", "Lindenhof Praxis")],
            "12 hours before a session, signed by Lindenhof Praxis",
            "settings.reminders",
        ),
        (
            "waitlist",
            vec![("email_offers", "on")],
            "are e-mailed",
            "settings.waitlist",
        ),
        (
            "online",
            vec![
                ("enabled", "on"),
                ("min_notice_hours", "48"),
                ("horizon_days", "30"),
                ("approve_new_clients", "on"),
                ("new_client_type", "consultation"),
                ("existing_client_type", "individual"),
            ],
            "Online booking is on",
            "settings.online_booking",
        ),
        (
            "alerts",
            vec![("escalate_after_minutes", "30")],
            "within 30 minutes",
            "settings.measures",
        ),
        (
            "records",
            vec![("due_days", "10")],
            "due within 10 days",
            "settings.record_requests",
        ),
    ];
    for (area, fields, said, action) in cases {
        let before = audited(&t, action).await;
        let (status, _, html) = page.post(&format!("/admin/settings/{area}"), &fields).await;
        assert_eq!(status, 200, "{area}: {html}");
        assert!(html.contains(said), "{area}: {said} not said");
        assert_eq!(
            audited(&t, action).await,
            before + 1,
            "{area}: one audit entry"
        );
    }
    let (_, _, html) = page.get("/admin/settings").await;
    assert!(between(&html, r#"<input id="cancel-hours""#, ">").contains(r#"value="48""#));
    assert!(between(&html, r#"<input id="reminder-hours""#, ">").contains(r#"value="12""#));
    assert!(html.contains(r#"value="Lindenhof Praxis""#));
    assert!(html.contains(r#"name="email_offers" value="on" checked"#));
    assert!(between(&html, r#"<input id="due-days""#, ">").contains(r#"value="10""#));
    let online = t.get(&admin, "/api/v1/settings/online-booking").await;
    assert_eq!(online.json["enabled"], true);
    assert_eq!(online.json["min_notice_hours"], 48);
    assert_eq!(online.json["horizon_days"], 30);

    // A refused value: 422, said beside its own field (the reminders' "hours", not the cancellation's), as typed.
    let (status, _, html) = page
        .post(
            "/admin/settings/reminders",
            &[("hours", "400"), ("practice_name", "Lindenhof Praxis")],
        )
        .await;
    assert_eq!(status, 422);
    let reminder = between(&html, r#"<input id="reminder-hours""#, ">");
    assert!(
        reminder.contains(r#"value="400""#) && reminder.contains(r#"aria-invalid="true""#),
        "{reminder}"
    );
    assert!(!between(&html, r#"<input id="cancel-hours""#, ">").contains("aria-invalid"));
    assert!(html.contains("between 0 and 336 hours"), "{html}");
    let (status, _, html) = page
        .post(
            "/admin/settings/alerts",
            &[("escalate_after_minutes", "soon")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("a whole number of minutes"), "{html}");
    assert_eq!(page.post("/admin/settings/billing", &[]).await.0, 404);

    // Nobody but an administrator.
    let other = t.sign_in(&clin).await;
    assert_eq!(other.get("/admin/settings").await.0, 403);
    assert_eq!(
        other
            .post("/admin/settings/cancellation", &[("hours", "1")])
            .await
            .0,
        403
    );
    let (_, _, html) = page.get("/admin/settings").await;
    assert!(between(&html, r#"<input id="cancel-hours""#, ">").contains(r#"value="48""#));
}
