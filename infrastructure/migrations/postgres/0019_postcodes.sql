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
);

-- One row per import: what was read and what was loaded or skipped, and why.
CREATE TABLE postcode_imports
(
    import_id          bigserial PRIMARY KEY,
    imported_at        timestamptz NOT NULL DEFAULT now(),
    source             text        NOT NULL,
    lsoa_column        text        NOT NULL,
    rows_read          bigint      NOT NULL,
    loaded             bigint      NOT NULL,
    terminated         bigint      NOT NULL,
    outside_england    bigint      NOT NULL,
    without_lsoa       bigint      NOT NULL,
    malformed          bigint      NOT NULL,
    repeated           bigint      NOT NULL
);
