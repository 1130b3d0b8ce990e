//! Signing in through the browser forms: password, TOTP enrolment and verification, replay refusal, lockout,
//! session cookies, CSRF and same-origin checks, one-time passwords, API tokens.

use rapport_app::Ctx;
use rapport_app::accounts::NewAccount;
use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, both};

both!(
    staff_sign_in_with_password_and_totp,
    repeated_failures_lock_the_account,
    a_one_time_password_must_be_changed_first,
    forms_need_the_csrf_token_and_the_same_origin,
    revoked_api_tokens_stop_working,
    the_account_page_moves_the_authenticator_and_issues_tokens,
    idle_sessions_end,
    one_address_cannot_try_passwords_without_limit,
);

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page: {html}"))
        + start.len();
    let j = html[i..].find(end).unwrap() + i;
    &html[i..j]
}

pub(crate) fn csrf(html: &str) -> String {
    between(html, "name=\"_csrf\" value=\"", "\"").to_string()
}

pub(crate) fn code(secret_b32: &str, step_offset: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name("x".to_string())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp.generate((now + step_offset * 30) as u64).to_string()
}

pub(crate) async fn admin(t: &TestApp, password: Option<&str>) -> String {
    let email = format!("admin-{}@test.example", uuid::Uuid::new_v4().simple());
    t.app
        .create_account(
            &Ctx::operator(),
            NewAccount {
                email: email.clone(),
                display_name: "Ada Admin".into(),
                roles: vec![Role::Admin],
                password: password.map(String::from),
                time_zone: None,
            },
        )
        .await
        .unwrap();
    email
}

