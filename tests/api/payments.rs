//! The checkout pipeline after checkout: payments charges, orders settles, a paid order asks
//! for its receipt. Consumers are driven with real messages taken from moto's queues.

use aws_sdk_dynamodb::types::AttributeValue;
use payments::card::Card;
use payments::gateway::{Charge, ChargeRequest, PaymentGateway};
use serde_json::{Value, json};
use shared::messages::{
    CheckoutRequested, OrderStatus, OrderView, PaymentOutcome, PaymentSettled, ReceiptRequested,
};
use shared::money::Money;
use shared::sqs::{SqsBatchResponse, SqsEvent};

use crate::support::TestApp;

const APPROVED: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";
const INSUFFICIENT: &str = "4000000000009995";
const FLAKY: &str = "4000000000000119";

impl TestApp {
    pub(crate) async fn order(&self, id: &str) -> orders::domain::Order {
        let id = id.parse().unwrap();
        self.orders.get_order(&id).await.unwrap().unwrap()
    }

    /// What the simulated bank recorded for the order's idempotency key.
    async fn charge_of(&self, order_id: &str) -> Option<payments::gateway::Charge> {
        self.bank
            .answer_for(&format!("order-{order_id}"))
            .await
            .unwrap()
    }

    /// A checkout of `ada`'s with an approved card whose first delivery reached the bank, then
    /// died: the order's id, the checkout message (taken off the queue), the card and the bank's
    /// answer.
    async fn reached_the_bank(&self) -> (String, CheckoutRequested, Card, Charge) {
        let (id, _) = self.checked_out("ada", APPROVED).await;
        let message = self.take_checkout_message().await;
        let now = time::OffsetDateTime::now_utc();
        let card = self
            .cards
            .claim(&message.card_token, &message.owner, &id, now)
            .await
            .unwrap()
            .expect("the card is held until it is charged");
        let answer = self
            .bank
            .charge(ChargeRequest {
                idempotency_key: &format!("order-{id}"),
                amount: Money::new(message.amount, message.currency),
                card: &card,
            })
            .await
            .unwrap();
        (id, message, card, answer)
    }

    /// Order `id` is paid, charged once, and has one receipt asked for.
    async fn assert_paid_once(&self, id: &str) {
        assert_eq!(self.order(id).await.status(), OrderStatus::Paid);
        assert_eq!(self.ledger_entries().await.len(), 1);
        assert_eq!(
            self.drain("ReceiptsQueue").await.len(),
            1,
            "one receipt asked for"
        );
    }

    /// The checkout message waiting on the checkout queue (taken off it).
    async fn take_checkout_message(&self) -> CheckoutRequested {
        let queued = self.drain("CheckoutQueue").await;
        serde_json::from_str(queued[0].body().unwrap()).unwrap()
    }

    /// How many cards the payments service holds.
    async fn cards_held(&self) -> i32 {
        let scan = self.dynamodb.scan().table_name(self.table("CardsTable"));
        scan.send().await.unwrap().count()
    }

    /// Every bank ledger entry: one per charge the bank answered.
    pub(crate) async fn ledger_entries(&self) -> Vec<Value> {
        let scan = self
            .dynamodb
            .scan()
            .table_name(self.table("PaymentsTable"))
            .send()
            .await
            .unwrap();
        scan.items()
            .iter()
            .filter(|item| item["pk"].as_s().unwrap().starts_with("BANK#"))
            .map(|item| json!(item["pk"].as_s().unwrap()))
            .collect()
    }
}

/// A consumer that did its work but died before answering: Lambda then treats the whole batch
/// as failed, and every message comes back.
async fn crashed_after(response: SqsBatchResponse, event: &SqsEvent) -> SqsBatchResponse {
    drop(response);
    let mut all_failed = SqsBatchResponse::default();
    for record in &event.records {
        all_failed.add_failure(record.message_id.clone().unwrap());
    }
    all_failed
}

