//! Changing an account's e-mail address: the current password required, the new address
//! pending until the owner follows the link e-mailed to it, signed in (everything goes to the old
//! one until then), the newest request winning, cancelling, a new password cancelling it, and the
//! confirmation e-mails' limit shared, against DynamoDB Local and moto.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::password_reset::SUBJECT as RESET_SUBJECT;
use crate::support::{PASSWORD, Reply, TestApp, event, with_json};
use crate::verification::{link_token, mail_about, verification_mail};

impl TestApp {
    /// `POST /api/user/email` with `token`.
    pub(crate) async fn change_email_with(
        &self,
        token: &str,
        email: &str,
        password: &str,
    ) -> Reply {
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

    /// `POST /api/user/email/confirm` with `token` (a session) and `link` (the e-mailed token).
    pub(crate) async fn confirm_change_with(&self, token: &str, link: &str) -> Reply {
        let request = with_json(event("user-email-confirm"), &json!({ "token": link }));
        self.confirm_email_change(self.authorized(request, Some(token)).await)
            .await
    }
}

/// The token of the newest link to confirm a change to `address`.
pub(crate) fn change_link(address: &str) -> String {
    let mail = mail_about(address, "Confirm your new e-mail address");
    link_token(mail.first().expect("a link to confirm the change"), "email")
}

#[tokio::test]
async fn the_address_changes_only_when_the_link_e_mailed_to_the_new_one_is_followed() {
    let app = TestApp::spawn().await;
    app.given_user("ada_moves").await;
    let session = app.token_for("ada_moves").await;
    let elsewhere = app.token_for("ada_moves").await;

    let asked = app
        .change_email_with(&session, " Ada.Moves@Example.ORG ", PASSWORD)
        .await;
    asked.assert(202, "");
    assert_eq!(asked.body["email"], "ada_moves@example.com");
    assert_eq!(asked.body["pending_email"], "Ada.Moves@example.org");
    assert_eq!(asked.body["email_verified"], true);
    assert!(asked.body.get("password_hash").is_none());
    // Until then, the account's address is the old one, still confirmed, and a reset link
    // goes there, not to the address asked for.
    let account = app.account(&elsewhere).await;
    assert_eq!(account["email"], "ada_moves@example.com");
    assert_eq!(account["email_verified"], true);
    assert_eq!(account["pending_email"], "Ada.Moves@example.org");
    app.ask_reset("Ada.Moves@example.org").await.assert(202, "");
    app.ask_reset("ada_moves").await.assert(202, "");
    app.send_user_email().await;
    assert!(mail_about("Ada.Moves@example.org", RESET_SUBJECT).is_empty());
    assert_eq!(mail_about("ada_moves@example.com", RESET_SUBJECT).len(), 1);

    assert_eq!(
        mail_about("Ada.Moves@example.org", "Confirm your new e-mail address").len(),
        1,
        "one link, to the new address"
    );
    assert!(verification_mail("ada_moves@example.com").is_empty());
    let link = change_link("Ada.Moves@example.org");
    // Whoever reads that mailbox has the link, not the account: it confirms nothing without
    // the owner's session.
    app.verify_token(&link).await.assert(400, "token_invalid");
    app.given_user("not_ada_moves").await;
    let stranger = app.token_for("not_ada_moves").await;
    app.confirm_change_with(&stranger, &link)
        .await
        .assert(400, "token_invalid");

    let confirmed = app.confirm_change_with(&session, &link).await;
    confirmed.assert(200, "");
    assert_eq!(confirmed.body["email"], "Ada.Moves@example.org");
    let account = app.account(&session).await;
    assert_eq!(account["email"], "Ada.Moves@example.org");
    assert_eq!(account["email_verified"], true);
    assert!(account.get("pending_email").is_none(), "{account}");
    app.confirm_change_with(&session, &link)
        .await
        .assert(400, "token_invalid");
    // The reset link sent to the old address no longer works.
    let reset = link_token(
        &mail_about("ada_moves@example.com", RESET_SUBJECT)[0],
        "reset",
    );
    app.confirm_reset(&reset, "an entirely new passphrase")
        .await
        .assert(400, "token_invalid");
}

#[tokio::test]
async fn a_pending_change_is_cancelled_by_asking_for_the_address_or_by_a_new_password() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_typo").await;
    let session = app.token_for("ada_typo").await;
    app.send_user_email().await;
    let confirm_own = link_token(&verification_mail("ada_typo@example.com")[0], "verify");

