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

use shared::messages::DeclineReason;
use shared::store::{Item, StoreError, Table, n, s, string};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::gateway::{Charge, ChargeRequest, GatewayUnavailable, PaymentGateway};

pub const DECLINED_CARD: &str = "4000000000000002";
pub const INSUFFICIENT_FUNDS_CARD: &str = "4000000000009995";
pub const FLAKY_CARD: &str = "4000000000000119";

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
    pub async fn recorded(&self, key: &str) -> Result<Option<Charge>, StoreError> {
        let entry = self.ledger.get(ledger_key(key), true).await?;
        Ok(entry.as_ref().and_then(charge_from))
    }

    async fn answer(&self, request: &ChargeRequest<'_>) -> Result<Charge, GatewayUnavailable> {
        let key = ledger_key(request.idempotency_key);
        let number = request.card.number.as_str();
        if number == FLAKY_CARD {
            // The first attempt only leaves a mark; the bank "times out".
            let first_attempt = self
                .ledger
                .put_if_absent(Item::from([
                    ("pk".to_owned(), s(&key)),
                    ("attempts".to_owned(), n(1)),
                ]))
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
        let mut entry = Item::from([
            ("pk".to_owned(), s(&key)),
            ("amount".to_owned(), n(request.amount.minor)),
            ("currency".to_owned(), s(request.amount.currency.code())),
            ("card_last4".to_owned(), s(request.card.last4())),
            (
                "charged_at".to_owned(),
                s(OffsetDateTime::now_utc()
                    .format(&Rfc3339)
                    .unwrap_or_default()),
            ),
        ]);
        match &charge {
            Charge::Approved { charge_id } => {
                entry.insert("outcome".to_owned(), s("approved"));
                entry.insert("charge_id".to_owned(), s(charge_id));
            }
            Charge::Declined(reason) => {
                entry.insert("outcome".to_owned(), s("declined"));
                entry.insert("reason".to_owned(), s(reason.code()));
            }
        }
        // Only the first answer for a key stands; a racing request gets the recorded one.
        let recorded = self
            .ledger
            .put_when(
                entry,
                "attribute_not_exists(pk) OR attribute_not_exists(outcome)",
                &[],
                Item::new(),
            )
            .await?;
        if recorded {
            Ok(charge)
        } else {
            self.recorded(request.idempotency_key)
                .await?
                .ok_or_else(|| GatewayUnavailable("the ledger lost an answer".into()))
        }
    }
}

impl PaymentGateway for SimulatedBank {
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, GatewayUnavailable> {
        if let Some(answer) = self.recorded(request.idempotency_key).await? {
            return Ok(answer);
        }
        self.answer(&request).await
    }
}

fn ledger_key(idempotency_key: &str) -> String {
    format!("BANK#{idempotency_key}")
}

fn charge_from(entry: &Item) -> Option<Charge> {
    match string(entry, "outcome").ok()?.as_str() {
        "approved" => Some(Charge::Approved {
            charge_id: string(entry, "charge_id").ok()?,
        }),
        "declined" => Some(Charge::Declined(DeclineReason::from_code(
            &string(entry, "reason").ok()?,
        )?)),
        _ => None,
    }
}
