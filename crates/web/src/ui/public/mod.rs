//! Pages for people without an account: the practice's online booking, the questionnaire and diary links a client
//! is sent, and the calendar feeds a clinician subscribes to. Each link carries its own token; none of them shows
//! more than the token holder may see.

mod booking;
mod calendar_feed;
mod diary;
mod questionnaire;

pub(crate) use crate::http::page::{Nav, PagePath, error_page, form_message};

use crate::http::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/book", get(booking::index))
        .route(
            "/book/clinician/{id}",
            get(booking::clinician).post(booking::request),
        )
        .route(
            "/book/returning",
            get(booking::returning).post(booking::send_link),
        )
        .route(
            "/book/link/{token}",
            get(booking::link).post(booking::book_link),
        )
        .route(
            "/book/link/{token}/appointments/{id}/ics",
            get(booking::link_ics),
        )
        .route(
            "/book/link/{token}/appointments/{id}/cancel",
            post(booking::link_cancel),
        )
        .route(
            "/m/{token}",
            get(questionnaire::show).post(questionnaire::submit),
        )
        .route("/log/{token}", get(diary::show).post(diary::submit))
        .route("/calendar/{file}", get(calendar_feed::feed))
}
