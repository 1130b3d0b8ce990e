//! The client picker of the booking and waitlist forms: a search field, a line saying how many clients match and
//! how many are shown, and the matches as radio buttons with their dates of birth (two clients may share a name).
//!
//! Without JavaScript the search field belongs to a GET form of its own (`form` attribute), so a search is a plain
//! page load whose URL can be reloaded, and the radio buttons belong to the page's POST form. With JavaScript,
//! `static/client-picker.js` asks `/api/v1/clients` (the same audited search) as one types and redraws the same
//! radio buttons, keeping whatever was typed in the rest of the form. The list is never cut off silently: when
//! more match than are shown, the line says so.

use crate::http::auth::Staff;
use crate::http::state::AppState;
use rapport_app::client_choices::{ChoiceQuery, ClientChoices};
use rapport_app::clients::ClientSummary;
use rapport_domain::ClientId;

/// How many matches a picker shows; the script asks for the same number (`data-limit`).
pub const PICKER_LIMIT: u64 = 20;

/// What a page says about one picker: its form field, label and where its search goes.
pub struct PickerSpec {
    /// The POST form's field carrying the chosen client's id.
    pub field: &'static str,
    /// The search text's parameter in the page's URL.
    pub q_param: &'static str,
    pub label: &'static str,
    /// Whether "none" is a choice (a second client).
    pub optional: bool,
}

/// One client as a picker offers it.
pub struct Choice {
    pub id: ClientId,
    pub name: String,
    pub born: String,
}

impl From<ClientSummary> for Choice {
    fn from(c: ClientSummary) -> Self {
        Choice {
            id: c.id,
            name: match c.preferred_name {
                Some(p) => format!("{} ({p})", c.legal_name),
                None => c.legal_name,
            },
            born: c.date_of_birth.to_string(),
        }
    }
}

pub struct Picker {
    pub field: &'static str,
    pub q_param: &'static str,
    pub label: &'static str,
    pub optional: bool,
    pub q: String,
    pub chosen: Option<Choice>,
    /// Matches other than the chosen client.
    pub others: Vec<Choice>,
    /// The line above the choices: how many match, how many are shown, or why none are.
    pub count_line: String,
    pub limit: u64,
}

/// The matches a picker offers, and its line: "3 clients match “tar”.", or "Showing 20 of 242 clients matching
/// “t”; type more of the name, or a date of birth (YYYY-MM-DD), to narrow the list.". Before anything is typed, a
/// directory larger than one answer offers nobody ("242 clients: type part of a name to find one.") rather than the
/// first names of the alphabet; a small one is offered whole. `client-picker.js` does and words the same.
pub fn offered(q: &str, matches: Vec<ClientSummary>, total: u64) -> (Vec<ClientSummary>, String) {
    let q = q.trim();
    let shown = matches.len() as u64;
    if q.is_empty() && shown < total {
        return (
            vec![],
            format!("{total} clients: type part of a name to find one."),
        );
    }
    let line = match (q.is_empty(), total) {
        (true, 0) => "No clients yet.".into(),
        (true, 1) => "1 client.".into(),
        (true, t) => format!("{t} clients."),
        (false, 0) => format!("No client matches “{q}”."),
        (false, t) if shown < t => format!(
            "Showing {shown} of {t} clients matching “{q}”; type more of the name, or a date of birth \
                 (YYYY-MM-DD), to narrow the list."
        ),
        (false, 1) => format!("1 client matches “{q}”."),
        (false, t) => format!("{t} clients match “{q}”."),
    };
    (matches, line)
}

/// The picker for `spec`, with the clients matching `q` and the one chosen by id (`chosen`, empty if none).
/// A failed search is said on the picker's line; the chosen client, if known, stays chosen.
pub async fn picker(st: &AppState, s: &Staff, spec: PickerSpec, q: &str, chosen: &str) -> Picker {
    let chosen_id: Option<ClientId> = chosen.trim().parse().ok();
    let query = ChoiceQuery {
        q: q.to_string(),
        chosen: chosen_id.into_iter().collect(),
        limit: PICKER_LIMIT,
    };
    let (chosen, others, count_line) = match st.app.client_choices(&s.ctx, &query).await {
        Ok(ClientChoices {
            chosen,
            matches,
            total,
        }) => {
            let (matches, line) = offered(q, matches, total);
            let others = matches
                .into_iter()
                .filter(|m| Some(m.id) != chosen_id)
                .map(Choice::from)
                .collect();
            (chosen.into_iter().next().map(Choice::from), others, line)
        }
        Err(e) => {
            if e.is_server_fault() {
                tracing::error!(request_id = %s.rid.0, error = %e, "client search failed");
            }
            let why = super::form_message(&e);
            (
                None,
                vec![],
                format!("The search did not work ({why}). Request id {}.", s.rid.0),
            )
        }
    };
    Picker {
        field: spec.field,
        q_param: spec.q_param,
        label: spec.label,
        optional: spec.optional,
        q: q.trim().to_string(),
        chosen,
        others,
        count_line,
        limit: PICKER_LIMIT,
    }
}

#[cfg(test)]
mod tests {
    use super::offered;
    use rapport_app::clients::ClientSummary;
    use rapport_domain::ClientId;
    use rapport_domain::client::ClientStatus;

    fn some(n: usize) -> Vec<ClientSummary> {
        (0..n)
            .map(|i| ClientSummary {
                id: ClientId(uuid::Uuid::new_v4()),
                legal_name: format!("Client {i}"),
                preferred_name: None,
                date_of_birth: chrono::NaiveDate::MIN,
                is_minor: false,
                status: ClientStatus::Active,
            })
            .collect()
    }

    fn line(q: &str, shown: usize, total: u64) -> (usize, String) {
        let (list, line) = offered(q, some(shown), total);
        (list.len(), line)
    }

    #[test]
    fn a_search_cut_short_says_how_many_it_shows_of_how_many() {
        assert_eq!(
            line("t", 20, 242),
            (
                20,
                "Showing 20 of 242 clients matching “t”; type more of the name, or a date of birth \
                 (YYYY-MM-DD), to narrow the list."
                    .into()
            )
        );
    }

    #[test]
    fn before_a_search_a_large_directory_offers_nobody_and_a_small_one_everybody() {
        assert_eq!(
            line("", 20, 242),
            (0, "242 clients: type part of a name to find one.".into())
        );
        assert_eq!(line("", 12, 12), (12, "12 clients.".into()));
        assert_eq!(line("", 1, 1), (1, "1 client.".into()));
        assert_eq!(line("", 0, 0), (0, "No clients yet.".into()));
    }

    #[test]
    fn the_line_counts_in_words() {
        assert_eq!(line("tar", 1, 1), (1, "1 client matches “tar”.".into()));
        assert_eq!(line("tar", 3, 3), (3, "3 clients match “tar”.".into()));
        assert_eq!(line(" zz ", 0, 0), (0, "No client matches “zz”.".into()));
    }
}
