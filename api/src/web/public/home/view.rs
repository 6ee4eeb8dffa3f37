//! What the home page's address asks for: the whole of England or one local authority
//! (`in`), its wards or its neighbourhoods (`level`), awarded or disbursed (`show`), as
//! of a day (`asOf`); and the page's one address for each choice (defaults left out, so
//! every view has one URL and one cache entry).

use super::super::choropleth::Measure;
use super::super::frame::{self, PageQuery};

/// The smaller areas a local authority's map is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Electoral wards.
    #[default]
    Ward,
    /// Lower layer super output areas: neighbourhoods of about 1,500 people.
    Lsoa,
}

impl Level {
    fn from_query(value: Option<&String>) -> Level {
        match value.map(String::as_str) {
            Some("lsoa") => Level::Lsoa,
            _ => Level::Ward,
        }
    }

    /// GraphQL's `GeoLevel`.
    pub fn as_graphql(self) -> &'static str {
        match self {
            Level::Ward => "WARD",
            Level::Lsoa => "LSOA",
        }
    }

    /// "wards" / "neighbourhoods", in a sentence.
    pub fn plural(self) -> &'static str {
        match self {
            Level::Ward => "wards",
            Level::Lsoa => "neighbourhoods",
        }
    }

    /// "ward" / "neighbourhood", in a sentence.
    pub fn singular(self) -> &'static str {
        match self {
            Level::Ward => "ward",
            Level::Lsoa => "neighbourhood",
        }
    }
}

/// One view of the home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The local authority zoomed into (its GSS code); `None`: all of England.
    pub within: Option<String>,
    pub level: Level,
    pub measure: Measure,
    pub as_of: Option<domain::Date>,
}

impl View {
    /// The view `query` asks for; `None` when its zoom names no well-formed local
    /// authority code (the page then answers as for an address that names nothing).
    pub fn from_query(query: &PageQuery) -> Option<View> {
        let within = match query.get("in").map(|code| code.trim()) {
            None | Some("") => None,
            Some(code) => match code.parse::<domain::GeoCode>() {
                Ok(parsed) if parsed.level() == domain::GeoLevel::Lad => {
                    Some(parsed.as_str().to_string())
                }
                _ => return None,
            },
        };
        Some(View {
            within,
            level: Level::from_query(query.get("level")),
            measure: Measure::from_query(query.get("show")),
            as_of: None,
        })
    }

    /// The same view with its figures as of `as_of`.
    pub fn on(self, as_of: Option<domain::Date>) -> View {
        View { as_of, ..self }
    }

    /// This view's address, as of `as_of` (the as-of form's own path takes `None`).
    pub fn href(&self, as_of: Option<domain::Date>) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(code) = &self.within {
            parts.push(format!("in={code}"));
            if self.level == Level::Lsoa {
                parts.push("level=lsoa".into());
            }
        }
        if self.measure == Measure::Disbursed {
            parts.push("show=disbursed".into());
        }
        let path = if parts.is_empty() {
            "/".to_string()
        } else {
            format!("/?{}", parts.join("&"))
        };
        frame::with_as_of(&path, as_of)
    }

    /// This view's address at its own as-of day.
    pub fn link(&self) -> String {
        self.href(self.as_of)
    }

    /// The same view showing `measure`.
    pub fn showing(&self, measure: Measure) -> View {
        View {
            measure,
            ..self.clone()
        }
    }

    /// The same view of `within` (None: England) at `level`.
    pub fn zoomed(&self, within: Option<&str>, level: Level) -> View {
        View {
            within: within.map(str::to_string),
            level,
            ..self.clone()
        }
    }

    /// A public page's address (`/areas/…`, `/awards/…`) at this view's as-of day.
    pub fn page(&self, path: &str) -> String {
        frame::with_as_of(path, self.as_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> PageQuery {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn every_view_has_one_address_with_defaults_left_out() {
        let england = View::from_query(&query(&[("show", "awarded")])).unwrap();
        assert_eq!(england.href(None), "/");
        let hull = View::from_query(&query(&[
            ("in", "E06000010"),
            ("level", "lsoa"),
            ("show", "disbursed"),
        ]))
        .unwrap();
        assert_eq!(hull.href(None), "/?in=E06000010&level=lsoa&show=disbursed");
        let day: domain::Date = "2025-03-31".parse().unwrap();
        assert_eq!(
            hull.on(Some(day)).link(),
            "/?in=E06000010&level=lsoa&show=disbursed&asOf=2025-03-31"
        );
        // Neighbourhoods are a zoomed view's choice only.
        let lsoa = View::from_query(&query(&[("level", "lsoa")])).unwrap();
        assert_eq!(lsoa.href(None), "/");
    }

    #[test]
    fn a_zoom_must_name_a_local_authority() {
        assert!(View::from_query(&query(&[("in", "E05011525")])).is_none());
        assert!(View::from_query(&query(&[("in", "<script>")])).is_none());
        assert!(View::from_query(&query(&[("in", "")]))
            .unwrap()
            .within
            .is_none());
    }
}
