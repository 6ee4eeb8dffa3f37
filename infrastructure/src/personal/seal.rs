//! Sealing personal free text with its writer's key, and opening it again.
//!
//! A sealed value is `sealed:v1:{key id}:{nonce}:{ciphertext}`: XChaCha20-Poly1305
//! (RustCrypto) under the subject's 256-bit key, a random 192-bit nonce, all base64url
//! without padding. The key id is the subject (an actor such as `person:{id}`, already in
//! the same event's metadata) in base64url, and it is the cipher's associated data, so a
//! value moved under another subject's id does not open. Empty text is not sealed (rules
//! that refuse empty text still see it empty).
//!
//! Keys live in `subject_keys` (migration 0017), never in the log; erasure sets
//! `key_hex` to NULL. Nothing caches a key beyond one [`Keyring`] (one request), so an
//! erasure made by another process shows on the next request.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use tokio::sync::Mutex;

use super::PersonalError;
use crate::Database;

/// What every sealed value starts with (the format's version is part of it).
pub const SEALED_PREFIX: &str = "sealed:v1:";

/// What a sealed text whose key was erased shows, everywhere.
pub const ERASED_TEXT: &str = "[erased]";

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

/// A stored text as a reader gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// Never sealed: written before sealing began, or not personal.
    Plain(String),
    /// Sealed, and opened with its subject's key.
    Open(String),
    /// Sealed under a key that erasure deleted.
    Erased,
}

impl Text {
    /// The text to show: the words, or [`ERASED_TEXT`].
    pub fn shown(self) -> String {
        match self {
            Text::Plain(text) | Text::Open(text) => text,
            Text::Erased => ERASED_TEXT.to_string(),
        }
    }
}

/// Whether a stored value is sealed (and so says nothing in clear).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

/// Seals `text` under `subject`'s key, making the key on the subject's first text.
/// Refuses a subject whose key was erased.
pub async fn seal(db: &Database, subject: &str, text: &str) -> Result<String, PersonalError> {
    if text.is_empty() {
        return Ok(String::new());
    }
    let key = subject_key(db, subject).await?;
    Ok(seal_with_key(&key, subject, text))
}

/// Opens many stored texts with one key lookup (see [`Keyring::unseal_many`]).
pub async fn unseal_many(db: &Database, texts: &[&str]) -> Result<Vec<Text>, PersonalError> {
    Keyring::default().unseal_many(db, texts).await
}

/// The keys one request has looked up (`None`: erased). Lives no longer than the request.
#[derive(Debug, Default)]
pub struct Keyring {
    keys: Mutex<HashMap<String, Option<[u8; KEY_BYTES]>>>,
}

impl Keyring {
    /// Opens `texts` in order: plain ones pass through; the keys of sealed ones not yet
    /// in this keyring are read in one query.
    pub async fn unseal_many(
        &self,
        db: &Database,
        texts: &[&str],
    ) -> Result<Vec<Text>, PersonalError> {
        let parsed = texts
            .iter()
            .map(|text| SealedText::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        let mut keys = self.keys.lock().await;
        let missing: HashSet<&str> = parsed
            .iter()
            .flatten()
            .map(|sealed| sealed.subject.as_str())
            .filter(|subject| !keys.contains_key(*subject))
            .collect();
        if !missing.is_empty() {
            let found = read_keys(db, &missing.into_iter().collect::<Vec<_>>()).await?;
            keys.extend(found);
        }
        texts
            .iter()
            .zip(parsed)
            .map(|(text, sealed)| match sealed {
                None => Ok(Text::Plain(text.to_string())),
                Some(sealed) => match keys.get(&sealed.subject).copied().flatten() {
                    Some(key) => sealed.open(&key).map(Text::Open),
                    None => Ok(Text::Erased),
                },
            })
            .collect()
    }

    /// One text (see [`Keyring::unseal_many`]).
    pub async fn unseal(&self, db: &Database, text: &str) -> Result<Text, PersonalError> {
        let mut texts = self.unseal_many(db, &[text]).await?;
        Ok(texts.pop().unwrap_or(Text::Erased))
    }
}

/// A sealed value taken apart.
struct SealedText {
    subject: String,
    key_id: String,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl SealedText {
    /// `None` for a value that is not sealed.
    fn parse(value: &str) -> Result<Option<SealedText>, PersonalError> {
        let Some(rest) = value.strip_prefix(SEALED_PREFIX) else {
            return Ok(None);
        };
        let unreadable = || PersonalError::Unreadable("not a sealed:v1 value".to_string());
        let mut parts = rest.split(':');
        let (Some(key_id), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unreadable());
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| unreadable());
        let subject = String::from_utf8(decode(key_id)?).map_err(|_| unreadable())?;
        let nonce = decode(nonce)?;
        if nonce.len() != NONCE_BYTES {
            return Err(unreadable());
        }
        Ok(Some(SealedText {
            subject,
            key_id: key_id.to_string(),
            nonce,
            ciphertext: decode(ciphertext)?,
        }))
    }

