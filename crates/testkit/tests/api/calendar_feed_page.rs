//! A clinician's calendar subscription from their account page: an address made (shown once, the page then says
//! it is live), it serves the calendar, a new one replaces it, revoking ends it; someone without a calendar of
//! their own is not offered one.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, between, both};

both!(a_clinician_makes_replaces_and_revokes_the_calendar_address);

/// The path of the address shown in the page's read-only field.
fn shown_path(html: &str) -> String {
    let field = between(html, r#"<input id="feed-url" readonly value=""#, r#"""#);
    let at = field.find("/calendar/").expect("a calendar address");
    field[at..].to_string()
}

async fn a_clinician_makes_replaces_and_revokes_the_calendar_address(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let page = t.sign_in(&clin).await;
    let (status, _, html) = page.get("/account").await;
    assert_eq!(status, 200);
    assert!(html.contains("No subscription address is live."), "{html}");

    let (status, _, html) = page
        .post("/account/calendar-feed", &[("show", "initials")])
        .await;
    assert_eq!(status, 200, "{html}");
    let first = shown_path(&html);
    assert!(first.ends_with(".ics"), "{first}");
    assert!(
        html.contains("showing the kind of session and clients' initials"),
        "{html}"
    );
    let res = reqwest::get(t.url(&first)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().starts_with("BEGIN:VCALENDAR"));
    // The address is shown once: the page read again says a subscription is live, not where.
    let (_, _, html) = page.get("/account").await;
    assert!(html.contains("A subscription address is live since") && !html.contains(&first));

    // A new address replaces the old one.
    let (_, _, html) = page
        .post("/account/calendar-feed", &[("show", "generic")])
        .await;
    let second = shown_path(&html);
    assert_ne!(first, second);
    assert_eq!(reqwest::get(t.url(&first)).await.unwrap().status(), 404);
    assert_eq!(reqwest::get(t.url(&second)).await.unwrap().status(), 200);
    let (status, _, html) = page
        .post("/account/calendar-feed", &[("show", "names")])
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("use generic or initials"), "{html}");

    let (status, _, html) = page.post("/account/calendar-feed/revoke", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("No subscription address is live."), "{html}");
    assert_eq!(reqwest::get(t.url(&second)).await.unwrap().status(), 404);

    // The front desk has no calendar of its own: no subscription is offered.
    let desk = t.user(&[Role::Scheduler]).await;
    let (_, _, html) = t.sign_in(&desk).await.get("/account").await;
    assert!(!html.contains("Calendar subscription"), "{html}");
}
