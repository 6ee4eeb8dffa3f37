//! What `verify` reports, and the comparison of the rows a model's check expects with the
//! rows stored, shared by every read model's check.

use std::collections::BTreeMap;

/// Differences listed in a report (the first is the one that matters).
const MAX_REPORTED_MISMATCHES: usize = 20;

/// What verify found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events in the log (readable ones).
    pub events: u64,
    /// Events the projector had reached, which the comparison covers.
    pub projected: u64,
    /// The recomputed chain head at the projector's checkpoint.
    pub head: String,
    /// Differences in the order found: chain first, then each table by key.
    pub mismatches: Vec<String>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.mismatches.is_empty()
    }

    pub(crate) fn mismatch(&mut self, text: String) {
        if self.mismatches.len() < MAX_REPORTED_MISMATCHES {
            self.mismatches.push(text);
        }
    }
}

/// Compares `expected` with `actual` by key, reporting rows missing, extra or different.
pub(crate) fn compare_maps<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    report: &mut VerifyReport,
    table: &str,
    expected: &BTreeMap<K, V>,
    actual: &BTreeMap<K, V>,
) {
    for (key, want) in expected {
        match actual.get(key) {
            None => report.mismatch(format!(
                "{table}: row {key:?} is missing; the events give {want:?}"
            )),
            Some(have) if have != want => report.mismatch(format!(
                "{table}: row {key:?}: {} (stored row {have:?})",
                differences(&format!("{have:?}"), &format!("{want:?}"))
            )),
            Some(_) => {}
        }
    }
    for (key, have) in actual {
        if !expected.contains_key(key) {
            report.mismatch(format!(
                "{table}: row {key:?} ({have:?}) has no events behind it"
            ));
        }
    }
}

/// "field is X but the events give Y" for each field whose Debug text differs.
fn differences(have: &str, want: &str) -> String {
    let fields = |text: &str| -> Vec<String> {
        let inner = text
            .split_once('{')
            .map(|(_, rest)| rest.trim_end_matches('}'))
            .unwrap_or(text);
        inner
            .split(", ")
            .map(|field| field.trim().to_string())
            .collect()
    };
    let (have, want) = (fields(have), fields(want));
    let diffs: Vec<String> = have
        .iter()
        .zip(&want)
        .filter(|(have, want)| have != want)
        .map(|(have, want)| {
            let name = have.split_once(": ").map(|(name, _)| name).unwrap_or("");
            let stored = have
                .split_once(": ")
                .map(|(_, value)| value)
                .unwrap_or(have);
            let expected = want
                .split_once(": ")
                .map(|(_, value)| value)
                .unwrap_or(want);
            format!("{name} is {stored} but the events give {expected}")
        })
        .collect();
    if diffs.is_empty() || have.len() != want.len() {
        return "differs from the events".to_string();
    }
    diffs.join("; ")
}

/// Reports an event about a row no earlier event created.
pub(crate) fn unknown(report: &mut VerifyReport, position: i64, what: &str, id: &str) {
    report.mismatch(format!(
        "event at position {position} refers to unknown {what} {id}"
    ));
}

/// An amount in pounds, as `verify` folds money (apart from the projector's pence).
pub(crate) fn d(money: &domain::Money) -> rust_decimal::Decimal {
    money.amount()
}

/// Adds a change of several figures to their running totals.
pub(crate) fn add<const N: usize>(
    total: &mut [rust_decimal::Decimal; N],
    change: &[rust_decimal::Decimal; N],
) {
    for (total, change) in total.iter_mut().zip(change) {
        *total += *change;
    }
}

/// Figures in pounds as pence.
pub(crate) fn pence<const N: usize>(amounts: &[rust_decimal::Decimal; N]) -> [i64; N] {
    amounts.map(crate::to_pence)
}
