//! Stream triggers in tests ([`TestApp::deliver_stream`]), and the orders outbox: `order-relay`
//! run over the orders table's stream, as its trigger in `template.yaml` delivers it (in order,
//! filtered, failed records again, given up on after the trigger's retries), with the function's
//! own role.

use std::future::Future;

use aws_config::retry::RetryConfig;
use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use orders::OrderStore;
use orders::handlers::relay::{self, Destinations};
use shared::sqs::FifoQueue;
use xtask::iam::FunctionClients;
use xtask::streams::{Pass, StreamsApi, deliver_once};
use xtask::template::Template;

use super::TestApp;

impl TestApp {
    /// One pass of the orders table's stream through the outbox relay.
    pub(crate) async fn relay_outbox(&self) -> Pass {
        self.relay_outbox_with(|event| async { Some(self.order_relay(event).await) })
            .await
    }

    /// One pass of the orders table's stream to `relay`, standing in for `order-relay` (to make
    /// it fail, crash or see records twice): its answer, or `None` for a function that failed
    /// outright (a crash, a timeout), whose whole batch Lambda gives again.
    pub(crate) async fn relay_outbox_with<F, Fut>(&self, relay: F) -> Pass
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = Option<DynamoDbEventResponse>>,
    {
        self.deliver_stream("OrderRelayFunction", relay).await
    }

    /// One pass of the stream that triggers the template's function `logical_id`, to `consumer`
    /// standing in for it, as its trigger delivers it (in order, filtered, failed records again,
    /// given up on after the trigger's retries, told to its on-failure queue with the function's
    /// role). `consumer` answers as the function would, or `None` for a crash or a timeout.
    pub(crate) async fn deliver_stream<F, Fut>(&self, logical_id: &str, consumer: F) -> Pass
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = Option<DynamoDbEventResponse>>,
    {
        let function = Template::workspace()
            .unwrap()
            .functions()
            .unwrap()
            .into_iter()
            .find(|function| function.logical_id == logical_id)
            .unwrap_or_else(|| panic!("template.yaml declares no {logical_id}"));
        let trigger = function.stream_triggers[0].clone();
        let stream_arn = super::stream_of(&self.dynamodb, self.table(&trigger.table)).await;
        let api = StreamsApi::at(&std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap()).unwrap();
        let role = self.function(&function.logical_id);
        let on_failure = trigger.on_failure.as_ref().map(|queue| self.queue(queue));
        let mut cursors = self.stream_cursors.lock().await;
        let cursor = cursors.entry(logical_id.to_owned()).or_default();
        deliver_once(
            api,
            &stream_arn,
            &trigger,
            cursor,
            |event| {
                let consumer = &consumer;
                async move {
                    let event = serde_json::from_value(event).expect("a DynamoDB stream event");
                    consumer(event)
                        .await
                        .map(|answer| serde_json::to_value(answer).unwrap())
                }
            },
            |metadata| {
                let (role, on_failure) = (&role, on_failure);
                async move {
                    let queue = on_failure.expect("the trigger has an on-failure destination");
                    role.sqs()
                        .send_message()
                        .queue_url(queue)
                        .message_body(metadata.to_string())
                        .send()
                        .await
                        .unwrap();
                }
            },
        )
        .await
        .unwrap()
    }

    /// One pass of the orders table's stream through the real relay while `outage` cannot be
    /// reached (its calls fail at once: nothing listens where they go).
    pub(crate) async fn relay_outbox_during(&self, outage: Outage) -> Pass {
        let relay = self.function("OrderRelayFunction");
        let cut_off = self.cut_off("OrderRelayFunction");
        let (store, checkout) = match outage {
            Outage::CheckoutQueue => (
                relay.orders(),
                FifoQueue::new(cut_off.sqs, self.queue("CheckoutQueue")),
            ),
            Outage::OrdersTable => (
                OrderStore::new(cut_off.dynamodb, self.table("OrdersTable")),
                relay.queue("CheckoutQueue"),
            ),
        };
        let destinations = Destinations {
            checkout,
            ..relay.relay_destinations()
        };
        self.relay_outbox_with(|event| async {
            Some(relay::handle(&store, &destinations, event).await)
        })
        .await
    }

    /// The clients of the function `logical_id`, calling an address where nothing listens
    /// (every call fails at once, unretried): an outage of whatever they are used for.
    pub(crate) fn cut_off(&self, logical_id: &str) -> FunctionClients {
        let nowhere = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let sdk = self
            .sdk
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        FunctionClients::new(&sdk, logical_id, nowhere)
    }

    /// Ages the orders table's stream records by `seconds` for the relay's trigger, as if that
    /// long had passed.
    pub(crate) async fn let_stream_time_pass(&self, seconds: i64) {
        self.let_time_pass_for("OrderRelayFunction", seconds).await;
    }

    /// Ages the stream records `logical_id`'s trigger delivers by `seconds`.
    pub(crate) async fn let_time_pass_for(&self, logical_id: &str, seconds: i64) {
        self.stream_cursors
            .lock()
            .await
            .entry(logical_id.to_owned())
            .or_default()
            .let_time_pass(seconds);
    }

    /// The checkout messages the outbox holds, relayed, and taken off the checkout queue.
    pub(crate) async fn checkout_messages(&self) -> Vec<aws_sdk_sqs::types::Message> {
        let pass = self.relay_outbox().await;
        assert_eq!(pass.failed, 0, "the relay failed: {pass:?}");
        self.drain("CheckoutQueue").await
    }
}

/// The ARN of the stream of the table `name`.
pub(crate) async fn stream_of(dynamodb: &aws_sdk_dynamodb::Client, name: &str) -> String {
    dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table
        .and_then(|table| table.latest_stream_arn)
        .expect("the table has a stream")
}

/// What the relay cannot reach, in [`TestApp::relay_outbox_during`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outage {
    /// Its sends fail.
    CheckoutQueue,
    /// It sends, then cannot delete the item it sent.
    OrdersTable,
}
