//! The checkout's hand-off to payments through the orders outbox (`orders::outbox`): the order's
//! move and its message are one write, and `order-relay` gets every message to the checkout queue
//! however it fails: the queue unreachable, the table unreachable after a send, the relay
//! crashing after its work, its records delivered twice, its trigger giving up. Every order ends
//! paid or failed exactly once, with one charge at most.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::QueueAttributeName;
use orders::domain::State;
use serde_json::Value;
use shared::messages::OrderStatus;

use crate::orders::{MUG, shop_with_customer};
use crate::support::TestApp;
use crate::support::outbox::Outage;

const APPROVED: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";

impl TestApp {
    /// The outbox items in the orders table.
    async fn outbox(&self) -> Vec<orders::outbox::Outgoing> {
        let scan = self
            .dynamodb
            .scan()
            .table_name(self.table("OrdersTable"))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        scan.items
            .unwrap_or_default()
            .into_iter()
            .filter(|item| item["pk"].as_s().unwrap().starts_with("OUTBOX#"))
            .map(|item| shared::store::from_item(item).unwrap())
            .collect()
    }
}

/// A customer with one mug checked out with `card`, its message still in the outbox: the
/// order's id.
async fn checked_out_unrelayed(app: &TestApp, token: &str, card: &str) -> String {
    app.add(token, MUG, 1).await.assert(200, "");
    let reply = app.check_out(token, card).await;
    reply.assert(202, "");
    reply.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn checkout_writes_the_pending_order_and_its_message_in_one_step_and_the_relay_sends_it() {
    let (app, ada) = shop_with_customer("ada").await;
    let id = checked_out_unrelayed(&app, &ada, APPROVED).await;

    // Pending, its payment requested, and the message in the outbox: not yet on the queue.
    let order = app.order(&id).await;
    assert!(
        matches!(
            order.state,
            State::PendingPayment {
                payment_requested: true,
                ..
            }
        ),
        "{order:?}"
    );
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].group, id);
    let message: Value = serde_json::from_str(&outbox[0].body).unwrap();
    assert_eq!(message["order_id"], id.as_str());
    assert!(message["card_token"].is_string());
    assert!(
        !outbox[0].body.contains(APPROVED),
        "no card number in the outbox"
    );
    assert!(app.drain("CheckoutQueue").await.is_empty());

    // The relay is given that one item (the order and cart writes are filtered out), sends it,
    // and empties the outbox.
    let pass = app.relay_outbox().await;
    assert_eq!(
        (pass.batches, pass.records, pass.failed),
        (1, 1, 0),
        "{pass:?}"
    );
    let messages = app.drain("CheckoutQueue").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body().unwrap(), outbox[0].body);
    assert!(app.outbox().await.is_empty());
    assert!(app.checkout_messages().await.is_empty(), "sent once");
}

#[tokio::test]
async fn while_the_checkout_queue_is_unreachable_the_message_waits_in_the_outbox() {
    let (app, ada) = shop_with_customer("ada").await;
    let id = checked_out_unrelayed(&app, &ada, APPROVED).await;

    for _ in 0..3 {
        let pass = app.relay_outbox_during(Outage::CheckoutQueue).await;
        assert_eq!((pass.batches, pass.failed), (1, 1), "the record is failed");
    }
    assert_eq!(app.outbox().await.len(), 1);
    assert_eq!(app.order(&id).await.status(), OrderStatus::PendingPayment);
    let current = app.open_order(&ada).await;
    current.assert(200, "");
    assert_eq!(
        current.body["status"], "PENDING_PAYMENT",
        "the customer sees it"
    );

    // Back: the same record comes again, and the order is paid, once.
    app.settle_payments().await;
    assert_eq!(app.order(&id).await.status(), OrderStatus::Paid);
    assert_eq!(app.ledger_entries().await.len(), 1);
    assert!(app.outbox().await.is_empty());
    assert_eq!(app.drain("ReceiptsQueue").await.len(), 1);
}

