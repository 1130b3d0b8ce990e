//! Account hardening: a second factor that cannot be replayed or switched off by starting a change, API tokens
//! that end with account recovery and expire, and nobody changing their own roles.

use super::signin::{PASSWORD, admin, between, browser, code, csrf, location, login, signed_in};
use rapport_app::Ctx;
use rapport_domain::Role;
use rapport_testkit::{Backend, Reply, TestApp, TestUser, both};
use reqwest::Method;
use serde_json::json;

both!(
    starting_a_new_authenticator_keeps_the_current_one_until_confirmed,
    one_code_signs_in_once_even_on_parallel_connections,
    api_tokens_end_with_account_recovery_and_expire,
    nobody_changes_their_own_roles,
);

async fn page(c: &reqwest::Client, url: String) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

async fn starting_a_new_authenticator_keeps_the_current_one_until_confirmed(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let (c, old_secret) = signed_in(&t, &email).await;
    let token = csrf(&page(&c, t.url("/account")).await);
    let r = c
        .post(t.url("/account/authenticator"))
        .form(&[("_csrf", token.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/mfa/setup");
    let setup = page(&c, t.url("/mfa/setup")).await;
    let new_secret = between(&setup, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    assert_ne!(new_secret, old_secret);

    // Meanwhile, someone with the password alone still meets the current second factor: the change in progress
    // neither switched it off nor shows them the new secret.
    let other = browser();
    let r = login(&t, &other, &email, PASSWORD).await;
    assert_eq!(location(&r), "/mfa", "the second factor is still on");
    let r = other.get(t.url("/mfa/setup")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let body = r.text().await.unwrap();
    assert!(!body.contains(&new_secret));
    let mfa = page(&other, t.url("/mfa")).await;
    let confirm_new = other
        .post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", csrf(&mfa).as_str()),
            ("code", code(&new_secret, 0).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(
        location(&confirm_new),
        "/",
        "a half-signed-in session cannot confirm the new authenticator"
    );
    let r = other
        .post(t.url("/mfa"))
        .form(&[
            ("_csrf", csrf(&mfa).as_str()),
            ("code", code(&old_secret, 1).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&r),
        "/",
        "the current authenticator still signs in"
    );

    // The signed-in owner confirms the new one; from then on the old one is gone.
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", token.as_str()),
            ("code", code(&new_secret, 1).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/", "{}", r.text().await.unwrap());
    let third = browser();
    login(&t, &third, &email, PASSWORD).await;
    let mfa = page(&third, t.url("/mfa")).await;
    let old = third
        .post(t.url("/mfa"))
        .form(&[
            ("_csrf", csrf(&mfa).as_str()),
            ("code", code(&old_secret, 1).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status(),
        422,
        "the replaced authenticator no longer works"
    );
    t.finish().await;
}

async fn one_code_signs_in_once_even_on_parallel_connections(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let (signed, secret) = signed_in(&t, &email).await;
    // With the factor on and nothing being set up, the set-up form takes no code at all.
    let home = page(&signed, t.url("/")).await;
    let r = signed
        .post(t.url("/mfa/setup"))
        .form(&[
            ("_csrf", csrf(&home).as_str()),
            ("code", code(&secret, 1).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(
        location(&r),
        "/",
        "no code is taken where nothing is being set up"
    );

    let mut pending = Vec::new();
    for _ in 0..6 {
        let c = browser();
        login(&t, &c, &email, PASSWORD).await;
        let token = csrf(&page(&c, t.url("/mfa")).await);
        pending.push((c, token));
    }
    let next = code(&secret, 1);
    let url = t.url("/mfa");
    let tries = pending.iter().map(|(c, token)| {
        c.post(url.clone())
            .form(&[("_csrf", token.as_str()), ("code", next.as_str())])
            .send()
    });
    let answers = futures_join_all(tries).await;
    let signed_in = answers
        .iter()
        .filter(|r| r.status() == 303 && location(r) == "/")
        .count();
    assert_eq!(signed_in, 1, "one code, one sign-in");
    t.finish().await;
}

/// `futures::future::join_all` without the dependency: the requests run concurrently on the runtime.
async fn futures_join_all<F>(fs: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap());
    }
    out
}

async fn api_tokens_end_with_account_recovery_and_expire(b: Backend) {
    let t = TestApp::spawn(b).await;
    let works = |tok: String| {
        let http = t.http.clone();
        let url = t.url("/api/v1/me");
        async move {
            http.get(url)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let op = Ctx::operator();

    // Reset by an administrator (password only, and with the authenticator), and disabling.
    let reset = t.user(&[Role::Clinician]).await;
    let reset_mfa = t.user(&[Role::Clinician]).await;
    let disabled = t.user(&[Role::Clinician]).await;
    for u in [&reset, &reset_mfa, &disabled] {
        assert_eq!(works(u.token.clone()).await, 200);
    }
    t.app.reset_password(&op, reset.id, false).await.unwrap();
    t.app.reset_password(&op, reset_mfa.id, true).await.unwrap();
    t.app
        .set_account_disabled(&op, disabled.id, true)
        .await
        .unwrap();
    for u in [&reset, &reset_mfa, &disabled] {
        assert_eq!(works(u.token.clone()).await, 401, "{}", u.email);
    }
    // Enabling the account again does not bring its old tokens back.
    t.app
        .set_account_disabled(&op, disabled.id, false)
        .await
        .unwrap();
    assert_eq!(works(disabled.token.clone()).await, 401);

    // The owner's own password change.
    let email = admin(&t, Some(PASSWORD)).await;
    let (c, _) = signed_in(&t, &email).await;
    let account = page(&c, t.url("/account")).await;
    let made = c
        .post(t.url("/account/tokens"))
        .form(&[
            ("_csrf", csrf(&account).as_str()),
            ("name", "script"),
            ("expires_in_days", "30"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let raw = between(&made, "<code id=\"new-token\">", "<").to_string();
    assert_eq!(works(raw.clone()).await, 200);
    let r = c
        .post(t.url("/account/password"))
        .form(&[
            ("_csrf", csrf(&account).as_str()),
            ("current_password", PASSWORD),
            ("password", "a brand new long passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(works(raw).await, 401, "a password change ends the tokens");

    // Expiry: chosen at creation, checked against the clock, within 1..=365 days.
    let owner = t.user(&[Role::Clinician]).await;
    for days in [0, 366] {
        t.post(
            &owner,
            "/api/v1/tokens",
            json!({"name": "bad", "expires_in_days": days}),
        )
        .await
        .expect(422);
    }
    let r = t
        .post(
            &owner,
            "/api/v1/tokens",
            json!({"name": "short", "expires_in_days": 1}),
        )
        .await;
    r.expect(201);
    let short = r.json["token"].as_str().unwrap().to_string();
    let expires: chrono::DateTime<chrono::Utc> = r.json["info"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let lives = expires - rapport_testkit::now();
    assert!(lives > chrono::Duration::hours(23) && lives <= chrono::Duration::days(1));
    assert_eq!(works(short.clone()).await, 200);
    let default = rapport_testkit::now() + chrono::Duration::days(89);
    let listed = t.get(&owner, "/api/v1/tokens").await;
    let tests_token = listed
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "tests")
        .unwrap();
    let tests_expiry: chrono::DateTime<chrono::Utc> =
        tests_token["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(tests_expiry > default, "90 days unless chosen");
    rapport_testkit::set_clock(&(rapport_testkit::now() + chrono::Duration::days(2)).to_rfc3339());
    assert_eq!(works(short).await, 401, "an expired token stops working");
    assert_eq!(works(owner.token.clone()).await, 200);
    t.finish().await;
}

async fn set_roles(t: &TestApp, who: &TestUser, of: &TestUser, roles: Vec<&str>) -> Reply {
    t.call(
        Some(who),
        Method::PUT,
        &format!("/api/v1/users/{}/roles", of.id),
        Some(json!({ "roles": roles })),
        None,
    )
    .await
}

async fn nobody_changes_their_own_roles(b: Backend) {
    let t = TestApp::spawn(b).await;
    let me = t.user(&[Role::Admin]).await;
    let colleague = t.user(&[Role::Admin]).await;
    set_roles(&t, &me, &me, vec!["admin", "clinician"])
        .await
        .expect(403);
    set_roles(&t, &me, &me, vec!["clinician"]).await.expect(403);
    let mine = t
        .query_text(&format!(
            "SELECT roles FROM users WHERE email = '{}'",
            me.email
        ))
        .await;
    assert_eq!(mine, ["admin"], "unchanged");
    // Another administrator may, and it is audited.
    set_roles(&t, &colleague, &me, vec!["admin", "clinician"])
        .await
        .expect(204);
    let audited = t
        .query_text("SELECT detail FROM audit_log WHERE action = 'user.roles' AND outcome = 'ok'")
        .await;
    assert!(
        audited.iter().any(|d| d.contains("clinician")),
        "{audited:?}"
    );
    t.finish().await;
}
