//! The split of multi-host URLs: the shapes operators paste (pg_autoctl's, with credentials, IPv6, default
//! ports), the refusals, and a property: every generated list splits into URLs that sqlx reads as the hosts given,
//! with everything else kept.

use super::*;
use proptest::prelude::*;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::str::FromStr;

fn hosts(url: &str) -> HostList {
    match parse(url) {
        Ok(Target::Writable(list)) => list,
        other => panic!("expected a host list from {url}, got {other:?}"),
    }
}

#[test]
fn pg_autoctl_uri_splits_into_one_url_per_host_without_the_target() {
    let list = hosts(
        "postgres://127.0.0.1:55401,127.0.0.1:55402/rapport?target_session_attrs=read-write&sslmode=prefer",
    );
    assert_eq!(
        list.urls,
        [
            "postgres://127.0.0.1:55401/rapport?sslmode=prefer",
            "postgres://127.0.0.1:55402/rapport?sslmode=prefer"
        ]
    );
    assert_eq!(list.names, ["127.0.0.1:55401", "127.0.0.1:55402"]);
}

#[test]
fn one_host_without_a_target_is_connected_as_always() {
    assert_eq!(
        parse("postgres://postgres@127.0.0.1:5432/test"),
        Ok(Target::Single)
    );
    assert_eq!(parse("postgresql:///test"), Ok(Target::Single));
    assert_eq!(
        parse("postgres://db/test?target_session_attrs=any"),
        Ok(Target::Single)
    );
}

#[test]
fn one_host_that_must_accept_writes_is_checked_too() {
    let list = hosts("postgres://db:5432/test?target_session_attrs=primary");
    assert_eq!(list.urls, ["postgres://db:5432/test"]);
}

#[test]
fn credentials_and_other_parameters_go_with_every_host() {
    let list = hosts(
        "postgresql://rapport:p%40ss:word@a.example:5433,b.example/clinic?application_name=rapport&target_session_attrs=read-write&sslmode=require",
    );
    assert_eq!(
        list.urls,
        [
            "postgresql://rapport:p%40ss:word@a.example:5433/clinic?application_name=rapport&sslmode=require",
            "postgresql://rapport:p%40ss:word@b.example/clinic?application_name=rapport&sslmode=require"
        ]
    );
    let second = PgConnectOptions::from_str(&list.urls[1]).unwrap();
    assert_eq!(second.get_host(), "b.example");
    assert_eq!(second.get_port(), 5432, "no port given: the default");
    assert_eq!(second.get_username(), "rapport");
    assert_eq!(second.get_database(), Some("clinic"));
    assert!(matches!(second.get_ssl_mode(), PgSslMode::Require));
}

#[test]
fn ipv6_hosts_are_written_in_brackets() {
    let list = hosts("postgres://u@[::1]:6001,[fe80::2]/db");
    assert_eq!(
        list.urls,
        ["postgres://u@[::1]:6001/db", "postgres://u@[fe80::2]/db"]
    );
    assert_eq!(list.names, ["[::1]:6001", "[fe80::2]"]);
    assert_eq!(
        parse("postgres://::1,::2/db"),
        Err(UrlError::UnbracketedIpv6)
    );
    assert_eq!(
        parse("postgres://[::1,h2/db"),
        Err(UrlError::UnclosedBracket)
    );
    assert_eq!(parse("postgres://[],h2/db"), Err(UrlError::EmptyBrackets));
}

#[test]
fn a_host_list_without_a_path_keeps_its_query() {
    let list = hosts("postgres://a:1,b:2?target_session_attrs=read-write&sslmode=disable");
    assert_eq!(
        list.urls,
        [
            "postgres://a:1?sslmode=disable",
            "postgres://b:2?sslmode=disable"
        ]
    );
}

#[test]
fn ports_outside_1_to_65535_or_not_numbers_are_refused() {
    for url in [
        "postgres://a:0,b/db",
        "postgres://a:65536,b/db",
        "postgres://a:54x,b/db",
        "postgres://a:,b/db",
        "postgres://[::1]x,b/db",
    ] {
        assert_eq!(parse(url), Err(UrlError::BadPort), "{url}");
    }
}

