//! The one mapping from `rapport_domain::Error` to HTTP: a JSON body for the API, a friendly page for the UI.
//! Internal details never reach the response; they are logged with the request id.

use crate::http::request_id::RequestId;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::{Error, FieldError};
use serde::Serialize;

/// Status, stable code and a message a person understands.
pub fn classify(e: &Error) -> (StatusCode, &'static str, String) {
    match e {
        Error::NotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            "Nothing was found here.".into(),
        ),
        Error::Forbidden(why) => (
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("You may not do this: {why}."),
        ),
        Error::Conflict(why) => (StatusCode::CONFLICT, "conflict", capitalise(why)),
        Error::Validation(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Some of the information is not valid; see the fields.".into(),
        ),
        Error::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Please sign in.".into(),
        ),
        Error::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Too many attempts. Try again in {} minute(s).",
                retry_after_secs.div_ceil(60)
            ),
        ),
        // A replay is answered by `idempotency::Creating`; one that got here lost its way: say so, not 500.
        Error::Replay(_) => (
            StatusCode::CONFLICT,
            "idempotency.replay",
            "This request was already answered under its Idempotency-Key.".into(),
        ),
        Error::IdempotencyMismatch => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency.mismatch",
            "This Idempotency-Key was already used for a different request.".into(),
        ),
        Error::StorageFull(_) => (
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "The server's disk is full, so nothing was saved. Please tell the practice's administrator; \
             what you entered can be sent again once there is room."
                .into(),
        ),
        Error::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The database is not available just now, so nothing was saved. Please try again in a moment."
                .into(),
        ),
        Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Nothing was changed; please try again.".into(),
        ),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: String,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [FieldError]>,
}

/// An API error: the domain error (or an edge error with its own status and code) plus the request id.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Option<Vec<FieldError>>,
    pub request_id: RequestId,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn from_domain(e: Error, rid: &RequestId) -> Self {
        match &e {
            Error::Internal(detail) => {
                tracing::error!(request_id = %rid.0, %detail, "internal error")
            }
            Error::StorageFull(detail) | Error::Unavailable(detail) => {
                tracing::error!(request_id = %rid.0, %detail, "the database could not keep a write")
            }
            _ => {}
        }
        let (status, code, message) = classify(&e);
        ApiError {
            status,
            code,
            message,
            retry_after: match &e {
                Error::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            },
            fields: match e {
                Error::Validation(f) => Some(f),
                _ => None,
            },
            request_id: rid.clone(),
        }
    }

    pub fn edge(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        rid: &RequestId,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: None,
            request_id: rid.clone(),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: self.message,
            request_id: &self.request_id.0,
            fields: self.fields.as_deref(),
        };
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rapport\""),
            );
        }
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Attaches the request id to a domain result.
pub trait OrApi<T> {
    fn or_api(self, rid: &RequestId) -> ApiResult<T>;
}

impl<T> OrApi<T> for Result<T, Error> {
    fn or_api(self, rid: &RequestId) -> ApiResult<T> {
        self.map_err(|e| ApiError::from_domain(e, rid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_own_status() {
        let cases = [
            (Error::NotFound, 404),
            (Error::Forbidden("x".into()), 403),
            (Error::Conflict("x".into()), 409),
            (Error::invalid("f", "m"), 422),
            (Error::Unauthenticated, 401),
            (
                Error::RateLimited {
                    retry_after_secs: 61,
                },
                429,
            ),
            (Error::Internal("secret detail".into()), 500),
        ];
        for (e, status) in cases {
            let (s, _, msg) = classify(&e);
            assert_eq!(s.as_u16(), status, "{e:?}");
            assert!(
                !msg.contains("secret detail"),
                "internal details must not leak"
            );
        }
    }
}
