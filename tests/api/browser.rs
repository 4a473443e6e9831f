//! The storefront in a real browser: headless Chromium (Debian's), driven by playwright-core
//! from `tests/browser/journey.mjs`, against the local shop started here, serving the storefront
//! as it is uploaded (`cargo xtask storefront`: assets named after their content) with the
//! template's security headers. `scripts/test` installs both and says where Chromium is
//! (`SHOP_CHROMIUM`). Screenshots of the main pages go to `SHOP_SCREENSHOTS` (default
//! `target/screenshots`).

use std::process::Command;

use xtask::template::workspace_root;

use crate::support::sdk_config;
use crate::support::shop::{ShopOptions, start_shop_with};

fn run_scenario(scenario: &str, shop: &str) {
    let chromium = std::env::var("SHOP_CHROMIUM").expect(
        "SHOP_CHROMIUM is not set: run the tests through scripts/test, which installs Chromium",
    );
    let screenshots = std::env::var("SHOP_SCREENSHOTS")
        .map_or_else(|_| workspace_root().join("target/screenshots"), Into::into);
    let output = Command::new("node")
        .current_dir(workspace_root().join("tests/browser"))
        .args(["journey.mjs", scenario, shop])
        .arg(&screenshots)
        .env("SHOP_CHROMIUM", chromium)
        .output()
        .expect("node runs the browser tests");
    assert!(
        output.status.success(),
        "browser scenario {scenario} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_works_in_a_real_browser_even_with_a_service_down() {
    let storefront = workspace_root()
        .join("target/tmp")
        .join(format!("storefront-{}", uuid::Uuid::new_v4().simple()));
    xtask::storefront::build(&workspace_root().join("web"), &storefront).unwrap();
    let shop = start_shop_with(ShopOptions {
        web: Some(storefront.clone()),
        ..ShopOptions::default()
    })
    .await;
    let sdk = sdk_config().await;
    let dynamodb = shared::aws::dynamodb(&sdk);
    let products = products::ProductStore::new(dynamodb.clone(), &shop.names.refs["ProductsTable"]);
    xtask::seed::load(&products).await.unwrap();
    let users = users::UserStore::new(dynamodb.clone(), &shop.names.refs["UsersTable"]);
    xtask::seed::account(&users, "customer", "customer-password", false)
        .await
        .unwrap();
    xtask::seed::account(&users, "admin", "admin-password", true)
        .await
        .unwrap();
    let url = format!("http://{}/", shop.http);

    let journey = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("journey", &url)
    });
    let journey = journey.await;
    // The local operator page follows the order the journey paid through the queues.
    let operator = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("operator", &url)
    })
    .await;

    // An administrator edits a product, loses a race to a stale tab, and retires it under a
    // customer's nose (before the orders service goes away: add-to-cart must answer).
    let admin = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("admin", &url)
    })
    .await;

    // A customer searches as they type, filters and sorts (the seed catalogue, indexed from the
    // products table's stream; search.mjs waits for the index itself).
    let search = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("search", &url)
    })
    .await;

    // A customer changes their password and signs out everywhere, on two devices.
    let account = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("account", &url)
    })
    .await;
    // The API's documentation, rendered from openapi.yaml, served at /docs.
    let docs = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("docs", &url)
    })
    .await;

    // Markup and script stored as a product's name show as text, and nothing runs.
    let hostile = products::domain::NewProduct::try_from(products::domain::NewProductForm {
        slug: "a-hostile-lamp".into(),
        name: r#"<img src=x onerror="window.pwned=1;alert(1)"><script>window.pwned=2</script>"#
            .into(),
        description: r#""><svg onload=alert(3)> {{constructor.constructor('alert(4)')()}}"#.into(),
        image: "/images/products/desk-lamp-brass.svg".into(),
        price: 2500,
        currency: "EUR".into(),
        category: Some(r#"<b onmouseover="alert(5)">Lamps</b>"#.into()),
    })
    .unwrap();
    assert!(products.insert(&hostile).await.unwrap());
    let hostile = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_scenario("hostile", &url)
    })
    .await;

    // The orders service's storage goes away; the shop must still show its catalogue.
    dynamodb
        .delete_table()
        .table_name(&shop.names.refs["OrdersTable"])
        .send()
        .await
        .unwrap();
    let down = tokio::task::spawn_blocking(move || run_scenario("orders-down", &url)).await;
    shop.stop().await;
    std::fs::remove_dir_all(storefront).unwrap();
    journey.unwrap();
    operator.unwrap();
    admin.unwrap();
    search.unwrap();
    account.unwrap();
    docs.unwrap();
    hostile.unwrap();
    down.unwrap();
}
