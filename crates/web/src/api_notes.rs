//! The clinical-notes part of the JSON API: templates, a client's notes, drafts (If-Match versions), signing,
//! co-signing, taking over the draft of an author who left the care team, addenda and psychotherapy-note shares.

use crate::api::{created, if_match, with_etag};
use crate::auth::Caller;
use crate::error::{ApiResult, OrApi};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use rapport_app::chart::ChartQuery;
use rapport_app::notes::{DraftInput, NewNote};
use rapport_domain::notes::Template;
use rapport_domain::{ClientId, NoteId, UserId};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/note-templates", get(list_templates))
        .route("/api/v1/note-templates/{key}", put(put_template))
        .route(
            "/api/v1/clients/{id}/notes",
            get(client_notes).post(create_note),
        )
        .route("/api/v1/notes/dashboard", get(dashboard))
        .route("/api/v1/clients/{id}/chart", get(chart))
        .route("/api/v1/notes/{id}", get(get_note).put(save_draft))
        .route("/api/v1/notes/{id}/sign", post(sign))
        .route("/api/v1/notes/{id}/cosign", post(cosign))
        .route("/api/v1/notes/{id}/take-over", post(take_over))
        .route("/api/v1/notes/{id}/addenda", post(add_addendum))
        .route("/api/v1/notes/{id}/shares", post(share))
        .route("/api/v1/notes/{id}/shares/{user_id}", delete(unshare))
        .route("/api/v1/notes/{id}/release-consents", post(release_consent))
        .route("/api/v1/notes/{id}/releases", post(release))
        .route("/api/v1/units", post(create_unit))
        .route("/api/v1/units/{id}", get(get_unit))
        .route("/api/v1/units/{id}/notes", post(create_joint_note))
}

async fn list_templates(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.note_templates(&c.ctx).await.or_api(&c.rid)?).into_response())
}

/// A practice template as submitted: the key comes from the path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateInput {
    label: String,
    kind: rapport_domain::notes::NoteKind,
    fields: Vec<rapport_domain::notes::Field>,
}

async fn put_template(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Response> {
    let t = Template {
        key: key.clone(),
        label: input.label,
        kind: input.kind,
        fields: input.fields,
        built_in: false,
    };
    Ok(Json(
        s.app
            .put_note_template(&c.ctx, &key, t)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

async fn client_notes(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_notes(&c.ctx, ClientId(id))
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

async fn create_note(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewNote>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/notes/{id}");
    op.answer(s.app.create_note(&op.ctx, ClientId(id), input).await)
}

async fn chart(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ChartQuery>,
) -> ApiResult<Response> {
    Ok(Json(
        s.app
            .client_chart(&c.ctx, ClientId(id), &q)
            .await
            .or_api(&c.rid)?,
    )
    .into_response())
}

async fn dashboard(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.notes_dashboard(&c.ctx).await.or_api(&c.rid)?).into_response())
}

async fn get_note(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s.app.get_note(&c.ctx, NoteId(id)).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn save_draft(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<DraftInput>,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .save_note_draft(&c.ctx, NoteId(id), version, input)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn sign(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .sign_note(&c.ctx, NoteId(id), version)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn cosign(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s.app.cosign_note(&c.ctx, NoteId(id)).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

async fn take_over(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let version = if_match(&headers, &c)?;
    let v = s
        .app
        .take_over_note(&c.ctx, NoteId(id), version)
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddendumInput {
    body: String,
}

async fn add_addendum(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<AddendumInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/notes/{id}"));
    op.answer(
        s.app
            .add_note_addendum(&op.ctx, NoteId(id), &input.body)
            .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareInput {
    user_id: Uuid,
}

async fn share(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ShareInput>,
) -> ApiResult<Response> {
    let v = s
        .app
        .share_note(&c.ctx, NoteId(id), UserId(input.user_id), true)
        .await
        .or_api(&c.rid)?;
    Ok(Json(v).into_response())
}

async fn unshare(
    c: Caller,
    State(s): State<AppState>,
    ApiPath((id, user)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let v = s
        .app
        .share_note(&c.ctx, NoteId(id), UserId(user), false)
        .await
        .or_api(&c.rid)?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentInput {
    client_id: Uuid,
    how: String,
}

async fn release_consent(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> ApiResult<Response> {
    let v = s
        .app
        .record_release_consent(&c.ctx, NoteId(id), ClientId(input.client_id), &input.how)
        .await
        .or_api(&c.rid)?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseInput {
    recipient: String,
    purpose: String,
}

async fn release(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReleaseInput>,
) -> ApiResult<Response> {
    let op = once.at(c, format!("/api/v1/notes/{id}"));
    op.answer(
        s.app
            .release_note(&op.ctx, NoteId(id), &input.recipient, &input.purpose)
            .await,
    )
}

async fn create_unit(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<rapport_app::units::NewUnit>,
) -> ApiResult<Response> {
    let u = s.app.create_unit(&c.ctx, input).await.or_api(&c.rid)?;
    Ok(created(format!("/api/v1/units/{}", u.id), u))
}

async fn get_unit(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_unit(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

async fn create_joint_note(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewNote>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/notes/{id}");
    op.answer(s.app.create_joint_note(&op.ctx, id, input).await)
}
