//! The client page as a chart: a header (who, risk flags, care team, next appointment with "Book") and one
//! section at a time, reached from a row of links. The page is one use case (`App::client_file`), so one
//! transaction; what it offers comes from the rights that read returned, and a failure is the error page with the
//! request id, never a section that looks empty.

use super::{Nav, PagePath, error_page};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rapport_app::client_file::{ClientFile, FileHeader, Section, SectionView, SessionRow};
use rapport_app::clients::ClientView;
use rapport_app::groups::MemberSessionView;
use rapport_app::notes::NoteSummary;
use rapport_app::plans::PlanView;
use rapport_domain::policy::ClientRights;
use rapport_domain::when::Zone;
use rapport_domain::{ClientId, Error, UserId};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct FileQuery {
    #[serde(default)]
    section: Option<String>,
    /// A fixed key set by the redirect after an action, turned into a sentence here (never free text).
    #[serde(default)]
    done: Option<String>,
}

/// One link in the row of sections: a section of this page, or a page of its own (safety plan, medications,
/// referrals, the timeline).
pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

fn tabs(id: ClientId, current: Section, rights: &ClientRights) -> Vec<Tab> {
    let mut out: Vec<Tab> = Section::ALL
        .into_iter()
        .filter(|s| rights.read_clinical || !s.clinical())
        .map(|s| Tab {
            label: s.label(),
            href: match s {
                Section::Overview => format!("/clients/{id}"),
                s => format!("/clients/{id}?section={}", s.key()),
            },
            current: s == current,
        })
        .collect();
    if rights.read_clinical {
        for (label, path) in [
            ("Safety plan", "safety-plan"),
            ("Medications", "medications"),
            ("Referrals", "referrals"),
            ("Timeline", "chart"),
        ] {
            out.push(Tab {
                label,
                href: format!("/clients/{id}/{path}"),
                current: false,
            });
        }
    }
    out
}

pub enum Body {
    Overview {
        assignable: Vec<(UserId, String)>,
    },
    Sessions {
        upcoming: Vec<SessionRow>,
        past: Vec<SessionRow>,
        group_sessions: Option<Vec<MemberSessionView>>,
    },
    Notes {
        notes: Vec<NoteSummary>,
        templates: Vec<(String, String)>,
    },
    Plans {
        plans: Vec<PlanView>,
        templates: Vec<(String, String)>,
    },
    Measures(super::client_measures::MeasuresSection),
    Behaviour(super::client_behaviour::BehaviourSection),
    Record,
}

#[derive(Template, WebTemplate)]
#[template(path = "client.html")]
struct ClientFileT {
    nav: Option<Nav>,
    c: ClientView,
    rights: ClientRights,
    header: FileHeader,
    zone: Zone,
    tabs: Vec<Tab>,
    section_label: &'static str,
    body: Body,
    csrf: String,
    notice: Option<String>,
    /// The viewer's today, the latest date a note may be for.
    today: String,
}

pub async fn show(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<FileQuery>,
) -> Response {
    let page = async {
        let section = Section::parse(q.section.as_deref())?;
        let file = st.app.client_file(&s.ctx, ClientId(id), section).await?;
        Ok::<_, Error>(page(&s, section, file, q.done.as_deref()))
    };
    match page.await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

fn page(s: &Staff, section: Section, f: ClientFile, done: Option<&str>) -> ClientFileT {
    let r = f.client.rights;
    let body = match f.section {
        SectionView::Overview { assignable } => Body::Overview { assignable },
        SectionView::Sessions {
            upcoming,
            past,
            group_sessions,
        } => Body::Sessions {
            upcoming,
            past,
            group_sessions,
        },
        SectionView::Notes { notes, templates } => Body::Notes { notes, templates },
        SectionView::Plans { plans, templates } => Body::Plans { plans, templates },
        SectionView::Measures {
            results,
            assignments,
            offered,
        } => Body::Measures(super::client_measures::section(
            &results,
            &assignments,
            &offered,
            r.write_clinical,
        )),
        SectionView::Behaviour { summary, plans } => Body::Behaviour(
            super::client_behaviour::section(*summary, &plans, r.write_clinical),
        ),
        SectionView::Record => Body::Record,
    };
    ClientFileT {
        nav: Nav::of(s),
        tabs: tabs(f.client.id, section, &r),
        section_label: section.label(),
        rights: r,
        zone: s.zone(),
        header: f.header,
        body,
        csrf: s.session.csrf_token.clone(),
        notice: super::client_measures::notice(done)
            .or_else(|| super::client_behaviour::notice(done)),
        today: s.zone().date(rapport_app::clock::now_utc()).to_string(),
        c: f.client,
    }
}
