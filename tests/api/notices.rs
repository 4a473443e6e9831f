//! Notices to an account's owner: a password changed or reset, a change of address asked for,
//! each e-mailed once to the address that was confirmed when it happened (an unconfirmed one is
//! told nothing), through the users outbox and `NoticeEmailQueue`, against DynamoDB Local and
//! moto.

use serde_json::json;
use users::email::{Notice, NoticeRequested};

use crate::password_reset::SUBJECT as RESET_SUBJECT;
use crate::support::{PASSWORD, STOREFRONT_DOMAIN, TestApp, event, with_json};
use crate::verification::{link_token, mail_about};

const CHANGED: &str = "Your password was changed";
const RESET: &str = "Your password was reset";
const MOVING: &str = "Your e-mail address is about to change";

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
    app.change_password_of("ada_told").await;
    app.change_password_of("ada_untold").await;
    app.send_user_email().await;

    let mail = mail_about("ada_told@example.com", CHANGED);
    assert_eq!(mail.len(), 1);
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
    app.ask_reset("ada_recovers").await.assert(202, "");
    app.send_user_email().await;
    let address = "ada_recovers@example.com";
    let token = link_token(&mail_about(address, RESET_SUBJECT)[0], "reset");
    app.confirm_reset(&token, "remembered at long last")
        .await
        .assert(204, "");
    app.send_user_email().await;
    assert_eq!(mail_about(address, RESET).len(), 1);
}

#[tokio::test]
async fn a_change_of_address_is_told_at_the_confirmed_one_without_naming_the_new_in_full() {
    let app = TestApp::spawn().await;
    app.given_user("ada_relocates").await;
    let session = app.token_for("ada_relocates").await;
    app.change_email_with(&session, "ada.relocated@example.org", PASSWORD)
        .await
        .assert(202, "");
    app.send_user_email().await;
    let mail = mail_about("ada_relocates@example.com", MOVING);
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].text.contains("a***@example.org"),
        "{}",
        mail[0].text
    );
    assert!(!mail[0].text.contains("relocated"), "{}", mail[0].text);
    assert!(mail_about("ada.relocated@example.org", MOVING).is_empty());
}

#[tokio::test]
async fn a_notice_delivered_twice_is_sent_once() {
    let app = TestApp::spawn().await;
    app.given_user("ada_echo").await;
    app.send_user_email().await;
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
    assert_eq!(mail_about("ada_echo@example.com", CHANGED).len(), 1);
}
