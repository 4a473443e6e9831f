//! Someone using the shop over HTTP as a customer's browser would: the journey and fault tests'
//! customers, and the benchmark's shoppers, who also time every request by its route.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http_client::{HttpReply, send};

/// Every timed request's duration, by route key (`POST /api/order/add-item`).
pub type Timings = Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>;

/// A visitor of the shop, with the token of their last log-in.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub shop: SocketAddr,
    pub token: Option<String>,
    timings: Option<Timings>,
}

/// An answer the visitor did not expect, from the route it came from.
#[derive(Debug, thiserror::Error)]
#[error("{route}: {status} {body}")]
pub struct Unexpected {
    pub route: &'static str,
    pub status: u16,
    pub body: String,
}

impl Visitor {
    /// A visitor with no token yet.
    pub fn new(shop: SocketAddr) -> Self {
        Self {
            shop,
            token: None,
            timings: None,
        }
    }

    /// A visitor whose every step is timed into `timings`.
    pub fn timed(shop: SocketAddr, timings: Timings) -> Self {
        Self {
            timings: Some(timings),
            ..Self::new(shop)
        }
    }

    pub async fn get(&self, path: &str) -> HttpReply {
        send(self.shop, "GET", path, self.token.as_deref(), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> HttpReply {
        send(self.shop, "POST", path, self.token.as_deref(), Some(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> HttpReply {
        send(self.shop, "PUT", path, self.token.as_deref(), Some(&body)).await
    }

    pub async fn delete(&self, path: &str, body: Value) -> HttpReply {
        send(
            self.shop,
            "DELETE",
            path,
            self.token.as_deref(),
            Some(&body),
        )
        .await
    }

    /// One step: `route` (`"GET /api/order"`) at `path`, timed, and its JSON answer if it came
    /// with `expected` status.
    async fn step(
        &self,
        route: &'static str,
        path: &str,
        body: Option<Value>,
        expected: u16,
    ) -> Result<Value, Unexpected> {
        let method = route.split_once(' ').map_or("GET", |(method, _)| method);
        let started = Instant::now();
        let reply = send(
            self.shop,
            method,
            path,
            self.token.as_deref(),
            body.as_ref(),
        )
        .await;
        if let Some(timings) = &self.timings
            && let Ok(mut timings) = timings.lock()
        {
            timings.entry(route).or_default().push(started.elapsed());
        }
        if reply.status == expected {
            Ok(reply.json())
        } else {
            Err(Unexpected {
                route,
                status: reply.status,
                body: String::from_utf8_lossy(&reply.body).into_owned(),
            })
        }
    }

    /// Registers `username` with `password` and logs in.
    pub async fn sign_up(&mut self, username: &str, password: &str) -> Result<(), Unexpected> {
        let form = json!({
            "username": username, "password": password,
            "email": format!("{username}@example.com"),
            "first_name": "Jo", "last_name": "Urney",
        });
        self.step("POST /api/user/create", "/api/user/create", Some(form), 201)
            .await?;
        self.log_in(username, password).await
    }

    pub async fn log_in(&mut self, username: &str, password: &str) -> Result<(), Unexpected> {
        let credentials = json!({ "username": username, "password": password });
        let session = self
            .step(
                "POST /api/user/login",
                "/api/user/login",
                Some(credentials),
                200,
            )
            .await?;
        self.token = session["token"].as_str().map(str::to_owned);
        Ok(())
    }

    /// The first `limit` products of the catalogue, by slug.
    pub async fn browse(&self, limit: usize) -> Result<Vec<String>, Unexpected> {
        let page = self
            .step(
                "GET /api/products",
                &format!("/api/products?limit={limit}"),
                None,
                200,
            )
            .await?;
        Ok(page["products"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|product| product["slug"].as_str().map(str::to_owned))
            .collect())
    }

    pub async fn product(&self, slug: &str) -> Result<Value, Unexpected> {
        let path = format!("/api/product/{slug}");
        self.step("GET /api/product/{id}", &path, None, 200).await
    }

    /// Adds `qty` of `slug` to the open order; the order as it is then.
    pub async fn add(&self, slug: &str, qty: u32) -> Result<Value, Unexpected> {
        let item = json!({ "product_id": slug, "qty": qty });
        self.step(
            "POST /api/order/add-item",
            "/api/order/add-item",
            Some(item),
            200,
        )
        .await
    }

    /// The open order.
    pub async fn cart(&self) -> Result<Value, Unexpected> {
        self.step("GET /api/order", "/api/order", None, 200).await
    }

    /// What checks the open order out as it is now: its id and version, and the token of an
    /// approved test card the payments service holds for it.
    pub async fn checkout_of_cart(&self) -> Result<Value, Unexpected> {
        let order = self.cart().await?;
        let card = json!({
            "card_number": "4242 4242 4242 4242", "expiry_month": 12,
            "expiry_year": 2030, "holder": "Jo Urney",
        });
        let held = self
            .step(
                "POST /api/payment/card",
                "/api/payment/card",
                Some(card),
                201,
            )
            .await?;
        Ok(json!({
            "order_id": order["id"], "version": order["version"], "card_token": held["card_token"],
        }))
    }

    /// Reviews the open order, has the payments service hold an approved test card, and checks
    /// the order out as reviewed with it; returns the order's id.
    pub async fn check_out(&self) -> Result<String, Unexpected> {
        let checkout = self.checkout_of_cart().await?;
        let order = self
            .step(
                "POST /api/order/checkout",
                "/api/order/checkout",
                Some(checkout),
                202,
            )
            .await?;
        Ok(order["id"].as_str().unwrap_or_default().to_owned())
    }

    /// The order `id` once it is settled, paid or its payment failed, or as it is after
    /// `within`.
    pub async fn settled(&self, id: &str, within: Duration) -> Value {
        let order = self
            .until(&format!("/api/order/{id}"), within, |reply| {
                matches!(
                    reply.json()["status"].as_str(),
                    Some("PAID" | "PAYMENT_FAILED")
                )
            })
            .await;
        order.json()
    }

    /// The answer to `GET path` once `done` says so, or the last one after `within`.
    pub async fn until(
        &self,
        path: &str,
        within: Duration,
        done: impl Fn(&HttpReply) -> bool,
    ) -> HttpReply {
        let deadline = Instant::now() + within;
        loop {
            let reply = self.get(path).await;
            if done(&reply) || Instant::now() > deadline {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
