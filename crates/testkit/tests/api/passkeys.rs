//! Passkeys through the HTTP steps the browser script calls, with a software authenticator written here (ES256
//! over P-256, "none" attestation, CBOR by hand): registration after the password, the second step by passkey,
//! and the answers that must fail — a forged signature, an unknown credential, another account's passkey, a
//! replayed answer, the wrong origin — each counted and audited. The browser test `e2e/passkeys.test.mjs` does the
//! same through Chromium's virtual authenticator.

use super::signin::{PASSWORD, admin, browser, csrf, location, login, signed_in};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rapport_testkit::{Backend, TestApp, both};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

both!(
    a_passkey_is_added_after_the_password_and_signs_in_as_the_second_step,
    forged_unknown_and_foreign_passkeys_are_refused_and_counted,
    a_password_alone_cannot_add_a_factor_to_an_account_with_a_passkey,
    a_passkey_alone_signs_in_and_wrong_answers_are_refused,
);

/// A software authenticator holding one ES256 credential.
struct SoftKey {
    key: SigningKey,
    credential_id: Vec<u8>,
    counter: u32,
    /// The account's user handle, as the relying party gave it at registration (a discoverable credential
    /// returns it, naming the account).
    user_handle: Option<String>,
}

impl SoftKey {
    fn new() -> SoftKey {
        let mut seed = Vec::new();
        seed.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        seed.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        SoftKey {
            key: SigningKey::from_slice(&seed).unwrap(),
            credential_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
            counter: 0,
            user_handle: None,
        }
    }

    fn id(&self) -> String {
        B64.encode(&self.credential_id)
    }

    /// The COSE_Key of the public key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let raw = point.as_bytes();
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        out.extend_from_slice(&raw[1..33]);
        out.extend_from_slice(&[0x22, 0x58, 0x20]);
        out.extend_from_slice(&raw[33..65]);
        out
    }

    fn auth_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
        // User present (0x01) and verified (0x04); attested credential data follows (0x40) at registration.
        d.push(if attested { 0x45 } else { 0x05 });
        d.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            d.extend_from_slice(&[0u8; 16]);
            d.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
            d.extend_from_slice(&self.credential_id);
            d.extend_from_slice(&self.cose_key());
        }
        d
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false
        }))
        .unwrap()
    }

    /// The answer to `navigator.credentials.create`, as passkey.js posts it.
    fn create(&mut self, options: &Value, origin: &str) -> Value {
        let pk = &options["publicKey"];
        self.user_handle = pk["user"]["id"].as_str().map(String::from);
        let rp_id = pk["rp"]["id"].as_str().unwrap();
        let client =
            Self::client_data("webauthn.create", pk["challenge"].as_str().unwrap(), origin);
        let auth = self.auth_data(rp_id, true);
        // {"fmt": "none", "attStmt": {}, "authData": bytes}
        let mut att = vec![0xa3, 0x63];
        att.extend_from_slice(b"fmt");
        att.push(0x64);
        att.extend_from_slice(b"none");
        att.push(0x67);
        att.extend_from_slice(b"attStmt");
        att.push(0xa0);
        att.push(0x68);
        att.extend_from_slice(b"authData");
        att.extend_from_slice(&[0x59, (auth.len() >> 8) as u8, auth.len() as u8]);
        att.extend_from_slice(&auth);
        json!({
            "id": self.id(), "rawId": self.id(), "type": "public-key",
            "response": {"attestationObject": B64.encode(att), "clientDataJSON": B64.encode(client)},
            "extensions": {}
        })
    }

    /// The answer to `navigator.credentials.get`: the authenticator data and a signature over it and the
    /// client data's hash.
    fn get(&mut self, options: &Value, origin: &str) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rpId"].as_str().unwrap();
        self.counter += 1;
        let client = Self::client_data("webauthn.get", pk["challenge"].as_str().unwrap(), origin);
        let auth = self.auth_data(rp_id, false);
        let mut signed = auth.clone();
        signed.extend_from_slice(&Sha256::digest(&client));
        let sig: Signature = self.key.sign(&signed);
        json!({
            "id": self.id(), "rawId": self.id(), "type": "public-key",
            "response": {
                "authenticatorData": B64.encode(&auth), "clientDataJSON": B64.encode(&client),
                "signature": B64.encode(sig.to_der().as_bytes()), "userHandle": self.user_handle
            },
            "extensions": {}
        })
    }
}

