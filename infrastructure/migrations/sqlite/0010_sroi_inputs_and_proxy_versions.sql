-- Social return by the guide (issue 11 §2), written only by the projector in the same
-- transaction as its checkpoint. Amounts in pence; shares exact decimal text.

-- Inputs recorded against an award (InputRecorded): match funding, in-kind contributions
-- and volunteer time, valued in pence. Part of the social return's investment.
CREATE TABLE rm_award_inputs
(
    award_id       text    NOT NULL,
    input_id       text    NOT NULL,
    kind           text    NOT NULL,
    value_pence    integer NOT NULL,
    description    text    NOT NULL,
    contributed_on text    NOT NULL,
    recorded_by    text    NOT NULL,
    PRIMARY KEY (award_id, input_id)
) STRICT;

-- Every version of every outcome proxy (OutcomeProxySet), never replaced: an outcome is
-- valued with the version in force on its date. sequence is the event's sequence in its
-- fund's stream (orders versions with the same effective date).
CREATE TABLE rm_outcome_proxy_versions
(
    fund_id              text    NOT NULL,
    indicator            text    NOT NULL,
    sequence             integer NOT NULL,
    effective_from       text    NOT NULL,
    set_on               text    NOT NULL,
    unit                 text    NOT NULL,
    value_per_unit_pence integer NOT NULL,
    deadweight           text    NOT NULL,
    attribution          text    NOT NULL,
    displacement         text    NOT NULL,
    drop_off             text    NOT NULL,
    duration_years       integer NOT NULL,
    PRIMARY KEY (fund_id, indicator, sequence)
) STRICT;

-- Proxies projected before versions were kept: each fund's current proxy carries over as
-- one version (sequence 0, in force from the day it was set), so figures stay as they
-- were. `fundledger rebuild` replaces them with every version from the events;
-- `fundledger verify` names the carried-over rows until then.
INSERT INTO rm_outcome_proxy_versions
    (fund_id, indicator, sequence, effective_from, set_on, unit, value_per_unit_pence,
     deadweight, attribution, displacement, drop_off, duration_years)
SELECT fund_id, indicator, 0, set_on, set_on, unit, value_per_unit_pence,
       deadweight, attribution, displacement, drop_off, duration_years
  FROM rm_outcome_proxies;
