//! The `Idempotency-Key` header on creates: a middleware hashes the body of a keyed POST (the JSON extractor then
//! reads the same bytes), an extractor checks the key and hands it to the use case with the route, the hash and
//! where the created thing will live, and `Creating::answer` gives either the fresh 201 or the first answer again.
//!
//! The key is honoured inside the create's own transaction (see `rapport_app::idempotency`), never here: this
//! module only reads the request and writes the response.

use crate::api::created;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request_id::RequestId;
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

/// The POST routes that create and honour `Idempotency-Key` (the OpenAPI document lists the header on these).
pub const ROUTES: &[&str] = &[
    "/api/v1/clients",
    "/api/v1/clients/{id}/episodes",
    "/api/v1/clients/{id}/notes",
    "/api/v1/clients/{id}/medications",
    "/api/v1/clients/{id}/referrals",
    "/api/v1/clients/{id}/plans",
    "/api/v1/clients/{id}/record-requests",
    "/api/v1/clients/{id}/measure-assignments",
    "/api/v1/clients/{id}/measure-responses",
    "/api/v1/clients/{id}/behaviours",
    "/api/v1/clients/{id}/behaviour-entries",
    "/api/v1/clients/{id}/homework",
    "/api/v1/appointments",
    "/api/v1/waitlist",
    "/api/v1/notes/{id}/addenda",
    "/api/v1/notes/{id}/releases",
    "/api/v1/units/{id}/notes",
    "/api/v1/groups",
    "/api/v1/groups/{id}/members",
    "/api/v1/groups/{id}/sessions",
    "/api/v1/emergency-access",
    "/api/v1/on-call-shifts",
    "/api/v1/locations",
    "/api/v1/locations/{id}/rooms",
    "/api/v1/clinicians/{id}/availability-exceptions",
];

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
        let rid = crate::auth::request_id(parts);
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
    use super::{ROUTES, valid};

    #[test]
    fn every_keyed_route_is_a_registered_post() {
        for path in ROUTES {
            assert!(
                crate::api::ROUTES
                    .iter()
                    .any(|r| r.method == "POST" && r.path == *path),
                "{path} is not a POST route of the registry"
            );
        }
    }

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
