-- The shipped reference geography's load into this store: a row is written before its
-- first area and marked complete after its last, so a load cut short (a crash, kill -9,
-- a full disk) is finished on the next start instead of leaving a partial geography that
-- looks like a user's own.
CREATE TABLE reference_geography_loads
(
    vintage   TEXT    NOT NULL PRIMARY KEY,
    completed BOOLEAN NOT NULL DEFAULT FALSE
);
