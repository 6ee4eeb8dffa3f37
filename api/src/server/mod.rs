//! The GraphQL server (`fundledger serve`): axum + async-graphql over the ledger's command
//! path (mutations) and the projections' read models (queries).
//!
//! - [`startup`]: `Application::build` / `run_until_stopped`.
//! - [`http`]: routes, the GraphQL handler and its limits, health, metrics; [`health`]:
//!   projection lag by time and the transaction holding it back.
//! - [`public`]: the 360Giving exports (the public pages are `web::public`).
//! - [`schema`]: the schema and its depth and complexity caps; [`query`], [`mutations`],
//!   [`subscriptions`] and [`types`] are its parts.
//! - [`cache`]: answers to public queries, kept while the read models are unchanged.
//! - [`conditional`]: `ETag`s from the read-models version, `304`s, `GET /graphql?query=`.
//! - [`runtime_metrics`]: `/metrics`' build, process and connection-pool lines.
//! - [`auth`]: JWTs and the `Viewer` (actor, person, scoped roles); [`principal`]: who is
//!   asking (API token, JWT, session cookie + CSRF header); [`context`]: what resolvers
//!   reach and the scoped checks; [`errors`]: one `extensions.code` per error.
//! - [`transport`]: the accept loop (header/idle timeouts, connection caps);
//!   [`websocket`]: `/graphql/ws` and its limits; [`graphiql`]: GraphiQL, served locally.

pub mod account_api;
pub mod admission;
pub mod auth;
pub mod award_story;
pub mod budget;
pub mod cache;
pub mod conditional;
pub mod context;
pub mod decisions_api;
pub mod erasure_api;
pub mod errors;
pub mod grantee_fields;
pub mod graphiql;
pub mod health;
pub mod http;
pub mod ledger_events;
pub mod metrics;
pub mod money_over_time;
pub mod mutations;
pub mod notifier;
pub mod officer_fields;
pub mod people_api;
pub mod principal;
pub mod priority;
pub mod public;
pub mod query;
pub mod recent;
pub mod reports_due;
pub mod runtime_metrics;
pub mod scalars;
pub mod schema;
pub mod search_api;
pub mod settings;
pub mod social;
pub mod startup;
pub mod subscriptions;
pub mod text_guard;
pub mod transport;
pub mod types;
pub mod websocket;
