//! The public 360Giving export, shared by `GET /export/360giving.{json,csv}` and
//! `fundledger export 360giving`: pages through the award register of the read models
//! (never replaying events), fills the export's plain records with fund, round and
//! neighbourhood names, and yields the document in chunks, one page of awards at a time,
//! so a register of 100,000 awards is never one query or one allocation. The same export
//! filtered to one area (its awards and those of every area below it) is a place's
//! 360Giving download (`/areas/{code}/360giving.json`): the same grant ids and shape.

use std::collections::HashMap;

use axum::body::Bytes;
use futures::Stream;
use infrastructure::export::giving360::{
    self, Disbursement, Grant, Location, Organisation, PackageInfo, Programme,
};
use infrastructure::export::ExportError;
use infrastructure::Database;
use projections::read::{self, AwardFilter, AwardPublication, FundPosition};
use projections::ProjectionError;

/// Awards read per query (and written per chunk).
pub const EXPORT_PAGE_AWARDS: u32 = read::MAX_PAGE_SIZE;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailed {
    /// A 360Giving package holds at least one grant (the schema's `minItems`).
    #[error("nothing to publish yet: the award register has no awards, and a 360Giving package needs at least one grant")]
    NothingToPublish,
    /// The same for one area: a package of its awards would have none.
    #[error("nothing to publish for this area yet: it has no awards, and a 360Giving package needs at least one grant")]
    NothingInArea,
    #[error("reading the award register: {0}")]
    Read(#[from] ProjectionError),
    #[error(transparent)]
    Write(#[from] ExportError),
}

/// The two serialisations of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "360giving.json",
            Format::Csv => "360giving.csv",
        }
    }
}

/// What an export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole award register.
    Register,
    /// The awards in one area and every area below it.
    Area { code: domain::GeoCode, name: String },
}

impl Scope {
    fn filter(&self) -> AwardFilter {
        match self {
            Scope::Register => AwardFilter::default(),
            Scope::Area { code, .. } => AwardFilter {
                neighbourhood: Some(code.clone()),
                ..AwardFilter::default()
            },
        }
    }

    fn nothing_to_publish(&self) -> ExportFailed {
        match self {
            Scope::Register => ExportFailed::NothingToPublish,
            Scope::Area { .. } => ExportFailed::NothingInArea,
        }
    }
}

/// Pages of grants from the award register, in award id order. Names are looked up once
/// per fund, round and neighbourhood and kept for the rest of the export.
pub struct GrantPages {
    db: Database,
    scope: Scope,
    after: Option<String>,
    finished: bool,
    funds: HashMap<String, FundPosition>,
    /// Round id → round name (`None`: the round is not in the read models).
    rounds: HashMap<String, Option<String>>,
    /// Code → name (`None`: not in the reference geography).
    areas: HashMap<String, Option<String>>,
}

impl GrantPages {
    pub async fn open(db: Database) -> Result<GrantPages, ProjectionError> {
        GrantPages::open_for(db, Scope::Register).await
    }

    /// Pages of the grants `scope` covers.
    pub async fn open_for(db: Database, scope: Scope) -> Result<GrantPages, ProjectionError> {
        let funds = read::funds(&db).await?;
        Ok(GrantPages {
            db,
            scope,
            after: None,
            finished: false,
            funds: funds
                .into_iter()
                .map(|fund| (fund.fund_id.to_string(), fund))
                .collect(),
            rounds: HashMap::new(),
            areas: HashMap::new(),
        })
    }

