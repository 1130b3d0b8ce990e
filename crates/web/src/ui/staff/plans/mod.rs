//! Treatment-plan pages: one plan (progress per objective, measured progress where an objective is linked to a
//! questionnaire, the behaviours and homework linked to each objective, review, acknowledgement, history) and its
//! editor. The editor is a plain form over the whole tree; each level offers one empty slot to add to, and an
//! element whose boxes are all cleared is removed, so the page needs no script. Each problem, goal and objective
//! carries its id in a hidden input, so an edit keeps what behaviours, homework and reviews link to.

use super::expired;
use super::{Nav, PagePath, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::ui::staff::trend;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::plans::{
    AcknowledgeInput, LinkedBehaviour, LinkedHomework, NewPlan, ObjectiveReview, PlanView,
    ReviewInput,
};
use rapport_domain::plans::{
    BaselineSource, Goal, Intervention, MeasuredObjective, MeasuredStatus, Objective,
    ObjectiveStatus, PlanContent, Problem,
};
use rapport_domain::{ClientId, Error};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

const STATUSES: [ObjectiveStatus; 5] = [
    ObjectiveStatus::NotStarted,
    ObjectiveStatus::InProgress,
    ObjectiveStatus::Achieved,
    ObjectiveStatus::Revised,
    ObjectiveStatus::Discontinued,
];

fn status_of(key: &str) -> Option<ObjectiveStatus> {
    STATUSES.into_iter().find(|s| s.as_str() == key)
}

fn status_options() -> Vec<(&'static str, &'static str)> {
    STATUSES.iter().map(|s| (s.as_str(), s.label())).collect()
}

fn num(v: Option<f64>) -> String {
    v.map(|x| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            x.to_string()
        }
    })
    .unwrap_or_default()
}

/// An objective as the plan page shows it.
pub struct ObjectiveRow {
    pub id: String,
    pub goal: String,
    pub statement: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub target_date: String,
    pub current: String,
    pub status: &'static str,
    pub status_label: &'static str,
    /// Progress in per cent, when baseline, target and a current value are known.
    pub percent: Option<u32>,
    pub interventions: Vec<Intervention>,
    /// The client's scores on the objective's questionnaire, when it has one.
    pub measured: Option<MeasuredRow>,
    /// Homework set for this objective, by due date.
    pub homework: Vec<LinkedHomework>,
    /// Behaviours the client logs for this objective.
    pub behaviours: Vec<LinkedBehaviour>,
}

/// An objective's questionnaire scores as the plan page shows them.
pub struct MeasuredRow {
    pub instrument: String,
    pub baseline: String,
    pub latest: String,
    pub target: String,
    pub verdict: &'static str,
    /// `good`, `watch` or `bad`, for the tag's colour (the words say the same).
    pub tone: &'static str,
    pub definition: String,
    /// A small SVG line of the valid totals; server-made markup, no client text in it.
    pub spark: String,
}

fn measured_row(m: &MeasuredObjective) -> MeasuredRow {
    let baseline = match (m.baseline, m.baseline_source) {
        (Some(b), Some(BaselineSource::FirstScore)) => format!("{} (first score)", trend::num(b)),
        (Some(b), _) => trend::num(b),
        (None, _) => "not recorded".into(),
    };
    let latest = match (m.latest, m.latest_at) {
        (Some(l), Some(at)) => format!("{} on {}", trend::num(l), trend::day(at)),
        _ => "no score yet".into(),
    };
    let label = format!("{}: {baseline} → {latest}", m.short_name);
    MeasuredRow {
        instrument: m.short_name.clone(),
        target: m.target.map(trend::num).unwrap_or_default(),
        verdict: m.status_label,
        tone: match m.status {
            MeasuredStatus::Met | MeasuredStatus::ReliablyImproved => "good",
            MeasuredStatus::ReliablyDeteriorated => "bad",
            _ => "watch",
        },
        definition: m.definition.clone(),
        spark: if m.totals.is_empty() {
            String::new()
        } else {
            trend::sparkline_svg(&m.totals, m.min_score, m.max_score, &label)
        },
        baseline,
        latest,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "plan.html")]
