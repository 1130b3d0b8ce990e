//! Rate limits that a proxy cannot turn into a lock-out of everyone: the client's address comes from
//! `X-Forwarded-For` only behind a trusted proxy, each form has its own bucket, sign-in also has one per account,
//! and wrong second-factor codes keep counting towards the lockout across right passwords.

use super::signin::{PASSWORD, admin, csrf, location, login, signed_in};
use rapport_testkit::{Backend, TestApp, both};

both!(
    behind_a_trusted_proxy_each_client_has_its_own_bucket,
    a_forwarded_address_from_anyone_else_is_ignored,
    each_form_and_each_account_has_its_own_bucket,
    wrong_codes_lock_the_account_even_between_right_passwords,
    wrong_passwords_sent_at_once_each_count,
);

/// Five attempts a minute, so a bucket empties in a few requests (one comes back every 12 s).
fn limits(trusted: &[&str]) -> rapport_web::WebConfig {
    rapport_web::WebConfig {
        login_attempts_per_minute: 5,
        trusted_proxies: trusted.iter().map(|n| n.parse().unwrap()).collect(),
        ..Default::default()
    }
}

async fn sign_in_from(t: &TestApp, from: &str, email: &str) -> u16 {
    t.http
        .post(t.url("/login"))
        .header("x-forwarded-for", from)
        .form(&[("email", email), ("password", "not the password")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn portal_sign_in(t: &TestApp, email: &str) -> u16 {
    t.http
        .post(t.url("/portal/login"))
        .form(&[("email", email), ("password", "not the password")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Attempts until the bucket refuses (at most `max`); how many were let through.
async fn until_refused(
    t: &TestApp,
    from: &str,
    emails: &dyn Fn(usize) -> String,
    max: usize,
) -> usize {
    for i in 0..max {
        if sign_in_from(t, from, &emails(i)).await == 429 {
            return i;
        }
    }
    max
}

async fn behind_a_trusted_proxy_each_client_has_its_own_bucket(b: Backend) {
    let t = TestApp::spawn_web(b, limits(&["127.0.0.1/32"])).await;
    let many = |i: usize| format!("guess{i}@test.example");
    let let_through = until_refused(&t, "203.0.113.5", &many, 12).await;
    assert!(
        (5..12).contains(&let_through),
        "{let_through} attempts let through"
    );
    // Another client behind the same proxy is not locked out by the first one.
    assert_eq!(
        sign_in_from(&t, "203.0.113.6", "other@test.example").await,
        401
    );
    // A client cannot escape its bucket by writing its own header in front of the proxy's.
    assert_eq!(
        sign_in_from(&t, "198.51.100.1, 203.0.113.5", "again@test.example").await,
        429
    );
    t.finish().await;
}

async fn a_forwarded_address_from_anyone_else_is_ignored(b: Backend) {
    let t = TestApp::spawn_web(b, limits(&[])).await;
    let many = |i: usize| format!("guess{i}@test.example");
    until_refused(&t, "203.0.113.5", &many, 12).await;
    // Without a trusted proxy the header is anyone's to write: changing it buys nothing.
    assert_eq!(
        sign_in_from(&t, "203.0.113.77", "new@test.example").await,
        429
    );
    t.finish().await;
}

async fn each_form_and_each_account_has_its_own_bucket(b: Backend) {
    let t = TestApp::spawn_web(b, limits(&["127.0.0.1/32"])).await;
    let many = |i: usize| format!("guess{i}@test.example");
    until_refused(&t, "203.0.113.5", &many, 12).await;
    // The portal's sign-in form is another bucket: staff guesses do not lock clients out.
    assert_eq!(portal_sign_in(&t, "client@test.example").await, 401);

    // One account guessed at from ever new addresses still meets its own bucket.
    let one = |_: usize| "target@test.example".to_string();
    let mut refused_at = None;
    for i in 0..12 {
        let from = format!("198.51.100.{}", i + 1);
        if sign_in_from(&t, &from, &one(i)).await == 429 {
            refused_at = Some(i);
            break;
        }
    }
    assert!(
        refused_at.is_some_and(|i| (5..12).contains(&i)),
        "the account's bucket refused at {refused_at:?}"
    );
    t.finish().await;
}

async fn wrong_codes_lock_the_account_even_between_right_passwords(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let _ = signed_in(&t, &email).await;
    // The right password, then a wrong code, again and again: each wrong code counts, and the right password in
    // between does not wipe the count.
    let mut locked = false;
    for _ in 0..8 {
        let c = super::signin::browser();
        let r = login(&t, &c, &email, PASSWORD).await;
        if r.status() == 429 {
            locked = true;
            break;
        }
        assert_eq!(location(&r), "/mfa");
        let page = c
            .get(t.url("/mfa"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = c
            .post(t.url("/mfa"))
            .form(&[("_csrf", csrf(&page).as_str()), ("code", "000000")])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            locked = true;
            break;
        }
        assert_eq!(r.status(), 422);
    }
    assert!(locked, "five wrong codes lock the account");
    t.finish().await;
}

/// Guesses sent in parallel are each counted (in the database, not from the row each request read), so the account
/// locks after five of them whatever their timing.
async fn wrong_passwords_sent_at_once_each_count(b: Backend) {
    let t = TestApp::spawn(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let guesses: Vec<_> = (0..8)
        .map(|i| {
            let (http, url, email) = (t.http.clone(), t.url("/login"), email.clone());
            tokio::spawn(async move {
                http.post(url)
                    .form(&[
                        ("email", email.as_str()),
                        ("password", &format!("guess {i}")),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for g in guesses {
        assert!([401, 429].contains(&g.await.unwrap()));
    }
    let counted = t
        .query_text(&format!(
            "SELECT CAST(failed_logins AS TEXT) FROM users WHERE email = '{email}'"
        ))
        .await;
    let counted: i32 = counted[0].parse().unwrap();
    assert!(counted >= 5, "{counted} failures counted of 8 sent at once");
    // Locked: even the right password waits.
    let c = super::signin::browser();
    assert_eq!(login(&t, &c, &email, PASSWORD).await.status(), 429);
    t.finish().await;
}
