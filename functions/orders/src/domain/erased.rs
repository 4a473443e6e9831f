//! What a checked-out order keeps when its owner deletes their account: what the shop's books
//! need (its lines, amounts, currency, dates, status, attempt and the card's last four digits),
//! and nothing of the person (owned by [`Username::erased`], no name, no address).

use shared::ids::Username;
use time::OffsetDateTime;

use super::{Order, State};

impl Order {
    /// This order without its customer, as a new version written at `now`; `None` for an open
    /// order (a cart, deleted instead) and for one already anonymous.
    pub fn anonymised(&self, now: OffsetDateTime) -> Option<Self> {
        if self.owner.is_erased() {
            return None;
        }
        let mut next = self.clone();
        let payer = match &mut next.state {
            State::Open => return None,
            State::PendingPayment { payer, .. }
            | State::Paid { payer, .. }
            | State::PaymentFailed { payer, .. } => payer,
        };
        payer.email = String::new();
        payer.email_verified = false;
        payer.customer_name = String::new();
        next.owner = Username::erased();
        next.updated_at = now;
        next.version += 1;
        Some(next)
    }
}
