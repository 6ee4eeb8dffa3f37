//! The boundaries maps are drawn from, carried in the binary (`api/maps/england-*.bin`,
//! made by `api/maps/derive.py`; its docstring gives the format): local authorities
//! (2019), wards (December 2019) and LSOAs (2011), projected to the British National
//! Grid in 10 m units. Each layer is indexed once, on first use (codes and where each
//! area's body lies: no decompression, no parsing of outlines not drawn); an outline is
//! decoded when a map draws it.

use std::collections::HashMap;
use std::sync::OnceLock;

static LADS: &[u8] = include_bytes!("../../../maps/england-lad.bin");
static WARDS: &[u8] = include_bytes!("../../../maps/england-ward.bin");
static LSOAS: &[u8] = include_bytes!("../../../maps/england-lsoa.bin");

const MAGIC: &[u8] = b"FLMAP1\n";
const CODE_LEN: usize = 9;

/// A point in 10 m units: x east, y south (SVG's y runs down).
pub type Point = (i32, i32);

/// One layer: each area's body in the file, and the areas of each local authority.
struct Layer {
    data: &'static [u8],
    bodies: HashMap<&'static str, (usize, usize)>,
    groups: HashMap<&'static str, Vec<&'static str>>,
}

fn index(data: &'static [u8]) -> Layer {
    let mut layer = Layer {
        data,
        bodies: HashMap::new(),
        groups: HashMap::new(),
    };
    if !data.starts_with(MAGIC) {
        return layer;
    }
    let mut at = MAGIC.len() + 4;
    while at + 2 * CODE_LEN + 4 <= data.len() {
        let code = std::str::from_utf8(&data[at..at + CODE_LEN]).unwrap_or("");
        let group = std::str::from_utf8(&data[at + CODE_LEN..at + 2 * CODE_LEN]).unwrap_or("");
        let length_at = at + 2 * CODE_LEN;
        let length = u32::from_le_bytes([
            data[length_at],
            data[length_at + 1],
            data[length_at + 2],
            data[length_at + 3],
        ]) as usize;
        let start = length_at + 4;
        let end = (start + length).min(data.len());
        layer.bodies.insert(code, (start, end));
        layer.groups.entry(group).or_default().push(code);
        at = end;
    }
    layer
}

/// The layer holding areas of `code`'s kind: wards (`E05`), LSOAs (`E01`), else local
/// authorities.
fn layer_of(code: &str) -> &'static Layer {
    static LAD_LAYER: OnceLock<Layer> = OnceLock::new();
    static WARD_LAYER: OnceLock<Layer> = OnceLock::new();
    static LSOA_LAYER: OnceLock<Layer> = OnceLock::new();
    if code.starts_with("E05") {
        WARD_LAYER.get_or_init(|| index(WARDS))
    } else if code.starts_with("E01") {
        LSOA_LAYER.get_or_init(|| index(LSOAS))
    } else {
        LAD_LAYER.get_or_init(|| index(LADS))
    }
}

/// The outline of the area `code` (its rings, outer and holes alike), if the maps have it.
pub fn outline(code: &str) -> Option<Vec<Vec<Point>>> {
    let layer = layer_of(code);
    let &(start, end) = layer.bodies.get(code)?;
    decode(&layer.data[start..end])
}

/// Whether the maps can draw the area `code`.
pub fn has_outline(code: &str) -> bool {
    layer_of(code).bodies.contains_key(code)
}

/// Every local authority's code that the maps can draw.
pub fn local_authorities() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = layer_of("E06").bodies.keys().copied().collect();
    codes.sort_unstable();
    codes
}

fn decode(body: &[u8]) -> Option<Vec<Vec<Point>>> {
    let mut reader = Reader { body, at: 0 };
    let rings = reader.varint()?;
    let mut outline = Vec::with_capacity(rings as usize);
    for _ in 0..rings {
        let count = reader.varint()? as usize;
        let mut ring = Vec::with_capacity(count);
        let (mut x, mut y) = (0i64, 0i64);
        for _ in 0..count {
            x += reader.zigzag()?;
            y += reader.zigzag()?;
            ring.push((i32::try_from(x).ok()?, i32::try_from(y).ok()?));
        }
        outline.push(ring);
    }
    Some(outline)
}

struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.body.get(self.at)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn zigzag(&mut self) -> Option<i64> {
        let value = self.varint()?;
        Some((value >> 1) as i64 ^ -((value & 1) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_is_indexed_whole() {
        assert_eq!(layer_of("E06000001").bodies.len(), 317);
        assert_eq!(layer_of("E05000001").bodies.len(), 7219);
        assert_eq!(layer_of("E01000001").bodies.len(), 32844);
        // Kingston upon Hull's wards and LSOAs are filed under it.
        assert_eq!(layer_of("E05000001").groups["E06000010"].len(), 21);
        assert!(layer_of("E01000001").groups["E06000010"].len() > 150);
    }

    #[test]
    fn an_outline_decodes_to_rings_inside_england() {
        let hull = outline("E06000010").expect("Hull is drawn");
        assert!(!hull.is_empty());
        for &(x, y) in hull.iter().flatten() {
            // Hull: about 508-516 km east, 425-433 km north.
            assert!((50_000..52_500).contains(&x), "{x}");
            assert!((26_000..28_000).contains(&y), "{y}");
        }
        assert!(outline("E01012345").is_some());
        assert!(outline("E99999999").is_none());
    }
}
