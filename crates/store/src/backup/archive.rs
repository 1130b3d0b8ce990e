//! The backup file: a plain manifest, the database copy sealed in chunks, and a SHA-256 of everything before it.
//!
//! Layout: `MAGIC ‖ u32 manifest length ‖ manifest (JSON) ‖ chunks ‖ SHA-256`, each chunk `u32 length ‖ sealed`.
//! Chunks are sealed with XChaCha20-Poly1305 under a key made for this backup alone (wrapped in the manifest by the
//! keyring's active key-encryption key), with the STREAM construction's nonce: a random prefix and a chunk counter,
//! and the last chunk marked in the associated data, so that chunks cannot be reordered, dropped or cut off at the
//! end unnoticed. Every chunk's associated data also holds the manifest's hash: changing the manifest breaks them.
//! The trailing checksum is checked over the whole file before anything is decrypted or written, so a damaged
//! copy is refused with one clear sentence rather than half restored.

use super::{BackupError, Manifest};
use crate::crypto::{open_with, seal_with};
use crate::keyring::{Key, Keyring, random_key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"RPTBAK01";
/// Plaintext bytes per chunk: large enough that the per-chunk overhead (20 bytes) is noise.
pub(crate) const CHUNK: usize = 1 << 20;
const TAG: usize = 16;
const KEY_AAD: &[u8] = b"rapport:backup-key:v1";
/// A manifest is a few hundred bytes; anything much larger is not one of ours.
const MAX_MANIFEST: u32 = 64 * 1024;

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn nonce(prefix: &[u8; 16], counter: u64) -> XNonce {
    let mut n = [0u8; 24];
    n[..16].copy_from_slice(prefix);
    n[16..].copy_from_slice(&counter.to_be_bytes());
    XNonce::from(n)
}

fn chunk_aad(manifest_hash: &[u8], last: bool) -> Vec<u8> {
    let mut aad = b"rapport:backup-chunk:v1".to_vec();
    aad.extend_from_slice(manifest_hash);
    aad.push(u8::from(last));
    aad
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The file a backup is written to before it is complete; renamed into place only once whole and on disk.
pub(crate) fn partial_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

/// The keyring's active key-encryption key, copied out so that sealing can run on a blocking thread.
pub(crate) fn active_kek(keyring: &Keyring) -> (String, Key) {
    let (id, k) = keyring.active_kek();
    (id.to_string(), Zeroizing::new(*k))
}

/// Creates a file that only this account can read; fails if it exists.
pub(crate) fn create_private(path: &Path) -> Result<std::fs::File, BackupError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map_err(io(path))
}

pub(crate) fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
}

