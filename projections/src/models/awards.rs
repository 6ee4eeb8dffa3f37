//! Award register and neighbourhood totals (`rm_awards`, `rm_award_themes`): each award
//! (made from an application, or a historic 360Giving grant) with its figures, status,
//! dates and themes. Folds the award's events, and reports what each one moved
//! ([`AwardMoney`]) for the fund position, the round summary and the daily series.

use std::collections::{BTreeMap, BTreeSet};

use domain::award::{AwardEvent, HistoricGrant};
use domain::{Date, Money};
use infrastructure::{Database, LoggedEvent};
use rust_decimal::Decimal;

use super::table::{json_list, load_rows, p, Table};
use crate::check::{compare_maps, d, unknown, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct AwardState {
    pub award_id: String,
    /// `None` for a historic grant (no application, no round, often no GSS area).
    pub application_id: Option<String>,
    pub fund_id: String,
    pub round_id: Option<String>,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub title: String,
    pub neighbourhood: Option<String>,
    pub themes: String,
    pub status: String,
    pub awarded_on: String,
    pub accepted_on: Option<String>,
    pub closed_on: Option<String>,
    pub awarded_pence: i64,
    pub paid_pence: i64,
    pub returned_pence: i64,
    pub spend_reported_pence: i64,
    /// The 360Giving id of a historic grant.
    pub grant_id: Option<String>,
    /// The latest business date of an event that changed what the award's 360Giving
    /// record says ([`publication_date`]).
    pub modified_on: String,
    /// A historic grant's standard fields as the funder published them (JSON object).
    pub published_grant: Option<String>,
}

pub(crate) const AWARD_COLUMNS: &str = "award_id, application_id, fund_id, round_id, recipient_org_id, recipient_name, \
     title, neighbourhood, themes, status, awarded_on, accepted_on, closed_on, awarded_pence, paid_pence, \
     returned_pence, spend_reported_pence, grant_id, modified_on, published_grant";

/// What one award event moved, in pence, on its business day: the award's figures, its
/// fund's (unless `fund_id` is `None`) and, when a closed award is lowered, its round's.
#[derive(Debug, Clone)]
pub(crate) struct AwardMoney {
    pub award_id: String,
    /// The award's fund, when the fund's figures move too (spend reports do not).
    pub fund_id: Option<String>,
    pub day: Date,
    pub awarded: i64,
    pub paid: i64,
    pub returned: i64,
    pub spend: i64,
    /// A closed award counts at what it cost: its round's awarded drops by this much,
    /// counted as given back to the fund, so the round's remaining budget is unchanged.
    pub round_lowered: Option<(String, i64)>,
}

impl AwardMoney {
    fn new(award: &AwardState, day: &Date) -> AwardMoney {
        AwardMoney {
            award_id: award.award_id.clone(),
            fund_id: Some(award.fund_id.clone()),
            day: *day,
            awarded: 0,
            paid: 0,
            returned: 0,
            spend: 0,
            round_lowered: None,
        }
    }

    /// `drop` pence off a closed award's awarded (its fund's and its round's too).
    fn lowered(mut self, award: &AwardState, drop: i64) -> AwardMoney {
        self.awarded -= drop;
        self.round_lowered = award.round_id.clone().map(|round_id| (round_id, drop));
        self
    }
}

/// The business date on which an award event changes what the award's 360Giving record
/// says (its `dateModified`); `None` for events the record does not show (drawdown
/// requests and decisions, spend and outcome reports).
fn publication_date(event: &AwardEvent) -> Option<&Date> {
    match event {
        AwardEvent::AwardMade { awarded_on, .. } => Some(awarded_on),
        AwardEvent::HistoricGrantImported(grant) => Some(&grant.awarded_on),
        AwardEvent::AgreementAccepted { accepted_on, .. } => Some(accepted_on),
        AwardEvent::PaymentRecorded { paid_on, .. } => Some(paid_on),
        AwardEvent::AwardVaried { varied_on, .. } => Some(varied_on),
        AwardEvent::MoneyReturned { returned_on, .. } => Some(returned_on),
        AwardEvent::AwardClosed { closed_on, .. } => Some(closed_on),
        AwardEvent::DrawdownRequested { .. }
        | AwardEvent::DrawdownApproved { .. }
        | AwardEvent::DrawdownRejected { .. }
        | AwardEvent::SpendReported { .. }
        | AwardEvent::OutcomeReported { .. } => None,
    }
}

/// The award rows of a batch, and the (award, theme) pairs it adds.
#[derive(Default)]
pub(crate) struct Awards {
    table: Table<String, AwardState>,
    new_themes: BTreeSet<(String, String)>,
}

impl Awards {
    pub(crate) fn for_rebuild() -> Awards {
        Awards {
            table: Table::for_rebuild(),
            ..Awards::default()
        }
    }

    /// Loads `award_ids`, adding their funds to `fund_ids` and, for awards in
    /// `closing_awards` (whose awarded may drop), their rounds to `round_ids`.
    pub(crate) async fn load(
        &mut self,
        db: &Database,
        award_ids: &BTreeSet<String>,
        closing_awards: &BTreeSet<String>,
        fund_ids: &mut BTreeSet<String>,
        round_ids: &mut BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        for row in
            load_rows::<AwardState>(db, "rm_awards", AWARD_COLUMNS, "award_id", award_ids).await?
        {
            fund_ids.insert(row.fund_id.clone());
            if let Some(round_id) = row.round_id.as_ref() {
                if closing_awards.contains(&row.award_id) {
                    round_ids.insert(round_id.clone());
                }
            }
            self.table.rows.insert(row.award_id.clone(), row);
        }
        Ok(())
    }

    fn award_mut(&mut self, event: &LoggedEvent) -> Result<&mut AwardState, ProjectionError> {
        self.table.row_mut(event, "award", &event.aggregate_id)
    }

    /// Folds one of an award's events; gives what it moved.
    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        award_event: &AwardEvent,
    ) -> Result<Option<AwardMoney>, ProjectionError> {
        let award_id = event.aggregate_id.clone();
        let money = match award_event {
            AwardEvent::AwardMade { .. } | AwardEvent::HistoricGrantImported(_) => {
                let (row, themes, money) = new_award(award_id.clone(), award_event);
                for theme in themes {
                    self.new_themes.insert((award_id.clone(), theme.clone()));
                }
                self.table.insert(award_id, row);
                Some(money)
            }
            _ => self.change(event, award_event)?,
        };
        if let Some(day) = publication_date(award_event) {
            let day = day.to_string();
            let award = self.award_mut(event)?;
            // The latest date, not the last event's: business dates may be entered late.
            if day > award.modified_on {
                award.modified_on = day;
            }
        }
        Ok(money)
    }

    /// Folds an event of an award the batch holds.
    fn change(
        &mut self,
        event: &LoggedEvent,
        award_event: &AwardEvent,
    ) -> Result<Option<AwardMoney>, ProjectionError> {
        let money = match award_event {
            AwardEvent::AgreementAccepted { accepted_on } => {
                let award = self.award_mut(event)?;
                award.status = "active".into();
                award.accepted_on = Some(accepted_on.to_string());
                return Ok(None);
            }
            AwardEvent::DrawdownRequested { .. } => {
                self.award_mut(event)?;
                return Ok(None);
            }
            AwardEvent::PaymentRecorded {
                amount, paid_on, ..
            } => {
                let award = self.award_mut(event)?;
                award.paid_pence += p(amount);
                AwardMoney {
                    paid: p(amount),
                    ..AwardMoney::new(award, paid_on)
                }
            }
            AwardEvent::AwardVaried {
                old_amount,
                new_amount,
                varied_on,
                ..
            } => {
                let change = p(new_amount) - p(old_amount);
                let award = self.award_mut(event)?;
                award.awarded_pence += change;
                AwardMoney {
                    awarded: change,
                    ..AwardMoney::new(award, varied_on)
                }
            }
            AwardEvent::MoneyReturned {
                amount,
                returned_on,
                ..
            } => self.returned(event, amount, returned_on)?,
            AwardEvent::SpendReported {
                total, period_end, ..
            } => {
                let award = self.award_mut(event)?;
                award.spend_reported_pence += p(total);
                AwardMoney {
                    fund_id: None,
                    spend: p(total),
                    ..AwardMoney::new(award, period_end)
                }
            }
            AwardEvent::AwardClosed {
                closed_on,
                final_amount,
                ..
            } => self.closed(event, closed_on, final_amount.as_ref())?,
            _ => return Ok(None),
        };
        Ok(Some(money))
    }

    /// Money returned; after the close it also lowers what the award cost.
    fn returned(
        &mut self,
        event: &LoggedEvent,
        amount: &Money,
        returned_on: &Date,
    ) -> Result<AwardMoney, ProjectionError> {
        let award = self.award_mut(event)?;
        award.returned_pence += p(amount);
        let money = AwardMoney {
            returned: p(amount),
            ..AwardMoney::new(award, returned_on)
        };
        if award.status != "closed" {
            return Ok(money);
        }
        award.awarded_pence -= p(amount);
        Ok(money.lowered(award, p(amount)))
    }

    /// A closed award counts at what it cost.
    fn closed(
        &mut self,
        event: &LoggedEvent,
        closed_on: &Date,
        final_amount: Option<&Money>,
    ) -> Result<AwardMoney, ProjectionError> {
        let award = self.award_mut(event)?;
        award.status = "closed".into();
        award.closed_on = Some(closed_on.to_string());
        // A close stored before it recorded its figures: what the award cost.
        let cost = final_amount
            .map(p)
            .unwrap_or(award.paid_pence - award.returned_pence);
        let drop = award.awarded_pence - cost;
        award.awarded_pence -= drop;
        Ok(AwardMoney::new(award, closed_on).lowered(award, drop))
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let awards: Vec<&AwardState> = self.table.changed();
        upsert(
            statements,
            writer,
            "rm_awards",
            AWARD_COLUMNS,
            "award_id",
            OnConflict::Replace,
            &awards,
            |row| {
                vec![
                    Field::Text(&row.award_id),
                    Field::OptText(row.application_id.as_deref()),
                    Field::Text(&row.fund_id),
                    Field::OptText(row.round_id.as_deref()),
                    Field::Text(&row.recipient_org_id),
                    Field::Text(&row.recipient_name),
                    Field::Text(&row.title),
                    Field::OptText(row.neighbourhood.as_deref()),
                    Field::Text(&row.themes),
                    Field::Text(&row.status),
                    Field::Text(&row.awarded_on),
                    Field::OptText(row.accepted_on.as_deref()),
                    Field::OptText(row.closed_on.as_deref()),
                    Field::Int(row.awarded_pence),
                    Field::Int(row.paid_pence),
                    Field::Int(row.returned_pence),
                    Field::Int(row.spend_reported_pence),
                    Field::OptText(row.grant_id.as_deref()),
                    Field::Text(&row.modified_on),
                    Field::OptText(row.published_grant.as_deref()),
                ]
            },
        );
    }

    /// `rm_award_themes`: only added, never changed.
    pub(crate) fn write_themes(&self, writer: Writer, statements: &mut impl StatementSink) {
        let themes: Vec<&(String, String)> = self.new_themes.iter().collect();
        upsert(
            statements,
            writer,
            "rm_award_themes",
            "award_id, theme",
            "award_id, theme",
            OnConflict::Ignore,
            &themes,
            |(award, theme)| vec![Field::Text(award), Field::Text(theme)],
        );
    }
}

