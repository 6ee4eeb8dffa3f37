//! The area's social return (GraphQL `socialReturn(scope: { neighbourhood })`, the UK SROI
//! method) in plain words. The account is worked out on today's figures only, so a page
//! as of an earlier day says so rather than mixing days.

use std::str::FromStr;

use maud::{html, Markup};
use rust_decimal::Decimal;

use super::super::figures;
use super::data::SocialReturn;

/// The social return section of the area `name` (`path`: its page today).
pub fn section(
    name: &str,
    account: Option<&SocialReturn>,
    as_of: Option<domain::Date>,
    path: &str,
) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="social-return" { "What the awards achieved" }
        @if as_of.is_some() {
            p class="govuk-body" {
                "The social return is worked out on today's figures only. "
                a class="govuk-link" href={ (path) "#social-return" } { "See today's social return for " (name) }
            }
        } @else {
            @match account.filter(|account| is_positive(&account.social_value)) {
                Some(account) => (valued(account)),
                None => p class="govuk-body" {
                    "Nothing has been valued here yet: no group in " (name)
                    " has reported an outcome that a fund puts a value on."
                },
            }
            p class="govuk-body-s" {
                a class="govuk-link" href="/glossary#social-return" { "How the social return is worked out" }
            }
        }
    }
}

fn is_positive(amount: &str) -> bool {
    Decimal::from_str(amount).is_ok_and(|amount| amount > Decimal::ZERO)
}

fn per_pound(ratio: &str) -> String {
    format!("{} for every £1", figures::money(ratio))
}

fn valued(account: &SocialReturn) -> Markup {
    html! {
        p class="govuk-body" {
            (figures::money(&account.invested)) " went in: money paid out to groups here and the "
            "contributions recorded with it (match funding, in kind and volunteer time)."
        }
        p class="govuk-body" {
            "The outcomes they reported are worth " strong { (figures::money(&account.social_value)) }
            " to society in today's money"
            @if let Some(ratio) = &account.ratio {
                ": " strong { (per_pound(ratio)) } " that went in"
            }
            "."
        }
        @if let (Some(low), Some(high)) = (&account.ratio_low, &account.ratio_high) {
            p class="govuk-body" {
                "With more cautious assumptions it is " (per_pound(low))
                ", with more generous ones " (per_pound(high)) "."
            }
        }
    }
}
