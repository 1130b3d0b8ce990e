//! A libpq multi-host URL (`postgres://user@h1:5432,h2:5433/db?target_session_attrs=read-write`, the shape
//! `pg_autoctl show uri` prints), split into one single-host URL per host, in the order given.
//!
//! sqlx reads one host per URL (its issue 179 asks for more), so this splits the host list and nothing else: each
//! single-host URL keeps the user, password, database and every other parameter as written, and sqlx parses it as
//! it parses any URL, so `sslmode` and the rest mean exactly what they mean for a single host. The split is by
//! hand because the one maintained parser of these URLs (tokio-postgres's `Config`) belongs to another driver
//! whose settings would have to be translated into sqlx's, field by field.

use std::fmt;

/// What a PostgreSQL URL asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// One host and no `target_session_attrs`: connect as always.
    Single,
    /// Several hosts, or a host that must accept writes: find the one that does, and follow it.
    Writable(HostList),
}

/// One single-host URL per host. Its `Debug` names the hosts only: the URLs may hold a password.
#[derive(PartialEq, Eq)]
pub(crate) struct HostList {
    pub(crate) urls: Vec<String>,
    /// `host:port` as written (`host` alone when the URL gives no port), for logs and messages.
    pub(crate) names: Vec<String>,
}

impl fmt::Debug for HostList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostList")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// Why a URL was refused. The messages never repeat the URL, which may hold a password.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the database URL has an empty pair of brackets where a host should be")]
    EmptyBrackets,
    #[error(
        "the database URL has a host with more than one ':' (write an IPv6 address in brackets, [::1]:5432)"
    )]
    UnbracketedIpv6,
    #[error("the database URL has an unclosed '[' in a host")]
    UnclosedBracket,
    #[error("the database URL has a port that is not a number from 1 to 65535")]
    BadPort,
    #[error(
        "the database URL lists hosts in its host= or port= parameter; list them as host:port,host:port after '@' instead"
    )]
    HostListInQuery,
    #[error(
        "target_session_attrs={0} cannot work for Rapport, which writes: use read-write (or primary, or leave it out)"
    )]
    ReadOnlyTarget(String),
    #[error("target_session_attrs={0} is not a value PostgreSQL knows")]
    UnknownTarget(String),
}

/// Splits `url` (already known to start with `postgres://` or `postgresql://`).
pub(crate) fn parse(url: &str) -> Result<Target, UrlError> {
    let Some(scheme_end) = url.find("://") else {
        return Ok(Target::Single);
    };
    let (scheme, rest) = (&url[..scheme_end + 3], &url[scheme_end + 3..]);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, after) = (&rest[..authority_end], &rest[authority_end..]);
    let (path, query) = match after.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (after, None),
    };
    // The password may hold '@' only percent-encoded, so the last '@' ends the user part, as in libpq.
    let (userinfo, hostspec) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };

    let mut wants_writes = false;
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "target_session_attrs" => match value {
                "any" => {}
                "read-write" | "primary" => wants_writes = true,
                "read-only" | "standby" | "prefer-standby" => {
                    return Err(UrlError::ReadOnlyTarget(value.to_string()));
                }
                other => return Err(UrlError::UnknownTarget(short(other))),
            },
            "host" | "port"
                if value.contains(',') || value.to_ascii_lowercase().contains("%2c") =>
            {
                return Err(UrlError::HostListInQuery);
            }
            _ => kept.push(pair),
        }
    }

    if !hostspec.contains(',') && !wants_writes {
        return Ok(Target::Single);
    }
    // An empty host is libpq's (and sqlx's) default host, as in `postgres:///db`.
    let hosts = hostspec
        .split(',')
        .map(split_host)
        .collect::<Result<Vec<_>, _>>()?;
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let urls = hosts
        .iter()
        .map(|(host, port)| match port {
            Some(p) => format!("{scheme}{userinfo}{host}:{p}{path}{query}"),
            None => format!("{scheme}{userinfo}{host}{path}{query}"),
        })
        .collect();
    let names = hosts
        .iter()
        .map(|(host, port)| {
            let host = if host.is_empty() {
                "(default host)"
            } else {
                host
            };
            match port {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            }
        })
        .collect();
    Ok(Target::Writable(HostList { urls, names }))
}

/// One `host`, `host:port`, `[v6]` or `[v6]:port` of the list.
fn split_host(item: &str) -> Result<(&str, Option<u16>), UrlError> {
    let (host, port) = if item.starts_with('[') {
        let close = item.find(']').ok_or(UrlError::UnclosedBracket)?;
        let (host, rest) = item.split_at(close + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return Err(UrlError::BadPort),
        }
    } else {
        match item.split_once(':') {
            Some((_, port)) if port.contains(':') => return Err(UrlError::UnbracketedIpv6),
            Some((host, port)) => (host, Some(port)),
            None => (item, None),
        }
    };
    if host == "[]" {
        return Err(UrlError::EmptyBrackets);
    }
    let port = match port {
        None => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(UrlError::BadPort),
            Ok(n) => Some(n),
        },
        Some(_) => return Err(UrlError::BadPort),
    };
    Ok((host, port))
}

/// A value quoted in a message, cut short: it came from a URL that may hold a secret elsewhere.
fn short(s: &str) -> String {
    s.chars().take(20).collect()
}

#[cfg(test)]
mod tests;
