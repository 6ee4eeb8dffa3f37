-- Postcodes (issue 15): the lookup from a postcode to the neighbourhood (LSOA) it lies
-- in, loaded from the ONS Postcode Directory by `fundledger import postcodes`. Reference
-- data, like `geography`: never the event log, replaced whole by each import (in one
-- transaction, so a reader sees the old lookup or the new one, never half of each).
-- `postcode` is normalised: upper case, one space before the inward code ("HU1 1AA").
-- `lsoa_code` is the LSOA the directory gives (2011 codes, the reference geography's,
-- when the file has them); `ward_code` and `lad_code` are the directory's own (its
-- latest wards and authorities, which may be newer than the reference geography's: the
-- explorer places a postcode through its LSOA's parents, and keeps these as published).
-- `terminated` is the directory's `doterm` (YYYYMM) for a postcode no longer in use:
-- kept, so a resident who still types an old postcode finds their place.
CREATE TABLE postcodes
(
    postcode   text PRIMARY KEY,
    lsoa_code  text NOT NULL,
    ward_code  text,
    lad_code   text,
    terminated text
) WITHOUT ROWID;

-- One row per import: what was read and what was loaded or skipped, and why.
CREATE TABLE postcode_imports
(
    import_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    source             TEXT    NOT NULL,
    lsoa_column        TEXT    NOT NULL,
    rows_read          INTEGER NOT NULL,
    loaded             INTEGER NOT NULL,
    terminated         INTEGER NOT NULL,
    outside_england    INTEGER NOT NULL,
    without_lsoa       INTEGER NOT NULL,
    malformed          INTEGER NOT NULL,
    repeated           INTEGER NOT NULL
);
