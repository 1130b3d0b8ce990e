//! Password rules after OWASP ASVS 5.0 level 2: length, not composition; and no password from the common list.

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 8;
/// ASVS asks for at least 64 allowed characters; we allow 128 so that pass-phrases fit.
pub const MAX_CHARS: usize = 128;

static COMMON_LIST: &str = include_str!("common_passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_LIST
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Checks a new password; `context` holds words the password must not simply be (the e-mail, the name).
pub fn check_new(password: &str, context: &[&str]) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(Error::invalid(
            "password",
            format!("use at least {MIN_CHARS} characters"),
        ));
    }
    if n > MAX_CHARS {
        return Err(Error::invalid(
            "password",
            format!("use at most {MAX_CHARS} characters"),
        ));
    }
    if password.contains('\0') {
        return Err(Error::invalid(
            "password",
            "contains a character that cannot be used",
        ));
    }
    let lower = password.to_lowercase();
    if common().contains(lower.as_str()) {
        return Err(Error::invalid(
            "password",
            "this password is on a list of commonly used passwords; choose another (a short sentence works well)",
        ));
    }
    for word in context {
        let w = word.trim().to_lowercase();
        if !w.is_empty() && (lower == w || w.split('@').next() == Some(lower.as_str())) {
            return Err(Error::invalid(
                "password",
                "the password must not be your name or e-mail address",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_not_composition() {
        assert!(check_new("short", &[]).is_err());
        assert!(check_new("all lower case words here", &[]).is_ok());
        assert!(check_new(&"x".repeat(64), &[]).is_ok());
        assert!(check_new(&"x".repeat(129), &[]).is_err());
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        assert!(check_new("password", &[]).is_err());
        assert!(check_new("Password123", &[]).is_err());
        assert!(check_new("QWERTYUIOP", &[]).is_err());
    }

    #[test]
    fn the_account_name_is_refused() {
        assert!(check_new("ana.lopez", &["ana.lopez@example.org"]).is_err());
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(common().len() > 200);
    }
}
