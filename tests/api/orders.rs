//! The orders service against DynamoDB Local, moto's SQS, and the products service reached
//! through the Lambda Invoke API.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::RequestExt;
use serde_json::{Value, json};
use shared::auth::Role;

use crate::support::{Reply, TestApp, event, with_json};

pub(crate) const MUG: &str = "enamel-camp-mug";
pub(crate) const MUG_PRICE: i64 = 1450;
pub(crate) const PEN: &str = "brass-ballpoint-pen";
pub(crate) const PEN_PRICE: i64 = 3400;

fn item(product_id: &str, qty: impl Into<Value>) -> Value {
    json!({ "product_id": product_id, "qty": qty.into() })
}

pub(crate) fn card(number: &str) -> Value {
    json!({
        "card_number": number,
        "expiry_month": 12,
        "expiry_year": 2030,
        "holder": "Ada Lovelace",
    })
}

/// A shop with the seed catalogue, and a logged-in customer.
pub(crate) async fn shop_with_customer(username: &str) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    let token = app.given_session(username, Role::Customer).await;
    (app, token)
}

impl TestApp {
    pub(crate) async fn add(&self, token: &str, product_id: &str, qty: impl Into<Value>) -> Reply {
        let request = with_json(event("order-add-item"), &item(product_id, qty));
        self.add_item(self.authorized(request, Some(token)).await)
            .await
    }

    pub(crate) async fn update(
        &self,
        token: &str,
        product_id: &str,
        qty: impl Into<Value>,
    ) -> Reply {
        let request = with_json(event("order-update-item"), &item(product_id, qty));
        self.update_item(self.authorized(request, Some(token)).await)
            .await
    }

    pub(crate) async fn open_order(&self, token: &str) -> Reply {
        self.order_current(self.authorized(event("order-current"), Some(token)).await)
            .await
    }

    /// Checks out the customer's current order as it is now (any order id, when they have none).
    pub(crate) async fn check_out(&self, token: &str, card_number: &str) -> Reply {
        let current = self.open_order(token).await;
        let seen = if current.status == 200 {
            current.body
        } else {
            json!({ "id": shared::ids::OrderId::generate(), "version": 1 })
        };
        self.check_out_as_seen(token, &seen, card_number).await
    }

    /// How many of the customer's orders are paid.
    pub(crate) async fn orders_paid_by(&self, token: &str) -> usize {
        self.orders_of(token, &[]).await.body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|order| order["status"] == "PAID")
            .count()
    }

    /// Has the payments service hold the card `card_number` for the customer; its token.
    pub(crate) async fn hold_card(&self, token: &str, card_number: &str) -> String {
        let request = with_json(event("payment-card"), &card(card_number));
        let held = self
            .payment_card(self.authorized(request, Some(token)).await)
            .await;
        held.assert(201, "");
        held.body["card_token"].as_str().unwrap().to_owned()
    }

    /// Checks out the order `seen` at the version it was seen at, with the card `card_number`.
    pub(crate) async fn check_out_as_seen(
        &self,
        token: &str,
        seen: &Value,
        card_number: &str,
    ) -> Reply {
        let card_token = self.hold_card(token, card_number).await;
        self.check_out_with(token, seen, &card_token).await
    }

    /// Checks out the order `seen` at the version it was seen at, naming `card_token`.
    pub(crate) async fn check_out_with(
        &self,
        token: &str,
        seen: &Value,
        card_token: &str,
    ) -> Reply {
        let body = json!({
            "order_id": seen["id"], "version": seen["version"], "card_token": card_token,
        });
        let request = with_json(event("order-checkout"), &body);
        self.checkout(self.authorized(request, Some(token)).await)
            .await
    }

    pub(crate) async fn orders_of(&self, token: &str, query: &[(&str, &str)]) -> Reply {
        let query: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let request = event("order-list").with_query_string_parameters(query);
        self.order_list(self.authorized(request, Some(token)).await)
            .await
    }

    async fn set_product_price(&self, slug: &str, price: i64) {
        self.dynamodb
            .update_item()
            .table_name(self.table("ProductsTable"))
            .key("pk", AttributeValue::S(format!("PRODUCT#{slug}")))
            .update_expression("SET price = :price")
            .expression_attribute_values(":price", AttributeValue::N(price.to_string()))
            .send()
            .await
            .unwrap();
    }
}