    /// Package metadata: the publisher is the funder when every fund has the same one.
    pub async fn package_info(&self) -> Result<PackageInfo, ProjectionError> {
        let head = read::ledger_head(&self.db).await?;
        let mut funders: Vec<Organisation> = self
            .funds
            .values()
            .map(|fund| Organisation {
                id: fund.funder_org_id.clone(),
                name: fund.funder_name.clone(),
            })
            .collect();
        funders.sort_by(|a, b| a.id.cmp(&b.id));
        funders.dedup();
        let (title, description, identifier) = match &self.scope {
            Scope::Register => (
                "fundledger awards (360Giving)".to_string(),
                format!(
                    "Every award of the fundledger register as 360Giving grants, as of ledger \
                     position {} (chain head {}).",
                    head.position, head.head
                ),
                format!("fundledger-360giving-{}", head.position),
            ),
            Scope::Area { code, name } => (
                format!("fundledger awards in {name} (360Giving)"),
                format!(
                    "Every award of the fundledger register in {name} ({code}) and the areas \
                     within it as 360Giving grants, as of ledger position {} (chain head {}).",
                    head.position, head.head
                ),
                format!("fundledger-360giving-{code}-{}", head.position),
            ),
        };
        Ok(PackageInfo {
            title,
            description,
            identifier,
            publisher: (funders.len() == 1).then(|| funders.remove(0)),
            issued: chrono::Utc::now(),
        })
    }

    /// The next page of grants; `None` once the register is exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Grant>>, ProjectionError> {
        if self.finished {
            return Ok(None);
        }
        let page = read::awards(
            &self.db,
            &self.scope.filter(),
            EXPORT_PAGE_AWARDS,
            self.after.as_deref(),
        )
        .await?;
        self.finished = !page.has_next_page;
        self.after = page.end_cursor.clone();
        if page.awards.is_empty() {
            self.finished = true;
            return Ok(None);
        }
        self.learn_names(&page.awards).await?;
        let ids: Vec<domain::AwardId> = page
            .awards
            .iter()
            .map(|award| award.award_id.clone())
            .collect();
        let mut publications = read::award_publications(&self.db, &ids).await?;
        let grants = page
            .awards
            .into_iter()
            .map(|award| {
                let publication = publications.remove(&award.award_id);
                self.grant(award, publication)
            })
            .collect();
        Ok(Some(grants))
    }

    /// One award as the export's record, with the names learnt so far.
    fn grant(&self, award: read::AwardRecord, publication: Option<AwardPublication>) -> Grant {
        let fund = self.funds.get(award.fund_id.as_str());
        let funder = Organisation {
            id: fund.map(|f| f.funder_org_id.clone()).unwrap_or_default(),
            name: fund.map(|f| f.funder_name.clone()).unwrap_or_default(),
        };
        let grant_id = giving360::grant_id(&funder.id, award.award_id.as_str());
        let (applied_for, modified_on, published_fields, payments) = match publication {
            Some(p) => (
                p.applied_for,
                Some(p.modified_on),
                p.published_grant,
                p.payments,
            ),
            None => (None, None, None, Vec::new()),
        };
        let disbursements = payments
            .into_iter()
            .map(|payment| Disbursement {
                id: giving360::disbursement_id(
                    &grant_id,
                    award.award_id.as_str(),
                    &payment.drawdown_id,
                ),
                paid_on: payment.paid_on,
                amount: payment.amount,
            })
            .collect();
        Grant {
            fund_name: fund.map(|f| f.name.clone()).unwrap_or_default(),
            funder,
            programme: award.round_id.as_ref().and_then(|round_id| {
                self.rounds
                    .get(round_id.as_str())
                    .cloned()
                    .flatten()
                    .map(|title| Programme {
                        code: round_id.to_string(),
                        title,
                    })
            }),
            location: award.neighbourhood.map(|code| Location {
                name: self.areas.get(&code).cloned().flatten(),
                code,
            }),
            award_id: award.award_id.to_string(),
            // A historic grant says when it was last modified in its published fields.
            date_modified: modified_on.filter(|_| award.grant_id.is_none()),
            published_id: award.grant_id,
            title: award.title,
            amount_awarded: award.awarded,
            // What was paid to the grantee (the standard's meaning); returns are stated
            // in the description.
            amount_disbursed: award.paid,
            returned: award.returned,
            amount_applied_for: applied_for,
            planned_start: award.accepted_on,
            disbursements,
            published_fields,
            award_date: award.awarded_on,
            recipient: Organisation {
                id: award.recipient_org_id,
                name: award.recipient_name,
            },
            themes: award.themes,
        }
    }

    /// Looks up the funds, rounds and neighbourhoods of `awards` not seen before.
    async fn learn_names(&mut self, awards: &[read::AwardRecord]) -> Result<(), ProjectionError> {
        if awards
            .iter()
            .any(|award| !self.funds.contains_key(award.fund_id.as_str()))
        {
            // A fund established since the export started.
            for fund in read::funds(&self.db).await? {
                self.funds.insert(fund.fund_id.to_string(), fund);
            }
        }
        // Historic grants have no round and may have no neighbourhood.
        for round_id in awards.iter().filter_map(|award| award.round_id.as_ref()) {
            if !self.rounds.contains_key(round_id.as_str()) {
                let round = read::round_summary(&self.db, round_id).await?;
                self.rounds
                    .insert(round_id.to_string(), round.map(|round| round.name));
            }
        }
        let mut unknown: Vec<String> = awards
            .iter()
            .filter_map(|award| award.neighbourhood.as_ref())
            .filter(|code| !self.areas.contains_key(*code))
            .cloned()
            .collect();
        unknown.sort();
        unknown.dedup();
        let found = read::areas(&self.db, &unknown).await?;
        for code in unknown {
            self.areas.insert(code, None);
        }
        for area in found {
            self.areas.insert(area.code, area.name);
        }
        Ok(())
    }
}