#[tokio::test]
async fn a_relay_cut_off_after_sending_or_crashing_or_given_records_twice_sends_each_payment_once()
{
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    let mut orders = Vec::new();
    for (name, card) in [("ada", APPROVED), ("bob", DECLINED), ("cyd", APPROVED)] {
        let token = app.given_session(name, shared::auth::Role::Customer).await;
        orders.push((checked_out_unrelayed(&app, &token, card).await, card));
    }

    // It sends, then cannot delete what it sent: the record fails, and comes again.
    let pass = app.relay_outbox_during(Outage::OrdersTable).await;
    assert_eq!((pass.batches, pass.failed), (1, 1));
    assert_eq!(app.outbox().await.len(), 3, "nothing deleted");
    // It does all its work, then dies before answering: Lambda gives the whole batch again.
    let crashed = app
        .relay_outbox_with(|event| async {
            drop(app.order_relay(event).await);
            None
        })
        .await;
    assert_eq!((crashed.batches, crashed.failed), (1, 1));
    // Every record twice in one batch, as a retried delivery can overlap the last.
    let twice = app
        .relay_outbox_with(|event| async {
            drop(app.order_relay(event.clone()).await);
            Some(app.order_relay(event).await)
        })
        .await;
    assert_eq!((twice.batches, twice.failed), (1, 0));
    assert!(app.outbox().await.is_empty());

    app.settle_payments().await;
    for (id, card) in &orders {
        let expected = if *card == APPROVED {
            OrderStatus::Paid
        } else {
            OrderStatus::PaymentFailed
        };
        assert_eq!(app.order(id).await.status(), expected, "order {id}");
    }
    assert_eq!(
        app.ledger_entries().await.len(),
        orders.len(),
        "the bank asked once per order"
    );
    assert_eq!(
        app.drain("ReceiptsQueue").await.len(),
        2,
        "one receipt each"
    );
    assert!(app.drain("CheckoutDeadLetterQueue").await.is_empty());
}

#[tokio::test]
async fn a_message_the_relay_gave_up_on_after_an_hour_is_reported_kept_and_sent_by_the_redrive() {
    let (app, ada) = shop_with_customer("ada").await;
    let id = checked_out_unrelayed(&app, &ada, APPROVED).await;

    // The queue stays unreachable until the record is older than its trigger allows: it is
    // given up on.
    for _ in 0..3 {
        let pass = app.relay_outbox_during(Outage::CheckoutQueue).await;
        assert_eq!((pass.failed, pass.given_up), (1, 0));
    }
    app.let_stream_time_pass(3601).await;
    let pass = app.relay_outbox_during(Outage::CheckoutQueue).await;
    assert_eq!((pass.batches, pass.given_up), (0, 1), "{pass:?}");
    let reported = app.drain("OutboxFailuresQueue").await;
    assert_eq!(reported.len(), 1, "the on-failure destination is told");
    let metadata: Value = serde_json::from_str(reported[0].body().unwrap()).unwrap();
    assert!(metadata["DDBStreamBatchInfo"]["streamArn"].is_string());
    assert_eq!(app.relay_outbox().await.batches, 0, "the stream moved on");
    assert_eq!(app.order(&id).await.status(), OrderStatus::PendingPayment);
    assert_eq!(app.outbox().await.len(), 1, "the message is kept");

    // The operator's redrive (`xtask outbox-redrive`) brings it past the relay again.
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(app.orders.redrive_outbox(now).await.unwrap(), 1);
    app.settle_payments().await;
    assert_eq!(app.order(&id).await.status(), OrderStatus::Paid);
    assert_eq!(app.ledger_entries().await.len(), 1);
    assert!(app.outbox().await.is_empty());
    assert_eq!(app.orders.redrive_outbox(now).await.unwrap(), 0);
}

