//! A clinician's availability editor: weekly working hours on their own wall clock, and dated time off or extra
//! hours. A plain form without script: each weekday has a fixed number of start/end pairs, and an empty pair
//! means no block. The weekly hours are part of the clinician's profile (the clinician or an administrator
//! changes them); time off and extra hours are the calendar's (the front desk may add them too). The clinician's
//! own online-booking rules sit here too, since they decide which of these hours the public is offered.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use rapport_app::clinicians::{ClinicianInput, ClinicianView};
use rapport_app::scheduling::{ClinicianOnlineRules, ExceptionInput, ExceptionView, OnlineRules};
use rapport_domain::clinician::WorkingBlock;
use rapport_domain::scheduling::appointment::Mode;
use rapport_domain::scheduling::availability::ExceptionKind;
use rapport_domain::{Error, UserId};
use std::collections::HashMap;
use uuid::Uuid;

/// Start/end pairs offered per weekday (a split day with a long lunch, plus an evening block).
const BLOCKS_PER_DAY: usize = 3;

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

struct BlockField {
    /// Form field prefix, e.g. `Mon_0`.
    key: String,
    /// 1-based, for labels.
    number: usize,
    start: String,
    end: String,
    /// The place choice's value (see `place_value`).
    place: String,
}

/// The place of a block as one select value: "" anywhere, "telehealth", "in_person", or "at:<location id>".
fn place_value(b: &WorkingBlock) -> String {
    match (b.mode, b.location_id) {
        (_, Some(l)) => format!("at:{l}"),
        (Some(Mode::Telehealth), None) => "telehealth".into(),
        (Some(Mode::InPerson), None) => "in_person".into(),
        (None, None) => String::new(),
    }
}

fn parse_place(raw: &str) -> Result<(Option<Mode>, Option<Uuid>), Error> {
    match raw.trim() {
        "" => Ok((None, None)),
        "telehealth" => Ok((Some(Mode::Telehealth), None)),
        "in_person" => Ok((Some(Mode::InPerson), None)),
        other => other
            .strip_prefix("at:")
            .and_then(|id| id.parse().ok())
            .map(|l| (Some(Mode::InPerson), Some(l)))
            .ok_or_else(|| Error::invalid("weekly_hours", "choose a place from the list")),
    }
}

struct DayRow {
    name: &'static str,
    blocks: Vec<BlockField>,
}

struct ExceptionRow {
    id: Uuid,
    kind: &'static str,
    start: String,
    end: String,
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "availability.html")]
struct AvailabilityPage {
    nav: Option<Nav>,
    csrf: String,
    c: ClinicianView,
    can_edit_hours: bool,
    can_edit_calendar: bool,
    days: Vec<DayRow>,
    /// (value, label) of each place a block can be kept for.
    places: Vec<(String, String)>,
    exceptions: Vec<ExceptionRow>,
    online: ClinicianOnlineRules,
    practice_online: OnlineRules,
    notice: Option<String>,
    error: Option<String>,
}

