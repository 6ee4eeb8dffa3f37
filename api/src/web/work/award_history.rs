//! An award's history as its officers and its group read it: GraphQL's `Award.history`
//! (every step of the award's own events, in order) in words, as a timeline. One
//! rendering for both screens; only where a drawdown links to differs.

use maud::{html, Markup};
use serde::Deserialize;

use super::widgets;

/// One step of `Award.history` (queried as `history { on happened amount previousAmount
/// drawdownId reason detail }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub on: String,
    pub happened: String,
    pub amount: Option<String>,
    pub previous_amount: Option<String>,
    pub drawdown_id: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

/// One step in words.
pub fn happening(entry: &HistoryEntry) -> String {
    let amount = entry
        .amount
        .as_deref()
        .map(widgets::money)
        .unwrap_or_default();
    match entry.happened.as_str() {
        "MADE" => format!("Award made for {amount}"),
        "IMPORTED" => format!("Imported from published grants data, for {amount}"),
        "AGREEMENT_ACCEPTED" => "The group accepted the grant agreement".to_string(),
        "DRAWDOWN_REQUESTED" => format!("The group asked to draw {amount}"),
        "DRAWDOWN_APPROVED" => format!("Drawdown of {amount} approved"),
        "DRAWDOWN_REJECTED" => format!("Drawdown of {amount} rejected"),
        "PAYMENT_RECORDED" => format!("{amount} paid"),
        "VARIED" => format!(
            "Award varied from {} to {amount}",
            entry
                .previous_amount
                .as_deref()
                .map(widgets::money)
                .unwrap_or_default()
        ),
        "BUDGET_LINES_SET" => "Budget lines set".to_string(),
        "MONEY_RETURNED" => format!("{amount} returned to the fund"),
        "SPEND_REPORTED" => format!("Spend of {amount} reported"),
        "OUTCOME_REPORTED" => "Outcome reported".to_string(),
        "INPUT_RECORDED" => format!("Contribution worth {amount} recorded"),
        "CLOSED" if amount.is_empty() => "Award closed".to_string(),
        "CLOSED" => format!("Award closed; {amount} undrawn went back to the fund"),
        other => widgets::enum_words(other),
    }
}

/// The "History" section: each step with its date, detail and reason, and a link to its
/// drawdown where `drawdown_link` gives one.
pub fn timeline(
    entries: &[HistoryEntry],
    drawdown_link: impl Fn(&str) -> Option<String>,
) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "History" }
        ol class="govuk-list fl-timeline" {
            @for entry in entries {
                li class="fl-timeline__item" {
                    p class="govuk-body govuk-!-margin-bottom-1" {
                        strong { (happening(entry)) }
                    }
                    p class="govuk-body-s govuk-!-margin-bottom-1" { (widgets::date(&entry.on)) }
                    @if let Some(detail) = &entry.detail {
                        p class="govuk-body-s govuk-!-margin-bottom-1" { (detail) }
                    }
                    @if let Some(reason) = &entry.reason {
                        p class="govuk-body-s govuk-!-margin-bottom-1" { "Reason: " (reason) }
                    }
                    @if let Some(href) = entry.drawdown_id.as_deref().and_then(&drawdown_link) {
                        p class="govuk-body-s" {
                            a class="govuk-link" href=(href) { "See the drawdown" }
                        }
                    }
                }
            }
        }
    }
}