fn line<'a>(order: &'a Value, product_id: &str) -> &'a Value {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["product_id"] == product_id)
        .unwrap_or_else(|| panic!("no line for {product_id} in {order}"))
}

#[tokio::test]
async fn adding_items_builds_an_open_order_priced_by_the_catalogue() {
    let (app, ada) = shop_with_customer("ada").await;
    app.open_order(&ada).await.assert(404, "no_open_order");

    let first = app.add(&ada, MUG, 2).await;
    first.assert(200, "");
    assert_eq!(first.body["status"], "OPEN");
    assert_eq!(first.body["currency"], "EUR");
    assert_eq!(line(&first.body, MUG)["name"], "Enamel camp mug");
    assert_eq!(line(&first.body, MUG)["unit_price"], MUG_PRICE);
    assert_eq!(line(&first.body, MUG)["line_total"], 2 * MUG_PRICE);

    app.add(&ada, PEN, 1).await.assert(200, "");
    let order = app.add(&ada, MUG, 1).await;
    assert_eq!(order.body["id"], first.body["id"], "one open order");
    assert_eq!(line(&order.body, MUG)["quantity"], 3);
    assert_eq!(order.body["total"], 3 * MUG_PRICE + PEN_PRICE);
    assert_eq!(order.body["item_count"], 4);

    let shown = app.open_order(&ada).await;
    shown.assert(200, "");
    assert_eq!(shown.body, order.body);
}

#[tokio::test]
async fn an_order_keeps_the_price_it_was_given() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    app.set_product_price(MUG, 9_999).await;
    let order = app.open_order(&ada).await;
    assert_eq!(line(&order.body, MUG)["unit_price"], MUG_PRICE);
    assert_eq!(order.body["total"], MUG_PRICE);
}

