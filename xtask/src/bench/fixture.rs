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
//! A writer whose event makes something under a name (registration, a new product) can do so
//! once: each of its calls gets a name of its own ([`Fixture::call`]). A checkout takes the
//! cart it checks out: `order-checkout` has an account of its own too, which fills a cart and
//! holds a card before each call. A call that uses up an account (deleting it, changing it, or
//! asking for its e-mails, a few a day) gets an account made for it, and the reset asked for by
//! address, limited by network, a network of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::body::Bytes;

use super::{BenchConfig, PASSWORD};
use crate::Result;
use crate::http_client::HttpReply;
use crate::local::LocalShop;
use crate::template::Function;
use crate::visitor::Visitor;

/// The order every sample event names.
const SAMPLE_ORDER: &str = "6f1c2d3e4b5a69788796a5b4c3d2e1f0";
/// The customer the sample events are for, and the address they come from.
const SAMPLE_USER: &str = "ada";
const SAMPLE_ADDRESS: &str = "203.0.113.7";
/// Her e-mail address, in the authorizer's context and where she is asked for by address.
const SAMPLE_EMAIL: &str = "ada@example.com";
/// The product the cart events name.
const CART_PRODUCT: &str = "enamel-camp-mug";
/// The function whose every call takes a cart.
const CHECKOUT: &str = "order-checkout";
/// The functions whose every call uses up an account: they delete it, or change it, or ask for
/// its e-mails (a few a day). Each call gets an account made for it.
const ACCOUNT_A_CALL: &[&str] = &["user-delete", "user-email-change", "user-password-change"];
/// The function whose every call uses up its client's quota (reset e-mails asked for, by
/// network): each call comes from a network of its own.
const NETWORK_A_CALL: &str = "user-password-reset";
/// How long the purchase may take through the local queues.
const SETTLING: Duration = Duration::from_secs(90);

