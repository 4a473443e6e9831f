//! Attacks through the request body: fields a client may not set, and bodies built to exhaust
//! the parser. (Forged, expired and revoked tokens are in `users.rs`; each service's tests check
//! that its objects are only its owner's and that its admin routes are admins' only.)

use serde_json::{Value, json};
use shared::auth::Role;

use crate::support::{Reply, TestApp, event, with_body, with_json};

const MUG: &str = "enamel-camp-mug";

/// Whether `reply` refused the field `field` by name, as a client mistake.
#[track_caller]
fn refused(reply: &Reply, field: &str) {
    reply.assert(400, "invalid_body");
    let message = reply.body["message"].as_str().unwrap();
    assert!(message.contains(field), "{field}: {message}");
}

#[tokio::test]
async fn no_client_sets_a_price_a_status_an_owner_or_a_role() {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    let ada = app.given_session("ada", Role::Customer).await;
    let admin = app.given_session("root", Role::Admin).await;

    // The order's content and its owner come from the catalogue and the token, never the body.
    for (field, value) in [
        ("unit_price", json!(1)),
        ("name", json!("Free mug")),
        ("currency", json!("JPY")),
        ("owner", json!("bob")),
        ("status", json!("PAID")),
        ("total", json!(0)),
    ] {
        let mut body = json!({ "product_id": MUG, "qty": 1 });
        body[field] = value;
        for route in ["order-add-item", "order-update-item"] {
            let request = app
                .authorized(with_json(event(route), &body), Some(&ada))
                .await;
            let reply = if route == "order-add-item" {
                app.add_item(request).await
            } else {
                app.update_item(request).await
            };
            refused(&reply, field);
        }
    }
    app.order_current(app.authorized(event("order-current"), Some(&ada)).await)
        .await
        .assert(404, "no_open_order");

    let add = with_json(
        event("order-add-item"),
        &json!({ "product_id": MUG, "qty": 2 }),
    );
    let before = app.add_item(app.authorized(add, Some(&ada)).await).await;
    before.assert(200, "");

    // Checking out takes the order as reviewed and a held card, not a verdict or an amount.
    for (field, value) in [
        ("status", json!("PAID")),
        ("amount", json!(1)),
        ("total", json!(1)),
        ("owner", json!("bob")),
        ("email", json!("mallory@example.com")),
    ] {
        let mut body = json!({
            "order_id": before.body["id"],
            "version": before.body["version"],
            "card_token": "card_0123456789abcdef0123456789abcdef",
        });
        body[field] = value;
        let request = app
            .authorized(with_json(event("order-checkout"), &body), Some(&ada))
            .await;
        refused(&app.checkout(request).await, field);
    }
    let after = app
        .order_current(app.authorized(event("order-current"), Some(&ada)).await)
        .await;
    after.assert(200, "");
    assert_eq!(
        after.body, before.body,
        "refused requests changed the order"
    );
    assert!(app.checkout_messages().await.is_empty());

    // A product's identity and bookkeeping are the service's.
    for (field, value) in [
        ("id", json!("other-slug")),
        ("created_at", json!("2000-01-01T00:00:00Z")),
        ("created_by", json!("bob")),
    ] {
        let mut body = json!({
            "slug": "cheap-lamp",
            "name": "Cheap lamp",
            "description": "A lamp.",
            "image": "/images/products/cheap-lamp.svg",
            "price": 1000,
            "currency": "EUR",
        });
        body[field] = value;
        let request = app
            .authorized(with_json(event("product-create"), &body), Some(&admin))
            .await;
        refused(&app.product_create(request).await, field);
    }
    let mut get = event("product-get");
    get = lambda_http::RequestExt::with_path_parameters(
        get,
        std::collections::HashMap::from([("id".to_owned(), "cheap-lamp".to_owned())]),
    );
    app.product_get(get).await.assert(404, "product_not_found");

    // Nor can a customer's body make them an admin: the role is the users table's.
    let mut body = json!({ "username": "ada", "password": crate::support::PASSWORD });
    body["role"] = json!("admin");
    refused(
        &app.login(with_json(event("user-login"), &body)).await,
        "role",
    );
    let request = app
        .authorized(with_json(event("product-create"), &json!({})), Some(&ada))
        .await;
    app.product_create(request).await.assert(403, "forbidden");
}

