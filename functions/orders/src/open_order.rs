//! Changing a customer's open order when other requests may be changing it too.
//!
//! Each attempt reads the current order, applies the change in memory and writes it back on
//! condition that nobody wrote in between (the order's version); if somebody did, it reads again
//! and re-applies the change. Two concurrent add-item calls therefore both land, in some order.

use std::time::Duration;

use shared::error::ErrorCode;
use shared::http::HttpError;
use shared::ids::Username;
use shared::store::StoreError;
use time::OffsetDateTime;

use crate::domain::{Order, RuleBroken, State};
use crate::store::OrderStore;

/// Attempts before giving up under contention: far more than two people clicking at once need.
pub(crate) const ATTEMPTS: u32 = 12;

#[derive(Debug, thiserror::Error)]
pub(crate) enum OrderError {
    #[error(transparent)]
    Rule(#[from] RuleBroken),
    #[error("you have no open order; add an item to start one")]
    NoOpenOrder,
    #[error("the order kept changing under us after {ATTEMPTS} attempts")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HttpError for OrderError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Rule(RuleBroken::Quantity(_)) => ErrorCode::InvalidQuantity,
            Self::Rule(RuleBroken::TooManyLines) => ErrorCode::TooManyLines,
            Self::Rule(RuleBroken::CurrencyMismatch { .. }) => ErrorCode::CurrencyMismatch,
            Self::Rule(RuleBroken::NotInOrder(_)) => ErrorCode::LineNotFound,
            Self::Rule(RuleBroken::TotalTooLarge) => ErrorCode::TotalTooLarge,
            Self::Rule(RuleBroken::Empty) => ErrorCode::OrderEmpty,
            Self::Rule(RuleBroken::NotOpen(_)) => ErrorCode::OrderNotOpen,
            Self::Rule(RuleBroken::NotCheckedOut) => ErrorCode::OrderNotCheckedOut,
            Self::Rule(RuleBroken::Changed { .. } | RuleBroken::Refreshed(_)) => {
                ErrorCode::OrderChanged
            }
            Self::NoOpenOrder => ErrorCode::NoOpenOrder,
            Self::Busy => ErrorCode::OrderBusy,
            Self::Store(err) => err.code(),
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Busy => "your order is being changed by another request; try again".into(),
            Self::Store(err) => err.public_message(),
            other => other.to_string(),
        }
    }
}

/// Applies `change` to `owner`'s open order and stores the result. With `start`, a customer
/// without an open order gets a new one; without it, that is [`OrderError::NoOpenOrder`].
pub(crate) async fn change(
    store: &OrderStore,
    owner: &Username,
    start: bool,
    change: impl Fn(&mut Order) -> Result<(), RuleBroken>,
) -> Result<Order, OrderError> {
    for attempt in 0..ATTEMPTS {
        let now = OffsetDateTime::now_utc();
        let current = store.current(owner).await?;
        let written = match current {
            Some(order) if order.state == State::Open => {
                let mut next = order.clone();
                change(&mut next)?;
                next.version += 1;
                next.updated_at = now;
                store
                    .replace_open(&next, order.version)
                    .await?
                    .then_some(next)
            }
            previous if start => {
                let mut next = Order::new(owner.clone(), now);
                change(&mut next)?;
                next.version = 1;
                store
                    .start_order(&next, previous.as_ref().map(|order| &order.id))
                    .await?
                    .then_some(next)
            }
            _ => return Err(OrderError::NoOpenOrder),
        };
        if let Some(order) = written {
            return Ok(order);
        }
        // Lost a race: back off a little, differently per attempt, and read again.
        tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 7 + 3)).await;
    }
    Err(OrderError::Busy)
}
