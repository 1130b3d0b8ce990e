//! The signed-in user's own account: password, a new authenticator (after re-entering the password), passkeys
//! (`passkeys.rs` holds their steps), API tokens, a clinician's calendar subscription (`calendar_feed.rs`).

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::http::state::Guarded;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::accounts::TokenInfo;
use rapport_app::auth::passkeys::PasskeyInfo;
use rapport_app::scheduling::FeedStatus;
use rapport_domain::{Error, Role};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    name: String,
    email: String,
    roles: String,
    csrf: String,
    tokens: Vec<TokenInfo>,
    passkeys: Vec<PasskeyInfo>,
    /// To tell expired tokens from live ones.
    now: chrono::DateTime<chrono::Utc>,
    new_token: Option<String>,
    /// A clinician's calendar subscription: `Some(None)` when they have none, `None` for someone without a calendar.
    feed: Option<Option<FeedStatus>>,
    /// The subscription address just made, shown this once.
    new_feed_url: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

pub(super) async fn page(
    st: &AppState,
    s: &Staff,
    new_token: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    page_with_feed(st, s, new_token, None, notice, error).await
}

/// The page, with the calendar subscription address just made (`calendar_feed`).
pub(super) async fn page_with_feed(
    st: &AppState,
    s: &Staff,
    new_token: Option<String>,
    new_feed_url: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let feed = match s.is(Role::Clinician) {
        true => match st.app.my_calendar_feed(&s.ctx).await {
            Ok(f) => Some(f),
            Err(e) => return error_page(e, &s.rid, Nav::of(s)),
        },
        false => None,
    };
    let lists = match st.app.list_api_tokens(&s.ctx).await {
        Ok(tokens) => st
            .app
            .list_passkeys(&s.session)
            .await
            .map(|passkeys| (tokens, passkeys)),
        Err(e) => Err(e),
    };
    match lists {
        Ok((tokens, passkeys)) => AccountPage {
            zone: s.zone(),
            nav: Nav::of(s),
            name: s.session.display_name.clone(),
            email: s.session.email.clone(),
            now: rapport_app::clock::now_utc(),
            roles: s
                .session
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", "),
            csrf: s.session.csrf_token.clone(),
            tokens,
            passkeys,
            new_token,
            feed,
            new_feed_url,
            notice,
            error,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(s)),
    }
}

pub async fn show(State(st): State<AppState>, s: Staff) -> Response {
    page(&st, &s, None, None, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    expires_in_days: Option<i64>,
}

pub async fn create_token(
    State(st): State<AppState>,
    s: Staff,
    Form(f): Form<TokenForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .create_api_token(&s.ctx, &f.name, f.expires_in_days)
        .await
    {
        Ok((raw, _)) => page(&st, &s, Some(raw), None, None).await,
        Err(e @ Error::Validation(_)) => page(&st, &s, None, None, Some(form_message(&e))).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn revoke_token(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.revoke_api_token(&s.ctx, id).await {
        Ok(()) => page(&st, &s, None, Some("Token revoked.".into()), None).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct ReauthForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    password: String,
}

pub async fn new_authenticator(
    State(st): State<AppState>,
    s: Staff,
    Form(f): Form<ReauthForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = match st.check_rate(Guarded::Reauthenticate, s.ip) {
        Ok(()) => {
            st.app
                .reauthenticate(&s.session, &f.password, Some(&s.rid.0))
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = r {
        return match e {
            e if e.is_server_fault() => error_page(e, &s.rid, Nav::of(&s)),
            other => page(&st, &s, None, None, Some(form_message(&other))).await,
        };
    }
    match st
        .app
        .begin_totp_enrolment(&s.session, Some(&s.rid.0))
        .await
    {
        Ok(_) => Redirect::to("/mfa/setup").into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
