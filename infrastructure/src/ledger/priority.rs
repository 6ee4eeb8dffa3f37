//! `declare_priority_areas`: a fund's named list of priority areas, each code checked
//! against the reference geography before the fund records it.

use domain::fund::FundCommand;
use domain::{FundId, GeoCode};

use super::error::from_command;
use super::{Ledger, LedgerError, Outcome, Request};

/// How many unknown codes a refusal names (the rest are counted).
const UNKNOWN_CODES_SHOWN: usize = 10;

/// Input of `declare_priority_areas`.
#[derive(Debug, Clone)]
pub struct DeclarePriorityAreas {
    pub fund_id: FundId,
    pub list_name: String,
    pub areas: Vec<GeoCode>,
}

impl Ledger {
    /// Declares (or replaces, from today) the fund's list `list_name`. Every code must be
    /// an area of the reference geography: a code it does not know could never be
    /// counted, so the whole list is refused, naming the unknown codes.
    pub async fn declare_priority_areas(
        &self,
        request: &Request,
        input: DeclarePriorityAreas,
    ) -> Result<Outcome<FundId>, LedgerError> {
        let unknown = self.unknown_areas(&input.areas).await?;
        if !unknown.is_empty() {
            let shown: Vec<&str> = unknown
                .iter()
                .take(UNKNOWN_CODES_SHOWN)
                .map(String::as_str)
                .collect();
            let more = unknown.len().saturating_sub(UNKNOWN_CODES_SHOWN);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            return Err(LedgerError::BadInput(format!(
                "areas: {} not in the reference geography{tail}",
                shown.join(", ")
            )));
        }
        let command = FundCommand::DeclarePriorityAreas {
            list_name: input.list_name,
            areas: input.areas,
            declared_on: request.today,
        };
        let committed = self
            .funds
            .execute_existing(input.fund_id.as_str(), command, &request.command, "fund")
            .await
            .map_err(|error| from_command(error, LedgerError::Fund))?;
        Ok(Outcome {
            value: input.fund_id,
            position: committed.position,
        })
    }

    /// The codes among `areas` the geography does not know, sorted, each once.
    async fn unknown_areas(&self, areas: &[GeoCode]) -> Result<Vec<String>, LedgerError> {
        let mut wanted: Vec<&str> = areas.iter().map(GeoCode::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let known = self.database.known_area_codes(&wanted).await?;
        Ok(wanted
            .into_iter()
            .filter(|code| !known.contains(*code))
            .map(str::to_string)
            .collect())
    }
}