/// Seals `data` into a new backup file at `out` (which must not exist). The manifest's key fields are filled here.
pub(crate) fn write(
    out: &Path,
    mut manifest: Manifest,
    (kek_id, kek): &(String, Key),
    data: &mut impl Read,
) -> Result<Manifest, BackupError> {
    if out.exists() {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    let key = random_key();
    let mut prefix = [0u8; 16];
    rand::fill(&mut prefix[..]);
    manifest.kek_id = kek_id.clone();
    manifest.wrapped_key = B64.encode(seal_with(kek, KEY_AAD, &key[..])?);
    manifest.nonce_prefix = B64.encode(prefix);
    manifest.chunk_size = CHUNK as u32;
    let manifest_bytes =
        serde_json::to_vec(&manifest).map_err(|e| BackupError::Malformed(e.to_string()))?;
    let partial = partial_path(out);
    let file = create_private(&partial)?;
    let written = (|| -> Result<(), BackupError> {
        let mut w = Hashing {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
        };
        let err = io(&partial);
        w.write_all(MAGIC).map_err(&err)?;
        w.write_all(&(manifest_bytes.len() as u32).to_be_bytes())
            .map_err(&err)?;
        w.write_all(&manifest_bytes).map_err(&err)?;
        seal_chunks(
            &key,
            &prefix,
            &Sha256::digest(&manifest_bytes),
            data,
            &mut w,
        )?;
        let sum = w.hash.finalize();
        let mut inner = w.inner;
        inner.write_all(&sum).map_err(&err)?;
        let file = inner.into_inner().map_err(|e| BackupError::Io {
            path: partial.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(&err)?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, out).map_err(io(out))?;
    sync_dir(out);
    Ok(manifest)
}

fn seal_chunks(
    key: &Key,
    prefix: &[u8; 16],
    manifest_hash: &[u8],
    data: &mut impl Read,
    w: &mut impl Write,
) -> Result<(), BackupError> {
    let cipher = XChaCha20Poly1305::new(&(**key).into());
    let mut cur = Zeroizing::new(vec![0u8; CHUNK]);
    let mut next = Zeroizing::new(vec![0u8; CHUNK]);
    let source = |e| BackupError::Source(format!("reading the database copy: {e}"));
    let mut cur_len = read_full(data, &mut cur).map_err(source)?;
    let mut counter = 0u64;
    loop {
        // Read ahead one chunk: the last chunk is sealed as last, so a file cut at a chunk boundary is refused.
        let next_len = if cur_len < CHUNK {
            0
        } else {
            read_full(data, &mut next).map_err(source)?
        };
        let last = next_len == 0;
        let sealed = cipher
            .encrypt(
                &nonce(prefix, counter),
                Payload {
                    msg: &cur[..cur_len],
                    aad: &chunk_aad(manifest_hash, last),
                },
            )
            .map_err(|_| BackupError::Malformed("sealing a chunk failed".into()))?;
        w.write_all(&(sealed.len() as u32).to_be_bytes())
            .and_then(|_| w.write_all(&sealed))
            .map_err(|e| BackupError::Source(format!("writing the backup: {e}")))?;
        if last {
            return Ok(());
        }
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len;
        counter += 1;
    }
}

/// An opened backup file whose checksum was verified: its manifest, and where the sealed chunks start and end.
#[derive(Clone)]
pub(crate) struct Checked {
    pub manifest: Manifest,
    manifest_hash: Vec<u8>,
    path: PathBuf,
    body_start: u64,
    body_end: u64,
}

/// Reads the manifest and checks the whole file's checksum; nothing is decrypted yet.
pub(crate) fn check(path: &Path) -> Result<Checked, BackupError> {
    let err = io(path);
    let mut f = std::fs::File::open(path).map_err(&err)?;
    let len = f.metadata().map_err(&err)?.len();
    let not_ours = || BackupError::NotABackup(path.to_path_buf());
    if len < (MAGIC.len() + 4 + 32) as u64 {
        return Err(not_ours());
    }
    let mut head = [0u8; 12];
    f.read_exact(&mut head).map_err(&err)?;
    if &head[..8] != MAGIC {
        return Err(not_ours());
    }
    let manifest_len = u32::from_be_bytes([head[8], head[9], head[10], head[11]]);
    let body_start = 12 + u64::from(manifest_len);
    if manifest_len > MAX_MANIFEST || body_start + 32 > len {
        return Err(BackupError::Checksum(path.to_path_buf()));
    }
    // The checksum first, over every byte before it: a damaged file is refused before anything else is trusted.
    f.seek(SeekFrom::Start(0)).map_err(&err)?;
    let body_end = len - 32;
    let mut hash = Sha256::new();
    let mut r = BufReader::new(f).take(body_end);
    std::io::copy(&mut r, &mut hash).map_err(&err)?;
    let mut f = r.into_inner();
    let mut stored = [0u8; 32];
    f.read_exact(&mut stored).map_err(&err)?;
    if hash.finalize().as_slice() != stored {
        return Err(BackupError::Checksum(path.to_path_buf()));
    }
    f.seek(SeekFrom::Start(12)).map_err(&err)?;
    let mut manifest_bytes = vec![0u8; manifest_len as usize];
    f.read_exact(&mut manifest_bytes).map_err(&err)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| BackupError::Malformed(format!("the manifest: {e}")))?;
    if manifest.format != super::FORMAT {
        return Err(BackupError::Malformed(format!(
            "format {} (this Rapport reads format {})",
            manifest.format,
            super::FORMAT
        )));
    }
    Ok(Checked {
        manifest,
        manifest_hash: Sha256::digest(&manifest_bytes).to_vec(),
        path: path.to_path_buf(),
        body_start,
        body_end,
    })
}

impl Checked {
    /// The backup's own key, unwrapped with the keyring; refused when the keyring does not hold the key it names.
    pub(crate) fn key(&self, keyring: &Keyring) -> Result<Key, BackupError> {
        let m = &self.manifest;
        let kek = keyring
            .kek(&m.kek_id)
            .ok_or_else(|| BackupError::WrongKeyring(m.kek_id.clone()))?;
        let wrapped = B64
            .decode(&m.wrapped_key)
            .map_err(|e| BackupError::Malformed(format!("the wrapped key: {e}")))?;
        let raw = Zeroizing::new(
            open_with(kek, KEY_AAD, &wrapped)
                .map_err(|_| BackupError::WrongKeyring(m.kek_id.clone()))?,
        );
        let arr: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| BackupError::Malformed("the backup key has the wrong length".into()))?;
        Ok(Zeroizing::new(arr))
    }

    /// Decrypts the database copy into `sink`, chunk by chunk; stops at the first chunk that does not open.
    pub(crate) fn unseal(&self, key: &Key, sink: &mut impl Write) -> Result<(), BackupError> {
        let err = io(&self.path);
        let prefix: [u8; 16] = B64
            .decode(&self.manifest.nonce_prefix)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| BackupError::Malformed("the nonce prefix".into()))?;
        let cipher = XChaCha20Poly1305::new(&(**key).into());
        let mut f = std::fs::File::open(&self.path).map_err(&err)?;
        f.seek(SeekFrom::Start(self.body_start)).map_err(&err)?;
        let mut r = BufReader::new(f).take(self.body_end - self.body_start);
        let max = self.manifest.chunk_size as usize + TAG;
        let mut pos = self.body_start;
        let mut counter = 0u64;
        let mut sealed = Vec::with_capacity(max);
        loop {
            let mut len = [0u8; 4];
            r.read_exact(&mut len)
                .map_err(|_| BackupError::Damaged("it ends before its last chunk".into()))?;
            let len = u32::from_be_bytes(len) as usize;
            if len < TAG || len > max {
                return Err(BackupError::Damaged(format!(
                    "chunk {counter} has a bad length"
                )));
            }
            sealed.resize(len, 0);
            r.read_exact(&mut sealed)
                .map_err(|_| BackupError::Damaged("it ends inside a chunk".into()))?;
            pos += 4 + len as u64;
            let last = pos == self.body_end;
            let plain = Zeroizing::new(
                cipher
                    .decrypt(
                        &nonce(&prefix, counter),
                        Payload {
                            msg: &sealed,
                            aad: &chunk_aad(&self.manifest_hash, last),
                        },
                    )
                    .map_err(|_| {
                        BackupError::Damaged(format!("chunk {counter} does not decrypt"))
                    })?,
            );
            sink.write_all(&plain)
                .map_err(|e| BackupError::Source(format!("writing the restored copy: {e}")))?;
            if last {
                return Ok(());
            }
            counter += 1;
        }
    }
}
