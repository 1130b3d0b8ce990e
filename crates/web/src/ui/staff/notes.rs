//! Note pages: the notes dashboard (unsigned, late, to co-sign), the editor (autosaved drafts; a stale save shows
//! both versions), the sign dialog, addenda, co-signature and psychotherapy-note shares.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use rapport_app::notes::{DraftInput, NewNote, NoteView, NotesDashboard, Person};
use rapport_domain::notes::{Content, FieldKind};
use rapport_domain::{ClientId, Error, NoteId, UserId};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// One field of the editor or the read view.
pub struct FieldRow {
    pub key: String,
    pub label: String,
    /// "line", "text", "diagnoses" or "choice".
    pub kind: &'static str,
    pub options: Vec<String>,
    pub required: bool,
    pub help: String,
    pub value: String,
    pub error: Option<String>,
    /// After a stale save: what is stored now, when it differs from what was typed.
    pub saved: Option<String>,
}

fn rows(
    n: &NoteView,
    typed: Option<&Content>,
    saved: Option<&Content>,
    e: Option<&Error>,
) -> Vec<FieldRow> {
    let error_for = |key: &str| match e {
        Some(Error::Validation(fields)) => fields
            .iter()
            .find(|f| f.field == format!("fields.{key}"))
            .map(|f| f.message.clone()),
        _ => None,
    };
    n.template
        .fields
        .iter()
        .map(|f| {
            let value = typed
                .unwrap_or(&n.content)
                .get(&f.key)
                .cloned()
                .unwrap_or_default();
            let stored = saved.map(|c| c.get(&f.key).cloned().unwrap_or_default());
            FieldRow {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: match f.kind {
                    FieldKind::Line => "line",
                    FieldKind::Text => "text",
                    FieldKind::Diagnoses => "diagnoses",
                    FieldKind::Choice { .. } => "choice",
                },
                options: match &f.kind {
                    FieldKind::Choice { options } => options.clone(),
                    _ => vec![],
                },
                required: f.required,
                help: f.help.clone().unwrap_or_default(),
                error: error_for(&f.key),
                saved: stored.filter(|s| *s != value),
                value,
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "notes.html")]
struct DashboardPage {
    nav: Option<Nav>,
    d: NotesDashboard,
}

pub async fn dashboard(State(st): State<AppState>, s: Staff) -> Response {
    match st.app.notes_dashboard(&s.ctx).await {
        Ok(d) => DashboardPage {
            nav: Nav::of(&s),
            d,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "note.html")]
struct NotePage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    /// The reader's today: the latest date of service the form offers.
    today: String,
    nav: Option<Nav>,
    csrf: String,
    n: NoteView,
    rows: Vec<FieldRow>,
    service_date: String,
    message: Option<String>,
    notice: Option<&'static str>,
    supervisors: Vec<Person>,
}

async fn note_page(
    st: &AppState,
    s: &Staff,
    n: NoteView,
    typed: Option<(&Content, &str)>,
    saved: Option<&Content>,
    e: Option<&Error>,
    notice: Option<&'static str>,
) -> Response {
    // The share form lists the writer's supervisors; a failure to read them is the page's failure, not an empty list.
    let supervisors = if n.rights.share {
        match st.app.my_supervisors(&s.ctx).await {
            Ok(v) => v,
            Err(err) => return error_page(err, &s.rid, Nav::of(s)),
        }
    } else {
        vec![]
    };
    let status = e.map_or(StatusCode::OK, |e| crate::http::error::classify(e).0);
    let page = NotePage {
        zone: s.zone(),
        today: s.zone().date(rapport_app::clock::now_utc()).to_string(),
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        rows: rows(&n, typed.map(|t| t.0), saved, e),
        service_date: typed
            .map(|t| t.1.to_string())
            .unwrap_or_else(|| n.service_date.to_string()),
        message: e.map(form_message),
        notice,
        supervisors,
        n,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<ShowQuery>,
) -> Response {
    match st.app.get_note(&s.ctx, NoteId(id)).await {
        Ok(n) => {
            let notice = q.saved.is_some().then_some("Draft saved.");
            note_page(&st, &s, n, None, None, None, notice).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct NewNoteForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    template: String,
    #[serde(default)]
    service_date: String,
    /// Set by Today's "Start note": the note documents this appointment and takes its date.
    #[serde(default)]
    appointment_id: Option<Uuid>,
}

pub async fn create(
    State(st): State<AppState>,
    s: Staff,
    PagePath(client): PagePath<Uuid>,
    Form(f): Form<NewNoteForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = NewNote {
        template: f.template,
        service_date: Some(f.service_date),
        appointment_id: f.appointment_id,
        ..Default::default()
    };
    match st.app.create_note(&s.ctx, ClientId(client), input).await {
        Ok(n) => Redirect::to(&format!("/notes/{}", n.id)).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// The editor's form: `_csrf`, `version`, `service_date`, `action` and one `f.<key>` per field.
struct EditorForm {
    csrf: String,
    version: i32,
    service_date: String,
    action: String,
    fields: Content,
}

impl EditorForm {
    fn parse(pairs: Vec<(String, String)>) -> EditorForm {
        let mut f = EditorForm {
            csrf: String::new(),
            version: 0,
            service_date: String::new(),
            action: String::new(),
            fields: Content::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "_csrf" => f.csrf = v,
                "version" => f.version = v.trim().parse().unwrap_or(0),
                "service_date" => f.service_date = v,
                "action" => f.action = v,
                _ => {
                    if let Some(key) = k.strip_prefix("f.") {
                        f.fields.insert(key.to_string(), v);
                    }
                }
            }
        }
        f
    }

    fn input(&self) -> DraftInput {
        DraftInput {
            service_date: Some(self.service_date.clone()),
            fields: self.fields.clone(),
        }
    }
}

pub async fn save(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = EditorForm::parse(pairs);
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let id = NoteId(id);
    match st
        .app
        .save_note_draft(&s.ctx, id, f.version, f.input())
        .await
    {
        Ok(_) if f.action == "sign" => Redirect::to(&format!("/notes/{id}/sign")).into_response(),
        Ok(_) => Redirect::to(&format!("/notes/{id}?saved=1")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let current = match st.app.get_note(&s.ctx, id).await {
                Ok(n) => n,
                Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
            };
            if matches!(e, Error::Conflict(_)) && current.rights.edit {
                // Both versions side by side: the typed text stays in the form, the stored text beside it, and
                // the form now carries the current version so that saving again keeps the typed text knowingly.
                let stored = current.content.clone();
                let e = Error::Conflict(
                    "This note was saved elsewhere (another tab or device) after you opened it. Your text is in \
                     the form; where the saved version differs it is shown under the field. Save again to keep \
                     your text."
                        .into(),
                );
                return note_page(
                    &st,
                    &s,
                    current,
                    Some((&f.fields, &f.service_date)),
                    Some(&stored),
                    Some(&e),
                    None,
                )
                .await;
            }
            note_page(
                &st,
                &s,
                current,
                Some((&f.fields, &f.service_date)),
                None,
                Some(&e),
                None,
            )
            .await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// The autosave endpoint of the editor's script: the same form, answered in JSON.
pub async fn autosave(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = EditorForm::parse(pairs);
    if !s.csrf_ok(&f.csrf) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "message": "This page has expired; reload it (your text is still in the form)." })),
        )
            .into_response();
    }
    match st
        .app
        .save_note_draft(&s.ctx, NoteId(id), f.version, f.input())
        .await
    {
        // The time in the writer's zone, from the server: the browser's clock may be in another zone.
        Ok(n) => Json(json!({
            "version": n.version,
            "saved_at": s.zone().time(rapport_app::clock::now_utc()),
        }))
        .into_response(),
        Err(e) => {
            let (status, _, _) = crate::http::error::classify(&e);
            let message = match e {
                Error::Conflict(_) => "Not saved: this note was changed in another tab or device. Press \u{201c}Save draft\u{201d} to compare both versions.".to_string(),
                other => format!("Not saved: {}", form_message(&other)),
            };
            (status, Json(json!({ "message": message }))).into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "note_sign.html")]
struct SignPage {
    nav: Option<Nav>,
    csrf: String,
    n: NoteView,
    rows: Vec<FieldRow>,
    missing: Vec<String>,
    message: Option<String>,
}

fn sign_page(s: &Staff, n: NoteView, message: Option<String>) -> SignPage {
    let missing = match n.template.check_complete(&n.content) {
        Err(Error::Validation(f)) => f.into_iter().map(|f| f.message).collect(),
        _ => vec![],
    };
    SignPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        rows: rows(&n, None, None, None),
        missing,
        message,
        n,
    }
}

pub async fn sign_dialog(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.get_note(&s.ctx, NoteId(id)).await {
        Ok(n) if n.rights.sign => sign_page(&s, n, None).into_response(),
        Ok(n) => Redirect::to(&format!("/notes/{}", n.id)).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct SignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    version: i32,
}

pub async fn sign(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<SignForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let id = NoteId(id);
    match st.app.sign_note(&s.ctx, id, f.version).await {
        Ok(_) => Redirect::to(&format!("/notes/{id}")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            match st.app.get_note(&s.ctx, id).await {
                Ok(n) if n.rights.sign => {
                    let status = crate::http::error::classify(&e).0;
                    (status, sign_page(&s, n, Some(form_message(&e)))).into_response()
                }
                _ => error_page(e, &s.rid, Nav::of(&s)),
            }
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct AddendumForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    body: String,
}

pub async fn add_addendum(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<AddendumForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.add_note_addendum(&s.ctx, NoteId(id), &f.body).await {
        Ok(_) => Redirect::to(&format!("/notes/{id}#addenda")).into_response(),
        Err(e @ Error::Validation(_)) => match st.app.get_note(&s.ctx, NoteId(id)).await {
            Ok(n) => note_page(&st, &s, n, None, None, Some(&e), None).await,
            Err(e) => error_page(e, &s.rid, Nav::of(&s)),
        },
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct CosignForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    feedback: String,
}

pub async fn cosign(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<CosignForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .cosign_note(&s.ctx, NoteId(id), Some(&f.feedback))
        .await
    {
        Ok(_) => Redirect::to(&format!("/notes/{id}")).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// Takes over the draft of an author who left the care team (the form carries the version the page showed).
pub async fn take_over(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<SignForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.take_over_note(&s.ctx, NoteId(id), f.version).await {
        Ok(_) => Redirect::to(&format!("/notes/{id}")).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    user_id: Uuid,
    /// "share" or "unshare".
    action: String,
}

pub async fn share(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ShareForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st
        .app
        .share_note(&s.ctx, NoteId(id), UserId(f.user_id), f.action != "unshare")
        .await
    {
        Ok(_) => Redirect::to(&format!("/notes/{id}")).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "note_print.html")]
struct PrintPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    n: NoteView,
    rows: Vec<FieldRow>,
}

/// A print-ready page of one note (the browser's "Save as PDF" makes the PDF).
pub async fn print(State(st): State<AppState>, s: Staff, PagePath(id): PagePath<Uuid>) -> Response {
    match st.app.get_note(&s.ctx, NoteId(id)).await {
        Ok(n) => PrintPage {
            zone: s.zone(),
            rows: rows(&n, None, None, None),
            n,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "chart.html")]
struct ChartPage {
    nav: Option<Nav>,
    c: rapport_app::chart::Chart,
    kinds: Vec<(&'static str, &'static str)>,
}

/// The client's chart with its filters; the checkboxes send `kind` once per ticked kind.
pub async fn chart(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let kinds: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "kind")
        .map(|(_, v)| v.clone())
        .collect();
    let q = rapport_app::chart::ChartQuery {
        from: get("from"),
        to: get("to"),
        kinds: (!kinds.is_empty()).then(|| kinds.join(",")),
    };
    match st.app.client_chart(&s.ctx, ClientId(id), &q).await {
        Ok(c) => ChartPage {
            nav: Nav::of(&s),
            c,
            kinds: vec![
                ("appointment", "Appointments"),
                ("note", "Notes"),
                ("plan", "Treatment plans"),
                ("measure", "Measures"),
            ],
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    client_id: Uuid,
    how: String,
}

pub async fn release_consent(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ConsentForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st
        .app
        .record_release_consent(&s.ctx, NoteId(id), ClientId(f.client_id), &f.how)
        .await;
    after_release_step(&st, &s, id, r.map(|_| ())).await
}

#[derive(Deserialize)]
pub struct ReleaseForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    recipient: String,
    purpose: String,
}

pub async fn release(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<ReleaseForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let r = st
        .app
        .release_note(&s.ctx, NoteId(id), &f.recipient, &f.purpose)
        .await;
    after_release_step(&st, &s, id, r.map(|_| ())).await
}

/// Back to the note's release section, or the note with the problem shown there.
async fn after_release_step(
    st: &AppState,
    s: &Staff,
    id: Uuid,
    r: rapport_domain::Result<()>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/notes/{id}#release")).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            match st.app.get_note(&s.ctx, NoteId(id)).await {
                Ok(n) => note_page(st, s, n, None, None, Some(&e), None).await,
                Err(e) => error_page(e, &s.rid, Nav::of(s)),
            }
        }
        Err(e) => error_page(e, &s.rid, Nav::of(s)),
    }
}
