//! `scripts/smoke <SiteUrl>`: one customer's journey against a running shop, a deployed stack
//! (HTTPS, through CloudFront) or the local one, step by step with each step's time, stopping at
//! the first step that fails.
//!
//! It registers an account of its own (`smoke-<random>`, e-mailed at SES's mailbox simulator,
//! which accepts mail even from an account still in the SES sandbox), browses, fills a cart,
//! checks out with a test card, waits for the order to be paid, downloads the receipt, and logs
//! out. Nothing it creates can be removed through the API yet: the account and its paid order
//! stay, under that recognisable name.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::Result;

/// The address receipts go to: SES's mailbox simulator, which takes mail in the sandbox too.
pub const RECIPIENT: &str = "success@simulator.amazonses.com";
/// How long checkout may take to be paid.
const PAYMENT_WAIT: Duration = Duration::from_secs(90);

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A client of the shop at one address, with the token of its last log-in.
struct Shopper {
    client: Client<Https, Full<Bytes>>,
    site: String,
    token: Option<String>,
}

/// An answer: status, content type and body.
struct Answer {
    status: u16,
    content_type: String,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// `Ok` if the status is `expected`, else an error quoting an error's body (never a
    /// success's, which may hold a token).
    fn expect(self, expected: u16) -> Result<Self> {
        if self.status == expected {
            return Ok(self);
        }
        let body = if self.status >= 400 {
            String::from_utf8_lossy(&self.body)
                .chars()
                .take(300)
                .collect::<String>()
        } else {
            String::from("(not shown)")
        };
        Err(format!("expected {expected}, got {}: {body}", self.status).into())
    }
}

impl Shopper {
    fn new(site: &str) -> Result<Self> {
        if !site.starts_with("https://") && !is_this_machine(site) {
            return Err(format!(
                "{site}: plain HTTP only to this machine; a password and a token are sent"
            )
            .into());
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            site: site.trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer> {
        let uri = format!("{}{path}", self.site);
        let request = crate::http_client::request(method, &uri, self.token.as_deref(), body)?;
        let response = tokio::time::timeout(Duration::from_secs(30), self.client.request(request))
            .await
            .map_err(|_| format!("{method} {path} did not answer within 30 s"))??;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            content_type,
            headers,
            body,
        })
    }

    async fn get(&self, path: &str) -> Result<Answer> {
        self.send("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Answer> {
        self.send("POST", path, Some(&body)).await
    }
}

/// Whether `site` is `http://` on a loopback address.
fn is_this_machine(site: &str) -> bool {
    let Some(rest) = site.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host,
    };
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Runs `step`, printing its name, time and outcome; the first failure ends the run.
async fn step<T, F>(number: usize, name: &str, step: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let started = Instant::now();
    let outcome = step.await;
    let millis = started.elapsed().as_millis();
    match &outcome {
        Ok(_) => eprintln!("{number:>2}. {name:<52} ok    {millis:>6} ms"),
        Err(err) => eprintln!("{number:>2}. {name:<52} FAILED {millis:>5} ms: {err}"),
    }
    outcome
}

/// The journey against the shop at `site`; `Err` names the step that failed.
pub async fn run(site: &str) -> Result<()> {
    let mut shopper = Shopper::new(site)?;
    let username = format!("smoke-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    // Random, never shown: nobody can log in as this account afterwards.
    let password = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    eprintln!("smoke test of {site} as {username}");

    step(1, "the storefront, with its security headers", async {
        let page = shopper.get("/").await?.expect(200)?;
        if !page.content_type.starts_with("text/html") {
            return Err(format!("/ is {}, not HTML", page.content_type).into());
        }
        for header in ["content-security-policy", "x-content-type-options"] {
            if !page.headers.contains_key(header) {
                return Err(format!("/ comes without {header}").into());
            }
        }
        Ok(())
    })
    .await?;
    step(2, "register", async {
        let body = json!({
            "username": username, "password": password, "email": RECIPIENT,
            "first_name": "Smoke", "last_name": "Test",
        });
        shopper.post("/api/user/create", body).await?.expect(201)?;
        Ok(())
    })
    .await?;
    let token = step(3, "log in", async {
        let body = json!({ "username": username, "password": password });
        let answer = shopper.post("/api/user/login", body).await?.expect(200)?;
        answer.json()["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no token in the answer".into())
    })
    .await?;
    shopper.token = Some(token.clone());
    let product = step(4, "browse the catalogue", async {
        let page = shopper.get("/api/products?limit=5").await?.expect(200)?;
        let id = page.json()["products"][0]["slug"]
            .as_str()
            .map(str::to_owned)
            .ok_or("the catalogue is empty: seed it (README, After deploying)")?;
        shopper
            .get(&format!("/api/product/{id}"))
            .await?
            .expect(200)?;
        Ok(id)
    })
    .await?;
    let cart = step(5, "add it to the cart", async {
        let body = json!({ "product_id": product, "qty": 1 });
        shopper
            .post("/api/order/add-item", body)
            .await?
            .expect(200)?;
        let cart = shopper.get("/api/order").await?.expect(200)?.json();
        if cart["lines"].as_array().is_none_or(Vec::is_empty) {
            return Err("the cart is empty".into());
        }
        Ok(cart)
    })
    .await?;
    let order = step(6, "check out with a test card", async {
        let card = json!({
            "card_number": "4242 4242 4242 4242", "expiry_month": 12,
            "expiry_year": 2035, "holder": "Smoke Test",
        });
        let held = shopper
            .post("/api/payment/card", card)
            .await?
            .expect(201)?
            .json();
        let body = json!({
            "order_id": cart["id"], "version": cart["version"], "card_token": held["card_token"],
        });
        let answer = shopper
            .post("/api/order/checkout", body)
            .await?
            .expect(202)?;
        answer.json()["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no order id in the answer".into())
    })
    .await?;
    step(7, "wait for the payment to settle as PAID", async {
        let deadline = Instant::now() + PAYMENT_WAIT;
        loop {
            let status = shopper
                .get(&format!("/api/order/{order}"))
                .await?
                .expect(200)?
                .json()["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            match status.as_str() {
                "PAID" => return Ok(()),
                "PENDING_PAYMENT" if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                other => return Err(format!("the order is {other}").into()),
            }
        }
    })
    .await?;
    step(8, "download the receipt", async {
        let receipt = shopper
            .get(&format!("/api/order/{order}/receipt"))
            .await?
            .expect(200)?;
        if receipt.content_type != "application/pdf" || !receipt.body.starts_with(b"%PDF-") {
            return Err(format!("the receipt is {}, not a PDF", receipt.content_type).into());
        }
        Ok(())
    })
    .await?;
    step(9, "log out, and the token stops working", async {
        shopper
            .post("/api/user/logout", json!({}))
            .await?
            .expect(204)?;
        shopper.get("/api/user").await?.expect(401)?;
        Ok(())
    })
    .await?;
    eprintln!(
        "the shop works. Left behind (no route removes them yet): the account {username} and \
         its paid order {order}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_goes_only_to_this_machine() {
        for site in [
            "http://127.0.0.1:3000",
            "http://localhost:3000/",
            "http://[::1]:3000",
        ] {
            assert!(is_this_machine(site), "{site}");
        }
        for site in [
            "http://shop.example",
            "http://d1.cloudfront.net",
            "http://10.0.0.1:3000",
            "https://127.0.0.1",
        ] {
            assert!(!is_this_machine(site), "{site}");
        }
        assert!(Shopper::new("http://d1.cloudfront.net").is_err());
    }
}