/// The writers whose sample event can do its work once only, for the name it gives, and what
/// each call renames (`{n}`: the call's number, unique in the run).
const RENAMED: &[(&str, &[(&str, &str)])] = &[
    // `ada` is registered: a newcomer each call.
    (
        "user-create",
        &[
            (r#"\"ada\""#, r#"\"newcomer{n}\""#),
            (SAMPLE_EMAIL, "newcomer{n}@example.com"),
        ],
    ),
    // The mug's slug is taken after the first call: a mug of its own each call.
    (
        "product-create",
        &[("enamel-camp-mug", "enamel-camp-mug-{n}")],
    ),
];

/// Live sessions, and a paid order of `ada`'s, for the sample events.
pub(super) struct Fixture {
    /// `ada`, logged in.
    ada: Visitor,
    /// The users table, for the accounts made for a call; `None` in unit tests.
    users: Option<users::UserStore>,
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
        let users =
            users::UserStore::new(shared::aws::dynamodb(&sdk), &shop.names.refs["UsersTable"]);
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
            order,
            own,
            calls: AtomicUsize::new(0),
        })
    }

    /// The event for one call of `binary`, and what the shop must hold for it, made ready
    /// before the call is timed: for a writer in [`RENAMED`], names no call has used; for
    /// `order-checkout`, a cart of its account's and a card held for it; for `order-add-item`,
    /// now and then a line short of its limit (99) again; for [`ACCOUNT_A_CALL`], an account
    /// made for the call; for [`NETWORK_A_CALL`], a client network of the call's own.
    pub(super) async fn call(&self, binary: &str, event: &Bytes) -> Result<Bytes> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        match binary {
            CHECKOUT => {
                let mut shopper = Visitor::new(self.ada.shop);
                shopper.token = self.own.get(CHECKOUT).map(|own| own.token.clone());
                shopper.add(CART_PRODUCT, 1).await?;
                let checkout = shopper.checkout_of_cart().await?;
                let mut event: serde_json::Value = serde_json::from_slice(event)?;
                event["body"] = checkout.to_string().into();
                return Ok(Bytes::from(event.to_string()));
            }
            // Its event adds two mugs: 40 calls add 80.
            "order-add-item" if n.is_multiple_of(40) => {
                let line = serde_json::json!({ "product_id": CART_PRODUCT, "qty": 1 });
                let reset = self.ada.post("/api/order/update-item", line).await;
                if reset.status != 200 {
                    return Err(format!("the fixture: the cart's line: {}", reset.status).into());
                }
            }
            _ if ACCOUNT_A_CALL.contains(&binary) => {
                let name = format!("account{n}");
                let users = self.users.as_ref().ok_or("the fixture: no users table")?;
                crate::seed::account(users, &name, PASSWORD, false).await?;
                let event = replaced(event, &format!(r#""{binary}""#), &format!(r#""{name}""#))?;
                return replaced(&event, SAMPLE_EMAIL, &format!("{name}@shop.example"));
            }
            NETWORK_A_CALL => {
                let own = self.own.get(binary).ok_or("the fixture: no address")?;
                // 2001:db8::/32 is for documentation; a client is counted by its /56, which
                // the call's number spans (up to 2^24 calls).
                let network = format!("2001:db8:{:x}:{:x}00::1", (n >> 8) & 0xffff, n & 0xff);
                return replaced(event, &own.address, &network);
            }
            _ => {}
        }
        renamed(binary, event, n)
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

/// `event` with `from` replaced by `to`; an error if it does not say `from`, which would
/// measure the same call again and again.
fn replaced(event: &Bytes, from: &str, to: &str) -> Result<Bytes> {
    let text = String::from_utf8_lossy(event);
    if !text.contains(from) {
        return Err(format!("the fixture: an event without {from}").into());
    }
    Ok(Bytes::from(text.replace(from, to)))
}

/// `event` for call `n` of `binary`: as it is, or for a writer in [`RENAMED`] with names of
/// that call's own (an error, as [`replaced`]'s, if the event does not name what it renames).
fn renamed(binary: &str, event: &Bytes, n: usize) -> Result<Bytes> {
    let Some((_, renames)) = RENAMED.iter().find(|(name, _)| *name == binary) else {
        return Ok(event.clone());
    };
    let mut event = event.clone();
    for (from, to) in *renames {
        event = replaced(&event, from, &to.replace("{n}", &n.to_string()))?;
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::AtomicUsize;

    use hyper::body::Bytes;

    use super::{CART_PRODUCT, Fixture, Own, SAMPLE_ADDRESS, SAMPLE_ORDER, renamed};
    use crate::visitor::Visitor;

    /// A fixture of these accounts, with no shop behind it.
    fn fixture(own: HashMap<String, Own>) -> Fixture {
        let mut ada = Visitor::new(std::net::SocketAddr::from(([127, 0, 0, 1], 9)));
        ada.token = Some("ada-s".into());
        Fixture {
            ada,
            users: None,
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

    /// Each call of a writer whose event names what it makes names something new; others'
    /// events are left as they are.
    #[test]
    fn a_renamed_writer_registers_someone_new_each_call() {
        let events = crate::template::workspace_root().join("events");
        let read = |name: &str| {
            Bytes::from(std::fs::read_to_string(events.join(format!("{name}.json"))).unwrap())
        };
        let body = |event: Bytes| -> serde_json::Value {
            let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
            serde_json::from_str(event["body"].as_str().unwrap()).unwrap()
        };
        let registration = read("user-create");
        let first = body(renamed("user-create", &registration, 0).unwrap());
        assert_eq!(
            (&first["username"], &first["email"]),
            (&"newcomer0".into(), &"newcomer0@example.com".into())
        );
        assert_eq!(
            body(renamed("user-create", &registration, 1).unwrap())["username"],
            "newcomer1"
        );
        let mug = read("product-create");
        assert_eq!(
            body(renamed("product-create", &mug, 2).unwrap())["slug"],
            "enamel-camp-mug-2"
        );
        assert_eq!(renamed("product-get", &mug, 3).unwrap(), mug);
    }
}
