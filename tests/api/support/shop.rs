//! The local shop (`cargo xtask run`'s) started in-process on free ports, with its own tables,
//! queues and bucket, running the real function binaries; and a client that talks to it as a
//! customer's browser would.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use xtask::deliver::Redelivery;
use xtask::http_client::{HttpReply, send};
use xtask::local::{Captured, Console, LocalConfig, LocalShop};
use xtask::template::workspace_root;

use super::sdk_config;

/// How to start a test shop; `Default` is the plain shop.
#[derive(Debug, Default)]
pub(crate) struct ShopOptions {
    /// Extra environment for every function, such as another DynamoDB endpoint.
    pub environment: Vec<(String, String)>,
    /// Keep every line the functions write, for [`TestShop::logs`].
    pub capture_logs: bool,
    /// The storefront's files, if not `web/`.
    pub web: Option<std::path::PathBuf>,
}

/// A running local shop. Stop it with [`TestShop::stop`].
#[derive(Debug)]
pub(crate) struct TestShop {
    pub shop: LocalShop,
    /// The token-signing secret its functions were given.
    pub token_secret: String,
    logs: Option<Captured>,
}

impl std::ops::Deref for TestShop {
    type Target = LocalShop;

    fn deref(&self) -> &LocalShop {
        &self.shop
    }
}

impl TestShop {
    /// Every line the functions have written so far (with [`ShopOptions::capture_logs`]).
    pub(crate) fn logs(&self) -> Vec<String> {
        self.logs
            .as_ref()
            .map(|logs| logs.lock().unwrap().clone())
            .unwrap_or_default()
    }

    pub(crate) async fn stop(self) {
        self.shop.stop().await;
    }

    /// Loads the seed catalogue into this shop's products table.
    pub(crate) async fn seed_catalogue(&self) {
        let sdk = sdk_config().await;
        let products = products::ProductStore::new(
            shared::aws::dynamodb(&sdk),
            &self.names.refs["ProductsTable"],
        );
        xtask::seed::load(&products).await.unwrap();
    }

    /// A visitor with no token yet.
    pub(crate) fn visitor(&self) -> Client {
        Client {
            shop: self.http,
            token: None,
        }
    }
}

pub(crate) async fn start_shop() -> TestShop {
    start_shop_with(ShopOptions::default()).await
}

/// The shop, with failed messages redelivered at once rather than after the queue's visibility
/// timeout (minutes), so that retries show within a test, and one batch per trigger at a time.
pub(crate) async fn start_shop_with(options: ShopOptions) -> TestShop {
    sdk_config().await;
    let binaries = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), std::path::PathBuf::from)
        .join("debug");
    assert!(
        binaries.join("user-login").is_file(),
        "the function binaries are missing from {}: run `cargo build --workspace --bins` (scripts/test does)",
        binaries.display()
    );
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let token_secret = format!("{unique}{unique}");
    let (console, logs) = if options.capture_logs {
        let (console, logs) = Console::capturing();
        (console, Some(logs))
    } else {
        (Console::quiet(), None)
    };
    let shop = LocalShop::start(LocalConfig {
        prefix: format!("{}-", &unique[..12]),
        http: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        invoke: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        binaries: xtask::local::Binaries::Cargo(binaries),
        web: options.web.unwrap_or_else(|| workspace_root().join("web")),
        token_secret: token_secret.clone(),
        context: super::test_name(),
        environment: options.environment,
        redelivery: Redelivery::Immediately,
        // One batch at a time: the crash a fault test injects kills the function's processes,
        // and on AWS a crash takes only its own batch with it.
        batches_at_once: 1,
        console,
    })
    .await
    .unwrap();
    TestShop {
        shop,
        token_secret,
        logs,
    }
}

/// Someone using the shop over HTTP, with the token of their last log-in.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub shop: SocketAddr,
    pub token: Option<String>,
}

impl Client {
    pub(crate) async fn get(&self, path: &str) -> HttpReply {
        send(self.shop, "GET", path, self.token.as_deref(), None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> HttpReply {
        send(self.shop, "POST", path, self.token.as_deref(), Some(&body)).await
    }

    /// Registers `username` with `password` and logs in.
    pub(crate) async fn sign_up(&mut self, username: &str, password: &str) {
        let registered = self
            .post(
                "/api/user/create",
                json!({
                    "username": username, "password": password,
                    "email": format!("{username}@example.com"),
                    "first_name": "Jo", "last_name": "Urney",
                }),
            )
            .await;
        expect(&registered, 201);
        self.log_in(username, password).await;
    }

    pub(crate) async fn log_in(&mut self, username: &str, password: &str) {
        let login = self
            .post(
                "/api/user/login",
                json!({ "username": username, "password": password }),
            )
            .await;
        expect(&login, 200);
        self.token = Some(login.json()["token"].as_str().unwrap().to_owned());
    }

    /// Checks out the open order with an approved test card; returns the order's id.
    pub(crate) async fn check_out(&self) -> String {
        let checkout = self
            .post(
                "/api/order/checkout",
                json!({
                    "card_number": "4242 4242 4242 4242", "expiry_month": 12,
                    "expiry_year": 2030, "holder": "Jo Urney",
                }),
            )
            .await;
        expect(&checkout, 202);
        checkout.json()["id"].as_str().unwrap().to_owned()
    }

    /// The order `id` once its status is `status`, or as it is after `within`.
    pub(crate) async fn order_once(&self, id: &str, status: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let order = self.get(&format!("/api/order/{id}")).await.json();
            if order["status"] == status || Instant::now() > deadline {
                return order;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[track_caller]
pub(crate) fn expect(reply: &HttpReply, status: u16) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}
