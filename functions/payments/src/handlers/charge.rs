//! `payment-charge`: consumes the checkout queue. For each payment attempt: claim the card its
//! token names, open its billing record, charge through the gateway (unless an earlier delivery
//! already got an answer), record the outcome, erase the card, and tell the orders service on the
//! payment results queue.
//!
//! Every step is safe to repeat, so a redelivered message, or one retried after a crash at any
//! point, charges once and reports the same outcome. A gateway that is unavailable fails only that
//! message, which SQS delivers again after the visibility timeout. A token that names no card
//! this payment may use (it lapsed, is someone else's, or paid for another attempt) is a declined
//! payment the customer can try again; unless an earlier delivery reached the bank with the card
//! before it went, in which case the bank's answer for the attempt stands.

use serde::Deserialize;
use shared::ids::{CardToken, OrderId, Username};
use shared::messages::{Attempt, CheckoutRequested, DeclineReason, PaymentOutcome, PaymentSettled};
use shared::metrics::{self, Metric};
use shared::money::{Currency, Money};
use shared::sqs::{self, FifoQueue, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::card::{Card, CardVault};
use crate::gateway::{Charge, ChargeRequest, PaymentGateway};
use crate::store::PaymentStore;

/// What a payment needs, whichever form its message came in.
struct Payment {
    order_id: OrderId,
    attempt: Attempt,
    owner: Username,
    amount: Money,
    card: CardSource,
}

/// Where the card comes from.
enum CardSource {
    /// Held by this service, named by a token (every checkout since cards were held here).
    Held(CardToken),
    /// Carried in the message itself, as checkouts were sent before: those still queued at the
    /// upgrade are charged with it, and it goes with the message.
    Carried(Card),
}

/// A checkout message as the orders service sends it, or as it sent it before cards were held
/// by the payments service.
#[derive(Deserialize)]
#[serde(untagged)]
enum Incoming {
    Current(CheckoutRequested),
    Earlier(EarlierCheckout),
}

/// The fields of the earlier checkout message a payment needs (it also had `email` and
/// `requested_at`).
#[derive(Deserialize)]
struct EarlierCheckout {
    order_id: OrderId,
    owner: Username,
    amount: i64,
    currency: Currency,
    card: Card,
}

impl From<Incoming> for Payment {
    fn from(incoming: Incoming) -> Self {
        match incoming {
            Incoming::Current(checkout) => Self {
                order_id: checkout.order_id,
                attempt: checkout.attempt,
                owner: checkout.owner,
                amount: Money::new(checkout.amount, checkout.currency),
                card: CardSource::Held(checkout.card_token),
            },
            Incoming::Earlier(checkout) => Self {
                order_id: checkout.order_id,
                attempt: Attempt::default(),
                owner: checkout.owner,
                amount: Money::new(checkout.amount, checkout.currency),
                card: CardSource::Carried(checkout.card),
            },
        }
    }
}

pub async fn handle<G: PaymentGateway>(
    store: &PaymentStore,
    vault: &CardVault,
    gateway: &G,
    results: &FifoQueue,
    event: SqsEvent,
) -> SqsBatchResponse {
    sqs::process_batch(event, |message| {
        pay(store, vault, gateway, results, message)
    })
    .await
}

async fn pay<G: PaymentGateway>(
    store: &PaymentStore,
    vault: &CardVault,
    gateway: &G,
    results: &FifoQueue,
    message: SqsMessage,
) -> Result<(), MessageError> {
    let payment = Payment::from(sqs::body::<Incoming>(&message)?);
    shared::journey::record_order(payment.order_id.as_str());
    if payment.amount.minor <= 0 {
        return Err(MessageError::Poison(format!(
            "order {:?} asks for {}",
            payment.order_id, payment.amount.minor
        )));
    }
    let name = payment.attempt.name(&payment.order_id);
    let idempotency_key = format!("order-{name}");
    let now = OffsetDateTime::now_utc();
    let card = match &payment.card {
        CardSource::Held(token) => vault
            .claim(token, &payment.owner, &name, now)
            .await
            .map_err(MessageError::retry)?,
        CardSource::Carried(card) => Some(card.clone()),
    };
    let card_last4 = card.as_ref().map(|card| card.last4().to_owned());
    let mut record = store
        .begin(
            &payment.order_id,
            payment.attempt,
            payment.amount,
            card_last4.unwrap_or_default(),
            now,
        )
        .await
        .map_err(MessageError::retry)?;
    if record.state.outcome().is_none() {
        let charge = match &card {
            Some(card) => gateway
                .charge(ChargeRequest {
                    idempotency_key: &idempotency_key,
                    amount: payment.amount,
                    card,
                })
                .await
                .map_err(MessageError::retry)?,
            // No card to charge now; an earlier delivery may still have reached the bank with it.
            None => gateway
                .recorded(&idempotency_key)
                .await
                .map_err(MessageError::retry)?
                .unwrap_or(Charge::Declined(DeclineReason::CardNotHeld)),
        };
        let outcome = match charge {
            Charge::Approved { charge_id } => PaymentOutcome::Approved { charge_id },
            Charge::Declined(reason) => PaymentOutcome::Declined { reason },
        };
        let written;
        (record, written) = store
            .settle(&record, &outcome, OffsetDateTime::now_utc())
            .await
            .map_err(MessageError::retry)?;
        tracing::info!(order_id = %payment.order_id, ?outcome, written, "payment settled");
        // Counted by the delivery that recorded it, as it was recorded.
        if let (true, Some((outcome, _))) = (written, record.state.outcome()) {
            metrics::record(match outcome {
                PaymentOutcome::Approved { .. } => Metric::PaymentsApproved {
                    currency: payment.amount.currency.code(),
                },
                PaymentOutcome::Declined { reason } => Metric::PaymentsDeclined {
                    reason: reason.code(),
                },
            });
        }
    }
    let Some((outcome, settled_at)) = record.state.outcome() else {
        return Err(MessageError::Retry("the payment is not settled yet".into()));
    };
    // Decided: the card is not needed again, whatever happens next.
    if let CardSource::Held(token) = &payment.card {
        vault
            .forget(token, &name)
            .await
            .map_err(MessageError::retry)?;
    }
    let settled = PaymentSettled {
        order_id: payment.order_id.clone(),
        attempt: payment.attempt,
        outcome,
        settled_at,
        card_last4: (!record.card_last4.is_empty()).then(|| record.card_last4.clone()),
    };
    results
        .send(&settled, payment.order_id.as_str(), &name)
        .await
        .map_err(MessageError::retry)
}
