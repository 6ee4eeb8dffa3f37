//! `fundledger import 360giving`: a funder's published grants, recorded as historic
//! awards. Idempotent by grant id: each grant is written under the idempotency key
//! `import/360giving:{grant id}` on an award whose id is derived from the grant id, so a
//! re-import finds its keys and writes nothing. Grants are written in batches, each batch
//! one transaction (a bulk import costs one commit per batch, not per grant); an import
//! stopped half-way is completed by running it again.

use std::collections::HashMap;

use domain::award::{AwardCommand, AwardError, HistoricGrant};
use domain::fund::FundEvent;
use domain::{AwardId, Date, FundId, Money, OrgId};
use sha2::{Digest, Sha256};

use super::{Ledger, LedgerError, Request};
use crate::database::{Database, StoreError};
use crate::event_store::{BatchError, CommandContext};
use crate::import::giving360::ImportedGrant;

/// Grants written per transaction.
pub const IMPORT_BATCH_GRANTS: usize = 1_000;
/// The actor recorded on imported events; idempotency keys are scoped to it.
pub const IMPORT_ACTOR: &str = "import";

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub grants_in_file: usize,
    /// Grants written by this run.
    pub imported: usize,
    /// Grants an earlier import had written (same grant id, same figures).
    pub already_present: usize,
    /// Funds established for funders that had none, with their names.
    pub funds_created: Vec<(FundId, String)>,
    /// Every fund the file's grants belong to.
    pub funds: Vec<FundId>,
    /// Σ amounts of the grants written by this run.
    pub imported_amount: Money,
    /// Σ amounts of every grant in the file.
    pub file_amount: Money,
    /// The global position of the last event written (0 if none), for read-your-writes.
    pub position: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} grant(s) were imported before with other figures ({}); a historic grant is not changed by importing it again, so nothing was imported", .0.len(), list(.0))]
    Changed(Vec<String>),
    #[error("grant {grant} was refused: {error}; nothing from this batch was imported")]
    Rejected { grant: String, error: AwardError },
    #[error("another import wrote some of these grants at the same time; run the import again (it skips what is there)")]
    Concurrent,
    #[error("grant {grant}: awardDate {awarded_on} is after the ledger's business date {today} (today in Europe/London); a grant can't be history before it is made, so nothing was imported")]
    AwardedAfterToday {
        grant: String,
        awarded_on: Date,
        today: Date,
    },
    #[error("the file's amounts add up to more than the ledger can hold")]
    Overflow,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(grants: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = grants
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if grants.len() > SHOWN {
        text.push_str(&format!(" and {} more", grants.len() - SHOWN));
    }
    text
}

/// The award a historic grant is recorded on: derived from the 360Giving id (which may
/// hold any characters), so importing it again names the same award.
pub fn historic_award_id(grant_id: &str) -> AwardId {
    let digest = hex::encode(Sha256::digest(format!("360giving:{grant_id}").as_bytes()));
    AwardId::new(format!("AW-H-{}", digest[..16].to_uppercase()))
}

fn grant_key(grant: &ImportedGrant) -> String {
    format!("360giving:{}", grant.grant_id)
}

