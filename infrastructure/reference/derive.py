#!/usr/bin/env python3
"""Derives the shipped reference geography (england-2019.csv) and the demo's subset
(api/demo/geography.csv) from ../shared/geo. Reproducible: same inputs, same bytes.

    python3 infrastructure/reference/derive.py [SHARED_GEO_DIR]

Output rows, in the reference-geography CSV format of API.md (parents before children):
the country (E92000001 England), the 9 regions, the 317 local authority districts (2019)
under their region, the 7,219 wards (December 2019) under their district, the 32,844 LSOAs
(2011) under their best-fit ward with name, population (mid-2015) and IMD 2019 decile.
A region's, district's, ward's and the country's population is the sum of its LSOAs'
(empty for the 39 wards no LSOA is best-fitted to).
"""
import csv
import gzip
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "geo")
COUNTRY = ("E92000001", "England")
HEADER = ["code", "name", "level", "parent_code", "population", "imd_decile"]
# The demo's local authorities (api/src/demo.rs).
DEMO_LADS = {"E06000002", "E06000009", "E08000012", "E06000010", "E06000023"}
# The demo's LSOAs (IMD decile 1, eight per district), the same since the demo began.
DEMO_LSOAS = set("""
E01012761 E01012778 E01012779 E01012780 E01012781 E01012782 E01012783 E01012785
E01012011 E01012013 E01012015 E01012016 E01012018 E01012019 E01012020 E01012021
E01012670 E01012671 E01012672 E01012673 E01012674 E01012675 E01012678 E01012679
E01014516 E01014517 E01014536 E01014580 E01014581 E01014582 E01014583 E01014584
E01006515 E01006518 E01006540 E01006541 E01006542 E01006544 E01006545 E01006546
""".split())


def rows(name):
    with open(os.path.join(SHARED, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def derive():
    imd = rows("england-lsoa-imd2019.csv")
    lads = {r["code"]: r for r in imd if r["level"] == "lad"}
    lsoas = [r for r in imd if r["level"] == "lsoa"]
    ward_of = {r["lsoa_code"]: r for r in rows("england-lsoa-ward2019.csv")}
    region_of = {r["lad_code"]: r for r in rows("england-lad-region2019.csv")}
    wards = {}
    with open(os.path.join(SHARED, "boundaries", "england-ward2019.geojson"), encoding="utf-8") as f:
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue
            p = json.loads(line)["properties"]
            wards[p["code"]] = (p["name"], p["lad"])
    assert len(lsoas) == 32844 and len(lads) == 317 and len(wards) == 7219
    population = {}

    def add(code, people):
        population[code] = population.get(code, 0) + people

    for lsoa in lsoas:
        people = int(lsoa["population"])
        ward = ward_of[lsoa["code"]]["ward_code"]
        lad = wards[ward][1]
        assert lad == lsoa["parent_code"] == ward_of[lsoa["code"]]["lad_code"]
        for code in (ward, lad, region_of[lad]["region_code"], COUNTRY[0]):
            add(code, people)
    regions = sorted({(r["region_code"], r["region_name"]) for r in region_of.values()})
    assert len(regions) == 9
    out = [[COUNTRY[0], COUNTRY[1], "country", "", population[COUNTRY[0]], ""]]
    out += [[code, name, "region", COUNTRY[0], population[code], ""] for code, name in regions]
    for code in sorted(lads):
        assert int(lads[code]["population"]) == population[code]
        out.append([code, lads[code]["name"], "lad", region_of[code]["region_code"], population[code], ""])
    for code in sorted(wards):
        name, lad = wards[code]
        out.append([code, name, "ward", lad, population.get(code, ""), ""])
    for lsoa in sorted(lsoas, key=lambda r: r["code"]):
        out.append([lsoa["code"], lsoa["name"], "lsoa", ward_of[lsoa["code"]]["ward_code"],
                    lsoa["population"], lsoa["imd_decile"]])
    return out


def demo_subset(out):
    """The demo's areas: its LSOAs, the wards they sit in, their districts, the districts'
    regions and the country, each row exactly as in the full reference."""
    level = {r[0]: r for r in out}

    def lad_of(row):
        while row[2] not in ("lad", "region", "country"):
            row = level[row[3]]
        return row[0] if row[2] == "lad" else None

    lsoas = [r for r in out if r[0] in DEMO_LSOAS]
    assert len(lsoas) == len(DEMO_LSOAS) and {lad_of(r) for r in lsoas} == DEMO_LADS
    wards = sorted({r[3] for r in lsoas})
    regions = sorted({level[lad][3] for lad in DEMO_LADS})
    keep = [COUNTRY[0]] + regions + sorted(DEMO_LADS) + wards
    return [level[code] for code in keep] + lsoas


def write(path, table, gz):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(table)
    data = buffer.getvalue().encode("utf-8")
    if gz:
        # mtime=0 and no file name: the same input gives the same bytes.
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    table = derive()
    write(os.path.join(HERE, "england-2019.csv"), table, gz=False)
    write(os.path.join(ROOT, "api", "demo", "geography.csv"), demo_subset(table), gz=False)
    counts = {}
    for r in table:
        counts[r[2]] = counts.get(r[2], 0) + 1
    print(counts)
