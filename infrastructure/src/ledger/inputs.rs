//! Recording an award's inputs (match funding, in-kind contributions, volunteer time): the
//! social return's investment beyond the money the fund paid.

use domain::award::{
    AwardCommand, AwardError, InputKind, InputRecorder, RecordInput, MAX_INPUT_DESCRIPTION_CHARS,
};
use domain::{AwardId, Date, Money};

use super::{Ledger, Outcome, Request};
use crate::LedgerError;

/// The input of `record_input`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInput {
    pub award_id: AwardId,
    /// The recipient (checked against the award) or an officer.
    pub by: InputRecorder,
    pub kind: InputKind,
    pub value: Money,
    pub description: String,
    pub contributed_on: Date,
}

impl Ledger {
    /// Records one input against an award; the input's id is made from the request.
    pub async fn record_input(
        &self,
        request: &Request,
        input: NewInput,
    ) -> Result<Outcome<AwardId>, LedgerError> {
        // The limit is on the words the person wrote; sealing lengthens them.
        let chars = input.description.trim().chars().count();
        if chars > MAX_INPUT_DESCRIPTION_CHARS {
            return Err(LedgerError::Award(AwardError::InputDescriptionTooLong {
                chars,
                max: MAX_INPUT_DESCRIPTION_CHARS,
            }));
        }
        let command = AwardCommand::RecordInput(RecordInput {
            by: input.by,
            input_id: request.new_id("INP"),
            kind: input.kind,
            value: input.value,
            description: self.sealed(request, &input.description).await?,
            contributed_on: input.contributed_on,
            today: request.today,
        });
        self.on_award(request, &input.award_id, command).await
    }
}
