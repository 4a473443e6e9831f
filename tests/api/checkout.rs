//! Checkout: handing an open order to payments, exactly once whatever the clicks, retries and
//! crashes, against DynamoDB Local and moto's SQS.

use payments::gateway::Charge;
use serde_json::json;
use shared::ids::OrderId;
use shared::messages::{
    Attempt, CheckoutRequested, DeclineReason, OrderStatus, PaymentOutcome, PaymentSettled,
};

use crate::orders::{MUG, MUG_PRICE, PEN, PEN_PRICE, card, shop_with_customer};
use crate::support::{event, with_json};

/// Whether `text` (JSON, or items as the SDK prints them) names the test card `4242 4242 4242
/// 4242` in any form: whole, spaced, masked, or its last four digits as a value of their own.
/// (Not any "4242": the random ids and times beside it may spell that by chance.)
fn names_the_card(text: &str) -> bool {
    ["42424242", "4242 4242", "* 4242", "*4242", "\"4242\""]
        .iter()
        .any(|form| text.contains(form))
}

#[tokio::test]
async fn checkout_moves_the_order_to_pending_payment_and_sends_one_message() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 2).await.assert(200, "");
    app.add(&ada, PEN, 1).await.assert(200, "");

    let reply = app.check_out(&ada, "4242 4242 4242 4242").await;
    reply.assert(202, "");
    assert_eq!(reply.body["status"], "PENDING_PAYMENT");
    let order_id = reply.body["id"].as_str().unwrap().to_owned();

    let messages = app.checkout_messages().await;
    assert_eq!(messages.len(), 1);
    let message: CheckoutRequested = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(message.order_id, order_id);
    assert_eq!(message.owner, "ada");
    assert_eq!(message.email, "ada@example.com");
    assert_eq!(message.amount, 2 * MUG_PRICE + PEN_PRICE);
    assert!(message.card_token.as_str().starts_with("card_"));
    let body = messages[0].body().unwrap();
    assert!(!names_the_card(body), "no card in the message: {body}");

    // The card rests with the payments service only, until it is charged.
    let scan = |table: &'static str| {
        let app = &app;
        async move {
            let items = app
                .dynamodb
                .scan()
                .table_name(app.table(table))
                .send()
                .await
                .unwrap();
            format!("{:?}", items.items())
        }
    };
    for table in ["OrdersTable", "PaymentsTable"] {
        let items = scan(table).await;
        assert!(!names_the_card(&items), "{table} holds a card: {items}");
    }
    assert!(scan("CardsTable").await.contains("4242424242424242"));

    // The order stays in sight until it is paid; the next add-item starts a new one.
    let current = app.open_order(&ada).await;
    current.assert(200, "");
    assert_eq!(current.body["status"], "PENDING_PAYMENT");
    assert_eq!(current.body["id"], order_id.as_str());
    let next = app.add(&ada, MUG, 1).await;
    next.assert(200, "");
    assert_ne!(next.body["id"], order_id);
}

#[tokio::test]
async fn double_clicks_retries_and_races_send_exactly_one_message() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    let reviewed = app.open_order(&ada).await.body;
    let racing = (0..5).map(|_| app.check_out_as_seen(&ada, &reviewed, "4242424242424242"));
    let replies = futures::future::join_all(racing).await;
    for reply in &replies {
        reply.assert(202, "");
        assert_eq!(reply.body["id"], replies[0].body["id"]);
    }
    // Once it is pending payment, checking out again answers the same; the card held for the
    // repeat is never claimed, and lapses within the hour.
    app.check_out(&ada, "4000000000000002")
        .await
        .assert(202, "");
    assert_eq!(app.checkout_messages().await.len(), 1);
}

#[tokio::test]
async fn an_order_the_earlier_checkout_left_without_its_message_is_completed_by_the_retry() {
    let (app, ada) = shop_with_customer("ada").await;
    let order = app.add(&ada, MUG, 1).await;
    // As the earlier version of checkout left an order when it died between moving the order
    // and sending the message (today both are one transaction).
    let mut pending = app
        .orders
        .current(&"ada".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let version = pending.version;
    pending.state = orders::domain::State::PendingPayment {
        payer: orders::domain::Payer {
            card_last4: None,
            email: "ada@example.com".into(),
            email_verified: true,
            customer_name: "Test User".into(),
        },
        attempt: shared::messages::Attempt::default(),
        payment_requested: false,
    };
    pending.version += 1;
    assert!(app.orders.replace_open(&pending, version).await.unwrap());
    assert!(app.checkout_messages().await.is_empty());

    app.check_out(&ada, "4242424242424242")
        .await
        .assert(202, "");
    let messages = app.checkout_messages().await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]
            .body()
            .unwrap()
            .contains(order.body["id"].as_str().unwrap())
    );
    app.check_out(&ada, "4242424242424242")
        .await
        .assert(202, "");
    assert!(app.checkout_messages().await.is_empty());
}

