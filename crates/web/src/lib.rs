//! Rapport's HTTP edge: the JSON API under `/api/v1`, the pages of each audience (staff, portal, public), health
//! endpoints and static assets, behind the middleware every response passes through.
//!
//! Layers, top to bottom, and nothing imports upward: this file (the routers) → `api` (one table registers every
//! API route for the router, the OpenAPI document and the role matrix) and `ui::{staff, portal, public}` →
//! `http` (state, identity, extractors, errors, response shapes, middleware). The crate depends on `rapport-app`
//! only: it cannot reach the database except through a use case, so it cannot skip the policy or the audit log.

// The OpenAPI schema table is one large `json!` literal.
#![recursion_limit = "512"]

pub mod api;
pub mod http;
pub mod ui;
/// Instants in the reader's zone: the domain's `when`, named here for the templates.
pub use rapport_domain::when;

pub use http::state::{AppState, WebConfig};

use axum::Router;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::auth::AnySession;
use http::{assets, health, request_id};
use rapport_app::App;
use rapport_domain::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

pub fn router(app: App, cfg: WebConfig) -> Router {
    let state = AppState::new(app, cfg);
    http::edges::edges(
        Router::new()
            .merge(api::router())
            .merge(ui::router())
            .route("/healthz", get(health::healthz))
            .route("/readyz", get(health::readyz))
            .route("/static/app.css", get(assets::stylesheet))
            .route("/static/autosave.js", get(assets::autosave_script))
            .route("/static/passkey.js", get(assets::passkey_script))
            .route(
                "/static/client-picker.js",
                get(assets::client_picker_script),
            )
            .route("/static/tz-select.js", get(assets::tz_select_script))
            .route("/static/talk-time.js", get(assets::talk_time_script))
            .fallback(not_found)
            .route_layer(middleware::from_fn(request_id::log)),
    )
    .with_state(state)
}

/// The fallback for unknown paths: JSON under `/api/`, a page elsewhere.
async fn not_found(uri: axum::http::Uri, s: AnySession) -> Response {
    if uri.path().starts_with("/api/") {
        api::not_found(&s.rid).into_response()
    } else {
        http::page::error_page(Error::NotFound, &s.rid, None)
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish. Expired sessions are swept hourly.
pub async fn serve(
    listener: TcpListener,
    app: App,
    cfg: WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                rapport_app::worker::guarded("session sweep", app.sweep_sessions()).await;
            }
        })
    };
    let r = axum::serve(
        listener,
        router(app, cfg).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    r
}