pub(crate) async fn login(
    t: &TestApp,
    c: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    c.post(t.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn staff_sign_in_with_password_and_totp(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let c = browser();
    // Nothing is reachable before signing in.
    let r = c.get(t.url("/clients")).send().await.unwrap();
    assert_eq!(location(&r), "/login");
    let r = login(&t, &c, &email, PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/mfa/setup");
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Half signed in: the password alone opens nothing.
    let r = c.get(t.url("/clients")).send().await.unwrap();
    assert_eq!(location(&r), "/mfa/setup");
    let api = c.get(t.url("/api/v1/clients")).send().await.unwrap();
    assert_eq!(api.status(), 401);

    let page = c
        .get(t.url("/mfa/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    // The key is also offered as a QR code for the phone's camera, drawn on the server as SVG.
    let qr = between(&page, "<figure class=\"qr\"", "</figure>");
    assert!(qr.contains("<svg") && qr.contains("<path"), "{qr}");
    let token = csrf(&page);
    let wrong = c
        .post(t.url("/mfa/setup"))
        .form(&[("_csrf", token.as_str()), ("code", "000000")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    let first = code(&secret, 0);
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[("_csrf", token.as_str()), ("code", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/", "{}", r.text().await.unwrap());
    let dash = c.get(t.url("/")).send().await.unwrap();
    assert_eq!(dash.status(), 200);
    assert_eq!(dash.headers().get("cache-control").unwrap(), "no-store");
    assert!(dash.text().await.unwrap().contains("Audit log"));

    // Sign out, and in again: now the code is asked for, and the one already used is refused.
    let page = c
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    c.post(t.url("/logout"))
        .form(&[("_csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&c.get(t.url("/")).send().await.unwrap()), "/login");
    let r = login(&t, &c, &email, PASSWORD).await;
    assert_eq!(location(&r), "/mfa");
    let second_cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(
        cookie.split(';').next(),
        second_cookie.split(';').next(),
        "a new session id at every sign-in"
    );
    let page = c
        .get(t.url("/mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf(&page);
    let replay = c
        .post(t.url("/mfa"))
        .form(&[("_csrf", token.as_str()), ("code", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 422, "a code is accepted once only");
    let next = c
        .post(t.url("/mfa"))
        .form(&[
            ("_csrf", token.as_str()),
            ("code", code(&secret, 1).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&next), "/");
    assert_eq!(
        c.get(t.url("/admin/audit")).send().await.unwrap().status(),
        200
    );
    t.finish().await;
}

async fn repeated_failures_lock_the_account(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let c = browser();
    for _ in 0..5 {
        let r = login(&t, &c, &email, "not the password").await;
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("not right"));
    }
    // Locked now: even the right password waits.
    let r = login(&t, &c, &email, PASSWORD).await;
    assert_eq!(r.status(), 429);
    // An unknown account answers exactly like a wrong password.
    let r = login(&t, &c, "nobody@test.example", PASSWORD).await;
    assert_eq!(r.status(), 401);
    t.finish().await;
}

async fn a_one_time_password_must_be_changed_first(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = format!("new-{}@test.example", uuid::Uuid::new_v4().simple());
    let created = t
        .app
        .create_account(
            &Ctx::operator(),
            NewAccount {
                email: email.clone(),
                display_name: "New Colleague".into(),
                roles: vec![Role::Clinician],
                password: None,
                time_zone: None,
            },
        )
        .await
        .unwrap();
    let otp = created.one_time_password.unwrap();
    let c = browser();
    login(&t, &c, &email, &otp).await;
    let page = c
        .get(t.url("/mfa/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", csrf(&page).as_str()),
            ("code", code(&secret, 0).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/account/password");
    assert_eq!(
        location(&c.get(t.url("/clients")).send().await.unwrap()),
        "/account/password"
    );
    let page = c
        .get(t.url("/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let common = c
        .post(t.url("/account/password"))
        .form(&[
            ("_csrf", csrf(&page).as_str()),
            ("current_password", otp.as_str()),
            ("password", "password123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(common.status(), 422);
    assert!(common.text().await.unwrap().contains("commonly used"));
    let r = c
        .post(t.url("/account/password"))
        .form(&[
            ("_csrf", csrf(&page).as_str()),
            ("current_password", otp.as_str()),
            ("password", "a quiet river at dawn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
    assert_eq!(c.get(t.url("/clients")).send().await.unwrap().status(), 200);
    t.finish().await;
}

async fn forms_need_the_csrf_token_and_the_same_origin(b: Backend) {
    let t = TestApp::spawn(b).await;
    let sched = t.user(&[Role::Scheduler]).await;
    // A browser session for the scheduler, completed through the use cases.
    let c = browser();
    login(&t, &c, &sched.email, PASSWORD).await;
    let page = c
        .get(t.url("/mfa/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    let token = csrf(&page);
    c.post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", token.as_str()),
            ("code", code(&secret, 0).as_str()),
        ])
        .send()
        .await
        .unwrap();
    let form = [
        ("_csrf", "wrong"),
        ("legal_name", "Forged"),
        ("date_of_birth", "1990-01-01"),
        ("time_zone", "UTC"),
    ];
    let r = c.post(t.url("/clients")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let good = [
        ("_csrf", token.as_str()),
        ("legal_name", "Genuine"),
        ("date_of_birth", "1990-01-01"),
        ("time_zone", "UTC"),
    ];
    let r = c
        .post(t.url("/clients"))
        .header("origin", "https://evil.example")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The API refuses a cookie-authenticated write without the CSRF header.
    let r = c
        .post(t.url("/api/v1/clients"))
        .json(&rapport_testkit::client_body("Via Cookie"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c.post(t.url("/clients")).form(&good).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        t.get(&sched, "/api/v1/clients").await.json["total"],
        1,
        "only the genuine submission was stored"
    );
    t.finish().await;
}

async fn revoked_api_tokens_stop_working(b: Backend) {
    let t = TestApp::spawn(b).await;
    let u = t.user(&[Role::Clinician]).await;
    let list = t.get(&u, "/api/v1/tokens").await;
    list.expect(200);
    let id = list.json[0]["id"].as_str().unwrap().to_string();
    assert!(
        !list.text.contains(&u.token),
        "the token itself is never listed"
    );
    t.call(
        Some(&u),
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        None,
        None,
    )
    .await
    .expect(204);
    t.get(&u, "/api/v1/me").await.expect(401);
    t.finish().await;
}

/// Signs `email` in through the forms (enrolling TOTP) and returns the browser and the authenticator secret.
pub(crate) async fn signed_in(t: &TestApp, email: &str) -> (reqwest::Client, String) {
    let c = browser();
    login(t, &c, email, PASSWORD).await;
    let page = c
        .get(t.url("/mfa/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", csrf(&page).as_str()),
            ("code", code(&secret, 0).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
    (c, secret)
}

async fn the_account_page_moves_the_authenticator_and_issues_tokens(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let (c, old_secret) = signed_in(&t, &email).await;
    let page = c
        .get(t.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf(&page);
    let r = c
        .post(t.url("/account/authenticator"))
        .form(&[("_csrf", token.as_str()), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("not right"));
    let r = c
        .post(t.url("/account/authenticator"))
        .form(&[("_csrf", token.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/mfa/setup");
    let page = c
        .get(t.url("/mfa/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let new_secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    assert_ne!(new_secret, old_secret);
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", token.as_str()),
            ("code", code(&new_secret, 1).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
    // A token made on the page works on the API.
    let r = c
        .post(t.url("/account/tokens"))
        .form(&[("_csrf", token.as_str()), ("name", "export script")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let raw = between(&html, "<code id=\"new-token\">", "<").to_string();
    let me = t
        .http
        .get(t.url("/api/v1/me"))
        .bearer_auth(&raw)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    t.finish().await;
}

async fn idle_sessions_end(b: Backend) {
    let config = rapport_app::AppConfig {
        idle_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let t = TestApp::spawn_with(b, config).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let (c, _) = signed_in(&t, &email).await;
    assert_eq!(c.get(t.url("/clients")).send().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        location(&c.get(t.url("/clients")).send().await.unwrap()),
        "/login"
    );
    t.finish().await;
}

async fn one_address_cannot_try_passwords_without_limit(b: Backend) {
    let t = TestApp::spawn(b).await;
    let c = browser();
    // Twenty attempts a minute per address (spread over many accounts, so no account lockout is involved).
    let started = std::time::Instant::now();
    for i in 0..20 {
        let r = login(&t, &c, &format!("guess{i}@test.example"), "password guess").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    // The quota earns one attempt back every three seconds, so a slow (busy) machine may be allowed a few more
    // than twenty; but never more than the time spent has earned.
    let mut attempts = 20u64;
    loop {
        let r = login(
            &t,
            &c,
            &format!("guess{attempts}@test.example"),
            "password guess",
        )
        .await;
        if r.status() == 429 {
            break;
        }
        assert_eq!(r.status(), 401);
        attempts += 1;
        let earned = started.elapsed().as_secs() / 3 + 1;
        assert!(
            attempts <= 20 + earned,
            "{attempts} attempts in {:?} were not limited",
            started.elapsed()
        );
    }
    t.finish().await;
}