#[tokio::test]
async fn an_approved_card_ends_paid_with_one_charge_and_one_receipt_request() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", APPROVED).await;

    let paid = app.run_payments().await;
    assert_eq!((paid.delivered, paid.failed), (1, 0));
    let seen = std::sync::Mutex::new(Vec::new());
    let delivery = app
        .deliver("PaymentResultsQueue", |event| {
            let seen = &seen;
            async move {
                for record in &event.records {
                    let settled: PaymentSettled =
                        serde_json::from_str(record.body.as_deref().unwrap()).unwrap();
                    seen.lock().unwrap().push(settled);
                }
                app.order_settle(event).await
            }
        })
        .await;
    assert_eq!((delivery.delivered, delivery.failed), (1, 0));
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen[0].order_id, id);
    assert!(matches!(seen[0].outcome, PaymentOutcome::Approved { .. }));

    let order = app.order(&id).await;
    assert_eq!(order.status(), OrderStatus::Paid);
    assert!(matches!(order.state, orders::domain::State::Paid { .. }));
    let record = app
        .payments
        .get(&id.parse().unwrap(), shared::messages::Attempt::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.amount().minor, 2 * 1450 + 3400);
    assert_eq!(record.card_last4, "4242");
    assert!(matches!(
        app.charge_of(&id).await,
        Some(payments::gateway::Charge::Approved { .. })
    ));
    assert_eq!(app.ledger_entries().await.len(), 1);

    let receipts = app.drain("ReceiptsQueue").await;
    assert_eq!(receipts.len(), 1);
    let receipt: ReceiptRequested = serde_json::from_str(receipts[0].body().unwrap()).unwrap();
    assert_eq!(receipt.order_id, id);
    assert_eq!(receipt.customer_name, "Test User");
    assert_eq!(receipt.email, "ada@example.com");
    assert_eq!(receipt.total, 2 * 1450 + 3400);
    assert_eq!(receipt.card_last4, "4242");
    assert_eq!(receipt.lines.len(), 2);
    assert_eq!(receipt.lines[0].line_total, 2 * 1450);

    // Nothing about the card beyond its last four digits is kept anywhere once it is charged.
    let everything = format!(
        "{:?}",
        app.dynamodb
            .scan()
            .table_name(app.table("PaymentsTable"))
            .send()
            .await
            .unwrap()
            .items()
    );
    assert!(!everything.contains("42424242"), "{everything}");
    assert_eq!(app.cards_held().await, 0, "the card is erased once charged");
}

#[tokio::test]
async fn refused_cards_end_payment_failed_with_no_charge_and_no_receipt() {
    for (card, reason) in [
        (DECLINED, "the card was declined"),
        (INSUFFICIENT, "the card has insufficient funds"),
    ] {
        let app = &TestApp::spawn().await;
        let (id, _) = app.checked_out("ada", card).await;
        app.settle_payments().await;
        let order = app.order(&id).await;
        assert_eq!(order.status(), OrderStatus::PaymentFailed, "{card}");
        assert_eq!(app.cards_held().await, 0, "a declined card is erased too");
        assert_eq!(
            OrderView::from(&order).payment_failure.as_deref(),
            Some(reason)
        );
        assert!(matches!(
            app.charge_of(&id).await,
            Some(payments::gateway::Charge::Declined(_))
        ));
        assert!(app.drain("ReceiptsQueue").await.is_empty());
    }
}

#[tokio::test]
async fn a_transient_bank_error_is_retried_and_then_succeeds() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", FLAKY).await;
    let first = app.run_payments().await;
    assert_eq!(
        (first.delivered, first.failed),
        (1, 1),
        "the first attempt fails"
    );
    assert_eq!(app.order(&id).await.status(), OrderStatus::PendingPayment);
    app.settle_payments().await;
    assert_eq!(app.order(&id).await.status(), OrderStatus::Paid);
    assert_eq!(app.ledger_entries().await.len(), 1);
    assert_eq!(app.drain("ReceiptsQueue").await.len(), 1);
}

#[tokio::test]
async fn duplicate_deliveries_charge_settle_and_request_a_receipt_once() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", APPROVED).await;

    // Payments charges, then dies before answering: the message comes back.
    let crashed = app
        .deliver("CheckoutQueue", |event| async move {
            let response = app.payment_charge(event.clone()).await;
            crashed_after(response, &event).await
        })
        .await;
    assert_eq!(crashed.failed, 1);
    let charge = app.charge_of(&id).await.unwrap();

    // Orders settles, then dies before answering: that message comes back too.
    app.deliver("PaymentResultsQueue", |event| async move {
        let response = app.order_settle(event.clone()).await;
        crashed_after(response, &event).await
    })
    .await;
    let version_after_settling = app.order(&id).await.version;

    app.settle_payments().await;
    assert_eq!(app.charge_of(&id).await.unwrap(), charge, "the same charge");
    assert_eq!(app.ledger_entries().await.len(), 1);
    let order = app.order(&id).await;
    assert_eq!(order.status(), OrderStatus::Paid);
    assert_eq!(order.version, version_after_settling, "settled once");
    assert_eq!(app.drain("ReceiptsQueue").await.len(), 1);
}

