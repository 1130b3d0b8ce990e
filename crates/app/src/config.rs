//! Settings the use cases need (timeouts, lockout), loaded once by the binary and passed down.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// A session unused this long ends (HIPAA "automatic logoff"; 30 minutes by default).
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout: Duration,
    /// Staff must use a second factor (TOTP). On by default; turning it off is for local experiments only.
    pub require_mfa: bool,
    /// Failed sign-ins before the account is locked for a while.
    pub lockout_after: i32,
    /// How recently the password must have been re-entered before sensitive changes.
    pub reauth_window: Duration,
    /// Shown in authenticator apps next to the account.
    pub totp_issuer: String,
    /// The address people use to reach Rapport (for links in e-mails), e.g. https://rapport.example.org.
    pub public_url: String,
    /// A demo practice with no SMTP server (`serve --demo` without `--smtp-url`): administrators may read what
    /// would have been sent, bodies included, in the demo mailbox. Never on otherwise.
    pub demo_mailbox: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            require_mfa: true,
            lockout_after: 5,
            reauth_window: Duration::from_secs(5 * 60),
            totp_issuer: "Rapport".to_string(),
            public_url: "http://127.0.0.1:8080".to_string(),
            demo_mailbox: false,
        }
    }
}
