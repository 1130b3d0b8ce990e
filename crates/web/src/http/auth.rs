//! Who is calling: extractors for the API (bearer token or session cookie) and for pages (session cookie, with
//! redirects through the sign-in steps), cookie handling, CSRF and per-IP rate limits.

use crate::http::error::ApiError;
use crate::http::request_id::RequestId;
use crate::http::state::{AppState, Guarded};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rapport_app::Ctx;
use rapport_app::auth::SessionInfo;
use rapport_app::portal::PortalSession;
use rapport_app::secrets::constant_time_eq;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub fn request_id(parts: &Parts) -> RequestId {
    parts
        .extensions
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId("-".into()))
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy (read from the right: the left end is the client's to write).
pub fn client_ip(parts: &Parts, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    forwarded_client(peer, &parts.headers, trusted)
}

pub(crate) fn forwarded_client(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The session cookie's name and `Set-Cookie` value. `__Host-` binds the cookie to this exact origin over HTTPS;
/// browsers refuse that prefix without `Secure`, so plain-HTTP local use gets an ordinary name.
fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-rapport" } else { "rapport" }
}

/// The client portal's session cookie: a name of its own, so a staff session and a portal session in one browser
/// never stand in for each other.
fn portal_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rapport-portal"
    } else {
        "rapport-portal"
    }
}

fn set_cookie(secure: bool, value: &str, expire: bool) -> HeaderValue {
    set_named_cookie(cookie_name(secure), secure, value, expire)
}

fn set_named_cookie(name: &str, secure: bool, value: &str, expire: bool) -> HeaderValue {
    let mut v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if expire {
        v.push_str("; Max-Age=0");
    }
    if secure {
        v.push_str("; Secure");
    }
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""))
}

impl AppState {
    pub fn cookie_name(&self) -> &'static str {
        cookie_name(self.cfg.secure_cookies)
    }

    pub fn session_cookie(&self, token: &str) -> HeaderValue {
        set_cookie(self.cfg.secure_cookies, token, false)
    }

    pub fn clear_cookie(&self) -> HeaderValue {
        set_cookie(self.cfg.secure_cookies, "", true)
    }

    pub fn portal_cookie(&self, token: &str) -> HeaderValue {
        let secure = self.cfg.secure_cookies;
        set_named_cookie(portal_cookie_name(secure), secure, token, false)
    }

    pub fn clear_portal_cookie(&self) -> HeaderValue {
        let secure = self.cfg.secure_cookies;
        set_named_cookie(portal_cookie_name(secure), secure, "", true)
    }

    pub async fn portal_session_of(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<PortalSession>, rapport_domain::Error> {
        match read_cookie(headers, portal_cookie_name(self.cfg.secure_cookies)) {
            Some(token) if !token.is_empty() => self.app.portal_session(&token).await,
            _ => Ok(None),
        }
    }

    pub async fn session_of(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<SessionInfo>, rapport_domain::Error> {
        match read_cookie(headers, self.cookie_name()) {
            Some(token) if !token.is_empty() => self.app.session(&token).await,
            _ => Ok(None),
        }
    }

    /// Per-address limit on one form that takes a secret, in addition to the per-account lockout.
    pub fn check_rate(&self, form: Guarded, ip: IpAddr) -> Result<(), rapport_domain::Error> {
        self.limiter
            .check_key(&(form, ip))
            .map_err(|_| rapport_domain::Error::RateLimited {
                retry_after_secs: 60,
            })
    }

    /// Per-address and per-account limits on a sign-in form: guesses spread over many addresses still meet the
    /// account's bucket (the e-mail as typed, folded, whether or not such an account exists).
    pub fn check_sign_in_rate(
        &self,
        form: Guarded,
        ip: IpAddr,
        email: &str,
    ) -> Result<(), rapport_domain::Error> {
        self.check_rate(form, ip)?;
        self.account_limiter
            .check_key(&(form, email.trim().to_lowercase()))
            .map_err(|_| rapport_domain::Error::RateLimited {
                retry_after_secs: 60,
            })
    }
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// An authenticated API caller: `Authorization: Bearer rpt_…`, or the session cookie of a fully signed-in user
/// (then state-changing requests must also send the session's CSRF token in `X-CSRF-Token`).
pub struct Caller {
    pub ctx: Ctx,
    pub rid: RequestId,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        let unauth =
            |rid: &RequestId| ApiError::from_domain(rapport_domain::Error::Unauthenticated, rid);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let Some(token) = token else {
                return Err(ApiError::edge(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Use 'Authorization: Bearer <token>'.",
                    &rid,
                ));
            };
            let actor = state
                .app
                .api_token_actor(token)
                .await
                .map_err(|e| ApiError::from_domain(e, &rid))?;
            return match actor {
                Some(actor) => Ok(Caller {
                    ctx: Ctx::new(actor, Some(rid.0.clone())),
                    rid,
                }),
                None => Err(unauth(&rid)),
            };
        }
        let session = state
            .session_of(&parts.headers)
            .await
            .map_err(|e| ApiError::from_domain(e, &rid))?;
        let Some(session) = session else {
            return Err(unauth(&rid));
        };
        if !is_safe(&parts.method) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !constant_time_eq(sent, session.csrf_token.as_bytes()) {
                return Err(ApiError::edge(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "Missing or wrong X-CSRF-Token header.",
                    &rid,
                ));
            }
        }
        match session.actor() {
            Some(actor) => Ok(Caller {
                ctx: Ctx::new(actor, Some(rid.0.clone())),
                rid,
            }),
            None => Err(unauth(&rid)),
        }
    }
}