#[test]
fn targets_that_cannot_write_are_refused() {
    for value in ["read-only", "standby", "prefer-standby"] {
        assert_eq!(
            parse(&format!("postgres://a,b/db?target_session_attrs={value}")),
            Err(UrlError::ReadOnlyTarget(value.into()))
        );
    }
    assert_eq!(
        parse("postgres://a,b/db?target_session_attrs=writable"),
        Err(UrlError::UnknownTarget("writable".into()))
    );
}

#[test]
fn host_lists_in_parameters_are_refused_rather_than_half_read() {
    assert_eq!(
        parse("postgres:///db?host=a,b"),
        Err(UrlError::HostListInQuery)
    );
    assert_eq!(
        parse("postgres:///db?host=a%2Cb&port=1"),
        Err(UrlError::HostListInQuery)
    );
    assert_eq!(
        parse("postgres://a/db?port=1,2"),
        Err(UrlError::HostListInQuery)
    );
}

#[test]
fn debug_and_errors_never_show_the_password() {
    let list = hosts("postgres://u:hunter2@a,b/db");
    assert!(!format!("{list:?}").contains("hunter2"));
    let e = parse("postgres://u:hunter2@a,b/db?target_session_attrs=hunter2").unwrap_err();
    assert!(!e.to_string().contains("u:hunter2@"));
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,12}(\\.[a-z][a-z0-9-]{0,8}){0,2}",
        (1u8..=254, 0u8..=255).prop_map(|(a, b)| format!("10.{a}.{b}.1")),
        "[0-9a-f]{1,4}(:[0-9a-f]{1,4}){1,3}".prop_map(|v6| format!("[{v6}::1]")),
    ]
}

/// The same host, IPv6 addresses compared as addresses (the URL parser writes them in their shortest form).
fn same_host(read: &str, written: &str) -> bool {
    let v6 = |h: &str| {
        h.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
    };
    match (v6(read), v6(written)) {
        (Some(a), Some(b)) => a == b,
        _ => read == written,
    }
}

proptest! {
    /// Whatever the hosts, ports, user and extra parameters, each URL of the split is read by sqlx as its host
    /// and port with the same user, database and parameters, and none still carries `target_session_attrs`.
    #[test]
    fn every_host_becomes_a_url_sqlx_reads_as_that_host(
        list in prop::collection::vec((host(), prop::option::of(1u16..=65535)), 2..5),
        user in "[a-z]{1,8}",
        database in "[a-z][a-z0-9_]{0,10}",
        target_first in any::<bool>(),
        app in prop::option::of("[a-z]{1,8}"),
    ) {
        let hostspec = list
            .iter()
            .map(|(h, p)| p.map_or(h.clone(), |p| format!("{h}:{p}")))
            .collect::<Vec<_>>()
            .join(",");
        let mut params = vec!["sslmode=disable".to_string()];
        if let Some(app) = &app {
            params.push(format!("application_name={app}"));
        }
        let target = "target_session_attrs=read-write".to_string();
        if target_first { params.insert(0, target) } else { params.push(target) }
        let url = format!("postgres://{user}@{hostspec}/{database}?{}", params.join("&"));

        let split = hosts(&url);
        prop_assert_eq!(split.urls.len(), list.len());
        for (one, (host, port)) in split.urls.iter().zip(&list) {
            prop_assert!(!one.contains("target_session_attrs"));
            let opts = PgConnectOptions::from_str(one).unwrap();
            prop_assert!(same_host(opts.get_host(), host), "{} read as {}", host, opts.get_host());
            prop_assert_eq!(opts.get_port(), port.unwrap_or(5432));
            prop_assert_eq!(opts.get_username(), user.as_str());
            prop_assert_eq!(opts.get_database(), Some(database.as_str()));
            prop_assert!(matches!(opts.get_ssl_mode(), PgSslMode::Disable));
            prop_assert_eq!(opts.get_application_name(), app.as_deref());
        }
    }
}