#[tokio::test]
async fn checkout_refuses_bad_cards_and_empty_or_missing_orders() {
    let (app, ada) = shop_with_customer("ada").await;
    app.check_out(&ada, "4242424242424242")
        .await
        .assert(404, "order_not_found");
    app.add(&ada, MUG, 1).await.assert(200, "");
    app.update(&ada, MUG, 0).await.assert(200, "");
    app.check_out(&ada, "4242424242424242")
        .await
        .assert(409, "order_empty");

    app.add(&ada, MUG, 1).await.assert(200, "");
    let invalid = app
        .payment_card(
            app.authorized(event("payment-card-invalid-card"), Some(&ada))
                .await,
        )
        .await;
    invalid.assert(400, "validation_failed");
    assert!(invalid.body["fields"]["card_number"].is_string());
    assert!(invalid.body["fields"]["expiry_month"].is_string());
    let mut with_cvc = card("4242424242424242");
    with_cvc["cvc"] = json!("123");
    let request = with_json(event("payment-card"), &with_cvc);
    app.payment_card(app.authorized(request, Some(&ada)).await)
        .await
        .assert(400, "invalid_body");

    // The checkout takes a card token, never a card.
    let current = app.open_order(&ada).await.body;
    let mut with_card = card("4242424242424242");
    with_card["order_id"] = current["id"].clone();
    with_card["version"] = current["version"].clone();
    let request = with_json(event("order-checkout"), &with_card);
    app.checkout(app.authorized(request, Some(&ada)).await)
        .await
        .assert(400, "invalid_body");

    assert_eq!(app.open_order(&ada).await.body["status"], "OPEN");
    assert!(app.checkout_messages().await.is_empty());
}

/// The customer pays for the order they reviewed: one changed since (an item added in another
/// tab) is refused, and nothing is charged.
#[tokio::test]
async fn an_order_changed_since_it_was_reviewed_is_not_checked_out() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 1).await.assert(200, "");
    let reviewed = app.open_order(&ada).await.body;
    app.add(&ada, PEN, 1).await.assert(200, "");

    let refused = app
        .check_out_as_seen(&ada, &reviewed, "4242424242424242")
        .await;
    refused.assert(409, "order_changed");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("review it")
    );
    assert_eq!(app.open_order(&ada).await.body["status"], "OPEN");
    assert!(app.checkout_messages().await.is_empty());

    // Someone else's order is not theirs to pay, whatever its version.
    let (bob_order, _) = {
        let bob = app.given_session("bob", shared::auth::Role::Customer).await;
        app.add(&bob, MUG, 1).await.assert(200, "");
        (app.open_order(&bob).await.body, bob)
    };
    app.check_out_as_seen(&ada, &bob_order, "4242424242424242")
        .await
        .assert(404, "order_not_found");

    app.check_out(&ada, "4242424242424242")
        .await
        .assert(202, "");
    assert_eq!(app.checkout_messages().await.len(), 1);
}

/// A declined card is not the end: the same order is paid again with another card, as a new
/// payment attempt with its own idempotency key, and a late verdict on the first attempt changes
/// nothing.
#[tokio::test]
async fn a_failed_payment_is_paid_again_with_another_card() {
    let (app, ada) = shop_with_customer("ada").await;
    app.add(&ada, MUG, 2).await.assert(200, "");
    app.check_out(&ada, "4000000000000002")
        .await
        .assert(202, "");
    app.settle_payments().await;
    let failed = app.open_order(&ada).await;
    failed.assert(200, "");
    assert_eq!(failed.body["status"], "PAYMENT_FAILED");
    let id: OrderId = failed.body["id"].as_str().unwrap().parse().unwrap();

    let retry = app
        .check_out_as_seen(&ada, &failed.body, "4242424242424242")
        .await;
    retry.assert(202, "");
    assert_eq!(retry.body["status"], "PENDING_PAYMENT");
    assert_eq!(retry.body["payment_failure"], serde_json::Value::Null);

    // The first attempt's verdict arrives again, late: it belongs to the past.
    let late = PaymentSettled {
        order_id: id.clone(),
        attempt: Attempt(1),
        outcome: PaymentOutcome::Declined {
            reason: DeclineReason::CardDeclined,
        },
        settled_at: time::OffsetDateTime::now_utc(),
        card_last4: None,
    };
    app.payment_results_queue
        .send(&late, "late", "late")
        .await
        .unwrap();
    app.settle_payments().await;
    let paid = app.orders.get_order(&id).await.unwrap().unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    assert_eq!(paid.state.attempt(), Some(Attempt(2)));
    assert_eq!(
        paid.state
            .payer()
            .and_then(|payer| payer.card_last4.as_deref()),
        Some("4242"),
        "the card that paid, as payments reported it"
    );
    let charge = |key: String| {
        let bank = &app.bank;
        async move { bank.answer_for(&key).await.unwrap() }
    };
    assert!(matches!(
        charge(format!("order-{id}")).await,
        Some(Charge::Declined(_))
    ));
    assert!(matches!(
        charge(format!("order-{id}-2")).await,
        Some(Charge::Approved { .. })
    ));
    assert_eq!(app.drain("ReceiptsQueue").await.len(), 1, "one receipt");
    app.open_order(&ada).await.assert(404, "no_open_order");
}
