//! What the sample events name, made real before the functions are measured.
//!
//! The events in `events/` are `ada`'s, come from one client address, name one order,
//! [`SAMPLE_ORDER`], and carry `<token>` where a session goes (only the authorizer reads it: the
//! other functions take the caller from the authorizer's context written into the event). In
//! the measured shop that order does not exist, so `order-get` and `receipt-get` would measure a
//! 404 and `order-settle` a message it rejects. Before the triggers are paused, `ada` buys a
//! product through the shop, and the events name her order, paid and with its receipt. The
//! consumers (`payment-charge`, `order-settle`, `receipt-email`) then take that order's messages
//! again after the shop has processed them: their warm calls measure a redelivery, which every
//! consumer must handle. She is left with a cart holding the product the cart events change.
//!
//! The users service's HTTP functions that write act on the caller's account: they delete it,
//! change its password, end its sessions, and failed log-ins throttle it and the address they
//! come from. Each of them (registration aside, which makes its own) gets an account of its
//! own, named as the function, and an address of its own, in place of `ada` and hers, so that
//! none measures what another left behind, and `ada`'s session stays good for the readers.
//! The consumers' events name other people (`ada_lovelace`, who was never registered here):
//! they measure the path that finds nothing to do.
//!
//! A writer's event can do its work once at most; [`per_call`] makes each call's ready.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use super::{BenchConfig, PASSWORD};
use crate::Result;
use crate::http_client::HttpReply;
use crate::local::LocalShop;
use crate::template::Function;
use crate::visitor::Visitor;

mod per_call;
use per_call::CHECKOUT;

/// The order every sample event names.
const SAMPLE_ORDER: &str = "6f1c2d3e4b5a69788796a5b4c3d2e1f0";
/// The customer the sample events are for, and the address they come from.
const SAMPLE_USER: &str = "ada";
const SAMPLE_ADDRESS: &str = "203.0.113.7";
/// Her e-mail address, in the authorizer's context and where she is asked for by address.
const SAMPLE_EMAIL: &str = "ada@example.com";
/// The product the cart events name.
pub(super) const CART_PRODUCT: &str = "enamel-camp-mug";
/// How long the purchase may take through the local queues.
const SETTLING: Duration = Duration::from_secs(90);

/// Live sessions, and a paid order of `ada`'s, for the sample events.
pub(super) struct Fixture {
    /// `ada`, logged in.
    ada: Visitor,
    /// The users table, for the accounts made for a call; `None` in unit tests.
    users: Option<users::UserStore>,
    /// The products table, for the products made for a call, and the mug they copy; `None` in
    /// unit tests.
    products: Option<(products::ProductStore, products::domain::NewProduct)>,
    order: String,
    /// The accounts of the users service's functions, by function (and user) name.
    own: HashMap<String, Own>,
    /// Calls made ready so far, of every function: it numbers names and paces resets.
    calls: AtomicUsize,
}

/// A function's own account: its session, and the client address its events come from.
struct Own {
    token: String,
    address: String,
}

impl Fixture {
    /// Logs `ada` in and has her buy the catalogue's first product, waiting until her order is
    /// paid and its receipt can be fetched, then fill a cart; and gives each of the users
    /// service's writing HTTP functions among those the `config` measures, and
    /// `order-checkout`, an account of its own, logged in.
    pub(super) async fn prepare(
        shop: &LocalShop,
        declared: &[Function],
        config: &BenchConfig,
    ) -> Result<Self> {
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
        let paid = ada.settled(&order, SETTLING).await;
        if paid["status"] != "PAID" {
            return Err(format!("the fixture: order {order} is not paid: {paid}").into());
        }
        let receipt = format!("/api/order/{order}/receipt");
        let stored = |reply: &HttpReply| reply.status == 200;
        if !stored(&ada.until(&receipt, SETTLING, stored).await) {
            return Err(format!("the fixture: order {order} has no receipt").into());
        }
        // And a cart holding what `order-update-item`'s event changes.
        ada.add(CART_PRODUCT, 1).await?;

        let sdk = shared::aws::sdk_config().await;
        let dynamodb = shared::aws::dynamodb(&sdk);
        let users = users::UserStore::new(dynamodb.clone(), &shop.names.refs["UsersTable"]);
        let products = products::ProductStore::new(dynamodb, &shop.names.refs["ProductsTable"]);
        let mut own = HashMap::new();
        let acting_on_the_caller = declared.iter().filter(|function| {
            let name = function.binary.as_str();
            config.measures(name)
                && (name == CHECKOUT
                    || name.starts_with("user-")
                        && name != "user-create"
                        && super::measure::writes_over_http(function))
        });
        for (index, function) in acting_on_the_caller.enumerate() {
            let name = function.binary.as_str();
            crate::seed::account(&users, name, PASSWORD, false).await?;
            let mut user = Visitor::new(shop.http);
            user.log_in(name, PASSWORD).await?;
            let token = user
                .token
                .ok_or_else(|| format!("the fixture: {name}'s log-in returned no token"))?;
            // 198.51.100.0/24 is, like the samples' 203.0.113.0/24, for documentation.
            let address = format!("198.51.100.{}", index + 1);
            own.insert(name.to_owned(), Own { token, address });
        }
        if ada.token.is_none() {
            return Err("the fixture: the log-in returned no token".into());
        }
        Ok(Self {
            ada,
            users: Some(users),
            products: Some((products, crate::seed::product(CART_PRODUCT)?)),
            order,
            own,
            calls: AtomicUsize::new(0),
        })
    }

