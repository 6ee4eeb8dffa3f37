//! A fund's named lists of priority areas (issue 11 §5): the neighbourhoods it means to
//! reach (e.g. "doubly disadvantaged" areas, 'left behind' wards), a list name → area codes
//! of any level. Whether each code is in the reference geography is checked by the ledger
//! before the command (the domain does no IO); here the list's shape is checked.

use std::collections::BTreeSet;

use crate::fund::FundError;
use crate::GeoCode;

/// The longest list name accepted, in characters.
pub const MAX_PRIORITY_LIST_NAME_CHARS: usize = 100;
/// The most areas one list may hold (England has 32,844 LSOAs; a list of every LSOA of a
/// few deciles stays below this, and it bounds one event's size).
pub const MAX_PRIORITY_AREAS: usize = 20_000;

/// The list as it is recorded: the name trimmed, the codes sorted and each once.
pub(crate) fn checked_priority_list(
    list_name: &str,
    areas: &[GeoCode],
) -> Result<(String, Vec<GeoCode>), FundError> {
    let list_name = list_name.trim().to_string();
    if list_name.is_empty() {
        return Err(FundError::MissingField("list_name"));
    }
    let chars = list_name.chars().count();
    if chars > MAX_PRIORITY_LIST_NAME_CHARS {
        return Err(FundError::TooLong {
            field: "list_name",
            chars,
            max: MAX_PRIORITY_LIST_NAME_CHARS,
        });
    }
    let areas: BTreeSet<GeoCode> = areas.iter().cloned().collect();
    if areas.is_empty() {
        return Err(FundError::MissingField("areas"));
    }
    if areas.len() > MAX_PRIORITY_AREAS {
        return Err(FundError::TooManyPriorityAreas {
            count: areas.len(),
            max: MAX_PRIORITY_AREAS,
        });
    }
    Ok((list_name, areas.into_iter().collect()))
}
