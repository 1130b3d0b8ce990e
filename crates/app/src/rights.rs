//! What the caller may do, for pages that show buttons beside a view they read through another use case: with one
//! client (medications, the safety plan, portal access, referrals), across the practice, and with one clinician's
//! calendar. The relation is the store's (supervision
//! and emergency access included), never guessed from what a page shows.
//!
//! Not audited: it answers only about the caller's own relation, and an unknown client yields no rights at all, so
//! it tells nobody whether a client exists.

use crate::{App, Ctx};
use rapport_domain::policy::{CalendarRights, ClientRelation, ClientRights, StaffRights};
use rapport_domain::{ClientId, Result, UserId};
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

    /// What the caller may do across the practice, from their roles: for the navigation and the buttons that need
    /// no record. Pure: the roles are the session's.
    pub fn staff_rights(&self, ctx: &Ctx) -> StaffRights {
        StaffRights::of(&ctx.actor)
    }

    /// What the caller may do with one clinician's calendar and profile (the appointment and availability pages).
    pub fn calendar_rights(&self, ctx: &Ctx, owner: UserId) -> CalendarRights {
        CalendarRights::of(&ctx.actor, owner)
    }
}
