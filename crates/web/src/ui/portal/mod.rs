//! The client portal: a client's or guardian's own sign-in, coming appointments (with cancellation), the safety
//! plan and the record. Every read goes through the same policy and audit log as the staff's.

mod views;

pub(crate) use crate::http::page::{PagePath, error_page, form_message};

use crate::http::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/login", get(views::login_page).post(views::login))
        .route("/portal/logout", post(views::logout))
        .route(
            "/portal/welcome/{token}",
            get(views::welcome_page).post(views::welcome),
        )
        .route("/portal", get(views::home))
        .route("/portal/clients/{id}", get(views::client))
        .route("/portal/clients/{id}/record", get(views::record))
        .route(
            "/portal/clients/{id}/appointments/{appointment}/cancel",
            post(views::cancel),
        )
}
