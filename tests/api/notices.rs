//! Notices to an account's owner: a password changed or reset, a change of address asked for
//! and made, each e-mailed once to the address that was confirmed when it happened (an unconfirmed one is
//! told nothing), through the users outbox and `NoticeEmailQueue`, against DynamoDB Local and
//! moto.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use users::email::{Notice, NoticeRequested};

use crate::email_change::change_link;
use crate::password_reset::SUBJECT as RESET_SUBJECT;
use crate::support::{PASSWORD, STOREFRONT_DOMAIN, TestApp, event, with_json};
use crate::verification::{link_token, mail_about};

const CHANGED: &str = "Your password was changed";
const RESET: &str = "Your password was reset";
const MOVING: &str = "Your e-mail address is about to change";
const MOVED: &str = "Your e-mail address was changed";

/// How many e-mails about `subject` `address` has had. Moto keeps every e-mail of the stack's
/// life and tests run again in it (the policy mutants do), so tests count what they add.
fn told(address: &str, subject: &str) -> usize {
    mail_about(address, subject).len()
}

impl TestApp {
    /// Changes `username`'s password from [`PASSWORD`] as they would, signed in.
    async fn change_password_of(&self, username: &str) {
        let token = self.token_for(username).await;
        let body =
            json!({ "current_password": PASSWORD, "new_password": "a new and longer passphrase" });
        let request = with_json(event("user-password-change"), &body);
        self.change_password(self.authorized(request, Some(&token)).await)
            .await
            .assert(200, "");
    }
}

#[tokio::test]
async fn a_changed_password_is_told_to_a_confirmed_address_only() {
    let app = TestApp::spawn().await;
    app.given_user("ada_told").await;
    app.given_unverified_user("ada_untold").await;
    let before = told("ada_told@example.com", CHANGED);
    app.change_password_of("ada_told").await;
    app.change_password_of("ada_untold").await;
    app.send_user_email().await;

    let mail = mail_about("ada_told@example.com", CHANGED);
    assert_eq!(mail.len(), before + 1);
    assert!(mail[0].text.contains("ada_told"), "{}", mail[0].text);
    assert!(
        mail[0]
            .html
            .as_deref()
            .unwrap()
            .contains("Reset my password")
    );
    let forgot = format!("https://{STOREFRONT_DOMAIN}/#/forgot");
    assert!(mail[0].links.contains(&forgot), "{:?}", mail[0].links);
    assert!(mail_about("ada_untold@example.com", CHANGED).is_empty());
}

#[tokio::test]
async fn a_reset_password_is_told_to_the_address_the_link_reached() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_recovers").await;
    let address = "ada_recovers@example.com";
    let before = told(address, RESET);
    app.ask_reset("ada_recovers").await.assert(202, "");
    app.send_user_email().await;
    let token = link_token(&mail_about(address, RESET_SUBJECT)[0], "reset");
    app.confirm_reset(&token, "remembered at long last")
        .await
        .assert(204, "");
    app.send_user_email().await;
    assert_eq!(told(address, RESET), before + 1);
}

#[tokio::test]
async fn a_change_of_address_is_told_at_the_confirmed_one_without_naming_the_new_in_full() {
    let app = TestApp::spawn().await;
    app.given_user("ada_relocates").await;
    let session = app.token_for("ada_relocates").await;
    let (moving, moved) = (
        told("ada_relocates@example.com", MOVING),
        told("ada_relocates@example.com", MOVED),
    );
    app.change_email_with(&session, "ada.relocated@example.org", PASSWORD)
        .await
        .assert(202, "");
    app.send_user_email().await;
    let mail = mail_about("ada_relocates@example.com", MOVING);
    assert_eq!(mail.len(), moving + 1);
    assert!(
        mail[0].text.contains("a***@example.org"),
        "{}",
        mail[0].text
    );
    assert!(!mail[0].text.contains("relocated"), "{}", mail[0].text);
    assert!(mail_about("ada.relocated@example.org", MOVING).is_empty());

    // Once the owner confirms, the former address is told the change is made.
    let link = change_link("ada.relocated@example.org");
    app.confirm_change_with(&session, &link)
        .await
        .assert(200, "");
    app.send_user_email().await;
    let mail = mail_about("ada_relocates@example.com", MOVED);
    assert_eq!(mail.len(), moved + 1);
    assert!(
        mail[0].text.contains("a***@example.org"),
        "{}",
        mail[0].text
    );
    assert!(mail_about("ada.relocated@example.org", MOVED).is_empty());
}

