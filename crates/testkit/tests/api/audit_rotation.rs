//! Rotating the audit key: the chain hands over to each new key with an entry made by the old one, verifies across
//! every hand-over, still names an entry altered in an old key's part, and keeps honouring checkpoints signed
//! before; a process that still holds only the old keys refuses to write rather than break the chain.

use rapport_domain::Role;
use rapport_store::keyring::Keyring;
use rapport_testkit::{Backend, TestApp, both, client_body};

both!(
    the_chain_verifies_across_two_rotations_and_names_a_change_in_any_epoch,
    a_process_started_before_a_rotation_does_not_write_with_the_old_key
);

fn keyring(t: &TestApp) -> Keyring {
    Keyring::load(&t.dir.join("keyring.json")).unwrap()
}

async fn some_entries(t: &TestApp, clin: &rapport_testkit::TestUser, n: usize) {
    for i in 0..n {
        t.post(clin, "/api/v1/clients", client_body(&format!("Epoch {i}")))
            .await
            .expect(201);
    }
}

async fn max_seq(t: &TestApp) -> i64 {
    t.query_text("SELECT CAST(MAX(seq) AS TEXT) FROM audit_log")
        .await[0]
        .parse()
        .unwrap()
}

async fn the_chain_verifies_across_two_rotations_and_names_a_change_in_any_epoch(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    some_entries(&t, &clin, 2).await;
    let in_first_epoch = max_seq(&t).await;
    let before = t.app.audit_checkpoint().await.unwrap();

    let mut ring = keyring(&t);
    let first = t.app.rotate_keys(&mut ring).await.unwrap();
    some_entries(&t, &clin, 2).await;
    let in_second_epoch = max_seq(&t).await;
    let second = t.app.rotate_keys(&mut ring).await.unwrap();
    some_entries(&t, &clin, 2).await;

    // The keyring keeps every audit key, oldest first; each rotation is an entry naming the next key.
    let ids: Vec<String> = keyring(&t)
        .audit_keys()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(
        ids[1..].to_vec(),
        vec![
            first.new_audit_key_id.clone(),
            second.new_audit_key_id.clone()
        ]
    );
    let handed_to = t
        .query_text(
            "SELECT resource_id FROM audit_log WHERE action = 'audit.key_rotate' ORDER BY seq",
        )
        .await;
    let chains = rapport_store::audit::PARTITIONS as usize;
    assert_eq!(
        handed_to,
        ids[1..]
            .iter()
            .flat_map(|id| std::iter::repeat_n(id.clone(), chains))
            .collect::<Vec<_>>(),
        "each rotation hands every chain over, in one transaction"
    );
    let seals = t.query_text("SELECT seal FROM audit_head").await;
    assert_eq!(seals.len(), chains);
    assert!(
        seals
            .iter()
            .all(|s| s.starts_with(&format!("{}:", second.new_audit_key_id))),
        "every head is sealed with the newest key: {seals:?}"
    );

    let report = t.app.verify_audit().await.unwrap();
    assert_eq!(report.first_broken, None);
    let stored = crate::stored_audit_entries(&t).await;
    assert_eq!(
        report.entries, stored,
        "every stored entry is in a verified chain"
    );
    // A checkpoint signed before the rotations still verifies, and a new one names the newest key.
    let r = t.app.verify_audit_against(&before).await.unwrap();
    assert_eq!(r.first_broken, None);
    let after = t.app.audit_checkpoint().await.unwrap();
    assert!(
        after.starts_with(&format!(
            "rapport-audit-checkpoint-v3:{}:",
            second.new_audit_key_id
        )),
        "{after}"
    );
    assert_eq!(
        t.app
            .verify_audit_against(&after)
            .await
            .unwrap()
            .first_broken,
        None
    );

    // A restart (a new store with the keyring file) verifies the same chain and goes on writing with the newest key.
    let store = rapport_store::Store::open(&t.database_url, &keyring(&t))
        .await
        .unwrap();
    store
        .audit_alone(rapport_store::audit::AuditEvent::anonymous(
            "signin.failed",
            "session",
        ))
        .await
        .unwrap();
    assert_eq!(store.verify_audit().await.unwrap().first_broken, None);
    store.close().await;

    // Someone with database access changes an entry in the first part, then one in the second: each is named.
    for seq in [in_first_epoch, in_second_epoch] {
        let action = t
            .query_text(&format!("SELECT action FROM audit_log WHERE seq = {seq}"))
            .await
            .remove(0);
        t.execute(&format!(
            "UPDATE audit_log SET action = 'client.list' WHERE seq = {seq}"
        ))
        .await;
        let report = t.app.verify_audit().await.unwrap();
        let (at, why) = report.first_broken.expect("the change is detected");
        assert_eq!(at, seq, "{why}");
        t.execute(&format!(
            "UPDATE audit_log SET action = '{action}' WHERE seq = {seq}"
        ))
        .await;
        assert_eq!(t.app.verify_audit().await.unwrap().first_broken, None);
    }
    // Nor can the hand-over itself be redirected to another key.
    t.execute(&format!(
        "UPDATE audit_log SET resource_id = '{}' WHERE action = 'audit.key_rotate' AND resource_id = '{}'",
        ids[0], ids[1]
    ))
    .await;
    let report = t.app.verify_audit().await.unwrap();
    assert!(report.first_broken.is_some());
    t.finish().await;
}

async fn a_process_started_before_a_rotation_does_not_write_with_the_old_key(b: Backend) {
    let t = TestApp::spawn(b).await;
    let clin = t.user(&[Role::Clinician]).await;
    some_entries(&t, &clin, 1).await;
    // Another process (a second server, say) opened the database with the keyring as it was.
    let stale = rapport_store::Store::open(&t.database_url, &keyring(&t))
        .await
        .unwrap();
    let mut ring = keyring(&t);
    t.app.rotate_keys(&mut ring).await.unwrap();
    let refused = stale
        .audit_alone(rapport_store::audit::AuditEvent::anonymous(
            "signin.failed",
            "session",
        ))
        .await
        .expect_err("the old key may not continue the chain");
    assert!(refused.to_string().contains("restart"), "{refused}");
    stale.close().await;
    some_entries(&t, &clin, 1).await;
    assert_eq!(t.app.verify_audit().await.unwrap().first_broken, None);
    t.finish().await;
}
