//! A database that went away (killed, failing over, unreachable) is a 503 the client may retry, not a 500 bug:
//! how its errors are recognised among the others.
//!
//! A write whose connection broke during COMMIT may or may not have committed; it is still answered 503, never
//! acknowledged, and a client that sends it again with its `Idempotency-Key` learns which.

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// SQLSTATEs that mean the server is gone or going, not that the statement was wrong: `admin_shutdown`,
/// `crash_shutdown`, `cannot_connect_now` (class 08, connection exceptions, is matched as a class).
const GONE_CODES: [&str; 3] = ["57P01", "57P02", "57P03"];

/// Whether `e` says the connection to the database was lost or could not be had.
pub(crate) fn is_lost(e: &DbErr) -> bool {
    let (runtime, connecting) = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(r) => (r, true),
        DbErr::Exec(r) | DbErr::Query(r) => (r, false),
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match &**sqlx {
        // While connecting, a server that closes the socket at once (one shutting down, a proxy with no server
        // behind it) can leave sqlx reading garbage where the answer to its SSL request should be. Once
        // connected, a protocol error is a bug to look at, and stays a 500.
        sqlx::Error::Protocol(_) => connecting,
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|code| code.starts_with("08") || GONE_CODES.contains(&code.as_ref())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnAcquireErr;
    use std::sync::Arc;

    fn sqlx_err(e: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_refused_or_broken_connection_is_lost() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_lost(&sqlx_err(sqlx::Error::Io(refused))));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_lost(&DbErr::Conn(RuntimeErr::SqlxError(Arc::new(
            sqlx::Error::Io(reset)
        )))));
        assert!(is_lost(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)));
        assert!(is_lost(&sqlx_err(sqlx::Error::PoolTimedOut)));
    }

    #[test]
    fn garbage_while_connecting_is_lost_but_garbage_on_a_connection_is_a_bug() {
        let garbage = || {
            Arc::new(sqlx::Error::Protocol(
                "unexpected response from SSLRequest: 0x00".into(),
            ))
        };
        assert!(is_lost(&DbErr::Conn(RuntimeErr::SqlxError(garbage()))));
        assert!(!is_lost(&DbErr::Query(RuntimeErr::SqlxError(garbage()))));
    }

    #[test]
    fn wrong_statements_and_missing_rows_are_not_lost_connections() {
        assert!(!is_lost(&sqlx_err(sqlx::Error::RowNotFound)));
        assert!(!is_lost(&DbErr::RecordNotFound("x".into())));
        assert!(!is_lost(&DbErr::Exec(RuntimeErr::Internal(
            "connection".into()
        ))));
    }
}