/// A new award's row, themes and money (`AwardMade` or `HistoricGrantImported`).
fn new_award(award_id: String, event: &AwardEvent) -> (AwardState, &[String], AwardMoney) {
    match event {
        AwardEvent::AwardMade {
            application_id,
            fund_id,
            round_id,
            recipient_org_id,
            recipient_name,
            title,
            neighbourhood,
            themes,
            amount,
            awarded_on,
            ..
        } => {
            let row = AwardState {
                award_id,
                application_id: Some(application_id.to_string()),
                fund_id: fund_id.to_string(),
                round_id: Some(round_id.to_string()),
                recipient_org_id: recipient_org_id.to_string(),
                recipient_name: recipient_name.clone(),
                title: title.clone(),
                neighbourhood: Some(neighbourhood.as_str().to_string()),
                themes: json_list(themes),
                status: "offered".into(),
                awarded_on: awarded_on.to_string(),
                accepted_on: None,
                closed_on: None,
                awarded_pence: p(amount),
                paid_pence: 0,
                returned_pence: 0,
                spend_reported_pence: 0,
                grant_id: None,
                modified_on: awarded_on.to_string(),
                published_grant: None,
            };
            let money = AwardMoney {
                awarded: p(amount),
                ..AwardMoney::new(&row, awarded_on)
            };
            (row, themes, money)
        }
        AwardEvent::HistoricGrantImported(grant) => historic_award(award_id, grant),
        _ => unreachable!("only an award's first event makes its row"),
    }
}

