//! Changing an account's e-mail address: the current password required, the new address
//! unconfirmed in the same write, a confirmation link e-mailed to it, links sent to the old one
//! void, and the confirmation e-mails' limit shared, against DynamoDB Local and moto.

use serde_json::{Value, json};

use crate::password_reset::SUBJECT as RESET_SUBJECT;
use crate::support::{PASSWORD, Reply, TestApp, event, with_json};
use crate::verification::{link_token, mail_about, verification_mail};

impl TestApp {
    /// `POST /api/user/email` with `token`.
    async fn change_email_with(&self, token: &str, email: &str, password: &str) -> Reply {
        let body = json!({ "email": email, "current_password": password });
        let request = with_json(event("user-email-change"), &body);
        self.change_email(self.authorized(request, Some(token)).await)
            .await
    }

    /// `GET /api/user` with `token`.
    async fn account(&self, token: &str) -> Value {
        let reply = self
            .current(self.authorized(event("user-current"), Some(token)).await)
            .await;
        reply.assert(200, "");
        reply.body
    }

    async fn verify_token(&self, token: &str) -> Reply {
        self.verify(with_json(event("user-verify"), &json!({ "token": token })))
            .await
    }
}

#[tokio::test]
async fn a_new_address_is_unconfirmed_until_the_link_e_mailed_to_it_is_followed() {
    let app = TestApp::spawn().await;
    app.given_user("ada_moves").await;
    let session = app.token_for("ada_moves").await;
    let elsewhere = app.token_for("ada_moves").await;

    let changed = app
        .change_email_with(&session, " Ada.Moves@Example.ORG ", PASSWORD)
        .await;
    changed.assert(200, "");
    assert_eq!(changed.body["email"], "Ada.Moves@example.org");
    assert_eq!(changed.body["email_verified"], false);
    assert!(changed.body.get("password_hash").is_none());
    let account = app.account(&elsewhere).await;
    assert_eq!(account["email"], "Ada.Moves@example.org");
    assert_eq!(
        account["email_verified"], false,
        "sessions go on, unconfirmed"
    );

    app.send_user_email().await;
    let mail = verification_mail("Ada.Moves@example.org");
    assert_eq!(mail.len(), 1, "one confirmation, to the new address");
    assert!(verification_mail("ada_moves@example.com").is_empty());
    app.verify_token(&link_token(&mail[0], "verify"))
        .await
        .assert(204, "");
    assert_eq!(app.account(&session).await["email_verified"], true);
}

#[tokio::test]
async fn links_e_mailed_to_the_old_address_stop_working() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_typo").await;
    let session = app.token_for("ada_typo").await;
    app.ask_reset("ada_typo").await.assert(202, "");
    app.send_user_email().await;
    let confirm_old = link_token(&verification_mail("ada_typo@example.com")[0], "verify");
    let reset_old = link_token(
        &mail_about("ada_typo@example.com", RESET_SUBJECT)[0],
        "reset",
    );

    app.change_email_with(&session, "ada_typo@example.net", PASSWORD)
        .await
        .assert(200, "");
    app.verify_token(&confirm_old)
        .await
        .assert(400, "token_invalid");
    app.confirm_reset(&reset_old, "an entirely new passphrase")
        .await
        .assert(400, "token_invalid");
    assert_eq!(app.account(&session).await["email_verified"], false);

    app.send_user_email().await;
    let mail = verification_mail("ada_typo@example.net");
    app.verify_token(&link_token(&mail[0], "verify"))
        .await
        .assert(204, "");
}

#[tokio::test]
async fn a_refused_change_says_why_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.given_user("ada_stays").await;
    let session = app.token_for("ada_stays").await;
    let field = |reply: &Reply, field: &str| {
        reply.assert(400, "validation_failed");
        reply.body["fields"][field].as_str().unwrap().to_owned()
    };

    let wrong = app
        .change_email_with(&session, "ada_stays@example.org", "not my password")
        .await;
    assert_eq!(
        field(&wrong, "current_password"),
        "is not your current password"
    );
    let invalid = app
        .change_email_with(&session, "not an address", PASSWORD)
        .await;
    assert!(field(&invalid, "email").contains("e-mail address"));
    let same = app
        .change_email_with(&session, "ada_stays@EXAMPLE.com", PASSWORD)
        .await;
    assert_eq!(field(&same, "email"), "is your address already");
    let body = json!({ "email": "ada_stays@example.org", "current_password": PASSWORD, "email_verified": true });
    let request = app
        .authorized(with_json(event("user-email-change"), &body), Some(&session))
        .await;
    app.change_email(request).await.assert(400, "invalid_body");
    app.change_email(app.authorized(event("user-email-change"), None).await)
        .await
        .assert(401, "unauthorized");

    let account = app.account(&session).await;
    assert_eq!(account["email"], "ada_stays@example.com");
    assert_eq!(account["email_verified"], true);
}

#[tokio::test]
async fn changes_share_the_limit_of_confirmation_e_mails() {
    let app = TestApp::spawn().await;
    app.given_user("ada_hops").await;
    let session = app.token_for("ada_hops").await;

    app.change_email_with(&session, "ada_hops@example.org", PASSWORD)
        .await
        .assert(200, "");
    let again = app
        .change_email_with(&session, "ada_hops@example.net", PASSWORD)
        .await;
    again.assert(429, "too_many_emails");
    assert!(again.response.headers().contains_key("retry-after"));
    app.verify_resend(
        app.authorized(event("user-verify-resend"), Some(&session))
            .await,
    )
    .await
    .assert(429, "too_many_emails");
    assert_eq!(app.account(&session).await["email"], "ada_hops@example.org");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_changes_exactly_one_lands_and_one_e_mail_is_sent() {
    let app = TestApp::spawn().await;
    app.given_user("ada_races_on").await;
    let session = app.token_for("ada_races_on").await;
    let addresses: Vec<String> = (0..4)
        .map(|n| format!("ada_races_on.{n}@example.org"))
        .collect();
    let replies = futures::future::join_all(
        addresses
            .iter()
            .map(|address| app.change_email_with(&session, address, PASSWORD)),
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    let landed: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 200).collect();
    assert_eq!(landed.len(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|status| [200, 429].contains(status)),
        "{statuses:?}"
    );
    let winner = landed[0].body["email"].as_str().unwrap().to_owned();
    assert_eq!(app.account(&session).await["email"], winner.as_str());

    app.send_user_email().await;
    let mailed: Vec<&String> = addresses
        .iter()
        .filter(|address| !verification_mail(address).is_empty())
        .collect();
    assert_eq!(mailed, vec![&winner]);
}
