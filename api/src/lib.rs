//! fundledger's outer layer: the command line, the GraphQL server and the screens.

pub mod cli;
pub mod demo;
pub mod export;
pub mod logging;
pub mod mail;
pub mod owner;
pub mod server;
pub mod web;
