-- Budget lines (issue 11 §3); see the PostgreSQL migration. Same tables, SQLite types.
CREATE TABLE rm_budget_categories
(
    award_id     text NOT NULL,
    category_key text NOT NULL,
    category     text NOT NULL,
    PRIMARY KEY (award_id, category_key)
) STRICT;

CREATE TABLE rm_budget_line_daily
(
    award_id      text    NOT NULL,
    category_key  text    NOT NULL,
    day           text    NOT NULL,
    planned_pence integer NOT NULL,
    spent_pence   integer NOT NULL,
    PRIMARY KEY (award_id, category_key, day)
) STRICT;
