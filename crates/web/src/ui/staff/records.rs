//! Pages for the whole record: the printable export (the browser's "Save as PDF" makes the PDF) and its JSON
//! download, and the register of record requests with the forms to log, fulfil and deny them. Fulfilling answers
//! with the record itself, as a page to print or a JSON file, so the copy handed over is the one audited.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::ui::record::RecordPage;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::records::{
    ClientRecord, ExtendInput, RecordRequestView, RequestInput, RequestQuery,
};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use uuid::Uuid;

/// The record as a JSON file to hand over or archive.
fn json_file(r: &ClientRecord) -> Response {
    match serde_json::to_string_pretty(r) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"record-{}.json\"", r.client.id),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            body,
        )
            .into_response(),
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the record could not be written: {e}"),
        )
            .into_response(),
    }
}

/// The printable export of one client's record.
pub async fn export(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.export_client_record(&s.ctx, ClientId(id)).await {
        Ok(r) => RecordPage {
            zone: s.zone(),
            back: format!("/clients/{id}"),
            back_label: "Back to the client",
            r,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// The same export as a JSON file.
pub async fn export_json(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.export_client_record(&s.ctx, ClientId(id)).await {
        Ok(r) => json_file(&r),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "record_requests.html")]
struct RequestsPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    all: bool,
    items: Vec<RecordRequestView>,
    days: u32,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    done: Option<String>,
}

pub async fn list(State(st): State<AppState>, s: Staff, Query(q): Query<ListQuery>) -> Response {
    let all = q.status.as_deref() == Some("all");
    let rq = RequestQuery {
        status: q.status.clone(),
    };
    let items = match st.app.record_requests(&s.ctx, &rq).await {
        Ok(i) => i,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let notice = match q.done.as_deref() {
        Some("logged") => Some("Request logged.".to_string()),
        Some("denied") => Some("Request denied; the reason is recorded.".to_string()),
        Some("extended") => Some(
            "Request extended; tell the requester in writing the reasons and the new due date."
                .to_string(),
        ),
        _ => None,
    };
    RequestsPage {
        zone: s.zone(),
        nav: Nav::of(&s),
        csrf: s.session.csrf_token.clone(),
        all,
        items,
        days: st.app.record_request_days().await.unwrap_or(30),
        notice,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LogForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    received_on: Option<String>,
    capacity: String,
    #[serde(default)]
    requester: Option<String>,
    format: String,
    delivery: String,
    #[serde(default)]
    notes: Option<String>,
}

pub async fn log(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<LogForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = RequestInput {
        received_on: f.received_on,
        capacity: f.capacity,
        requester: f.requester,
        format: f.format,
        delivery: f.delivery,
        notes: f.notes,
    };
    match st.app.log_record_request(&s.ctx, ClientId(id), input).await {
        Ok(_) => Redirect::to("/record-requests?done=logged").into_response(),
        Err(e @ Error::Validation(_)) => error_page(
            Error::invalid("request", form_message(&e)),
            &s.rid,
            Nav::of(&s),
        ),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct FulfilForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// `json` for a file; otherwise the printable page.
    #[serde(default)]
    output: Option<String>,
}

pub async fn fulfil(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<FulfilForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.fulfil_record_request(&s.ctx, id).await {
        Ok(done) if f.output.as_deref() == Some("json") => json_file(&done.record),
        Ok(done) => RecordPage {
            zone: s.zone(),
            back: format!("/clients/{}", done.record.client.id),
            back_label: "Back to the client",
            r: done.record,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct DenyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    reason: String,
}

pub async fn deny(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<DenyForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.deny_record_request(&s.ctx, id, &f.reason).await {
        Ok(_) => Redirect::to("/record-requests?status=all&done=denied").into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct ExtendForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    days: String,
    reason: String,
}

pub async fn extend(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ExtendForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let Ok(days) = f.days.trim().parse::<i64>() else {
        return error_page(
            Error::invalid("days", "give the number of days, 1 to 30"),
            &s.rid,
            Nav::of(&s),
        );
    };
    let input = ExtendInput {
        days,
        reason: f.reason,
    };
    match st.app.extend_record_request(&s.ctx, id, &input).await {
        Ok(_) => Redirect::to("/record-requests?done=extended").into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
