//! A community group's own view (issue 14's grantee screens): `Query.group`, for the
//! group's members only. Its applications across every round in one list (the register
//! lists applications by round), and its name as far as the ledger knows it.

use async_graphql::{Context, ErrorExtensions, Object};
use domain::OrgId;
use infrastructure::accounts;
use infrastructure::LedgerError;
use projections::read;

use super::context::{require_member_of, state};
use super::errors::{ApiError, Coded, GqlResult};
use super::schema::UNPAGED_LIST_ITEMS;
use super::types::Application;

#[derive(Default)]
pub struct GroupQuery;

// Merged into the schema's `Query` (schema.rs); this part's own name never shows.
#[Object(name = "GroupQuery")]
impl GroupQuery {
    /// A member of the organisation: the group as its members see it (its name, its
    /// applications in every round). FORBIDDEN for anyone else, whether or not the
    /// organisation exists.
    async fn group(&self, ctx: &Context<'_>, organisation_id: String) -> GqlResult<Group> {
        let org = OrgId::new(organisation_id.trim());
        require_member_of(ctx, &org)?;
        Ok(Group { org })
    }
}

/// An organisation as its own members see it.
pub struct Group {
    org: OrgId,
}

impl Group {
    async fn records(&self, ctx: &Context<'_>) -> GqlResult<Vec<read::ApplicationRecord>> {
        let database = state(ctx).database();
        let mut found = Vec::new();
        for round in read::rounds(database, None, None).await.coded()? {
            let applications = read::applications(database, &round.round_id)
                .await
                .coded()?;
            found.extend(
                applications
                    .into_iter()
                    .filter(|record| record.applicant_org_id == self.org.as_str()),
            );
        }
        found.sort_by(|a, b| {
            b.submitted_on
                .cmp(&a.submitted_on)
                .then_with(|| b.application_id.cmp(&a.application_id))
        });
        Ok(found)
    }
}

#[Object]
impl Group {
    async fn organisation_id(&self) -> &str {
        self.org.as_str()
    }

    /// The group's name: as recorded for its members' invitations, else as it last
    /// applied; null while none is known (its first application then needs
    /// `applicantName`).
    async fn name(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        let database = state(ctx).database();
        let recorded = accounts::people::organisation(database, &self.org)
            .await
            .map_err(|error| match error {
                accounts::AccountError::Store(store) => {
                    ApiError::Ledger(LedgerError::Store(store)).extend()
                }
                other => ApiError::Internal(other.to_string()).extend(),
            })?;
        if let Some(org) = recorded {
            return Ok(Some(org.name));
        }
        Ok(self
            .records(ctx)
            .await?
            .into_iter()
            .next()
            .map(|record| record.applicant_name))
    }

    /// The group's applications in every round, newest first.
    #[graphql(complexity = "UNPAGED_LIST_ITEMS * child_complexity")]
    async fn applications(&self, ctx: &Context<'_>) -> GqlResult<Vec<Application>> {
        Ok(self
            .records(ctx)
            .await?
            .into_iter()
            .map(Application)
            .collect())
    }

    /// One of the group's applications; null when the group has none with this id.
    async fn application(&self, ctx: &Context<'_>, id: String) -> GqlResult<Option<Application>> {
        let id = id.trim();
        Ok(self
            .records(ctx)
            .await?
            .into_iter()
            .find(|record| record.application_id == id)
            .map(Application))
    }
}