/// A digest of the grant as the file gave it, its published standard fields included: a
/// re-import with any field changed is told apart.
fn request_hash(grant: &ImportedGrant) -> String {
    let mut canonical = serde_json::to_string(grant).expect("a grant serializes");
    if let Some(published) = &grant.published {
        canonical.push('\n');
        canonical.push_str(published);
    }
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The digest an import made before the published fields were kept: of the ledger's own
/// fields only. Such a grant is present (and published from those fields) when they are
/// unchanged; a change to them is still told apart.
fn legacy_request_hash(grant: &ImportedGrant) -> String {
    let canonical = serde_json::to_string(grant).expect("a grant serializes");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

impl Ledger {
    /// Records checked 360Giving grants (see `import::giving360::read_file`) as historic
    /// awards. Each grant goes to the fund whose `funderOrgId` is its funder's id (the
    /// earliest established, if several); a funder without one gets a fund established
    /// through `establish_fund`, keyed by its org id so a re-run names the same fund.
    /// Nothing is written if any grant was imported before with other figures.
    pub async fn import_historic_grants(
        &self,
        grants: &[ImportedGrant],
        today: Date,
    ) -> Result<ImportSummary, ImportError> {
        let keys: Vec<String> = grants
            .iter()
            .map(|grant| format!("{IMPORT_ACTOR}/{}", grant_key(grant)))
            .collect();
        let hashes: Vec<String> = grants.iter().map(request_hash).collect();
        let known = self.database.find_keys(&keys).await?;
        let (new, file_amount) = new_grants(grants, &keys, &hashes, &known, today)?;
        let funders = self.funds_for_funders(grants, today).await?;
        let mut imported = 0;
        let mut imported_amount = Money::ZERO;
        let mut position = 0;
        for batch in new.chunks(IMPORT_BATCH_GRANTS) {
            position = self
                .write_grants(grants, batch, &hashes, &funders.by_funder)
                .await?;
            for &index in batch {
                imported += 1;
                imported_amount = imported_amount
                    .checked_add(grants[index].amount)
                    .ok_or(ImportError::Overflow)?;
            }
        }
        Ok(ImportSummary {
            grants_in_file: grants.len(),
            imported,
            already_present: grants.len() - new.len(),
            funds_created: funders.created,
            funds: funders.used,
            imported_amount,
            file_amount,
            position,
        })
    }

    /// The fund of each grant's funder, establishing one for a funder that has none.
    async fn funds_for_funders(
        &self,
        grants: &[ImportedGrant],
        today: Date,
    ) -> Result<FunderFunds, ImportError> {
        let mut funds = funds_by_funder(&self.database).await?;
        let mut funds_created = Vec::new();
        let mut used = Vec::new();
        for grant in grants {
            let fund_id = match funds.get(&grant.funder_org_id) {
                Some(fund_id) => fund_id.clone(),
                None => {
                    let name = format!("{} (360Giving history)", grant.funder_name);
                    let request = Request::new(IMPORT_ACTOR, today).with_key(
                        Some(format!("360giving-fund:{}", grant.funder_org_id)),
                        &grant.funder_org_id,
                    );
                    let outcome = self
                        .establish_fund(&request, &name, &grant.funder_org_id, &grant.funder_name)
                        .await?;
                    funds.insert(grant.funder_org_id.clone(), outcome.value.clone());
                    funds_created.push((outcome.value.clone(), name));
                    outcome.value
                }
            };
            if !used.contains(&fund_id) {
                used.push(fund_id);
            }
        }
        Ok(FunderFunds {
            by_funder: funds,
            created: funds_created,
            used,
        })
    }

    /// Writes one batch of new grants (indices into `grants`) in one transaction; returns
    /// the position of its last event.
    async fn write_grants(
        &self,
        grants: &[ImportedGrant],
        batch: &[usize],
        hashes: &[String],
        funds: &HashMap<OrgId, FundId>,
    ) -> Result<i64, ImportError> {
        let commands = batch
            .iter()
            .map(|&index| {
                let grant = &grants[index];
                let award_id = historic_award_id(&grant.grant_id);
                let command = AwardCommand::ImportHistoricGrant(HistoricGrant {
                    award_id: award_id.clone(),
                    fund_id: funds[&grant.funder_org_id].clone(),
                    grant_id: grant.grant_id.clone(),
                    recipient_org_id: grant.recipient_org_id.clone(),
                    recipient_name: grant.recipient_name.clone(),
                    title: grant.title.clone(),
                    neighbourhood: grant.neighbourhood.clone(),
                    themes: grant.themes.clone(),
                    amount: grant.amount,
                    disbursed: grant.disbursed,
                    awarded_on: grant.awarded_on,
                    published: grant.published.clone(),
                });
                let context = CommandContext::by(IMPORT_ACTOR)
                    .with_key(Some(grant_key(grant)), hashes[index].clone());
                (award_id.to_string(), command, context)
            })
            .collect();
        let (_, last) = self
            .awards
            .execute_new_batch(commands)
            .await
            .map_err(|error| batch_error(error, grants, batch))?;
        Ok(last)
    }
}

/// The funds an import's grants go to.
struct FunderFunds {
    /// The fund of each funder org id.
    by_funder: HashMap<OrgId, FundId>,
    /// Funds established by this import, with their names.
    created: Vec<(FundId, String)>,
    /// Every fund the grants belong to, in the file's order.
    used: Vec<FundId>,
}

/// The indices of the grants not imported before, and Σ amounts of every grant in the
/// file. Refuses a grant dated after `today`, and (naming them all) any grant imported
/// before with other figures.
fn new_grants(
    grants: &[ImportedGrant],
    keys: &[String],
    hashes: &[String],
    known: &HashMap<String, String>,
    today: Date,
) -> Result<(Vec<usize>, Money), ImportError> {
    let mut changed = Vec::new();
    let mut new = Vec::new();
    let mut file_amount = Money::ZERO;
    for (index, grant) in grants.iter().enumerate() {
        if grant.awarded_on > today {
            return Err(ImportError::AwardedAfterToday {
                grant: grant.grant_id.clone(),
                awarded_on: grant.awarded_on,
                today,
            });
        }
        file_amount = file_amount
            .checked_add(grant.amount)
            .ok_or(ImportError::Overflow)?;
        match known.get(&keys[index]) {
            Some(hash) if *hash == hashes[index] || *hash == legacy_request_hash(grant) => {}
            Some(_) => changed.push(grant.grant_id.clone()),
            None => new.push(index),
        }
    }
    if !changed.is_empty() {
        return Err(ImportError::Changed(changed));
    }
    Ok((new, file_amount))
}

/// A batch's failure, naming the grant (not its award id) when one was refused.
fn batch_error(
    error: BatchError<AwardError>,
    grants: &[ImportedGrant],
    batch: &[usize],
) -> ImportError {
    match error {
        BatchError::Rejected {
            aggregate_id,
            error,
        } => ImportError::Rejected {
            grant: batch
                .iter()
                .map(|&index| &grants[index])
                .find(|grant| historic_award_id(&grant.grant_id).as_str() == aggregate_id)
                .map(|grant| grant.grant_id.clone())
                .unwrap_or(aggregate_id),
            error,
        },
        BatchError::Exists => ImportError::Concurrent,
        BatchError::Store(error) => ImportError::Store(error),
    }
}

/// The earliest established fund of each funder org id, from the log itself (the read
/// models may lag behind it).
async fn funds_by_funder(database: &Database) -> Result<HashMap<OrgId, FundId>, StoreError> {
    let payloads: Vec<String> = match database {
        Database::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT payload::text FROM events
                  WHERE aggregate_type = 'Fund' AND event_type = 'FundEstablished'
                  ORDER BY position",
            )
            .fetch_all(pool)
            .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_scalar(
                "SELECT payload FROM events
                  WHERE aggregate_type = 'Fund' AND event_type = 'FundEstablished'
                  ORDER BY position",
            )
            .fetch_all(pool)
            .await?
        }
    };
    let mut funds = HashMap::new();
    for payload in payloads {
        match serde_json::from_str::<FundEvent>(&payload) {
            Ok(FundEvent::FundEstablished {
                fund_id,
                funder_org_id,
                ..
            }) => {
                funds.entry(funder_org_id).or_insert(fund_id);
            }
            Ok(_) => {}
            Err(error) => return Err(StoreError::Corrupt(format!("FundEstablished: {error}"))),
        }
    }
    Ok(funds)
}
