//! Shared state of the HTTP layer: the application, edge settings and the sign-in rate limiter.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rapport_app::App;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Served over HTTPS (directly or behind a TLS proxy): cookies get `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Sign-in attempts (password or code) allowed per IP address per minute.
    pub login_attempts_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            login_attempts_per_minute: 20,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
    pub limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppState {
    pub fn new(app: App, cfg: WebConfig) -> Self {
        let per_minute =
            NonZeroU32::new(cfg.login_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        AppState {
            app,
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            cfg: Arc::new(cfg),
        }
    }
}
