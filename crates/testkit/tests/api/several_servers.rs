//! Several servers on one database: the parts a single server never meets. Started together on a database that
//! needs migrating (servers restarted at once after an upgrade), every one starts, one after another under the
//! start lock, instead of all but one stopping on "duplicate key". The rest of running several servers (sessions,
//! bookings, the workers' e-mail, a node killed mid-request) is checked with real processes behind haproxy by
//! scripts/robustness/multinode.py.

use rapport_app::{App, AppConfig, Keyring};
use rapport_testkit::{Backend, both, drop_database, empty_database};

both!(servers_started_together_on_a_new_database_all_start);

async fn servers_started_together_on_a_new_database_all_start(b: Backend) {
    let dir =
        std::env::temp_dir().join(format!("rapport-several-{}", uuid::Uuid::new_v4().simple()));
    let (url, pg) = empty_database(b, &dir, None).await;
    // One keyring for all, as a deployment copies it to every server.
    let keyring = Keyring::create(&dir.join("keyring.json")).unwrap();
    let open = || App::open(&url, &keyring, AppConfig::default());
    let (one, two, three) = tokio::join!(open(), open(), open());
    let apps: Vec<App> = [one, two, three]
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("server {} did not start: {e}", i + 1)))
        .collect();
    let count = |sql: &'static str| {
        let url = url.clone();
        async move { rapport_store::query_text(&url, sql).await.unwrap() }
    };
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM data_keys").await,
        ["1"],
        "one data key, made by the first server to start"
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM audit_head").await,
        ["1"]
    );
    for app in &apps {
        assert_eq!(app.verify_audit().await.unwrap().first_broken, None);
    }
    drop(apps);
    drop_database(pg.as_deref()).await;
    let _ = std::fs::remove_dir_all(&dir);
}
