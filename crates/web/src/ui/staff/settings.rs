//! The practice's settings page, for administrators: every practice-wide setting in one read
//! (`App::practice_settings`), each area its own small form posted to `/admin/settings/{area}` and changed by its
//! own use case, which asks the policy and audits the change. A refused value comes back beside its field, as typed.

use super::{Nav, error_page, form_message};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_app::behaviour::BehaviourSettings;
use rapport_app::measures::MeasureSettings;
use rapport_app::portal::PortalSettings;
use rapport_app::practice_settings::PracticeSettings;
use rapport_app::scheduling::OnlineRules;
use rapport_domain::{Error, FieldError};
use std::collections::HashMap;

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    csrf: String,
    v: PracticeSettings,
    notice: Option<String>,
    /// The area whose form was refused, the field and why.
    error: Option<(String, String, String)>,
    /// What was typed in the refused form, shown again instead of the stored values.
    typed: HashMap<String, String>,
}

impl SettingsPage {
    /// The value an input shows: what was typed when its form was refused, else the stored setting.
    fn val(&self, area: &str, name: &str, stored: &dyn std::fmt::Display) -> String {
        match (&self.error, self.typed.get(name)) {
            (Some((a, _, _)), Some(t)) if a == area => t.clone(),
            _ => stored.to_string(),
        }
    }

    /// Whether this field of this area's form was refused (use cases name their fields, e.g. `hours`, alone).
    fn invalid(&self, area: &str, name: &str) -> bool {
        self.error
            .as_ref()
            .is_some_and(|(a, f, _)| a == area && f == name)
    }

    fn message(&self, area: &str, name: &str) -> String {
        match &self.error {
            Some((a, f, m)) if a == area && f == name => m.clone(),
            _ => String::new(),
        }
    }

    /// A refusal no field of the form names, said above the form.
    fn form_error(&self, area: &str) -> String {
        match &self.error {
            Some((a, f, m)) if a == area && f.is_empty() => m.clone(),
            _ => String::new(),
        }
    }
}

fn may_change_settings(s: &Staff) -> Result<(), Error> {
    if s.rights.change_practice_settings {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only an administrator changes the practice's settings".into(),
        ))
    }
}

async fn page(
    st: &AppState,
    s: &Staff,
    status: StatusCode,
    notice: Option<String>,
    refused: Option<(&str, &Error, HashMap<String, String>)>,
) -> Response {
    let v = match st.app.practice_settings(&s.ctx).await {
        Ok(v) => v,
        Err(e) => return error_page(e, &s.rid, Nav::of(s)),
    };
    let (error, typed) = match refused {
        Some((area, e, typed)) => {
            let (field, message) = field_of(e);
            (Some((area.to_string(), field, message)), typed)
        }
        None => (None, HashMap::new()),
    };
    let p = SettingsPage {
        nav: Nav::of(s),
        csrf: s.session.csrf_token.clone(),
        v,
        notice,
        error,
        typed,
    };
    (status, p).into_response()
}

/// The first field a validation error names, with its message; other refusals are said at the top.
fn field_of(e: &Error) -> (String, String) {
    match e {
        Error::Validation(fields) => match fields.first() {
            Some(FieldError { field, message }) => (field.clone(), message.clone()),
            None => (String::new(), form_message(e)),
        },
        other => (String::new(), form_message(other)),
    }
}

pub async fn settings(State(st): State<AppState>, s: Staff) -> Response {
    if let Err(e) = may_change_settings(&s) {
        return error_page(e, &s.rid, Nav::of(&s));
    }
    page(&st, &s, StatusCode::OK, None, None).await
}

fn number(f: &HashMap<String, String>, field: &str, what: &str) -> Result<i64, Error> {
    f.get(field)
        .map(|v| v.trim())
        .unwrap_or_default()
        .parse::<i64>()
        .map_err(|_| Error::invalid(field, format!("a whole number of {what}")))
}

fn ticked(f: &HashMap<String, String>, field: &str) -> bool {
    f.get(field).is_some_and(|v| v == "on")
}