enum Phase {
    Start(Database, Scope),
    Pages { pages: GrantPages, first: bool },
    Done,
}

/// The whole export as a stream of chunks: the header, one chunk per page of awards, the
/// end. The JSON package's metadata is read first, so it names the ledger position the
/// export started at.
pub fn stream(db: Database, format: Format) -> impl Stream<Item = Result<Bytes, ExportFailed>> {
    stream_for(db, format, Scope::Register)
}

/// The export of the grants `scope` covers, as [`stream`] writes the whole register's.
pub fn stream_for(
    db: Database,
    format: Format,
    scope: Scope,
) -> impl Stream<Item = Result<Bytes, ExportFailed>> {
    futures::stream::try_unfold(Phase::Start(db, scope), move |phase| async move {
        match phase {
            Phase::Start(db, scope) => {
                let nothing = scope.nothing_to_publish();
                let mut pages = GrantPages::open_for(db, scope).await?;
                let mut head = match format {
                    Format::Json => {
                        giving360::json_package_start(&pages.package_info().await?)?.into_bytes()
                    }
                    Format::Csv => giving360::csv_header()?,
                };
                // The first page goes with the header, so an empty register is refused
                // before anything is sent (the schema refuses a package with no grant).
                let grants = pages.next_page().await?.ok_or(nothing)?;
                head.extend(match format {
                    Format::Json => giving360::json_grants(&grants, true)?.into_bytes(),
                    Format::Csv => giving360::csv_rows(&grants)?,
                });
                Ok(Some((
                    Bytes::from(head),
                    Phase::Pages {
                        pages,
                        first: false,
                    },
                )))
            }
            Phase::Pages { mut pages, first } => match pages.next_page().await? {
                Some(grants) => {
                    let chunk = match format {
                        Format::Json => giving360::json_grants(&grants, first)?.into_bytes(),
                        Format::Csv => giving360::csv_rows(&grants)?,
                    };
                    Ok(Some((
                        Bytes::from(chunk),
                        Phase::Pages {
                            pages,
                            first: false,
                        },
                    )))
                }
                None => match format {
                    Format::Json => Ok(Some((
                        Bytes::from_static(giving360::JSON_PACKAGE_END.as_bytes()),
                        Phase::Done,
                    ))),
                    Format::Csv => Ok(None),
                },
            },
            Phase::Done => Ok(None),
        }
    })
}
