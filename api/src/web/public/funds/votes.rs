//! A participatory round's results: every application in the vote with its vote count,
//! in vote order, which were funded (and for how much), the ballots cast and the rule that
//! decided them in words (`Round.votesAllocatedOn`'s rule). Shown once the votes are
//! allocated: until then the counts are not final.

use std::cmp::Reverse;

use maud::{html, Markup};
use serde::Deserialize;

use super::super::figures;
use super::rounds::Round;
use crate::web::layout;
use crate::web::work::forms::encode;

/// An application as the public sees it (approved ones, and in a participatory round the
/// ones still in contention).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Application {
    id: String,
    title: String,
    applicant_name: String,
    amount_requested: String,
    status: String,
    votes: Option<i64>,
    approved_amount: Option<String>,
    award_id: Option<String>,
}

/// The results section of a participatory round; nothing for a panel round.
pub(super) fn section(round: &Round) -> Markup {
    if round.decision_mode != "PARTICIPATORY" {
        return html! {};
    }
    let Some(allocated_on) = &round.votes_allocated_on else {
        return html! {
            h2 class="govuk-heading-m" { "Residents' vote" }
            p class="govuk-body" {
                @if round.voting_closed_on.is_some() {
                    "Voting has closed. The results will be shown here once the votes are counted."
                } @else {
                    "Residents are voting on this round's applications. The results will be shown here once the votes are counted."
                }
            }
        };
    };
    let ranked = in_vote_order(&round.applications);
    let rows: Vec<Vec<Markup>> = ranked
        .iter()
        .enumerate()
        .map(|(index, application)| result_row(index + 1, application))
        .collect();
    html! {
        h2 class="govuk-heading-m" { "Residents' vote: the results" }
        p class="govuk-body" {
            (figures::count(round.ballots_cast.unwrap_or(0))) " ballots were cast. The votes were counted on "
            (figures::date(allocated_on)) "."
        }
        (rule())
        (layout::table_region("Results of the vote", html! {
            table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--s" { "Applications in vote order" }
                thead class="govuk-table__head" {
                    tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Place" }
                        th scope="col" class="govuk-table__header" { "Application" }
                        th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Votes" }
                        th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Asked for" }
                        th scope="col" class="govuk-table__header" { "Result" }
                    }
                }
                tbody class="govuk-table__body" {
                    @for row in &rows {
                        tr class="govuk-table__row" {
                            @for (index, cell) in row.iter().enumerate() {
                                @if index == 0 {
                                    th scope="row" class="govuk-table__header" { (cell) }
                                } @else if index == 2 || index == 3 {
                                    td class="govuk-table__cell govuk-table__cell--numeric" { (cell) }
                                } @else {
                                    td class="govuk-table__cell" { (cell) }
                                }
                            }
                        }
                    }
                }
            }
        }))
    }
}

/// The rule the budget followed, in words (the same rule as `Round.votesAllocatedOn`).
fn rule() -> Markup {
    html! {
        details class="govuk-details" {
            summary class="govuk-details__summary" {
                span class="govuk-details__summary-text" { "How the votes decided the awards" }
            }
            div class="govuk-details__text" {
                p class="govuk-body" {
                    "The budget went down the list in vote order, most votes first. Each application "
                    "was funded for the full amount it asked for while that fitted in the budget left; "
                    "one that did not fit was passed over, and the next one down was tried."
                }
                p class="govuk-body" {
                    "Between applications with equal votes, the one the ledger recorded first "
                    "came first (the order the applications were received, which no applicant chooses)."
                }
            }
        }
    }
}

/// The applications in the vote, most votes first; between equal votes the funded ones
/// first, then by title (GraphQL does not give the order the ledger received them in,
/// which broke the tie when the budget was allocated).
fn in_vote_order(applications: &[Application]) -> Vec<&Application> {
    let mut ranked: Vec<&Application> = applications
        .iter()
        .filter(|application| application.status == "APPROVED" || application.status == "SUBMITTED")
        .collect();
    ranked.sort_by_key(|application| {
        (
            Reverse(application.votes.unwrap_or(0)),
            application.status != "APPROVED",
            application.title.clone(),
            application.id.clone(),
        )
    });
    ranked
}

fn result_row(place: usize, application: &Application) -> Vec<Markup> {
    let funded = application.status == "APPROVED";
    vec![
        html! { (place) },
        html! {
            (application.title)
            br;
            span class="govuk-body-s" { (application.applicant_name) }
        },
        html! { (figures::count(application.votes.unwrap_or(0))) },
        html! { (figures::money(&application.amount_requested)) },
        html! {
            @if funded {
                @match (&application.award_id, &application.approved_amount) {
                    (Some(award), Some(amount)) => {
                        a class="govuk-link" href=(format!("/awards/{}", encode(award))) {
                            "Funded: " (figures::money(amount))
                        }
                    },
                    _ => "Funded",
                }
            } @else {
                "Not funded"
            }
        },
    ]
}