async fn post_json(
    t: &TestApp,
    c: &reqwest::Client,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let r = c
        .post(t.url(path))
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn page(c: &reqwest::Client, url: String) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// Signs `email` in fully (password and TOTP, its first sign-in) and registers `key` under `name`.
async fn enrol(t: &TestApp, email: &str, key: &mut SoftKey, name: &str) -> reqwest::Client {
    let (c, _) = signed_in(t, email).await;
    add_passkey(t, &c, key, name).await;
    c
}

async fn add_passkey(t: &TestApp, c: &reqwest::Client, key: &mut SoftKey, name: &str) {
    let token = csrf(&page(c, t.url("/account")).await);
    let (status, options) = post_json(
        t,
        c,
        "/account/passkeys/options",
        &token,
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{options}");
    let (status, body) = post_json(
        t,
        c,
        "/account/passkeys",
        &token,
        json!({"name": name, "credential": key.create(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// A fresh browser past the password, on the second step: its client and CSRF token.
async fn at_second_step(t: &TestApp, email: &str) -> (reqwest::Client, String) {
    let c = browser();
    let r = login(t, &c, email, PASSWORD).await;
    assert_eq!(location(&r), "/mfa");
    let token = csrf(&page(&c, t.url("/mfa")).await);
    (c, token)
}

async fn audited(t: &TestApp, action: &str, outcome: &str) -> usize {
    t.query_text(&format!(
        "SELECT action FROM audit_log WHERE action = '{action}' AND outcome = '{outcome}'"
    ))
    .await
    .len()
}

async fn a_passkey_is_added_after_the_password_and_signs_in_as_the_second_step(b: Backend) {
    let t = TestApp::spawn_localhost(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let mut key = SoftKey::new();

    // Adding one needs the password again; a wrong one is refused and counted.
    let (c, _) = signed_in(&t, &email).await;
    let token = csrf(&page(&c, t.url("/account")).await);
    let (status, body) = post_json(
        &t,
        &c,
        "/account/passkeys/options",
        &token,
        json!({"password": "not my password"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(audited(&t, "auth.passkey.add", "denied").await, 1);
    let (status, body) = post_json(
        &t,
        &c,
        "/account/passkeys/options",
        "wrong-csrf",
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 403, "without the session's CSRF token: {body}");

    add_passkey(&t, &c, &mut key, "work laptop").await;
    let account = page(&c, t.url("/account")).await;
    assert!(account.contains("work laptop"), "{account}");
    assert_eq!(audited(&t, "auth.passkey.add", "ok").await, 1);
    // The credential is sealed at rest: its public key's coordinates are nowhere in plain text.
    let stored = t.query_text("SELECT credential_id FROM passkeys").await;
    assert_eq!(stored, vec![key.id()]);

    // Next sign-in: after the password the second step offers the passkey, and it completes sign-in.
    let (c2, token2) = at_second_step(&t, &email).await;
    let mfa = page(&c2, t.url("/mfa")).await;
    assert!(mfa.contains("passkey-sign-in"), "{mfa}");
    let (status, options) = post_json(&t, &c2, "/mfa/passkey/options", &token2, json!({})).await;
    assert_eq!(status, 200, "{options}");
    assert_eq!(
        options["publicKey"]["allowCredentials"][0]["id"].as_str(),
        Some(key.id().as_str()),
        "only this account's passkeys are offered"
    );
    let answer = key.get(&options, &t.base);
    let (status, body) = post_json(
        &t,
        &c2,
        "/mfa/passkey",
        &token2,
        json!({"credential": answer.clone()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next"], "/");
    let r = c2.get(t.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 200, "signed in by the passkey");
    assert_eq!(audited(&t, "auth.passkey", "ok").await, 1);

    // The same answer again, in another session past the password, is refused: its challenge was spent.
    let (c3, token3) = at_second_step(&t, &email).await;
    let _ = post_json(&t, &c3, "/mfa/passkey/options", &token3, json!({})).await;
    let (status, _) = post_json(
        &t,
        &c3,
        "/mfa/passkey",
        &token3,
        json!({"credential": answer}),
    )
    .await;
    assert_eq!(status, 422, "a replayed answer does not sign in");
    assert_eq!(location(&c3.get(t.url("/")).send().await.unwrap()), "/mfa");

    // Removing needs the password; then the passkey is no longer offered.
    let id: String = between_id(&page(&c2, t.url("/account")).await);
    let token2 = csrf(&page(&c2, t.url("/account")).await);
    let r = c2
        .post(t.url(&format!("/account/passkeys/{id}/remove")))
        .form(&[("_csrf", token2.as_str()), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = c2
        .post(t.url(&format!("/account/passkeys/{id}/remove")))
        .form(&[("_csrf", token2.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Passkey removed."));
    assert_eq!(audited(&t, "auth.passkey.remove", "ok").await, 1);
    assert!(t.query_text("SELECT id FROM passkeys").await.is_empty());
    t.finish().await;
}

fn between_id(account: &str) -> String {
    rapport_testkit::between(account, "action=\"/account/passkeys/", "/remove\"")
}

async fn forged_unknown_and_foreign_passkeys_are_refused_and_counted(b: Backend) {
    let t = TestApp::spawn_localhost(b).await;
    let ada = admin(&t, Some(PASSWORD)).await;
    let bea = admin(&t, Some(PASSWORD)).await;
    let mut adas = SoftKey::new();
    let mut beas = SoftKey::new();
    enrol(&t, &ada, &mut adas, "Ada's key").await;
    enrol(&t, &bea, &mut beas, "Bea's key").await;

    // Bea's own key registered again, to Ada's account: refused (one key, one account).
    let (c, token, options) = enrol_attempt(&t, &ada, &mut adas).await;
    let (status, body) = post_json(
        &t,
        &c,
        "/account/passkeys",
        &token,
        json!({"name": "stolen", "credential": beas.create(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (c, token) = at_second_step(&t, &ada).await;
    let failures_before = failed_logins(&t, &ada).await;

    // Bea's passkey answering Ada's challenge.
    let (_, options) = post_json(&t, &c, "/mfa/passkey/options", &token, json!({})).await;
    let (status, _) = post_json(
        &t,
        &c,
        "/mfa/passkey",
        &token,
        json!({"credential": SoftKey { counter: 5, ..beas }.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 422, "another account's passkey");

    // A key nobody registered.
    let mut stranger = SoftKey::new();
    let (_, options) = post_json(&t, &c, "/mfa/passkey/options", &token, json!({})).await;
    let (status, _) = post_json(
        &t,
        &c,
        "/mfa/passkey",
        &token,
        json!({"credential": stranger.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 422, "an unknown credential");

    // Ada's credential id with a signature by another key (a forgery).
    let (_, options) = post_json(&t, &c, "/mfa/passkey/options", &token, json!({})).await;
    let mut forged = SoftKey::new();
    forged.credential_id = adas.credential_id.clone();
    let (status, _) = post_json(
        &t,
        &c,
        "/mfa/passkey",
        &token,
        json!({"credential": forged.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 422, "a forged signature");

    // Ada's own key, but answering for another site's origin.
    let (_, options) = post_json(&t, &c, "/mfa/passkey/options", &token, json!({})).await;
    let (status, _) = post_json(
        &t,
        &c,
        "/mfa/passkey",
        &token,
        json!({"credential": adas.get(&options, "https://phish.example")}),
    )
    .await;
    assert_eq!(status, 422, "the wrong origin");

    // An answer with no challenge asked for first.
    let (status, _) = post_json(
        &t,
        &c,
        "/mfa/passkey",
        &token,
        json!({"credential": adas.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 422, "no challenge under way");

    assert_eq!(location(&c.get(t.url("/")).send().await.unwrap()), "/mfa");
    assert_eq!(failed_logins(&t, &ada).await, failures_before + 5);
    assert_eq!(audited(&t, "auth.passkey", "denied").await, 5);

    // Ada's own key on a fresh challenge still works (the account is locked after 5 failures: wait it out).
    t.execute("UPDATE users SET locked_until = NULL, failed_logins = 0")
        .await;
    let (_, options) = post_json(&t, &c, "/mfa/passkey/options", &token, json!({})).await;
    let (status, body) = post_json(
        &t,
        &c,
        "/mfa/passkey",
        &token,
        json!({"credential": adas.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    t.finish().await;
}

/// Ada signs in again with her password and passkey, and asks to add another passkey.
async fn enrol_attempt(
    t: &TestApp,
    email: &str,
    key: &mut SoftKey,
) -> (reqwest::Client, String, Value) {
    let (c, token) = at_second_step(t, email).await;
    let (_, options) = post_json(t, &c, "/mfa/passkey/options", &token, json!({})).await;
    let answer = key.get(&options, &t.base);
    let (status, body) =
        post_json(t, &c, "/mfa/passkey", &token, json!({"credential": answer})).await;
    assert_eq!(status, 200, "{body}");
    let token = csrf(&page(&c, t.url("/account")).await);
    let (status, options) = post_json(
        t,
        &c,
        "/account/passkeys/options",
        &token,
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{options}");
    (c, token, options)
}

async fn failed_logins(t: &TestApp, email: &str) -> i64 {
    t.query_text(&format!(
        "SELECT CAST(failed_logins AS TEXT) FROM users WHERE email = '{email}'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

async fn a_password_alone_cannot_add_a_factor_to_an_account_with_a_passkey(b: Backend) {
    let t = TestApp::spawn_localhost(b).await;
    let email = admin(&t, Some(PASSWORD)).await;
    let mut key = SoftKey::new();
    enrol(&t, &email, &mut key, "only key").await;
    // The authenticator app switched off directly, leaving the passkey as the account's only second factor
    // (an administrator's reset removes both; this is the case it must still hold for).
    t.execute("UPDATE users SET totp_enabled = FALSE, totp_secret = NULL")
        .await;
    let c = browser();
    let r = login(&t, &c, &email, PASSWORD).await;
    assert_eq!(location(&r), "/mfa", "the passkey is the second step");
    let mfa = page(&c, t.url("/mfa")).await;
    assert!(mfa.contains("passkey-sign-in") && !mfa.contains("name=\"code\""));
    // The password holder cannot set up an authenticator of their own instead.
    let r = c.get(t.url("/mfa/setup")).send().await.unwrap();
    assert_eq!(location(&r), "/mfa");
    let r = c
        .post(t.url("/mfa/setup"))
        .form(&[
            (
                "_csrf",
                rapport_testkit::between(&mfa, "data-csrf=\"", "\"").as_str(),
            ),
            ("code", "123456"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(location(&r), "/");
    assert!(
        t.query_text("SELECT id FROM users WHERE totp_pending_secret IS NOT NULL")
            .await
            .is_empty()
    );

    // An administrator's reset of the second factor (a lost phone) removes the passkeys with the authenticator.
    let op = rapport_app::Ctx::operator();
    let id = t
        .app
        .list_accounts(&op)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.email == email)
        .unwrap()
        .id;
    t.app.reset_password(&op, id, true).await.unwrap();
    assert!(t.query_text("SELECT id FROM passkeys").await.is_empty());
    t.finish().await;
}

async fn a_passkey_alone_signs_in_and_wrong_answers_are_refused(b: Backend) {
    let t = TestApp::spawn_localhost(b).await;
    let ada = admin(&t, Some(PASSWORD)).await;
    let bea = admin(&t, Some(PASSWORD)).await;
    let mut adas = SoftKey::new();
    let mut beas = SoftKey::new();
    enrol(&t, &ada, &mut adas, "Ada's key").await;
    enrol(&t, &bea, &mut beas, "Bea's key").await;

    // No session, no password: the options come with a handle, and the answer names the account.
    let c = browser();
    let (status, options) = post_json(&t, &c, "/login/passkey/options", "", json!({})).await;
    assert_eq!(status, 200, "{options}");
    assert!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "a discoverable sign-in names no account's credentials: {options}"
    );
    let handle = options["handle"].as_str().unwrap().to_string();
    let answer = adas.get(&options, &t.base);
    let (status, body) = post_json(
        &t,
        &c,
        "/login/passkey",
        "",
        json!({"handle": handle, "credential": answer.clone()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next"], "/");
    let r = c.get(t.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 200, "fully signed in by the passkey alone");
    assert_eq!(audited(&t, "auth.passkey.sign_in", "ok").await, 1);

    // The same answer and handle again: the handle was spent.
    let other = browser();
    let (status, _) = post_json(
        &t,
        &other,
        "/login/passkey",
        "",
        json!({"handle": handle, "credential": answer}),
    )
    .await;
    assert_eq!(status, 422, "a replayed answer");
    assert_eq!(
        location(&other.get(t.url("/")).send().await.unwrap()),
        "/login"
    );

    // Ada's key claiming to be Bea (her user handle): Bea has no such passkey; counted against Bea.
    let before = failed_logins(&t, &bea).await;
    let (_, options) = post_json(&t, &other, "/login/passkey/options", "", json!({})).await;
    let mut impostor = SoftKey {
        user_handle: beas.user_handle.clone(),
        counter: 10,
        ..adas
    };
    let (status, _) = post_json(
        &t,
        &other,
        "/login/passkey",
        "",
        json!({"handle": options["handle"], "credential": impostor.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 422, "another account's user handle");
    assert_eq!(failed_logins(&t, &bea).await, before + 1);

    // A handle nobody was given.
    let (_, options) = post_json(&t, &other, "/login/passkey/options", "", json!({})).await;
    let (status, _) = post_json(
        &t,
        &other,
        "/login/passkey",
        "",
        json!({"handle": "made-up", "credential": beas.get(&options, &t.base)}),
    )
    .await;
    assert_eq!(status, 422, "an unknown handle");
    assert_eq!(
        location(&other.get(t.url("/")).send().await.unwrap()),
        "/login"
    );
    assert_eq!(audited(&t, "auth.passkey.sign_in", "denied").await, 3);
    t.finish().await;
}