/// A historic grant counts in awarded, and what the publisher says was disbursed in paid,
/// both on the award date (the file gives no payment dates). Never in allocated or
/// available: the money left the funder before the ledger held its capital.
fn historic_award(award_id: String, grant: &HistoricGrant) -> (AwardState, &[String], AwardMoney) {
    let disbursed = grant.disbursed.as_ref().map(p).unwrap_or(0);
    let row = AwardState {
        award_id,
        application_id: None,
        fund_id: grant.fund_id.to_string(),
        round_id: None,
        recipient_org_id: grant.recipient_org_id.to_string(),
        recipient_name: grant.recipient_name.clone(),
        title: grant.title.clone(),
        neighbourhood: grant.neighbourhood.as_ref().map(|code| code.to_string()),
        themes: json_list(&grant.themes),
        status: "historic".into(),
        awarded_on: grant.awarded_on.to_string(),
        accepted_on: None,
        closed_on: None,
        awarded_pence: p(&grant.amount),
        paid_pence: disbursed,
        returned_pence: 0,
        spend_reported_pence: 0,
        grant_id: Some(grant.grant_id.clone()),
        modified_on: grant.awarded_on.to_string(),
        published_grant: grant.published.clone(),
    };
    let money = AwardMoney {
        awarded: p(&grant.amount),
        paid: disbursed,
        ..AwardMoney::new(&row, &grant.awarded_on)
    };
    (row, &grant.themes, money)
}