struct PlanPage {
    /// The zone the reader sees times in.
    pub zone: crate::when::Zone,
    nav: Option<Nav>,
    csrf: String,
    p: PlanView,
    rows: Vec<ObjectiveRow>,
    statuses: Vec<(&'static str, &'static str)>,
    message: Option<String>,
}

fn plan_page(s: &Staff, p: PlanView, message: Option<String>) -> PlanPage {
    let mut rows = Vec::new();
    for pr in &p.content.problems {
        for g in &pr.goals {
            for o in &g.objectives {
                let prog = p
                    .progress
                    .iter()
                    .find(|x| x.id == o.id)
                    .and_then(|x| x.progress);
                rows.push(ObjectiveRow {
                    id: o.id.clone(),
                    goal: g.statement.clone(),
                    statement: o.statement.clone(),
                    measure: o.measure.clone(),
                    baseline: num(o.baseline),
                    target: num(o.target),
                    target_date: o.target_date.map(|d| d.to_string()).unwrap_or_default(),
                    current: num(o.current),
                    status: o.status.as_str(),
                    status_label: o.status.label(),
                    percent: prog.map(|x| (x * 100.0).round() as u32),
                    interventions: o.interventions.clone(),
                    measured: p
                        .measured
                        .iter()
                        .find(|m| m.objective_id == o.id)
                        .map(measured_row),
                    homework: p
                        .linked
                        .homework
                        .iter()
                        .filter(|h| h.objective_id == o.id)
                        .cloned()
                        .collect(),
                    behaviours: p
                        .linked
                        .behaviours
                        .iter()
                        .filter(|b| b.objective_id == o.id)
                        .cloned()
                        .collect(),
                });
            }
        }
    }
    PlanPage {
        zone: s.zone(),
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        rows,
        statuses: status_options(),
        message,
        p,
    }
}

pub async fn show(State(st): State<AppState>, s: Staff, PagePath(id): PagePath<Uuid>) -> Response {
    match st.app.get_plan(&s.ctx, id).await {
        Ok(p) => plan_page(&s, p, None).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Deserialize)]
pub struct NewPlanForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    template: String,
}