/// `depth` arrays nested in one another inside an object: small, but deeper than any real body.
fn nested(depth: usize) -> String {
    format!(
        r#"{{"product_id": {}1{}, "qty": 1}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test]
async fn deeply_nested_bodies_are_client_errors_without_effect() {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    let ada = app.given_session("ada", Role::Customer).await;
    let admin = app.given_session("root", Role::Admin).await;
    let body = nested(4000);
    assert!(body.len() < shared::http::MAX_BODY_BYTES);

    let json = |route: &str| with_body(event(route), "application/json", body.clone());
    let replies = [
        app.register(json("user-create")).await,
        app.login(json("user-login")).await,
        app.add_item(app.authorized(json("order-add-item"), Some(&ada)).await)
            .await,
        app.update_item(app.authorized(json("order-update-item"), Some(&ada)).await)
            .await,
        app.checkout(app.authorized(json("order-checkout"), Some(&ada)).await)
            .await,
        app.product_create(app.authorized(json("product-create"), Some(&admin)).await)
            .await,
    ];
    for reply in replies {
        assert_eq!(reply.status.as_u16(), 400, "{}", reply.body);
        let code = reply.code();
        assert!(
            code == "malformed_json" || code == "invalid_body",
            "{}",
            reply.body
        );
    }
    app.order_current(app.authorized(event("order-current"), Some(&ada)).await)
        .await
        .assert(404, "no_open_order");
    let listed = app.product_list(event("product-list")).await;
    assert!(
        listed.body["products"]
            .as_array()
            .unwrap()
            .iter()
            .all(|product| product["slug"].is_string()),
        "{}",
        listed.body
    );
}

#[tokio::test]
async fn hostile_strings_are_stored_verbatim_and_returned_as_data() {
    // The API keeps what it accepts exactly and returns it as JSON data; escaping it is the
    // storefront's job (its browser test shows such a product). What no page could show safely,
    // control characters and script URLs, is refused.
    let app = TestApp::spawn().await;
    let admin = app.given_session("root", Role::Admin).await;
    let create = |body: Value| {
        let request = with_json(event("product-create"), &body);
        let (app, admin) = (&app, &admin);
        async move {
            app.product_create(app.authorized(request, Some(admin)).await)
                .await
        }
    };
    let product = |name: &str, description: &str, image: &str| {
        json!({
            "slug": "hostile-lamp",
            "name": name,
            "description": description,
            "image": image,
            "price": 1000,
            "currency": "EUR",
        })
    };
    let mug = "/images/products/enamel-camp-mug.svg";

    for refused in [
        product("Lamp\u{0}", "A lamp.", mug),
        product("Lamp\u{1b}[2J", "A lamp.", mug),
        product("Lamp", "A lamp.", "javascript:alert(1)"),
        product("Lamp", "A lamp.", "/x\" onerror=\"alert(1)"),
        product(
            "Lamp",
            "A lamp.",
            "data:text/html,<script>alert(1)</script>",
        ),
    ] {
        create(refused).await.assert(400, "validation_failed");
    }

    let name = r#"<img src=x onerror="alert(1)"> '; DROP TABLE products; --"#;
    let description =
        "<script>alert('x')</script> \u{202e}evil {{constructor.constructor('alert(1)')()}}";
    create(product(name, description, mug))
        .await
        .assert(201, "");
    let listed = app.product_list(event("product-list")).await;
    let stored: &Value = listed.body["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|product| product["slug"] == "hostile-lamp")
        .unwrap();
    assert_eq!(stored["name"], name);
    assert_eq!(stored["description"], description);
}
