//! Backup and restore as an operator runs them, on both databases: `rapport backup` while clients are being
//! registered, `rapport restore` into an empty target, the server started on the restored copy; every write
//! acknowledged before the backup began is there, decrypted, and the audit chain verifies. Refusals: a non-empty
//! target, a damaged file (before anything is written); `backup --verify` on a good and a bad copy; the server's
//! scheduled backups with their pruning.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rapport_domain::Role;
use rapport_testkit::{Backend, SCENE, TestApp, both, client_body, pg_admin_url};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rapport");

/// A data directory (and, for PostgreSQL, a database) that the test removes at the end.
struct Target {
    dir: PathBuf,
    url: Option<String>,
    pg_database: Option<String>,
}

impl Target {
    async fn new(b: Backend) -> Target {
        let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let dir = std::env::temp_dir().join(format!("rapport-restore-{tag}"));
        match b {
            Backend::Sqlite => Target {
                dir,
                url: None,
                pg_database: None,
            },
            Backend::Postgres => {
                let name = format!("rapport_r_{tag}");
                rapport_store::execute_admin(&pg_admin_url(), &format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                let admin = pg_admin_url();
                let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
                Target {
                    dir,
                    url: Some(url),
                    pg_database: Some(name),
                }
            }
        }
    }

    fn database_url(&self) -> String {
        self.url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rw", self.dir.join("rapport.db").display())
        })
    }

    /// Whether anything at all was written into the target.
    async fn is_untouched(&self) -> bool {
        match &self.url {
            None => !self.dir.join("rapport.db").exists() && !self.dir.join("keyring.json").exists(),
            Some(url) => rapport_store::query_text(
                url,
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .await
            .unwrap()
            .is_empty(),
        }
    }

    async fn remove(self) {
        if let Some(name) = &self.pg_database {
            let _ = rapport_store::execute_admin(
                &pg_admin_url(),
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the binary with a data directory and, optionally, a database URL; off the async threads.
async fn rapport(dir: &Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(dir);
    if let Some(u) = url {
        cmd.arg("--database-url").arg(u);
    }
    cmd.args(args)
        .env_remove("RAPPORT_DATABASE_URL")
        .env_remove("RAPPORT_DATA_DIR")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn pg_url(t: &TestApp) -> Option<&str> {
    (t.backend == Backend::Postgres).then_some(t.database_url.as_str())
}

/// Registers clients from three concurrent writers until told to stop, recording each acknowledged id with when
/// its answer arrived.
type Acked = Arc<Mutex<Vec<(String, Instant)>>>;

fn start_load(
    t: &Arc<TestApp>,
    who: &rapport_testkit::TestUser,
) -> (Arc<AtomicBool>, Acked, Vec<tokio::task::JoinHandle<()>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let writers = (0..3)
        .map(|w| {
            let (t, who, stop, acked) = (t.clone(), who.clone(), stop.clone(), acked.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let mut body = client_body(&format!("Load {w}-{n}"));
                    body["presenting_problem"] = format!("sealed text {w}-{n}").into();
                    let r = t.post(&who, "/api/v1/clients", body).await;
                    if r.status == 201 {
                        let id = r.json["id"].as_str().unwrap().to_string();
                        acked.lock().unwrap().push((id, Instant::now()));
                    }
                }
            })
        })
        .collect();
    (stop, acked, writers)
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited in vain for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `rapport serve` on a data directory and waits until it is ready; the caller ends it with `stop`.
#[allow(clippy::zombie_processes)]
async fn serve(dir: &Path, url: Option<&str>, extra: &[&str]) -> (std::process::Child, String) {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(dir);
    if let Some(u) = url {
        cmd.arg("--database-url").arg(u);
    }
    let mut child = cmd
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env_remove("RAPPORT_DATABASE_URL")
        .env_remove("RAPPORT_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    loop {
        let ready = reqwest::get(format!("{base}/readyz"))
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if ready {
            return (child, base);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}

async fn a_backup_under_write_load_restores_every_acknowledged_write(b: Backend) {
    let t = Arc::new(TestApp::spawn_at(b, SCENE).await);
    let clinician = t.user(&[Role::Clinician]).await;
    let (halt, acked, writers) = start_load(&t, &clinician);
    wait_for("writes before the backup", || {
        acked.lock().unwrap().len() >= 20
    })
    .await;

    let file = t.dir.join("during-load.rapport-backup");
    let began = Instant::now();
    let o = rapport(&t.dir, pg_url(&t), &["backup", file.to_str().unwrap()]).await;
    let ended = Instant::now();
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("Backup written"), "{}", said(&o));
    let during = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at > began && *at < ended)
        .count();
    wait_for("writes after the backup", || {
        acked
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, at)| *at > ended)
            .count()
            >= 5
    })
    .await;
    halt.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(during > 0, "clients were registered while the backup ran");
    let before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(id, _)| id.clone())
        .collect();

    // The backup is sealed: no client's name or clinical text is in the file.
    let bytes = std::fs::read(&file).unwrap();
    for needle in [
        &b"Load 0-1"[..],
        &b"sealed text"[..],
        &b"client@example.org"[..],
    ] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }

    // --verify: a good copy is sound.
    let o = rapport(
        &t.dir,
        pg_url(&t),
        &["backup", "--verify", file.to_str().unwrap()],
    )
    .await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("is sound"), "{}", said(&o));

    // Restore into an empty target, with the keyring given.
    let target = Target::new(b).await;
    let keyring = t.dir.join("keyring.json");
    let o = rapport(
        &target.dir,
        target.url.as_deref(),
        &[
            "restore",
            file.to_str().unwrap(),
            "--keyring",
            keyring.to_str().unwrap(),
        ],
    )
    .await;
    assert!(o.status.success(), "{}", said(&o));
    assert!(
        said(&o).contains("the audit chain verifies"),
        "{}",
        said(&o)
    );
    let o = rapport(&target.dir, target.url.as_deref(), &["audit", "verify"]).await;
    assert!(
        o.status.success() && said(&o).contains("intact"),
        "{}",
        said(&o)
    );

    // A restore into a target that is no longer empty is refused, and leaves it as it was.
    let count = |url: String| async move {
        rapport_store::query_text(&url, "SELECT count(*) || '' FROM clients")
            .await
            .unwrap()
    };
    let rows = count(target.database_url()).await;
    let o = rapport(
        &target.dir,
        target.url.as_deref(),
        &["restore", file.to_str().unwrap()],
    )
    .await;
    assert!(!o.status.success());
    assert!(said(&o).contains("not empty"), "{}", said(&o));
    assert_eq!(count(target.database_url()).await, rows);

    // The server starts on the restored copy: every client acknowledged before the backup began is there, with
    // its sealed text decrypted.
    let (server, base) = serve(&target.dir, target.url.as_deref(), &[]).await;
    let http = reqwest::Client::new();
    for id in &before {
        let r = http
            .get(format!("{base}/api/v1/clients/{id}"))
            .bearer_auth(&clinician.token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "client {id} acknowledged before the backup"
        );
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(
            v["clinical"]["presenting_problem"]
                .as_str()
                .unwrap()
                .starts_with("sealed text"),
            "{v}"
        );
    }
    stop(server);

    // A damaged backup is refused before anything is written, and --verify fails on it.
    let mut bad = bytes.clone();
    let at = bad.len() / 2;
    bad[at] ^= 0x20;
    let damaged = t.dir.join("damaged.rapport-backup");
    std::fs::write(&damaged, &bad).unwrap();
    let fresh = Target::new(b).await;
    let o = rapport(
        &fresh.dir,
        fresh.url.as_deref(),
        &[
            "restore",
            damaged.to_str().unwrap(),
            "--keyring",
            keyring.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(said(&o).contains("checksum"), "{}", said(&o));
    assert!(fresh.is_untouched().await, "nothing was written");
    let o = rapport(
        &t.dir,
        pg_url(&t),
        &["backup", "--verify", damaged.to_str().unwrap()],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", said(&o));
    assert!(said(&o).contains("does not verify"), "{}", said(&o));

    // Changed inside and given a new checksum: the sealed chunk no longer opens, and the target stays empty.
    {
        use sha2::{Digest, Sha256};
        let mut forged = bytes.clone();
        let n = forged.len();
        forged[n - 100] ^= 0x01;
        let sum = Sha256::digest(&forged[..n - 32]);
        forged[n - 32..].copy_from_slice(&sum);
        std::fs::write(&damaged, &forged).unwrap();
    }
    let o = rapport(
        &fresh.dir,
        fresh.url.as_deref(),
        &[
            "restore",
            damaged.to_str().unwrap(),
            "--keyring",
            keyring.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(said(&o).contains("does not decrypt"), "{}", said(&o));
    assert!(fresh.is_untouched().await, "nothing was kept");
    if b == Backend::Sqlite {
        assert!(
            !fresh.dir.exists(),
            "the data directory made for it is gone"
        );
    }

    // Another keyring cannot open it, nor take a backup of this database (its entry would break the chain).
    let foreign = fresh.dir.with_extension("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    let stranger = foreign.join("keyring.json");
    rapport_app::Keyring::create(&stranger).unwrap();
    let o = rapport(
        &fresh.dir,
        fresh.url.as_deref(),
        &[
            "restore",
            file.to_str().unwrap(),
            "--keyring",
            stranger.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        said(&o).contains("this keyring cannot open the backup"),
        "{}",
        said(&o)
    );
    assert!(fresh.is_untouched().await, "nothing was written");
    let elsewhere = foreign.join("elsewhere.rapport-backup");
    let o = rapport(
        &foreign,
        Some(&t.database_url),
        &["backup", elsewhere.to_str().unwrap()],
    )
    .await;
    assert!(!o.status.success());
    assert!(said(&o).contains("does not belong"), "{}", said(&o));
    assert!(!elsewhere.exists());
    let o = rapport(&t.dir, pg_url(&t), &["audit", "verify"]).await;
    assert!(
        o.status.success() && said(&o).contains("intact"),
        "{}",
        said(&o)
    );
    let _ = std::fs::remove_dir_all(&foreign);

    fresh.remove().await;
    target.remove().await;
    Arc::into_inner(t).unwrap().finish().await;
}

/// A restore whose file fails part-way through (the checksum recomputed over a changed last chunk, so the first
/// megabytes were already written) leaves the target as empty as it found it: SQLite's file never takes its
/// name, and PostgreSQL's restore is one transaction, rolled back.
async fn a_restore_that_fails_half_way_leaves_the_target_empty(b: Backend) {
    use sha2::{Digest, Sha256};
    let t = TestApp::spawn_at(b, SCENE).await;
    // Enough hard-to-compress rows that the copy spans several sealed chunks (1 MiB each).
    let filler = match b {
        Backend::Sqlite => {
            "CREATE TABLE filler AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) SELECT i, hex(randomblob(48)) AS junk FROM n"
        }
        Backend::Postgres => {
            "CREATE TABLE filler AS SELECT i, md5(random()::text) || md5(random()::text) || md5(random()::text) AS junk FROM generate_series(1, 30000) AS i"
        }
    };
    t.execute(filler).await;
    let file = t.dir.join("large.rapport-backup");
    let o = rapport(&t.dir, pg_url(&t), &["backup", file.to_str().unwrap()]).await;
    assert!(o.status.success(), "{}", said(&o));
    let mut bytes = std::fs::read(&file).unwrap();
    assert!(bytes.len() > 1_300_000, "several chunks: {}", bytes.len());
    let n = bytes.len();
    bytes[n - 100] ^= 0x01;
    let sum = Sha256::digest(&bytes[..n - 32]);
    bytes[n - 32..].copy_from_slice(&sum);
    std::fs::write(&file, &bytes).unwrap();

    let fresh = Target::new(b).await;
    let keyring = t.dir.join("keyring.json");
    let o = rapport(
        &fresh.dir,
        fresh.url.as_deref(),
        &[
            "restore",
            file.to_str().unwrap(),
            "--keyring",
            keyring.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(said(&o).contains("does not decrypt"), "{}", said(&o));
    assert!(fresh.is_untouched().await, "nothing was kept");
    fresh.remove().await;
    t.finish().await;
}

both!(
    a_backup_under_write_load_restores_every_acknowledged_write,
    a_restore_that_fails_half_way_leaves_the_target_empty
);

/// The server takes a backup at start into --backup-dir, and keeps only the newest --backup-keep there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_takes_scheduled_backups_and_keeps_the_newest() {
    let dir = std::env::temp_dir().join(format!("rapport-sched-{}", uuid::Uuid::new_v4().simple()));
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    // Two older scheduled backups (by name) and a file of the operator's own.
    for old in [
        "rapport-19990101T000000.000Z",
        "rapport-19990102T000000.000Z",
    ] {
        std::fs::write(backups.join(format!("{old}.rapport-backup")), b"old").unwrap();
    }
    std::fs::write(backups.join("README"), b"mine").unwrap();
    let (server, _) = serve(
        &dir,
        None,
        &[
            "--backup-dir",
            backups.to_str().unwrap(),
            "--backup-keep",
            "2",
        ],
    )
    .await;
    let newest = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rapport-backup"))
            .collect();
        names.sort();
        names
    };
    wait_for("the first scheduled backup", || {
        !newest(&backups).contains(&"rapport-19990101T000000.000Z.rapport-backup".to_string())
    })
    .await;
    stop(server);
    let names = newest(&backups);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "rapport-19990102T000000.000Z.rapport-backup");
    assert!(backups.join("README").exists());
    let o = rapport(
        &dir,
        None,
        &[
            "backup",
            "--verify",
            backups.join(&names[1]).to_str().unwrap(),
        ],
    )
    .await;
    assert!(o.status.success(), "{}", said(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
