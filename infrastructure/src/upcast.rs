//! Upcasting: stored events of an older version brought to the shape today's event enums
//! decode. Every reader of stored events (the command path, the global log for projections
//! and the process manager, `verify`) calls [`upcast`] before decoding, so an old event
//! reads the same everywhere. The current version passes through untouched; only older
//! versions pay for the rewrite.
//!
//! cqrs-es's `EventUpcaster` is not used: its `upcast` cannot fail (a malformed old event
//! must be an error, not a panic), it does not see the aggregate type, and postgres-es /
//! sqlite-es repositories never call it.

use serde_json::Value;

/// The version every event is written with today (`DomainEvent::event_version`).
pub const CURRENT_EVENT_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpcastError {
    #[error(
        "{aggregate_type} event {event_type} version {event_version} cannot be read: no \
         upcaster brings it to version {CURRENT_EVENT_VERSION}"
    )]
    NoUpcaster {
        aggregate_type: String,
        event_type: String,
        event_version: String,
    },
    #[error("{aggregate_type} event {event_type} version {event_version} is malformed: {message}")]
    Malformed {
        aggregate_type: String,
        event_type: String,
        event_version: String,
        message: String,
    },
}

/// True when an event of `event_version` decodes as stored (no upcast needed).
pub fn is_current(event_version: &str) -> bool {
    event_version == CURRENT_EVENT_VERSION
}

/// `payload` (an event of `event_version` as stored) in the current version's shape.
pub fn upcast(
    aggregate_type: &str,
    event_type: &str,
    event_version: &str,
    payload: Value,
) -> Result<Value, UpcastError> {
    if is_current(event_version) {
        return Ok(payload);
    }
    let malformed = |message: &str| UpcastError::Malformed {
        aggregate_type: aggregate_type.to_string(),
        event_type: event_type.to_string(),
        event_version: event_version.to_string(),
        message: message.to_string(),
    };
    match (aggregate_type, event_type, event_version) {
        ("Fund", "CapitalReceived", "0") => {
            rename_field(payload, event_type, "date", "received_on").map_err(malformed)
        }
        _ => Err(UpcastError::NoUpcaster {
            aggregate_type: aggregate_type.to_string(),
            event_type: event_type.to_string(),
            event_version: event_version.to_string(),
        }),
    }
}

/// A stored event decoded as `E`, upcast first if it is of an older version. The error
/// says which event failed and why.
pub fn decode_stored<E: serde::de::DeserializeOwned>(
    aggregate_type: &str,
    event_type: &str,
    event_version: &str,
    payload: Value,
) -> Result<E, String> {
    let payload = upcast(aggregate_type, event_type, event_version, payload)
        .map_err(|error| error.to_string())?;
    serde_json::from_value(payload).map_err(|error| {
        format!("{aggregate_type} event {event_type} version {event_version}: {error}")
    })
}

/// `{variant: {from: x, ..}}` as `{variant: {to: x, ..}}` (serde's externally tagged enum).
fn rename_field(
    mut payload: Value,
    variant: &str,
    from: &str,
    to: &str,
) -> Result<Value, &'static str> {
    let fields = payload
        .get_mut(variant)
        .and_then(Value::as_object_mut)
        .ok_or("the payload is not an object keyed by its event type")?;
    let value = fields
        .remove(from)
        .ok_or("a field this version has is missing")?;
    fields.insert(to.to_string(), value);
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The golden file of version 0 of `CapitalReceived` (checked in with the domain's
    /// golden files) upcasts to exactly the golden file of version 1.
    #[test]
    fn version_0_of_capital_received_upcasts_to_version_1() {
        let golden = |name: &str| -> Value {
            let path = format!(
                "{}/../domain/tests/golden/Fund/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let upcast = upcast(
            "Fund",
            "CapitalReceived",
            "0",
            golden("CapitalReceived.v0.json"),
        );
        assert_eq!(upcast, Ok(golden("CapitalReceived.v1.json")));
        let event: domain::fund::FundEvent = decode_stored(
            "Fund",
            "CapitalReceived",
            "0",
            golden("CapitalReceived.v0.json"),
        )
        .unwrap();
        assert!(matches!(
            event,
            domain::fund::FundEvent::CapitalReceived { .. }
        ));
    }

    #[test]
    fn the_current_version_passes_through_and_an_unknown_one_is_refused() {
        let payload = json!({"CapitalReceived": {"date": "2026-01-10"}});
        assert_eq!(
            upcast("Fund", "CapitalReceived", "1", payload.clone()),
            Ok(payload.clone())
        );
        let error = upcast("Fund", "CapitalReceived", "7", payload).unwrap_err();
        assert!(error.to_string().contains("version 7"), "{error}");
        let missing = upcast(
            "Fund",
            "CapitalReceived",
            "0",
            json!({"CapitalReceived": {}}),
        );
        assert!(matches!(missing, Err(UpcastError::Malformed { .. })));
    }
}
