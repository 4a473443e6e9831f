//! The local shop (`cargo xtask run`'s) started in-process on free ports, with its own tables,
//! queues and bucket, running the real function binaries; and a client that talks to it as a
//! customer's browser would.

use std::net::{Ipv4Addr, SocketAddr};

use xtask::deliver::Redelivery;
use xtask::http_client::HttpReply;
use xtask::local::{Captured, Console, LocalConfig, LocalShop};
use xtask::template::workspace_root;
use xtask::visitor::Visitor;

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
    pub(crate) fn visitor(&self) -> Visitor {
        Visitor::new(self.http)
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
        secrets: Default::default(),
        parameters: super::test_parameters(),
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

#[track_caller]
pub(crate) fn expect(reply: &HttpReply, status: u16) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}
