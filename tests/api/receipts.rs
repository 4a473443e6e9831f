//! Receipts: the whole flow from checkout to the e-mail that moto's SES records, the PDF's text
//! read back with `pdftotext`, and the download route's rules.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use shared::auth::Role;
use shared::sqs::SqsBatchResponse;

use crate::support::{TestApp, event};

const MUG_TOTAL: &str = "€29.00";
const PEN_TOTAL: &str = "€34.00";
const ORDER_TOTAL: &str = "€63.00";

/// The raw e-mails moto's SES recorded for the order `order_id`.
pub(crate) fn emails_for(order_id: &str) -> Vec<String> {
    let data = crate::support::mailbox::moto_state();
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|message| message["raw_data"].as_str())
        .filter(|raw| raw.contains(&format!("receipt-{order_id}.pdf")))
        .map(str::to_owned)
        .collect()
}

/// The PDF attached to a raw MIME message.
fn attachment(raw: &str) -> Vec<u8> {
    let start = raw.find("Content-Type: application/pdf").unwrap();
    let part = &raw[start..];
    let body_start = part.find("\r\n\r\n").unwrap() + 4;
    let body_end = part[body_start..].find("--").unwrap() + body_start;
    let encoded: String = part[body_start..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap()
}

fn receipt_request(id: &str) -> Request {
    event("receipt-get").with_path_parameters(HashMap::from([("id".to_owned(), id.to_owned())]))
}

fn order_request(id: &str) -> Request {
    event("order-get").with_path_parameters(HashMap::from([("id".to_owned(), id.to_owned())]))
}

fn json_of(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[tokio::test]
async fn a_paid_order_is_emailed_once_with_its_receipt_attached() {
    let app = &TestApp::spawn().await;
    let (id, token) = app.checked_out("ada", "4242424242424242").await;
    app.run_all_consumers().await;

    let emails = emails_for(&id);
    assert_eq!(emails.len(), 1);
    let email = &emails[0];
    assert!(email.contains("To: ada@example.com"));
    assert!(email.contains(&format!("Subject: Your receipt for order {}", &id[..8])));
    let pdf = attachment(email);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = crate::support::pdf::layout_text(&pdf);
    for expected in [
        id.as_str(),
        "Serverless Shop",
        "Test User",
        "Enamel camp mug",
        "Brass ballpoint pen",
        MUG_TOTAL,
        PEN_TOTAL,
        ORDER_TOTAL,
        "Card ending in 4242",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let mug_line = text
        .lines()
        .find(|line| line.contains("Enamel camp mug"))
        .unwrap();
    assert!(
        mug_line.contains(" 2 ") && mug_line.contains("€14.50"),
        "{mug_line}"
    );
    assert!(app.receipts.was_sent(&id.parse().unwrap()).await.unwrap());

    // The download is the same document as the attachment: rendered once.
    let download = app
        .receipt(app.authorized(receipt_request(&id), Some(&token)).await)
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.body().as_ref(), pdf.as_slice());
}

#[tokio::test]
async fn a_receipt_is_not_e_mailed_to_an_address_never_confirmed_and_stays_downloadable() {
    let app = &TestApp::spawn().await;
    app.given_unverified_user("ada").await;
    let token = app.token_for("ada").await;
    let (id, token) = app.checked_out_as(token, "4242424242424242").await;
    app.settle_payments().await;
    let order = app
        .order_get(app.authorized(order_request(&id), Some(&token)).await)
        .await;
    order.assert(200, "");
    assert_eq!(order.body["email_verified"], false);
    app.run_all_consumers().await;
    assert!(emails_for(&id).is_empty(), "nothing e-mailed");
    assert!(!app.receipts.was_sent(&id.parse().unwrap()).await.unwrap());
    // Confirming the address afterwards does not send it: the customer was told at the time.
    assert!(
        app.users
            .vouch_for_email(&"ada".parse().unwrap())
            .await
            .unwrap()
    );
    app.run_all_consumers().await;
    assert!(emails_for(&id).is_empty());
    let download = app
        .receipt(app.authorized(receipt_request(&id), Some(&token)).await)
        .await;
    assert_eq!(download.status(), StatusCode::OK);
}

#[tokio::test]
async fn duplicate_receipt_messages_send_one_email() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", "4242424242424242").await;
    app.settle_payments().await;
    // The receipts consumer sends, then dies before answering: the message comes back.
    let crashed = app
        .deliver("ReceiptsQueue", |event| async move {
            let response = app.receipt_email(event.clone()).await;
            assert!(response.batch_item_failures.is_empty());
            let mut all_failed = SqsBatchResponse::default();
            for record in &event.records {
                all_failed.add_failure(record.message_id.clone().unwrap());
            }
            all_failed
        })
        .await;
    assert_eq!(crashed.failed, 1);
    app.run_all_consumers().await;
    assert_eq!(emails_for(&id).len(), 1);
}

#[tokio::test]
async fn a_declined_order_has_no_receipt_and_no_email() {
    let app = &TestApp::spawn().await;
    let (id, token) = app.checked_out("ada", "4000000000000002").await;
    app.run_all_consumers().await;
    assert!(emails_for(&id).is_empty());
    let response = app
        .receipt(app.authorized(receipt_request(&id), Some(&token)).await)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(&response)["error"], "order_not_paid");
    assert!(
        json_of(&response)["message"]
            .as_str()
            .unwrap()
            .contains("PAYMENT_FAILED")
    );
}

