-- The public home page's latest awards and payments (issue 15): the awards made most
-- recently and the payments recorded most recently, read in the lists' own order from an
-- index rather than by sorting the whole register.
CREATE INDEX rm_awards_awarded_on ON rm_awards (awarded_on, award_id);
CREATE INDEX rm_drawdowns_paid_on ON rm_drawdowns (paid_on, award_id, drawdown_id);
