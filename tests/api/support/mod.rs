//! The test harness: a fresh copy of each service's table per test, an IAM gate per test that
//! holds every function to its policy in `template.yaml` ([`functions`]), and requests built from
//! the sample events in `events/`, passed through the users authorizer the way API Gateway does.
//!
//! Tests need DynamoDB Local and moto; `scripts/test` starts them and sets the
//! `AWS_ENDPOINT_URL_*` variables.

pub(crate) mod dynamodb;
pub(crate) mod functions;
pub(crate) mod lambda;
pub(crate) mod mailbox;
pub(crate) mod outbox;
pub(crate) mod pdf;
mod requests;
pub(crate) mod search;

pub(crate) use outbox::stream_of;
pub(crate) use requests::{
    Reply, event, event_text, events_dir, from_address, with_body, with_json,
};
pub(crate) mod shop;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::http::{HeaderValue, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use orders::OrderStore;
use payments::card::CardVault;
use payments::{PaymentStore, SimulatedBank};
use products::ProductStore;
use receipts::store::ReceiptStore;
use serde_json::{Value, json};
use shared::auth::Role;
use shared::sqs::{FifoQueue, SqsBatchResponse, SqsEvent};
use shared::store::Table;
use tokio::net::TcpListener;
use users::domain::Username;
use users::handlers;
use users::{SigningKeys, TokenKeys, UserStore};
use xtask::deliver::{Delivery, Poller, Redelivery};
use xtask::iam::{FunctionClients, Gate};
use xtask::local::names::LocalNames;
use xtask::provision::{Operator, Overrides};
use xtask::template::Template;

pub(crate) const PASSWORD: &str = "correct horse battery";
pub(crate) const TOKEN_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// What CloudFront would add to the tests' requests (`x-shop-edge-key`).
pub(crate) const EDGE_KEY: &str = "1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// Every service, each against its own freshly created copy of its table, queues, bucket and
/// secret, behind an IAM gate of its own. The stores here are the operator's, for setting up and
/// inspecting; the functions themselves run as [`TestApp::function`]s.
pub(crate) struct TestApp {
    pub users: UserStore,
    pub products: ProductStore,
    pub orders: OrderStore,
    pub payments: PaymentStore,
    pub cards: CardVault,
    pub bank: SimulatedBank,
    pub receipts: ReceiptStore,
    /// To put messages on the queues as if their producer had.
    pub checkout_queue: FifoQueue,
    pub payment_results_queue: FifoQueue,
    /// The token keys as the functions read them, for tests that make their own tokens.
    pub keys: Arc<TokenKeys>,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// What the template's references mean for this test.
    pub names: LocalNames,
    sdk: shared::aws::SdkConfig,
    /// The IAM gate every function's calls go through.
    gate: SocketAddr,
    /// The Invoke API that runs `product-get` and `order-get` for the functions that invoke
    /// them.
    lambda_endpoint: String,
    /// Where each stream-triggered function is in its table's stream, by logical id.
    stream_cursors: tokio::sync::Mutex<HashMap<String, xtask::streams::Cursor>>,
    /// One warm `search-index`, kept across passes as Lambda keeps an instance.
    search_indexer: std::sync::OnceLock<::search::handlers::index::Indexer>,
}

/// The SDK configured from the environment `scripts/test` sets up.
pub(crate) async fn sdk_config() -> shared::aws::SdkConfig {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some(),
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run the integration tests through scripts/test, \
         which starts DynamoDB Local"
    );
    shared::aws::sdk_config().await
}

/// The name a test's IAM gate files its records under: the test's own, which libtest gives the
/// thread that runs it.
pub(crate) fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("an unnamed test")
        .to_owned()
}

/// The template's parameters tests give other values than the defaults: a deleted account is
/// erased at once, rather than after a minute (which only waits out requests in flight).
pub(crate) fn test_parameters() -> BTreeMap<String, String> {
    BTreeMap::from([("ErasureDelay".to_owned(), "0".to_owned())])
}

/// Where the storefront is, for the links the tests' e-mails carry.
pub(crate) const STOREFRONT_DOMAIN: &str = "shop.example.com";

impl TestApp {
    /// Creates every table, queue, bucket and secret the template declares, under names unique
    /// to this test, so tests run in parallel without seeing each other's data; and starts the
    /// test's IAM gate in front of them.
    pub(crate) async fn spawn() -> Self {
        Self::spawn_recording(true).await
    }

