//! Shared state of the HTTP layer: the application, edge settings and the rate limiters of the forms that take
//! secrets (passwords, codes, links).
//!
//! Each form has its own bucket per client address, so that exhausting one (say, staff sign-in) does not lock people
//! out of another (the portal, a questionnaire link); sign-in forms also have a bucket per account, so guesses
//! spread over many addresses still meet a limit. Behind a TLS proxy every request comes from the proxy's
//! address: the client's own is read from `X-Forwarded-For`, but only when the request came from a proxy the
//! operator named (`--trusted-proxy`), since anyone else can write that header.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use rapport_app::App;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Served over HTTPS (directly or behind a TLS proxy): cookies get `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Attempts per minute at each form that takes a secret, per client address, and per account at sign-in.
    pub login_attempts_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` is believed (e.g. `127.0.0.1/32` for a proxy on the same machine).
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            login_attempts_per_minute: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The forms that take a secret, each with its own buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guarded {
    StaffPassword,
    StaffCode,
    Reauthenticate,
    PortalPassword,
    PortalWelcome,
    Booking,
    Questionnaire,
    Diary,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
    pub limiter: Arc<DefaultKeyedRateLimiter<(Guarded, IpAddr)>>,
    pub account_limiter: Arc<DefaultKeyedRateLimiter<(Guarded, String)>>,
}

impl AppState {
    pub fn new(app: App, cfg: WebConfig) -> Self {
        let per_minute =
            NonZeroU32::new(cfg.login_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        AppState {
            app,
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            account_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            cfg: Arc::new(cfg),
        }
    }
}
