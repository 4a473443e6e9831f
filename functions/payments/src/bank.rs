//! The simulated bank: a [`PaymentGateway`] that decides by card number, deterministically.
//!
//! | card number          | answer                                                        |
//! |----------------------|---------------------------------------------------------------|
//! | `4000000000000002`   | declined                                                      |
//! | `4000000000009995`   | declined: insufficient funds                                  |
//! | `4000000000000119`   | unavailable on the first attempt for an idempotency key, then approved |
//! | any other valid card | approved (`4242424242424242` is the usual one)                |
//!
//! Like a real bank it keeps a ledger, so that it can honour idempotency keys: each key's answer
//! is recorded under `BANK#<key>` in the payments table, and a repeated request gets the recorded
//! answer without a second charge. The ledger also lets tests count the charges actually made.

use serde::{Deserialize, Serialize};
use shared::messages::DeclineReason;
use shared::money::Currency;
use shared::store::{Item, StoreError, Table, from_item, to_item};
use time::OffsetDateTime;

use crate::gateway::{Charge, ChargeRequest, GatewayUnavailable, PaymentGateway};

pub(crate) const DECLINED_CARD: &str = "4000000000000002";
pub(crate) const INSUFFICIENT_FUNDS_CARD: &str = "4000000000009995";
pub(crate) const FLAKY_CARD: &str = "4000000000000119";

/// A ledger entry: the bank's answer for one idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// In minor units of `currency`.
    amount: i64,
    currency: Currency,
    card_last4: String,
    #[serde(with = "time::serde::rfc3339")]
    charged_at: OffsetDateTime,
    #[serde(flatten)]
    answer: Answer,
}

/// [`Charge`] as the ledger stores it: `outcome` is `approved` or `declined`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Answer {
    Approved { charge_id: String },
    Declined { reason: DeclineReason },
}

/// The mark a first attempt with the flaky card leaves: an entry without an answer yet.
#[derive(Debug, Serialize)]
struct Attempted {
    attempts: u32,
}

#[derive(Debug, Clone)]
pub struct SimulatedBank {
    ledger: Table,
}

impl From<StoreError> for GatewayUnavailable {
    fn from(err: StoreError) -> Self {
        Self(err.to_string())
    }
}

impl SimulatedBank {
    pub fn new(ledger: Table) -> Self {
        Self { ledger }
    }

    /// The ledger entry for `key`: its answer, if it has given one.
    pub async fn answer_for(&self, key: &str) -> Result<Option<Charge>, StoreError> {
        match self.ledger.get(ledger_key(key), true).await? {
            Some(item) if item.contains_key("outcome") => {
                let entry: Entry = from_item(item)?;
                Ok(Some(match entry.answer {
                    Answer::Approved { charge_id } => Charge::Approved { charge_id },
                    Answer::Declined { reason } => Charge::Declined(reason),
                }))
            }
            // No entry, or only the flaky card's first-attempt mark.
            _ => Ok(None),
        }
    }

    async fn answer(&self, request: &ChargeRequest<'_>) -> Result<Charge, GatewayUnavailable> {
        let key = ledger_key(request.idempotency_key);
        let number = request.card.number.as_str();
        if number == FLAKY_CARD {
            // The first attempt only leaves a mark; the bank "times out".
            let first_attempt = self
                .ledger
                .put_if_absent(to_item(&key, &Attempted { attempts: 1 })?)
                .await?;
            if first_attempt {
                return Err(GatewayUnavailable(
                    "the bank did not answer in time (simulated)".into(),
                ));
            }
        }
        let charge = match number {
            DECLINED_CARD => Charge::Declined(DeclineReason::CardDeclined),
            INSUFFICIENT_FUNDS_CARD => Charge::Declined(DeclineReason::InsufficientFunds),
            _ => Charge::Approved {
                charge_id: format!("ch_{}", uuid::Uuid::new_v4().simple()),
            },
        };
        let entry = Entry {
            amount: request.amount.minor,
            currency: request.amount.currency,
            card_last4: request.card.last4().to_owned(),
            charged_at: OffsetDateTime::now_utc(),
            answer: match &charge {
                Charge::Approved { charge_id } => Answer::Approved {
                    charge_id: charge_id.clone(),
                },
                Charge::Declined(reason) => Answer::Declined { reason: *reason },
            },
        };
        // Only the first answer for a key stands; a racing request gets the recorded one.
        let recorded = self
            .ledger
            .put_when(
                to_item(&key, &entry)?,
                "attribute_not_exists(pk) OR attribute_not_exists(outcome)",
                &[],
                Item::new(),
            )
            .await?;
        if recorded {
            Ok(charge)
        } else {
            self.answer_for(request.idempotency_key)
                .await?
                .ok_or_else(|| GatewayUnavailable("the ledger lost an answer".into()))
        }
    }
}

impl PaymentGateway for SimulatedBank {
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, GatewayUnavailable> {
        if let Some(answer) = self.answer_for(request.idempotency_key).await? {
            return Ok(answer);
        }
        self.answer(&request).await
    }

    async fn recorded(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayUnavailable> {
        Ok(self.answer_for(idempotency_key).await?)
    }
}

fn ledger_key(idempotency_key: &str) -> String {
    format!("BANK#{idempotency_key}")
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};

    use super::*;

    /// Ledger entries written before records were typed (commit 8a57536) still read.
    #[test]
    fn entries_written_by_the_earlier_code_still_read() {
        let item = Item::from([
            ("pk".to_owned(), S("BANK#order-x".into())),
            ("amount".to_owned(), N("6300".into())),
            ("currency".to_owned(), S("EUR".into())),
            ("card_last4".to_owned(), S("4242".into())),
            ("charged_at".to_owned(), S("2026-11-22T10:00:00Z".into())),
            ("outcome".to_owned(), S("approved".into())),
            ("charge_id".to_owned(), S("ch_1".into())),
        ]);
        let entry: Entry = from_item(item.clone()).unwrap();
        assert!(matches!(entry.answer, Answer::Approved { ref charge_id } if charge_id == "ch_1"));
        assert_eq!(to_item("BANK#order-x", &entry).unwrap(), item);
    }
}
