//! The middleware every response passes through: request id, security headers, our error shape for what fails
//! outside the handlers, the body limit, and the same-origin check for state-changing requests.

use crate::http::{edge_errors, idempotency, request_id};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/// Security headers on every response; nothing but static assets may be cached (pages carry clinical data).
async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin` rather than `no-referrer`: under no-referrer browsers send `Origin: null` on form posts, which
    // the same-origin check must refuse; referrers still never leave the site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Refuses state-changing requests sent by a page on another origin (defence in depth beside CSRF tokens and
/// SameSite cookies). Requests without an Origin header (API clients, old browsers) pass to the other checks.
async fn same_origin(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
    {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        let fetch_site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok());
        let same = if origin == "null" {
            fetch_site == Some("same-origin")
        } else {
            origin_host == host
        };
        if !same {
            let rid = req
                .extensions()
                .get::<request_id::RequestId>()
                .cloned()
                .unwrap_or_else(|| request_id::RequestId(String::new()));
            return edge_errors::answer(
                StatusCode::FORBIDDEN,
                "request.cross_origin",
                "A change sent from another site was refused.",
                &rid,
                edge_errors::wants_page(req.headers(), req.uri().path()),
            );
        }
    }
    next.run(req).await
}

/// The middleware every response passes through (the last layer added is the outermost).
pub fn edges<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .layer(middleware::from_fn(same_origin))
        // Inside the body limit: a keyed create's body is read (to hash it) only up to the limit.
        .layer(middleware::from_fn(idempotency::hash_body))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        // A panic answers 500 instead of closing the connection; `uniform` gives every error raised outside the
        // handlers (this one, the body limit's 413, the router's 405) our error shape with the request id.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            edge_errors::panicked,
        ))
        .layer(middleware::from_fn(edge_errors::uniform))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(request_id::assign))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A handler that panics gets an answer (500 in our JSON shape, with the request id and the security
    /// headers), not a closed connection; the next request is served as usual.
    #[tokio::test]
    async fn a_panicking_handler_is_answered_in_our_error_shape() {
        let app = edges(
            Router::new()
                .route(
                    "/boom",
                    get(|| async {
                        let t = chrono::DateTime::<chrono::Utc>::MAX_UTC;
                        (t + chrono::Duration::days(1)).to_string()
                    }),
                )
                .route("/fine", get(|| async { "fine" })),
        );
        let res = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let j: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(j["error"], "internal");
        assert_eq!(j["request_id"], rid.as_str());
        let res = app
            .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    /// A browser asking a page gets the error page instead.
    #[tokio::test]
    async fn a_browser_gets_the_error_page_for_a_wrong_method() {
        let app = edges(Router::new().route("/page", get(|| async { "page" })));
        let res = app
            .oneshot(
                Request::delete("/page")
                    .header(header::ACCEPT, "text/html")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(res.headers().contains_key(header::ALLOW));
        let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let page = String::from_utf8_lossy(&body);
        assert!(
            page.contains("Not possible here") && page.contains(&rid),
            "{page}"
        );
    }
}
