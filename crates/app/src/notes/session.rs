//! The session a note documents, as the note shows it: when (the reader's page puts it in their zone), how long,
//! which service and CPT code, and who took part — so a note started from Today's "Start note" carries the
//! appointment's facts without anyone typing them, and they stay what the schedule says (never a copy to drift).

use crate::{App, Ctx};
use chrono::{DateTime, Utc};
use rapport_domain::{ClientId, Result};
use rapport_store::Tx;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct SessionFacts {
    pub appointment_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub minutes: i64,
    pub kind_label: &'static str,
    /// The appointment type's CPT code, where the practice set one.
    pub service_code: Option<String>,
    /// Participants the reader may know of (always the note's own client), by name.
    pub participants: Vec<String>,
    /// Other participants, counted and never named.
    pub others: usize,
}

impl App {
    /// The facts of appointment `id` for a note about `client` the caller may read; `None` if it is gone.
    pub(crate) async fn session_facts(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        id: Uuid,
        client: ClientId,
    ) -> Result<Option<SessionFacts>> {
        let Some(a) = rapport_store::schedule::get(tx.conn(), id).await? else {
            return Ok(None);
        };
        let service_code = rapport_store::resources::appointment_type(tx.conn(), &a.type_key)
            .await?
            .and_then(|t| t.service_code);
        let known = self.known_clients(tx.conn(), ctx).await?;
        let visible: Vec<ClientId> = a
            .client_ids
            .iter()
            .copied()
            .filter(|c| *c == client || known.as_ref().is_none_or(|k| k.contains(c)))
            .collect();
        let names = rapport_store::clients::names(tx.conn(), &visible).await?;
        let mut participants: Vec<String> = visible
            .iter()
            .filter_map(|c| names.get(c).cloned())
            .collect();
        participants.sort();
        Ok(Some(SessionFacts {
            appointment_id: a.id,
            start: a.session.start,
            end: a.session.end,
            minutes: (a.session.end - a.session.start).num_minutes(),
            kind_label: a.kind.label(),
            service_code,
            others: a.client_ids.len() - visible.len(),
            participants,
        }))
    }
}