#[tokio::test]
async fn a_cart_addition_may_price_from_what_the_catalogue_said_a_moment_ago() {
    use orders::domain::Listing;
    use shared::ids::ProductId;
    use std::time::Duration;

    let (app, _) = shop_with_customer("ada").await;
    let product_get = app
        .function("OrderAddItemFunction")
        .function("ProductGetFunction");
    // Long enough for the write between the two prices on a busy machine.
    let keep = Duration::from_secs(3);
    let catalog = orders::Catalog::new(product_get).remembering(keep);
    let mug = ProductId::parse(MUG).unwrap();
    let price = || async { catalog.price(&mug).await.unwrap().unit_price.minor };

    assert_eq!(price().await, MUG_PRICE);
    app.set_product_price(MUG, 9_999).await;
    assert_eq!(price().await, MUG_PRICE, "remembered");
    // Checkout's asking remembers nothing.
    match &catalog.listings(vec![mug.clone()]).await.unwrap()[..] {
        [Listing::Sold(now)] => assert_eq!(now.unit_price.minor, 9_999),
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(keep).await;
    assert_eq!(price().await, 9_999, "asked again once its time is up");

    // A product it was told is not there is asked about again: one created since is sold.
    let missing = ProductId::parse("no-such-mug").unwrap();
    assert!(catalog.price(&missing).await.is_err());
    let admin = app.given_session("grace", Role::Admin).await;
    app.given_product(&admin, "no-such-mug", 100).await;
    assert_eq!(catalog.price(&missing).await.unwrap().unit_price.minor, 100);
}

#[tokio::test]
async fn update_item_sets_quantities_and_zero_removes_the_line() {
    let (app, ada) = shop_with_customer("ada").await;
    app.update(&ada, MUG, 3).await.assert(404, "no_open_order");
    app.add(&ada, MUG, 2).await.assert(200, "");
    app.add(&ada, PEN, 1).await.assert(200, "");

    let updated = app.update(&ada, MUG, 5).await;
    updated.assert(200, "");
    assert_eq!(line(&updated.body, MUG)["quantity"], 5);
    assert_eq!(updated.body["total"], 5 * MUG_PRICE + PEN_PRICE);

    let removed = app.update(&ada, MUG, 0).await;
    removed.assert(200, "");
    assert_eq!(removed.body["lines"].as_array().unwrap().len(), 1);
    assert_eq!(removed.body["total"], PEN_PRICE);

    app.update(&ada, MUG, 1).await.assert(404, "line_not_found");
    let emptied = app.update(&ada, PEN, 0).await;
    emptied.assert(200, "");
    assert_eq!(emptied.body["total"], 0);
    assert_eq!(emptied.body["currency"], Value::Null);
}

#[tokio::test]
async fn quantities_lines_and_products_have_limits() {
    let (app, ada) = shop_with_customer("ada").await;
    for qty in [json!(0), json!(100), json!(-1)] {
        let reply = app.add(&ada, MUG, qty.clone()).await;
        reply.assert(400, "validation_failed");
        assert!(reply.body["fields"]["qty"].is_string(), "{qty}");
    }
    for qty in [json!(1.5), json!("2"), Value::Null] {
        app.add(&ada, MUG, qty).await.assert(400, "invalid_body");
    }
    app.add(&ada, "Not A Product", 1)
        .await
        .assert(400, "validation_failed");
    app.add_item(
        app.authorized(event("order-add-item-unknown-product"), Some(&ada))
            .await,
    )
    .await
    .assert(404, "product_not_found");
    app.open_order(&ada).await.assert(404, "no_open_order");

    app.add(&ada, MUG, 99).await.assert(200, "");
    let over = app.add(&ada, MUG, 1).await;
    over.assert(400, "invalid_quantity");
    assert!(over.body["message"].as_str().unwrap().contains("1 to 99"));
    app.update(&ada, MUG, 100)
        .await
        .assert(400, "validation_failed");

    let mut body = item(MUG, 1);
    body["price"] = json!(1);
    let request = with_json(event("order-add-item"), &body);
    app.add_item(app.authorized(request, Some(&ada)).await)
        .await
        .assert(400, "invalid_body");
    assert_eq!(line(&app.open_order(&ada).await.body, MUG)["quantity"], 99);
}

#[tokio::test]
async fn an_order_holds_at_most_fifty_lines() {
    let (app, ada) = shop_with_customer("ada").await;
    let admin = app.given_session("grace", Role::Admin).await;
    for i in 0..51 {
        let body = json!({
            "slug": format!("widget-{i}"), "name": format!("Widget {i}"), "description": "A widget.",
            "image": "/images/products/widget.svg", "price": 100, "currency": "EUR",
        });
        let request = app
            .authorized(with_json(event("product-create"), &body), Some(&admin))
            .await;
        app.product_create(request).await.assert(201, "");
    }
    for i in 0..50 {
        app.add(&ada, &format!("widget-{i}"), 1)
            .await
            .assert(200, "");
    }
    app.add(&ada, "widget-50", 1)
        .await
        .assert(400, "too_many_lines");
    let order = app.open_order(&ada).await;
    assert_eq!(order.body["lines"].as_array().unwrap().len(), 50);
    assert_eq!(order.body["total"], 50 * 100);
}

#[tokio::test]
async fn concurrent_additions_all_land() {
    let (app, ada) = shop_with_customer("ada").await;
    // Several requests race to create the first order, then to change it.
    let products = [
        MUG,
        PEN,
        "dotted-notebook-a5",
        "linen-tote-bag",
        "oak-desk-tidy",
    ];
    let adds = products
        .iter()
        .flat_map(|product| [*product, *product])
        .map(|product| app.add(&ada, product, 1));
    for reply in futures::future::join_all(adds).await {
        reply.assert(200, "");
    }
    let order = app.open_order(&ada).await;
    for product in products {
        assert_eq!(line(&order.body, product)["quantity"], 2, "{product}");
    }
    assert_eq!(order.body["item_count"], 10);
    assert_eq!(
        app.orders_of(&ada, &[]).await.body["orders"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn customers_never_see_or_change_each_others_orders() {
    let (app, ada) = shop_with_customer("ada").await;
    let bob = app.given_session("bob", Role::Customer).await;
    app.add(&ada, MUG, 1).await.assert(200, "");

    app.open_order(&bob).await.assert(404, "no_open_order");
    app.update(&bob, MUG, 5).await.assert(404, "no_open_order");
    app.check_out(&bob, "4242424242424242")
        .await
        .assert(404, "order_not_found");
    assert!(
        app.orders_of(&bob, &[]).await.body["orders"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(line(&app.open_order(&ada).await.body, MUG)["quantity"], 1);
}

#[tokio::test]
async fn every_orders_route_needs_a_token() {
    let app = TestApp::spawn().await;
    for name in [
        "order-add-item",
        "order-update-item",
        "order-current",
        "order-list",
        "order-checkout",
    ] {
        let request = app.authorized(event(name), None).await;
        let reply = match name {
            "order-add-item" => app.add_item(request).await,
            "order-update-item" => app.update_item(request).await,
            "order-current" => app.order_current(request).await,
            "order-list" => app.order_list(request).await,
            _ => app.checkout(request).await,
        };
        reply.assert(401, "unauthorized");
    }
}

#[tokio::test]
async fn customers_list_their_orders_newest_first() {
    let (app, ada) = shop_with_customer("ada").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let order = app.add(&ada, MUG, 1).await;
        ids.push(order.body["id"].as_str().unwrap().to_owned());
        app.check_out(&ada, "4242424242424242")
            .await
            .assert(202, "");
        // Orders are ordered by creation time, to the millisecond at least.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let open = app.add(&ada, PEN, 1).await;
    ids.push(open.body["id"].as_str().unwrap().to_owned());
    ids.reverse();

    let mut seen = Vec::new();
    let mut cursor = None::<String>;
    loop {
        let mut query = vec![("limit", "3")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = app.orders_of(&ada, &query).await;
        page.assert(200, "");
        seen.extend(
            page.body["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|order| order["id"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    app.orders_of(&ada, &[("status", "PAID")])
        .await
        .assert(400, "invalid_status");
    app.orders_of(&ada, &[("cursor", "bogus")])
        .await
        .assert(400, "invalid_cursor");
}

#[tokio::test]
async fn admins_list_everyones_orders_by_status() {
    let (app, ada) = shop_with_customer("ada").await;
    let bob = app.given_session("bob", Role::Customer).await;
    let admin = app.given_session("grace", Role::Admin).await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    app.add(&bob, PEN, 1).await.assert(200, "");
    app.check_out(&bob, "4242424242424242")
        .await
        .assert(202, "");

    let open = app.orders_of(&admin, &[]).await;
    open.assert(200, "");
    let owners: Vec<&Value> = open.body["orders"].as_array().unwrap().iter().collect();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0]["status"], "OPEN");

    let pending = app
        .order_list(
            app.authorized(event("order-list-admin"), Some(&admin))
                .await,
        )
        .await;
    pending.assert(200, "");
    assert_eq!(pending.body["orders"].as_array().unwrap().len(), 1);
    assert_eq!(pending.body["orders"][0]["status"], "PENDING_PAYMENT");

    app.orders_of(&admin, &[("status", "SHIPPED")])
        .await
        .assert(400, "invalid_status");
}

#[tokio::test]
async fn with_the_products_table_gone_add_item_is_503_and_changes_nothing() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    let before = app.open_order(&ada).await.body;
    app.drop_table("ProductsTable").await;

    let reply = app.add(&ada, PEN, 1).await;
    reply.assert(503, "catalog_unavailable");
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("unchanged")
    );
    assert_eq!(app.open_order(&ada).await.body, before);

    // Accounts do not depend on the catalogue.
    app.given_session("newcomer", Role::Customer).await;
}

#[tokio::test]
async fn with_the_orders_table_gone_log_in_and_the_catalogue_still_work() {
    let (app, ada) = shop_with_customer("ada").await;
    app.drop_table("OrdersTable").await;
    app.open_order(&ada)
        .await
        .assert(503, "storage_unavailable");
    app.add(&ada, MUG, 1)
        .await
        .assert(503, "storage_unavailable");
    app.token_for("ada").await;
    app.product_list(event("product-list"))
        .await
        .assert(200, "");
}
