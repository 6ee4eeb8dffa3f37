-- A fund's named lists of priority areas (issue 11 §5), written only by the projector in
-- the same transaction as its checkpoint: one row per (fund, list), the current list (a
-- later PriorityAreasDeclared of the same name replaces the row; earlier lists stay in the
-- log). `areas` is the list's codes, sorted, separated by single spaces; the equity view
-- reads it and rolls up through `geography_ancestors` at query time.
CREATE TABLE rm_priority_lists
(
    fund_id     text   NOT NULL,
    list_name   text   NOT NULL,
    areas       text   NOT NULL,
    area_count  bigint NOT NULL,
    declared_on text   NOT NULL,
    PRIMARY KEY (fund_id, list_name)
);