// ---------------------------------------------------------------- verify

struct AwardFold {
    row: AwardState,
    awarded: Decimal,
    paid: Decimal,
    returned: Decimal,
    spend: Decimal,
}

/// What one award event moved, as `verify` folds it (pounds).
pub(crate) struct ExpectedMove {
    pub fund_id: String,
    /// How a missing fund is named in the report.
    pub fund_label: &'static str,
    pub day: String,
    /// [awarded, paid, returned, spend] of the award; its fund gets the first three.
    pub change: [Decimal; 4],
    /// Whether the fund's figures move (a new award's always do).
    pub touches_fund: bool,
    /// A closed award's drop in awarded, which leaves its round's awarded.
    pub round_lowered: Option<(String, Decimal)>,
}

/// `verify`'s own fold of the award register and its themes.
#[derive(Default)]
pub(crate) struct ExpectedAwards {
    awards: BTreeMap<String, AwardFold>,
    themes: BTreeSet<(String, String)>,
}

/// The date an award event changes the award's published 360Giving record on, if it does
/// (verify's own reading of `rm_awards.modified_on`, apart from the fold's).
fn changes_publication_on(event: &AwardEvent) -> Option<String> {
    let day = match event {
        AwardEvent::AgreementAccepted { accepted_on, .. } => accepted_on,
        AwardEvent::PaymentRecorded { paid_on, .. } => paid_on,
        AwardEvent::AwardVaried { varied_on, .. } => varied_on,
        AwardEvent::MoneyReturned { returned_on, .. } => returned_on,
        AwardEvent::AwardClosed { closed_on, .. } => closed_on,
        // Made or imported: the row starts at its award date.
        _ => return None,
    };
    Some(day.to_string())
}

impl ExpectedAwards {
    pub(crate) fn knows(&self, award_id: &str) -> bool {
        self.awards.contains_key(award_id)
    }

