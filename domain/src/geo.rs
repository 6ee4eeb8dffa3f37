//! `GeoCode`: an ONS Government Statistical Service (GSS) code naming an area.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoCodeError {
    #[error("'{0}' is not a GSS code: expected a country letter (E, W, S or N) and 8 digits, e.g. E01000001")]
    Malformed(String),
    #[error("'{0}' has an entity prefix {1} that fundledger does not know")]
    UnknownEntity(String, String),
}

/// The kind of area a code names, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeoLevel {
    /// Lower layer super output area (E01, W01) or Scottish data zone (S01).
    Lsoa,
    /// Middle layer super output area (E02, W02) or intermediate zone (S02).
    Msoa,
    /// Electoral ward or division (E05, W05, S13, N08).
    Ward,
    /// Local authority district: unitary, non-metropolitan, metropolitan, London borough,
    /// county (E06-E10), Welsh (W06), Scottish council area (S12), NI district (N09).
    Lad,
    /// Region (E12).
    Region,
    /// Country (E92, W92, S92, N92).
    Country,
}

impl GeoLevel {
    pub fn as_str(&self) -> &'static str {
        match self {
            GeoLevel::Lsoa => "lsoa",
            GeoLevel::Msoa => "msoa",
            GeoLevel::Ward => "ward",
            GeoLevel::Lad => "lad",
            GeoLevel::Region => "region",
            GeoLevel::Country => "country",
        }
    }
}

impl FromStr for GeoLevel {
    type Err = String;
    fn from_str(text: &str) -> Result<GeoLevel, String> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "lsoa" => GeoLevel::Lsoa,
            "msoa" => GeoLevel::Msoa,
            "ward" => GeoLevel::Ward,
            "lad" => GeoLevel::Lad,
            "region" => GeoLevel::Region,
            "country" => GeoLevel::Country,
            other => return Err(format!("unknown geography level '{other}'")),
        })
    }
}

/// A well-formed GSS code with a known entity prefix. Stored upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GeoCode(String);

impl GeoCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The entity prefix, e.g. `E01`.
    pub fn entity(&self) -> &str {
        &self.0[..3]
    }

    pub fn level(&self) -> GeoLevel {
        level_of_entity(self.entity()).expect("a GeoCode is only built with a known entity")
    }

    pub fn nation(&self) -> Nation {
        Nation::from_letter(self.0.as_bytes()[0] as char)
            .expect("a GeoCode is only built with a nation's letter")
    }
}

/// The UK nation an area lies in, from the first letter of its code. Each nation publishes
/// its own index of deprivation (England's IMD, the Welsh WIMD, the Scottish SIMD, Northern
/// Ireland's NIMDM), each ranking only its own small areas: a decile of one is never
/// comparable with, or added to, a decile of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

impl Nation {
    /// The nation of a GSS code's first letter (E, W, S or N).
    pub fn from_letter(letter: char) -> Option<Nation> {
        Some(match letter.to_ascii_uppercase() {
            'E' => Nation::England,
            'W' => Nation::Wales,
            'S' => Nation::Scotland,
            'N' => Nation::NorthernIreland,
            _ => return None,
        })
    }
}

fn level_of_entity(entity: &str) -> Option<GeoLevel> {
    Some(match entity {
        "E01" | "W01" | "S01" | "N00" => GeoLevel::Lsoa,
        "E02" | "W02" | "S02" => GeoLevel::Msoa,
        "E05" | "W05" | "S13" | "N08" => GeoLevel::Ward,
        "E06" | "E07" | "E08" | "E09" | "E10" | "W06" | "S12" | "N09" => GeoLevel::Lad,
        "E12" => GeoLevel::Region,
        "E92" | "W92" | "S92" | "N92" => GeoLevel::Country,
        _ => return None,
    })
}

impl FromStr for GeoCode {
    type Err = GeoCodeError;
    fn from_str(text: &str) -> Result<GeoCode, GeoCodeError> {
        let code = text.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        let well_formed = bytes.len() == 9
            && matches!(bytes[0], b'E' | b'W' | b'S' | b'N')
            && bytes[1..].iter().all(u8::is_ascii_digit);
        if !well_formed {
            return Err(GeoCodeError::Malformed(text.to_string()));
        }
        if level_of_entity(&code[..3]).is_none() {
            let entity = code[..3].to_string();
            return Err(GeoCodeError::UnknownEntity(code, entity));
        }
        Ok(GeoCode(code))
    }
}

impl TryFrom<String> for GeoCode {
    type Error = GeoCodeError;
    fn try_from(text: String) -> Result<GeoCode, GeoCodeError> {
        text.parse()
    }
}

impl From<GeoCode> for String {
    fn from(code: GeoCode) -> String {
        code.0
    }
}

impl fmt::Display for GeoCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_entities_of_each_nation() {
        for (code, level) in [
            ("E01033465", GeoLevel::Lsoa),
            ("E02002475", GeoLevel::Msoa),
            ("E05001234", GeoLevel::Ward),
            ("E06000002", GeoLevel::Lad),
            ("E09000030", GeoLevel::Lad),
            ("E12000001", GeoLevel::Region),
            ("W01000001", GeoLevel::Lsoa),
            ("S12000036", GeoLevel::Lad),
        ] {
            assert_eq!(code.parse::<GeoCode>().unwrap().level(), level, "{code}");
        }
        assert_eq!(
            "e01033465".parse::<GeoCode>().unwrap().as_str(),
            "E01033465"
        );
    }

    #[test]
    fn the_first_letter_names_the_nation() {
        for (code, nation) in [
            ("E01033465", Nation::England),
            ("W01000001", Nation::Wales),
            ("S12000036", Nation::Scotland),
            ("N09000001", Nation::NorthernIreland),
        ] {
            assert_eq!(code.parse::<GeoCode>().unwrap().nation(), nation, "{code}");
        }
        assert_eq!(Nation::from_letter('K'), None);
    }

    #[test]
    fn refuses_malformed_and_unknown_codes() {
        assert!(matches!(
            "E0103346".parse::<GeoCode>(),
            Err(GeoCodeError::Malformed(_))
        ));
        assert!(matches!(
            "X01033465".parse::<GeoCode>(),
            Err(GeoCodeError::Malformed(_))
        ));
        assert!(matches!(
            "E0A033465".parse::<GeoCode>(),
            Err(GeoCodeError::Malformed(_))
        ));
        assert!(matches!(
            "E99000001".parse::<GeoCode>(),
            Err(GeoCodeError::UnknownEntity(..))
        ));
    }
}
