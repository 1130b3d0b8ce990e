//! Idempotency-Key for creates: a create run with a key first asks, inside its own transaction, whether the same
//! caller's key already answered; if so it writes nothing and hands back that answer (`Error::Replay`), or refuses
//! a different request under the same key (`Error::IdempotencyMismatch`). Otherwise it records its answer in the
//! same transaction as its write, just before commit.
//!
//! Why this is enough for concurrent duplicates: every write transaction holds the writers' turn
//! (`Store::begin`, and the group-commit writer's batch), so the second of two requests with one key runs its
//! check after the first committed and sees its row. The unique index on (caller, key) is the backstop: if a path
//! ever went around the lock, the second insert would fail and take its write with it, never leaving two records.

use crate::{App, Ctx};
use rapport_domain::{Actor, Error, Replayed, Result};
use rapport_store::Tx;
use rapport_store::Unaudited;
use rapport_store::idempotency::{self as repo, Answer, Earlier, Request};
use serde::Serialize;
use serde_json::Value;

/// A create's key, as the web edge read it: the key, the route it was sent to, the body's hash and where the
/// created thing will live (`{field}` or `{field.0.field}` filled from the answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Once {
    pub key: String,
    /// Method and route template, e.g. `POST /api/v1/clients`.
    pub route: String,
    /// SHA-256 of the request body, hex.
    pub hash: String,
    pub location: String,
}

/// Whose keys these are. Keys are per caller; anonymous callers (the public booking pages) share no identity, so
/// their keys are not honoured at all rather than replayed to a stranger.
fn caller(actor: &Actor) -> Option<String> {
    match actor {
        Actor::Staff { id, .. } => Some(format!("staff:{}", id.0)),
        Actor::Portal { account } => Some(format!("portal:{}", account.0)),
        Actor::Operator => Some("operator".into()),
        Actor::Public => None,
    }
}

fn request(ctx: &Ctx) -> Option<(Request, &Once)> {
    let once = ctx.once.as_ref()?;
    let r = Request {
        caller: caller(&ctx.actor)?,
        key: once.key.clone(),
        route: once.route.clone(),
        hash: once.hash.clone(),
    };
    Some((r, once))
}

/// Fills a location template from the answer's fields: `/api/v1/clients/{id}`, `/api/v1/appointments/{appointments.0.id}`.
pub fn location(template: &str, body: &Value) -> String {
    let mut out = String::with_capacity(template.len() + 36);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let path = &after[..close];
        let mut v = body;
        for part in path.split('.') {
            v = match part.parse::<usize>() {
                Ok(i) => &v[i],
                Err(_) => &v[part],
            };
        }
        match v {
            Value::String(s) => out.push_str(s),
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

impl App {
    /// The first step of a create under a key, inside its transaction: an answered key replays, a reused one is
    /// refused. Without a key, nothing.
    pub(crate) async fn once_check(&self, tx: &Tx<'_>, ctx: &Ctx) -> Result<()> {
        let Some((r, _)) = request(ctx) else {
            return Ok(());
        };
        match repo::earlier(tx, &r).await? {
            None => Ok(()),
            Some(Earlier::Same(a)) => Err(Error::Replay(Box::new(Replayed {
                status: a.status,
                location: a.location,
                body: a.body,
            }))),
            Some(Earlier::Different) => Err(Error::IdempotencyMismatch),
        }
    }

    /// The last step of a create under a key, before commit: its answer (201, the body, the location) is kept
    /// with the write.
    pub(crate) async fn once_record<T: Serialize>(
        &self,
        tx: &Tx<'_>,
        ctx: &Ctx,
        out: &T,
    ) -> Result<()> {
        let Some((r, once)) = request(ctx) else {
            return Ok(());
        };
        let body = serde_json::to_value(out).map_err(Error::internal)?;
        let answer = Answer {
            status: 201,
            location: Some(location(&once.location, &body)),
            body: body.to_string(),
        };
        repo::record(tx, &r, &answer).await.map_err(|e| {
            if e.is_unique_violation() {
                Error::Conflict(
                    "a request with this Idempotency-Key is still in progress; retry".into(),
                )
            } else {
                e.into()
            }
        })
    }

    /// A create's commit under a key: records the answer, then commits.
    pub(crate) async fn commit_once<T: Serialize>(
        &self,
        tx: Tx<'_>,
        ctx: &Ctx,
        out: T,
    ) -> Result<T> {
        self.once_record(&tx, ctx, &out).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Deletes the answers kept past their day; the outbox worker calls it.
    pub async fn sweep_idempotency(&self) -> Result<u64> {
        Ok(repo::sweep(
            self.store.unaudited(Unaudited::Worker),
            rapport_store::now_utc(),
        )
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn location_is_filled_from_the_answer() {
        let b = json!({ "id": "a1", "appointments": [{ "id": "x9" }], "n": 3 });
        assert_eq!(location("/api/v1/clients/{id}", &b), "/api/v1/clients/a1");
        assert_eq!(
            location("/api/v1/appointments/{appointments.0.id}", &b),
            "/api/v1/appointments/x9"
        );
        assert_eq!(location("/x/{n}/y", &b), "/x/3/y");
        assert_eq!(location("/plain", &b), "/plain");
    }
}
