-- Every parent link of the reference geography: the primary parent
-- (`geography.parent_code`, the one an area's `parent` shows) and any other a lookup gives
-- (an LSOA in its ward and, where known, its MSOA; both in one local authority). The
-- import keeps it (an imported area's links are replaced by the file's), and
-- `geography_ancestors` is walked over these links: an ancestor reached by two paths is
-- still one row, so a roll-up counts each award once at every level.
CREATE TABLE geography_parents
(
    code        text NOT NULL,
    parent_code text NOT NULL,
    PRIMARY KEY (code, parent_code)
);
CREATE INDEX geography_parents_parent ON geography_parents (parent_code);

INSERT INTO geography_parents (code, parent_code)
SELECT code, parent_code FROM geography WHERE parent_code IS NOT NULL;
