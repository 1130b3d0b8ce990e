//! Choosing a client in a form (a booking, the waitlist): the clients whose name matches what was typed, and the
//! ones the form has already chosen, each with a date of birth to tell equal names apart. One read within the
//! caller's scope, audited as a listing of the directory. The total always comes back with the matches, so a page
//! can say "showing 20 of 242" instead of cutting a list off where nobody can see it.

use crate::clients::{ClientSummary, summary};
use crate::{App, Ctx};
use rapport_domain::client::SearchTerms;
use rapport_domain::policy::{Action, Resource, client_scope};
use rapport_domain::validate;
use rapport_domain::{ClientId, Result};
use rapport_store::audit::AuditEvent;
use rapport_store::clients as repo;

/// At most this many matches per answer: a picker is for finding one person, not for browsing.
pub const MAX_CHOICES: u64 = 50;

#[derive(Debug, Clone, Default)]
pub struct ChoiceQuery {
    /// Part of the legal or preferred name, any case, and a date of birth if one is typed (YYYY-MM-DD); empty lists
    /// the directory from the start of the alphabet.
    pub q: String,
    /// Clients the form has already chosen (by id), to show by name; unknown ids and ids outside the caller's
    /// scope are left out.
    pub chosen: Vec<ClientId>,
    /// How many matches to return (1 to `MAX_CHOICES`).
    pub limit: u64,
}

#[derive(Debug, Clone)]
pub struct ClientChoices {
    pub chosen: Vec<ClientSummary>,
    /// The first `limit` matches, by legal name.
    pub matches: Vec<ClientSummary>,
    /// How many clients match in all.
    pub total: u64,
}

impl App {
    /// The clients a form offers for `q` and the ones it has already chosen, within the caller's scope.
    pub async fn client_choices(&self, ctx: &Ctx, q: &ChoiceQuery) -> Result<ClientChoices> {
        let terms =
            SearchTerms::parse(&validate::optional_line("q", &q.q, 200)?.unwrap_or_default());
        let limit = q.limit.clamp(1, MAX_CHOICES);
        let ev = || AuditEvent::new(&ctx.actor, "client.list", "client");
        let tx = self.store.begin_read().await?;
        let tx = self
            .guard(tx, ctx, Action::List, Resource::ClientDirectory, ev())
            .await?;
        let scope = client_scope(&ctx.actor);
        let me = ctx.actor.user_id();
        let (matches, total) = repo::search(
            tx.conn(),
            scope,
            me,
            &repo::Search {
                text: terms.name,
                born: terms.born,
                status: None,
                limit,
                offset: 0,
            },
        )
        .await?;
        let chosen = repo::within_scope(tx.conn(), scope, me, &q.chosen).await?;
        tx.audit(ev().request(ctx.rid()).detail(format!(
            "{} of {} shown, {} chosen",
            matches.len(),
            total,
            chosen.len()
        )))
        .await?;
        tx.commit().await?;
        Ok(ClientChoices {
            chosen: chosen.into_iter().map(summary).collect(),
            matches: matches.into_iter().map(summary).collect(),
            total,
        })
    }
}
