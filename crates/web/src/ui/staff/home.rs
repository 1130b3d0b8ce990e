//! The staff dashboard (with the banner of unacknowledged alerts) and the clinician directory.

use super::{Nav, PagePath, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rapport_app::clients::ClientQuery;
use rapport_app::clinicians::{ClinicianFilter, ClinicianView};
use rapport_domain::{Role, UserId};
use uuid::Uuid;

fn can_register(s: &Staff) -> bool {
    s.rights.register_clients
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct Dashboard {
    nav: Option<Nav>,
    name: String,
    roles: String,
    client_count: u64,
    client_label: &'static str,
    clinician_count: usize,
    can_register: bool,
    /// Unacknowledged alerts the caller should see (clinical staff only).
    open_alerts: usize,
}

pub async fn dashboard(State(st): State<AppState>, s: Staff) -> Response {
    let q = ClientQuery {
        limit: Some(1),
        ..Default::default()
    };
    let clients = match st.app.search_clients(&s.ctx, &q).await {
        Ok(p) => p.total,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let clinicians = st
        .app
        .list_clinicians(&s.ctx, &ClinicianFilter::default())
        .await
        .map(|l| l.len())
        .unwrap_or(0);
    // An alert must not wait for someone to open the right page: count it on the page everyone lands on. If
    // the count cannot be read, say so rather than show none.
    let open_alerts = if s.ctx.actor.is_clinical() {
        match st.app.measure_alerts(&s.ctx).await {
            Ok(list) => list.len(),
            Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
        }
    } else {
        0
    };
    let client_label = if s.ctx.actor.is_clinical() && !s.is(Role::Admin) && !s.is(Role::Scheduler)
    {
        "clients in your care"
    } else {
        "clients in the practice"
    };
    Dashboard {
        nav: Nav::of(&s),
        name: s.session.display_name.clone(),
        roles: s
            .session
            .roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", "),
        client_count: clients,
        client_label,
        clinician_count: clinicians,
        can_register: can_register(&s),
        open_alerts,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "clinicians.html")]
struct ClinicianList {
    nav: Option<Nav>,
    list: Vec<ClinicianView>,
    specialisations: &'static [&'static str],
    age_groups: &'static [&'static str],
    specialisation: String,
    age_group: String,
}

pub async fn clinicians(
    State(st): State<AppState>,
    s: Staff,
    Query(f): Query<ClinicianFilter>,
) -> Response {
    match st.app.list_clinicians(&s.ctx, &f).await {
        Ok(list) => ClinicianList {
            nav: Nav::of(&s),
            list,
            specialisations: rapport_domain::clinician::SPECIALISATIONS,
            age_groups: rapport_domain::clinician::AGE_GROUPS,
            specialisation: f.specialisation.unwrap_or_default(),
            age_group: f.age_group.unwrap_or_default(),
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "clinician.html")]
struct ClinicianPage {
    nav: Option<Nav>,
    c: ClinicianView,
}

pub async fn clinician(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
) -> Response {
    match st.app.get_clinician(&s.ctx, UserId(id)).await {
        Ok(c) => ClinicianPage {
            nav: Nav::of(&s),
            c,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// A clinician's vocabularies in words for a page ("older adults", "German"), never the stored codes.
fn words(codes: &[String], label: fn(&str) -> String) -> String {
    codes
        .iter()
        .map(|c| label(c))
        .collect::<Vec<_>>()
        .join(", ")
}

use rapport_domain::labels;

impl ClinicianList {
    fn specialisations(&self, codes: &[String]) -> String {
        words(codes, labels::specialisation)
    }
    fn age_groups(&self, codes: &[String]) -> String {
        words(codes, labels::age_group)
    }
    fn languages(&self, codes: &[String]) -> String {
        words(codes, labels::language)
    }
    fn specialisation(&self, code: &str) -> String {
        labels::specialisation(code)
    }
    fn age_group(&self, code: &str) -> String {
        labels::age_group(code)
    }
}

impl ClinicianPage {
    fn specialisations(&self, codes: &[String]) -> String {
        words(codes, labels::specialisation)
    }
    fn age_groups(&self, codes: &[String]) -> String {
        words(codes, labels::age_group)
    }
    fn modalities(&self, codes: &[String]) -> String {
        words(codes, labels::modality)
    }
    fn languages(&self, codes: &[String]) -> String {
        words(codes, labels::language)
    }
}