#[tokio::test]
async fn a_retry_after_the_bank_charged_but_before_it_was_recorded_charges_once() {
    let app = &TestApp::spawn().await;
    let (id, message, _, first) = app.reached_the_bank().await;
    app.checkout_queue
        .send(&message, &format!("{id}-retry"), &format!("{id}-retry"))
        .await
        .unwrap();
    app.settle_payments().await;
    assert_eq!(app.charge_of(&id).await.unwrap(), first);
    app.assert_paid_once(&id).await;
}

#[tokio::test]
async fn only_failed_messages_are_reported_and_poison_reaches_the_dead_letter_queue() {
    let app = &TestApp::spawn().await;
    let (good, _) = app.checked_out("ada", APPROVED).await;
    let (flaky, _) = app.checked_out("bob", FLAKY).await;
    app.sqs
        .send_message()
        .queue_url(app.queue("CheckoutQueue"))
        .message_body("{\"this is\": \"not a checkout\"}")
        .message_group_id("poison")
        .message_deduplication_id("poison")
        .send()
        .await
        .unwrap();

    let first = app.run_payments().await;
    assert_eq!(
        (first.delivered, first.failed),
        (3, 2),
        "flaky and poison only"
    );
    assert!(app.charge_of(&good).await.is_some());

    app.settle_payments().await;
    assert_eq!(app.order(&good).await.status(), OrderStatus::Paid);
    assert_eq!(app.order(&flaky).await.status(), OrderStatus::Paid);
    let dead = app.drain("CheckoutDeadLetterQueue").await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].body().unwrap().contains("not a checkout"));
    assert!(app.drain("CheckoutQueue").await.is_empty());
    assert_eq!(app.drain("ReceiptsQueue").await.len(), 2);
}

#[tokio::test]
async fn a_result_for_an_unknown_order_ends_in_the_dead_letter_queue() {
    let app = &TestApp::spawn().await;
    let settled = PaymentSettled {
        order_id: "0123456789abcdef0123456789abcdef".parse().unwrap(),
        attempt: shared::messages::Attempt::default(),
        outcome: PaymentOutcome::Approved {
            charge_id: "ch_x".into(),
        },
        settled_at: time::macros::datetime!(2026-11-22 10:00 UTC),
        card_last4: None,
    };
    app.payment_results_queue
        .send(
            &settled,
            settled.order_id.as_str(),
            settled.order_id.as_str(),
        )
        .await
        .unwrap();
    app.settle_payments().await;
    assert_eq!(app.drain("PaymentResultsDeadLetterQueue").await.len(), 1);
}

#[tokio::test]
async fn the_sample_checkout_event_is_charged_once_however_often_it_arrives() {
    let app = &TestApp::spawn().await;
    let event: SqsEvent =
        serde_json::from_str(&crate::support::event_text("payment-charge")).unwrap();
    // The card the sample names, held as `POST /api/payment/card` would hold it.
    let message: CheckoutRequested =
        serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    app.dynamodb
        .put_item()
        .table_name(app.table("CardsTable"))
        .set_item(Some(
            [
                ("pk", format!("CARD#{}", message.card_token)),
                ("owner", message.owner.to_string()),
                ("number", "4242424242424242".into()),
                ("holder", "Ada Lovelace".into()),
                ("held_at", "2026-11-22T10:00:00Z".into()),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), AttributeValue::S(value)))
            .chain([
                ("expiry_month".to_owned(), AttributeValue::N("12".into())),
                ("expiry_year".to_owned(), AttributeValue::N("2030".into())),
                (
                    "expires_at".to_owned(),
                    AttributeValue::N(expires.unix_timestamp().to_string()),
                ),
            ])
            .collect(),
        ))
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        let response = app.payment_charge(event.clone()).await;
        assert!(response.batch_item_failures.is_empty());
    }
    assert_eq!(app.ledger_entries().await.len(), 1);
    let results = app.drain("PaymentResultsQueue").await;
    assert_eq!(
        results.len(),
        1,
        "the repeat is deduplicated by payment attempt"
    );
}

