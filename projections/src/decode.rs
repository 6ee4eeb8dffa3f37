//! Events as the read models see them: decoded from their stored JSON (brought to the
//! current version first by the upcasters when they are older), one enum for the
//! aggregates the read models follow.

use domain::application::ApplicationEvent;
use domain::award::AwardEvent;
use domain::ballot::BallotEvent;
use domain::fund::FundEvent;
use domain::round::RoundEvent;
use infrastructure::{upcast, LoggedEvent};
use serde::Deserialize;

use crate::ProjectionError;

/// An event of one of the ledger's aggregates, decoded from its stored JSON.
#[derive(Debug, Clone)]
pub(crate) enum Decoded {
    Fund(FundEvent),
    Round(RoundEvent),
    Application(ApplicationEvent),
    Award(AwardEvent),
    Ballot(BallotEvent),
    /// An aggregate type the read models do not follow; it is still chained.
    Other,
}

pub(crate) fn decode(event: &LoggedEvent) -> Result<Decoded, ProjectionError> {
    decode_with(event, |aggregate_type| {
        if upcast::is_current(&event.event_version) {
            return decode_from(aggregate_type, &event.payload).map_err(|error| error.to_string());
        }
        decode_upcast(event, event.payload.clone())
    })
}

/// An event of an older version: brought to the current shape, then decoded. The stored
/// payload (what the hash chain covers) is left as it is.
fn decode_upcast(event: &LoggedEvent, payload: serde_json::Value) -> Result<Decoded, String> {
    let payload = upcast::upcast(
        &event.aggregate_type,
        &event.event_type,
        &event.event_version,
        payload,
    )
    .map_err(|error| error.to_string())?;
    decode_from(event.aggregate_type.as_str(), &payload).map_err(|error| error.to_string())
}

/// `decode` straight from the payload's JSON text (a rebuild): the same event, without
/// building a `Value` first. `event`'s own payload is not read.
pub(crate) fn decode_text(event: &LoggedEvent, payload: &str) -> Result<Decoded, ProjectionError> {
    decode_with(event, |aggregate_type| {
        if !upcast::is_current(&event.event_version) {
            let value = serde_json::from_str(payload).map_err(|error| error.to_string())?;
            return decode_upcast(event, value);
        }
        let mut json = serde_json::Deserializer::from_str(payload);
        let decoded = decode_from(aggregate_type, &mut json);
        decoded
            .and_then(|decoded| json.end().map(|()| decoded))
            .map_err(|error| error.to_string())
    })
}

/// The checks of `decode` around `deserialize`, which decodes the payload as the event
/// type of the aggregate type it is given.
fn decode_with(
    event: &LoggedEvent,
    deserialize: impl FnOnce(&str) -> Result<Decoded, String>,
) -> Result<Decoded, ProjectionError> {
    let bad = |message: String| ProjectionError::BadEvent {
        position: event.position,
        event_type: event.event_type.clone(),
        message,
    };
    if !matches!(
        event.aggregate_type.as_str(),
        "Fund" | "Round" | "Application" | "Award" | "Ballot"
    ) {
        return Ok(Decoded::Other);
    }
    deserialize(&event.aggregate_type).map_err(bad)
}

fn decode_from<'de, D: serde::Deserializer<'de>>(
    aggregate_type: &str,
    payload: D,
) -> Result<Decoded, D::Error> {
    match aggregate_type {
        "Fund" => FundEvent::deserialize(payload).map(Decoded::Fund),
        "Round" => RoundEvent::deserialize(payload).map(Decoded::Round),
        "Application" => ApplicationEvent::deserialize(payload).map(Decoded::Application),
        "Ballot" => BallotEvent::deserialize(payload).map(Decoded::Ballot),
        _ => AwardEvent::deserialize(payload).map(Decoded::Award),
    }
}
