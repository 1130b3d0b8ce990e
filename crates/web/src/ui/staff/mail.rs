//! The administrators' view of outgoing mail: each message's kind, recipient, state, attempts and last error
//! (never its subject or text), paged with "showing N of M", and a retry for one that failed or was given up.

use super::{Nav, error_page, expired};
use crate::http::auth::Staff;
use crate::http::state::AppState;
use crate::when::Zone;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::mail_queue::{DemoMail, PAGE_SIZE, QueuedMail};
use serde::Deserialize;
use uuid::Uuid;

use super::PagePath;

#[derive(Template, WebTemplate)]
#[template(path = "mail.html")]
struct MailPage {
    nav: Option<Nav>,
    zone: Zone,
    csrf: String,
    all: bool,
    messages: Vec<QueuedMail>,
    count_line: String,
    newer: Option<String>,
    older: Option<String>,
    notice: Option<&'static str>,
    /// A demo without an e-mail server: link to the demo mailbox.
    demo_mailbox: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "demo_mailbox.html")]
struct DemoMailboxPage {
    nav: Option<Nav>,
    zone: Zone,
    mails: Vec<DemoMail>,
}

/// What a demo practice without an e-mail server would have sent (404 anywhere else).
pub async fn demo_mailbox(State(st): State<AppState>, s: Staff) -> Response {
    match st.app.demo_mailbox(&s.ctx).await {
        Ok(mails) => DemoMailboxPage {
            nav: Nav::of(&s),
            zone: s.zone(),
            mails,
        }
        .into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MailQuery {
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    retried: Option<String>,
}

/// "Showing 51–100 of 230 messages": every list says how much of the whole it shows.
fn count_line(offset: u64, shown: usize, total: u64) -> String {
    super::showing(offset, shown, total, ("message", "messages"))
}

pub async fn show(State(st): State<AppState>, s: Staff, Query(q): Query<MailQuery>) -> Response {
    let all = q.all.is_some();
    let offset = q.offset.unwrap_or(0);
    let page = match st.app.mail_queue(&s.ctx, !all, offset).await {
        Ok(p) => p,
        Err(e) => return error_page(e, &s.rid, Nav::of(&s)),
    };
    let base = if all {
        "/admin/mail?all=1&"
    } else {
        "/admin/mail?"
    };
    let shown = page.messages.len();
    MailPage {
        nav: Nav::of(&s),
        zone: s.zone(),
        csrf: s.session.csrf_token.clone(),
        all,
        count_line: count_line(offset, shown, page.total),
        newer: (offset > 0).then(|| format!("{base}offset={}", offset.saturating_sub(PAGE_SIZE))),
        older: (offset + (shown as u64) < page.total)
            .then(|| format!("{base}offset={}", offset + PAGE_SIZE)),
        messages: page.messages,
        notice: q
            .retried
            .is_some()
            .then_some("The message will be sent again within a minute."),
        demo_mailbox: st.app.config().demo_mailbox,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn retry(
    State(st): State<AppState>,
    s: Staff,
    PagePath(id): PagePath<Uuid>,
    Form(f): Form<RetryForm>,
) -> Response {
    if !s.csrf_ok(&f.csrf) {
        return expired(&s);
    }
    match st.app.retry_mail(&s.ctx, id).await {
        Ok(()) => Redirect::to("/admin/mail?retried=1").into_response(),
        Err(e) => error_page(e, &s.rid, Nav::of(&s)),
    }
}

#[cfg(test)]
mod tests {
    use super::count_line;

    #[test]
    fn the_count_says_how_much_of_the_whole_shows() {
        assert_eq!(count_line(0, 0, 0), "Showing none of 0 messages.");
        assert_eq!(count_line(0, 1, 1), "Showing 1–1 of 1 message.");
        assert_eq!(count_line(50, 50, 230), "Showing 51–100 of 230 messages.");
    }
}
