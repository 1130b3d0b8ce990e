//! Body, query and path extractors whose rejections use our error format: malformed JSON is a 400, JSON of the
//! wrong shape (unknown field, wrong type) a 422 naming the problem, a missing content type a 415.

use crate::http::auth::request_id;
use crate::http::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let rid = request_id(&parts);
        let req = Request::from_parts(parts, body);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::edge(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!(
                    "The request body does not fit: {}",
                    e.body_text().trim_start_matches(
                        "Failed to deserialize the JSON body into the target type: "
                    )
                ),
                &rid,
            )),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::edge(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "The request body is not valid JSON.",
                &rid,
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::edge(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with 'Content-Type: application/json'.",
                &rid,
            )),
            Err(e) => Err(ApiError::edge(
                e.status(),
                crate::http::edge_errors::code_for(e.status()).0,
                e.body_text(),
                &rid,
            )),
        }
    }
}

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e @ QueryRejection::FailedToDeserializeQueryString(_)) => Err(ApiError::edge(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                format!("The query parameters do not fit: {}", e.body_text()),
                &rid,
            )),
            Err(e) => Err(ApiError::edge(
                e.status(),
                crate::http::edge_errors::code_for(e.status()).0,
                e.body_text(),
                &rid,
            )),
        }
    }
}

/// Path parameters; one that does not parse (not a UUID, say) names no record, so it is a 404.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(ApiError::from_domain(rapport_domain::Error::NotFound, &rid))
            }
            Err(e) => Err(ApiError::edge(
                e.status(),
                crate::http::edge_errors::code_for(e.status()).0,
                e.body_text(),
                &rid,
            )),
        }
    }
}
