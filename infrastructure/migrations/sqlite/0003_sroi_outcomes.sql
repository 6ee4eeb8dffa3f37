-- Social return (issue 4); see the PostgreSQL migration. Same tables, SQLite types.

CREATE TABLE rm_outcome_proxies
(
    fund_id              text    NOT NULL,
    indicator            text    NOT NULL,
    unit                 text    NOT NULL,
    value_per_unit_pence integer NOT NULL,
    deadweight           text    NOT NULL,
    attribution          text    NOT NULL,
    displacement         text    NOT NULL,
    drop_off             text    NOT NULL,
    duration_years       integer NOT NULL,
    set_on               text    NOT NULL,
    PRIMARY KEY (fund_id, indicator)
) STRICT;

CREATE TABLE rm_outcomes
(
    award_id   text NOT NULL,
    report_id  text NOT NULL,
    indicator  text NOT NULL,
    quantity   text NOT NULL,
    period_end text NOT NULL,
    PRIMARY KEY (award_id, report_id)
) STRICT;
