//! Random tokens and their hashes: session ids, CSRF tokens, API tokens, one-time passwords.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe.
pub fn token() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    URL_SAFE_NO_PAD.encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A password a person can type from a printout: five groups of four lower-case letters and digits, without
/// look-alikes (0/o, 1/l/i).
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut groups = Vec::new();
    for _ in 0..5 {
        let mut g = String::new();
        for _ in 0..4 {
            let i = rand::random_range(0..ALPHABET.len());
            g.push(ALPHABET[i] as char);
        }
        groups.push(g);
    }
    groups.join("-")
}

/// Compares two secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
