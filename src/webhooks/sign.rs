//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): `whsec_` secrets, and
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` in `webhook-signature`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> Result<String, String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness for a secret: {e}"))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The key bytes of a `whsec_` secret (`None` if it is not one).
pub fn key_of(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// One `v1,…` signature of a message with `key`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per key, space-separated (during a rotation the
/// old and the new secret both sign, so receivers with either one verify).
pub fn header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| signature(key, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The example of the specification's reference implementations.
    #[test]
    fn signs_the_specification_s_example() {
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_new_secret_is_prefixed_and_decodes_to_32_bytes() {
        let secret = new_secret().unwrap();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(key_of(&secret).unwrap().len(), 32);
        assert_ne!(secret, new_secret().unwrap());
        assert!(key_of("whsec_").is_none());
        assert!(key_of("nope").is_none());
    }
}
