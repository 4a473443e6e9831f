//! Faults, on the local shop with its real function binaries: the database going away in the
//! middle of a journey, a consumer stopped while orders keep coming, a consumer crashing after
//! its work but before reporting it, and a poison message. Afterwards the books must balance:
//! every order paid, charged once and e-mailed once, read from the stores themselves.

use std::time::{Duration, Instant};

use serde_json::json;
use xtask::reconcile::reconcile;

use crate::support::dynamodb::OwnDynamoDb;
use crate::support::sdk_config;
use crate::support::shop::{ShopOptions, expect, start_shop_with};
use xtask::visitor::Visitor;

const PASSWORD: &str = "a long enough password";

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_down_mid_journey_every_route_is_a_clear_503_and_nothing_half_done() {
    let mut dynamodb = OwnDynamoDb::start().await;
    let shop = start_shop_with(ShopOptions {
        environment: vec![("AWS_ENDPOINT_URL_DYNAMODB".into(), dynamodb.endpoint())],
        ..ShopOptions::default()
    })
    .await;
    let products =
        products::ProductStore::new(dynamodb.client().await, &shop.names.refs["ProductsTable"]);
    xtask::seed::load(&products).await.unwrap();
    let mut ada = shop.visitor();
    let username = unique("ada");
    ada.sign_up(&username, PASSWORD).await.unwrap();
    let mug = json!({ "product_id": "enamel-camp-mug", "qty": 2 });
    expect(&ada.post("/api/order/add-item", mug).await, 200);
    let before = ada.get("/api/order").await;
    expect(&before, 200);

    dynamodb.stop();
    let checkout = json!({
        "order_id": before.json()["id"], "version": before.json()["version"],
        "card_token": "card_0123456789abcdef0123456789abcdef",
    });
    let card = json!({
        "card_number": "4242 4242 4242 4242", "expiry_month": 12,
        "expiry_year": 2030, "holder": "Jo Urney",
    });
    let bob = unique("bob");
    let attempts = [
        (
            "POST",
            "/api/order/add-item",
            Some(json!({ "product_id": "brass-ballpoint-pen", "qty": 1 })),
        ),
        (
            "POST",
            "/api/order/update-item",
            Some(json!({ "product_id": "enamel-camp-mug", "qty": 5 })),
        ),
        ("POST", "/api/payment/card", Some(card)),
        ("POST", "/api/order/checkout", Some(checkout)),
        ("GET", "/api/order", None),
        ("GET", "/api/orders", None),
        ("GET", "/api/products", None),
        ("GET", "/api/product/enamel-camp-mug", None),
        ("GET", "/api/user", None),
        (
            "POST",
            "/api/user/login",
            Some(json!({ "username": username, "password": PASSWORD })),
        ),
        (
            "POST",
            "/api/user/create",
            Some(json!({
                "username": bob, "password": PASSWORD, "email": "bob@example.com",
                "first_name": "Bob", "last_name": "B",
            })),
        ),
    ];
    for (method, path, body) in attempts {
        let reply = match body {
            Some(body) => ada.post(path, body).await,
            None => ada.get(path).await,
        };
        let answer = reply.json();
        assert_eq!(reply.status, 503, "{method} {path}: {answer}");
        assert!(
            answer["error"].is_string() && answer["message"].is_string(),
            "{method} {path}: not a clear error: {answer}"
        );
    }

    // Back again: the order is exactly as it was, the refused registration never happened, and
    // the journey goes on to a paid order.
    dynamodb.restart().await;
    let after = ada.get("/api/order").await;
    expect(&after, 200);
    assert_eq!(after.json(), before.json(), "the outage changed the order");
    expect(&ada.get(&format!("/api/user/{bob}/exists")).await, 404);
    let pen = json!({ "product_id": "brass-ballpoint-pen", "qty": 1 });
    expect(&ada.post("/api/order/add-item", pen).await, 200);
    let id = ada.check_out().await.unwrap();
    let paid = ada.settled(&id, Duration::from_secs(90)).await;
    assert_eq!(paid["status"], "PAID", "{paid}");
    assert_eq!(paid["total"], 2 * 1450 + 3400);
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_and_crashing_consumers_and_a_poison_message_still_end_with_each_order_paid_once() {
    const ORDERS: usize = 4;
    let shop = start_shop_with(ShopOptions {
        capture_logs: true,
        ..ShopOptions::default()
    })
    .await;
    shop.seed_catalogue().await;

    // The outbox relay and the payments consumer are stopped (their triggers disabled) while
    // customers check out.
    shop.pause_trigger("order-relay").await;
    shop.pause_trigger("payment-charge").await;
    let mut orders: Vec<(Visitor, String)> = Vec::new();
    for _ in 0..ORDERS {
        let mut customer = shop.visitor();
        let username = unique("shopper");
        customer.sign_up(&username, PASSWORD).await.unwrap();
        xtask::seed::vouch_for(&shop.names, &username)
            .await
            .unwrap();
        let item = json!({ "product_id": "enamel-camp-mug", "qty": 1 });
        expect(&customer.post("/api/order/add-item", item).await, 200);
        let id = customer.check_out().await.unwrap();
        orders.push((customer, id));
    }
    // A message no consumer can ever handle, in a group of its own.
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    sqs.send_message()
        .queue_url(&shop.names.refs["CheckoutQueue"])
        .message_body("{\"not\": \"a checkout\"}")
        .message_group_id("poison")
        .message_deduplication_id(uuid::Uuid::new_v4().simple().to_string())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (customer, id) in &orders {
        let order = customer.get(&format!("/api/order/{id}")).await.json();
        assert_eq!(order["status"], "PENDING_PAYMENT", "{order}");
    }
    let waiting = reconcile(&shop.names, &[]).await.unwrap();
    assert_eq!(waiting.outbox, ORDERS, "the messages wait in the outbox");

    // The relay crashes once after sending, before answering: the batch comes again.
    let relay = shop.pool("order-relay");
    relay.crash_on_next_responses(1);
    shop.resume_trigger("order-relay");

    // Both consumers of the paid path crash once after doing their work, before reporting it:
    // the whole batch comes back and is done again.
    let payments = shop.pool("payment-charge");
    let receipts = shop.pool("receipt-email");
    payments.crash_on_next_responses(1);
    receipts.crash_on_next_responses(1);
    shop.resume_trigger("payment-charge");

    for (customer, id) in &orders {
        let order = customer.settled(id, Duration::from_secs(120)).await;
        assert_eq!(order["status"], "PAID", "{order}");
    }
    let ids: Vec<String> = orders.iter().map(|(_, id)| id.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let books = loop {
        let books = reconcile(&shop.names, &ids).await.unwrap();
        let poisoned = books.dead_letters["CheckoutDeadLetterQueue"] == 1;
        if (books.orders_emailed == ORDERS && poisoned) || Instant::now() > deadline {
            break books;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let crashed = |function: &str| {
        shop.logs()
            .iter()
            .filter(|line| {
                line.starts_with(&format!("[{function}]")) && line.contains("fault injection")
            })
            .count()
    };
    assert_eq!(crashed("payment-charge"), 1, "{:#?}", shop.logs());
    assert_eq!(relay.crashes(), 1, "the outbox relay crashed");
    assert_eq!(payments.crashes(), 1, "the payments consumer crashed");
    assert_eq!(receipts.crashes(), 1, "the receipts consumer crashed");
    assert_eq!(books.charges, ORDERS, "{books:?}");
    assert_eq!(books.approved_payments, ORDERS, "{books:?}");
    assert_eq!(books.emails, ORDERS, "one e-mail per order: {books:?}");
    assert_eq!(books.orders_emailed, ORDERS, "{books:?}");
    assert_eq!(books.outbox, 0, "every message sent: {books:?}");
    for (queue, depth) in &books.dead_letters {
        let expected = usize::from(queue == "CheckoutDeadLetterQueue");
        assert_eq!(*depth, expected, "{queue}: {books:?}");
    }
    shop.stop().await;
}
