//! Counting an export of the orders service's sales events (`xtask orders-export`) into the
//! reports, as `report-record` counts them live (`xtask reports-backfill`): for a shop that had
//! orders before its reports service. Each event counts once, however often it is backfilled and
//! whether or not it was counted live, since it carries the id the live event had.

use std::io::BufRead;

use shared::messages::SalesEvent;
use shared::store::StoreError;

use crate::store::{Recorded, ReportStore};

/// What a backfill did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backfilled {
    pub counted: usize,
    pub counted_before: usize,
}

/// Why a backfill stopped; the events before the line it names are counted.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("reading line {line}: {source}")]
    Read { line: usize, source: std::io::Error },
    #[error("line {line} is not a sales event: {source}")]
    NotAnEvent {
        line: usize,
        source: serde_json::Error,
    },
    #[error("line {line}: {source}")]
    Store { line: usize, source: StoreError },
}

/// Counts every event of `export`, one JSON object a line (blank lines are skipped), in order.
pub async fn backfill(
    store: &ReportStore,
    export: impl BufRead,
) -> Result<Backfilled, BackfillError> {
    let mut done = Backfilled::default();
    for (index, text) in export.lines().enumerate() {
        let line = index + 1;
        let text = text.map_err(|source| BackfillError::Read { line, source })?;
        if text.trim().is_empty() {
            continue;
        }
        let event: SalesEvent = serde_json::from_str(&text)
            .map_err(|source| BackfillError::NotAnEvent { line, source })?;
        match store
            .record(&event)
            .await
            .map_err(|source| BackfillError::Store { line, source })?
        {
            Recorded::Counted => done.counted += 1,
            Recorded::AlreadyCounted => done.counted_before += 1,
        }
    }
    Ok(done)
}