#[tokio::test]
async fn only_the_owner_gets_the_receipt_and_only_once_paid() {
    let app = &TestApp::spawn().await;
    let (id, ada) = app.checked_out("ada", "4242424242424242").await;

    let pending = app
        .receipt(app.authorized(receipt_request(&id), Some(&ada)).await)
        .await;
    assert_eq!(pending.status(), StatusCode::CONFLICT);
    assert!(
        json_of(&pending)["message"]
            .as_str()
            .unwrap()
            .contains("PENDING_PAYMENT")
    );

    app.run_all_consumers().await;
    let bob = app.given_session("bob", Role::Customer).await;
    let admin = app.given_session("grace", Role::Admin).await;
    for (token, status) in [
        (Some(ada.as_str()), StatusCode::OK),
        (Some(admin.as_str()), StatusCode::OK),
        (Some(bob.as_str()), StatusCode::NOT_FOUND),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let response = app
            .receipt(app.authorized(receipt_request(&id), token).await)
            .await;
        assert_eq!(response.status(), status, "{token:?}");
    }
    for unknown in ["0123456789abcdef0123456789abcdef", "not-an-order"] {
        let response = app
            .receipt(app.authorized(receipt_request(unknown), Some(&ada)).await)
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{unknown}");
        assert_eq!(json_of(&response)["error"], "order_not_found");
    }
}

#[tokio::test]
async fn customers_follow_their_order_by_id_and_nobody_else_can() {
    let app = &TestApp::spawn().await;
    let (id, ada) = app.checked_out("ada", "4242424242424242").await;
    let bob = app.given_session("bob", Role::Customer).await;
    let show = |token: String| {
        let request =
            event("order-get").with_path_parameters(HashMap::from([("id".to_owned(), id.clone())]));
        async move {
            app.order_get(app.authorized(request, Some(&token)).await)
                .await
        }
    };
    let pending = show(ada.clone()).await;
    pending.assert(200, "");
    assert_eq!(pending.body["status"], "PENDING_PAYMENT");
    show(bob).await.assert(404, "order_not_found");
    app.run_all_consumers().await;
    let paid = show(ada).await;
    assert_eq!(paid.body["status"], "PAID");
    assert!(paid.body["paid_at"].is_string());
}

#[tokio::test]
async fn a_receipt_downloaded_before_its_email_is_rendered_once_and_attached_as_it_is() {
    // The download finds nothing stored (S3 says so only to a reader allowed to list the
    // bucket), renders the receipt and stores it; the e-mail then attaches that very PDF.
    let app = &TestApp::spawn().await;
    let (id, token) = app.checked_out("ada", "4242424242424242").await;
    app.settle_payments().await;
    let download = app
        .receipt(app.authorized(receipt_request(&id), Some(&token)).await)
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    app.run_all_consumers().await;
    let emails = emails_for(&id);
    assert_eq!(emails.len(), 1);
    assert_eq!(attachment(&emails[0]), download.body().as_ref());
}

#[tokio::test]
async fn a_claim_left_by_a_sender_that_died_is_taken_over_once_its_lease_lapses() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", "4242424242424242").await;
    app.settle_payments().await;
    // A delivery claimed the e-mail two leases ago, then its function died.
    let lapsed = time::OffsetDateTime::now_utc().unix_timestamp()
        - 2 * i64::try_from(shared::mail::LEASE.as_secs()).unwrap();
    app.dynamodb
        .put_item()
        .table_name(app.table("ReceiptsTable"))
        .item("pk", AttributeValue::S(format!("EMAIL#{id}")))
        .item("status", AttributeValue::S("SENDING".into()))
        .item("claimed_at", AttributeValue::N(lapsed.to_string()))
        .send()
        .await
        .unwrap();
    app.run_all_consumers().await;
    assert_eq!(emails_for(&id).len(), 1);
    assert!(app.receipts.was_sent(&id.parse().unwrap()).await.unwrap());
}

#[tokio::test]
async fn a_failed_send_gives_up_its_claim_so_the_next_delivery_sends_at_once() {
    let app = &TestApp::spawn().await;
    let (id, _) = app.checked_out("ada", "4242424242424242").await;
    app.settle_payments().await;
    // The receipts bucket is gone: rendering fails, and the claim must not outlive the attempt.
    let s3 = aws_sdk_s3::Client::new(&crate::support::sdk_config().await);
    let bucket = app.names.refs["ReceiptsBucket"].clone();
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    let failed = app.run_receipts().await;
    assert_eq!((failed.delivered, failed.failed), (1, 1));
    let claim = app.stored("ReceiptsTable", &format!("EMAIL#{id}")).await;
    assert!(claim.is_none(), "the claim was released");

    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let sent = app.run_receipts().await;
    assert_eq!((sent.delivered, sent.failed), (1, 0));
    assert_eq!(emails_for(&id).len(), 1);
}
