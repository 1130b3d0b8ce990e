//! Errors raised outside our handlers, answered in the shape of every other error: the JSON body with the request
//! id (`error::ApiError`), or the error page for a browser.
//!
//! The layers that raise them (tower-http's body limit, axum's method router and form extractor, the catch-panic
//! layer) answer in plain text or with no body at all. Rather than re-implement each, one middleware (`uniform`)
//! reshapes every error response that is neither JSON nor HTML, keeping its status and headers (`Allow` on a
//! 405). A panic becomes such a response first (`panicked`), so the connection always gets an answer.

use crate::http::error::ApiError;
use crate::http::request_id::RequestId;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;

/// The stable code and a plain message for an error status raised at the edge.
pub fn code_for(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("request.bad", "The request could not be read."),
        StatusCode::FORBIDDEN => ("forbidden", "You may not do this."),
        StatusCode::NOT_FOUND => ("not_found", "Nothing was found here."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "request.method_not_allowed",
            "This address does not take this method (the Allow header lists those it takes).",
        ),
        StatusCode::REQUEST_TIMEOUT => ("request.timeout", "The request took too long."),
        StatusCode::LENGTH_REQUIRED => (
            "request.length_required",
            "Say how long the request body is (Content-Length).",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "request.too_large",
            "The request body is too large (at most 1 MiB).",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "This kind of request body is not accepted here.",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_body", "The request body does not fit."),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Too many requests; try again later."),
        StatusCode::SERVICE_UNAVAILABLE => (
            "unavailable",
            "The service cannot answer now; try again shortly.",
        ),
        s if s.is_client_error() => ("request.refused", "The request was refused."),
        _ => (
            "internal",
            "Something went wrong on our side. Please try again; if it happens again, quote the request id.",
        ),
    }
}

/// Whether an error for this request is shown as a page: a browser (it asks for HTML) outside the API.
pub fn wants_page(headers: &HeaderMap, path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/fhir/"))
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

/// An error answer in our shape: a page for a browser, else the JSON body.
pub fn answer(
    status: StatusCode,
    code: &'static str,
    message: &str,
    rid: &RequestId,
    page: bool,
) -> Response {
    if page {
        crate::http::page::status_page(status, message.to_string(), rid, None)
    } else {
        ApiError::edge(status, code, message, rid).into_response()
    }
}

/// Marks the answer `CatchPanicLayer` gives for a panic, so `uniform` can log it with the request id.
#[derive(Debug, Clone, Copy)]
struct Panicked;

/// The catch-panic layer's answer: a bare 500 that `uniform` reshapes. The panic's message is not repeated in the
/// log (the panic hook printed it with its place); the request id ties the two together.
pub fn panicked(_payload: Box<dyn Any + Send + 'static>) -> Response {
    let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    r.extensions_mut().insert(Panicked);
    r
}

fn shaped(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json") || t.starts_with("text/html"))
}

/// Middleware (inside `request_id::assign`): reshapes any error response that is neither JSON nor HTML.
pub async fn uniform(req: Request, next: Next) -> Response {
    let rid = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId(String::new()));
    let page = wants_page(req.headers(), req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || shaped(&res) {
        return res;
    }
    if res.extensions().get::<Panicked>().is_some() {
        tracing::error!(request_id = %rid.0, "a request panicked; answered 500");
    }
    let (code, message) = code_for(status);
    let mut out = answer(status, code, message, &rid, page);
    let mut kept = res.headers().clone();
    kept.remove(header::CONTENT_TYPE);
    kept.remove(header::CONTENT_LENGTH);
    out.headers_mut().extend(kept);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_edge_status_has_its_own_code() {
        assert_eq!(
            code_for(StatusCode::PAYLOAD_TOO_LARGE).0,
            "request.too_large"
        );
        assert_eq!(
            code_for(StatusCode::METHOD_NOT_ALLOWED).0,
            "request.method_not_allowed"
        );
        assert_eq!(code_for(StatusCode::IM_A_TEAPOT).0, "request.refused");
        assert_eq!(code_for(StatusCode::BAD_GATEWAY).0, "internal");
    }

    #[test]
    fn only_browsers_outside_the_api_get_pages() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            "text/html,application/xhtml+xml".parse().unwrap(),
        );
        assert!(wants_page(&h, "/clients"));
        assert!(!wants_page(&h, "/api/v1/clients"));
        assert!(!wants_page(&HeaderMap::new(), "/clients"));
    }
}