    /// [`TestApp::spawn`], for a test that causes refusals on purpose: its gate keeps no usage
    /// records, which must show none.
    pub(crate) async fn spawn_expecting_refusals() -> Self {
        Self::spawn_recording(false).await
    }

    async fn spawn_recording(record: bool) -> Self {
        let sdk = sdk_config().await;
        let operator = Operator::new(&sdk);
        let template = Template::workspace().unwrap();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let overrides = Overrides {
            secrets: BTreeMap::from([("TokenSecret".to_owned(), TOKEN_SECRET.to_owned())]),
            parameters: test_parameters(),
        };
        let mut names = xtask::provision::stack(
            &operator,
            &template,
            &format!("{}-", &unique[..12]),
            &overrides,
        )
        .await
        .unwrap();
        // Functions are known by their logical ids here (the Invoke API below runs them).
        for function in template.functions().unwrap() {
            names.add_function(&function.logical_id, &function.logical_id);
        }
        for distribution in template.distributions() {
            names.add_distribution(&distribution, STOREFRONT_DOMAIN);
        }
        let mut gate = Gate::new(&template, &names, &test_name()).unwrap();
        if !record {
            gate = gate.unrecorded();
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gate_address = listener.local_addr().unwrap();
        tokio::spawn(xtask::iam::proxy::serve(
            listener,
            gate.clone(),
            xtask::iam::proxy::upstreams_from_env(&[]),
        ));
        let table = |logical_id: &str, as_function: &str| {
            let clients = FunctionClients::new(&sdk, as_function, gate_address);
            (clients.dynamodb, names.refs[logical_id].clone())
        };
        let (client, products) = table("ProductsTable", "ProductGetFunction");
        let (orders_client, orders) = table("OrdersTable", "OrderGetFunction");
        let lambda_endpoint = lambda::start(lambda::Functions {
            products: ProductStore::new(client, products),
            orders: OrderStore::new(orders_client, orders),
            gate,
            names: names.clone(),
        })
        .await;
        let dynamodb = operator.dynamodb.clone();
        let sqs = operator.sqs.clone();
        let refs = &names.refs;
        Self {
            users: UserStore::new(dynamodb.clone(), &refs["UsersTable"]),
            products: ProductStore::new(dynamodb.clone(), &refs["ProductsTable"]),
            orders: OrderStore::new(dynamodb.clone(), &refs["OrdersTable"]),
            payments: PaymentStore::new(dynamodb.clone(), &refs["PaymentsTable"]),
            cards: CardVault::new(dynamodb.clone(), &refs["CardsTable"]),
            bank: SimulatedBank::new(Table::new(dynamodb.clone(), &refs["PaymentsTable"])),
            receipts: ReceiptStore::new(dynamodb.clone(), &refs["ReceiptsTable"]),
            checkout_queue: FifoQueue::new(sqs.clone(), &refs["CheckoutQueue"]),
            payment_results_queue: FifoQueue::new(sqs.clone(), &refs["PaymentResultsQueue"]),
            keys: SigningKeys::load(
                operator.secrets.clone(),
                &refs["TokenSecret"],
                TOKEN_TTL,
                true,
            )
            .await
            .unwrap()
            .signing()
            .await,
            dynamodb,
            sqs,
            names,
            sdk,
            gate: gate_address,
            lambda_endpoint: format!("http://{lambda_endpoint}"),
            stream_cursors: tokio::sync::Mutex::default(),
            search_indexer: std::sync::OnceLock::new(),
        }
    }

    /// This test's URL for the template's queue `logical_id`.
    pub(crate) fn queue(&self, logical_id: &str) -> &str {
        &self.names.refs[logical_id]
    }

    /// Delivers one batch from the checkout queue to the payments consumer.
    pub(crate) async fn run_payments(&self) -> Delivery {
        self.deliver("CheckoutQueue", |event| self.payment_charge(event))
            .await
    }

    /// Delivers one batch from the payment results queue to the orders consumer.
    pub(crate) async fn run_payment_results(&self) -> Delivery {
        self.deliver("PaymentResultsQueue", |event| self.order_settle(event))
            .await
    }

    /// Delivers one batch from the receipts queue to the receipts consumer.
    pub(crate) async fn run_receipts(&self) -> Delivery {
        self.deliver("ReceiptsQueue", |event| self.receipt_email(event))
            .await
    }

    /// Runs the payments pipeline until its queues are empty: the outbox to the checkout queue,
    /// checkout messages to payments, payment results to orders. Failed messages come back at once (see [`Redelivery`]).
    /// Receipt messages stay queued.
    pub(crate) async fn settle_payments(&self) {
        self.run_pipeline(false).await;
    }

    /// The whole pipeline after checkout, receipts included, until every queue is empty.
    pub(crate) async fn run_all_consumers(&self) {
        self.run_pipeline(true).await;
    }

    async fn run_pipeline(&self, with_receipts: bool) {
        for _ in 0..20 {
            let relayed = self.relay_outbox().await;
            let paid = self.run_payments().await;
            let settled = self.run_payment_results().await;
            let mailed = if with_receipts {
                self.run_receipts().await
            } else {
                Delivery::default()
            };
            if relayed.batches == 0
                && paid.delivered == 0
                && settled.delivered == 0
                && mailed.delivered == 0
            {
                return;
            }
        }
        panic!("the queues did not empty in 20 rounds");
    }

    /// One batch from the queue `logical_id` to `consumer`, as the template's trigger would
    /// deliver it (its batch size), with failed messages released at once.
    pub(crate) async fn deliver<F, Fut>(&self, logical_id: &str, consumer: F) -> Delivery
    where
        F: FnOnce(SqsEvent) -> Fut,
        Fut: std::future::Future<Output = SqsBatchResponse>,
    {
        let template = Template::workspace().unwrap();
        let (consumer_id, trigger) = template
            .functions()
            .unwrap()
            .into_iter()
            .find_map(|function| {
                let trigger = function
                    .queue_triggers
                    .iter()
                    .find(|trigger| trigger.queue == logical_id)?
                    .clone();
                Some((function.logical_id, trigger))
            })
            .unwrap_or_else(|| panic!("no function consumes {logical_id}"));
        // The event source mapping receives and deletes with the consumer's role.
        let role = self.function(&consumer_id);
        xtask::deliver::deliver_batch(
            Poller {
                role: role.sqs(),
                operator: &self.sqs,
                wait_seconds: 0,
            },
            self.queue(logical_id),
            i32::try_from(trigger.batch_size).unwrap(),
            Redelivery::Immediately,
            consumer,
        )
        .await
        .unwrap()
    }

    /// Every message waiting on the queue `logical_id`, received (and so hidden for the queue's
    /// visibility timeout).
    pub(crate) async fn drain(&self, logical_id: &str) -> Vec<aws_sdk_sqs::types::Message> {
        let mut messages = Vec::new();
        loop {
            let batch = self
                .sqs
                .receive_message()
                .queue_url(self.queue(logical_id))
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap()
                .messages
                .unwrap_or_default();
            if batch.is_empty() {
                return messages;
            }
            messages.extend(batch);
        }
    }

    /// This test's name for the template's table `logical_id`.
    pub(crate) fn table(&self, logical_id: &str) -> &str {
        &self.names.refs[logical_id]
    }

    /// The logical ids of every table.
    pub(crate) fn table_ids(&self) -> Vec<String> {
        Template::workspace()
            .unwrap()
            .tables()
            .unwrap()
            .into_iter()
            .map(|table| table.logical_id)
            .collect()
    }

    /// Deletes the table `logical_id`, as if its service's storage were gone.
    pub(crate) async fn drop_table(&self, logical_id: &str) {
        self.dynamodb
            .delete_table()
            .table_name(self.table(logical_id))
            .send()
            .await
            .unwrap();
    }

    /// A shop with the seed catalogue and `username`, who has ordered two mugs and a pen and
    /// checked out with `card`, its checkout message relayed to the checkout queue. Returns the
    /// order's id and the customer's token.
    pub(crate) async fn checked_out(&self, username: &str, card: &str) -> (String, String) {
        let token = self.given_session(username, Role::Customer).await;
        self.checked_out_as(token, card).await
    }

    /// [`Self::checked_out`], for the customer signed in with `token`.
    pub(crate) async fn checked_out_as(&self, token: String, card: &str) -> (String, String) {
        let basket = [("enamel-camp-mug", 2), ("brass-ballpoint-pen", 1)];
        self.checked_out_with(token, card, &basket).await
    }

    /// [`Self::checked_out_as`], with `basket`'s quantities of the seed catalogue's products.
    pub(crate) async fn checked_out_with(
        &self,
        token: String,
        card: &str,
        basket: &[(&str, u32)],
    ) -> (String, String) {
        xtask::seed::load(&self.products).await.unwrap();
        let mut order = Value::Null;
        for &(product, qty) in basket {
            let body = json!({ "product_id": product, "qty": qty });
            let request = self
                .authorized(with_json(event("order-add-item"), &body), Some(&token))
                .await;
            let added = self.add_item(request).await;
            added.assert(200, "");
            order = added.body;
        }
        let card = json!({
            "card_number": card, "expiry_month": 12, "expiry_year": 2030, "holder": "Ada Lovelace",
        });
        let request = self
            .authorized(with_json(event("payment-card"), &card), Some(&token))
            .await;
        let held = self.payment_card(request).await;
        held.assert(201, "");
        let body = json!({
            "order_id": order["id"], "version": order["version"],
            "card_token": held.body["card_token"],
        });
        let request = self
            .authorized(with_json(event("order-checkout"), &body), Some(&token))
            .await;
        let reply = self.checkout(request).await;
        reply.assert(202, "");
        let relayed = self.relay_outbox().await;
        assert_eq!(relayed.failed, 0, "the relay failed: {relayed:?}");
        (reply.body["id"].as_str().unwrap().to_owned(), token)
    }

    /// Registers `username` with [`PASSWORD`]; their address is not confirmed yet.
    pub(crate) async fn given_unverified_user(&self, username: &str) {
        let body = json!({
            "username": username,
            "password": PASSWORD,
            "email": format!("{username}@example.com"),
            "first_name": "Test",
            "last_name": "User",
        });
        self.register(with_json(event("user-create"), &body))
            .await
            .assert(201, "");
    }

    /// Registers `username` (see [`Self::given_unverified_user`]), with their address confirmed,
    /// as most customers' is: receipts are e-mailed to them.
    pub(crate) async fn given_user(&self, username: &str) {
        self.given_unverified_user(username).await;
        assert!(
            self.users
                .vouch_for_email(&username.parse().unwrap())
                .await
                .unwrap()
        );
    }

    /// Logs `username` in with [`PASSWORD`] and returns the token.
    pub(crate) async fn token_for(&self, username: &str) -> String {
        self.token_for_password(username, PASSWORD).await
    }

    /// Logs `username` in with `password` and returns the token.
    pub(crate) async fn token_for_password(&self, username: &str, password: &str) -> String {
        let body = json!({ "username": username, "password": password });
        let reply = self.login(with_json(event("user-login"), &body)).await;
        reply.assert(200, "");
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// Registers and logs in `username`; an admin if `role` says so.
    pub(crate) async fn given_session(&self, username: &str, role: Role) -> String {
        self.given_user(username).await;
        if role == Role::Admin {
            let username = Username::parse(username).unwrap();
            assert!(self.users.set_role(&username, role).await.unwrap());
        }
        self.token_for(username).await
    }

    /// What API Gateway does before a protected function: runs the users authorizer on the
    /// request's `Authorization` header (`token`, or none) and hands the function its context.
    pub(crate) async fn authorized(&self, request: Request, token: Option<&str>) -> Request {
        let mut auth_event: ApiGatewayV2CustomAuthorizerV2Request =
            serde_json::from_str(&event_text("user-authorizer")).unwrap();
        auth_event.headers.remove(header::AUTHORIZATION);
        let (mut parts, body) = request.into_parts();
        parts.headers.remove(header::AUTHORIZATION);
        if let Some(token) = token {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
            auth_event
                .headers
                .insert(header::AUTHORIZATION, value.clone());
            parts.headers.insert(header::AUTHORIZATION, value);
        }
        let authorizer = self.function("UserAuthorizerFunction");
        let keys = authorizer.signing_keys().await;
        let verdict = handlers::authorizer::handle(&authorizer.users(), &keys, auth_event).await;
        assert!(
            verdict.is_authorized,
            "the authorizer lets every request through"
        );
        let request = Request::from_parts(parts, body);
        let Some(RequestContext::ApiGatewayV2(mut context)) =
            request.request_context_ref().cloned()
        else {
            panic!("not an HTTP API request");
        };
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.fields = match serde_json::to_value(&verdict.context).unwrap() {
            Value::Object(fields) => fields.into_iter().collect(),
            other => panic!("authorizer context is not an object: {other}"),
        };
        context.authorizer = Some(authorizer);
        request.with_request_context(RequestContext::ApiGatewayV2(context))
    }
}
