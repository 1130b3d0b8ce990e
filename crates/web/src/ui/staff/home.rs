//! The staff landing page, Today (with the banner of unacknowledged alerts), and the clinician directory.

use super::{Nav, PagePath, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::when::Zone;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rapport_app::clinicians::{ClinicianFilter, ClinicianView};
use rapport_app::today::{Day, DeskItem, SessionItem, SessionNote, TodayView};
use rapport_domain::UserId;
use uuid::Uuid;

/// A session as the Today page shows it: times already in the viewer's zone.
struct SessionRow {
    s: SessionItem,
    time: String,
}

/// An appointment on the front desk's lists, with its time in the viewer's zone.
struct DeskRow {
    d: DeskItem,
    time: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "today.html")]
struct TodayPage {
    nav: Option<Nav>,
    name: String,
    csrf: String,
    v: TodayView,
    today: String,
    place: String,
    /// Today's and tomorrow's sessions: the heading, what to say when there are none, the rows.
    sessions: Vec<(String, &'static str, Vec<SessionRow>)>,
    arrivals: Vec<DeskRow>,
    cancellations: Vec<DeskRow>,
    locked: Vec<(String, String)>,
}

/// The landing page of every staff member: Today, with the sections their roles call for, all read through one
/// use case. A section that cannot be read makes the whole page an error page with the request id: an empty
/// list that is really a failed query would tell a clinician there is nothing to do.
pub async fn today(State(st): State<AppState>, s: Staff) -> Response {
    let v = match st.app.today(&s.ctx).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let zone = Zone::named(&v.zone);
    let (mut sessions_today, mut sessions_tomorrow) = (Vec::new(), Vec::new());
    for item in v.sessions.iter().cloned() {
        let row = SessionRow {
            time: format!("{}–{}", zone.time(item.start), zone.time(item.end)),
            s: item,
        };
        match row.s.day {
            Day::Today => sessions_today.push(row),
            Day::Tomorrow => sessions_tomorrow.push(row),
        }
    }
    let desk = |list: &[DeskItem]| -> Vec<DeskRow> {
        list.iter()
            .cloned()
            .map(|d| DeskRow {
                time: match d.day {
                    Day::Today => zone.time(d.start),
                    Day::Tomorrow => format!("tomorrow {}", zone.time(d.start)),
                },
                d,
            })
            .collect()
    };
    TodayPage {
        nav: Nav::of(&s),
        name: s.session.display_name.clone(),
        csrf: s.session.csrf_token.clone(),
        today: v.today.format("%A %-d %B").to_string(),
        place: zone.place(),
        sessions: vec![
            (
                format!("Today, {}", v.today.format("%A %-d %B")),
                "No sessions today.",
                sessions_today,
            ),
            (
                format!("Tomorrow, {}", v.tomorrow.format("%A %-d %B")),
                "No sessions tomorrow.",
                sessions_tomorrow,
            ),
        ],
        arrivals: desk(&v.desk.arrivals),
        cancellations: desk(&v.desk.cancellations),
        locked: v
            .health
            .locked_accounts
            .iter()
            .map(|a| (a.name.clone(), zone.stamp(a.until)))
            .collect(),
        v,
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
