//! The `Idempotency-Key` header on creates: a middleware hashes the body of a keyed POST (the JSON extractor then
//! reads the same bytes), an extractor checks the key and hands it to the use case with the route, the hash and
//! where the created thing will live, and `Creating::answer` gives either the fresh 201 or the first answer again.
//!
//! The key is honoured inside the create's own transaction (see `rapport_app::idempotency`), never here: this
//! module only reads the request and writes the response.

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::request_id::RequestId;
use crate::http::responses::created;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rapport_app::Ctx;
use rapport_app::idempotency::{Once, location};
use rapport_domain::{Error, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";

/// The SHA-256 of a keyed request's body, hex.
#[derive(Debug, Clone)]
struct BodyHash(String);

/// Reads the body of a POST that carries a key, to hash it, and puts the same bytes back for the handler. Runs
/// inside the body limit, so an oversized body is still a 413.
pub async fn hash_body(req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    parts
        .extensions
        .insert(BodyHash(hex::encode(Sha256::digest(&bytes))));
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The optional `Idempotency-Key` of a create: 1–255 printable ASCII characters, else 422.
pub struct IdempotencyKey(Option<(String, String, String)>);

fn valid(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.headers.get(HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let rid = crate::http::auth::request_id(parts);
        let key = match raw.to_str() {
            Ok(k) if valid(k) => k.to_string(),
            _ => {
                return Err(ApiError::edge(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency.invalid_key",
                    "The Idempotency-Key must be 1 to 255 printable ASCII characters.",
                    &rid,
                ));
            }
        };
        let route = format!(
            "{} {}",
            parts.method,
            parts
                .extensions
                .get::<MatchedPath>()
                .map_or_else(|| parts.uri.path(), MatchedPath::as_str)
        );
        let hash = match parts.extensions.get::<BodyHash>() {
            Some(h) => h.0.clone(),
            None => hex::encode(Sha256::digest(b"")),
        };
        Ok(IdempotencyKey(Some((key, route, hash))))
    }
}

/// A create under way: its context (with the key, if any) and where the created thing will live.
pub struct Creating {
    pub ctx: Ctx,
    location: String,
    rid: RequestId,
}

impl IdempotencyKey {
    /// The caller's context for this create; `location` may name fields of the answer (`{id}`, see
    /// `rapport_app::idempotency::location`).
    pub fn at(self, c: Caller, location: impl Into<String>) -> Creating {
        let location = location.into();
        let once = self.0.map(|(key, route, hash)| Once {
            key,
            route,
            hash,
            location: location.clone(),
        });
        Creating {
            ctx: c.ctx.with_once(once),
            location,
            rid: c.rid,
        }
    }
}

impl Creating {
    /// The fresh 201, or the first answer given under the key (nothing was written again).
    pub fn answer<T: Serialize>(&self, result: Result<T>) -> ApiResult<Response> {
        match result {
            Ok(v) => {
                let body = serde_json::to_value(&v)
                    .map_err(|e| ApiError::from_domain(Error::internal(e), &self.rid))?;
                Ok(created(location(&self.location, &body), body))
            }
            Err(Error::Replay(r)) => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::CREATED);
                let mut resp = (status, r.body).into_response();
                let h = resp.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                h.insert("idempotent-replayed", HeaderValue::from_static("true"));
                if let Some(l) = r.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                    h.insert(header::LOCATION, l);
                }
                Ok(resp)
            }
            Err(e) => Err(ApiError::from_domain(e, &self.rid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(valid("a"));
        assert!(valid("order 42/retry-1"));
        assert!(valid(&"k".repeat(255)));
        assert!(!valid(""));
        assert!(!valid(&"k".repeat(256)));
        assert!(!valid("tab\there"));
        assert!(!valid("é"));
    }
}
