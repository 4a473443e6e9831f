//! The products service, route by route, against DynamoDB Local.

use std::collections::HashMap;

use lambda_http::RequestExt;
use serde_json::json;
use shared::auth::Role;

use crate::support::{TestApp, event, with_json};

fn new_product(slug: &str) -> serde_json::Value {
    json!({
        "slug": slug,
        "name": "Enamel camp mug",
        "description": "A mug.",
        "image": format!("/images/products/{slug}.svg"),
        "price": 1450,
        "currency": "EUR",
    })
}

impl TestApp {
    /// `POST /api/product/create` as an admin.
    pub(crate) async fn given_product(&self, admin_token: &str, slug: &str, price: i64) {
        let mut body = new_product(slug);
        body["price"] = json!(price);
        let request = self
            .authorized(with_json(event("product-create"), &body), Some(admin_token))
            .await;
        self.product_create(request).await.assert(201, "");
    }
}

#[tokio::test]
async fn an_admin_creates_a_product_and_anyone_can_see_it() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let created = app
        .product_create(app.authorized(event("product-create"), Some(&admin)).await)
        .await;
    created.assert(201, "");
    assert_eq!(created.body["slug"], "enamel-camp-mug");
    assert_eq!(created.body["price"], 1450);
    assert_eq!(created.body["currency"], "EUR");

    let shown = app.product_get(event("product-get")).await;
    shown.assert(200, "");
    assert_eq!(shown.body, created.body);
}

#[tokio::test]
async fn only_admins_create_products() {
    let app = TestApp::spawn().await;
    let customer = app.given_session("ada", Role::Customer).await;
    app.product_create(
        app.authorized(event("product-create"), Some(&customer))
            .await,
    )
    .await
    .assert(403, "forbidden");
    app.product_create(app.authorized(event("product-create"), None).await)
        .await
        .assert(401, "unauthorized");
    app.product_get(event("product-get"))
        .await
        .assert(404, "product_not_found");
}

#[tokio::test]
async fn a_taken_slug_is_409_and_bad_fields_are_400_without_effect() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    app.given_product(&admin, "enamel-camp-mug", 1450).await;

    let mut again = new_product("enamel-camp-mug");
    again["price"] = json!(1);
    let request = app
        .authorized(with_json(event("product-create"), &again), Some(&admin))
        .await;
    app.product_create(request).await.assert(409, "slug_taken");
    assert_eq!(
        app.product_get(event("product-get")).await.body["price"],
        1450
    );

    let cases = [
        ("slug", json!("Not A Slug")),
        ("name", json!("")),
        ("description", json!("d".repeat(2001))),
        ("image", json!("javascript:alert(1)")),
        ("price", json!(0)),
        ("price", json!(-100)),
        ("price", json!(100_000_001)),
        ("currency", json!("BTC")),
    ];
    for (field, value) in cases {
        let mut body = new_product("new-thing");
        body[field] = value;
        let request = app
            .authorized(with_json(event("product-create"), &body), Some(&admin))
            .await;
        let reply = app.product_create(request).await;
        reply.assert(400, "validation_failed");
        assert!(
            reply.body["fields"][field].is_string(),
            "{field}: {}",
            reply.body
        );
    }

    for (field, value) in [
        ("price", json!(12.5)),
        ("price", json!("12")),
        ("stock", json!(3)),
    ] {
        let mut body = new_product("new-thing");
        body[field] = value;
        let request = app
            .authorized(with_json(event("product-create"), &body), Some(&admin))
            .await;
        app.product_create(request)
            .await
            .assert(400, "invalid_body");
    }
    let missing = event("product-get")
        .with_path_parameters(HashMap::from([("id".to_owned(), "new-thing".to_owned())]));
    app.product_get(missing)
        .await
        .assert(404, "product_not_found");
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let app = TestApp::spawn().await;
    let reply = app.product_get(event("product-get-missing")).await;
    reply.assert(404, "product_not_found");
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("no-such-thing")
    );
    for id in ["A B", "../etc", "x"] {
        let request = event("product-get")
            .with_path_parameters(HashMap::from([("id".to_owned(), id.to_owned())]));
        app.product_get(request)
            .await
            .assert(404, "product_not_found");
    }
}

