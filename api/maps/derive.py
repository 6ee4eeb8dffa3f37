#!/usr/bin/env python3
"""Derives the boundaries the screens draw maps from (api/maps/england-*.bin) from
../shared/geo/boundaries. Python 3 standard library only; reproducible: same inputs,
same bytes.

    python3 api/maps/derive.py [SHARED_GEO_DIR]

Each layer (local authorities 2019, wards December 2019, LSOAs 2011) becomes one file:
the outlines projected to the British National Grid's transverse Mercator (on the Airy
ellipsoid, without the datum shift: at most ~120 m off, a uniform shift on a map),
quantised to 10 m units, each ring's points delta-encoded as zigzag varints. The format
(read by api/src/web/maps/boundaries.rs):

    b"FLMAP1\\n", u32 LE count of areas, then per area (sorted by group, then code):
    code (9 ASCII bytes), group (9 ASCII bytes: the area's local authority; a local
    authority's own code), u32 LE length of the body, body: varint number of rings, per
    ring varint number of points, the first point's x, y (zigzag varints), then each
    next point's dx, dy. x = easting / 10 m, y = (700 km - northing) / 10 m (SVG's y
    runs down). Rings are not closed (the last point is not the first again); outer
    rings and holes alike (draw with fill-rule evenodd).
"""
import csv
import json
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "geo")
UNIT_M = 10.0
NORTH_TOP_M = 700_000.0

# British National Grid: Airy 1830 ellipsoid, true origin 49°N 2°W.
A, B = 6377563.396, 6356256.909
F0 = 0.9996012717
LAT0, LON0 = math.radians(49.0), math.radians(-2.0)
E0, N0 = 400_000.0, -100_000.0
E2 = 1 - (B * B) / (A * A)
N_ = (A - B) / (A + B)


def meridional_arc(lat):
    n, n2, n3 = N_, N_ * N_, N_ ** 3
    d, s = lat - LAT0, lat + LAT0
    return B * F0 * (
        (1 + n + 1.25 * n2 + 1.25 * n3) * d
        - (3 * n + 3 * n2 + 2.625 * n3) * math.sin(d) * math.cos(s)
        + (1.875 * n2 + 1.875 * n3) * math.sin(2 * d) * math.cos(2 * s)
        - (35 / 24) * n3 * math.sin(3 * d) * math.cos(3 * s)
    )


def project(lon_deg, lat_deg):
    """(easting, northing) in metres (Ordnance Survey's formulae)."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    sin, cos, tan = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = A * F0 / math.sqrt(1 - E2 * sin * sin)
    rho = A * F0 * (1 - E2) / (1 - E2 * sin * sin) ** 1.5
    eta2 = nu / rho - 1
    m = meridional_arc(lat)
    i = m + N0
    ii = nu / 2 * sin * cos
    iii = nu / 24 * sin * cos ** 3 * (5 - tan ** 2 + 9 * eta2)
    iiia = nu / 720 * sin * cos ** 5 * (61 - 58 * tan ** 2 + tan ** 4)
    iv = nu * cos
    v = nu / 6 * cos ** 3 * (nu / rho - tan ** 2)
    vi = nu / 120 * cos ** 5 * (5 - 18 * tan ** 2 + tan ** 4 + 14 * eta2 - 58 * tan ** 2 * eta2)
    dl = lon - LON0
    north = i + ii * dl ** 2 + iii * dl ** 4 + iiia * dl ** 6
    east = E0 + iv * dl + v * dl ** 3 + vi * dl ** 5
    return east, north


def varint(value, out):
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def zigzag(value):
    return value * 2 if value >= 0 else -value * 2 - 1


def ring_points(ring):
    points = []
    for lon, lat in ring[:-1] if ring[0] == ring[-1] else ring:
        east, north = project(lon, lat)
        point = (round(east / UNIT_M), round((NORTH_TOP_M - north) / UNIT_M))
        if not points or points[-1] != point:
            points.append(point)
    while len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return points if len(points) >= 3 else None


def encode(geometry):
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    rings = [p for polygon in polygons for ring in polygon if (p := ring_points(ring))]
    body = bytearray()
    varint(len(rings), body)
    for points in rings:
        varint(len(points), body)
        last = (0, 0)
        for x, y in points:
            varint(zigzag(x - last[0]), body)
            varint(zigzag(y - last[1]), body)
            last = (x, y)
    return bytes(body), sum(len(r) for r in rings)


def features(name):
    with open(os.path.join(SHARED, "boundaries", name), encoding="utf-8") as f:
        for line in f:
            line = line.strip().rstrip(",")
            if line.startswith('{"type":"Feature"'):
                yield json.loads(line)


def layer(name, group_of):
    areas = []
    points = 0
    for feature in features(name):
        code = feature["properties"]["code"]
        body, count = encode(feature["geometry"])
        points += count
        areas.append((group_of(feature["properties"]), code, body))
    areas.sort()
    out = bytearray(b"FLMAP1\n")
    out += struct.pack("<I", len(areas))
    for group, code, body in areas:
        assert len(code) == 9 and len(group) == 9
        out += code.encode("ascii") + group.encode("ascii") + struct.pack("<I", len(body)) + body
    return bytes(out), len(areas), points


def main():
    with open(os.path.join(SHARED, "england-lsoa-ward2019.csv"), newline="", encoding="utf-8") as f:
        lad_of_lsoa = {r["lsoa_code"]: r["lad_code"] for r in csv.DictReader(f)}
    layers = [
        ("england-lad2019.geojson", "england-lad.bin", lambda p: p["code"]),
        ("england-ward2019.geojson", "england-ward.bin", lambda p: p["lad"]),
        ("england-lsoa2011.geojson", "england-lsoa.bin", lambda p: lad_of_lsoa[p["code"]]),
    ]
    for source, target, group_of in layers:
        data, count, points = layer(source, group_of)
        with open(os.path.join(HERE, target), "wb") as f:
            f.write(data)
        print(f"{target}: {count} areas, {points} points, {len(data)} bytes")


if __name__ == "__main__":
    main()
