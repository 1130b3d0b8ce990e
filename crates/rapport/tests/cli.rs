//! The `rapport` binary as an operator uses it: first start, accounts, demo data, audit verification, key
//! rotation, clear one-line errors, no half-initialised data directory, graceful shutdown, and logs that never
//! name a client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rapport");

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let p = std::env::temp_dir().join(format!("rapport-cli-{}", uuid::Uuid::new_v4().simple()));
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rapport(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("RAPPORT_DATABASE_URL")
        .env_remove("RAPPORT_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn first_start_creates_a_private_keyring_and_an_intact_audit_chain() {
    let d = Dir::new();
    let o = rapport(
        &d.0,
        &[
            "admin",
            "create",
            "--email",
            "ana@example.org",
            "--name",
            "Ana Admin",
            "--role",
            "admin",
        ],
        "a long and private passphrase\n",
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("Created account ana@example.org"), "{out}");
    assert!(
        !out.contains("One-time password"),
        "the piped password was used"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.0.join("keyring.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // The records are as private as the keys: the directory 0700, the database and its WAL 0600.
        let mode_of = |name: &str| {
            std::fs::metadata(d.0.join(name))
                .map(|m| m.permissions().mode() & 0o777)
                .ok()
        };
        assert_eq!(mode_of(""), Some(0o700), "the data directory");
        assert_eq!(mode_of("rapport.db"), Some(0o600), "the database");
        for f in ["rapport.db-wal", "rapport.db-shm"] {
            assert!(
                matches!(mode_of(f), None | Some(0o600)),
                "{f}: {:?}",
                mode_of(f)
            );
        }
        assert!(
            !err.contains("other accounts"),
            "no warning for a private directory: {err}"
        );
        // A directory others can read is named at the next start.
        std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o755)).unwrap();
        let o = rapport(&d.0, &["audit", "verify"], "");
        assert!(o.status.success());
        assert!(
            text(&o)
                .1
                .contains("other accounts on this machine can read"),
            "{:?}",
            text(&o)
        );
        std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let o = rapport(&d.0, &["audit", "verify"], "");
    assert!(o.status.success());
    assert!(text(&o).0.contains("intact"));
    // The same e-mail again is a clear conflict.
    let o = rapport(
        &d.0,
        &[
            "admin",
            "create",
            "--email",
            "ANA@example.org",
            "--name",
            "Ana",
            "--role",
            "admin",
        ],
        "",
    );
    assert!(!o.status.success());
    assert!(text(&o).1.contains("already exists"), "{}", text(&o).1);
    // A generated one-time password when nothing is piped in.
    let o = rapport(
        &d.0,
        &[
            "admin",
            "create",
            "--email",
            "ben@example.org",
            "--name",
            "Ben",
            "--role",
            "clinician",
            "--time-zone",
            "America/Chicago",
        ],
        "",
    );
    assert!(text(&o).0.contains("One-time password:"), "{}", text(&o).0);
    let o = rapport(
        &d.0,
        &["admin", "reset-password", "--email", "ben@example.org"],
        "",
    );
    assert!(
        text(&o).0.contains("New one-time password"),
        "{}",
        text(&o).1
    );
    let o = rapport(
        &d.0,
        &["admin", "disable", "--email", "ben@example.org"],
        "",
    );
    assert!(o.status.success(), "{}", text(&o).1);
}

#[test]
fn bad_arguments_and_missing_pieces_get_one_line_errors() {
    let d = Dir::new();
    let o = rapport(
        &d.0,
        &[
            "admin",
            "create",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "wizard",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o).1;
    assert!(err.contains("unknown role 'wizard'"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"));

    let o = rapport(&d.0, &["serve", "--listen", "not-an-address"], "");
    assert_eq!(o.status.code(), Some(2));

    let o = rapport(&d.0, &["audit", "verify"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("keyring"), "{}", text(&o).1);
    assert!(
        !d.0.exists(),
        "a failed command leaves no data directory behind"
    );

    let o = rapport(
        &d.0,
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:9/nowhere",
            "migrate",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o).1;
    assert!(err.contains("cannot open the database"), "{err}");
    assert!(
        !d.0.exists(),
        "no half-initialised data directory: {:?}",
        std::fs::read_dir(&d.0).map(|r| r.count())
    );

    let o = rapport(&d.0, &["--database-url", "mysql://x", "migrate"], "");
    assert!(
        text(&o).1.contains("sqlite:// or postgres://"),
        "{}",
        text(&o).1
    );
}

#[test]
fn a_damaged_keyring_or_a_lost_one_is_reported_not_replaced() {
    let d = Dir::new();
    assert!(rapport(&d.0, &["migrate"], "").status.success());
    let ring = d.0.join("keyring.json");
    let good = std::fs::read(&ring).unwrap();
    std::fs::write(&ring, b"{ not json").unwrap();
    let o = rapport(&d.0, &["migrate"], "");
    assert!(text(&o).1.contains("damaged"), "{}", text(&o).1);
    std::fs::remove_file(&ring).unwrap();
    let o = rapport(&d.0, &["migrate"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("restore it from your backup"),
        "{}",
        text(&o).1
    );
    assert!(!ring.exists(), "no new keyring replaces the lost one");
    std::fs::write(&ring, good).unwrap();
    assert!(rapport(&d.0, &["migrate"], "").status.success());
}

#[test]
fn keys_rotate_keeps_every_record_readable() {
    let d = Dir::new();
    let o = rapport(&d.0, &["demo", "--clients", "12"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    let before = std::fs::read_to_string(d.0.join("keyring.json")).unwrap();
    let o = rapport(&d.0, &["audit", "checkpoint"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    let checkpoint = text(&o).0.trim().to_string();
    let o = rapport(&d.0, &["keys", "rotate"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("re-wrapped"));
    assert!(text(&o).0.contains("audit key"), "{:?}", text(&o));
    let after = std::fs::read_to_string(d.0.join("keyring.json")).unwrap();
    assert_ne!(before, after);
    // The audit key is rotated too; the old one stays, to verify what it signed, as does the checkpoint it made.
    let ring: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(ring["audit_keys"].as_array().unwrap().len(), 2, "{after}");
    let o = rapport(&d.0, &["audit", "verify", "--checkpoint", &checkpoint], "");
    assert!(o.status.success(), "{:?}", text(&o));
    // Opening decrypts the data keys with the new keyring; a demo seed into a non-empty database is refused.
    let o = rapport(&d.0, &["demo"], "");
    assert!(
        text(&o).1.contains("already has accounts"),
        "{:?}",
        text(&o)
    );
    let o = rapport(&d.0, &["audit", "verify"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    // Tampering shows up as a non-zero exit naming the entry.
    let db = d.0.join("rapport.db");
    let url = format!("sqlite://{}", db.display());
    let rt = tokio_rt();
    rt.block_on(async {
        rapport_store_exec(&url, "UPDATE audit_log SET detail = 'edited' WHERE seq = 2").await;
    });
    let o = rapport(&d.0, &["audit", "verify"], "");
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).1.contains("broken at entry 2"), "{:?}", text(&o));
}

#[test]
fn cutting_entries_off_the_end_or_restoring_an_older_copy_is_detected() {
    let d = Dir::new();
    let create = |email: &str| {
        rapport(
            &d.0,
            &[
                "admin",
                "create",
                "--email",
                email,
                "--name",
                "Ana Admin",
                "--role",
                "admin",
            ],
            "a long and private passphrase\n",
        )
    };
    assert!(create("one@example.org").status.success());
    let db = d.0.join("rapport.db");
    let url = format!("sqlite://{}", db.display());
    let rt = tokio_rt();
    // A copy of the database as it is now (an older backup, for later).
    let old_copy = d.0.join("old.db");
    rt.block_on(rapport_store_exec(
        &url,
        &format!("VACUUM INTO '{}'", old_copy.display()),
    ));
    assert!(create("two@example.org").status.success());
    let o = rapport(&d.0, &["audit", "checkpoint"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    let checkpoint = text(&o).0.trim().to_string();
    assert!(
        checkpoint.starts_with("rapport-audit-checkpoint-v3:"),
        "{checkpoint}"
    );
    let o = rapport(&d.0, &["audit", "verify", "--checkpoint", &checkpoint], "");
    assert!(o.status.success(), "{:?}", text(&o));
    // A checkpoint that was edited (its sequence number) is refused as such.
    let mut parts: Vec<String> = checkpoint.split(':').map(String::from).collect();
    let mut ends: Vec<i64> = parts[2].split('.').map(|n| n.parse().unwrap()).collect();
    ends[0] -= 1;
    parts[2] = ends
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    let forged = parts.join(":");
    let o = rapport(&d.0, &["audit", "verify", "--checkpoint", &forged], "");
    assert!(!o.status.success());
    assert!(text(&o).1.contains("checkpoint"), "{:?}", text(&o));

    // Someone with the database alone cuts the last entries off and rewinds the head to match: the head's seal
    // (which needs the keyring's audit key) gives them away.
    let o = rapport(&d.0, &["audit", "verify"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    let tampered = d.0.join("tampered.db");
    rt.block_on(rapport_store_exec(
        &url,
        &format!("VACUUM INTO '{}'", tampered.display()),
    ));
    let t_url = format!("sqlite://{}", tampered.display());
    rt.block_on(async {
        rapport_store_exec(&t_url, "DELETE FROM audit_log WHERE seq > 1").await;
        rapport_store_exec(
            &t_url,
            "UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_log WHERE seq = 1)",
        )
        .await;
    });
    let swap = |from: &Path| {
        for ext in ["db-wal", "db-shm"] {
            let _ = std::fs::remove_file(db.with_extension(ext));
        }
        std::fs::copy(from, &db).unwrap();
    };
    let current = d.0.join("current.db");
    std::fs::copy(&db, &current).unwrap();
    swap(&tampered);
    let o = rapport(&d.0, &["audit", "verify"], "");
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(text(&o).1.contains("seal"), "{:?}", text(&o));

    // An older, consistent copy put back in place verifies on its own; the checkpoint kept elsewhere shows that
    // entries it saw are gone.
    swap(&old_copy);
    let o = rapport(&d.0, &["audit", "verify"], "");
    assert!(
        o.status.success(),
        "the old copy is consistent: {:?}",
        text(&o)
    );
    let o = rapport(&d.0, &["audit", "verify", "--checkpoint", &checkpoint], "");
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(text(&o).1.contains("cut back"), "{:?}", text(&o));
    swap(&current);
    let o = rapport(&d.0, &["audit", "verify", "--checkpoint", &checkpoint], "");
    assert!(o.status.success(), "{:?}", text(&o));
}

#[test]
fn a_database_from_a_newer_rapport_is_refused() {
    let d = Dir::new();
    assert!(rapport(&d.0, &["migrate"], "").status.success());
    let url = format!("sqlite://{}", d.0.join("rapport.db").display());
    tokio_rt().block_on(rapport_store_exec(
        &url,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_from_the_future', 0)",
    ));
    let o = rapport(&d.0, &["serve"], "");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o).1;
    assert!(
        err.contains("newer Rapport") && err.contains("m29990101_000001_from_the_future"),
        "{err}"
    );
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn rapport_store_exec(url: &str, sql: &str) {
    rapport_store::execute_admin(url, sql).await.unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_ready(base: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if reqwest::blocking::get(format!("{base}/readyz"))
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not become ready");
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in {html}"))
        + start.len();
    &html[i..i + html[i..].find(end).unwrap()]
}

#[test]
fn the_demo_serves_and_its_logs_name_no_client() {
    let d = Dir::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(&d.0)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("RAPPORT_LOG", "debug")
        .env_remove("RAPPORT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut first = Vec::new();
    // Wait for the demo accounts to be printed before asking for readiness.
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        first.push(line.clone());
        if line.contains("listening") {
            break;
        }
        line.clear();
    }
    wait_ready(&base);
    let admin = first
        .iter()
        .find(|l| l.contains("Administrator"))
        .expect("the admin account is listed");
    let email = admin.split_whitespace().next().unwrap().to_string();
    let c = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    c.post(format!("{base}/login"))
        .form(&[("email", email.as_str()), ("password", "rapport demo 2026")])
        .send()
        .unwrap();
    let page = c
        .get(format!("{base}/mfa/setup"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let secret = between(&page, "id=\"totp-secret\" class=\"secret\">", "<").to_string();
    let csrf = between(&page, "name=\"_csrf\" value=\"", "\"").to_string();
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    c.post(format!("{base}/mfa/setup"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", totp.generate(now).to_string().as_str()),
        ])
        .send()
        .unwrap();
    let list = c
        .get(format!("{base}/clients?limit=200"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    // Collect the names shown, then search for a few and open their records.
    let names: Vec<String> = list
        .split("<a href=\"/clients/")
        .skip(1)
        .filter_map(|s| {
            s.split_once("\">")
                .map(|(_, rest)| rest.split('<').next().unwrap_or("").trim().to_string())
        })
        .filter(|n| n.contains(' '))
        .collect();
    assert!(
        names.len() >= 100,
        "the demo has a large practice: {}",
        names.len()
    );
    for n in names.iter().take(5) {
        let q = n.split(' ').next().unwrap();
        let r = c
            .get(format!("{base}/clients"))
            .query(&[("q", q)])
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let first_id = between(&list, "<a href=\"/clients/", "\"").to_string();
    assert_eq!(
        c.get(format!("{base}/clients/{first_id}"))
            .send()
            .unwrap()
            .status(),
        200
    );
    // A graceful stop on SIGTERM.
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(rest.contains("Rapport stopped."), "{rest}");
    assert!(
        log.contains("route=/clients/{id}"),
        "the log has request lines: {log}"
    );
    // Each demo group has signed past sessions with attendance, a shared note, individual notes and a tally.
    let url = format!("sqlite://{}", d.0.join("rapport.db").display());
    let count = |sql: &str| {
        tokio_rt().block_on(async {
            rapport_store::query_text(&url, sql).await.unwrap()[0]
                .parse::<i64>()
                .unwrap()
        })
    };
    assert_eq!(
        count(
            "SELECT CAST(COUNT(*) AS TEXT) FROM group_sessions WHERE status = 'signed' AND shared_note IS NOT NULL AND talk_tally IS NOT NULL"
        ),
        6
    );
    assert!(
        count("SELECT CAST(COUNT(*) AS TEXT) FROM group_attendance WHERE note IS NOT NULL") >= 12
    );
    assert!(count("SELECT CAST(COUNT(DISTINCT status) AS TEXT) FROM group_attendance") >= 3);
    assert!(count("SELECT CAST(COUNT(*) AS TEXT) FROM group_talk_events") >= 60);
    for n in &names {
        assert!(!log.contains(n.as_str()), "the log names client {n}");
        let last = n.rsplit(' ').next().unwrap();
        assert!(
            !log.contains(&format!("q={last}")),
            "a search for {last} reached the log"
        );
    }
}
