//! What the caller may do with one client, for a page that shows buttons beside a view it read through another
//! use case (medications, the safety plan, portal access, referrals). The relation is the store's (supervision
//! and emergency access included), never guessed from what a page shows.
//!
//! Not audited: it answers only about the caller's own relation, and an unknown client yields no rights at all, so
//! it tells nobody whether a client exists.

use crate::{App, Ctx};
use rapport_domain::policy::{ClientRelation, ClientRights};
use rapport_domain::{ClientId, Result};
use rapport_store::care;

impl App {
    pub async fn client_rights(&self, ctx: &Ctx, client: ClientId) -> Result<ClientRights> {
        let rel = match ctx.actor.user_id() {
            Some(me) => {
                let tx = self.store.begin_read().await?;
                let rel = care::relation(tx.conn(), me, client).await?;
                tx.commit().await?;
                rel
            }
            None => ClientRelation::default(),
        };
        Ok(ClientRights::of(&ctx.actor, rel))
    }
}
