//! `/work`: where a signed-in person lands. One section per kind of role they hold now,
//! each a list of links to the place they work in (a fund's dashboard, a round's
//! applications, a group's grants), and what to do when they hold none.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::encode;
use super::gql::{self, problem_page};
use crate::server::http::App;
use crate::server::people_api::scopes::scope_name;
use crate::web::layout::{self, page};
use crate::web::session::SignedIn;
use infrastructure::accounts::ScopedRole;

pub fn routes() -> Router<App> {
    Router::new().route("/work", get(work_page))
}

#[derive(Debug, Deserialize)]
struct FundsAnswer {
    funds: Vec<FundName>,
}

#[derive(Debug, Deserialize)]
struct FundName {
    id: String,
    name: String,
}

/// A named link in one of the page's lists.
struct Place {
    href: String,
    name: String,
}

async fn work_page(State(app): State<App>, signed_in: SignedIn) -> Response {
    let roles = &signed_in.roles;
    let funds: Vec<Place> = if roles.owner || roles.all_funds {
        match gql::read::<FundsAnswer>(
            &app,
            &signed_in,
            "{ funds { id name } }",
            serde_json::json!({}),
        )
        .await
        {
            Ok(answer) => answer
                .funds
                .into_iter()
                .map(|fund| Place {
                    href: format!("/manage/funds/{}", encode(&fund.id)),
                    name: fund.name,
                })
                .collect(),
            Err(problem) => return problem_page(Some(&signed_in), &problem),
        }
    } else {
        let grants = roles
            .officer_of
            .iter()
            .map(ScopedRole::officer)
            .collect::<Vec<_>>();
        named(&app, &grants, |role| {
            format!("/manage/funds/{}", encode(&role.scope))
        })
        .await
    };
    let panels = roles
        .panel_of
        .iter()
        .map(ScopedRole::panel)
        .collect::<Vec<_>>();
    let panels = named(&app, &panels, |role| {
        format!("/panel/rounds/{}", encode(&role.scope))
    })
    .await;
    let groups = roles
        .member_of
        .iter()
        .map(ScopedRole::member)
        .collect::<Vec<_>>();
    let groups = named(&app, &groups, |role| {
        format!("/groups/{}", encode(&role.scope))
    })
    .await;
    let body = html! {
        h1 class="govuk-heading-l" { "Your work" }
        @if roles.is_empty() {
            p class="govuk-body" { "You do not hold a role in any fund yet. Ask an officer of the fund you work with to invite you." }
        }
        @if roles.can_create_funds() {
            p class="govuk-body" { a class="govuk-link" href="/manage/funds/new" { "Set up a new fund" } }
        }
        (section("Funds you run", &funds))
        (section("Rounds you sit on the panel of", &panels))
        (section("Groups you act for", &groups))
        p class="govuk-body" { a class="govuk-link" href="/account" { "Your account, sessions and API tokens" } }
    };
    layout::html(StatusCode::OK, page("Your work", signed_in.frame(), body))
}

/// Each role's scope by name (its id when it has none), linked by `href`.
async fn named(
    app: &App,
    roles: &[ScopedRole],
    href: impl Fn(&ScopedRole) -> String,
) -> Vec<Place> {
    let mut places = Vec::with_capacity(roles.len());
    for role in roles {
        let name = scope_name(&app.state, role)
            .await
            .unwrap_or_else(|_| role.scope.clone());
        places.push(Place {
            href: href(role),
            name,
        });
    }
    places
}

fn section(heading: &str, places: &[Place]) -> Markup {
    html! {
        @if !places.is_empty() {
            h2 class="govuk-heading-m" { (heading) }
            ul class="govuk-list" {
                @for place in places {
                    li { a class="govuk-link" href=(place.href) { (place.name) } }
                }
            }
        }
    }
}
