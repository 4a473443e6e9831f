//! The payments service: it charges each checked-out order once, and says how it went.
//!
//! - [`gateway`]: the [`gateway::PaymentGateway`] trait every payment provider implements.
//! - [`bank`]: the shipped provider, a simulated bank that decides by card number.
//! - [`store`]: the billing records, one per order.
//! - [`handlers`]: the checkout queue's consumer.
//!
//! Exactly once in effect: the billing record is keyed by order and created with a conditional
//! write, the charge carries an idempotency key fixed per order, and the gateway answers a
//! repeated key with its first answer instead of charging again. So a checkout message delivered
//! twice, or retried after the bank charged but before the function recorded it, charges once.

mod bank;
pub mod gateway;
pub mod handlers;
mod store;

pub use bank::SimulatedBank;
pub use store::PaymentStore;
