//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

/// Hashes a password into a PHC string with a fresh random salt. CPU-heavy: call it off the
/// async workers.
pub fn hash(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2 hashing failed: {e}")))
}

/// Whether `password` matches the PHC string `hash`. CPU-heavy.
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

static DUMMY: OnceLock<Option<String>> = OnceLock::new();

fn dummy_hash() -> Option<&'static String> {
    DUMMY
        .get_or_init(|| hash("masthead-timing-equaliser").ok())
        .as_ref()
}

/// Spends the same work as [`verify`] for a login whose email matches no account, so that the
/// response time does not tell which emails have accounts.
pub fn verify_nothing(password: &str) {
    if let Some(dummy) = dummy_hash() {
        let _ = verify(password, dummy);
    }
}

/// Makes the dummy hash at start, so that the first failed login is not slower than the rest.
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = super::hash("correct horse battery").expect("hashes");
        let b = super::hash("correct horse battery").expect("hashes");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(super::verify("correct horse battery", &a));
        assert!(!super::verify("wrong horse battery", &a));
        assert!(!super::verify("anything", "not a hash"));
    }
}