#[tokio::test]
async fn the_catalogue_pages_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let report = xtask::seed::load(&app.products).await.unwrap();
    assert!(report.added >= 20, "{report:?}");

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = HashMap::from([("limit".to_owned(), "7".to_owned())]);
        if let Some(cursor) = &cursor {
            query.insert("cursor".to_owned(), cursor.clone());
        }
        let reply = app
            .product_list(event("product-list").with_query_string_parameters(query))
            .await;
        reply.assert(200, "");
        let products = reply.body["products"].as_array().unwrap();
        assert!(products.len() <= 7);
        seen.extend(
            products
                .iter()
                .map(|p| p["slug"].as_str().unwrap().to_owned()),
        );
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "every product once, in slug order");
    assert_eq!(seen.len(), report.added);

    let first_page = app.product_list(event("product-list")).await;
    assert_eq!(first_page.body["products"].as_array().unwrap().len(), 12);
    assert_eq!(first_page.body["products"][0]["slug"], seen[0]);

    for (name, value) in [("limit", "0"), ("limit", "500"), ("cursor", "garbage")] {
        let request = event("product-list")
            .with_query_string_parameters(HashMap::from([(name.to_owned(), value.to_owned())]));
        assert_eq!(
            app.product_list(request).await.status,
            400,
            "{name}={value}"
        );
    }
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let first = xtask::seed::load(&app.products).await.unwrap();
    let second = xtask::seed::load(&app.products).await.unwrap();
    assert_eq!(second.added, 0);
    assert_eq!(second.already_there, first.added);
}

#[test]
fn the_seed_catalogue_is_valid_and_its_images_exist() {
    let catalog = xtask::seed::catalog().unwrap();
    assert!(catalog.len() >= 20, "only {} products", catalog.len());
    let root = xtask::template::workspace_root().join("web");
    for product in catalog {
        assert_ne!(
            product.product.category,
            products::domain::Category::other(),
            "{} has no category",
            product.product.slug
        );
        let image = &product.product.image;
        assert!(image.starts_with("/images/"), "{image}");
        assert!(root.join(&image[1..]).is_file(), "{image} is missing");
    }
}

#[tokio::test]
async fn products_are_shown_while_every_other_services_table_is_gone() {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    for table in app.table_ids() {
        if table != "ProductsTable" {
            app.drop_table(&table).await;
        }
    }
    app.product_list(event("product-list"))
        .await
        .assert(200, "");
    app.product_get(event("product-get")).await.assert(200, "");
}

#[tokio::test]
async fn a_missing_products_table_is_a_503() {
    let app = TestApp::spawn().await;
    app.drop_table("ProductsTable").await;
    app.product_list(event("product-list"))
        .await
        .assert(503, "storage_unavailable");
    app.product_get(event("product-get"))
        .await
        .assert(503, "storage_unavailable");
}

/// What CloudFront may keep and give every caller (`CatalogueCachePolicy` keeps what says so):
/// the catalogue's answers, never an error (a product created later, an outage) nor an
/// administrator's change.
#[tokio::test]
async fn only_the_catalogues_answers_are_marked_for_cloudfront_to_keep() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let kept = format!(
        "public, max-age=0, s-maxage={}",
        products::handlers::EDGE_SECONDS
    );
    let cache_control = |reply: &crate::support::Reply| {
        reply
            .response
            .headers()
            .get("cache-control")
            .map(|value| value.to_str().unwrap().to_owned())
    };

    let missing = app.product_get(event("product-get")).await;
    missing.assert(404, "product_not_found");
    assert_eq!(cache_control(&missing), None);
    let created = app
        .product_create(app.authorized(event("product-create"), Some(&admin)).await)
        .await;
    created.assert(201, "");
    assert_eq!(cache_control(&created), None);

    for reply in [
        app.product_get(event("product-get")).await,
        app.product_list(event("product-list")).await,
        app.product_categories(event("product-categories")).await,
    ] {
        reply.assert(200, "");
        assert_eq!(cache_control(&reply).as_deref(), Some(kept.as_str()));
    }

    app.drop_table("ProductsTable").await;
    let outage = app.product_list(event("product-list")).await;
    outage.assert(503, "storage_unavailable");
    assert_eq!(cache_control(&outage), None);
}
