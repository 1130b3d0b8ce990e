//! Talk time during a group: each "Now speaking" click is a plain form post (the page reloads without script);
//! with `static/talk-time.js` the same post goes in the background with the header `Rapport-Fragment: talk` and
//! gets back only the tally, so a facilitator leading a group never waits for a page. A click the screen held
//! while offline carries its age (`ago_ms`), so the tally stays true when the connection comes back.

use super::group_sessions::refused;
use super::{PagePath, expired};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rapport_app::groups::{SessionView, TalkInput};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

/// The request header the script sends to get the tally back instead of a redirect.
const FRAGMENT_HEADER: &str = "rapport-fragment";

#[derive(Debug, Deserialize)]
pub struct TalkForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// Empty for "Nobody / pause".
    #[serde(default)]
    client_id: String,
    /// How long ago the click happened, in milliseconds; sent by the script for a click it held while offline.
    #[serde(default)]
    ago_ms: String,
}

/// The live part of the talk section: who speaks, the shares and the quieter members.
#[derive(Template)]
#[template(path = "group_talk.html")]
struct TalkFragment {
    zone: crate::when::Zone,
    v: SessionView,
}

impl TalkFragment {
    /// Talk time as minutes and seconds.
    fn minutes(&self, seconds: &i64) -> String {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

/// The reason a click was not recorded, escaped like every page.
#[derive(Template)]
#[template(
    source = r#"<p class="alert" role="alert">{{ message }} <span class="muted">(request id {{ rid }})</span></p>"#,
    ext = "html"
)]
struct TalkError {
    message: String,
    rid: String,
}

fn wants_fragment(headers: &HeaderMap) -> bool {
    headers
        .get(FRAGMENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "talk")
}

/// An error as the script shows it: the status kept (so it knows whether to retry), the reason and the request id.
fn fragment_error(s: &Staff, e: &Error) -> Response {
    if e.is_server_fault() {
        tracing::error!(request_id = %s.rid.0, error = %e, "talk time");
    }
    let status = crate::http::error::classify(e).0;
    let body = TalkError {
        message: super::form_message(e),
        rid: s.rid.0.clone(),
    }
    .render()
    .unwrap_or_default();
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

pub async fn talk(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    headers: HeaderMap,
    Form(f): Form<TalkForm>,
) -> Response {
    let fragment = wants_fragment(&headers);
    if !s.csrf_ok(&f.csrf) {
        return match fragment {
            true => fragment_error(
                &s,
                &Error::Forbidden("the page expired; reload it and click again".into()),
            ),
            false => expired(&s),
        };
    }
    let ago_ms = match f.ago_ms.trim() {
        "" => None,
        raw => match raw.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = Error::invalid("ago_ms", "the age of the click must be a whole number");
                return fragment_error(&s, &e);
            }
        },
    };
    let input = TalkInput {
        client_id: f.client_id.trim().parse::<Uuid>().ok().map(ClientId),
        ago_ms,
    };
    match (st.app.log_talk(&s.ctx, id, input).await, fragment) {
        (Ok(v), true) => {
            let page = TalkFragment { zone: s.zone(), v };
            match page.render() {
                Ok(html) => (
                    StatusCode::OK,
                    [(header::CACHE_CONTROL, "no-store")],
                    Html(html),
                )
                    .into_response(),
                Err(e) => fragment_error(&s, &Error::Internal(format!("talk fragment: {e}"))),
            }
        }
        (Ok(_), false) => Redirect::to(&format!("/group-sessions/{id}#talk")).into_response(),
        (Err(e), true) => fragment_error(&s, &e),
        (Err(e), false) => refused(&st, &s, id, e, None).await,
    }
}
