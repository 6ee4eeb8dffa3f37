//! Applications (`rm_applications`): each application with its request, status and
//! decision. Folds the application's own events only.

use std::collections::{BTreeMap, BTreeSet};

use domain::application::ApplicationEvent;
use infrastructure::{Database, LoggedEvent};

use super::table::{json_list, load_rows, p, Table};
use crate::check::{compare_maps, d, unknown, VerifyReport};
use crate::write::{upsert, Field, OnConflict, StatementSink, Writer};
use crate::{on_pool, to_pence, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ApplicationState {
    pub application_id: String,
    pub round_id: String,
    pub fund_id: String,
    pub applicant_org_id: String,
    pub applicant_name: String,
    pub title: String,
    pub amount_requested_pence: i64,
    pub neighbourhood: String,
    pub themes: String,
    pub status: String,
    pub submitted_on: String,
    pub decided_on: Option<String>,
    pub award_id: Option<String>,
    pub approved_pence: Option<i64>,
}

pub(crate) const APPLICATION_COLUMNS: &str = "application_id, round_id, fund_id, applicant_org_id, applicant_name, title, \
     amount_requested_pence, neighbourhood, themes, status, submitted_on, decided_on, award_id, approved_pence";

/// The application rows of a batch.
#[derive(Default)]
pub(crate) struct Applications {
    table: Table<String, ApplicationState>,
}

impl Applications {
    pub(crate) fn for_rebuild() -> Applications {
        Applications {
            table: Table::for_rebuild(),
        }
    }

    pub(crate) async fn load(
        &mut self,
        db: &Database,
        application_ids: &BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        for row in load_rows::<ApplicationState>(
            db,
            "rm_applications",
            APPLICATION_COLUMNS,
            "application_id",
            application_ids,
        )
        .await?
        {
            self.table.rows.insert(row.application_id.clone(), row);
        }
        Ok(())
    }

    fn application_mut(
        &mut self,
        event: &LoggedEvent,
    ) -> Result<&mut ApplicationState, ProjectionError> {
        self.table
            .row_mut(event, "application", &event.aggregate_id)
    }

    pub(crate) fn apply(
        &mut self,
        event: &LoggedEvent,
        application_event: &ApplicationEvent,
    ) -> Result<(), ProjectionError> {
        match application_event {
            ApplicationEvent::ApplicationSubmitted { .. } => {
                let row = submitted(application_event);
                self.table.insert(event.aggregate_id.clone(), row);
            }
            ApplicationEvent::ConflictDeclared { .. }
            | ApplicationEvent::ApplicationScored { .. } => {}
            ApplicationEvent::ApplicationWithdrawn { withdrawn_on } => {
                let application = self.application_mut(event)?;
                application.status = "withdrawn".into();
                application.decided_on = Some(withdrawn_on.to_string());
            }
            ApplicationEvent::ApplicationDeclined { decided_on, .. } => {
                let application = self.application_mut(event)?;
                application.status = "declined".into();
                application.decided_on = Some(decided_on.to_string());
            }
            ApplicationEvent::ApprovalRecorded {
                award_id,
                amount,
                decided_on,
            } => {
                let application = self.application_mut(event)?;
                application.status = "approved".into();
                application.decided_on = Some(decided_on.to_string());
                application.award_id = Some(award_id.to_string());
                application.approved_pence = Some(p(amount));
            }
        }
        Ok(())
    }

    pub(crate) fn write(&self, writer: Writer, statements: &mut impl StatementSink) {
        let applications: Vec<&ApplicationState> = self.table.changed();
        upsert(
            statements,
            writer,
            "rm_applications",
            APPLICATION_COLUMNS,
            "application_id",
            OnConflict::Replace,
            &applications,
            |row| {
                vec![
                    Field::Text(&row.application_id),
                    Field::Text(&row.round_id),
                    Field::Text(&row.fund_id),
                    Field::Text(&row.applicant_org_id),
                    Field::Text(&row.applicant_name),
                    Field::Text(&row.title),
                    Field::Int(row.amount_requested_pence),
                    Field::Text(&row.neighbourhood),
                    Field::Text(&row.themes),
                    Field::Text(&row.status),
                    Field::Text(&row.submitted_on),
                    Field::OptText(row.decided_on.as_deref()),
                    Field::OptText(row.award_id.as_deref()),
                    Field::OptInt(row.approved_pence),
                ]
            },
        );
    }
}

/// A submitted application's row.
fn submitted(event: &ApplicationEvent) -> ApplicationState {
    let ApplicationEvent::ApplicationSubmitted {
        application_id,
        round_id,
        fund_id,
        applicant,
        applicant_name,
        title,
        amount_requested,
        neighbourhood,
        themes,
        submitted_on,
        ..
    } = event
    else {
        unreachable!("called for ApplicationSubmitted")
    };
    ApplicationState {
        application_id: application_id.to_string(),
        round_id: round_id.to_string(),
        fund_id: fund_id.to_string(),
        applicant_org_id: applicant.to_string(),
        applicant_name: applicant_name.clone(),
        title: title.clone(),
        amount_requested_pence: p(amount_requested),
        neighbourhood: neighbourhood.as_str().to_string(),
        themes: json_list(themes),
        status: "submitted".into(),
        submitted_on: submitted_on.to_string(),
        decided_on: None,
        award_id: None,
        approved_pence: None,
    }
}

// ---------------------------------------------------------------- verify

/// `verify`'s own fold of the applications.
#[derive(Default)]
pub(crate) struct ExpectedApplications {
    applications: BTreeMap<String, ApplicationState>,
}

impl ExpectedApplications {
    pub(crate) fn fold(
        &mut self,
        report: &mut VerifyReport,
        position: i64,
        id: &str,
        event: &ApplicationEvent,
    ) {
        let application = match event {
            ApplicationEvent::ApplicationSubmitted { .. } => {
                self.applications
                    .insert(id.to_string(), expected_submitted(event));
                return;
            }
            ApplicationEvent::ConflictDeclared { .. }
            | ApplicationEvent::ApplicationScored { .. } => return,
            _ => match self.applications.get_mut(id) {
                Some(application) => application,
                None => return unknown(report, position, "application", id),
            },
        };
        match event {
            ApplicationEvent::ApplicationWithdrawn { withdrawn_on } => {
                application.status = "withdrawn".into();
                application.decided_on = Some(withdrawn_on.to_string());
            }
            ApplicationEvent::ApplicationDeclined { decided_on, .. } => {
                application.status = "declined".into();
                application.decided_on = Some(decided_on.to_string());
            }
            ApplicationEvent::ApprovalRecorded {
                award_id,
                amount,
                decided_on,
            } => {
                application.status = "approved".into();
                application.decided_on = Some(decided_on.to_string());
                application.award_id = Some(award_id.to_string());
                application.approved_pence = Some(to_pence(d(amount)));
            }
            _ => {}
        }
    }

    pub(crate) async fn compare(
        &self,
        db: &Database,
        report: &mut VerifyReport,
    ) -> Result<(), ProjectionError> {
        let applications: Vec<ApplicationState> = on_pool!(db, |pool| sqlx::query_as(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM rm_applications"
        ))
        .fetch_all(pool)
        .await?);
        let have = applications
            .into_iter()
            .map(|row| (row.application_id.clone(), row))
            .collect();
        compare_maps(report, "rm_applications", &self.applications, &have);
        Ok(())
    }
}

/// A submitted application's row as `verify` reads the event (apart from the fold's).
fn expected_submitted(event: &ApplicationEvent) -> ApplicationState {
    let ApplicationEvent::ApplicationSubmitted {
        application_id,
        round_id,
        fund_id,
        applicant,
        applicant_name,
        title,
        amount_requested,
        neighbourhood,
        themes,
        submitted_on,
        ..
    } = event
    else {
        unreachable!("called for ApplicationSubmitted")
    };
    ApplicationState {
        application_id: application_id.to_string(),
        round_id: round_id.to_string(),
        fund_id: fund_id.to_string(),
        applicant_org_id: applicant.to_string(),
        applicant_name: applicant_name.clone(),
        title: title.clone(),
        amount_requested_pence: to_pence(d(amount_requested)),
        neighbourhood: neighbourhood.as_str().to_string(),
        themes: serde_json::to_string(themes).unwrap_or_default(),
        status: "submitted".into(),
        submitted_on: submitted_on.to_string(),
        decided_on: None,
        award_id: None,
        approved_pence: None,
    }
}
