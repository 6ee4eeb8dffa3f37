//! The reference geography in memory, for finding places by name: built once per import
//! of the geography (`mod.rs` keeps it), searched without the store. Pure: the ranking
//! and the reading of "one place per line" are tested here on hand-made places.

use std::collections::HashMap;

use projections::read::ReferencePlace;

use super::{level_in_words, NameProblem, PlaceMatch};

/// The longest text a search or a line reads (longer is cut): longer than any name.
pub const MAX_QUERY_CHARS: usize = 120;
/// The most lines `resolve` reads.
pub const MAX_LINES: usize = 1_000;

/// One area as the chooser knows it.
#[derive(Debug, Clone)]
pub struct Place {
    pub code: String,
    /// As people read it ("Kingston upon Hull" for "Kingston upon Hull, City of").
    pub name: String,
    /// The geography's level code: `lad`, `ward`, `lsoa`…
    pub level: String,
    pub parent: Option<usize>,
    pub imd_decile: Option<i64>,
    /// `name`, and the geography's own name, normalised (`normalise`).
    key: String,
    official_key: String,
}

/// Every named area, its parent and children, and how many areas share each name.
#[derive(Debug, Default)]
pub struct PlaceIndex {
    pub places: Vec<Place>,
    by_code: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    names: HashMap<String, usize>,
}

/// A name as compared: lower case, `&` as "and", apostrophes dropped, any other
/// punctuation a space, one space between words.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '.' => {}
            '&' => out.push_str(" and "),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A local authority's name as people say it: "Bristol, City of" → "Bristol".