#[tokio::test]
async fn requests_for_reset_links_cannot_use_up_the_notices() {
    let app = TestApp::spawn().await;
    app.given_user("ada_flooded").await;
    let before = told("ada_flooded@example.com", CHANGED);
    // The address has had all the e-mails a day allows (as if strangers asked for reset links).
    // (The count is keyed by the address's pseudonym, which the senders make with their key.)
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let pseudonyms = app
        .function("UserPasswordResetEmailFunction")
        .pseudonym_key()
        .await;
    let counted = pseudonyms.of(users::pseudonym::MAIL_TO, "ada_flooded@example.com");
    app.dynamodb
        .put_item()
        .table_name(app.table("UsersTable"))
        .item("pk", AttributeValue::S(format!("ASKED#MAIL-TO#{counted}")))
        .item(
            "sent",
            AttributeValue::L(vec![AttributeValue::N(now.to_string()); 10]),
        )
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    app.ask_reset("ada_flooded").await.assert(202, "");
    app.change_password_of("ada_flooded").await;
    app.send_user_email().await;
    assert!(mail_about("ada_flooded@example.com", RESET_SUBJECT).is_empty());
    assert_eq!(told("ada_flooded@example.com", CHANGED), before + 1);
}

#[tokio::test]
async fn a_notice_delivered_twice_is_sent_once() {
    let app = TestApp::spawn().await;
    app.given_user("ada_echo").await;
    app.send_user_email().await;
    let before = told("ada_echo@example.com", CHANGED);
    let notice = NoticeRequested {
        request: "echoed".to_owned(),
        username: "ada_echo".parse().unwrap(),
        email: "ada_echo@example.com".to_owned(),
        notice: Notice::PasswordChanged,
    };
    let queue = shared::sqs::FifoQueue::new(app.sqs.clone(), app.queue("NoticeEmailQueue"));
    // Twice, as a re-drive after the FIFO queue's five minutes of deduplication would.
    for dedup in ["first", "again"] {
        queue.send(&notice, "ada_echo", dedup).await.unwrap();
        app.send_user_email().await;
    }
    assert_eq!(told("ada_echo@example.com", CHANGED), before + 1);
}

#[tokio::test]
async fn a_notice_ses_did_not_take_gives_up_its_claim_and_goes_at_the_next_delivery() {
    let app = TestApp::spawn().await;
    app.given_user("ada_outage_told").await;
    let before = told("ada_outage_told@example.com", CHANGED);
    app.change_password_of("ada_outage_told").await;
    app.deliver_stream("UserRelayFunction", |event| async {
        Some(app.user_relay(event).await)
    })
    .await;
    let failed = app
        .deliver("NoticeEmailQueue", |event| {
            app.user_mail("UserNoticeEmailFunction", event, true)
        })
        .await;
    assert_eq!((failed.delivered, failed.failed), (1, 1));
    app.send_user_email().await;
    assert_eq!(told("ada_outage_told@example.com", CHANGED), before + 1);
}

#[tokio::test]
async fn a_notice_claimed_by_a_sender_that_died_is_taken_over_once_its_lease_lapses() {
    let app = TestApp::spawn().await;
    app.given_user("ada_orphan").await;
    let before = told("ada_orphan@example.com", CHANGED);
    let lapsed = time::OffsetDateTime::now_utc().unix_timestamp()
        - 2 * i64::try_from(shared::mail::LEASE.as_secs()).unwrap();
    app.dynamodb
        .put_item()
        .table_name(app.table("UsersTable"))
        .item("pk", AttributeValue::S("MAIL#orphaned".into()))
        .item("status", AttributeValue::S("SENDING".into()))
        .item("claimed_at", AttributeValue::N(lapsed.to_string()))
        .send()
        .await
        .unwrap();
    let notice = NoticeRequested {
        request: "orphaned".to_owned(),
        username: "ada_orphan".parse().unwrap(),
        email: "ada_orphan@example.com".to_owned(),
        notice: Notice::PasswordChanged,
    };
    shared::sqs::FifoQueue::new(app.sqs.clone(), app.queue("NoticeEmailQueue"))
        .send(&notice, "ada_orphan", "orphaned")
        .await
        .unwrap();
    app.send_user_email().await;
    assert_eq!(told("ada_orphan@example.com", CHANGED), before + 1);
}
