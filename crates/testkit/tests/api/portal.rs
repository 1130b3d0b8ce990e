//! The client portal: invitations by the front desk or care team, a password chosen through a one-time link,
//! sign-in with lockout, and a client (or a minor's guardian) reading their own appointments and record, where
//! psychotherapy notes, drafts, a partner's notes and other group members never appear.

use crate::export::{Scene, client, holds_the_record_and_nothing_else, scene};
use chrono::Timelike;
use rapport_domain::Role;
use rapport_testkit::{Backend, Browser, SCENE, TestApp, TestUser, both, client_body};
use reqwest::Method;
use serde_json::json;

both!(
    a_client_reads_their_own_record_in_the_portal_and_nothing_that_is_not_theirs,
    a_guardian_acts_for_a_minor_until_the_eighteenth_birthday,
    portal_access_is_managed_by_the_front_desk_and_the_care_team,
    portal_sign_in_refuses_wrong_passwords_alike_and_locks,
    the_practice_can_keep_the_record_out_of_the_portal,
    a_client_cancels_in_the_portal_only_outside_the_late_window,
);

const PORTAL_PASSWORD: &str = "lantern meadow quietly 42";

/// A browser of the portal: its own cookie jar, redirects not followed.
pub(crate) struct Portal {
    http: reqwest::Client,
    base: String,
}

