-- Budget lines (issue 11 §3): planned and spent per award × category, as of any date.
-- Written by the projector's fold (projections/src/budget_lines.rs), checked by verify.

-- Each category an award has, keyed without regard to case, with its name as the
-- budget spells it (or, on an award without budget lines, as first reported).
CREATE TABLE rm_budget_categories
(
    award_id     text NOT NULL,
    category_key text NOT NULL,
    category     text NOT NULL,
    PRIMARY KEY (award_id, category_key)
);

-- Daily changes: planned (budget lines set or varied, on their date) and spent (spend
-- reports, on their period's end). Planned or spent as of D = Σ rows with day ≤ D.
CREATE TABLE rm_budget_line_daily
(
    award_id      text   NOT NULL,
    category_key  text   NOT NULL,
    day           text   NOT NULL,
    planned_pence bigint NOT NULL,
    spent_pence   bigint NOT NULL,
    PRIMARY KEY (award_id, category_key, day)
);