    /// Folds one of award `id`'s events; gives what it moved.
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &AwardEvent,
    ) -> Option<ExpectedMove> {
        match event {
            AwardEvent::AwardMade { .. } => Some(self.made(id, event)),
            AwardEvent::HistoricGrantImported(grant) => {
                Some(self.imported(report, position, id, grant))
            }
            _ => {
                let Some(award) = self.awards.get_mut(id) else {
                    unknown(report, position, "award", id);
                    return None;
                };
                if let Some(day) = changes_publication_on(event) {
                    award.row.modified_on = award.row.modified_on.clone().max(day);
                }
                award.changed(report, position, id, event)
            }
        }
    }

    fn made(&mut self, id: &str, event: &AwardEvent) -> ExpectedMove {
        let AwardEvent::AwardMade {
            application_id,
            fund_id,
            round_id,
            recipient_org_id,
            recipient_name,
            title,
            neighbourhood,
            themes,
            amount,
            awarded_on,
            ..
        } = event
        else {
            unreachable!("called for AwardMade")
        };
        for theme in themes {
            self.themes.insert((id.to_string(), theme.clone()));
        }
        let row = AwardState {
            award_id: id.to_string(),
            application_id: Some(application_id.to_string()),
            fund_id: fund_id.to_string(),
            round_id: Some(round_id.to_string()),
            recipient_org_id: recipient_org_id.to_string(),
            recipient_name: recipient_name.clone(),
            title: title.clone(),
            neighbourhood: Some(neighbourhood.as_str().to_string()),
            themes: serde_json::to_string(themes).unwrap_or_default(),
            status: "offered".into(),
            awarded_on: awarded_on.to_string(),
            accepted_on: None,
            closed_on: None,
            awarded_pence: 0,
            paid_pence: 0,
            returned_pence: 0,
            spend_reported_pence: 0,
            grant_id: None,
            modified_on: awarded_on.to_string(),
            published_grant: None,
        };
        let change = [d(amount), Decimal::ZERO, Decimal::ZERO, Decimal::ZERO];
        self.awards
            .insert(id.to_string(), AwardFold::new(row, change));
        ExpectedMove {
            fund_id: fund_id.to_string(),
            fund_label: "fund of award",
            day: awarded_on.to_string(),
            change,
            touches_fund: true,
            round_lowered: None,
        }
    }

    /// Awarded and paid, never allocated or available (see `historic_award`).
    fn imported(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        grant: &HistoricGrant,
    ) -> ExpectedMove {
        let awarded = d(&grant.amount);
        let paid = grant.disbursed.as_ref().map(d).unwrap_or(Decimal::ZERO);
        if paid > awarded {
            report.mismatch(format!(
                "event at position {position}: historic award {id} carries disbursed {paid} above its {awarded}"
            ));
        }
        for theme in &grant.themes {
            self.themes.insert((id.to_string(), theme.clone()));
        }
        let row = AwardState {
            award_id: id.to_string(),
            application_id: None,
            fund_id: grant.fund_id.to_string(),
            round_id: None,
            recipient_org_id: grant.recipient_org_id.to_string(),
            recipient_name: grant.recipient_name.clone(),
            title: grant.title.clone(),
            neighbourhood: grant.neighbourhood.as_ref().map(|code| code.to_string()),
            themes: serde_json::to_string(&grant.themes).unwrap_or_default(),
            status: "historic".into(),
            awarded_on: grant.awarded_on.to_string(),
            accepted_on: None,
            closed_on: None,
            awarded_pence: 0,
            paid_pence: 0,
            returned_pence: 0,
            spend_reported_pence: 0,
            grant_id: Some(grant.grant_id.clone()),
            modified_on: grant.awarded_on.to_string(),
            published_grant: grant.published.clone(),
        };
        let change = [awarded, paid, Decimal::ZERO, Decimal::ZERO];
        self.awards
            .insert(id.to_string(), AwardFold::new(row, change));
        ExpectedMove {
            fund_id: grant.fund_id.to_string(),
            fund_label: "fund of historic award",
            day: grant.awarded_on.to_string(),
            change,
            touches_fund: true,
            round_lowered: None,
        }
    }

    /// Compares `rm_awards` and `rm_award_themes` with the fold.
    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let awards: Vec<AwardState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {AWARD_COLUMNS} FROM rm_awards"
        ))
        .fetch_all(pool)
        .await?);
        let want: BTreeMap<String, AwardState> = self
            .awards
            .iter()
            .map(|(id, award)| (id.clone(), award.figures()))
            .collect();
        let have = awards
            .into_iter()
            .map(|row| (row.award_id.clone(), row))
            .collect();
        compare_maps(
            report,
            "rm_awards (award register, neighbourhood totals)",
            &want,
            &have,
        );
        let themes: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(
            "SELECT award_id, theme FROM rm_award_themes"
        )
        .fetch_all(pool)
        .await?);
        let want: BTreeMap<(String, String), ()> =
            self.themes.iter().map(|key| (key.clone(), ())).collect();
        let have = themes.into_iter().map(|key| (key, ())).collect();
        compare_maps(report, "rm_award_themes", &want, &have);
        Ok(())
    }
}

impl AwardFold {
    fn new(row: AwardState, change: [Decimal; 4]) -> AwardFold {
        AwardFold {
            row,
            awarded: change[0],
            paid: change[1],
            returned: change[2],
            spend: change[3],
        }
    }

