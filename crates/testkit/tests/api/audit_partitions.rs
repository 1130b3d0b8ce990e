//! The audit log as several chains (docs/SECURITY.md, "The audit chain"): one client's entries share a chain,
//! clients spread over all of them, every kind of tampering with a chain is named, a checkpoint covers every chain,
//! and on PostgreSQL a read's audit entry waits neither for another server's write nor for a chain it is not in.

use rapport_domain::Role;
use rapport_store::audit::PARTITIONS;
use rapport_testkit::{Backend, TestApp, TestUser, both, client_body};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::time::Duration;

both!(
    one_clients_entries_share_a_chain_and_clients_spread,
    tampering_with_any_chain_is_named,
    a_checkpoint_covers_every_chain
);

async fn new_client(t: &TestApp, who: &TestUser, name: &str) -> String {
    t.post(who, "/api/v1/clients", client_body(name)).await.json["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The chain of each entry about the client whose name-free id the entry's `resource_id` holds.
async fn chains_of(t: &TestApp, client: &str) -> Vec<String> {
    t.query_text(&format!(
        "SELECT DISTINCT CAST(part AS TEXT) FROM audit_log WHERE resource_id = '{client}'"
    ))
    .await
}

async fn one_clients_entries_share_a_chain_and_clients_spread(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut used = std::collections::BTreeSet::new();
    for i in 0..24 {
        let id = new_client(&t, &clin, &format!("Spread {i}")).await;
        t.get(&clin, &format!("/api/v1/clients/{id}"))
            .await
            .expect(200);
        let chains = chains_of(&t, &id).await;
        assert_eq!(chains.len(), 1, "client {id}: entries in chains {chains:?}");
        used.insert(chains[0].clone());
    }
    // 24 clients over 8 chains all in fewer than 3: a broken hash (the odds are below one in a million).
    assert!(used.len() >= 3, "chains used: {used:?}");
    assert_eq!(
        t.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM audit_head")
            .await,
        [PARTITIONS.to_string()]
    );
    let report = t.app.verify_audit().await.unwrap();
    assert_eq!(report.first_broken, None);
    let stored = crate::stored_audit_entries(&t).await;
    assert_eq!(report.entries, stored);
    t.finish().await;
}

/// A chain other than 0 with at least two entries, and the number of its last entry in the whole log.
async fn a_busy_chain(t: &TestApp) -> (String, String) {
    let rows = t
        .query_text(
            "SELECT CAST(part AS TEXT) || ' ' || CAST(MAX(seq) AS TEXT) FROM audit_log \
             WHERE part <> 0 GROUP BY part HAVING COUNT(*) >= 2 ORDER BY part",
        )
        .await;
    let row = rows.first().expect("a chain other than 0 has entries");
    let (part, seq) = row.split_once(' ').unwrap();
    (part.to_string(), seq.to_string())
}

async fn tampering_with_any_chain_is_named(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    for i in 0..12 {
        new_client(&t, &clin, &format!("Tamper {i}")).await;
    }
    let (part, last) = a_busy_chain(&t).await;
    let intact = || async { t.app.verify_audit().await.unwrap().first_broken };
    assert_eq!(intact().await, None);

    // An entry moved to another chain no longer verifies there (its hash covers its chain).
    let other = (part.parse::<i32>().unwrap() + 1) % PARTITIONS;
    t.execute(&format!(
        "UPDATE audit_log SET part = {other}, pseq = pseq + 1000000 WHERE seq = {last}"
    ))
    .await;
    let broken = intact().await.expect("the move is detected");
    t.execute(&format!(
        "UPDATE audit_log SET part = {part}, pseq = pseq - 1000000 WHERE seq = {last}"
    ))
    .await;
    assert_eq!(intact().await, None, "put back: {broken:?}");

    // An entry put into a chain that does not exist is named.
    t.execute(&format!(
        "UPDATE audit_log SET part = {PARTITIONS} WHERE seq = {last}"
    ))
    .await;
    let (at, why) = intact().await.expect("the stray entry is detected");
    assert_eq!(at.to_string(), last, "{why}");
    assert!(why.contains("does not exist"), "{why}");
    t.execute(&format!(
        "UPDATE audit_log SET part = {part} WHERE seq = {last}"
    ))
    .await;

    // A chain's last entry cut off and its head rewound to match: the head's seal gives it away.
    let saved = t
        .query_text(&format!(
            "SELECT CAST(seq AS TEXT) || ' ' || hash || ' ' || seal FROM audit_head WHERE id = {part} + 1"
        ))
        .await
        .remove(0);
    let mut saved = saved.splitn(3, ' ').map(str::to_string);
    let (head_seq, head_hash, head_seal) = (
        saved.next().unwrap(),
        saved.next().unwrap(),
        saved.next().unwrap(),
    );
    let backup = "CREATE TABLE cut AS SELECT * FROM audit_log WHERE seq = ".to_string() + &last;
    t.execute(&backup).await;
    t.execute(&format!("DELETE FROM audit_log WHERE seq = {last}"))
        .await;
    t.execute(&format!(
        "UPDATE audit_head SET seq = seq - 1, hash = (SELECT prev_hash FROM cut) WHERE id = {part} + 1"
    ))
    .await;
    let (_, why) = intact().await.expect("the cut is detected");
    assert!(
        why.contains(&format!("audit chain {part}")) && why.contains("seal"),
        "{why}"
    );
    t.execute("INSERT INTO audit_log SELECT * FROM cut").await;
    t.execute(&format!(
        "UPDATE audit_head SET seq = {head_seq}, hash = '{head_hash}', seal = '{head_seal}' WHERE id = {part} + 1"
    ))
    .await;
    assert_eq!(intact().await, None);

    // A whole chain's head removed (to hide that the chain exists) is named.
    t.execute(&format!("DELETE FROM audit_head WHERE id = {part} + 1"))
        .await;
    let (_, why) = intact().await.expect("the missing head is detected");
    assert!(why.contains("missing"), "{why}");
    t.finish().await;
}

async fn a_checkpoint_covers_every_chain(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    for i in 0..12 {
        new_client(&t, &clin, &format!("Checkpoint {i}")).await;
    }
    let line = t.app.audit_checkpoint().await.unwrap();
    assert!(line.starts_with("rapport-audit-checkpoint-v3:"), "{line}");
    let ends = line.split(':').nth(2).unwrap().split('.').count();
    assert_eq!(ends, PARTITIONS as usize, "{line}");
    assert_eq!(
        t.app
            .verify_audit_against(&line)
            .await
            .unwrap()
            .first_broken,
        None
    );
    // An entry the checkpoint names, rewritten with its chain (and head) made consistent again, cannot be made to
    // match a key-signed digest: here simply the entry's stored hash is changed, as a re-signing would.
    let (part, last) = a_busy_chain(&t).await;
    t.execute(&format!(
        "UPDATE audit_log SET hash = 'x' || hash WHERE seq = {last}"
    ))
    .await;
    let report = t.app.verify_audit_against(&line).await.unwrap();
    assert!(report.first_broken.is_some(), "chain {part}: {report:?}");
    t.finish().await;
}

/// PostgreSQL only (SQLite has one writer at a time, so there a read's entry does wait for another process's
/// write): a read's audit entry is appended while another server holds the writers' turn, and while another
/// transaction holds a chain the entry is not in; it waits only for its own chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_wait_only_for_their_own_chain_on_postgres() {
    let t = TestApp::spawn(Backend::Postgres).await;
    let clin = t.user(&[Role::Clinician]).await;
    let mut by_chain: std::collections::BTreeMap<String, String> = Default::default();
    for i in 0..40 {
        let id = new_client(&t, &clin, &format!("Lane {i}")).await;
        by_chain
            .entry(chains_of(&t, &id).await.remove(0))
            .or_insert(id);
        if by_chain.len() >= 2 {
            break;
        }
    }
    let mut two = by_chain.into_iter();
    let ((held_chain, in_held), (_, elsewhere)) = (two.next().unwrap(), two.next().unwrap());

    let db = sea_orm::Database::connect(&t.database_url).await.unwrap();
    let other_server = db.begin().await.unwrap();
    other_server
        .execute_unprepared("UPDATE write_turn SET taken = taken WHERE id = 1")
        .await
        .unwrap();
    other_server
        .execute_unprepared(&format!(
            "SELECT * FROM audit_head WHERE id = {held_chain} + 1 FOR UPDATE"
        ))
        .await
        .unwrap();

    // Not a speed limit: the bound only keeps a regression (the read queued behind the held locks) from hanging.
    let read = |id: String| {
        let (t, clin) = (&t, &clin);
        async move { t.get(clin, &format!("/api/v1/clients/{id}")).await }
    };
    let free = tokio::time::timeout(Duration::from_secs(30), read(elsewhere))
        .await
        .expect(
            "a read in another chain is answered while the writers' turn and one chain are held",
        );
    free.expect(200);
    let waiting = tokio::spawn({
        let base = t.base.clone();
        let token = clin.token.clone();
        let http = t.http.clone();
        async move {
            http.get(format!("{base}/api/v1/clients/{in_held}"))
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a read in the held chain waits for it: its entry must be durable before it is answered"
    );
    other_server.rollback().await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("answered once the chain is free")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(t.app.verify_audit().await.unwrap().first_broken, None);
    db.close().await.unwrap();
    t.finish().await;
}

/// PostgreSQL only (where two servers can append at once): two servers' lanes append many reads' entries, each
/// batch spread over the chains in no particular order, at the same time. Every batch locks its heads in one
/// ascending sweep, so none waits for the other in a cycle: every read is answered, none with a deadlock error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_reading_at_once_never_deadlock_on_the_chains() {
    use rapport_domain::Actor;
    use rapport_store::audit::AuditEvent;
    let t = TestApp::spawn(Backend::Postgres).await;
    let keyring = rapport_store::keyring::Keyring::load(&t.dir.join("keyring.json")).unwrap();
    let servers = [
        rapport_store::Store::open(&t.database_url, &keyring)
            .await
            .unwrap(),
        rapport_store::Store::open(&t.database_url, &keyring)
            .await
            .unwrap(),
    ];
    let mut reads = tokio::task::JoinSet::new();
    for i in 0..400 {
        let store = servers[i % 2].clone();
        reads.spawn(async move {
            let tx = store.begin_read().await?;
            // Two clients each (so most reads touch two chains), as a list read would.
            let events = (0..2)
                .map(|_| {
                    AuditEvent::new(&Actor::Operator, "client.read", "client")
                        .client(uuid::Uuid::new_v4())
                })
                .collect();
            tx.audit_many(events).await?;
            tx.commit().await
        });
    }
    let mut failed = Vec::new();
    while let Some(done) = reads.join_next().await {
        if let Err(e) = done.unwrap() {
            failed.push(e.to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} reads failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
    let stored = crate::stored_audit_entries(&t).await;
    assert!(
        stored >= 800,
        "every read's two entries are stored: {stored}"
    );
    assert_eq!(t.app.verify_audit().await.unwrap().first_broken, None);
    for s in servers {
        s.close().await;
    }
    t.finish().await;
}
