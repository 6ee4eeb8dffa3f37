//! fundledger's outer layer: the command line (and, later, the GraphQL server).

pub mod cli;
pub mod demo;
pub mod export;
pub mod logging;
pub mod server;
