-- Social return (issue 4): outcome proxies per fund and outcome reports per award, written
-- only by the projector in the same transaction as its checkpoint. Shares and quantities
-- are exact decimal text (never floats); the SROI arithmetic is done in Rust
-- (domain::sroi), so SQL only stores and selects them.

-- The current proxy of each (fund, indicator): a later OutcomeProxySet replaces the row.
CREATE TABLE rm_outcome_proxies
(
    fund_id              text   NOT NULL,
    indicator            text   NOT NULL,
    unit                 text   NOT NULL,
    value_per_unit_pence bigint NOT NULL,
    deadweight           text   NOT NULL,
    attribution          text   NOT NULL,
    displacement         text   NOT NULL,
    drop_off             text   NOT NULL,
    duration_years       bigint NOT NULL,
    set_on               text   NOT NULL,
    PRIMARY KEY (fund_id, indicator)
);

-- One row per outcome report (award, indicator, period end, quantity), keyed by the
-- report's id so each report counts exactly once.
CREATE TABLE rm_outcomes
(
    award_id   text NOT NULL,
    report_id  text NOT NULL,
    indicator  text NOT NULL,
    quantity   text NOT NULL,
    period_end text NOT NULL,
    PRIMARY KEY (award_id, report_id)
);
