//! The HTML pages, by audience: `staff` (signed-in members of the practice), `portal` (signed-in clients and
//! guardians) and `public` (no account: online booking, questionnaire and diary links, calendar feeds). Each
//! audience has its own router; they share only what sits below them in `crate::http`.

pub mod portal;
pub mod public;
mod record;
pub mod staff;

use crate::http::state::AppState;
use axum::Router;

/// Every page route of every audience.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(staff::router())
        .merge(portal::router())
        .merge(public::router())
}
