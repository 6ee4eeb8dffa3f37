//! The request-wide check of text: every string a GraphQL request carries (each variable,
//! each argument written in the document, in queries, mutations and subscriptions, over
//! HTTP and WebSocket alike) is refused with `BAD_INPUT` if it holds a character no text
//! of the ledger may hold (`domain::text::check_any`: control characters other than line
//! breaks and tabs, bidi controls). Checked once the document parses and before anything
//! runs, so a NUL never reaches PostgreSQL (which can't store it in text and would answer
//! with an internal error) and an id or cursor can't smuggle one either. The field rules
//! (one line, not blank) are the mutations' own (`mutations::check_line`/`check_text`).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerError, ServerResult, Value as ConstValue, Variables};

use super::errors::{coded, BAD_INPUT};

/// Registers the check on the schema (`Schema::build(..).extension(TextGuard)`).
pub struct TextGuard;

impl ExtensionFactory for TextGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TextGuard)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for TextGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        for (name, value) in variables.iter() {
            check_const(&format!("${name}"), value, None)?;
        }
        for (_, operation) in document.operations.iter() {
            check_selection_set(&operation.node.selection_set.node)?;
        }
        for fragment in document.fragments.values() {
            check_selection_set(&fragment.node.selection_set.node)?;
        }
        Ok(document)
    }
}

fn refuse(error: domain::TextError, pos: Option<Pos>) -> ServerError {
    let coded = coded(error.to_string(), BAD_INPUT);
    let mut refused = ServerError::new(coded.message, pos);
    refused.extensions = coded.extensions;
    refused
}

fn check_selection_set(set: &SelectionSet) -> ServerResult<()> {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    // Variables in the argument are checked as variables (here: null).
                    let written = value
                        .node
                        .clone()
                        .into_const_with(|_| Ok::<_, std::convert::Infallible>(ConstValue::Null))
                        .unwrap_or(ConstValue::Null);
                    check_const(name.node.as_str(), &written, Some(value.pos))?;
                }
                check_selection_set(&field.node.selection_set.node)?;
            }
            Selection::InlineFragment(fragment) => {
                check_selection_set(&fragment.node.selection_set.node)?;
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn check_const(path: &str, value: &ConstValue, pos: Option<Pos>) -> ServerResult<()> {
    match value {
        ConstValue::String(text) => {
            domain::text::check_any(path, text).map_err(|error| refuse(error, pos))
        }
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check_const(&format!("{path}[{index}]"), item, pos)),
        ConstValue::Object(fields) => fields
            .iter()
            .try_for_each(|(name, item)| check_const(&format!("{path}.{name}"), item, pos)),
        _ => Ok(()),
    }
}
