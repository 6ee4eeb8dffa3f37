//! The live feed (`/graphql/ws`, graphql-transport-ws): new awards and payments as they are
//! written, with public fields only (no payment references, purposes or anything a panel
//! or grantee alone may see). One task tails the event log and fans items out to every
//! subscriber through a bounded broadcast channel; a slow subscriber skips, never blocks.

use std::time::Duration;

use async_graphql::{Context, SimpleObject, Subscription, Union};
use domain::award::AwardEvent;
use futures::{Stream, StreamExt};
use infrastructure::Database;
use projections::ProjectorHandle;
use tokio::sync::{broadcast, watch};

use super::context::state;
use super::scalars::{DateValue, GeoCodeValue, MoneyValue};

/// How often the feed looks for new events.
pub const FEED_POLL_MS: u64 = 250;
/// The most events the feed reads at once.
pub const FEED_BATCH_EVENTS: i64 = 500;
/// Items buffered per subscriber before a slow one starts skipping.
pub const FEED_CHANNEL_ITEMS: usize = 1_024;

/// A new award, as the public register shows it.
#[derive(Debug, Clone, SimpleObject)]
pub struct AwardMade {
    pub position: i64,
    pub award_id: String,
    pub fund_id: String,
    pub round_id: String,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub title: String,
    pub neighbourhood: GeoCodeValue,
    pub themes: Vec<String>,
    pub amount: MoneyValue,
    pub awarded_on: DateValue,
}

/// A payment made on an award (amount and date only).
#[derive(Debug, Clone, SimpleObject)]
pub struct PaymentMade {
    pub position: i64,
    pub award_id: String,
    pub amount: MoneyValue,
    pub paid_on: DateValue,
    /// Everything paid on the award so far.
    pub paid_total: MoneyValue,
}

#[derive(Debug, Clone, Union)]
pub enum FeedItem {
    AwardMade(AwardMade),
    PaymentMade(PaymentMade),
}

pub struct Subscription;

fn items(ctx: &Context<'_>) -> impl Stream<Item = FeedItem> {
    let receiver = state(ctx).feed.subscribe();
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(item) => return Some((item, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

#[Subscription]
impl Subscription {
    /// New awards and payments, as they are written.
    async fn feed(&self, ctx: &Context<'_>) -> impl Stream<Item = FeedItem> {
        items(ctx)
    }

    /// New awards only.
    async fn awards_made(&self, ctx: &Context<'_>) -> impl Stream<Item = AwardMade> {
        items(ctx).filter_map(|item| async move {
            match item {
                FeedItem::AwardMade(made) => Some(made),
                FeedItem::PaymentMade(_) => None,
            }
        })
    }

    /// New payments only.
    async fn payments_made(&self, ctx: &Context<'_>) -> impl Stream<Item = PaymentMade> {
        items(ctx).filter_map(|item| async move {
            match item {
                FeedItem::PaymentMade(paid) => Some(paid),
                FeedItem::AwardMade(_) => None,
            }
        })
    }
}

/// What a logged event means to the public feed, if anything.
fn feed_item(event: &infrastructure::LoggedEvent) -> Option<FeedItem> {
    if event.event_type != "AwardMade" && event.event_type != "PaymentRecorded" {
        return None;
    }
    let parsed: AwardEvent = serde_json::from_value(event.payload.clone()).ok()?;
    match parsed {
        AwardEvent::AwardMade {
            award_id,
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
        } => Some(FeedItem::AwardMade(AwardMade {
            position: event.position,
            award_id: award_id.to_string(),
            fund_id: fund_id.to_string(),
            round_id: round_id.to_string(),
            recipient_org_id: recipient_org_id.to_string(),
            recipient_name,
            title,
            neighbourhood: GeoCodeValue(neighbourhood),
            themes,
            amount: MoneyValue(amount.amount()),
            awarded_on: DateValue(awarded_on),
        })),
        AwardEvent::PaymentRecorded {
            amount,
            paid_on,
            paid_total,
            ..
        } => Some(FeedItem::PaymentMade(PaymentMade {
            position: event.position,
            award_id: event.aggregate_id.clone(),
            amount: MoneyValue(amount.amount()),
            paid_on: DateValue(paid_on),
            paid_total: MoneyValue(paid_total.amount()),
        })),
        _ => None,
    }
}

/// Tails the event log until `stop` turns true, sending feed items. It starts from the
/// projector's watermark: a place in the log's order that no later commit can precede, so
/// an event whose transaction commits late is still sent (a start from the newest place
/// written, `max(txid)`, would pass over one still in flight below it). Events after the
/// watermark when the server starts are sent as new: the read models don't have them yet.
pub async fn run_feed(
    database: Database,
    projector: ProjectorHandle,
    sender: broadcast::Sender<FeedItem>,
    mut stop: watch::Receiver<bool>,
) {
    let mut cursor = loop {
        match projector.watermark().await {
            Ok(cursor) => break cursor,
            Err(error) => {
                tracing::warn!(%error, "live feed could not read the projector's watermark; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    loop {
        if *stop.borrow() {
            return;
        }
        match database.read_log(cursor, FEED_BATCH_EVENTS).await {
            Ok(events) => {
                for event in &events {
                    cursor = event.cursor();
                    if let Some(item) = feed_item(event) {
                        // No subscriber is fine: the item is simply not wanted.
                        let _ = sender.send(item);
                    }
                }
                if events.len() as i64 == FEED_BATCH_EVENTS {
                    continue;
                }
            }
            Err(error) => tracing::warn!(%error, "live feed could not read the log"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(FEED_POLL_MS)) => {}
            _ = stop.changed() => return,
        }
    }
}
