//! The hash chain over the global log. For each event in commit order,
//! `hash = SHA-256(previous hash || canonical bytes of the event)`, starting from 32 zero
//! bytes. The canonical bytes do not depend on how a store keeps JSON: object keys are
//! sorted and there is no whitespace, so PostgreSQL and SQLite give the same chain.

use infrastructure::LoggedEvent;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The "previous hash" of the first event, and the head of an empty ledger.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is hashed for one event: a version tag, then each field as a length-prefixed
/// field, so no two different events share bytes.
pub fn canonical_bytes(event: &LoggedEvent) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(256);
    bytes.extend_from_slice(b"fundledger-event-v1");
    let mut field = |value: &[u8]| {
        bytes.extend_from_slice(&(value.len() as u64).to_be_bytes());
        bytes.extend_from_slice(value);
    };
    field(event.position.to_string().as_bytes());
    field(event.aggregate_type.as_bytes());
    field(event.aggregate_id.as_bytes());
    field(event.sequence.to_string().as_bytes());
    field(event.event_type.as_bytes());
    field(event.event_version.as_bytes());
    let mut json = String::new();
    canonical_json(&event.payload, &mut json);
    field(json.as_bytes());
    json.clear();
    canonical_json(&event.metadata, &mut json);
    field(json.as_bytes());
    bytes
}

/// JSON with object keys in byte order and no whitespace.
pub fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The next link: SHA-256(previous || canonical bytes), as raw bytes.
pub fn next_hash(previous: &[u8; 32], event: &LoggedEvent) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical_bytes(event));
    hasher.finalize().into()
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
    fn canonical_json_sorts_keys_at_every_depth() {
        let value: Value =
            serde_json::from_str(r#"{"b":{"d":1,"c":[{"z":1,"y":"é"}]},"a":"1.00"}"#).unwrap();
        let mut out = String::new();
        canonical_json(&value, &mut out);
        assert_eq!(out, r#"{"a":"1.00","b":{"c":[{"y":"é","z":1}],"d":1}}"#);
    }
}