    fn open(&self, key: &[u8; KEY_BYTES]) -> Result<String, PersonalError> {
        let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
        let payload = Payload {
            msg: &self.ciphertext,
            aad: self.key_id.as_bytes(),
        };
        let plain = cipher
            .decrypt(XNonce::from_slice(&self.nonce), payload)
            .map_err(|_| {
                PersonalError::Unreadable(format!(
                    "text sealed for {} does not open with their key (altered?)",
                    self.subject
                ))
            })?;
        String::from_utf8(plain)
            .map_err(|_| PersonalError::Unreadable("sealed text is not UTF-8".to_string()))
    }
}

/// Seals with a known key (no store): the format's one writer.
pub(crate) fn seal_with_key(key: &[u8; KEY_BYTES], subject: &str, text: &str) -> String {
    let key_id = URL_SAFE_NO_PAD.encode(subject.as_bytes());
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let payload = Payload {
        msg: text.as_bytes(),
        aad: key_id.as_bytes(),
    };
    let ciphertext = cipher
        .encrypt(&nonce, payload)
        .expect("XChaCha20-Poly1305 encrypts any text that fits in memory");
    format!(
        "{SEALED_PREFIX}{key_id}:{}:{}",
        URL_SAFE_NO_PAD.encode(nonce),
        URL_SAFE_NO_PAD.encode(ciphertext)
    )
}

/// The subject's key, made on first use (two writers racing both insert-or-ignore, then
/// read the one that won).
async fn subject_key(db: &Database, subject: &str) -> Result<[u8; KEY_BYTES], PersonalError> {
    const INSERT: &str = "INSERT INTO subject_keys (subject, key_hex, created_at) \
                          VALUES ($1, $2, $3) ON CONFLICT (subject) DO NOTHING";
    const SELECT: &str = "SELECT key_hex FROM subject_keys WHERE subject = $1";
    let new_key = hex::encode(XChaCha20Poly1305::generate_key(&mut OsRng));
    let now = crate::accounts::now();
    let key_hex: Option<String> = match db {
        Database::Postgres(pool) => {
            let insert = sqlx::query(INSERT).bind(subject).bind(&new_key).bind(now);
            insert.execute(pool).await?;
            let select = sqlx::query_scalar(SELECT).bind(subject);
            select.fetch_one(pool).await?
        }
        Database::Sqlite(pool) => {
            let insert = sqlx::query(INSERT).bind(subject).bind(&new_key).bind(now);
            insert.execute(pool).await?;
            let select = sqlx::query_scalar(SELECT).bind(subject);
            select.fetch_one(pool).await?
        }
    };
    match key_hex {
        Some(key_hex) => decode_key(&key_hex),
        None => Err(PersonalError::SubjectErased(subject.to_string())),
    }
}

/// The keys of `subjects`, one query; a subject with no key row or an erased key maps to
/// `None`.
async fn read_keys(
    db: &Database,
    subjects: &[&str],
) -> Result<HashMap<String, Option<[u8; KEY_BYTES]>>, PersonalError> {
    let placeholders = (1..=subjects.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("SELECT subject, key_hex FROM subject_keys WHERE subject IN ({placeholders})");
    let rows: Vec<(String, Option<String>)> = match db {
        Database::Postgres(pool) => {
            let mut query = sqlx::query_as(&sql);
            for subject in subjects {
                query = query.bind(*subject);
            }
            query.fetch_all(pool).await?
        }
        Database::Sqlite(pool) => {
            let mut query = sqlx::query_as(&sql);
            for subject in subjects {
                query = query.bind(*subject);
            }
            query.fetch_all(pool).await?
        }
    };
    let mut keys: HashMap<String, Option<[u8; KEY_BYTES]>> = subjects
        .iter()
        .map(|subject| (subject.to_string(), None))
        .collect();
    for (subject, key_hex) in rows {
        let key = key_hex.as_deref().map(decode_key).transpose()?;
        keys.insert(subject, key);
    }
    Ok(keys)
}

fn decode_key(key_hex: &str) -> Result<[u8; KEY_BYTES], PersonalError> {
    hex::decode(key_hex)
        .ok()
        .and_then(|bytes| <[u8; KEY_BYTES]>::try_from(bytes).ok())
        .ok_or_else(|| PersonalError::Unreadable("a stored subject key is malformed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; KEY_BYTES] = [7; KEY_BYTES];
    const OTHER_KEY: [u8; KEY_BYTES] = [9; KEY_BYTES];

    fn open(value: &str, key: &[u8; KEY_BYTES]) -> Result<String, PersonalError> {
        SealedText::parse(value)?.expect("sealed").open(key)
    }

    #[test]
    fn sealed_text_opens_with_its_key_and_says_nothing_in_clear() {
        let sealed = seal_with_key(&KEY, "person:P-1", "Mrs Smith at no. 4 is unwell");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("Smith"));
        assert_eq!(open(&sealed, &KEY).unwrap(), "Mrs Smith at no. 4 is unwell");
    }

    #[test]
    fn the_same_text_seals_differently_each_time() {
        let first = seal_with_key(&KEY, "person:P-1", "same");
        let second = seal_with_key(&KEY, "person:P-1", "same");
        assert_ne!(first, second);
    }

    #[test]
    fn a_wrong_key_is_refused() {
        let sealed = seal_with_key(&KEY, "person:P-1", "private");
        assert!(matches!(
            open(&sealed, &OTHER_KEY),
            Err(PersonalError::Unreadable(_))
        ));
    }

    #[test]
    fn altered_ciphertext_is_refused() {
        let sealed = seal_with_key(&KEY, "person:P-1", "private words");
        // Change one character in the middle of the ciphertext.
        let at = sealed.len() - 10;
        let flipped = if &sealed[at..=at] == "A" { "B" } else { "A" };
        let tampered = format!("{}{flipped}{}", &sealed[..at], &sealed[at + 1..]);
        assert_ne!(tampered, sealed);
        assert!(matches!(
            open(&tampered, &KEY),
            Err(PersonalError::Unreadable(_))
        ));
    }

    #[test]
    fn text_moved_under_another_subject_is_refused() {
        let sealed = seal_with_key(&KEY, "person:P-1", "private");
        let other_id = URL_SAFE_NO_PAD.encode("person:P-2");
        let own_id = URL_SAFE_NO_PAD.encode("person:P-1");
        let moved = sealed.replacen(&own_id, &other_id, 1);
        assert!(matches!(
            open(&moved, &KEY),
            Err(PersonalError::Unreadable(_))
        ));
    }

    #[test]
    fn plain_text_is_not_sealed_and_malformed_sealed_text_is_refused() {
        assert!(SealedText::parse("Dear applicant").unwrap().is_none());
        assert!(SealedText::parse("sealed:v1:abc").is_err());
        assert!(SealedText::parse("sealed:v1:abc:!!:xyz").is_err());
    }

    #[test]
    fn erased_text_shows_as_erased() {
        assert_eq!(Text::Erased.shown(), ERASED_TEXT);
        assert_eq!(Text::Plain("a".into()).shown(), "a");
    }
}
