//! Managing the catalogue: administrators edit products on the version they saw, retire them,
//! and categories count what is on sale, against DynamoDB Local and the orders service.

use std::collections::HashMap;

use lambda_http::{Request, RequestExt};
use serde_json::{Value, json};
use shared::auth::Role;

use crate::orders::{MUG, MUG_PRICE, PEN, shop_with_customer};
use crate::support::{Reply, TestApp, event, with_json};

/// The edit form for `slug` as `product` (a product as the API shows it) stands, at its version.
pub(crate) fn edit_of(product: &Value) -> Value {
    json!({
        "name": product["name"], "description": product["description"],
        "image": product["image"], "price": product["price"],
        "category": product["category"], "version": product["version"],
    })
}

/// The sample event `name` aimed at the product `slug`.
pub(crate) fn at(name: &str, slug: &str) -> Request {
    event(name).with_path_parameters(HashMap::from([("id".to_owned(), slug.to_owned())]))
}

impl TestApp {
    async fn product(&self, slug: &str) -> Value {
        let reply = self.product_get(at("product-get", slug)).await;
        reply.assert(200, "");
        reply.body
    }

    pub(crate) async fn edit(&self, token: Option<&str>, slug: &str, body: &Value) -> Reply {
        let request = with_json(at("product-update", slug), body);
        self.product_update(self.authorized(request, token).await)
            .await
    }

    pub(crate) async fn retire(&self, token: Option<&str>, slug: &str) -> Reply {
        let request = at("product-retire", slug);
        self.product_retire(self.authorized(request, token).await)
            .await
    }