/// The form rows, from the saved hours or (after a refused save) from what was typed.
fn day_rows(hours: &[WorkingBlock], typed: Option<&HashMap<String, String>>) -> Vec<DayRow> {
    WEEKDAYS
        .iter()
        .map(|&d| {
            let saved: Vec<&WorkingBlock> = hours.iter().filter(|b| b.weekday == d).collect();
            DayRow {
                name: day_name(d),
                blocks: (0..BLOCKS_PER_DAY)
                    .map(|i| {
                        let key = format!("{d}_{i}");
                        let (start, end, place) = match typed {
                            Some(f) => {
                                let get = |k: &str| {
                                    f.get(&format!("{key}_{k}")).cloned().unwrap_or_default()
                                };
                                (get("start"), get("end"), get("place"))
                            }
                            None => saved.get(i).map_or_else(Default::default, |b| {
                                (
                                    b.start.format("%H:%M").to_string(),
                                    b.end.format("%H:%M").to_string(),
                                    place_value(b),
                                )
                            }),
                        };
                        BlockField {
                            key,
                            number: i + 1,
                            start,
                            end,
                            place,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn exception_rows(list: Vec<ExceptionView>, tz: Tz) -> Vec<ExceptionRow> {
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M")
            .to_string()
    };
    list.into_iter()
        .map(|e| ExceptionRow {
            id: e.id,
            kind: match e.kind {
                ExceptionKind::TimeOff => "Time off",
                ExceptionKind::ExtraHours => "Extra hours",
            },
            start: local(e.start),
            end: local(e.end),
            note: e.note.unwrap_or_default(),
        })
        .collect()
}

async fn page(
    st: &AppState,
    s: &Staff,
    id: UserId,
    typed: Option<&HashMap<String, String>>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let c = match st.app.get_clinician(&s.ctx, id).await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let now = rapport_app::clock::now_utc();
    let exceptions = match st
        .app
        .availability_exceptions(
            &s.ctx,
            id,
            now - Duration::days(1),
            now + Duration::days(400),
        )
        .await
    {
        Ok(list) => list,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let (online, practice_online) = match (
        st.app.clinician_online_rules(&s.ctx, id).await,
        st.app.online_rules().await,
    ) {
        (Ok(o), Ok(p)) => (o, p),
        (Err(e), _) | (_, Err(e)) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let mut places = vec![
        (String::new(), "Any session".to_string()),
        ("telehealth".into(), "Telehealth only".into()),
        ("in_person".into(), "In person, any location".into()),
    ];
    match st.app.locations(&s.ctx).await {
        Ok(list) => places.extend(
            list.into_iter()
                .map(|l| (format!("at:{}", l.id), format!("In person at {}", l.name))),
        ),
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    }
    let tz: Tz = c.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let refused = error.is_some();
    let rights = st.app.calendar_rights(&s.ctx, id);
    let body = AvailabilityPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        can_edit_hours: rights.edit_profile,
        can_edit_calendar: rights.change,
        days: day_rows(&c.weekly_hours, typed),
        places,
        exceptions: exception_rows(exceptions, tz),
        online,
        practice_online,
        c,
        notice,
        error,
    };
    if refused {
        (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
    } else {
        body.into_response()
    }
}

pub async fn show(State(st): State<AppState>, s: Staff, PagePath(id): PagePath<Uuid>) -> Response {
    page(&st, &s, UserId(id), None, None, None).await
}

/// The typed blocks; a pair with both times empty is no block, a half-filled or unreadable pair is refused
/// with the day named.
fn typed_blocks(f: &HashMap<String, String>) -> Result<Vec<WorkingBlock>, Error> {
    let mut out = Vec::new();
    for d in WEEKDAYS {
        for i in 0..BLOCKS_PER_DAY {
            let get = |end: &str| {
                f.get(&format!("{d}_{i}_{end}"))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            };
            let (start, end) = (get("start"), get("end"));
            if start.is_empty() && end.is_empty() {
                continue;
            }
            let time = |v: &str| {
                NaiveTime::parse_from_str(v, "%H:%M")
                    .or_else(|_| NaiveTime::parse_from_str(v, "%H:%M:%S"))
                    .ok()
            };
            let (Some(start), Some(end)) = (time(&start), time(&end)) else {
                return Err(Error::invalid(
                    "weekly_hours",
                    format!(
                        "{} block {}: give both a start and an end time, such as 09:00 and 12:30",
                        day_name(d),
                        i + 1
                    ),
                ));
            };
            let (mode, location_id) = parse_place(&get("place"))?;
            out.push(WorkingBlock {
                mode,
                location_id,
                ..WorkingBlock::anywhere(d, start, end)
            });
        }
    }
    Ok(out)
}

pub async fn save_hours(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !s.csrf_ok(&get("_csrf")) {
        return expired(&s);
    }
    let id = UserId(id);
    let refuse = |e: Error| {
        let st = st.clone();
        let f = f.clone();
        let s = &s;
        async move { page(&st, s, id, Some(&f), None, Some(form_message(&e))).await }
    };
    let blocks = match typed_blocks(&f) {
        Ok(b) => b,
        Err(e) => return refuse(e).await,
    };
    let current = match st.app.get_clinician(&s.ctx, id).await {
        Ok(c) => c,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let version = get("version").parse().unwrap_or(current.version);
    let input = ClinicianInput {
        time_zone: Some(get("time_zone"))
            .filter(|z| !z.trim().is_empty())
            .unwrap_or(current.time_zone),
        specialisations: current.specialisations,
        age_groups: current.age_groups,
        modalities: current.modalities,
        languages: current.languages,
        accepts_new_clients: current.accepts_new_clients,
        weekly_hours: blocks,
        licences: current.licences,
        bio: current.bio,
    };
    match st.app.update_clinician(&s.ctx, id, version, input).await {
        Ok(_) => page(&st, &s, id, None, Some("Weekly hours saved.".into()), None).await,
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => refuse(e).await,
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

pub async fn add_exception(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if !s.csrf_ok(&get("_csrf")) {
        return expired(&s);
    }
    let id = UserId(id);
    let input = ExceptionInput {
        kind: get("kind"),
        start: get("start"),
        end: get("end"),
        note: Some(get("note")).filter(|n| !n.trim().is_empty()),
    };
    match st.app.add_availability_exception(&s.ctx, id, input).await {
        Ok(_) => Redirect::to(&format!("/clinicians/{}/availability", id.0)).into_response(),
        Err(e @ Error::Validation(_)) => {
            page(&st, &s, id, None, None, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

pub async fn remove_exception(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, exception)): PagePath<(Uuid, Uuid)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if !s.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or_default()) {
        return expired(&s);
    }
    match st
        .app
        .remove_availability_exception(&s.ctx, exception)
        .await
    {
        Ok(()) => Redirect::to(&format!("/clinicians/{id}/availability")).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// An optional whole number from the form: empty follows the practice.
fn optional_number(
    f: &HashMap<String, String>,
    key: &str,
    what: &str,
) -> Result<Option<i64>, Error> {
    match f.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            Error::invalid(
                key,
                format!("enter the {what} as a whole number, or leave it empty"),
            )
        }),
    }
}

pub async fn save_online(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if !s.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or_default()) {
        return expired(&s);
    }
    let id = UserId(id);
    let rules = (|| {
        Ok::<_, Error>(ClinicianOnlineRules {
            offers_online: f.get("offers_online").is_some_and(|v| v == "on"),
            min_notice_hours: optional_number(&f, "min_notice_hours", "notice in hours")?,
            horizon_days: optional_number(&f, "horizon_days", "horizon in days")?,
            approve_new_clients: match f.get("approve_new_clients").map(String::as_str) {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            },
        })
    })();
    let saved = match rules {
        Ok(r) => st.app.set_clinician_online_rules(&s.ctx, id, r).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => {
            page(
                &st,
                &s,
                id,
                None,
                Some("Online booking rules saved.".into()),
                None,
            )
            .await
        }
        Err(e @ Error::Validation(_)) => {
            page(&st, &s, id, None, None, Some(form_message(&e))).await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}
