//! Every function's handler, run in-process as that function: with the stores and clients its
//! `main` builds, calling AWS with its own credentials through the test's IAM gate, so a call its
//! policy in `template.yaml` does not allow fails here as it would on AWS.

use lambda_http::{Body, Request, Response};
use orders::{Catalog, OrderStore};
use payments::card::CardVault;
use payments::{PaymentStore, SimulatedBank};
use products::ProductStore;
use receipts::archive::Archive;
use receipts::store::ReceiptStore;
use reports::ReportStore;
use shared::invoke::HttpFunction;
use shared::mail::Mailer;
use shared::sqs::{FifoQueue, SqsBatchResponse, SqsEvent};
use shared::store::Table;
use users::handlers;
use users::pseudonym::PseudonymKey;
use users::{SigningKeys, UserStore};
use xtask::iam::FunctionClients;

use super::{Reply, TOKEN_TTL, TestApp};

/// One function's view of the shop.
pub(crate) struct AsFunction<'a> {
    app: &'a TestApp,
    clients: FunctionClients,
}

impl std::fmt::Debug for AsFunction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AsFunction")
            .field(&self.clients.logical_id)
            .finish()
    }
}

impl AsFunction<'_> {
    fn table(&self, logical_id: &str) -> (aws_sdk_dynamodb::Client, String) {
        (
            self.clients.dynamodb.clone(),
            self.app.table(logical_id).to_owned(),
        )
    }

    pub(crate) fn users(&self) -> UserStore {
        let (client, name) = self.table("UsersTable");
        UserStore::new(client, name)
    }

    pub(crate) fn products(&self) -> ProductStore {
        let (client, name) = self.table("ProductsTable");
        ProductStore::new(client, name)
    }

    pub(crate) fn orders(&self) -> OrderStore {
        let (client, name) = self.table("OrdersTable");
        OrderStore::new(client, name)
    }

    pub(crate) fn payments(&self) -> PaymentStore {
        let (client, name) = self.table("PaymentsTable");
        PaymentStore::new(client, name)
    }

    pub(crate) fn cards(&self) -> CardVault {
        let (client, name) = self.table("CardsTable");
        CardVault::new(client, name)
    }

    pub(crate) fn bank(&self) -> SimulatedBank {
        let (client, name) = self.table("PaymentsTable");
        SimulatedBank::new(Table::new(client, name))
    }

    pub(crate) fn receipts(&self) -> ReceiptStore {
        let (client, name) = self.table("ReceiptsTable");
        ReceiptStore::new(client, name)
    }

    pub(crate) fn archive(&self) -> Archive {
        Archive::new(
            self.clients.s3.clone(),
            self.app.names.refs["ReceiptsBucket"].clone(),
        )
    }

    pub(crate) fn mailer(&self) -> Mailer {
        Mailer::new(
            self.clients.ses.clone(),
            self.app.names.refs["SenderEmail"].clone(),
        )
    }

    /// The queues the orders outbox's relay sends to, as its `main` builds them.
    pub(crate) fn relay_destinations(&self) -> orders::handlers::relay::Destinations {
        orders::handlers::relay::Destinations {
            checkout: self.queue("CheckoutQueue"),
            receipt_erasure: self.queue("ReceiptErasureQueue"),
            reports: self.queue("ReportsQueue"),
        }
    }

    pub(crate) fn reports(&self) -> ReportStore {
        let (client, name) = self.table("ReportsTable");
        ReportStore::new(client, name)
    }

    /// The template's queue `logical_id`, to send to.
    pub(crate) fn queue(&self, logical_id: &str) -> FifoQueue {
        FifoQueue::new(self.clients.sqs.clone(), self.app.queue(logical_id))
    }

    /// The function `logical_id`, to invoke.
    pub(crate) fn function(&self, logical_id: &str) -> HttpFunction {
        HttpFunction::new(self.lambda(), self.app.names.refs[logical_id].clone())
    }

    /// Its Lambda client, at the test's Invoke API.
    pub(crate) fn lambda(&self) -> aws_sdk_lambda::Client {
        self.clients.lambda(&self.app.lambda_endpoint)
    }

    /// Its AWS clients, to make calls its handlers would not.
    pub(crate) fn clients(&self) -> &FunctionClients {
        &self.clients
    }

    pub(crate) fn sqs(&self) -> &aws_sdk_sqs::Client {
        &self.clients.sqs
    }

    /// The pseudonyms' key, read from the test's secret as the function's `main` reads it.
    pub(crate) async fn pseudonym_key(&self) -> PseudonymKey {
        let secret = &self.app.names.refs["PseudonymKeySecret"];
        PseudonymKey::load(&self.clients.secrets, secret)
            .await
            .unwrap()
    }

    /// The token signing keys, read from the test's secret as the function's `main` reads them
    /// (the authorizer with the previous version too).
    pub(crate) async fn signing_keys(&self) -> SigningKeys {
        SigningKeys::load(
            self.clients.secrets.clone(),
            self.app.names.refs["TokenSecret"].clone(),
            TOKEN_TTL,
            self.clients.logical_id == "UserAuthorizerFunction",
        )
        .await
        .unwrap()
    }
}