    /// `GET /api/categories` as name → count.
    async fn categories(&self) -> Vec<(String, i64)> {
        let reply = self.product_categories(event("product-categories")).await;
        reply.assert(200, "");
        reply.body["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["count"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    /// Every slug in the catalogue listing.
    async fn listed_slugs(&self) -> Vec<String> {
        let request = event("product-list")
            .with_query_string_parameters(HashMap::from([("limit".to_owned(), "100".to_owned())]));
        let reply = self.product_list(request).await;
        reply.assert(200, "");
        reply.body["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["slug"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn categories_count_the_products_on_sale() {
    let (app, _) = shop_with_customer("ada").await;
    let categories = app.categories().await;
    let names: Vec<&str> = categories.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["Bags & accessories", "Home", "Kitchen", "Stationery"],
        "by name"
    );
    let total: i64 = categories.iter().map(|(_, count)| count).sum();
    assert_eq!(total, app.listed_slugs().await.len() as i64);
    assert_eq!(app.product(MUG).await["category"], "Kitchen");
}

#[tokio::test]
async fn an_admin_edits_a_product_on_the_version_they_saw() {
    let (app, ada) = shop_with_customer("ada").await;
    let admin = app.given_session("grace", Role::Admin).await;
    let before = app.product(MUG).await;
    assert_eq!(
        (before["version"].as_i64(), &before["status"]),
        (Some(1), &json!("active"))
    );

    let mut edit = edit_of(&before);
    edit["name"] = json!("Enamel camp mug, forest green");
    edit["price"] = json!(1_600);
    edit["category"] = json!("  Camping   gear ");
    let edited = app.edit(Some(&admin), MUG, &edit).await;
    edited.assert(200, "");
    assert_eq!(edited.body["version"], 2);
    assert_eq!(edited.body["category"], "Camping gear");
    assert_eq!(edited.body["currency"], before["currency"]);
    assert_eq!(app.product(MUG).await, edited.body);
    let categories = app.categories().await;
    assert!(
        categories.contains(&("Camping gear".to_owned(), 1)),
        "{categories:?}"
    );
    assert!(
        categories.contains(&("Kitchen".to_owned(), 6)),
        "{categories:?}"
    );

    // The same form again names version 1: someone (this admin) changed it since.
    edit["price"] = json!(1);
    let stale = app.edit(Some(&admin), MUG, &edit).await;
    stale.assert(409, "product_changed");
    assert!(
        stale.body["message"]
            .as_str()
            .unwrap()
            .contains("version 2")
    );
    assert_eq!(app.product(MUG).await, edited.body, "nothing written");

    // Who may edit, and what.
    let current = edit_of(&edited.body);
    app.edit(Some(&ada), MUG, &current)
        .await
        .assert(403, "forbidden");
    app.edit(None, MUG, &current)
        .await
        .assert(401, "unauthorized");
    app.edit(Some(&admin), "no-such-thing", &current)
        .await
        .assert(404, "product_not_found");
    app.edit(Some(&admin), "Not A Slug", &current)
        .await
        .assert(404, "product_not_found");
    for (field, value) in [
        ("currency", json!("USD")),
        ("slug", json!("other")),
        ("version", json!(-1)),
    ] {
        let mut body = current.clone();
        body[field] = value;
        app.edit(Some(&admin), MUG, &body)
            .await
            .assert(400, "invalid_body");
    }
    let mut bad = current.clone();
    bad["name"] = json!(" ");
    bad["price"] = json!(0);
    bad["category"] = json!("c".repeat(41));
    let refused = app.edit(Some(&admin), MUG, &bad).await;
    refused.assert(400, "validation_failed");
    assert_eq!(refused.body["message"], "invalid category, name, price");
    assert_eq!(app.product(MUG).await, edited.body, "nothing written");
}

#[tokio::test]
async fn of_concurrent_edits_of_one_version_exactly_one_lands() {
    let (app, _) = shop_with_customer("ada").await;
    let admin = app.given_session("grace", Role::Admin).await;
    let before = app.product(MUG).await;
    let edits = (0..8).map(|i| {
        let mut edit = edit_of(&before);
        edit["price"] = json!(2_000 + i);
        edit["category"] = json!(format!("Category {i}"));
        let (app, admin) = (&app, &admin);
        async move { app.edit(Some(admin), MUG, &edit).await }
    });
    let replies = futures::future::join_all(edits).await;
    let won: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    for reply in &replies {
        if reply.status != 200 {
            reply.assert(409, "product_changed");
        }
    }
    let now = app.product(MUG).await;
    assert_eq!(now, won[0].body);
    assert_eq!(now["version"], 2);

    // The counters moved with the one edit that landed, and only with it.
    let categories = app.categories().await;
    let winner = now["category"].as_str().unwrap().to_owned();
    assert!(categories.contains(&(winner, 1)), "{categories:?}");
    assert!(
        categories.contains(&("Kitchen".to_owned(), 6)),
        "{categories:?}"
    );
    let total: i64 = categories.iter().map(|(_, count)| count).sum();
    assert_eq!(total, app.listed_slugs().await.len() as i64);
}

#[tokio::test]
async fn concurrent_edits_of_different_products_all_land_and_keep_the_counts() {
    let (app, _) = shop_with_customer("ada").await;
    let admin = app.given_session("grace", Role::Admin).await;
    let slugs = app.listed_slugs().await;
    let mut products = Vec::new();
    for slug in &slugs {
        products.push(app.product(slug).await);
    }
    // Every product moves to one of two new categories at once: the counters are contended.
    let edits = products.iter().enumerate().map(|(i, product)| {
        let mut edit = edit_of(product);
        edit["category"] = json!(if i % 2 == 0 { "Even" } else { "Odd" });
        let (app, admin) = (&app, &admin);
        let slug = product["slug"].as_str().unwrap().to_owned();
        async move { app.edit(Some(admin), &slug, &edit).await }
    });
    for reply in futures::future::join_all(edits).await {
        reply.assert(200, "");
    }
    let even = slugs.len().div_ceil(2) as i64;
    assert_eq!(
        app.categories().await,
        [
            ("Even".to_owned(), even),
            ("Odd".to_owned(), slugs.len() as i64 - even)
        ]
    );
}

#[tokio::test]
async fn a_retired_product_leaves_the_catalogue_but_stays_readable_and_in_orders() {
    let (app, ada) = shop_with_customer("ada").await;
    let admin = app.given_session("grace", Role::Admin).await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    app.add(&ada, PEN, 1).await.assert(200, "");
    app.check_out(&ada, "4242 4242 4242 4242")
        .await
        .assert(202, "");
    app.run_all_consumers().await;
    assert_eq!(app.orders_paid_by(&ada).await, 1);

    // A new price and a retirement after the order was paid.
    let mut edit = edit_of(&app.product(MUG).await);
    edit["price"] = json!(9_999);
    edit["name"] = json!("Enamel mug (new)");
    app.edit(Some(&admin), MUG, &edit).await.assert(200, "");
    let stationery_before = app.categories().await;
    let retired = app.retire(Some(&admin), PEN).await;
    retired.assert(200, "");
    assert_eq!(
        (&retired.body["status"], &retired.body["version"]),
        (&json!("retired"), &json!(2))
    );

    // Readable by its slug, gone from the listing and its category's count.
    assert_eq!(app.product(PEN).await, retired.body);
    assert!(!app.listed_slugs().await.contains(&PEN.to_owned()));
    let stationery = |categories: &[(String, i64)]| {
        categories
            .iter()
            .find(|(name, _)| name == "Stationery")
            .unwrap()
            .1
    };
    assert_eq!(
        stationery(&app.categories().await),
        stationery(&stationery_before) - 1
    );

    // Not for sale, not editable; retiring again changes nothing; its slug stays its own.
    app.add(&ada, PEN, 1).await.assert(409, "product_retired");
    app.edit(Some(&admin), PEN, &edit_of(&retired.body))
        .await
        .assert(409, "product_retired");
    let again = app.retire(Some(&admin), PEN).await;
    again.assert(200, "");
    assert_eq!(again.body, retired.body);
    app.retire(Some(&ada), MUG).await.assert(403, "forbidden");
    app.retire(None, MUG).await.assert(401, "unauthorized");
    app.retire(Some(&admin), "no-such-thing")
        .await
        .assert(404, "product_not_found");

    // The paid order keeps the name and price it was placed with.
    let orders = app.orders_of(&ada, &[]).await;
    let lines = orders.body["orders"][0]["lines"]
        .as_array()
        .unwrap()
        .clone();
    let mug = lines.iter().find(|line| line["product_id"] == MUG).unwrap();
    assert_eq!(
        (&mug["name"], &mug["unit_price"]),
        (&json!("Enamel camp mug"), &json!(MUG_PRICE))
    );
    assert!(lines.iter().any(|line| line["product_id"] == PEN));
}

#[tokio::test]
async fn checkout_brings_an_open_cart_up_to_the_catalogue_before_charging() {
    let (app, ada) = shop_with_customer("ada").await;
    let admin = app.given_session("grace", Role::Admin).await;
    app.add(&ada, MUG, 2).await.assert(200, "");
    app.add(&ada, PEN, 1).await.assert(200, "");
    let reviewed = app.open_order(&ada).await.body;

    // While the cart sits, the mug's price changes and the pen is retired.
    let mut edit = edit_of(&app.product(MUG).await);
    edit["price"] = json!(1_600);
    app.edit(Some(&admin), MUG, &edit).await.assert(200, "");
    app.retire(Some(&admin), PEN).await.assert(200, "");
    assert_eq!(
        app.open_order(&ada).await.body,
        reviewed,
        "the cart shows what was added"
    );

    // Checking out what was reviewed charges nothing and brings the cart up to date.
    let refused = app
        .check_out_as_seen(&ada, &reviewed, "4242 4242 4242 4242")
        .await;
    refused.assert(409, "order_changed");
    let message = refused.body["message"].as_str().unwrap();
    assert!(
        message.contains("Enamel camp mug changed in price")
            && message.contains("Brass ballpoint pen is no longer sold"),
        "{message}"
    );
    assert!(app.checkout_messages().await.is_empty(), "nothing charged");
    let updated = app.open_order(&ada).await.body;
    assert_eq!(updated["lines"].as_array().unwrap().len(), 1);
    assert_eq!(updated["total"], 2 * 1_600);

    // Reviewed again, it goes through at the new total.
    let accepted = app
        .check_out_as_seen(&ada, &updated, "4242 4242 4242 4242")
        .await;
    accepted.assert(202, "");
    assert_eq!(accepted.body["total"], 2 * 1_600);
}

#[tokio::test]
async fn with_the_catalogue_down_checkout_is_503_and_the_order_unchanged() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    let reviewed = app.open_order(&ada).await.body;
    app.drop_table("ProductsTable").await;
    app.check_out_as_seen(&ada, &reviewed, "4242 4242 4242 4242")
        .await
        .assert(503, "catalog_unavailable");
    assert_eq!(app.open_order(&ada).await.body, reviewed);
    assert!(app.checkout_messages().await.is_empty());
}

#[tokio::test]
async fn products_stored_before_categories_are_counted_by_the_upgrade() {
    let (app, _) = shop_with_customer("ada").await;
    // A product as the earlier products service stored it: no category, version or status.
    let legacy = serde_json::json!({
        "pk": "PRODUCT#old-brass-bell", "kind": "PRODUCT", "slug": "old-brass-bell",
        "name": "Old brass bell", "description": "Rings.", "image": "/images/products/desk-lamp-brass.svg",
        "price": 2_000, "currency": "EUR",
    });
    let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
        serde_dynamo::to_item(legacy).unwrap();
    app.put_as_is("ProductsTable", item).await;
    let before = app.product("old-brass-bell").await;
    assert_eq!(
        (&before["category"], &before["version"]),
        (&json!("Other"), &json!(0))
    );
    assert!(
        !app.categories()
            .await
            .iter()
            .any(|(name, _)| name == "Other")
    );

    assert_eq!(xtask::catalogue::upgrade(&app.products).await.unwrap(), 1);
    assert!(app.categories().await.contains(&("Other".to_owned(), 1)));
    assert_eq!(app.product("old-brass-bell").await["version"], 1);
    assert_eq!(
        xtask::catalogue::upgrade(&app.products).await.unwrap(),
        0,
        "safe to repeat"
    );
    let total: i64 = app.categories().await.iter().map(|(_, count)| count).sum();
    assert_eq!(total, app.listed_slugs().await.len() as i64);
}
