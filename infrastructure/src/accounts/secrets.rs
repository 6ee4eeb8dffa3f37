//! The secrets people hold (links, session cookies, API tokens): 256 random bits, written
//! as URL-safe text; the store keeps only `hash_secret`'s SHA-256, hex.

/// A new secret: 32 random bytes from the OS, base64url without padding (43 characters).
pub fn new_secret() -> String {
    todo!("accounts helper")
}

/// What the store keeps of a secret: its SHA-256 in lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    todo!("accounts helper: {secret}")
}
