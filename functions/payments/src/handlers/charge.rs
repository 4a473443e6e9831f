//! `payment-charge`: consumes the checkout queue. For each payment attempt: open its billing
//! record, charge the card its token names through the gateway (unless an earlier delivery
//! already got an answer), record the outcome, erase the card, and tell the orders service on the
//! payment results queue.
//!
//! Every step is safe to repeat, so a redelivered message, or one retried after a crash at any
//! point, charges once and reports the same outcome. A gateway that is unavailable fails only that
//! message, which SQS delivers again after the visibility timeout. A token that names no card
//! (it lapsed, or was issued to someone else) is a declined payment, which the customer can try
//! again.

use shared::messages::{CheckoutRequested, DeclineReason, PaymentOutcome, PaymentSettled};
use shared::money::Money;
use shared::sqs::{self, FifoQueue, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};
use time::OffsetDateTime;

use crate::gateway::{Charge, ChargeRequest, PaymentGateway};
use crate::store::PaymentStore;

pub async fn handle<G: PaymentGateway>(
    store: &PaymentStore,
    gateway: &G,
    results: &FifoQueue,
    event: SqsEvent,
) -> SqsBatchResponse {
    sqs::process_batch(event, |message| pay(store, gateway, results, message)).await
}

async fn pay<G: PaymentGateway>(
    store: &PaymentStore,
    gateway: &G,
    results: &FifoQueue,
    message: SqsMessage,
) -> Result<(), MessageError> {
    let checkout: CheckoutRequested = sqs::body(&message)?;
    if checkout.amount <= 0 {
        return Err(MessageError::Poison(format!(
            "order {:?} asks for {}",
            checkout.order_id, checkout.amount
        )));
    }
    let vault = store.vault();
    let now = OffsetDateTime::now_utc();
    let card = vault
        .card(&checkout.card_token, &checkout.owner, now)
        .await
        .map_err(MessageError::retry)?;
    let card_last4 = card.as_ref().map(|card| card.last4().to_owned());
    let mut record = store
        .begin(&checkout, card_last4.unwrap_or_default(), now)
        .await
        .map_err(MessageError::retry)?;
    if record.state.outcome().is_none() {
        let charge = match &card {
            Some(card) => gateway
                .charge(ChargeRequest {
                    idempotency_key: &format!(
                        "order-{}",
                        checkout.attempt.name(&checkout.order_id)
                    ),
                    amount: Money::new(checkout.amount, checkout.currency),
                    card,
                })
                .await
                .map_err(MessageError::retry)?,
            None => Charge::Declined(DeclineReason::CardNotHeld),
        };
        let outcome = match charge {
            Charge::Approved { charge_id } => PaymentOutcome::Approved { charge_id },
            Charge::Declined(reason) => PaymentOutcome::Declined { reason },
        };
        record = store
            .settle(&record, &outcome, OffsetDateTime::now_utc())
            .await
            .map_err(MessageError::retry)?;
        tracing::info!(order_id = %checkout.order_id, ?outcome, "payment settled");
    }
    let Some((outcome, settled_at)) = record.state.outcome() else {
        return Err(MessageError::Retry("the payment is not settled yet".into()));
    };
    // Decided: the card is not needed again, whatever happens next.
    vault
        .forget(&checkout.card_token)
        .await
        .map_err(MessageError::retry)?;
    let settled = PaymentSettled {
        order_id: checkout.order_id.clone(),
        attempt: checkout.attempt,
        outcome,
        settled_at,
        card_last4: (!record.card_last4.is_empty()).then(|| record.card_last4.clone()),
    };
    results
        .send(
            &settled,
            checkout.order_id.as_str(),
            &checkout.attempt.name(&checkout.order_id),
        )
        .await
        .map_err(MessageError::retry)
}
