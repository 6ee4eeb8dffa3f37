-- Closing an award now gives its undrawn money back to the fund (issue 11): the process
-- manager completes each `AwardClosed` with the fund's `ReleaseRoundBudget`, keyed
-- `award-close:{award}`. Awards closed before this version were passed by the process
-- manager before that step existed, so its checkpoint is forgotten: at the next start it
-- reads the log again from the beginning, completing the missing releases (every step is
-- keyed by the first half's id and idempotent, so steps already done write nothing).
DELETE FROM log_checkpoints WHERE reader = 'process_manager';