    /// One of `binary`'s sample events as measured: the order made real, and the session, the
    /// user and the address those of the account it acts on.
    pub(super) fn event(&self, binary: &str, sample: &str) -> String {
        let sample = sample.replace(SAMPLE_ORDER, &self.order);
        match self.own.get(binary) {
            None => sample.replace("<token>", self.ada.token.as_deref().unwrap_or_default()),
            // The user's name as a JSON string, and as one inside a JSON string (a body).
            Some(own) => sample
                .replace("<token>", &own.token)
                .replace(SAMPLE_ADDRESS, &own.address)
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
    use std::sync::atomic::AtomicUsize;

    use super::{CART_PRODUCT, Fixture, Own, SAMPLE_ADDRESS, SAMPLE_ORDER};
    use crate::visitor::Visitor;

    /// A fixture of these accounts, with no shop behind it.
    pub(super) fn fixture(own: HashMap<String, Own>) -> Fixture {
        let mut ada = Visitor::new(std::net::SocketAddr::from(([127, 0, 0, 1], 9)));
        ada.token = Some("ada-s".into());
        Fixture {
            ada,
            users: None,
            products: None,
            order: "0123456789abcdef0123456789abcdef".into(),
            own,
            calls: AtomicUsize::new(0),
        }
    }

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
    fn an_event_gets_the_session_the_order_the_user_and_the_address() {
        let fixture = fixture(HashMap::from([(
            "user-delete".to_owned(),
            Own {
                token: "own-s".into(),
                address: "198.51.100.1".into(),
            },
        )]));
        let sample = format!(
            r#"{{"auth":"Bearer <token>","id":"{SAMPLE_ORDER}","username":"ada","body":"{{\"username\": \"ada\"}}","sourceIp":"203.0.113.7"}}"#
        );
        assert_eq!(
            fixture.event("order-get", &sample),
            r#"{"auth":"Bearer ada-s","id":"0123456789abcdef0123456789abcdef","username":"ada","body":"{\"username\": \"ada\"}","sourceIp":"203.0.113.7"}"#
        );
        assert_eq!(
            fixture.event("user-delete", &sample),
            r#"{"auth":"Bearer own-s","id":"0123456789abcdef0123456789abcdef","username":"user-delete","body":"{\"username\": \"user-delete\"}","sourceIp":"198.51.100.1"}"#
        );
    }

    /// Every mention of the caller in the real events of a function with an account of its own
    /// is replaced: its user, its session, its address.
    #[test]
    fn the_real_events_of_a_function_with_its_own_account_name_it_throughout() {
        let fixture = fixture(
            [
                "user-login",
                "user-delete",
                "user-password-change",
                "user-logout-everywhere",
            ]
            .into_iter()
            .map(|name| {
                let own = Own {
                    token: format!("{name}-s"),
                    address: "198.51.100.9".into(),
                };
                (name.to_owned(), own)
            })
            .collect(),
        );
        let events = crate::template::workspace_root().join("events");
        for name in [
            "user-login",
            "user-delete",
            "user-password-change",
            "user-logout-everywhere",
        ] {
            let sample = std::fs::read_to_string(events.join(format!("{name}.json"))).unwrap();
            let event = fixture.event(name, &sample);
            for left in [r#""ada""#, r#"\"ada\""#, "<token>", SAMPLE_ADDRESS] {
                assert!(!event.contains(left), "{name} still says {left}");
            }
        }
    }
}
