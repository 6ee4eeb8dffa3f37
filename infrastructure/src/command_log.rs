//! One log line per command the store runs, at the default level (info), under the target
//! `fundledger::command`: the command's name (its variant, never its fields: they hold
//! names, titles and amounts), the aggregate type, the outcome, the global position of its
//! last event and how long it took. Neither the aggregate id nor the actor is logged: an
//! operator follows a command by the request id of the span it runs in, and the events
//! themselves are the audit trail.

use std::time::Instant;

use cqrs_es::Aggregate;
use serde::Serialize;

use crate::event_store::{BatchError, CommandError, Committed};

/// The log target of the command lines (filter with `RUST_LOG=fundledger::command=info`).
pub const COMMAND_LOG_TARGET: &str = "fundledger::command";

/// The name of a command's variant (`RequestDrawdown`), from its serde form: commands are
/// externally tagged enums, so the name is the single key (or the string of a unit
/// variant). Costs one serialization of the command, small beside its database round trip.
pub(crate) fn command_name<C: Serialize>(command: &C) -> String {
    match serde_json::to_value(command) {
        Ok(serde_json::Value::Object(map)) if map.len() == 1 => {
            map.keys().next().cloned().unwrap_or_default()
        }
        Ok(serde_json::Value::String(name)) => name,
        _ => "unnamed".to_string(),
    }
}

/// Logs the outcome of one command run by `AggregateStore::execute`.
pub(crate) fn log_command<A: Aggregate>(
    command: &str,
    started: Instant,
    result: &Result<Committed<A>, CommandError<A::Error>>,
) {
    let duration_ms = elapsed_ms(started);
    let aggregate_type = A::TYPE;
    match result {
        Ok(committed) => {
            let outcome = if committed.replayed {
                "replayed"
            } else if committed.events.is_empty() {
                "unchanged"
            } else {
                "ok"
            };
            tracing::info!(
                target: COMMAND_LOG_TARGET,
                command,
                aggregate_type,
                outcome,
                position = committed.position,
                events = committed.events.len(),
                duration_ms,
                "command"
            );
        }
        Err(error) => {
            let outcome = match error {
                CommandError::Rejected(_) => "rejected",
                CommandError::Concurrency { .. } => "concurrency",
                CommandError::KeyReused(_) => "key_reused",
                CommandError::Missing { .. } => "not_found",
                CommandError::Store(_) => "store_error",
            };
            // The refusal's text can quote the caller's input (names, keys): kept to debug.
            tracing::debug!(target: COMMAND_LOG_TARGET, %error, "command refused");
            if matches!(error, CommandError::Store(_)) {
                tracing::warn!(target: COMMAND_LOG_TARGET, command, aggregate_type, outcome, duration_ms, "command");
            } else {
                tracing::info!(target: COMMAND_LOG_TARGET, command, aggregate_type, outcome, duration_ms, "command");
            }
        }
    }
}

/// Logs the outcome of one batch of new aggregates (`AggregateStore::execute_new_batch`).
pub(crate) fn log_batch<A: Aggregate>(
    commands: usize,
    started: Instant,
    result: &Result<(usize, i64), BatchError<A::Error>>,
) {
    let duration_ms = elapsed_ms(started);
    let aggregate_type = A::TYPE;
    match result {
        Ok((events, position)) => tracing::info!(
            target: COMMAND_LOG_TARGET,
            command = "batch",
            commands,
            aggregate_type,
            outcome = "ok",
            position,
            events,
            duration_ms,
            "command"
        ),
        Err(error) => {
            let outcome = match error {
                BatchError::Rejected { .. } => "rejected",
                BatchError::Exists => "concurrency",
                BatchError::Store(_) => "store_error",
            };
            tracing::info!(target: COMMAND_LOG_TARGET, command = "batch", commands, aggregate_type, outcome, duration_ms, "command");
        }
    }
}

/// Milliseconds since `started`, to the microsecond.
fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    enum Example {
        Struct { name: String },
        Tuple(u32),
        Unit,
    }

    #[test]
    fn a_command_is_named_by_its_variant_never_its_fields() {
        let named = command_name(&Example::Struct {
            name: "Jane Doe".into(),
        });
        assert_eq!(named, "Struct");
        assert_eq!(command_name(&Example::Tuple(7)), "Tuple");
        assert_eq!(command_name(&Example::Unit), "Unit");
    }
}
