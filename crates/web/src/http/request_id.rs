//! Request ids and the access log line. The log names the route template (`/clients/{id}`), never the raw URI,
//! whose query string could carry a client's name.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Outermost layer: every request gets an id, echoed in `X-Request-Id` and shown on error pages.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Route layer (runs after routing, so the matched template is known): one log line per request.
pub async fn log(req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().clone();
    let start = Instant::now();
    let res = next.run(req).await;
    tracing::info!(
        request_id = %id,
        %method,
        route = %route,
        status = res.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
        "request"
    );
    res
}
