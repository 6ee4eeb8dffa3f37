//! Maps drawn on the server as SVG: no tiles, no script, no request to another site.
//! `svg(label, areas)` draws the given areas (local authorities, wards or LSOAs, by GSS
//! code) from the boundaries carried in the binary (`boundaries.rs`), each a link when it
//! has an `href` (keyboard reachable, named by the area's name), filled by its
//! `fill_class` (a CSS class: the place chooser's plain areas today; a choropleth's
//! classes later), with the ONS attribution under the map. The outlines are re-quantised
//! to the drawn extent (about `DETAIL` steps across), so a map of England and a map of one
//! ward's neighbourhoods weigh about the same; neighbours share their vertices, so
//! re-quantising leaves no gap between them. The SVG scales with its `viewBox`: it fits any
//! width down to 320 px.

pub mod boundaries;

use std::fmt::Write as _;

use maud::{html, Markup, PreEscaped};

use boundaries::Point;

/// About how many steps across the drawn extent outlines are rounded to.
pub const DETAIL: i32 = 700;
/// The lines shown under every map drawn from the ONS boundaries.
pub const ATTRIBUTION: [&str; 2] = [
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
    "Contains OS data \u{a9} Crown copyright and database right 2019",
];

/// One area on a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapArea {
    /// The GSS code: which outline to draw.
    pub code: String,
    /// The area's name: the link's accessible name and tooltip.
    pub name: String,
    /// Where choosing the area leads; empty: drawn, not a link.
    pub href: String,
    /// The CSS class of its fill (`fl-map__area` when nothing else is meant).
    pub fill_class: String,
}

/// The map of `areas` (those the boundaries have; the others are left out), named
/// `label` for assistive technology, with the attribution under it. Nothing when no area
/// can be drawn.
pub fn svg(label: &str, areas: &[MapArea]) -> Markup {
    let outlines: Vec<(&MapArea, Vec<Vec<Point>>)> = areas
        .iter()
        .filter_map(|area| Some((area, boundaries::outline(&area.code)?)))
        .collect();
    let Some(frame) = Frame::around(
        outlines
            .iter()
            .flat_map(|(_, rings)| rings.iter().flatten()),
    ) else {
        return html! {};
    };
    let view_box = format!("-2 -2 {} {}", frame.width + 4, frame.height + 4);
    html! {
        div class="fl-map" {
            svg class="fl-map__svg" viewBox=(view_box) role="group" aria-label=(label)
                xmlns="http://www.w3.org/2000/svg" {
                @for (area, rings) in &outlines {
                    @let d = frame.path(rings);
                    @if area.href.is_empty() {
                        path class=(area.fill_class) d=(d) fill-rule="evenodd" {
                            title { (area.name) }
                        }
                    } @else {
                        a href=(area.href) aria-label=(area.name) class="fl-map__link" {
                            title { (area.name) }
                            path class=(area.fill_class) d=(d) fill-rule="evenodd" {}
                        }
                    }
                }
            }
            (attribution())
        }
    }
}

/// The attribution lines, for under a map (`svg` adds them).
pub fn attribution() -> Markup {
    html! {
        p class="govuk-body-s fl-map__attribution" {
            (ATTRIBUTION[0]) br; (ATTRIBUTION[1])
        }
    }
}

/// Where the drawn extent lies and the step outlines are rounded to.
struct Frame {
    min_x: i32,
    min_y: i32,
    step: i32,
    width: i32,
    height: i32,
}

impl Frame {
    fn around<'a>(points: impl Iterator<Item = &'a Point>) -> Option<Frame> {
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for &(x, y) in points {
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
        if min_x > max_x {
            return None;
        }
        let step = ((max_x - min_x).max(max_y - min_y) / DETAIL).max(1);
        Some(Frame {
            min_x,
            min_y,
            step,
            width: (max_x - min_x) / step + 1,
            height: (max_y - min_y) / step + 1,
        })
    }

    fn snap(&self, (x, y): Point) -> Point {
        let half = self.step / 2;
        (
            (x - self.min_x + half) / self.step,
            (y - self.min_y + half) / self.step,
        )
    }

    /// The SVG path of `rings`: each ring snapped to the step, repeated and collinear
    /// points dropped (neither moves a shared border), rings that collapse left out.
    fn path(&self, rings: &[Vec<Point>]) -> PreEscaped<String> {
        let mut d = String::new();
        for ring in rings {
            let points = simplify(ring.iter().map(|&point| self.snap(point)).collect());
            if points.len() < 3 {
                continue;
            }
            let (mut x, mut y) = points[0];
            let _ = write!(d, "M{x} {y}l");
            for &(next_x, next_y) in &points[1..] {
                let _ = write!(d, "{} {} ", next_x - x, next_y - y);
                (x, y) = (next_x, next_y);
            }
            d.pop();
            d.push('z');
        }
        PreEscaped(d)
    }
}

/// `ring` without repeated points and points on the straight line between their
/// neighbours.
fn simplify(ring: Vec<Point>) -> Vec<Point> {
    let mut points: Vec<Point> = Vec::with_capacity(ring.len());
    for point in ring {
        if points.last() != Some(&point) {
            points.push(point);
        }
    }
    while points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    let count = points.len();
    if count < 3 {
        return points;
    }
    let mut kept = Vec::with_capacity(count);
    for index in 0..count {
        let (ax, ay) = points[(index + count - 1) % count];
        let (bx, by) = points[index];
        let (cx, cy) = points[(index + 1) % count];
        let cross =
            i64::from(bx - ax) * i64::from(cy - ay) - i64::from(by - ay) * i64::from(cx - ax);
        if cross != 0 {
            kept.push(points[index]);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str, name: &str, href: &str) -> MapArea {
        MapArea {
            code: code.to_string(),
            name: name.to_string(),
            href: href.to_string(),
            fill_class: "fl-map__area".to_string(),
        }
    }

    #[test]
    fn a_map_of_england_is_small_and_every_area_is_a_named_link() {
        let areas: Vec<MapArea> = boundaries::local_authorities()
            .into_iter()
            .map(|code| area(code, &format!("Area {code}"), &format!("/x?in={code}")))
            .collect();
        let markup = svg("Map of England", &areas).into_string();
        assert_eq!(markup.matches("<a href=").count(), 317);
        assert!(markup.contains("aria-label=\"Area E06000010\""));
        assert!(markup.contains(ATTRIBUTION[0]));
        assert!(markup.len() < 400_000, "{} bytes", markup.len());
    }

    #[test]
    fn areas_without_an_outline_are_left_out_and_none_draws_nothing() {
        let markup = svg(
            "Map",
            &[area("E06000010", "Hull", ""), area("E99", "Nowhere", "/n")],
        );
        let markup = markup.into_string();
        assert!(markup.contains("<title>Hull</title>"));
        assert!(!markup.contains("Nowhere"));
        assert_eq!(
            svg("Map", &[area("E99", "Nowhere", "/n")]).into_string(),
            ""
        );
    }

    #[test]
    fn collinear_and_repeated_points_are_dropped() {
        let ring = vec![(0, 0), (1, 0), (2, 0), (2, 0), (2, 2), (0, 2), (0, 0)];
        assert_eq!(simplify(ring), vec![(0, 0), (2, 0), (2, 2), (0, 2)]);
        assert_eq!(simplify(vec![(0, 0), (1, 1), (2, 2)]).len(), 0);
    }
}
