//! The secrets people hold (links, session cookies, API tokens): 256 random bits, written
//! as URL-safe text; the store keeps only `hash_secret`'s SHA-256, hex.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// How many random bytes a secret holds.
pub const SECRET_BYTES: usize = 32;

/// A new secret: 32 random bytes from the OS, base64url without padding (43 characters).
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    // The OS's generator failing means the machine cannot make a secret at all; going on
    // with a weak one would be worse than stopping.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a secret: its SHA-256 in lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new id for a stored row: `prefix` + a UUIDv7's simple form (time-ordered).
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_43_url_safe_characters_and_differ() {
        let first = new_secret();
        let second = new_secret();
        assert_eq!(first.len(), 43);
        assert!(first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(first, second);
    }

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
