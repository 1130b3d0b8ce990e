//! A clinician's calendar subscription on their account page: make a secret iCalendar address (shown once; a new
//! one replaces the old), choose what it shows, and revoke it. The use cases ask the policy and audit each change.

use super::account::page_with_feed;
use super::{Nav, error_page, expired, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use rapport_domain::{Error, UserId};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct FeedForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// "generic" (default) or "initials".
    #[serde(default)]
    show: String,
}

fn me(s: &Staff) -> UserId {
    s.session.user_id
}

pub async fn create(State(st): State<AppState>, s: Staff, Form(f): Form<FeedForm>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .create_calendar_feed(&s.ctx, me(&s), Some(&f.show))
        .await
    {
        Ok(made) => {
            let notice = "Your new calendar address is below; any earlier one no longer works.";
            page_with_feed(&st, &s, None, Some(made.url), Some(notice.into()), None).await
        }
        Err(e @ Error::Validation(_)) => {
            page_with_feed(&st, &s, None, None, None, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn revoke(State(st): State<AppState>, s: Staff, Form(f): Form<CsrfOnly>) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.revoke_calendar_feed(&s.ctx, me(&s)).await {
        Ok(()) => {
            let notice =
                "The calendar address no longer works; calendars subscribed to it stop updating.";
            page_with_feed(&st, &s, None, None, Some(notice.into()), None).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