pub async fn create(
    State(st): State<AppState>,
    s: Staff,
    PagePath(client): PagePath<Uuid>,
    Form(f): Form<NewPlanForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    let input = if f.template.is_empty() {
        NewPlan {
            content: Some(PlanContent {
                problems: vec![blank_problem()],
            }),
            ..Default::default()
        }
    } else {
        NewPlan {
            template: Some(f.template),
            ..Default::default()
        }
    };
    match st.app.create_plan(&s.ctx, ClientId(client), input).await {
        Ok(p) => Redirect::to(&format!("/plans/{}/edit", p.id)).into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// A plan started without a template: a plan needs at least one objective with a target, so it starts with
/// wording the clinician replaces in the editor.
fn blank_problem() -> Problem {
    Problem {
        id: String::new(),
        statement: "Presenting problem (describe it)".into(),
        goals: vec![Goal {
            id: String::new(),
            statement: "Goal (describe it)".into(),
            objectives: vec![Objective {
                id: String::new(),
                statement: "Objective (describe it)".into(),
                measure: "what is counted or scored".into(),
                instrument: None,
                baseline: None,
                target: Some(0.0),
                target_date: None,
                target_weeks: None,
                current: None,
                status: ObjectiveStatus::NotStarted,
                interventions: vec![],
            }],
        }],
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_edit.html")]
struct EditPage {
    nav: Option<Nav>,
    csrf: String,
    id: Uuid,
    client_id: ClientId,
    version: i32,
    /// The tree with one empty slot added at each level.
    problems: Vec<Problem>,
    statuses: Vec<(&'static str, &'static str)>,
    message: Option<String>,
}

fn with_slots(mut c: PlanContent) -> Vec<Problem> {
    let blank_iv = || Intervention {
        modality: String::new(),
        frequency: String::new(),
    };
    let blank_obj = || Objective {
        id: String::new(),
        statement: String::new(),
        measure: String::new(),
        instrument: None,
        baseline: None,
        target: None,
        target_date: None,
        target_weeks: None,
        current: None,
        status: ObjectiveStatus::NotStarted,
        interventions: vec![],
    };
    let blank_goal = || Goal {
        id: String::new(),
        statement: String::new(),
        objectives: vec![],
    };
    c.problems.push(Problem {
        id: String::new(),
        statement: String::new(),
        goals: vec![],
    });
    for p in &mut c.problems {
        p.goals.push(blank_goal());
        for g in &mut p.goals {
            g.objectives.push(blank_obj());
            for o in &mut g.objectives {
                o.interventions.push(blank_iv());
            }
        }
    }
    c.problems
}

fn edit_page(s: &Staff, p: &PlanView, content: PlanContent, message: Option<String>) -> EditPage {
    EditPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        id: p.id,
        client_id: p.client_id,
        version: p.version,
        problems: with_slots(content),
        statuses: status_options(),
        message,
    }
}

pub async fn edit(State(st): State<AppState>, s: Staff, PagePath(id): PagePath<Uuid>) -> Response {
    match st.app.get_plan(&s.ctx, id).await {
        Ok(p) => {
            let c = p.content.clone();
            edit_page(&s, &p, c, None).into_response()
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// Rebuilds the tree from names such as `p0.g1.o2.target` or `p0.g1.o2.i0.modality`, dropping elements whose
/// boxes were all left empty.
fn parse_tree(pairs: &[(String, String)]) -> Result<PlanContent, Error> {
    type Path = Vec<usize>;
    let mut values: BTreeMap<Path, BTreeMap<String, String>> = BTreeMap::new();
    for (k, v) in pairs {
        let mut path = Vec::new();
        let mut field = None;
        for seg in k.split('.') {
            match seg.get(1..).and_then(|n| n.parse::<usize>().ok()) {
                Some(n) if seg.starts_with(['p', 'g', 'o', 'i']) && path.len() < 4 => path.push(n),
                _ => field = Some(seg.to_string()),
            }
        }
        if let (false, Some(f)) = (path.is_empty(), field) {
            values
                .entry(path)
                .or_default()
                .insert(f, v.trim().to_string());
        }
    }
    // Hidden inputs (the id, the instrument, the last reviewed value) are not boxes the clinician can clear.
    let empty = |m: &BTreeMap<String, String>| {
        m.iter()
            .filter(|(k, _)| !matches!(k.as_str(), "id" | "instrument" | "current"))
            .all(|(_, v)| v.is_empty() || v == "not_started")
    };
    let get = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
    let number = |m: &BTreeMap<String, String>, k: &str, at: &str| -> Result<Option<f64>, Error> {
        match m
            .get(k)
            .map(|s| s.replace(',', "."))
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(s) => s
                .parse::<f64>()
                .map(Some)
                .map_err(|_| Error::invalid(format!("{at}.{k}"), format!("'{s}' is not a number"))),
        }
    };
    let children = |prefix: &Path| -> Vec<Path> {
        values
            .keys()
            .filter(|p| p.len() == prefix.len() + 1 && p.starts_with(prefix))
            .cloned()
            .collect()
    };
    let mut problems = Vec::new();
    for pp in children(&vec![]) {
        let pm = &values[&pp];
        let mut goals = Vec::new();
        for gp in children(&pp) {
            let gm = &values[&gp];
            let mut objectives = Vec::new();
            for op in children(&gp) {
                let om = &values[&op];
                let mut interventions = Vec::new();
                for ip in children(&op) {
                    let im = &values[&ip];
                    if !empty(im) {
                        interventions.push(Intervention {
                            modality: get(im, "modality"),
                            frequency: get(im, "frequency"),
                        });
                    }
                }
                if empty(om) && interventions.is_empty() {
                    continue;
                }
                let at = format!("problems[{}].goals[{}].objectives[{}]", pp[0], gp[1], op[2]);
                objectives.push(Objective {
                    id: get(om, "id"),
                    statement: get(om, "statement"),
                    measure: get(om, "measure"),
                    instrument: Some(get(om, "instrument")).filter(|s| !s.is_empty()),
                    baseline: number(om, "baseline", &at)?,
                    target: number(om, "target", &at)?,
                    target_date: match get(om, "target_date").as_str() {
                        "" => None,
                        d => Some(rapport_domain::validate::date(
                            &format!("{at}.target_date"),
                            d,
                        )?),
                    },
                    target_weeks: None,
                    current: number(om, "current", &at)?,
                    status: status_of(&get(om, "status")).unwrap_or_default(),
                    interventions,
                });
            }
            if empty(gm) && objectives.is_empty() {
                continue;
            }
            goals.push(Goal {
                id: get(gm, "id"),
                statement: get(gm, "statement"),
                objectives,
            });
        }
        if empty(pm) && goals.is_empty() {
            continue;
        }
        problems.push(Problem {
            id: get(pm, "id"),
            statement: get(pm, "statement"),
            goals,
        });
    }
    Ok(PlanContent { problems })
}

pub async fn save(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !s.csrf_ok(&field("_csrf")) {
        return expired(&s);
    }
    let version: i32 = field("version").parse().unwrap_or(0);
    let result = match parse_tree(&pairs) {
        Ok(content) => st
            .app
            .update_plan(&s.ctx, id, version, content.clone())
            .await
            .map_err(|e| (e, content)),
        Err(e) => Err((e, PlanContent::default())),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/plans/{}", p.id)).into_response(),
        Err((e @ (Error::Validation(_) | Error::Conflict(_)), typed)) => {
            match st.app.get_plan(&s.ctx, id).await {
                Ok(p) => {
                    let shown = if typed.problems.is_empty() {
                        p.content.clone()
                    } else {
                        typed
                    };
                    let mut page = edit_page(&s, &p, shown, Some(form_message(&e)));
                    // After a conflict the form carries the current version: saving again is a deliberate overwrite.
                    if matches!(e, Error::Validation(_)) {
                        page.version = version;
                    }
                    (crate::http::error::classify(&e).0, page).into_response()
                }
                Err(e) => error_page(e, &s.rid, Nav::of(&s)),
            }
        }
        Err((e, _)) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// One form for the plan's lifecycle steps: `step` is activate, review, acknowledge or close.
pub async fn step(
    State(st): State<AppState>,
    s: Staff,
    PagePath((id, step)): PagePath<(Uuid, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !s.csrf_ok(&field("_csrf")) {
        return expired(&s);
    }
    let v: i32 = field("version").parse().unwrap_or(0);
    let r = match step.as_str() {
        "activate" => st.app.activate_plan(&s.ctx, id, v).await,
        "close" => st.app.close_plan(&s.ctx, id, v).await,
        "acknowledge" => {
            st.app
                .acknowledge_plan(&s.ctx, id, v, AcknowledgeInput { how: field("how") })
                .await
        }
        "review" => {
            let mut objectives = Vec::new();
            for (k, val) in &pairs {
                if let Some(oid) = k.strip_prefix("current.") {
                    let current = match val.trim().replace(',', ".") {
                        t if t.is_empty() => None,
                        t => match t.parse::<f64>() {
                            Ok(x) => Some(x),
                            Err(_) => {
                                return error_page(
                                    Error::invalid("current", format!("'{t}' is not a number")),
                                    &s.rid,
                                    Nav::of(&s),
                                );
                            }
                        },
                    };
                    objectives.push(ObjectiveReview {
                        id: oid.to_string(),
                        current,
                        status: status_of(&field(&format!("status.{oid}"))),
                    });
                }
            }
            let input = ReviewInput {
                objectives,
                note: field("note"),
                next_review_on: Some(field("next_review_on")),
            };
            st.app.review_plan(&s.ctx, id, v, input).await
        }
        _ => Err(Error::NotFound),
    };
    match r {
        Ok(p) => Redirect::to(&format!("/plans/{}", p.id)).into_response(),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            match st.app.get_plan(&s.ctx, id).await {
                Ok(p) => (
                    if matches!(e, Error::Conflict(_)) {
                        StatusCode::CONFLICT
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    },
                    plan_page(&s, p, Some(form_message(&e))),
                )
                    .into_response(),
                Err(e) => error_page(e, &s.rid, Nav::of(&s)),
            }
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[cfg(test)]
mod tests;