/// A fully signed-in staff member on a page. Anyone else is sent to the next sign-in step.
pub struct Staff {
    pub session: SessionInfo,
    pub ctx: Ctx,
    /// What the roles allow across the practice, asked of the policy once for the request.
    pub rights: rapport_domain::policy::StaffRights,
    pub rid: RequestId,
    pub ip: IpAddr,
}

impl Staff {
    pub fn csrf_ok(&self, sent: &str) -> bool {
        constant_time_eq(sent.as_bytes(), self.session.csrf_token.as_bytes())
    }

    pub fn is(&self, role: rapport_domain::Role) -> bool {
        self.session.roles.contains(&role)
    }

    /// The zone this user reads times in (`when`).
    pub fn zone(&self) -> crate::when::Zone {
        crate::when::Zone::named(&self.session.time_zone)
    }
}

/// Where a partly signed-in session must go next.
pub fn next_step(s: &SessionInfo) -> Option<&'static str> {
    if !s.mfa_passed {
        Some(if s.totp_enabled || s.passkey_offered {
            "/mfa"
        } else {
            "/mfa/setup"
        })
    } else if s.must_change_password {
        Some("/account/password")
    } else {
        None
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        let session = match state.session_of(&parts.headers).await {
            Ok(s) => s,
            Err(e) => return Err(crate::http::page::error_page(e, &rid, None)),
        };
        let Some(session) = session else {
            return Err(Redirect::to("/login").into_response());
        };
        if let Some(next) = next_step(&session) {
            return Err(Redirect::to(next).into_response());
        }
        let Some(ctx) = state.app.ctx_for(&session, Some(rid.0.clone())) else {
            return Err(Redirect::to("/login").into_response());
        };
        Ok(Staff {
            rights: state.app.staff_rights(&ctx),
            session,
            ctx,
            rid,
            ip: client_ip(parts, &state.cfg.trusted_proxies),
        })
    }
}

/// A client (or a minor's guardian) signed in to the portal. Anyone else is sent to the portal's sign-in page.
pub struct PortalUser {
    pub session: PortalSession,
    pub ctx: Ctx,
    pub rid: RequestId,
}

impl PortalUser {
    pub fn csrf_ok(&self, sent: &str) -> bool {
        constant_time_eq(sent.as_bytes(), self.session.csrf_token.as_bytes())
    }
}

impl FromRequestParts<AppState> for PortalUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybePortal { session, rid, .. } =
            MaybePortal::from_request_parts(parts, state).await?;
        match session {
            Some(session) => Ok(PortalUser {
                ctx: session.ctx(Some(rid.0.clone())),
                session,
                rid,
            }),
            None => Err(Redirect::to("/portal/login").into_response()),
        }
    }
}

/// The portal session of this browser, if any (for the portal's sign-in pages).
pub struct MaybePortal {
    pub session: Option<PortalSession>,
    pub rid: RequestId,
    pub ip: IpAddr,
}

impl FromRequestParts<AppState> for MaybePortal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        let ip = client_ip(parts, &state.cfg.trusted_proxies);
        match state.portal_session_of(&parts.headers).await {
            Ok(session) => Ok(MaybePortal { session, rid, ip }),
            Err(e) => Err(crate::http::page::error_page(e, &rid, None)),
        }
    }
}

/// Any session, signed in or half-way (for the sign-in steps themselves).
pub struct AnySession {
    pub session: Option<SessionInfo>,
    pub rid: RequestId,
    pub ip: IpAddr,
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        let ip = client_ip(parts, &state.cfg.trusted_proxies);
        match state.session_of(&parts.headers).await {
            Ok(session) => Ok(AnySession { session, rid, ip }),
            Err(e) => Err(crate::http::page::error_page(e, &rid, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_the_cookie_is_host_bound_and_secure() {
        let v = set_cookie(true, "abc", false);
        assert_eq!(
            v.to_str().unwrap_or(""),
            "__Host-rapport=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let v = set_cookie(false, "abc", false);
        assert_eq!(
            v.to_str().unwrap_or(""),
            "rapport=abc; Path=/; HttpOnly; SameSite=Lax"
        );
        assert!(
            set_cookie(true, "", true)
                .to_str()
                .unwrap_or("")
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("other=1; rapport=tok; x=2"),
        );
        assert_eq!(read_cookie(&h, "rapport").as_deref(), Some("tok"));
        assert_eq!(read_cookie(&h, "__Host-rapport"), None);
    }
}
