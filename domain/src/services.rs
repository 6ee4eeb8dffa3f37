//! The domain's one door to the outside: the reference geography, injected as
//! `Aggregate::Services` so eligibility rules stay pure and testable.

use crate::GeoCode;

/// Knows which areas contain which. Implementations hold the reference geography in memory
/// (infrastructure loads it from the store), so lookups are synchronous and cheap.
pub trait Geography: Send + Sync {
    /// Every ancestor of `code` in the reference geography, nearest first (an LSOA's ward or
    /// MSOA, then its local authority, then its region…). Empty for an unknown code.
    fn ancestors(&self, code: &GeoCode) -> Vec<GeoCode>;

    /// Whether `area` lies in any of `eligible`: it is listed itself, or one of its ancestors
    /// is. An empty list means "anywhere".
    fn is_within_any(&self, area: &GeoCode, eligible: &[GeoCode]) -> bool {
        if eligible.is_empty() || eligible.contains(area) {
            return true;
        }
        self.ancestors(area)
            .iter()
            .any(|ancestor| eligible.contains(ancestor))
    }
}

/// A geography that knows no hierarchy: an area is only within itself. For tests and for
/// aggregates that never ask.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGeography;

impl Geography for NoGeography {
    fn ancestors(&self, _code: &GeoCode) -> Vec<GeoCode> {
        Vec::new()
    }
}