fn text(f: &HashMap<String, String>, field: &str) -> String {
    f.get(field)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Saves one area; the sentence that says what changed.
async fn save(
    st: &AppState,
    s: &Staff,
    area: &str,
    f: &HashMap<String, String>,
) -> Result<String, Error> {
    let app = &st.app;
    let ctx = &s.ctx;
    match area {
        "diary" => {
            let days = number(f, "link_days", "days")?;
            app.set_behaviour_settings(ctx, BehaviourSettings { link_days: days })
                .await?;
            Ok(format!(
                "Saved. Diary links sent from now on work for {}; links already sent keep their date.",
                plural(days, "day", "days")
            ))
        }
        "portal" => {
            let show_record = ticked(f, "show_record");
            app.set_portal_settings(ctx, PortalSettings { show_record })
                .await?;
            Ok(match show_record {
                true => "Saved. Clients read their record in the portal.".into(),
                false => {
                    "Saved. The portal no longer shows the record; clients ask for a copy.".into()
                }
            })
        }
        "cancellation" => {
            let hours = number(f, "hours", "hours")?;
            app.set_cancellation_window(ctx, hours).await?;
            Ok(format!(
                "Saved. Cancelling later than {} before a session counts as a late cancellation.",
                plural(hours, "hour", "hours")
            ))
        }
        "reminders" => {
            let hours = number(f, "hours", "hours")?;
            let name = text(f, "practice_name");
            app.set_reminders(ctx, hours, Some(&name)).await?;
            Ok(match hours {
                0 => "Saved. No reminders are sent.".into(),
                h => format!(
                    "Saved. Reminders go out {} before a session, signed by {name}.",
                    plural(h, "hour", "hours")
                ),
            })
        }
        "waitlist" => {
            let on = ticked(f, "email_offers");
            app.set_waitlist_emails(ctx, on).await?;
            Ok(match on {
                true => {
                    "Saved. Freed times are e-mailed to the best-matching waiting clients.".into()
                }
                false => "Saved. Freed times are not e-mailed; the front desk offers them.".into(),
            })
        }
        "online" => {
            let rules = OnlineRules {
                enabled: ticked(f, "enabled"),
                min_notice_hours: number(f, "min_notice_hours", "hours")?,
                horizon_days: number(f, "horizon_days", "days")?,
                approve_new_clients: ticked(f, "approve_new_clients"),
                new_client_type: text(f, "new_client_type"),
                existing_client_type: text(f, "existing_client_type"),
            };
            let on = rules.enabled;
            app.set_online_rules(ctx, rules).await?;
            Ok(match on {
                true => "Saved. Online booking is on.".into(),
                false => "Saved. Online booking is off.".into(),
            })
        }
        "alerts" => {
            let minutes = number(f, "escalate_after_minutes", "minutes")?;
            app.set_measure_settings(
                ctx,
                MeasureSettings {
                    escalate_after_minutes: minutes,
                },
            )
            .await?;
            Ok(format!(
                "Saved. An alert nobody acknowledges within {} goes to the supervisors and administrators.",
                plural(minutes, "minute", "minutes")
            ))
        }
        "records" => {
            let days = number(f, "due_days", "days")?;
            app.set_record_request_days(ctx, days).await?;
            Ok(format!(
                "Saved. Record requests logged from now on are due within {}.",
                plural(days, "day", "days")
            ))
        }
        _ => Err(Error::NotFound),
    }
}

async fn save_area(st: &AppState, s: Staff, area: &str, f: HashMap<String, String>) -> Response {
    if !s.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or_default()) {
        return super::expired(&s);
    }
    match save(st, &s, area, &f).await {
        Ok(notice) => page(st, &s, StatusCode::OK, Some(notice), None).await,
        Err(e @ Error::Validation(_)) => {
            page(
                st,
                &s,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some((area, &e, f)),
            )
            .await
        }
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

/// The diary's form, at the address it has always had.
pub async fn save_settings(
    State(st): State<AppState>,
    s: Staff,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    save_area(&st, s, "diary", f).await
}

pub async fn save_one(
    State(st): State<AppState>,
    s: Staff,
    Path(area): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    save_area(&st, s, &area, f).await
}