impl Portal {
    fn new(t: &TestApp) -> Portal {
        Portal {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: t.base.clone(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = header(&r, "location");
        (status, location, r.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = header(&r, "location");
        (status, location, r.text().await.unwrap())
    }

    /// The portal's CSRF token, from the sign-out form of any portal page.
    async fn csrf(&self, path: &str) -> String {
        let (_, _, html) = self.get(path).await;
        rapport_testkit::between(&html, "name=\"_csrf\" value=\"", "\"")
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Invites through the staff page and returns the page's answer.
pub(crate) async fn invite(
    staff: &Browser,
    client: &str,
    capacity: &str,
    name: &str,
    email: &str,
) -> (u16, String, String) {
    staff
        .post(
            &format!("/clients/{client}/portal"),
            &[("capacity", capacity), ("name", name), ("email", email)],
        )
        .await
}

/// The token in the last invitation e-mailed to `email`.
async fn invitation_token(t: &TestApp, email: &str) -> String {
    let bodies: Vec<String> = t
        .mails("portal_invitation")
        .await
        .into_iter()
        .filter(|m| m.recipient == email)
        .map(|m| m.body)
        .collect();
    let last = bodies.last().expect("an invitation e-mail");
    let i = last.find("/portal/welcome/").expect("a welcome link") + "/portal/welcome/".len();
    last[i..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Invites `email` for `client`, accepts the invitation and returns the signed-in portal browser.
pub(crate) async fn invited_and_signed_in(
    t: &TestApp,
    staff: &Browser,
    client: &str,
    capacity: &str,
    email: &str,
) -> Portal {
    let (status, location, body) = invite(staff, client, capacity, "Portal Person", email).await;
    assert_eq!(status, 303, "invitation: {body}");
    assert!(location.ends_with("/portal?done=invited"), "{location}");
    let token = invitation_token(t, email).await;
    let p = Portal::new(t);
    let (status, location, _) = p
        .post(
            &format!("/portal/welcome/{token}"),
            &[("password", PORTAL_PASSWORD), ("confirm", PORTAL_PASSWORD)],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    p
}

async fn audit_rows(t: &TestApp, action: &str, outcome: &str) -> usize {
    t.query_text(&format!(
        "SELECT actor_kind FROM audit_log WHERE action = '{action}' AND outcome = '{outcome}' AND actor_kind = 'portal'"
    ))
    .await
    .len()
}

async fn a_client_reads_their_own_record_in_the_portal_and_nothing_that_is_not_theirs(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let s: Scene = scene(&t).await;
    let staff = t.sign_in(&s.clin).await;
    let email = "ingrid.holm@example.org";

    let (status, location, body) = invite(&staff, &s.client, "client", "Ingrid Holm", email).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.ends_with("?done=invited"));
    let mail: Vec<String> = t
        .mails("portal_invitation")
        .await
        .into_iter()
        .filter(|m| m.recipient == email)
        .map(|m| format!("{} {}", m.subject, m.body))
        .collect();
    assert_eq!(mail.len(), 1);
    assert!(!mail[0].contains("PROGRESS-MARK") && !mail[0].contains(&s.client));
    let token = invitation_token(&t, email).await;

    // The welcome page: a weak or mismatched password is refused with the reason, nothing is used up.
    let p = Portal::new(&t);
    let (status, _, page) = p.get(&format!("/portal/welcome/{token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Welcome, Ingrid Holm") && page.contains(email));
    let (status, _, page) = p
        .post(
            &format!("/portal/welcome/{token}"),
            &[("password", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("at least 8 characters"), "{page}");
    let (status, _, page) = p
        .post(
            &format!("/portal/welcome/{token}"),
            &[
                ("password", PORTAL_PASSWORD),
                ("confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("not the same"));
    let (status, location, _) = p
        .post(
            &format!("/portal/welcome/{token}"),
            &[("password", PORTAL_PASSWORD), ("confirm", PORTAL_PASSWORD)],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    // The link works once.
    let (status, _, page) = Portal::new(&t)
        .get(&format!("/portal/welcome/{token}"))
        .await;
    assert_eq!(status, 404);
    assert!(!page.contains("Ingrid"));

    // One person: straight to their page, with their record one link away.
    let (status, location, _) = p.get("/portal").await;
    assert_eq!(
        (status, location.clone()),
        (303, format!("/portal/clients/{}", s.client))
    );
    let (status, _, page) = p.get(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Coming appointments") && page.contains("/record"));
    let (status, _, record) = p.get(&format!("/portal/clients/{}/record", s.client)).await;
    assert_eq!(status, 200);
    holds_the_record_and_nothing_else(&s, &record);
    assert!(record.contains("Read in the client portal (client)"));
    assert!(
        !record.contains("psychotherapy note"),
        "not even the kind of a psychotherapy note shows"
    );
    assert_eq!(audit_rows(&t, "portal.record", "ok").await, 1);

    // The partner's record, an unknown id and the staff pages and API are closed to the portal account, and
    // every refusal of a record is audited.
    for other in [
        s.partner.as_str(),
        s.other_member.as_str(),
        "00000000-0000-7000-8000-000000000000",
    ] {
        for path in [
            format!("/portal/clients/{other}"),
            format!("/portal/clients/{other}/record"),
        ] {
            let (status, _, page) = p.get(&path).await;
            assert_eq!(status, 404, "{path}");
            assert!(!page.contains("Torvald") && !page.contains("Zebulon"));
        }
    }
    assert_eq!(audit_rows(&t, "portal.record", "denied").await, 3);
    let (status, location, _) = p.get(&format!("/clients/{}", s.client)).await;
    assert_eq!((status, location.as_str()), (303, "/login"));
    let (status, _, _) = p.get(&format!("/api/v1/clients/{}/notes", s.client)).await;
    assert_eq!(status, 401);
    // And a staff session is no portal session.
    let (status, _, _) = staff
        .get(&format!("/portal/clients/{}/record", s.client))
        .await;
    assert_eq!(status, 303);

    // The care team sees who has access; after revocation the record is gone from the portal.
    let (status, _, page) = staff.get(&format!("/clients/{}/portal", s.client)).await;
    assert_eq!(status, 200);
    assert!(page.contains(email) && page.contains("Active"));
    let grant =
        rapport_testkit::between(&page, &format!("/clients/{}/portal/", s.client), "/revoke");
    let (status, _, _) = staff
        .post(&format!("/clients/{}/portal/{grant}/revoke", s.client), &[])
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = p.get(&format!("/portal/clients/{}/record", s.client)).await;
    assert_eq!(status, 404);
    let (_, _, page) = staff.get(&format!("/clients/{}/portal", s.client)).await;
    assert!(page.contains("Revoked"));
    // Signing out ends the session.
    let csrf = p.csrf("/portal").await;
    let (status, location, _) = p.post("/portal/logout", &[("_csrf", csrf.as_str())]).await;
    assert_eq!((status, location.as_str()), (303, "/portal/login"));
    let (status, location, _) = p.get("/portal").await;
    assert_eq!((status, location.as_str()), (303, "/portal/login"));
    t.finish().await;
}

async fn a_guardian_acts_for_a_minor_until_the_eighteenth_birthday(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let staff = t.sign_in(&clin).await;
    let mut body = client_body("Milo Brandt");
    body["date_of_birth"] = json!("2014-05-02");
    body["guardians"] =
        json!([{ "name": "Petra Brandt", "relationship": "mother", "email": "petra@example.org" }]);
    let r = t.post(&clin, "/api/v1/clients", body).await;
    r.expect(201);
    let minor = r.json["id"].as_str().unwrap().to_string();
    let adult = client(&t, &clin, "Agnes Brandt").await;

    // A guardian only for a minor: the form says why and stores nothing.
    let (status, _, page) = invite(
        &staff,
        &adult,
        "guardian",
        "Petra Brandt",
        "petra@example.org",
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("this client is an adult"), "{page}");
    assert!(
        t.query_text("SELECT email FROM portal_accounts")
            .await
            .is_empty()
    );
    let (_, _, page) = staff.get(&format!("/clients/{minor}/portal")).await;
    assert!(
        page.contains("petra@example.org"),
        "the guardian's address on file is offered"
    );

    let p = invited_and_signed_in(&t, &staff, &minor, "guardian", "petra@example.org").await;
    // The same account is given the adult sibling's own record too: an e-mail without a new link.
    let (status, _, _) = invite(
        &staff,
        &adult,
        "client",
        "Petra Brandt",
        "petra@example.org",
    )
    .await;
    assert_eq!(status, 303);
    let mails: Vec<String> = t
        .mails("portal_invitation")
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(mails.len(), 2);
    assert!(
        !mails[0].contains("Milo") && !mails[1].contains("Agnes"),
        "an invitation names no client: {mails:?}"
    );
    assert!(mails[1].contains("/portal/login") && !mails[1].contains("/portal/welcome/"));
    let (status, _, home) = p.get("/portal").await;
    assert_eq!(status, 200, "two people: a list");
    assert!(
        home.contains("Milo Brandt")
            && home.contains("(as parent or guardian)")
            && home.contains("Agnes Brandt")
    );
    let (status, _, record) = p.get(&format!("/portal/clients/{minor}/record")).await;
    assert_eq!(status, 200);
    assert!(record.contains("Read in the client portal (parent or guardian)"));

    // On the eighteenth birthday the guardian's access ends by itself.
    t.execute(&format!(
        "UPDATE clients SET date_of_birth = '2000-01-01' WHERE legal_name = '{}'",
        "Milo Brandt"
    ))
    .await;
    let (status, _, _) = p.get(&format!("/portal/clients/{minor}/record")).await;
    assert_eq!(status, 404);
    let (status, location, _) = p.get("/portal").await;
    assert_eq!(
        (status, location),
        (303, format!("/portal/clients/{adult}"))
    );
    let (_, _, page) = staff.get(&format!("/clients/{minor}/portal")).await;
    assert!(page.contains("Ended: the client is an adult"));
    t.finish().await;
}

async fn portal_access_is_managed_by_the_front_desk_and_the_care_team(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Rosa Lind").await;
    let outsider = t.sign_in(&t.user(&[Role::Clinician]).await).await;
    let billing = t.sign_in(&t.user(&[Role::Billing]).await).await;
    let desk = t.sign_in(&t.user(&[Role::Scheduler]).await).await;
    let (status, _, _) = outsider.get(&format!("/clients/{c}/portal")).await;
    assert_eq!(status, 404);
    let (status, _, _) = invite(&outsider, &c, "client", "Rosa Lind", "rosa@example.org").await;
    assert_eq!(status, 404);
    let (status, _, _) = billing.get(&format!("/clients/{c}/portal")).await;
    assert_eq!(status, 403);
    let (status, _, _) = invite(&billing, &c, "client", "Rosa Lind", "rosa@example.org").await;
    assert_eq!(status, 403);
    assert!(
        t.query_text("SELECT capacity FROM portal_grants")
            .await
            .is_empty()
    );
    assert_eq!(
        t.query_text(
            "SELECT action FROM audit_log WHERE action = 'portal.invite' AND outcome = 'denied'"
        )
        .await
        .len(),
        2
    );
    // Bad input: every field named at once.
    let (status, _, page) = invite(&desk, &c, "landlord", "", "not-an-address").await;
    assert_eq!(status, 422);
    for said in [
        "choose whether the account is for the client",
        "e-mail address",
        "name",
    ] {
        assert!(page.contains(said), "{said}: {page}");
    }
    let (status, _, _) = invite(&desk, &c, "client", "Rosa Lind", "rosa@example.org").await;
    assert_eq!(status, 303);
    // Nothing clinical is on the staff page, and the invitation was audited under the client.
    let rows = t
        .query_text(
            "SELECT action FROM audit_log WHERE action = 'portal.invite' AND outcome = 'ok' AND detail LIKE 'client access for portal account %'",
        )
        .await;
    assert_eq!(rows.len(), 1);
    t.finish().await;
}

async fn portal_sign_in_refuses_wrong_passwords_alike_and_locks(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let clin: TestUser = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Jonas Berg").await;
    let staff = t.sign_in(&clin).await;
    let _ = invited_and_signed_in(&t, &staff, &c, "client", "jonas@example.org").await;
    let p = Portal::new(&t);
    let (status, _, page) = p
        .post(
            "/portal/login",
            &[
                ("email", "nobody@example.org"),
                ("password", PORTAL_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 401);
    assert!(page.contains("The e-mail address or password is not right."));
    // Five failures lock the account, even against the right password.
    for _ in 0..5 {
        let (status, _, page) = p
            .post(
                "/portal/login",
                &[
                    ("email", "jonas@example.org"),
                    ("password", "wrong password here"),
                ],
            )
            .await;
        assert_eq!(status, 401);
        assert!(page.contains("The e-mail address or password is not right."));
    }
    let (status, _, _) = p
        .post(
            "/portal/login",
            &[
                ("email", "jonas@example.org"),
                ("password", PORTAL_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 429);
    // After the lock, the right password works; a staff password never opens the portal.
    t.execute("UPDATE portal_accounts SET locked_until = NULL")
        .await;
    let (status, location, _) = p
        .post(
            "/portal/login",
            &[
                ("email", "JONAS@example.org"),
                ("password", PORTAL_PASSWORD),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (status, _, _) = Portal::new(&t)
        .post(
            "/portal/login",
            &[
                ("email", clin.email.as_str()),
                ("password", rapport_testkit::TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, 401);
    t.finish().await;
}

async fn the_practice_can_keep_the_record_out_of_the_portal(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let admin = t.user(&[Role::Admin]).await;
    let clin = t.user(&[Role::Clinician]).await;
    let c = client(&t, &clin, "Lena Voss").await;
    let staff = t.sign_in(&clin).await;
    let p = invited_and_signed_in(&t, &staff, &c, "client", "lena@example.org").await;
    let record = format!("/portal/clients/{c}/record");
    assert_eq!(p.get(&record).await.0, 200, "shown by default");

    // Only an administrator changes it; the page's checkbox and the API agree.
    t.call(
        Some(&clin),
        Method::PUT,
        "/api/v1/settings/portal",
        Some(json!({"show_record": false})),
        None,
    )
    .await
    .expect(403);
    let settings = t.sign_in(&admin).await;
    let (status, _, page) = settings.post("/admin/settings/portal", &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("no longer shows the record"), "{page}");
    assert!(!page.contains("name=\"show_record\" value=\"on\" checked"));

    let (status, _, page) = p.get(&record).await;
    assert_eq!(status, 403, "the client is told why");
    assert!(
        page.contains("ask your clinician or the front desk for a copy"),
        "{page}"
    );
    assert!(!page.contains("Lena Voss"));
    let (_, _, page) = p.get(&format!("/portal/clients/{c}")).await;
    assert!(page.contains("copies of the record on request") && !page.contains("Read the record"));
    assert_eq!(audit_rows(&t, "portal.record", "denied").await, 1);

    t.call(
        Some(&admin),
        Method::PUT,
        "/api/v1/settings/portal",
        Some(json!({"show_record": true})),
        None,
    )
    .await
    .expect(204);
    assert_eq!(p.get(&record).await.0, 200);
    t.finish().await;
}

async fn a_client_cancels_in_the_portal_only_outside_the_late_window(b: Backend) {
    let t = TestApp::spawn_at(b, SCENE).await;
    let (_admin, clin) = crate::online::practice(&t, true).await;
    let c = client(&t, &clin, "Otto Kern").await;
    let other = client(&t, &clin, "Greta Kern").await;
    let hour = rapport_testkit::now()
        .with_second(0)
        .and_then(|x| x.with_nanosecond(0))
        .unwrap();
    let book = crate::self_service::book_at;
    let far = book(&t, &clin, &c, hour + chrono::Duration::days(5)).await;
    let near = book(&t, &clin, &c, hour + chrono::Duration::hours(3)).await;
    let theirs = book(&t, &clin, &other, hour + chrono::Duration::days(6)).await;
    let (far, near, theirs) = (
        far["id"].as_str().unwrap().to_string(),
        near["id"].as_str().unwrap().to_string(),
        theirs["id"].as_str().unwrap().to_string(),
    );
    let staff = t.sign_in(&clin).await;
    let p = invited_and_signed_in(&t, &staff, &c, "client", "otto@example.org").await;
    let page_path = format!("/portal/clients/{c}");
    let (_, _, page) = p.get(&page_path).await;
    let cancel = |id: &str| format!("/portal/clients/{c}/appointments/{id}/cancel");
    assert!(
        page.contains(&cancel(&far)),
        "a cancel button outside the window"
    );
    assert!(!page.contains(&cancel(&near)) && page.contains("please call the practice"));
    assert!(
        !page.contains(&theirs),
        "another client's session is not listed"
    );
    let csrf = rapport_testkit::between(&page, "name=\"_csrf\" value=\"", "\"");

    // The list asks first: a page names the appointment and offers "yes" and "keep it".
    let (status, _, confirm) = p.get(&cancel(&far)).await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("Cancel this appointment?")
            && confirm.contains("Yes, cancel this appointment")
            && confirm.contains(&format!(r#"href="{page_path}">No, keep it"#)),
        "{confirm}"
    );
    assert_eq!(
        t.get(&clin, &format!("/api/v1/appointments/{far}"))
            .await
            .json["status"],
        json!("booked"),
        "asking cancels nothing"
    );
    // One inside the window (or not theirs) has no such page: back to the list, which says why.
    for id in [&near, &theirs] {
        let (status, location, _) = p.get(&cancel(id)).await;
        assert_eq!(
            (status, location.as_str()),
            (303, page_path.as_str()),
            "{id}"
        );
    }

    // Inside the window: refused with the reason, nothing changes.
    let (status, _, page) = p.post(&cancel(&near), &[("_csrf", csrf.as_str())]).await;
    assert_eq!(status, 409);
    assert!(page.contains("cannot be cancelled online"), "{page}");
    // Another client's appointment, a missing form token: nothing changes either.
    let (status, _, _) = p.post(&cancel(&theirs), &[("_csrf", csrf.as_str())]).await;
    assert_eq!(status, 404);
    let (status, _, _) = p.post(&cancel(&far), &[("_csrf", "forged")]).await;
    assert_eq!(status, 403);
    // Outside it: cancelled, gone from the list, in the appointment's history and the audit log.
    let (status, location, _) = p.post(&cancel(&far), &[("_csrf", csrf.as_str())]).await;
    assert_eq!(
        (status, location),
        (303, format!("{page_path}?done=cancelled"))
    );
    let (_, _, page) = p.get(&format!("{page_path}?done=cancelled")).await;
    assert!(page.contains("The appointment is cancelled.") && !page.contains(&cancel(&far)));
    let a = t.get(&clin, &format!("/api/v1/appointments/{far}")).await;
    a.expect(200);
    assert_eq!(a.json["status"], json!("cancelled"), "{}", a.text);
    assert_eq!(audit_rows(&t, "portal.cancel", "ok").await, 1);
    let still = t.get(&clin, &format!("/api/v1/appointments/{near}")).await;
    assert_ne!(still.json["status"], json!("cancelled"));
    t.finish().await;
}
