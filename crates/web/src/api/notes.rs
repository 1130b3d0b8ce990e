//! The clinical-notes part of the JSON API: templates, a client's notes, drafts (If-Match versions), signing,
//! co-signing, taking over the draft of an author who left the care team, addenda and psychotherapy-note shares.

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, OrApi};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::IdempotencyKey;
use crate::http::responses::{created, if_match, with_etag};
use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use rapport_app::chart::ChartQuery;
use rapport_app::notes::{DraftInput, NewNote};
use rapport_domain::notes::Template;
use rapport_domain::{ClientId, NoteId, UserId};
use serde::Deserialize;
use uuid::Uuid;

pub(super) async fn list_templates(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.note_templates(&c.ctx).await.or_api(&c.rid)?).into_response())
}

/// A practice template as submitted: the key comes from the path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateInput {
    label: String,
    kind: rapport_domain::notes::NoteKind,
    fields: Vec<rapport_domain::notes::Field>,
}

pub(super) async fn put_template(
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

pub(super) async fn client_notes(
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

pub(super) async fn create_note(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewNote>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/notes/{id}");
    op.answer(s.app.create_note(&op.ctx, ClientId(id), input).await)
}

pub(super) async fn chart(
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

pub(super) async fn dashboard(c: Caller, State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(s.app.notes_dashboard(&c.ctx).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn get_note(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let v = s.app.get_note(&c.ctx, NoteId(id)).await.or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn save_draft(
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

pub(super) async fn sign(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CosignInput {
    /// For the trainee, kept with the note.
    #[serde(default)]
    feedback: Option<String>,
}

pub(super) async fn cosign(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(i): ApiJson<CosignInput>,
) -> ApiResult<Response> {
    let v = s
        .app
        .cosign_note(&c.ctx, NoteId(id), i.feedback.as_deref())
        .await
        .or_api(&c.rid)?;
    Ok(with_etag(v.version, v))
}

pub(super) async fn take_over(
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
pub(super) struct AddendumInput {
    body: String,
}

pub(super) async fn add_addendum(
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
pub(super) struct ShareInput {
    user_id: Uuid,
}

pub(super) async fn share(
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

pub(super) async fn unshare(
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
pub(super) struct ConsentInput {
    client_id: Uuid,
    how: String,
}

pub(super) async fn release_consent(
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
pub(super) struct ReleaseInput {
    recipient: String,
    purpose: String,
}

pub(super) async fn release(
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

pub(super) async fn create_unit(
    c: Caller,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<rapport_app::units::NewUnit>,
) -> ApiResult<Response> {
    let u = s.app.create_unit(&c.ctx, input).await.or_api(&c.rid)?;
    Ok(created(format!("/api/v1/units/{}", u.id), u))
}

pub(super) async fn get_unit(
    c: Caller,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_unit(&c.ctx, id).await.or_api(&c.rid)?).into_response())
}

pub(super) async fn create_joint_note(
    c: Caller,
    once: IdempotencyKey,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewNote>,
) -> ApiResult<Response> {
    let op = once.at(c, "/api/v1/notes/{id}");
    op.answer(s.app.create_joint_note(&op.ctx, id, input).await)
}
