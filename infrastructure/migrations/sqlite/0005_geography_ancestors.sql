-- Every area of the reference geography paired with itself (depth 0) and each of its
-- ancestors (depth = steps up), so a roll-up to any area is one indexed join instead of
-- a recursive walk per query. Derived from `geography` only: `upsert_areas` rewrites it
-- in the transaction that imports areas, and `fundledger verify` recomputes and compares
-- it. Walks stop at depth 8 so a cycle in imported parent links cannot loop.
CREATE TABLE geography_ancestors
(
    ancestor text     NOT NULL,
    code     text     NOT NULL,
    depth    smallint NOT NULL,
    PRIMARY KEY (ancestor, code)
) WITHOUT ROWID;
CREATE INDEX geography_ancestors_code ON geography_ancestors (code);

WITH RECURSIVE up(code, ancestor, depth) AS (
    SELECT code, code, 0 FROM geography
    UNION ALL
    SELECT up.code, g.parent_code, up.depth + 1
      FROM up JOIN geography g ON g.code = up.ancestor
     WHERE g.parent_code IS NOT NULL AND up.depth < 8)
INSERT INTO geography_ancestors (ancestor, code, depth)
SELECT ancestor, code, min(depth) FROM up GROUP BY ancestor, code ORDER BY ancestor, code;

-- One row per geography import. Public answers that depend on the geography (names,
-- parents, roll-ups) are kept by the server's public query cache only until the next
-- import, which does not move the event-log position; it also dates each change.
CREATE TABLE geography_imports
(
    import_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    areas       INTEGER NOT NULL
);