    app.change_email_with(&session, "ada_typo@example.net", PASSWORD)
        .await
        .assert(202, "");
    app.send_user_email().await;
    let first = change_link("ada_typo@example.net");
    // Asking for the address the account has cancels the change; its link then does nothing.
    let cancelled = app
        .change_email_with(&session, "ada_typo@example.com", PASSWORD)
        .await;
    cancelled.assert(200, "");
    assert!(cancelled.body.get("pending_email").is_none());
    app.confirm_change_with(&session, &first)
        .await
        .assert(400, "token_invalid");

    // A new request for the same address (a day later, as far as the allowance goes), whose
    // change a new password cancels.
    app.dynamodb
        .delete_item()
        .table_name(app.table("UsersTable"))
        .key("pk", AttributeValue::S("ASKED#VERIFY#ada_typo".into()))
        .send()
        .await
        .unwrap();
    app.change_email_with(&session, "ada_typo@example.net", PASSWORD)
        .await
        .assert(202, "");
    app.send_user_email().await;
    let second = change_link("ada_typo@example.net");
    assert_ne!(first, second);
    // The same address asked for again is a change of its own: the first link stays void.
    app.confirm_change_with(&session, &first)
        .await
        .assert(400, "token_invalid");
    // Meanwhile the account's own address can still be confirmed.
    app.verify_token(&confirm_own).await.assert(204, "");
    let body =
        json!({ "current_password": PASSWORD, "new_password": "a new and longer passphrase" });
    let request = with_json(event("user-password-change"), &body);
    let changed = app
        .change_password(app.authorized(request, Some(&session)).await)
        .await;
    changed.assert(200, "");
    let session = changed.body["token"].as_str().unwrap().to_owned();
    app.confirm_change_with(&session, &second)
        .await
        .assert(400, "token_invalid");
    let account = app.account(&session).await;
    assert_eq!(account["email"], "ada_typo@example.com");
    assert_eq!(account["email_verified"], true);
    assert!(account.get("pending_email").is_none(), "{account}");
}

#[tokio::test]
async fn a_change_checked_against_a_password_changed_since_writes_nothing() {
    let app = TestApp::spawn().await;
    app.given_user("ada_stale").await;
    let ada = "ada_stale".parse().unwrap();
    let stale = app.users.find(&ada).await.unwrap().unwrap();
    let now = time::OffsetDateTime::now_utc();
    app.users
        .change_password(&stale, "another hash".into(), now)
        .await
        .unwrap()
        .expect("the first change lands");
    let email = users::domain::Email::parse("ada_stale@example.org").unwrap();
    let turn = app.users.change_email(&stale, &email, now).await.unwrap();
    assert_eq!(turn, users::Turn::Refused);
    let after = app.users.find(&ada).await.unwrap().unwrap();
    assert_eq!(after.user.pending_email, None);
    // The refused request took no turn: one may be asked for at once.
    let fresh = app.users.find(&ada).await.unwrap().unwrap();
    let turn = app.users.change_email(&fresh, &email, now).await.unwrap();
    assert_eq!(turn, users::Turn::Granted);
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
    assert!(account.get("pending_email").is_none());
}

#[tokio::test]
async fn changes_share_the_limit_of_confirmation_e_mails() {
    let app = TestApp::spawn().await;
    app.given_user("ada_hops").await;
    let session = app.token_for("ada_hops").await;

    app.change_email_with(&session, "ada_hops@example.org", PASSWORD)
        .await
        .assert(202, "");
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
    assert_eq!(
        app.account(&session).await["pending_email"],
        "ada_hops@example.org"
    );
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
    let landed: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 202).collect();
    assert_eq!(landed.len(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|status| [202, 429].contains(status)),
        "{statuses:?}"
    );
    let winner = landed[0].body["pending_email"].as_str().unwrap().to_owned();
    assert_eq!(
        app.account(&session).await["pending_email"],
        winner.as_str()
    );

    app.send_user_email().await;
    let mailed: Vec<&String> = addresses
        .iter()
        .filter(|address| !mail_about(address, "Confirm your new e-mail address").is_empty())
        .collect();
    assert_eq!(mailed, vec![&winner]);
}