    /// The row the fold gives, its figures in pence.
    fn figures(&self) -> AwardState {
        let mut row = self.row.clone();
        row.awarded_pence = to_pence(self.awarded);
        row.paid_pence = to_pence(self.paid);
        row.returned_pence = to_pence(self.returned);
        row.spend_reported_pence = to_pence(self.spend);
        row
    }

    /// Folds an event of this (known) award; gives what it moved, if anything.
    fn changed(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &AwardEvent,
    ) -> Option<ExpectedMove> {
        let zero = Decimal::ZERO;
        let mut round_lowered = None;
        let (day, change) = match event {
            AwardEvent::AgreementAccepted { accepted_on } => {
                self.row.status = "active".into();
                self.row.accepted_on = Some(accepted_on.to_string());
                return None;
            }
            AwardEvent::PaymentRecorded {
                amount,
                paid_on,
                paid_total,
                ..
            } => {
                if self.paid + d(amount) != d(paid_total) {
                    report.mismatch(format!(
                        "event at position {position}: award {id} paid folds to {} but the event carries {}",
                        self.paid + d(amount),
                        d(paid_total)
                    ));
                }
                (paid_on, [zero, d(amount), zero, zero])
            }
            AwardEvent::AwardVaried {
                old_amount,
                new_amount,
                varied_on,
                ..
            } => (varied_on, [d(new_amount) - d(old_amount), zero, zero, zero]),
            AwardEvent::MoneyReturned { .. } => {
                let (day, change, lowered) = self.fold_return(report, position, id, event);
                round_lowered = lowered;
                (day, change)
            }
            AwardEvent::SpendReported {
                total, period_end, ..
            } => (period_end, [zero, zero, zero, d(total)]),
            AwardEvent::AwardClosed { .. } => {
                let (day, change, lowered) = self.fold_close(report, position, id, event);
                round_lowered = lowered;
                (day, change)
            }
            _ => return None,
        };
        self.awarded += change[0];
        self.paid += change[1];
        self.returned += change[2];
        self.spend += change[3];
        Some(ExpectedMove {
            fund_id: self.row.fund_id.clone(),
            fund_label: "fund of award",
            day: day.to_string(),
            change,
            touches_fund: change[..3].iter().any(|amount| !amount.is_zero()),
            round_lowered,
        })
    }

    /// A closed award's drop in awarded, for its round (if it has one).
    fn lowered_round(&self, drop: Decimal) -> Option<(String, Decimal)> {
        self.row.round_id.clone().map(|round_id| (round_id, drop))
    }

    fn fold_return<'e>(
        &self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &'e AwardEvent,
    ) -> (&'e Date, [Decimal; 4], Option<(String, Decimal)>) {
        let AwardEvent::MoneyReturned {
            amount,
            returned_on,
            returned_total,
            ..
        } = event
        else {
            unreachable!("called for MoneyReturned")
        };
        if self.returned + d(amount) != d(returned_total) {
            report.mismatch(format!(
                "event at position {position}: award {id} returned folds to {} but the event carries {}",
                self.returned + d(amount),
                d(returned_total)
            ));
        }
        // After the close the award counts at what it cost, which this lowers.
        let drop = if self.row.status == "closed" {
            d(amount)
        } else {
            Decimal::ZERO
        };
        let change = [-drop, Decimal::ZERO, d(amount), Decimal::ZERO];
        (returned_on, change, self.lowered_round(drop))
    }

    fn fold_close<'e>(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &'e AwardEvent,
    ) -> (&'e Date, [Decimal; 4], Option<(String, Decimal)>) {
        let AwardEvent::AwardClosed {
            closed_on,
            released,
            final_amount,
        } = event
        else {
            unreachable!("called for AwardClosed")
        };
        self.row.status = "closed".into();
        self.row.closed_on = Some(closed_on.to_string());
        // Undrawn goes back to the fund; the award counts at what it cost.
        let undrawn = self.awarded - self.paid;
        let cost = self.paid - self.returned;
        for (name, carried, folded) in [
            ("released", released, undrawn),
            ("final amount", final_amount, cost),
        ] {
            if let Some(carried) = carried.as_ref().filter(|carried| d(carried) != folded) {
                report.mismatch(format!(
                    "event at position {position}: award {id} close {name} folds to {folded} but the event carries {}",
                    d(carried)
                ));
            }
        }
        let drop = self.awarded - cost;
        let change = [-drop, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO];
        (closed_on, change, self.lowered_round(drop))
    }
}
