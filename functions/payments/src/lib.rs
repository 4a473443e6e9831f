//! The payments service: it holds the customer's card for a payment, charges each checked-out
//! order once, and says how it went. No other service ever sees a card number.
//!
//! - [`card`]: cards held for a payment, behind tokens; the card form's validation.
//! - [`gateway`]: the [`gateway::PaymentGateway`] trait every payment provider implements.
//! - [`bank`]: the shipped provider, a simulated bank that decides by card number.
//! - [`store`]: the billing records, one per payment attempt.
//! - [`handlers`]: the card route and the checkout queue's consumer.
//!
//! Exactly once in effect: the billing record is keyed by payment attempt and created with a
//! conditional write, the charge carries an idempotency key fixed per attempt, and the gateway
//! answers a repeated key with its first answer instead of charging again. So a checkout message
//! delivered twice, or retried after the bank charged but before the function recorded it,
//! charges once.

mod bank;
pub mod card;
pub mod gateway;
pub mod handlers;
mod store;

pub use bank::SimulatedBank;
pub use store::PaymentStore;
