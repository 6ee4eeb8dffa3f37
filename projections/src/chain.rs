//! The hash chain over the global log. For each event in commit order,
//! `hash = SHA-256(previous hash || canonical bytes of the event)`, starting from 32 zero
//! bytes. The canonical bytes do not depend on how a store keeps JSON: object keys are
//! sorted and there is no whitespace, so PostgreSQL and SQLite give the same chain.

use infrastructure::LoggedEvent;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The "previous hash" of the first event, and the head of an empty ledger.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is hashed for one event: a version tag, then each field length-prefixed, so no
/// two different events share bytes.
pub fn canonical_bytes(event: &LoggedEvent) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(512);
    write_canonical(event, &mut bytes, &mut Vec::with_capacity(512));
    bytes
}

fn write_canonical(event: &LoggedEvent, bytes: &mut Vec<u8>, json: &mut Vec<u8>) {
    fn field(bytes: &mut Vec<u8>, value: &[u8]) {
        bytes.extend_from_slice(&(value.len() as u64).to_be_bytes());
        bytes.extend_from_slice(value);
    }
    bytes.extend_from_slice(b"fundledger-event-v1");
    field(bytes, event.position.to_string().as_bytes());
    field(bytes, event.aggregate_type.as_bytes());
    field(bytes, event.aggregate_id.as_bytes());
    field(bytes, event.sequence.to_string().as_bytes());
    field(bytes, event.event_type.as_bytes());
    field(bytes, event.event_version.as_bytes());
    json.clear();
    canonical_json_bytes(&event.payload, json);
    field(bytes, json);
    json.clear();
    canonical_json_bytes(&event.metadata, json);
    field(bytes, json);
}

/// JSON with object keys in byte order and no whitespace.
pub fn canonical_json(value: &Value, out: &mut String) {
    let mut bytes = Vec::new();
    canonical_json_bytes(value, &mut bytes);
    out.push_str(std::str::from_utf8(&bytes).expect("JSON is UTF-8"));
}

fn canonical_json_bytes(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing to memory");
                out.push(b':');
                canonical_json_bytes(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                canonical_json_bytes(item, out);
            }
            out.push(b']');
        }
        other => serde_json::to_writer(&mut *out, other).expect("writing to memory"),
    }
}

/// The next link: SHA-256(previous || canonical bytes), as raw bytes.
pub fn next_hash(previous: &[u8; 32], event: &LoggedEvent) -> [u8; 32] {
    CHAIN_BUFFERS.with(|buffers| {
        let (bytes, json) = &mut *buffers.borrow_mut();
        bytes.clear();
        write_canonical(event, bytes, json);
        let mut hasher = Sha256::new();
        hasher.update(previous);
        hasher.update(&bytes[..]);
        hasher.finalize().into()
    })
}

/// The next link from an event's canonical bytes (computed beforehand, perhaps on
/// another thread): the same hash as `next_hash`.
pub fn next_hash_of_bytes(previous: &[u8; 32], canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Appends the canonical bytes of `event` to `bytes` (what `canonical_bytes` returns).
pub fn append_canonical_bytes(event: &LoggedEvent, bytes: &mut Vec<u8>) {
    CHAIN_BUFFERS.with(|buffers| {
        let (_, json) = &mut *buffers.borrow_mut();
        write_canonical(event, bytes, json);
    })
}

thread_local! {
    /// Reused buffers: hashing a million events should not allocate two million vectors.
    static CHAIN_BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        std::cell::RefCell::new((Vec::with_capacity(1024), Vec::with_capacity(1024)));
}

/// Parses a stored hex hash.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_an_event_is_fixed() {
        // Changing the canonical form changes every published head: it must not happen
        // by accident.
        let event = LoggedEvent {
            position: 7,
            txid: 0,
            aggregate_type: "Fund".into(),
            aggregate_id: "FUND-1".into(),
            sequence: 2,
            event_type: "CapitalReceived".into(),
            event_version: "1".into(),
            payload: serde_json::json!({"CapitalReceived": {"amount": "10.00", "source": "a \"b\""}}),
            metadata: serde_json::json!({}),
        };
        let genesis = parse_hash(GENESIS_HASH).unwrap();
        assert_eq!(
            hex::encode(next_hash(&genesis, &event)),
            hex::encode(Sha256::digest(
                [&genesis[..], &canonical_bytes(&event)].concat()
            ))
        );
        assert_eq!(
            hex::encode(next_hash(&genesis, &event)),
            "8787e68323281e0ca6f88165ab09e59808aa252bef2dd0ff1b27ccf247e72eb3"
        );
        // The two-step form a rebuild uses gives the same link.
        let mut bytes = b"left over".to_vec();
        append_canonical_bytes(&event, &mut bytes);
        assert_eq!(bytes[9..], canonical_bytes(&event)[..]);
        assert_eq!(
            next_hash_of_bytes(&genesis, &bytes[9..]),
            next_hash(&genesis, &event)
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value: Value =
            serde_json::from_str(r#"{"b":{"d":1,"c":[{"z":1,"y":"é"}]},"a":"1.00"}"#).unwrap();
        let mut out = String::new();
        canonical_json(&value, &mut out);
        assert_eq!(out, r#"{"a":"1.00","b":{"c":[{"y":"é","z":1}],"d":1}}"#);
    }
}
