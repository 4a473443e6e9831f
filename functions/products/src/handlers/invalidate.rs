//! `product-invalidate`: the products table's stream, filtered to products. Each batch has
//! CloudFront forget its copies of the catalogue ([`crate::edge`]), so that a change shows at
//! once rather than when the copies expire ([`super::EDGE_SECONDS`]).
//!
//! The batch waits until its newest change is [`SETTLE`] old: the catalogue's pages read an
//! index, and a product an eventually consistent read, which can trail the table by a moment;
//! CloudFront asking again before they caught up would keep the old answer for another
//! [`super::EDGE_SECONDS`]. The invalidation is named by the batch's first and last sequence
//! numbers, so a batch given again (Lambda's retry) makes no second one. When CloudFront refuses
//! (too many in progress, an outage), the whole batch is reported after a pause ([`PAUSE`]):
//! Lambda gives it again until its records are older than any copy CloudFront may keep, when
//! none from before the change is left, and then tells `CatalogueInvalidationFailuresQueue`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::metrics::{self, Metric};

use crate::edge::Edge;

/// How long after a change its reads are taken to show it. Stream records carry their time to
/// the second, so a batch waits up to a second more.
pub const SETTLE: Duration = Duration::from_secs(2);

/// How long a refused batch waits before it is reported: Lambda gives a failed stream batch
/// again at once, and CloudFront frees its invalidations in progress in seconds, not at once.
pub const PAUSE: Duration = Duration::from_secs(2);

pub async fn handle(edge: &Edge, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let (Some(first), Some(last)) = (event.records.first(), event.records.last()) else {
        return response;
    };
    let newest = event
        .records
        .iter()
        .map(|record| record.change.approximate_creation_date_time.timestamp())
        .max()
        .unwrap_or_default();
    tokio::time::sleep(settling(newest, SystemTime::now())).await;
    let sequence = |record: &aws_lambda_events::dynamodb::EventRecord| {
        record.change.sequence_number.clone().unwrap_or_default()
    };
    let reference = format!("{}-{}", sequence(first), sequence(last));
    if let Err(err) = edge.forget_catalogue(&reference).await {
        tracing::error!(error = %err, "CloudFront keeps the catalogue; the batch comes again");
        metrics::record(Metric::MessagesFailed);
        tokio::time::sleep(PAUSE).await;
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = first.change.sequence_number.clone();
        response.batch_item_failures.push(failure);
    }
    response
}

/// How long to wait at `now` for a change made in the second `newest` (Unix seconds) to settle.
fn settling(newest: i64, now: SystemTime) -> Duration {
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let made = Duration::from_secs(u64::try_from(newest).unwrap_or_default());
    // The record's second may have run to its end.
    (made + Duration::from_secs(1) + SETTLE)
        .saturating_sub(now)
        .min(Duration::from_secs(1) + SETTLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_waits_for_its_newest_change_to_settle_and_no_longer() {
        let at = |seconds: u64, millis: u64| {
            UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis)
        };
        assert_eq!(settling(100, at(100, 0)), Duration::from_secs(3));
        assert_eq!(settling(100, at(101, 500)), Duration::from_millis(1500));
        assert_eq!(settling(100, at(103, 0)), Duration::ZERO);
        assert_eq!(settling(100, at(200, 0)), Duration::ZERO);
        // A record from the future (a clock ahead) waits no more than a change just made.
        assert_eq!(settling(500, at(100, 0)), Duration::from_secs(3));
    }
}
