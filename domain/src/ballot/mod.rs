//! A ballot of a participatory round: one per ballot code, keyed by the SHA-256 hash of
//! the code (the plain code never reaches the domain, the log or the read models). Its own
//! aggregate so that "each code votes once" is an optimistic-concurrency check on a tiny
//! stream, and casting never contends with the round or with other voters.
//!
//! Lifecycle: `BallotIssued` (the second half of the round's `BallotCodesIssued`), then at
//! most one `BallotCast`. The round's vote tally is taken from the cast ballots when
//! `allocateByVotes` runs (see `round::RoundCommand::AllocateByVotes`).

mod aggregate;
mod commands;
mod error;
mod events;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use aggregate::Ballot;
pub use commands::{BallotChoice, BallotCommand, RoundForBallot};
pub use error::BallotError;
pub use events::BallotEvent;

/// The most ballot codes one request may issue: a bound on the request's work (each code
/// is a ballot aggregate written by a follow-up). Larger electorates issue in batches.
pub const MAX_BALLOT_CODES_PER_REQUEST: usize = 200;
/// The most applications one ballot may choose (each choice is one vote).
pub const MAX_CHOICES_PER_BALLOT: usize = 5;

/// The SHA-256 hash of a ballot code, as 64 lowercase hex digits. Can't be built in any
/// other shape. It is also the ballot's aggregate id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BallotCodeHash(String);

impl BallotCodeHash {
    pub fn parse(text: &str) -> Result<BallotCodeHash, String> {
        if text.len() == 64
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        {
            Ok(BallotCodeHash(text.to_string()))
        } else {
            Err("a ballot code hash is 64 lowercase hex digits".to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BallotCodeHash {
    type Error = String;
    fn try_from(text: String) -> Result<BallotCodeHash, String> {
        BallotCodeHash::parse(&text)
    }
}

impl From<BallotCodeHash> for String {
    fn from(hash: BallotCodeHash) -> String {
        hash.0
    }
}

impl fmt::Display for BallotCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
