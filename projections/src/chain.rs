//! The hash chain over the global log. For each event in commit order,
//! `hash = SHA-256(previous hash || canonical bytes of the event)`, starting from 32 zero
//! bytes. The canonical bytes do not depend on how a store keeps JSON: object keys are
//! sorted and there is no whitespace, so PostgreSQL and SQLite give the same chain.

use infrastructure::{LoggedEvent, StoredEvent};
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

fn field(bytes: &mut Vec<u8>, value: &[u8]) {
    bytes.extend_from_slice(&(value.len() as u64).to_be_bytes());
    bytes.extend_from_slice(value);
}

/// The fields before the JSON: the same for a parsed and a stored event.
fn write_header(
    bytes: &mut Vec<u8>,
    position: i64,
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: i64,
    event_type: &str,
    event_version: &str,
) {
    bytes.extend_from_slice(b"fundledger-event-v1");
    field(bytes, itoa::Buffer::new().format(position).as_bytes());
    field(bytes, aggregate_type.as_bytes());
    field(bytes, aggregate_id.as_bytes());
    field(bytes, itoa::Buffer::new().format(sequence).as_bytes());
    field(bytes, event_type.as_bytes());
    field(bytes, event_version.as_bytes());
}

fn write_canonical(event: &LoggedEvent, bytes: &mut Vec<u8>, json: &mut Vec<u8>) {
    write_header(
        bytes,
        event.position,
        &event.aggregate_type,
        &event.aggregate_id,
        event.sequence,
        &event.event_type,
        &event.event_version,
    );
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

/// Appends the canonical bytes of an event still as stored (its JSON as text): the bytes
/// `append_canonical_bytes` gives for the parsed event, written without building a
/// `Value` (a rebuild's heaviest step was that parse). Returns false, with `bytes` as it
/// was, when the JSON holds something the text path does not reproduce byte for byte (see
/// `canonical_json_of_text`); the caller then parses the event and takes the `Value` path.
pub fn append_canonical_bytes_of_stored(event: &StoredEvent, bytes: &mut Vec<u8>) -> bool {
    let start = bytes.len();
    write_header(
        bytes,
        event.position,
        &event.aggregate_type,
        &event.aggregate_id,
        event.sequence,
        &event.event_type,
        &event.event_version,
    );
    let written = TEXT_CANONICALISER.with(|canonicaliser| {
        let canonicaliser = &mut *canonicaliser.borrow_mut();
        canonical_json_field(canonicaliser, &event.payload, bytes)
            && canonical_json_field(canonicaliser, &event.metadata, bytes)
    });
    if !written {
        bytes.truncate(start);
    }
    written
}

/// One length-prefixed JSON field from text: the length is patched in once known.
fn canonical_json_field(
    canonicaliser: &mut TextCanonicaliser,
    text: &str,
    bytes: &mut Vec<u8>,
) -> bool {
    let length_at = bytes.len();
    bytes.extend_from_slice(&[0; 8]);
    if canonicaliser.write(text.as_bytes(), bytes).is_none() {
        return false;
    }
    let length = (bytes.len() - length_at - 8) as u64;
    bytes[length_at..length_at + 8].copy_from_slice(&length.to_be_bytes());
    true
}

/// Canonical JSON written straight from JSON text, for `append_canonical_bytes_of_stored`.
///
/// Gives exactly what `canonical_json_bytes` gives for the `Value` serde_json parses from
/// the same text, for the JSON events are made of: objects with plain keys, arrays,
/// strings (escapes are decoded and re-escaped by serde_json itself), booleans, null and
/// non-negative integers below 10^19 (which serde_json keeps as `u64` and writes back
/// digit for digit). Anything else gives `None`, and the caller takes the `Value` path:
/// another number (serde_json may rewrite it, e.g. `1e2` as `100.0`), a key with an escape
/// or a control character, a repeated key (serde_json keeps the last), nesting deeper than
/// `MAX_TEXT_DEPTH`, or text that is not JSON (so the `Value` path reports the error).
#[derive(Default)]
struct TextCanonicaliser {
    /// Buffers for the values of the objects being written, one per open object,
    /// reused from event to event.
    spare_values: Vec<Vec<u8>>,
    spare_entries: Vec<Vec<ObjectEntry>>,
}

/// One member of an object: its key (a range of the text, without quotes) and its value
/// (a range of the object's value buffer, already canonical).
#[derive(Clone, Copy)]
struct ObjectEntry {
    key_start: usize,
    key_end: usize,
    value_start: usize,
    value_end: usize,
}

/// Deeper JSON goes the `Value` way (serde_json's own limit is 128).
const MAX_TEXT_DEPTH: usize = 64;

impl TextCanonicaliser {
    fn write(&mut self, text: &[u8], out: &mut Vec<u8>) -> Option<()> {
        let mut reader = TextReader { text, at: 0 };
        reader.skip_whitespace();
        self.value(&mut reader, out, 0)?;
        reader.skip_whitespace();
        (reader.at == text.len()).then_some(())
    }

    fn value(
        &mut self,
        reader: &mut TextReader<'_>,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_TEXT_DEPTH {
            return None;
        }
        match reader.peek()? {
            b'{' => {
                reader.at += 1;
                self.object(reader, out, depth)
            }
            b'[' => {
                reader.at += 1;
                self.array(reader, out, depth)
            }
            b'"' => {
                reader.at += 1;
                let (start, end, escaped) = reader.string()?;
                let token = &reader.text[start - 1..end + 1];
                if escaped {
                    // Decoded and written again by serde_json: its escaping, exactly.
                    let decoded: String = serde_json::from_slice(token).ok()?;
                    serde_json::to_writer(&mut *out, &decoded).expect("writing to memory");
                } else {
                    out.extend_from_slice(token);
                }
                Some(())
            }
            b't' => reader.literal(b"true", out),
            b'f' => reader.literal(b"false", out),
            b'n' => reader.literal(b"null", out),
            b'0'..=b'9' => {
                let start = reader.at;
                while matches!(reader.peek(), Some(b'0'..=b'9')) {
                    reader.at += 1;
                }
                let digits = &reader.text[start..reader.at];
                let plain_u64 = digits.len() <= 19 && (digits.len() == 1 || digits[0] != b'0');
                let more = matches!(reader.peek(), Some(b'.' | b'e' | b'E'));
                if !plain_u64 || more {
                    return None;
                }
                out.extend_from_slice(digits);
                Some(())
            }
            _ => None,
        }
    }

    fn object(
        &mut self,
        reader: &mut TextReader<'_>,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Option<()> {
        reader.skip_whitespace();
        if reader.peek()? == b'}' {
            reader.at += 1;
            out.extend_from_slice(b"{}");
            return Some(());
        }
        let mut values = self.spare_values.pop().unwrap_or_default();
        let mut entries = self.spare_entries.pop().unwrap_or_default();
        values.clear();
        entries.clear();
        let written = self
            .members(reader, depth, &mut values, &mut entries)
            .and_then(|()| {
                let text = reader.text;
                entries.sort_unstable_by(|a, b| {
                    text[a.key_start..a.key_end].cmp(&text[b.key_start..b.key_end])
                });
                let repeated = entries.windows(2).any(|pair| {
                    text[pair[0].key_start..pair[0].key_end]
                        == text[pair[1].key_start..pair[1].key_end]
                });
                if repeated {
                    return None;
                }
                out.push(b'{');
                for (index, entry) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&text[entry.key_start - 1..entry.key_end + 1]);
                    out.push(b':');
                    out.extend_from_slice(&values[entry.value_start..entry.value_end]);
                }
                out.push(b'}');
                Some(())
            });
        self.spare_values.push(values);
        self.spare_entries.push(entries);
        written
    }

    fn members(
        &mut self,
        reader: &mut TextReader<'_>,
        depth: usize,
        values: &mut Vec<u8>,
        entries: &mut Vec<ObjectEntry>,
    ) -> Option<()> {
        loop {
            reader.skip_whitespace();
            reader.expect(b'"')?;
            let (key_start, key_end, escaped) = reader.string()?;
            if escaped {
                return None;
            }
            reader.skip_whitespace();
            reader.expect(b':')?;
            reader.skip_whitespace();
            let value_start = values.len();
            self.value(reader, values, depth + 1)?;
            entries.push(ObjectEntry {
                key_start,
                key_end,
                value_start,
                value_end: values.len(),
            });
            reader.skip_whitespace();
            match reader.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn array(
        &mut self,
        reader: &mut TextReader<'_>,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Option<()> {
        reader.skip_whitespace();
        out.push(b'[');
        if reader.peek()? == b']' {
            reader.at += 1;
            out.push(b']');
            return Some(());
        }
        loop {
            reader.skip_whitespace();
            self.value(reader, out, depth + 1)?;
            reader.skip_whitespace();
            match reader.next()? {
                b',' => out.push(b','),
                b']' => {
                    out.push(b']');
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// A cursor over JSON text.
struct TextReader<'a> {
    text: &'a [u8],
    at: usize,
}

impl TextReader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &[u8], out: &mut Vec<u8>) -> Option<()> {
        if !self.text[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        out.extend_from_slice(word);
        Some(())
    }

    /// A string whose opening quote was just read: the range of its contents, and whether
    /// it has escapes. A raw control character is not JSON: `None`.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        let start = self.at;
        let mut escaped = false;
        loop {
            match self.next()? {
                b'"' => return Some((start, self.at - 1, escaped)),
                b'\\' => {
                    // The escaped character is never the closing quote (`\uXXXX` has none).
                    escaped = true;
                    self.next()?;
                }
                0x00..=0x1f => return None,
                _ => {}
            }
        }
    }
}

thread_local! {
    /// Reused buffers: hashing a million events should not allocate two million vectors.
    static CHAIN_BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        std::cell::RefCell::new((Vec::with_capacity(1024), Vec::with_capacity(1024)));
    static TEXT_CANONICALISER: std::cell::RefCell<TextCanonicaliser> =
        std::cell::RefCell::new(TextCanonicaliser::default());
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
            epoch: 0,
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

    /// The canonical JSON of `text` by the text path, if it takes it.
    fn text_path(text: &str) -> Option<String> {
        let mut out = Vec::new();
        TextCanonicaliser::default().write(text.as_bytes(), &mut out)?;
        Some(String::from_utf8(out).expect("canonical JSON is UTF-8"))
    }

    /// The canonical JSON of `text` through a `Value`, if it is JSON.
    fn value_path(text: &str) -> Option<String> {
        let value: Value = serde_json::from_str(text).ok()?;
        let mut out = String::new();
        canonical_json(&value, &mut out);
        Some(out)
    }

    /// JSON text of `value` with every object's members in reverse order and, if `spaced`,
    /// whitespace around every token: what a store might hand back.
    fn unsorted_text(value: &Value, spaced: bool, out: &mut String) {
        let gap = if spaced { " \n\t" } else { "" };
        match value {
            Value::Object(map) => {
                out.push('{');
                for (index, (key, value)) in map.iter().rev().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(gap);
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push_str(gap);
                    out.push(':');
                    out.push_str(gap);
                    unsorted_text(value, spaced, out);
                }
                out.push_str(gap);
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(gap);
                    unsorted_text(item, spaced, out);
                }
                out.push_str(gap);
                out.push(']');
            }
            other => out.push_str(&serde_json::to_string(other).unwrap()),
        }
    }

    /// Values made only of what the text path handles itself.
    fn event_like_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0..10_000_000_000_000_000_000u64).prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            "[a-z 0-9\"\\\\é£\\n]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map("[a-zA-Z_0-9é]{0,8}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Any JSON value, floats, negative numbers and escaped keys included.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN or infinity", |x| x.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn the_text_path_writes_what_the_value_path_writes(value in event_like_json(), spaced: bool) {
            let mut text = String::new();
            unsorted_text(&value, spaced, &mut text);
            let fast = text_path(&text);
            proptest::prop_assert!(fast.is_some(), "the text path declined {}", text);
            proptest::prop_assert_eq!(fast, value_path(&text));
        }

        #[test]
        fn the_text_path_never_writes_anything_else(value in any_json(), spaced: bool, cut in 0usize..64) {
            let mut text = String::new();
            unsorted_text(&value, spaced, &mut text);
            if let Some(fast) = text_path(&text) {
                proptest::prop_assert_eq!(Some(fast), value_path(&text));
            }
            // Cut short (no longer JSON, or other JSON): declined, or the same as the Value path.
            let mut end = text.len().saturating_sub(cut);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            if let Some(fast) = text_path(&text[..end]) {
                proptest::prop_assert_eq!(Some(fast), value_path(&text[..end]));
            }
        }
    }

    #[test]
    fn the_text_path_declines_what_serde_json_would_rewrite() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":1e2}"#,
            r#"{"a":1.0}"#,
            r#"{"a":-1}"#,
            r#"{"a":-0}"#,
            r#"{"a":12345678901234567890}"#,
            r#"{"a\u0062":1}"#,
            r#"{"a":01}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":tru}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":"\ud800"}"#,
            "",
        ] {
            assert_eq!(text_path(text), None, "{text}");
        }
        assert_eq!(
            text_path(r#" {"b" : [1, "\u00e9\n\/", true, null], "a": {"d": {}, "c": []}} "#)
                .as_deref(),
            Some(r#"{"a":{"c":[],"d":{}},"b":[1,"é\n/",true,null]}"#)
        );
    }

    #[test]
    fn a_stored_event_has_the_bytes_of_the_parsed_event() {
        let stored = StoredEvent {
            position: 7,
            epoch: 0,
            txid: 0,
            aggregate_type: "Fund".into(),
            aggregate_id: "FUND-1".into(),
            sequence: 2,
            event_type: "CapitalReceived".into(),
            event_version: "1".into(),
            payload: r#"{"CapitalReceived": {"source": "a \"b\"", "amount": "10.00"}}"#.into(),
            metadata: "{}".into(),
        };
        let mut bytes = b"left over".to_vec();
        assert!(append_canonical_bytes_of_stored(&stored, &mut bytes));
        let parsed = stored.clone().parse().unwrap();
        assert_eq!(bytes[9..], canonical_bytes(&parsed)[..]);
        let genesis = parse_hash(GENESIS_HASH).unwrap();
        assert_eq!(
            hex::encode(next_hash_of_bytes(&genesis, &bytes[9..])),
            "8787e68323281e0ca6f88165ab09e59808aa252bef2dd0ff1b27ccf247e72eb3"
        );
        // Declined: nothing written, the caller parses instead.
        let odd = StoredEvent {
            metadata: r#"{"weight": 1.5}"#.into(),
            ..stored
        };
        let mut bytes = b"left over".to_vec();
        assert!(!append_canonical_bytes_of_stored(&odd, &mut bytes));
        assert_eq!(bytes, b"left over");
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