fn reply(response: Result<Response<Body>, shared::http::ApiError>) -> Reply {
    Reply::from(shared::http::respond(response))
}

impl TestApp {
    /// The function `logical_id` of the template, as it sees the shop.
    pub(crate) fn function(&self, logical_id: &str) -> AsFunction<'_> {
        assert!(
            self.names.refs.contains_key(logical_id),
            "template.yaml declares no function {logical_id}"
        );
        self.signed_by(logical_id)
    }

    /// Whoever signs with the access key id `key`, function or not.
    pub(crate) fn signed_by(&self, key: &str) -> AsFunction<'_> {
        AsFunction {
            app: self,
            clients: FunctionClients::new(&self.sdk, key, self.gate),
        }
    }

    pub(crate) async fn register(&self, request: Request) -> Reply {
        let f = self.function("UserCreateFunction");
        let tombstones = f.pseudonym_key().await;
        reply(handlers::create::handle(&f.users(), &tombstones, request).await)
    }

    pub(crate) async fn login(&self, request: Request) -> Reply {
        let f = self.function("UserLoginFunction");
        let keys = f.signing_keys().await;
        let edge = users::throttle::EdgeKey::new(super::EDGE_KEY);
        reply(handlers::login::handle(&f.users(), &keys, &edge, request).await)
    }

    pub(crate) async fn logout(&self, request: Request) -> Reply {
        let f = self.function("UserLogoutFunction");
        reply(handlers::logout::handle(&f.users(), request).await)
    }

    pub(crate) async fn logout_everywhere(&self, request: Request) -> Reply {
        let f = self.function("UserLogoutEverywhereFunction");
        reply(handlers::logout_everywhere::handle(&f.users(), request).await)
    }

    pub(crate) async fn change_password(&self, request: Request) -> Reply {
        let f = self.function("UserPasswordChangeFunction");
        let keys = f.signing_keys().await;
        let edge = users::throttle::EdgeKey::new(super::EDGE_KEY);
        reply(handlers::password_change::handle(&f.users(), &keys, &edge, request).await)
    }

    pub(crate) async fn change_email(&self, request: Request) -> Reply {
        let f = self.function("UserEmailChangeFunction");
        let edge = users::throttle::EdgeKey::new(super::EDGE_KEY);
        reply(handlers::email_change::handle(&f.users(), &edge, request).await)
    }

    pub(crate) async fn delete_account(&self, request: Request) -> Reply {
        let f = self.function("UserDeleteFunction");
        let edge = users::throttle::EdgeKey::new(super::EDGE_KEY);
        let tombstones = f.pseudonym_key().await;
        reply(handlers::delete::handle(&f.users(), &edge, &tombstones, request).await)
    }

    /// The users service's eraser on `event`.
    pub(crate) async fn user_erase(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("UserEraseFunction");
        handlers::erase::handle(&f.users(), event).await
    }

    pub(crate) async fn confirm_email_change(&self, request: Request) -> Reply {
        let f = self.function("UserEmailConfirmFunction");
        reply(handlers::email_confirm::handle(&f.users(), request).await)
    }

    pub(crate) async fn refresh(&self, request: Request) -> Reply {
        let f = self.function("UserSessionRefreshFunction");
        let keys = f.signing_keys().await;
        reply(handlers::session_refresh::handle(&f.users(), &keys, request).await)
    }

    pub(crate) async fn exists(&self, request: Request) -> Reply {
        let f = self.function("UserExistsFunction");
        let tombstones = f.pseudonym_key().await;
        reply(handlers::exists::handle(&f.users(), &tombstones, request).await)
    }

    pub(crate) async fn current(&self, request: Request) -> Reply {
        let f = self.function("UserCurrentFunction");
        reply(handlers::current::handle(&f.users(), request).await)
    }

    pub(crate) async fn list(&self, request: Request) -> Reply {
        let f = self.function("UserListFunction");
        reply(handlers::list::handle(&f.users(), request).await)
    }

    pub(crate) async fn add_item(&self, request: Request) -> Reply {
        let f = self.function("OrderAddItemFunction");
        // As deployed, in a new instance each time: it remembers no product yet.
        let catalog =
            Catalog::new(f.function("ProductGetFunction")).remembering(orders::catalog::REMEMBERED);
        reply(orders::handlers::add_item::handle(&f.orders(), &catalog, request).await)
    }

    pub(crate) async fn update_item(&self, request: Request) -> Reply {
        let f = self.function("OrderUpdateItemFunction");
        reply(orders::handlers::update_item::handle(&f.orders(), request).await)
    }

    pub(crate) async fn order_current(&self, request: Request) -> Reply {
        let f = self.function("OrderCurrentFunction");
        reply(orders::handlers::current::handle(&f.orders(), request).await)
    }

    pub(crate) async fn order_get(&self, request: Request) -> Reply {
        let f = self.function("OrderGetFunction");
        reply(orders::handlers::get::handle(&f.orders(), request).await)
    }

    pub(crate) async fn order_list(&self, request: Request) -> Reply {
        let f = self.function("OrderListFunction");
        reply(orders::handlers::list::handle(&f.orders(), request).await)
    }

    pub(crate) async fn checkout(&self, request: Request) -> Reply {
        let f = self.function("OrderCheckoutFunction");
        let catalog = Catalog::new(f.function("ProductGetFunction"));
        reply(orders::handlers::checkout::handle(&f.orders(), &catalog, request).await)
    }

    /// The outbox relay on `event`, a batch of the orders table's stream.
    pub(crate) async fn order_relay(
        &self,
        event: aws_lambda_events::dynamodb::Event,
    ) -> aws_lambda_events::streams::DynamoDbEventResponse {
        let f = self.function("OrderRelayFunction");
        orders::handlers::relay::handle(&f.orders(), &f.relay_destinations(), event).await
    }

    pub(crate) async fn product_list(&self, request: Request) -> Reply {
        let f = self.function("ProductListFunction");
        reply(products::handlers::list::handle(&f.products(), request).await)
    }

    pub(crate) async fn product_get(&self, request: Request) -> Reply {
        let f = self.function("ProductGetFunction");
        reply(products::handlers::get::handle(&f.products(), request).await)
    }

    pub(crate) async fn product_create(&self, request: Request) -> Reply {
        let f = self.function("ProductCreateFunction");
        reply(products::handlers::create::handle(&f.products(), request).await)
    }

    pub(crate) async fn product_update(&self, request: Request) -> Reply {
        let f = self.function("ProductUpdateFunction");
        reply(products::handlers::update::handle(&f.products(), request).await)
    }

    pub(crate) async fn product_retire(&self, request: Request) -> Reply {
        let f = self.function("ProductRetireFunction");
        reply(products::handlers::retire::handle(&f.products(), request).await)
    }

    pub(crate) async fn product_categories(&self, request: Request) -> Reply {
        let f = self.function("ProductCategoriesFunction");
        reply(products::handlers::categories::handle(&f.products(), request).await)
    }

    /// `GET /api/order/{id}/receipt`, as the client gets it (a PDF, or a JSON error).
    pub(crate) async fn receipt(&self, request: Request) -> Response<Body> {
        let f = self.function("ReceiptGetFunction");
        let order_get = f.function("OrderGetFunction");
        shared::http::respond(
            receipts::handlers::get::handle(&order_get, &f.archive(), request).await,
        )
    }

    /// The payments consumer's handler on `event`.
    pub(crate) async fn payment_card(&self, request: Request) -> Reply {
        let f = self.function("PaymentCardFunction");
        reply(payments::handlers::card::handle(&f.cards(), request).await)
    }

    pub(crate) async fn payment_charge(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("PaymentChargeFunction");
        let results = f.queue("PaymentResultsQueue");
        payments::handlers::charge::handle(&f.payments(), &f.cards(), &f.bank(), &results, event)
            .await
    }

    /// The orders service's payment results consumer on `event`.
    pub(crate) async fn order_settle(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("OrderSettleFunction");
        let receipts = f.queue("ReceiptsQueue");
        orders::handlers::settle::handle(&f.orders(), &receipts, event).await
    }

    pub(crate) async fn verify(&self, request: Request) -> Reply {
        let f = self.function("UserVerifyFunction");
        reply(handlers::verify::handle(&f.users(), request).await)
    }

    pub(crate) async fn verify_resend(&self, request: Request) -> Reply {
        let f = self.function("UserVerifyResendFunction");
        reply(handlers::verify_resend::handle(&f.users(), request).await)
    }

    /// The users outbox's relay on `event`, a batch of the users table's stream.
    pub(crate) async fn user_relay(
        &self,
        event: aws_lambda_events::dynamodb::Event,
    ) -> aws_lambda_events::streams::DynamoDbEventResponse {
        let f = self.function("UserRelayFunction");
        let destinations = handlers::relay::Destinations {
            verification_email: f.queue("VerificationEmailQueue"),
            password_reset_email: f.queue("PasswordResetEmailQueue"),
            notice_email: f.queue("NoticeEmailQueue"),
            user_erasure: f.queue("UserErasureQueue"),
            order_erasure: f.queue("OrderErasureQueue"),
            payment_erasure: f.queue("PaymentErasureQueue"),
        };
        handlers::relay::handle(&f.users(), &destinations, event).await
    }

    pub(crate) async fn password_reset(&self, request: Request) -> Reply {
        let f = self.function("UserPasswordResetFunction");
        let edge = users::throttle::EdgeKey::new(super::EDGE_KEY);
        reply(handlers::password_reset::handle(&f.users(), &edge, request).await)
    }

    pub(crate) async fn password_reset_confirm(&self, request: Request) -> Reply {
        let f = self.function("UserPasswordResetConfirmFunction");
        reply(handlers::password_reset_confirm::handle(&f.users(), request).await)
    }

    /// The verification e-mails' sender on `event`.
    pub(crate) async fn verification_email(&self, event: SqsEvent) -> SqsBatchResponse {
        self.user_mail("UserVerificationEmailFunction", event, false)
            .await
    }

    /// The password reset e-mails' sender on `event`.
    pub(crate) async fn password_reset_email(&self, event: SqsEvent) -> SqsBatchResponse {
        self.user_mail("UserPasswordResetEmailFunction", event, false)
            .await
    }

    /// The account notices' sender on `event`.
    pub(crate) async fn notice_email(&self, event: SqsEvent) -> SqsBatchResponse {
        self.user_mail("UserNoticeEmailFunction", event, false)
            .await
    }

    /// The users service's e-mail sender `logical_id` on `event`; with `ses_down`, SES does not
    /// answer it.
    pub(crate) async fn user_mail(
        &self,
        logical_id: &str,
        event: SqsEvent,
        ses_down: bool,
    ) -> SqsBatchResponse {
        let f = self.function(logical_id);
        let mailer = if ses_down {
            Mailer::new(
                self.cut_off(logical_id).ses,
                self.names.refs["SenderEmail"].clone(),
            )
        } else {
            f.mailer()
        };
        let sender = users::email::Sender {
            store: f.users(),
            mailer,
            storefront: users::email::Storefront::new(
                &self.names.domains["StorefrontDistribution"],
            ),
            pseudonyms: f.pseudonym_key().await,
        };
        match logical_id {
            "UserVerificationEmailFunction" => {
                handlers::verification_email::handle(&sender, event).await
            }
            "UserPasswordResetEmailFunction" => {
                handlers::password_reset_email::handle(&sender, event).await
            }
            "UserNoticeEmailFunction" => handlers::notice_email::handle(&sender, event).await,
            other => panic!("{other} sends no user e-mail"),
        }
    }

    /// The orders service's eraser on `event`.
    pub(crate) async fn order_erase(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("OrderEraseFunction");
        orders::handlers::erase::handle(&f.orders(), event).await
    }

    /// The payments service's eraser on `event`.
    pub(crate) async fn payment_erase(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("PaymentEraseFunction");
        payments::handlers::erase::handle(&f.cards(), event).await
    }

    /// The receipts service's eraser on `event`.
    pub(crate) async fn receipt_erase(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("ReceiptEraseFunction");
        receipts::handlers::erase::handle(&f.receipts(), &f.archive(), event).await
    }

    /// The reports service's consumer of the orders service's events.
    pub(crate) async fn report_record(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("ReportRecordFunction");
        reports::handlers::record::handle(&f.reports(), event).await
    }

    /// `GET /api/reports/sales`, as the client gets it (JSON, CSV, or a JSON error).
    pub(crate) async fn sales_report(&self, request: Request) -> Response<Body> {
        let f = self.function("ReportSalesFunction");
        shared::http::respond(reports::handlers::sales::handle(&f.reports(), request).await)
    }

    /// The receipts consumer on `event`.
    pub(crate) async fn receipt_email(&self, event: SqsEvent) -> SqsBatchResponse {
        let f = self.function("ReceiptEmailFunction");
        receipts::handlers::email::handle(&f.receipts(), &f.archive(), &f.mailer(), event).await
    }
}
