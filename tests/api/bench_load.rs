//! The benchmark's load generator, briefly, against a test shop: its shoppers are the same
//! visitors as the journey tests', every checkout they make ends paid, charged and e-mailed
//! once, and the calls it counts (what BENCHMARKS.md prices an order from) are the calls made.

use std::time::Duration;

use xtask::template::Template;

use crate::support::shop::start_shop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmarks_shoppers_check_out_the_books_balance_and_every_call_is_counted() {
    let shop = start_shop().await;
    shop.seed_catalogue().await;
    let config = xtask::bench::BenchConfig {
        only: Vec::new(),
        shop: None,
        load_only: false,
        load_from: None,
        native: std::path::PathBuf::new(),
        zips: std::path::PathBuf::new(),
        cold_starts: 0,
        warm_calls: 0,
        load: Duration::from_secs(3),
        customers: 2,
    };
    let load = xtask::bench::shopping_load(&shop, &config).await.unwrap();
    shop.stop().await;
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    assert!(load.checkouts > 0, "no customer checked out in 3 s");
    assert_eq!(load.paid, load.checkouts);
    assert!(
        load.reconciliation.balances(load.paid),
        "{:?}",
        load.reconciliation
    );
    for route in [
        "POST /api/user/create",
        "GET /api/products",
        "POST /api/order/checkout",
    ] {
        assert!(load.routes[route].0 > 0, "{route} was never timed");
    }

    // A route's function is counted until the customers stopped, so watching the orders
    // settle (`GET /api/order/{id}`) is not in it.
    let calls = |binary: &str| load.invocations.get(binary).copied().unwrap_or(0);
    let requests = |route: &str| load.routes.get(route).map_or(0, |timed| timed.0);
    assert_eq!(calls("order-checkout"), load.checkouts);
    assert_eq!(calls("user-create"), load.checkouts);
    assert_eq!(calls("order-get"), 0, "{:?}", load.invocations);
    // The authorizer before every request to a route the template has it check.
    let public: Vec<String> = Template::workspace()
        .unwrap()
        .routes()
        .unwrap()
        .into_iter()
        .filter(|route| route.authorizer.is_none())
        .map(|route| route.key())
        .collect();
    let checked: usize = load
        .routes
        .iter()
        .filter(|(route, _)| !public.contains(route))
        .map(|(_, (requests, _, _))| requests)
        .sum();
    assert_eq!(calls("user-authorizer"), checked, "{:?}", load.routes);
    // The catalogue asked for each product opened and each of a checkout's two lines, and for
    // each item added unless the instance adding it was told of the product in the last few
    // seconds (`orders::catalog::REMEMBERED`).
    let asked = calls("product-get");
    let always = requests("GET /api/product/{id}") + 2 * load.checkouts;
    assert!(
        (always..=always + requests("POST /api/order/add-item")).contains(&asked),
        "{asked} asked, {always} at least: {:?}",
        load.invocations
    );
    // Each consumer once the queues drained: every message at least once, in batches.
    for consumer in [
        "payment-charge",
        "order-settle",
        "receipt-email",
        "report-record",
    ] {
        let (calls, records) = (
            calls(consumer),
            load.records.get(consumer).copied().unwrap_or(0),
        );
        assert!(
            (1..=records).contains(&calls) && records >= load.checkouts,
            "{consumer}: {calls} calls, {records} records for {} checkouts",
            load.checkouts
        );
    }
}
