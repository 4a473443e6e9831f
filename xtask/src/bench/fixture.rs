//! What the sample events name, made real before the functions are measured.
//!
//! The events in `events/` are `ada`'s, name one order, [`SAMPLE_ORDER`], and carry `<token>`
//! where a session goes. In the measured shop that order does not exist, so `order-get` and
//! `receipt-get` would measure a 404 and `order-settle` a message it rejects. Before the
//! triggers are paused, `ada` buys a product through the shop, and the events name her order,
//! paid and with its receipt, and carry her session. The consumers (`payment-charge`,
//! `order-settle`, `receipt-email`) then take that order's messages again after the shop has
//! processed them: their warm calls measure a redelivery, which every consumer must handle.
//! She is left with a cart holding the product the cart events change.
//!
//! The users service's functions change or end the account they act on: they delete it,
//! change its password, end its sessions, and failed log-ins throttle it. Each of them gets an
//! account of its own, named as the function, in place of `ada`, so that none measures what
//! another left behind.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::PASSWORD;
use crate::Result;
use crate::local::LocalShop;
use crate::visitor::Visitor;

/// The order every sample event names.
const SAMPLE_ORDER: &str = "6f1c2d3e4b5a69788796a5b4c3d2e1f0";
/// The customer the sample events are for.
const SAMPLE_USER: &str = "ada";
/// The product the cart events name.
const CART_PRODUCT: &str = "enamel-camp-mug";
/// How long the purchase may take through the local queues.
const SETTLING: Duration = Duration::from_secs(90);

/// Live sessions, and a paid order of `ada`'s, for the sample events.
pub(super) struct Fixture {
    /// `ada`'s session.
    token: String,
    order: String,
    /// The users service's functions' own accounts' sessions, by function (and user) name.
    own: HashMap<String, String>,
}

impl Fixture {
    /// Logs `ada` in and has her buy the catalogue's first product, waiting until her order is
    /// paid and its receipt can be fetched, then fill a cart; and gives each of the users service's functions
    /// among `measured` an account of its own, logged in.
    pub(super) async fn prepare(shop: &LocalShop, measured: &[&str]) -> Result<Self> {
        let mut ada = Visitor::new(shop.http);
        ada.log_in(SAMPLE_USER, PASSWORD).await?;
        let slug = ada
            .browse(1)
            .await?
            .into_iter()
            .next()
            .ok_or("the fixture: the catalogue is empty")?;
        ada.add(&slug, 1).await?;
        let order = ada.check_out().await?;
        let paid = ada.order_once(&order, "PAID", SETTLING).await;
        if paid["status"] != "PAID" {
            return Err(format!("the fixture: order {order} is not paid: {paid}").into());
        }
        let receipt = format!("/api/order/{order}/receipt");
        let deadline = Instant::now() + SETTLING;
        while ada.get(&receipt).await.status != 200 {
            if Instant::now() > deadline {
                return Err(format!("the fixture: order {order} has no receipt").into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // And a cart holding what `order-update-item`'s event changes.
        ada.add(CART_PRODUCT, 1).await?;

        let sdk = shared::aws::sdk_config().await;
        let users =
            users::UserStore::new(shared::aws::dynamodb(&sdk), &shop.names.refs["UsersTable"]);
        let mut own = HashMap::new();
        for name in measured.iter().filter(|name| name.starts_with("user-")) {
            crate::seed::account(&users, name, PASSWORD, false).await?;
            let mut user = Visitor::new(shop.http);
            user.log_in(name, PASSWORD).await?;
            own.insert((*name).to_owned(), user.token.unwrap_or_default());
        }
        Ok(Self {
            token: ada
                .token
                .ok_or("the fixture: the log-in returned no token")?,
            order,
            own,
        })
    }

    /// One of `binary`'s sample events as measured: the order made real, and the session and
    /// the user those of the account it acts on.
    pub(super) fn event(&self, binary: &str, sample: &str) -> String {
        let sample = sample.replace(SAMPLE_ORDER, &self.order);
        match self.own.get(binary) {
            None => sample.replace("<token>", &self.token),
            // The user's name as a JSON string, and as one inside a JSON string (a body).
            Some(token) => sample
                .replace("<token>", token)
                .replace(&format!(r#""{SAMPLE_USER}""#), &format!(r#""{binary}""#))
                .replace(
                    &format!(r#"\"{SAMPLE_USER}\""#),
                    &format!(r#"\"{binary}\""#),
                ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{CART_PRODUCT, Fixture, SAMPLE_ORDER};

    #[test]
    fn the_sample_events_name_the_sample_order() {
        let events = crate::template::workspace_root().join("events");
        for name in ["order-get", "receipt-get", "order-settle", "payment-charge"] {
            let text = std::fs::read_to_string(events.join(format!("{name}.json"))).unwrap();
            assert!(text.contains(SAMPLE_ORDER), "{name} names another order");
        }
        for name in ["order-update-item", "order-add-item"] {
            let text = std::fs::read_to_string(events.join(format!("{name}.json"))).unwrap();
            assert!(text.contains(CART_PRODUCT), "{name} names another product");
        }
    }

    #[test]
    fn an_event_gets_the_session_the_order_and_the_user() {
        let fixture = Fixture {
            token: "ada-s".into(),
            order: "0123456789abcdef0123456789abcdef".into(),
            own: HashMap::from([("user-delete".to_owned(), "own-s".to_owned())]),
        };
        let sample = format!(
            r#"{{"auth":"Bearer <token>","id":"{SAMPLE_ORDER}","username":"ada","body":"{{\"username\": \"ada\"}}","email":"ada@example.com"}}"#
        );
        assert_eq!(
            fixture.event("order-get", &sample),
            r#"{"auth":"Bearer ada-s","id":"0123456789abcdef0123456789abcdef","username":"ada","body":"{\"username\": \"ada\"}","email":"ada@example.com"}"#
        );
        assert_eq!(
            fixture.event("user-delete", &sample),
            r#"{"auth":"Bearer own-s","id":"0123456789abcdef0123456789abcdef","username":"user-delete","body":"{\"username\": \"user-delete\"}","email":"ada@example.com"}"#
        );
    }
}
