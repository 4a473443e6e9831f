//! `search-index`: the products table's stream, filtered to products. Each batch's changes are
//! applied to the search catalogue, which is re-indexed and written back (see [`crate::store`]).
//!
//! A change is applied unless the catalogue holds a later version of its product, so records
//! given twice, or a rebuild that ran in between, change nothing. A record that is not a readable
//! product is reported by its sequence number (Lambda gives the batch again from it, and after
//! its retries sends it to `SearchIndexFailuresQueue`, whose alarm calls a person); the others
//! are applied. A write that loses to another writer reads the catalogue again and re-applies.
//! When the bucket cannot be reached nothing is written and the whole batch is reported: Lambda
//! gives it again until its records are an hour old.
//!
//! The catalogue last written is kept between batches, so a batch asks the bucket only whether
//! it changed (`If-None-Match`) instead of downloading it again.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use shared::metrics::{self, Metric};
use tokio::sync::Mutex;

use crate::catalogue::{Catalogue, Entry};
use crate::record::{self, Key};
use crate::store::{Freshness, Saved, SnapshotStore, StoreError, Stored};

/// Attempts at writing under contention before the batch is given back to Lambda.
const ATTEMPTS: usize = 5;

pub async fn handle(indexer: &Indexer, event: Event) -> DynamoDbEventResponse {
    let mut changes = Vec::new();
    let mut failed = Vec::new();
    for record in &event.records {
        match change(record) {
            Ok(Some(entry)) => changes.push(entry),
            Ok(None) => {}
            Err(err) => {
                let sequence = &record.change.sequence_number;
                tracing::error!(error = %err, ?sequence, "product record not indexed");
                failed.push(sequence.clone());
            }
        }
    }
    if let Err(err) = indexer.apply(&changes).await {
        // Nothing was written: the whole batch comes again.
        tracing::error!(error = %err, "search catalogue not updated; the batch comes again");
        failed = event
            .records
            .first()
            .map(|record| vec![record.change.sequence_number.clone()])
            .unwrap_or_default();
    }
    let mut response = DynamoDbEventResponse::default();
    for sequence in failed {
        metrics::record(Metric::MessagesFailed);
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence;
        response.batch_item_failures.push(failure);
    }
    response
}

/// What `record` changes: `None` for an item that is not a product.
fn change(record: &EventRecord) -> Result<Option<Entry>, String> {
    let key: Key = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|err| format!("a record without a key: {err}"))?;
    let Some(slug) = key.product().transpose()? else {
        return Ok(None);
    };
    if record.event_name == "REMOVE" {
        // Products are retired, never deleted; one deleted by hand leaves search for good.
        return Ok(Some(Entry::NotSold {
            slug,
            version: u64::MAX,
        }));
    }
    record::entry(record.change.new_image.clone()).map(Some)
}

/// The indexing function's state: where the catalogue is kept, and the last one it wrote.
#[derive(Debug)]
pub struct Indexer {
    store: SnapshotStore,
    held: Mutex<Option<Stored>>,
}

impl Indexer {
    pub fn new(store: SnapshotStore) -> Self {
        Self {
            store,
            held: Mutex::new(None),
        }
    }

    /// Reads the stored catalogue now, at start: every batch needs it, and the first would
    /// otherwise wait for it. A bucket not answering is only logged (the batch reads again).
    pub async fn warm(&self) {
        match self.store.load().await {
            Ok(stored) => *self.held.lock().await = stored,
            Err(err) => tracing::warn!(error = %err, "no search catalogue at start"),
        }
    }

    /// Applies `changes` to the stored catalogue, writing it only if something changed.
    pub async fn apply(&self, changes: &[Entry]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut held = self.held.lock().await;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                // Another writer won: wait a little, longer each time, before reading again.
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
            match self.try_apply(&mut held, changes).await {
                Ok(true) => return Ok(()),
                // Another writer's version, or none: read it whole next time.
                Ok(false) => *held = None,
                Err(err) => {
                    *held = None;
                    return Err(err);
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "the catalogue kept changing under {ATTEMPTS} attempts"
        )))
    }

    /// One read of the catalogue (or of whether it changed since `held`) and one conditional
    /// write: `false` if another writer got there first.
    async fn try_apply(
        &self,
        held: &mut Option<Stored>,
        changes: &[Entry],
    ) -> Result<bool, StoreError> {
        match held.as_ref() {
            None => *held = self.store.load().await?,
            Some(stored) => match self.store.load_if_changed(&stored.etag).await? {
                Freshness::Unchanged => {}
                Freshness::Changed(fresh) => *held = Some(*fresh),
                // Deleted by hand: start a new one (a rebuild brings back the rest).
                Freshness::Gone => *held = None,
            },
        }
        let next = match held.as_ref() {
            Some(stored) => stored.catalogue.with(changes),
            None => Catalogue::build([]).with(changes),
        };
        let Some(next) = next else {
            return Ok(true);
        };
        let over = held.as_ref().map(|stored| stored.etag.as_str());
        let Saved::As(etag) = self.store.save(&next, over).await? else {
            return Ok(false);
        };
        tracing::info!(
            changes = changes.len(),
            products = next.len(),
            "search catalogue updated"
        );
        *held = Some(Stored {
            catalogue: next,
            etag,
        });
        Ok(true)
    }
}