/// A card is its owner's alone, pays for one payment attempt only, and lapses.
#[tokio::test]
async fn a_held_card_pays_once_for_its_owner_and_lapses() {
    let app = &TestApp::spawn().await;
    let ada = app.given_session("ada", shared::auth::Role::Customer).await;
    let token: shared::ids::CardToken = app.hold_card(&ada, APPROVED).await.parse().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let lapsed = now + payments::card::HELD_FOR + time::Duration::seconds(1);
    // Whether `who`, at `when`, may have the card for the payment `payment`.
    let claims = |who: &'static str, payment: &'static str, when| {
        let token = token.clone();
        async move {
            let who = who.parse().unwrap();
            let card = app.cards.claim(&token, &who, payment, when).await.unwrap();
            card.is_some_and(|card| card.last4() == "4242")
        }
    };
    assert!(!claims("bob", "x-1", now).await, "someone else's");
    assert!(!claims("ada", "x-1", lapsed).await, "lapsed");
    assert!(claims("ada", "x-1", now).await);
    assert!(
        claims("ada", "x-1", now).await,
        "the same payment finds it again"
    );
    assert!(!claims("ada", "y-1", now).await, "another payment does not");
    app.cards.forget(&token, "y-1").await.unwrap();
    assert!(
        claims("ada", "x-1", now).await,
        "only its payment erases it"
    );
    app.cards.forget(&token, "x-1").await.unwrap();
    assert!(!claims("ada", "x-1", now).await, "erased");
}

/// Someone else's token declines their own payment and leaves the owner's card alone.
#[tokio::test]
async fn a_token_used_by_someone_else_declines_and_leaves_the_card_alone() {
    let (app, ada) = crate::orders::shop_with_customer("ada").await;
    let ada_card = app.hold_card(&ada, APPROVED).await;
    let bob = app.given_session("bob", shared::auth::Role::Customer).await;
    app.add(&bob, crate::orders::MUG, 1).await.assert(200, "");
    let order = app.open_order(&bob).await.body;
    app.check_out_with(&bob, &order, &ada_card)
        .await
        .assert(202, "");
    app.settle_payments().await;
    assert_eq!(app.open_order(&bob).await.body["status"], "PAYMENT_FAILED");
    assert!(app.ledger_entries().await.is_empty(), "nothing charged");

    // Ada's card is still hers to pay with.
    app.add(&ada, crate::orders::MUG, 1).await.assert(200, "");
    let mine = app.open_order(&ada).await.body;
    app.check_out_with(&ada, &mine, &ada_card)
        .await
        .assert(202, "");
    app.settle_payments().await;
    assert_eq!(app.orders_paid_by(&ada).await, 1);
}

/// A delivery that reached the bank, then died; by the redelivery the card is gone (erased by a
/// crashed run after the bank answered, or lapsed): the bank's answer stands, not a decline.
#[tokio::test]
async fn a_payment_whose_card_went_after_the_bank_answered_keeps_the_banks_answer() {
    let app = &TestApp::spawn().await;
    let (id, message, card, _) = app.reached_the_bank().await;
    app.payments
        .begin(
            &message.order_id,
            message.attempt,
            shared::money::Money::new(message.amount, message.currency),
            card.last4().to_owned(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    app.cards.forget(&message.card_token, &id).await.unwrap();

    app.checkout_queue
        .send(&message, &format!("{id}-again"), &format!("{id}-again"))
        .await
        .unwrap();
    app.settle_payments().await;
    app.assert_paid_once(&id).await;
}

/// A checkout naming a card the payments service does not hold (lapsed, or never the
/// customer's) is a failed payment the customer can try again, and charges nothing.
#[tokio::test]
async fn a_checkout_naming_a_card_not_held_fails_without_a_charge() {
    let (app, ada) = crate::orders::shop_with_customer("ada").await;
    app.add(&ada, crate::orders::MUG, 1).await.assert(200, "");
    let order = app.open_order(&ada).await.body;
    app.check_out_with(&ada, &order, "card_0123456789abcdef0123456789abcdef")
        .await
        .assert(202, "");
    app.settle_payments().await;
    let failed = app.open_order(&ada).await.body;
    assert_eq!(failed["status"], "PAYMENT_FAILED");
    assert_eq!(
        failed["payment_failure"],
        shared::messages::DeclineReason::CardNotHeld.explain()
    );
    assert!(app.ledger_entries().await.is_empty(), "nothing charged");
}

/// A checkout message the earlier version queued, card and all, is still charged after the
/// upgrade (and its card goes with the message). Not the journey's card: moto keeps a message
/// after it is deleted, and the journey test looks for its card in all of moto.
#[tokio::test]
async fn a_checkout_queued_by_the_earlier_version_is_still_charged() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", APPROVED).await;
    let message = app.take_checkout_message().await;
    let earlier = json!({
        "order_id": id, "owner": "ada", "email": "ada@example.com",
        "amount": message.amount, "currency": message.currency,
        "card": {
            "number": "4111111111111111", "expiry_month": 12, "expiry_year": 2030,
            "holder": "Ada Lovelace",
        },
        "requested_at": "2026-11-22T10:00:00Z",
    });
    app.checkout_queue
        .send(&earlier, "earlier", "earlier")
        .await
        .unwrap();
    app.settle_payments().await;
    app.assert_paid_once(&id).await;
}
