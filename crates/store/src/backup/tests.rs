//! The file format on its own: round trip across chunk boundaries, and every kind of damage refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::archive::{self, CHUNK};
use super::*;

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let d = std::env::temp_dir().join(format!("rapport-bk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sealed(dir: &Dir, keyring: &Keyring, data: &[u8]) -> PathBuf {
    let out = dir.0.join("b.rapport-backup");
    let m = Manifest::new(Kind::SqliteFile, "m1".into(), 7);
    archive::write(&out, m, &archive::active_kek(keyring), &mut &data[..]).unwrap();
    out
}

fn unsealed(path: &Path, keyring: &Keyring) -> Result<Vec<u8>, BackupError> {
    let c = archive::check(path)?;
    let key = c.key(keyring)?;
    let mut out = Vec::new();
    c.unseal(&key, &mut out)?;
    Ok(out)
}

#[test]
fn a_backup_round_trips_at_every_chunk_boundary() {
    let d = Dir::new();
    let keyring = Keyring::create(&d.0.join("keyring.json")).unwrap();
    for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let path = sealed(&d, &keyring, &data);
        assert_eq!(unsealed(&path, &keyring).unwrap(), data, "length {len}");
        let m = inspect(&path).unwrap();
        assert_eq!((m.audit_entries, m.kind), (7, Kind::SqliteFile));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "a backup is private");
        }
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn the_plaintext_is_not_in_the_file() {
    let d = Dir::new();
    let keyring = Keyring::create(&d.0.join("keyring.json")).unwrap();
    let path = sealed(
        &d,
        &keyring,
        b"a client's presenting problem, in plain words",
    );
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(14).any(|w| w == b"presenting pro"));
}

#[test]
fn any_flipped_byte_fails_the_checksum() {
    let d = Dir::new();
    let keyring = Keyring::create(&d.0.join("keyring.json")).unwrap();
    let data = vec![42u8; CHUNK + 100];
    let path = sealed(&d, &keyring, &data);
    let good = std::fs::read(&path).unwrap();
    for at in [3, 12, 40, good.len() / 2, good.len() - 40, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        assert!(
            matches!(
                archive::check(&path),
                Err(BackupError::Checksum(_)) | Err(BackupError::NotABackup(_))
            ),
            "byte {at}"
        );
    }
    std::fs::write(&path, &good[..good.len() - 1000]).unwrap();
    assert!(matches!(
        archive::check(&path),
        Err(BackupError::Checksum(_))
    ));
}

#[test]
fn a_recomputed_checksum_does_not_hide_a_change_inside() {
    // Someone who edits a chunk and writes a new checksum still meets the chunk's authentication.
    use sha2::{Digest, Sha256};
    let d = Dir::new();
    let keyring = Keyring::create(&d.0.join("keyring.json")).unwrap();
    let path = sealed(&d, &keyring, &vec![1u8; 5000]);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 1;
    let sum = Sha256::digest(&bytes[..n - 32]);
    bytes[n - 32..].copy_from_slice(&sum);
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        unsealed(&path, &keyring),
        Err(BackupError::Damaged(_))
    ));
}

#[test]
fn another_keyring_cannot_open_a_backup() {
    let d = Dir::new();
    let keyring = Keyring::create(&d.0.join("keyring.json")).unwrap();
    let other = Keyring::create(&d.0.join("other.json")).unwrap();
    let path = sealed(&d, &keyring, b"data");
    assert!(matches!(
        unsealed(&path, &other),
        Err(BackupError::WrongKeyring(_))
    ));
}

#[test]
fn a_backup_is_never_overwritten() {
    let d = Dir::new();
    let keyring = Keyring::create(&d.0.join("keyring.json")).unwrap();
    let path = sealed(&d, &keyring, b"first");
    let m = Manifest::new(Kind::SqliteFile, "m1".into(), 7);
    let again = archive::write(
        &path,
        m,
        &archive::active_kek(&keyring),
        &mut &b"second"[..],
    );
    assert!(matches!(again, Err(BackupError::Exists(_))));
    assert_eq!(unsealed(&path, &keyring).unwrap(), b"first");
}

#[test]
fn pruning_keeps_the_newest_and_leaves_other_files_alone() {
    let d = Dir::new();
    let start: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    let mut names = Vec::new();
    for h in 0..5 {
        let name = scheduled_name(start + chrono::Duration::hours(h));
        std::fs::write(d.0.join(&name), b"x").unwrap();
        names.push(name);
    }
    std::fs::write(d.0.join("notes.txt"), b"mine").unwrap();
    let removed = prune(&d.0, 2).unwrap();
    assert_eq!(removed.len(), 3);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(d.0.join(name).exists(), i >= 3, "{name}");
    }
    assert!(d.0.join("notes.txt").exists());
}

#[test]
fn a_database_url_names_its_location() {
    assert!(matches!(
        Location::from_url("sqlite://data/rapport.db?mode=rwc").unwrap(),
        Location::Sqlite(p) if p == Path::new("data/rapport.db")
    ));
    assert!(matches!(
        Location::from_url("postgres://u@h/db").unwrap(),
        Location::Postgres(_)
    ));
    assert!(Location::from_url("mysql://x").is_err());
}
