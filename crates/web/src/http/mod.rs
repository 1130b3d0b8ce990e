//! The bottom of the web crate, shared by the API and every audience's pages: state, the caller's identity
//! (sessions and tokens), extractors, errors in our JSON shape or as a page, response shapes, the middleware at the
//! edge, health and static assets. Nothing here imports from `api` or `ui`.

pub mod assets;
pub mod auth;
pub mod edge_errors;
pub mod edges;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod page;
pub mod request_id;
pub mod responses;
pub mod state;