fn readable(name: &str) -> String {
    for suffix in [", City of", ", County of"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    name.to_string()
}

/// How high a level is, for listing larger places first.
pub fn level_order(level: &str) -> u8 {
    match level {
        "country" => 0,
        "region" => 1,
        "lad" => 2,
        "ward" => 3,
        "msoa" => 4,
        "lsoa" => 5,
        _ => 6,
    }
}

/// `word` starts a word of `hay` (both normalised).
fn starts_a_word(hay: &str, word: &str) -> bool {
    hay.starts_with(word)
        || hay
            .match_indices(word)
            .any(|(at, _)| at > 0 && hay.as_bytes()[at - 1] == b' ')
}

impl PlaceIndex {
    pub fn build(records: Vec<ReferencePlace>) -> PlaceIndex {
        let mut index = PlaceIndex::default();
        let mut parents = Vec::with_capacity(records.len());
        for record in records {
            let name = readable(&record.name);
            index
                .by_code
                .insert(record.code.clone(), index.places.len());
            parents.push(record.parent_code);
            index.places.push(Place {
                key: normalise(&name),
                official_key: normalise(&record.name),
                code: record.code,
                name,
                level: record.level,
                parent: None,
                imd_decile: record.imd_decile,
            });
        }
        index.children = vec![Vec::new(); index.places.len()];
        for (at, parent) in parents.into_iter().enumerate() {
            let parent = parent.and_then(|code| index.by_code.get(&code).copied());
            index.places[at].parent = parent;
            if let Some(parent) = parent {
                index.children[parent].push(at);
            }
            *index.names.entry(index.places[at].key.clone()).or_default() += 1;
        }
        index
    }

    pub fn at(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    pub fn place(&self, at: usize) -> &Place {
        &self.places[at]
    }

    /// The place at `at` as other screens read it, with where it is in words.
    pub fn matched(&self, at: usize) -> PlaceMatch {
        let place = &self.places[at];
        PlaceMatch {
            code: place.code.clone(),
            name: place.name.clone(),
            level: level_in_words(&place.level),
            context: self.context(at),
        }
    }

    /// "a ward in Kingston upon Hull", "a neighbourhood in Orchard Park ward, Kingston
    /// upon Hull"; empty for a place with no parent.
    pub fn context(&self, at: usize) -> String {
        let place = &self.places[at];
        let Some(parent) = place.parent else {
            return String::new();
        };
        let parent_place = &self.places[parent];
        let level = level_in_words(&place.level);
        match (parent_place.level.as_str(), parent_place.parent) {
            ("ward", Some(lad)) => format!(
                "a {level} in {} ward, {}",
                parent_place.name, self.places[lad].name
            ),
            ("ward", None) => format!("a {level} in {} ward", parent_place.name),
            _ => format!("a {level} in {}", parent_place.name),
        }
    }

    /// The ancestors of `at`, nearest first.
    pub fn ancestors(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.places[at].parent, |&up| self.places[up].parent).take(16)
    }

    /// The nearest ancestor (or itself) at `level`.
    pub fn ancestor_at(&self, at: usize, level: &str) -> Option<usize> {
        std::iter::once(at)
            .chain(self.ancestors(at))
            .find(|&up| self.places[up].level == level)
    }

    /// The places at `level` below `at` (any depth), by name.
    pub fn descendants_at(&self, at: usize, level: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut stack = vec![at];
        while let Some(next) = stack.pop() {
            for &child in &self.children[next] {
                if self.places[child].level == level {
                    found.push(child);
                } else if level_order(&self.places[child].level) < level_order(level) {
                    stack.push(child);
                }
            }
        }
        found.sort_by(|&a, &b| self.places[a].name.cmp(&self.places[b].name));
        found
    }

    /// Places whose name matches `text`, best first: the exact name, then by level
    /// (larger places first), then names starting with it, then a word of the name,
    /// then every word of `text` starting a word of the name or of a larger place it is
    /// in ("orchard park hull"). Only places `wanted` keeps; at most `limit`.
    pub fn search(&self, text: &str, limit: usize, wanted: impl Fn(&Place) -> bool) -> Vec<usize> {
        // A search is a place's name: longer text is cut, so no query costs more than one.
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let query = normalise(&text);
        if query.is_empty() {
            return Vec::new();
        }
        let words: Vec<&str> = query.split(' ').collect();
        let mut ranked: Vec<(bool, u8, u8, usize)> = Vec::new();
        for (at, place) in self.places.iter().enumerate() {
            let rank = if place.key == query || place.official_key == query {
                0
            } else if place.key.starts_with(&query) {
                1
            } else if starts_a_word(&place.key, &query) {
                2
            } else if words.len() > 1 && self.every_word_in(at, &words) {
                3
            } else {
                continue;
            };
            if wanted(place) {
                ranked.push((rank != 0, level_order(&place.level), rank, at));
            }
        }
        ranked.sort_by(|a, b| {
            (a.0, a.1, a.2)
                .cmp(&(b.0, b.1, b.2))
                .then_with(|| self.places[a.3].name.cmp(&self.places[b.3].name))
        });
        ranked.into_iter().take(limit).map(|(.., at)| at).collect()
    }

    fn every_word_in(&self, at: usize, words: &[&str]) -> bool {
        words.iter().all(|word| {
            std::iter::once(at)
                .chain(self.ancestors(at))
                .any(|up| starts_a_word(&self.places[up].key, word))
        })
    }

    /// The places `line` names exactly: its name (any case or punctuation), a code, or
    /// "Name, Parent" where Parent is the name of a place it is in (its parent first) or
    /// its level in words ("Leeds, local authority").
    pub fn named(&self, line: &str) -> Vec<usize> {
        if let Some(at) = self.at(line.trim()) {
            return vec![at];
        }
        let exact = self.exactly(&normalise(line));
        if exact.len() == 1 {
            return exact;
        }
        for (comma, _) in line
            .match_indices(',')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            let name = normalise(&line[..comma]);
            let parent = normalise(&line[comma + 1..]);
            if name.is_empty() || parent.is_empty() {
                continue;
            }
            let same = self.exactly(&name);
            let by_parent: Vec<usize> = same
                .iter()
                .copied()
                .filter(|&at| {
                    self.places[at]
                        .parent
                        .is_some_and(|up| self.is_called(up, &parent))
                        || normalise(&level_in_words(&self.places[at].level)) == parent
                })
                .collect();
            if by_parent.len() == 1 {
                return by_parent;
            }
            let by_ancestor: Vec<usize> = same
                .into_iter()
                .filter(|&at| self.ancestors(at).any(|up| self.is_called(up, &parent)))
                .collect();
            if !by_ancestor.is_empty() {
                return by_ancestor;
            }
            if !by_parent.is_empty() {
                return by_parent;
            }
        }
        exact
    }

    fn is_called(&self, at: usize, key: &str) -> bool {
        self.places[at].key == key || self.places[at].official_key == key
    }

    fn exactly(&self, key: &str) -> Vec<usize> {
        if key.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<usize> = (0..self.places.len())
            .filter(|&at| self.is_called(at, key))
            .collect();
        found.sort_by_key(|&at| (level_order(&self.places[at].level), self.context(at)));
        found
    }

    /// How to write the place at `at` so that it names it alone: its name, or "Name,
    /// Parent" when others share the name.
    pub fn written(&self, at: usize) -> String {
        let place = &self.places[at];
        match (
            self.names.get(&place.key).copied().unwrap_or(0),
            place.parent,
        ) {
            (count, Some(parent)) if count > 1 => {
                format!("{}, {}", place.name, self.places[parent].name)
            }
            _ => place.name.clone(),
        }
    }

    /// Each line (blank ones skipped) as exactly one place, or the lines that are not.
    pub fn resolve(&self, lines: &[String]) -> Result<Vec<PlaceMatch>, Vec<NameProblem>> {
        let mut found = Vec::new();
        let mut problems = Vec::new();
        let lines: Vec<&str> = lines
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .collect();
        if lines.len() > MAX_LINES {
            return Err(vec![NameProblem {
                line: String::new(),
                message: format!(
                    "Write at most {MAX_LINES} places, one per line (there are {}): a larger place (a local authority or region) covers many",
                    lines.len()
                ),
                candidates: Vec::new(),
            }]);
        }
        for line in lines {
            let line: String = line.chars().take(MAX_QUERY_CHARS).collect();
            let line = line.as_str();
            let named = self.named(line);
            match named.as_slice() {
                [one] => found.push(self.matched(*one)),
                [] => problems.push(self.unknown(line)),
                many => problems.push(self.ambiguous(line, many)),
            }
        }
        if problems.is_empty() {
            Ok(found)
        } else {
            Err(problems)
        }
    }

    fn unknown(&self, line: &str) -> NameProblem {
        let mut suggestions = self.search(line, 5, |_| true);
        if suggestions.is_empty() {
            // A misspelt word among others: what its longest other word finds.
            let query = normalise(line);
            let mut words: Vec<&str> = query.split(' ').filter(|word| word.len() >= 3).collect();
            words.sort_by_key(|word| std::cmp::Reverse(word.len()));
            suggestions = words
                .into_iter()
                .map(|word| self.search(word, 5, |_| true))
                .find(|found| !found.is_empty())
                .unwrap_or_default();
        }
        let message = if suggestions.is_empty() {
            format!("No place is called \u{201c}{line}\u{201d}: check the spelling")
        } else {
            format!(
                "No place is called \u{201c}{line}\u{201d}. Did you mean {}?",
                self.either(&suggestions, "or")
            )
        };
        NameProblem {
            line: line.to_string(),
            message,
            candidates: suggestions.into_iter().map(|at| self.matched(at)).collect(),
        }
    }

    fn ambiguous(&self, line: &str, many: &[usize]) -> NameProblem {
        let shown = &many[..many.len().min(12)];
        NameProblem {
            line: line.to_string(),
            message: format!(
                "{} places are called \u{201c}{line}\u{201d}: write the one you mean as {}",
                many.len(),
                self.either(shown, "or")
            ),
            candidates: shown.iter().map(|&at| self.matched(at)).collect(),
        }
    }

    /// "“A”, “B” or “C”" of the places' written forms.
    fn either(&self, places: &[usize], word: &str) -> String {
        let quoted: Vec<String> = places
            .iter()
            .map(|&at| format!("\u{201c}{}\u{201d}", self.written(at)))
            .collect();
        match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} {word} {last}", rest.join(", ")),
            Some((last, _)) => last.clone(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(code: &str, name: &str, level: &str, parent: Option<&str>) -> ReferencePlace {
        ReferencePlace {
            code: code.to_string(),
            name: name.to_string(),
            level: level.to_string(),
            parent_code: parent.map(str::to_string),
            imd_decile: (level == "lsoa").then_some(1),
        }
    }

    fn sample() -> PlaceIndex {
        PlaceIndex::build(vec![
            record("E92000001", "England", "country", None),
            record(
                "E12000003",
                "Yorkshire and The Humber",
                "region",
                Some("E92000001"),
            ),
            record("E12000009", "South West", "region", Some("E92000001")),
            record(
                "E06000010",
                "Kingston upon Hull, City of",
                "lad",
                Some("E12000003"),
            ),
            record("E06000014", "York", "lad", Some("E12000003")),
            record("E06000023", "Bristol, City of", "lad", Some("E12000009")),
            record("E05011539", "Orchard Park", "ward", Some("E06000010")),
            record("E05010323", "Hull Road", "ward", Some("E06000014")),
            record("E05000001", "Castle", "ward", Some("E06000014")),
            record("E05000002", "Castle", "ward", Some("E06000023")),
            record("E05000003", "St Mary's", "ward", Some("E06000023")),
            record(
                "E01012345",
                "Kingston upon Hull 001A",
                "lsoa",
                Some("E05011539"),
            ),
            record(
                "E01012346",
                "Kingston upon Hull 001B",
                "lsoa",
                Some("E05011539"),
            ),
            record("E01014500", "Bristol 002C", "lsoa", Some("E05000002")),
        ])
    }

    fn codes(index: &PlaceIndex, found: &[usize]) -> Vec<String> {
        found
            .iter()
            .map(|&at| index.place(at).code.clone())
            .collect()
    }

    #[test]
    fn hull_finds_kingston_upon_hull_first_then_wards_then_neighbourhoods() {
        let index = sample();
        let found = codes(&index, &index.search("hull", 10, |_| true));
        assert_eq!(
            found,
            ["E06000010", "E05010323", "E01012345", "E01012346"],
            "the district, the ward starting with the word, then its LSOAs"
        );
        let hull = index.matched(index.at("E06000010").unwrap());
        assert_eq!(hull.name, "Kingston upon Hull");
        assert_eq!(hull.level, "local authority");
        assert_eq!(
            hull.context,
            "a local authority in Yorkshire and The Humber"
        );
        let lsoa = index.matched(index.at("E01012345").unwrap());
        assert_eq!(
            lsoa.context,
            "a neighbourhood in Orchard Park ward, Kingston upon Hull"
        );
    }

    #[test]
    fn search_ignores_case_and_punctuation_and_ranks_the_exact_name_first() {
        let index = sample();
        assert_eq!(
            codes(&index, &index.search("ST MARYS", 5, |_| true)),
            ["E05000003"]
        );
        assert_eq!(
            codes(&index, &index.search("  york ", 5, |_| true))[0],
            "E06000014"
        );
        assert_eq!(
            codes(&index, &index.search("orchard park, hull", 5, |_| true)),
            ["E05011539", "E01012345", "E01012346"],
            "words of the place's own name or of the places it is in"
        );
        assert_eq!(
            index.search("castle", 5, |place| place.level == "lsoa"),
            Vec::<usize>::new()
        );
        assert!(index.search("", 5, |_| true).is_empty());
        assert!(index.search("zzz", 5, |_| true).is_empty());
        assert_eq!(index.search("hull", 1, |_| true).len(), 1);
    }

    #[test]
    fn one_place_per_line_by_name_or_name_and_parent() {
        let index = sample();
        let lines: Vec<String> = [
            "kingston upon hull",
            "Kingston upon Hull, City of",
            "",
            "Castle, York",
            "castle, bristol",
            "Orchard Park",
            "York, local authority",
        ]
        .map(str::to_string)
        .to_vec();
        let found: Vec<String> = index
            .resolve(&lines)
            .unwrap()
            .into_iter()
            .map(|m| m.code)
            .collect();
        assert_eq!(
            found,
            [
                "E06000010",
                "E06000010",
                "E05000001",
                "E05000002",
                "E05011539",
                "E06000014"
            ]
        );
    }

    #[test]
    fn an_ambiguous_or_unknown_line_says_what_to_write() {
        let index = sample();
        let problems = index
            .resolve(&[
                "Castle".to_string(),
                "Orchard Prak".to_string(),
                "Hull Road".to_string(),
            ])
            .unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, "Castle");
        assert_eq!(
            problems[0].message,
            "2 places are called \u{201c}Castle\u{201d}: write the one you mean as \
             \u{201c}Castle, Bristol\u{201d} or \u{201c}Castle, York\u{201d}"
        );
        assert_eq!(problems[0].candidates.len(), 2);
        assert_eq!(problems[1].line, "Orchard Prak");
        assert_eq!(
            problems[1].message,
            "No place is called \u{201c}Orchard Prak\u{201d}. Did you mean \u{201c}Orchard Park\u{201d}?"
        );
        assert_eq!(problems[1].candidates[0].code, "E05011539");
        let nothing = index.resolve(&["Atlantis".to_string()]).unwrap_err();
        assert_eq!(
            nothing[0].message,
            "No place is called \u{201c}Atlantis\u{201d}: check the spelling"
        );
        // The written forms resolve to exactly the place they were written for.
        for candidate in &problems[0].candidates {
            let at = index.at(&candidate.code).unwrap();
            assert_eq!(index.named(&index.written(at)), vec![at]);
        }
    }

    #[test]
    fn descendants_at_a_level_are_found_below_wards() {
        let index = sample();
        let hull = index.at("E06000010").unwrap();
        assert_eq!(
            codes(&index, &index.descendants_at(hull, "lsoa")),
            ["E01012345", "E01012346"]
        );
        let lsoa = index.at("E01014500").unwrap();
        assert_eq!(
            index.place(index.ancestor_at(lsoa, "lad").unwrap()).code,
            "E06000023"
        );
    }

    /// The shipped reference geography (40,390 areas), as a store loaded with it holds it.
    fn england() -> PlaceIndex {
        let areas = infrastructure::reference::england_2019().expect("the shipped geography");
        PlaceIndex::build(
            areas
                .into_iter()
                .map(|area| ReferencePlace {
                    code: area.code.as_str().to_string(),
                    name: area.name,
                    level: area.level.as_str().to_string(),
                    parent_code: area.parent_code.map(|code| code.as_str().to_string()),
                    imd_decile: area.imd_decile.map(i64::from),
                })
                .collect(),
        )
    }

    #[test]
    fn on_the_shipped_geography_names_find_their_places_and_every_written_form_is_unique() {
        let index = england();
        let first = |text: &str| index.matched(index.search(text, 5, |_| true)[0]);
        assert_eq!(first("hull").code, "E06000010");
        let orchard_park = first("orchard park");
        assert_eq!(orchard_park.code, "E05011539");
        assert_eq!(orchard_park.context, "a ward in Kingston upon Hull");
        assert_eq!(
            first("Kingston upon Hull 003A").context,
            "a neighbourhood in Orchard Park ward, Kingston upon Hull"
        );
        assert_eq!(first("BRISTOL").name, "Bristol");

        let castles = index
            .resolve(&["Kingston upon Hull".to_string(), "Castle".to_string()])
            .unwrap_err();
        assert_eq!(castles.len(), 1);
        assert!(
            castles[0].message.starts_with(
                "19 places are called \u{201c}Castle\u{201d}: write the one you mean as"
            ),
            "{}",
            castles[0].message
        );
        // Every place that shares its name with others can be written so that it names
        // itself alone, and that is what the problems suggest.
        let mut shared = 0;
        for at in 0..index.places.len() {
            if index.names[&index.places[at].key] > 1 {
                shared += 1;
                let written = index.written(at);
                assert_eq!(
                    index.named(&written),
                    vec![at],
                    "{written} ({})",
                    index.places[at].code
                );
            }
        }
        assert!(shared > 800, "{shared} places share a name");
    }

    #[test]
    fn long_text_costs_no_more_than_a_name() {
        let index = sample();
        let long = "hull ".repeat(10_000);
        assert_eq!(
            index.search(&long, 5, |_| true),
            index.search(&long[..MAX_QUERY_CHARS], 5, |_| true),
            "only the first {MAX_QUERY_CHARS} characters are read"
        );
        let lines = vec!["Castle, York".to_string(); MAX_LINES + 1];
        let problems = index.resolve(&lines).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.starts_with("Write at most 1000 places"));
        assert_eq!(index.resolve(&lines[..MAX_LINES]).unwrap().len(), MAX_LINES);
    }
}
