//! Measurement-based care through the API and the public questionnaire page, on SQLite and PostgreSQL: the link
//! flow (`link`: e-mail, page, scoring, alert, single use, binding to one client, all-or-nothing, encryption) and
//! the clinical side (`care`: escalation, change statistics, schedules, the catalogue). Shared helpers live here.

mod care;
mod fhir;
mod link;
mod pages;

use rapport_app::mail::{MailConfig, Mailer};
use rapport_testkit::{Reply, SmtpSink, TestApp, TestUser, client_body};
use serde_json::{Value, json};

pub(super) async fn client_of(t: &TestApp, clin: &TestUser, name: &str, email: &str) -> String {
    let mut body = client_body(name);
    body["email"] = json!(email);
    let r = t.post(clin, "/api/v1/clients", body).await;
    r.expect(201);
    r.json["id"].as_str().unwrap().to_string()
}

pub(super) async fn assign(t: &TestApp, clin: &TestUser, client: &str, body: Value) -> Reply {
    t.post(
        clin,
        &format!("/api/v1/clients/{client}/measure-assignments"),
        body,
    )
    .await
}

/// The token of every questionnaire link queued so far, oldest first.
pub(super) async fn tokens(t: &TestApp) -> Vec<String> {
    t.mails("measure_link")
        .await
        .iter()
        .map(|m| token_in(&m.body))
        .collect()
}

pub(super) fn token_in(text: &str) -> String {
    let i = text.find("/m/").expect("a questionnaire link") + 3;
    text[i..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// PHQ-9 answers as form fields: items 1–8 at `rest`, item 9 at `item9`.
pub(super) fn phq9_form(rest: i32, item9: i32) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = (1..=8)
        .map(|i| (format!("items.{i}"), rest.to_string()))
        .collect();
    f.push(("items.9".into(), item9.to_string()));
    f
}

pub(super) fn phq9_json(items: [i32; 9]) -> Value {
    let answers: serde_json::Map<String, Value> = items
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1).to_string(), json!(v)))
        .collect();
    json!({ "instrument": "phq9", "answers": answers })
}

pub(super) async fn page(t: &TestApp, token: &str) -> (u16, String) {
    let r = t
        .http
        .get(t.url(&format!("/m/{token}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(super) async fn submit(t: &TestApp, token: &str, form: &[(String, String)]) -> (u16, String) {
    let r = t
        .http
        .post(t.url(&format!("/m/{token}")))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(super) async fn stored_responses(t: &TestApp) -> usize {
    t.query_text("SELECT 'x' FROM measure_responses")
        .await
        .len()
}

pub(super) fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&MailConfig {
        smtp_url: sink.url().into(),
        from: "Rapport <desk@practice.test>".into(),
    })
    .unwrap()
}

/// The body of a raw message (after the blank line that ends the headers).
pub(super) fn body_of(raw: &str) -> String {
    let m = raw.replace("\r\n", "\n");
    m.split_once("\n\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or(m)
}

/// Messages received by the sink for one address, with quoted-printable soft line breaks undone.
pub(super) fn mail_to(sink: &SmtpSink, address: &str) -> Vec<String> {
    sink.messages()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {address}")))
        .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}
