//! What the payments service needs from a payment provider.
//!
//! A real provider (Stripe, Adyen, a bank's API) is one more implementation of
//! [`PaymentGateway`]; nothing else changes.

use std::future::Future;

use shared::messages::DeclineReason;
use shared::money::Money;

use crate::card::Card;

/// One charge, as sent to the provider.
#[derive(Debug, Clone, Copy)]
pub struct ChargeRequest<'a> {
    /// Fixed per payment attempt: a provider that sees a key again must answer as it did the
    /// first time, without charging again.
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub card: &'a Card,
}

/// The provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charge {
    Approved { charge_id: String },
    Declined(DeclineReason),
}

/// The provider could not answer now; the same request may succeed later.
#[derive(Debug, thiserror::Error)]
#[error("the payment provider is unavailable: {0}")]
pub struct GatewayUnavailable(pub String);

pub trait PaymentGateway: Send + Sync {
    /// Charges `request.amount` to the card, once per idempotency key.
    fn charge(
        &self,
        request: ChargeRequest<'_>,
    ) -> impl Future<Output = Result<Charge, GatewayUnavailable>> + Send;

    /// The answer already given for `idempotency_key`, if any: how a payment whose card is gone
    /// learns whether an earlier try reached the provider.
    fn recorded(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<Charge>, GatewayUnavailable>> + Send;
}
