//! A PostgreSQL that goes away costs only the requests made while it is away: they are answered 503 with our error
//! body and the request id, `/readyz` says so, and the same server works again once the database is back, or, with
//! a multi-host URL, once another host answers — no restart either way.
//!
//! The server reaches PostgreSQL through a TCP relay on a free port that the test cuts (every open connection
//! dropped, new ones closed at once) and mends, so the shared test server itself is never touched. The full
//! failover, with a real standby promoted by pg_auto_failover, is `scripts/test --ha`.

use rapport_domain::Role;
use rapport_testkit::{Backend, TestApp, client_body};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A TCP relay to the test PostgreSQL that can be cut and mended.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    severed: Arc<Notify>,
}

impl Relay {
    async fn to(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, severed) = (Arc::new(AtomicBool::new(false)), Arc::new(Notify::new()));
        let (is_cut, sever) = (cut.clone(), severed.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let (target, sever) = (target.clone(), sever.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = sever.notified() => {}
                    }
                });
            }
        });
        Relay { port, cut, severed }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.severed.notify_waiters();
    }

    fn mend(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `host:port` of the test PostgreSQL, and `url` with its authority's hosts replaced by `hosts`.
fn pg_target(url: &str) -> String {
    let after = url.split_once("://").unwrap().1;
    let authority = after.split(['/', '?']).next().unwrap();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

fn with_hosts(url: &str, hosts: &str) -> String {
    let (scheme, after) = url.split_once("://").unwrap();
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let user = after[..end].rsplit_once('@').map_or("", |(u, _)| u);
    let at = if user.is_empty() { "" } else { "@" };
    format!("{scheme}://{user}{at}{hosts}{}", &after[end..])
}

async fn readyz(t: &TestApp) -> u16 {
    t.http
        .get(t.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits (at most 60 s) for `/readyz` to answer `status`.
async fn until_readyz(t: &TestApp, status: u16) {
    for _ in 0..240 {
        if readyz(t).await == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("/readyz did not answer {status} within 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_is_503_with_the_request_id_and_comes_back_without_a_restart() {
    let target = pg_target(&rapport_testkit::pg_admin_url());
    let relay = Relay::to(target).await;
    let port = relay.port;
    let t = TestApp::spawn_routed(Backend::Postgres, &move |url| {
        with_hosts(url, &format!("127.0.0.1:{port}"))
    })
    .await;
    let clin = t.user(&[Role::Clinician]).await;
    let before = t
        .post(&clin, "/api/v1/clients", client_body("Before"))
        .await;
    assert_eq!(before.status, 201, "{}", before.text);

    relay.cut();
    until_readyz(&t, 503).await;
    let during = t
        .post(&clin, "/api/v1/clients", client_body("During"))
        .await;
    assert_eq!(during.status, 503, "{}", during.text);
    assert_eq!(during.json["error"], "unavailable");
    let rid = during.headers["x-request-id"].to_str().unwrap();
    assert_eq!(during.json["request_id"], rid, "the body names the request");

    relay.mend();
    until_readyz(&t, 200).await;
    let after = t.post(&clin, "/api/v1/clients", client_body("After")).await;
    assert_eq!(after.status, 201, "{}", after.text);
    let id = before.json["id"].as_str().unwrap();
    let read = t.get(&clin, &format!("/api/v1/clients/{id}")).await;
    assert_eq!(read.status, 200, "what was acknowledged before is there");
    let names = t
        .query_text("SELECT CAST(COUNT(*) AS TEXT) FROM clients")
        .await;
    assert_eq!(names, ["2"], "the client refused with 503 was not kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_several_hosts_the_server_moves_to_the_one_still_answering() {
    let target = pg_target(&rapport_testkit::pg_admin_url());
    let (first, second) = (Relay::to(target.clone()).await, Relay::to(target).await);
    let hosts = format!("127.0.0.1:{},127.0.0.1:{}", first.port, second.port);
    let t = TestApp::spawn_routed(Backend::Postgres, &move |url| {
        let listed = with_hosts(url, &hosts);
        let join = if listed.contains('?') { '&' } else { '?' };
        format!("{listed}{join}target_session_attrs=read-write")
    })
    .await;
    let clin = t.user(&[Role::Clinician]).await;
    let before = t
        .post(&clin, "/api/v1/clients", client_body("Before"))
        .await;
    assert_eq!(before.status, 201, "{}", before.text);

    // The first host dies for good: the server finds the second by itself.
    first.cut();
    until_readyz(&t, 200).await;
    let mut kept = None;
    for _ in 0..60 {
        let r = t.post(&clin, "/api/v1/clients", client_body("After")).await;
        match r.status.as_u16() {
            201 => {
                kept = Some(r);
                break;
            }
            503 => tokio::time::sleep(Duration::from_millis(500)).await,
            other => panic!(
                "a write while the server moves answered {other}: {}",
                r.text
            ),
        }
    }
    assert!(kept.is_some(), "no write succeeded on the second host");
    let id = before.json["id"].as_str().unwrap();
    assert_eq!(
        t.get(&clin, &format!("/api/v1/clients/{id}")).await.status,
        200
    );
}
