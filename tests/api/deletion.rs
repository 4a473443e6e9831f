//! Deleting an account: the current password required, the account gone at once with every
//! token, its username kept from others by a tombstone for a while, and what else the users
//! table held of it (sessions, links, counts) erased from its queue, however often the message
//! arrives, against DynamoDB Local and moto.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::RequestExt;
use serde_json::json;
use shared::auth::Role;
use shared::sqs::SqsEvent;

use crate::refresh::{clears_the_cookie, set_token};
use crate::support::{PASSWORD, Reply, TestApp, event, with_json};

impl TestApp {
    /// `DELETE /api/user` with `token` and `password`.
    async fn delete_account_with(&self, token: &str, password: &str) -> Reply {
        let body = json!({ "current_password": password });
        let request = with_json(event("user-delete"), &body);
        self.delete_account(self.authorized(request, Some(token)).await)
            .await
    }

    /// Every item of the users table, as text.
    async fn users_table(&self) -> Vec<String> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(self.table("UsersTable"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            items.extend(page.items().iter().map(|item| format!("{item:?}")));
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    async fn register_as(&self, username: &str, email: &str) -> Reply {
        let body = json!({
            "username": username,
            "password": PASSWORD,
            "email": email,
            "first_name": "Someone",
            "last_name": "Else",
        });
        self.register(with_json(event("user-create"), &body)).await
    }

    async fn username_exists(&self, username: &str) -> Reply {
        let request =
            event("user-exists").with_path_parameters(std::collections::HashMap::from([(
                "username".to_owned(),
                username.to_owned(),
            )]));
        self.exists(request).await
    }
}

#[tokio::test]
async fn a_deleted_account_is_gone_with_its_tokens_and_everything_that_named_it() {
    let app = TestApp::spawn().await;
    app.given_user("leaving_lin").await;
    // Everything the users table keeps of a person: sessions (one with a refresh cookie), a
    // failed log-in's counts, a reset link and its claim, a change of address asked for (its
    // link, and the counts of e-mails to each address).
    let login = app
        .login(with_json(
            event("user-login"),
            &json!({ "username": "leaving_lin", "password": PASSWORD }),
        ))
        .await;
    login.assert(200, "");
    let session = login.body["token"].as_str().unwrap().to_owned();
    let cookie = set_token(&login).unwrap();
    let elsewhere = app.token_for("leaving_lin").await;
    app.login(with_json(
        event("user-login"),
        &json!({ "username": "leaving_lin", "password": "not the password" }),
    ))
    .await
    .assert(401, "invalid_credentials");
    app.ask_reset("leaving_lin").await.assert(202, "");
    app.change_email_with(&session, "lin.elsewhere@example.org", PASSWORD)
        .await
        .assert(202, "");
    app.send_user_email().await;
    let named = |items: &[String]| -> Vec<String> {
        items
            .iter()
            .filter(|item| {
                ["leaving_lin", "lin.elsewhere@example.org"]
                    .iter()
                    .any(|secret| item.contains(secret))
            })
            .cloned()
            .collect()
    };
    let before = named(&app.users_table().await);
    for kind in ["USER#", "SESSION#", "THROTTLE#", "RESET#", "CHANGE#"] {
        assert!(
            before.iter().any(|item| item.contains(kind)),
            "no {kind} item to erase: {before:#?}"
        );
    }

    // A wrong password, or no password, deletes nothing.
    app.delete_account_with(&session, "not the password")
        .await
        .assert(400, "validation_failed");
    let request = with_json(event("user-delete"), &json!({}));
    app.delete_account(app.authorized(request, Some(&session)).await)
        .await
        .assert(400, "invalid_body");
    app.delete_account(app.authorized(event("user-delete"), None).await)
        .await
        .assert(401, "unauthorized");
    app.token_for("leaving_lin").await;

    let deleted = app.delete_account_with(&session, PASSWORD).await;
    deleted.assert(204, "");
    assert!(
        clears_the_cookie(&deleted),
        "this browser's refresh cookie goes"
    );
    // Every token of the account stops working at once, and so does its refresh cookie.
    for token in [&session, &elsewhere] {
        app.current(app.authorized(event("user-current"), Some(token)).await)
            .await
            .assert(401, "unauthorized");
    }
    app.refresh_with(&cookie).await.assert(401, "unauthorized");
    app.login(with_json(
        event("user-login"),
        &json!({ "username": "leaving_lin", "password": PASSWORD }),
    ))
    .await
    .assert(401, "invalid_credentials");

    // The queue erases the rest: nothing left names the person or either address. What stays,
    // the tombstone and the day's counts of e-mails to each address (which other accounts of
    // the address share, so that deleting an account cannot reset them), is keyed by
    // pseudonyms.
    app.send_user_email().await;
    let after = app.users_table().await;
    assert!(named(&after).is_empty(), "{:#?}", named(&after));
    assert!(after.iter().any(|item| item.contains("S(\"ASKED#MAIL-TO#")));
    assert_eq!(
        after
            .iter()
            .filter(|item| item.contains("TOMBSTONE#"))
            .count(),
        1
    );
    assert_eq!(app.drain("UserErasureDeadLetterQueue").await.len(), 0);

    // The name stays taken, for the registration form too, until the tombstone lapses.
    app.username_exists("leaving_lin").await.assert(200, "");
    app.register_as("leaving_lin", "impostor@example.com")
        .await
        .assert(409, "username_taken");
    app.register_as("LEAVING_LIN", "impostor@example.com")
        .await
        .assert(409, "username_taken");
    app.lapse_tombstones().await;
    app.username_exists("leaving_lin")
        .await
        .assert(404, "user_not_found");
    app.register_as("leaving_lin", "newcomer@example.com")
        .await
        .assert(201, "");
    // The newcomer inherits nothing: the old tokens still open nothing.
    app.current(
        app.authorized(event("user-current"), Some(&elsewhere))
            .await,
    )
    .await
    .assert(401, "unauthorized");
}

impl TestApp {
    /// Moves every tombstone's end into the past, as if its 90 days were over (DynamoDB's TTL
    /// has not deleted it yet: it may take days).
    async fn lapse_tombstones(&self) {
        let items = self
            .dynamodb
            .scan()
            .table_name(self.table("UsersTable"))
            .filter_expression("begins_with(pk, :tombstone)")
            .expression_attribute_values(":tombstone", AttributeValue::S("TOMBSTONE#".into()))
            .send()
            .await
            .unwrap();
        let past = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
        for item in items.items() {
            self.dynamodb
                .update_item()
                .table_name(self.table("UsersTable"))
                .key("pk", item["pk"].clone())
                .update_expression("SET expires_at = :past")
                .expression_attribute_values(":past", AttributeValue::N(past.to_string()))
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn an_account_is_deleted_once_and_an_administrator_is_not_deleted_from_the_shop() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace_stays", Role::Admin).await;
    app.delete_account_with(&admin, PASSWORD)
        .await
        .assert(403, "forbidden");
    app.current(app.authorized(event("user-current"), Some(&admin)).await)
        .await
        .assert(200, "");

    // Two deletions at once (two tabs): one deletes, the other finds the account gone.
    app.given_user("twice_tom").await;
    let token = app.token_for("twice_tom").await;
    let (first, second) = tokio::join!(
        app.delete_account_with(&token, PASSWORD),
        app.delete_account_with(&token, PASSWORD)
    );
    let statuses = [first.status, second.status];
    assert_eq!(
        statuses
            .iter()
            .filter(|status| status.as_u16() == 204)
            .count(),
        1,
        "{statuses:?}: {} {}",
        first.body,
        second.body
    );
    app.send_user_email().await;
    let tombstones = app
        .users_table()
        .await
        .into_iter()
        .filter(|item| item.contains("TOMBSTONE#"))
        .count();
    assert_eq!(tombstones, 1);
}

#[tokio::test]
async fn the_sample_erasure_event_erases_once_however_often_it_arrives() {
    let app = TestApp::spawn().await;
    // The account the sample names, at the address it names.
    app.register_as("ada_lovelace", "ada@example.com")
        .await
        .assert(201, "");
    let token = app.token_for("ada_lovelace").await;
    app.ask_reset("ada_lovelace").await.assert(202, "");
    app.send_user_email().await;
    let sample: SqsEvent = serde_json::from_str(&crate::support::event_text("user-erase")).unwrap();
    // The message says the account was deleted; its sessions, links and counts go, twice over
    // without a failure. (Its user stays: deleting it is the route's work, not the eraser's.)
    for _ in 0..2 {
        let response = app.user_erase(sample.clone()).await;
        assert!(response.batch_item_failures.is_empty());
        let left: Vec<String> = app
            .users_table()
            .await
            .into_iter()
            .filter(|item| item.contains("ada_lovelace") || item.contains("ada@example.com"))
            .collect();
        assert_eq!(left.len(), 1, "{left:#?}");
        assert!(left[0].contains("USER#ada_lovelace"));
    }
    app.current(app.authorized(event("user-current"), Some(&token)).await)
        .await
        .assert(401, "unauthorized");
}

impl TestApp {
    /// Everything a deletion sets going, in every service, until nothing is left to do: the
    /// users outbox and its erasure, the orders' and payments' erasures, the orders outbox and
    /// the receipts' erasure.
    async fn erase_deleted_accounts(&self) {
        for _ in 0..10 {
            self.send_user_email().await;
            let orders = self
                .deliver("OrderErasureQueue", |event| self.order_erase(event))
                .await;
            let payments = self
                .deliver("PaymentErasureQueue", |event| self.payment_erase(event))
                .await;
            let relayed = self.relay_outbox().await;
            let receipts = self
                .deliver("ReceiptErasureQueue", |event| self.receipt_erase(event))
                .await;
            if relayed.batches == 0
                && [orders, payments, receipts]
                    .iter()
                    .all(|pass| pass.delivered == 0)
            {
                return;
            }
        }
        panic!("the erasures did not settle in 10 rounds");
    }

    /// Every item of the table `logical_id`, as text.
    async fn items_of(&self, logical_id: &str) -> Vec<String> {
        let page = self
            .dynamodb
            .scan()
            .table_name(self.table(logical_id))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert!(page.last_evaluated_key.is_none(), "one page is enough here");
        page.items()
            .iter()
            .map(|item| format!("{item:?}"))
            .collect()
    }

    /// The stored versions and delete markers of the receipt of `order_id`, as an operator
    /// reads them.
    async fn receipt_versions(&self, order_id: &str) -> usize {
        let listed = operator_s3()
            .await
            .list_object_versions()
            .bucket(&self.names.refs["ReceiptsBucket"])
            .prefix(format!("receipts/{order_id}.pdf"))
            .send()
            .await
            .unwrap();
        listed.versions().len() + listed.delete_markers().len()
    }
}

#[tokio::test]
async fn every_service_erases_a_deleted_account_and_the_books_keep_its_amounts() {
    let app = TestApp::spawn().await;
    // A paid order, its receipt e-mailed and stored (twice over: a version replaced, as an
    // overwrite on AWS would leave it); an order checked out whose payment is still to come; a
    // cart; and a card held for a payment that never came.
    let (paid, token) = app.checked_out("erin_leaves", "4242424242424242").await;
    app.run_all_consumers().await;
    let s3 = operator_s3().await;
    let bucket = app.names.refs["ReceiptsBucket"].clone();
    let key = format!("receipts/{paid}.pdf");
    s3.copy_object()
        .bucket(&bucket)
        .key(&key)
        .copy_source(format!("{bucket}/{key}"))
        .metadata("copied", "yes")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .send()
        .await
        .unwrap();
    assert_eq!(app.receipt_versions(&paid).await, 2);
    let (pending, _) = app.checked_out_as(token.clone(), "4242424242424242").await;
    app.add(&token, "enamel-camp-mug", 1).await.assert(200, "");
    app.hold_card(&token, "4242424242424242").await;
    let paid_before = app.order(&paid).await;

    app.delete_account_with(&token, PASSWORD)
        .await
        .assert(204, "");
    app.erase_deleted_accounts().await;
    // The pending order's payment comes after: its card is gone, and its order is anonymous.
    app.run_all_consumers().await;
    app.erase_deleted_accounts().await;

    for table in [
        "UsersTable",
        "OrdersTable",
        "CardsTable",
        "PaymentsTable",
        "ReceiptsTable",
    ] {
        for item in app.items_of(table).await {
            let personal = ["erin_leaves", "Ada Lovelace", "Test User"]
                .iter()
                .any(|secret| item.contains(secret));
            assert!(!personal, "{table} holds {item}");
        }
    }
    assert_eq!(app.receipt_versions(&paid).await, 0, "every version goes");
    assert_eq!(app.receipt_versions(&pending).await, 0);
    // The books keep what they need: the paid order's amounts, lines and dates, and its
    // billing record; the cart is gone.
    let paid_after = app.order(&paid).await;
    assert!(paid_after.owner.is_erased());
    assert_eq!(
        (
            paid_after.status(),
            paid_after.total(),
            paid_after.lines.len(),
            paid_after.created_at
        ),
        (
            paid_before.status(),
            paid_before.total(),
            paid_before.lines.len(),
            paid_before.created_at
        )
    );
    assert!(app.order(&pending).await.owner.is_erased());
    let billing = app.items_of("PaymentsTable").await;
    assert!(
        billing
            .iter()
            .any(|item| item.contains(&format!("PAYMENT#{paid}")))
    );
    assert!(
        app.items_of("OrdersTable")
            .await
            .iter()
            .all(|item| !item.contains("CART#"))
    );
    for queue in [
        "UserErasureDeadLetterQueue",
        "OrderErasureDeadLetterQueue",
        "PaymentErasureDeadLetterQueue",
        "ReceiptErasureDeadLetterQueue",
        "ReceiptsDeadLetterQueue",
        "PaymentResultsDeadLetterQueue",
    ] {
        assert!(app.drain(queue).await.is_empty(), "{queue}");
    }
}

/// S3 as an operator reaches it, past the IAM gate.
async fn operator_s3() -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::new(&crate::support::sdk_config().await)
}

#[tokio::test]
async fn a_receipt_whose_sending_died_long_ago_is_erased_and_never_sent() {
    let app = TestApp::spawn().await;
    let sample: SqsEvent =
        serde_json::from_str(&crate::support::event_text("receipt-erase")).unwrap();
    let order = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    // A delivery of the receipt's e-mail claimed it two minutes ago and died after storing the
    // PDF (twice: a version was replaced).
    let claimed = time::OffsetDateTime::now_utc().unix_timestamp() - 120;
    app.dynamodb
        .put_item()
        .table_name(app.table("ReceiptsTable"))
        .item("pk", AttributeValue::S(format!("EMAIL#{order}")))
        .item("status", AttributeValue::S("SENDING".into()))
        .item("claimed_at", AttributeValue::N(claimed.to_string()))
        .send()
        .await
        .unwrap();
    let s3 = operator_s3().await;
    for body in ["first", "second"] {
        s3.put_object()
            .bucket(&app.names.refs["ReceiptsBucket"])
            .key(format!("receipts/{order}.pdf"))
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(app.receipt_versions(order).await, 2);
    for _ in 0..2 {
        let response = app.receipt_erase(sample.clone()).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(app.receipt_versions(order).await, 0);
    }
    let record = app.items_of("ReceiptsTable").await;
    assert_eq!(record.len(), 1);
    assert!(record[0].contains("SKIPPED"), "{record:?}");
    // The orders' and payments' samples name an account with nothing left: twice, nothing fails.
    for name in ["order-erase", "payment-erase"] {
        let sample: SqsEvent = serde_json::from_str(&crate::support::event_text(name)).unwrap();
        for _ in 0..2 {
            let response = match name {
                "order-erase" => app.order_erase(sample.clone()).await,
                _ => app.payment_erase(sample.clone()).await,
            };
            assert!(response.batch_item_failures.is_empty(), "{name}");
        }
    }
}
