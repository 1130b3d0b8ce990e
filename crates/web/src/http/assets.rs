//! The static assets, compiled into the binary and served from our origin (the CSP allows no other).

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// The note editor's autosave, served from our origin (the CSP allows no other scripts).
pub(crate) async fn autosave_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/autosave.js"),
    )
        .into_response()
}

/// Passkeys: the calls around `navigator.credentials` on the account and second-step pages.
pub(crate) async fn passkey_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/passkey.js"),
    )
        .into_response()
}

/// The booking and waitlist forms' client search as one types (progressive: the forms work without it).
pub(crate) async fn client_picker_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/client-picker.js"),
    )
        .into_response()
}

/// Public booking: preselects the visitor's own time zone from the browser (the page works without it).
pub(crate) async fn tz_select_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/tz-select.js"),
    )
        .into_response()
}

/// Group sessions: "Now speaking" without a page reload, a running clock, and clicks kept through a dropped
/// connection (the forms work without it).
pub(crate) async fn talk_time_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/talk-time.js"),
    )
        .into_response()
}