#[tokio::test]
async fn the_sample_stream_event_is_relayed_as_its_item_once_and_never_after_it_went() {
    let app = TestApp::spawn().await;
    let text = crate::support::event_text("order-relay");
    let event: aws_lambda_events::dynamodb::Event = serde_json::from_str(&text).unwrap();
    // The item the record was written for, in the table.
    let outgoing: orders::outbox::Outgoing =
        serde_dynamo::from_item(event.records[0].change.new_image.clone()).unwrap();
    let item = shared::store::to_item(&outgoing.key(), &outgoing).unwrap();
    app.put_as_is("OrdersTable", item).await;
    for _ in 0..3 {
        let response = app.order_relay(event.clone()).await;
        assert!(response.batch_item_failures.is_empty());
    }
    let messages = app.drain("CheckoutQueue").await;
    assert_eq!(messages.len(), 1, "sent once; then the item was gone");
    let sample: Value = serde_json::from_str(&text).unwrap();
    let written = &sample["Records"][0]["dynamodb"]["NewImage"]["body"]["S"];
    assert_eq!(messages[0].body(), written.as_str());
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn an_outbox_item_that_is_not_a_message_is_reported_not_passed_over() {
    let app = TestApp::spawn().await;
    app.dynamodb
        .put_item()
        .table_name(app.table("OrdersTable"))
        .item("pk", AttributeValue::S("OUTBOX#not-a-message".into()))
        .send()
        .await
        .unwrap();
    let pass = app.relay_outbox().await;
    assert_eq!(
        (pass.records, pass.failed),
        (1, 1),
        "reported, to be given up on in the end"
    );
    assert!(app.drain("CheckoutQueue").await.is_empty());
}

/// Orders the earlier checkout left pending without their message (it sent after its write)
/// are completed by the re-drive: paid for if the lost message did reach payments, failed as
/// lapsed (and paid again by the customer) if it did not.
#[tokio::test]
async fn the_redrive_completes_orders_the_earlier_checkout_stranded() {
    let (app, ada) = shop_with_customer("ada").await;
    let bob = app.given_session("bob", shared::auth::Role::Customer).await;
    let mut stranded = Vec::new();
    for token in [&ada, &bob] {
        app.add(token, MUG, 1).await.assert(200, "");
        let mut order = app.open_order(token).await.body;
        let card = app.hold_card(token, APPROVED).await;
        let reply = app.check_out_with(token, &order, &card).await;
        reply.assert(202, "");
        order = reply.body;
        // As the earlier version left it: pending, its message never written.
        let id: shared::ids::OrderId = order["id"].as_str().unwrap().parse().unwrap();
        let mut pending = app.orders.get_order(&id).await.unwrap().unwrap();
        if let State::PendingPayment {
            payment_requested, ..
        } = &mut pending.state
        {
            *payment_requested = false;
        }
        let version = pending.version;
        assert!(
            app.orders
                .replace(&pending, version, OrderStatus::PendingPayment)
                .await
                .unwrap()
        );
        stranded.push((id.to_string(), card));
    }
    // Ada's message did reach payments before it was lost to the orders service's books: her
    // card was charged, and the verdict is still on its way.
    let ada_message = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.group == stranded[0].0);
    let ada_message = ada_message.unwrap();
    app.checkout_queue
        .send_text(
            ada_message.body.clone(),
            &ada_message.group,
            &ada_message.deduplication,
        )
        .await
        .unwrap();
    app.run_payments().await;
    // Their outbox items never existed in the earlier version.
    for message in app.outbox().await {
        app.dynamodb
            .delete_item()
            .table_name(app.table("OrdersTable"))
            .key("pk", AttributeValue::S(message.key()))
            .send()
            .await
            .unwrap();
    }

    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        orders::outbox::complete_stranded(&app.orders, now)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        orders::outbox::complete_stranded(&app.orders, now)
            .await
            .unwrap(),
        0
    );
    app.settle_payments().await;
    assert_eq!(app.order(&stranded[0].0).await.status(), OrderStatus::Paid);
    let bobs = app.order(&stranded[1].0).await;
    assert_eq!(bobs.status(), OrderStatus::PaymentFailed, "{bobs:?}");
    assert_eq!(
        app.ledger_entries().await.len(),
        1,
        "Ada charged once, Bob never"
    );
    // Bob pays again.
    let seen = serde_json::to_value(shared::messages::OrderView::from(&bobs)).unwrap();
    app.check_out_as_seen(&bob, &seen, APPROVED)
        .await
        .assert(202, "");
    app.settle_payments().await;
    assert_eq!(app.order(&stranded[1].0).await.status(), OrderStatus::Paid);
}

#[tokio::test]
async fn the_local_queues_run_in_the_mode_the_template_declares() {
    // moto keeps both attributes; its deduplication stays per queue, which collides the same
    // ids for the shop's messages, whose deduplication ids are made from their group's
    // (`shared::sqs` says where moto still differs).
    let app = &TestApp::spawn().await;
    let template = xtask::template::Template::workspace().unwrap();
    for queue in template.queues().unwrap() {
        let answer = app
            .sqs
            .get_queue_attributes()
            .queue_url(app.queue(&queue.logical_id))
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let attributes = answer.attributes().unwrap();
        let attribute = |name| attributes.get(&name).map(String::as_str);
        assert_eq!(
            (
                attribute(QueueAttributeName::DeduplicationScope),
                attribute(QueueAttributeName::FifoThroughputLimit)
            ),
            (
                queue.deduplication_scope.as_deref(),
                queue.throughput_limit.as_deref()
            ),
            "{}",
            queue.logical_id
        );
    }
}
