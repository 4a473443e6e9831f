//! Resetting a forgotten password: the same answer whoever asks, a link e-mailed through the
//! users outbox, its token used once to set a password that ends every session, and the limits,
//! against DynamoDB Local and moto.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use time::OffsetDateTime;
use users::email::{LinkToken, PasswordResetRequested};

use crate::support::{PASSWORD, Reply, TestApp, event, with_body, with_json};
use crate::verification::{link_token, mail_about};

pub(crate) const SUBJECT: &str = "Reset your password";
const NEW_PASSWORD: &str = "a brand new passphrase";

impl TestApp {
    pub(crate) async fn ask_reset(&self, login: &str) -> Reply {
        self.ask_reset_from(login, "203.0.113.7").await
    }

    /// `POST /api/user/password-reset` from the client address `from`.
    async fn ask_reset_from(&self, login: &str, from: &str) -> Reply {
        let mut request = with_json(event("user-password-reset"), &json!({ "login": login }));
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
            lambda_http::RequestExt::request_context_ref(&request).cloned()
        {
            let mut context = context;
            context.http.source_ip = Some(from.to_owned());
            request = lambda_http::RequestExt::with_request_context(
                request,
                lambda_http::request::RequestContext::ApiGatewayV2(context),
            );
        }
        self.password_reset(request).await
    }

    pub(crate) async fn confirm_reset(&self, token: &str, new_password: &str) -> Reply {
        let body = json!({ "token": token, "new_password": new_password });
        self.password_reset_confirm(with_json(event("user-password-reset-confirm"), &body))
            .await
    }

    /// The status of `GET /api/user` with `token`.
    async fn session_status(&self, token: &str) -> u16 {
        self.current(self.authorized(event("user-current"), Some(token)).await)
            .await
            .status
            .as_u16()
    }

    async fn can_log_in(&self, username: &str, password: &str) -> bool {
        let body = json!({ "username": username, "password": password });
        self.login(with_json(event("user-login"), &body))
            .await
            .status
            == 200
    }
}

#[tokio::test]
async fn a_link_sets_a_new_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_forgot").await;
    let session = app.token_for("ada_forgot").await;
    let address = "ada_forgot@example.com";

    app.ask_reset("ada_forgot").await.assert(202, "");
    app.send_user_email().await;
    let mail = mail_about(address, SUBJECT);
    assert_eq!(mail.len(), 1);
    assert!(mail[0].text.contains("ada_forgot"), "{}", mail[0].text);
    assert!(mail[0].html.is_some());
    let token = link_token(&mail[0], "reset");
    assert!(!format!("{:?}", app.users_items().await).contains(&token));

    // The new password is held to the same rules as any.
    let weak = app.confirm_reset(&token, "password").await;
    weak.assert(400, "validation_failed");
    assert!(weak.body["fields"]["new_password"].is_string());

    app.confirm_reset(&token, NEW_PASSWORD)
        .await
        .assert(204, "");
    assert_eq!(
        app.session_status(&session).await,
        401,
        "every session ended"
    );
    assert!(!app.can_log_in("ada_forgot", PASSWORD).await);
    assert!(app.can_log_in("ada_forgot", NEW_PASSWORD).await);
    // The link reached the address: it is confirmed.
    let session = app.token_for_password("ada_forgot", NEW_PASSWORD).await;
    assert_eq!(app.email_verified(&session).await, true);
    // Once only.
    app.confirm_reset(&token, "yet another passphrase")
        .await
        .assert(400, "token_invalid");
}

#[tokio::test]
async fn asking_by_address_reaches_every_account_of_it_and_unknown_ones_get_the_same_answer() {
    let app = TestApp::spawn().await;
    for name in ["kim_one", "kim_two"] {
        let body = json!({
            "username": name, "password": PASSWORD, "email": "kim@example.com",
            "first_name": "Kim", "last_name": "Shared",
        });
        app.register(with_json(event("user-create"), &body))
            .await
            .assert(201, "");
    }
    let known = app.ask_reset("kim@example.com").await;
    let unknown = app.ask_reset("nobody@example.com").await;
    let no_such_user = app.ask_reset("nobody_here").await;
    for reply in [&known, &unknown, &no_such_user] {
        reply.assert(202, "");
        assert_eq!(reply.body, known.body);
    }
    app.send_user_email().await;
    let mail = mail_about("kim@example.com", SUBJECT);
    assert_eq!(mail.len(), 2, "one link per account");
    assert!(mail_about("nobody@example.com", SUBJECT).is_empty());
    // Each link is its own account's.
    let token = link_token(
        mail.iter()
            .find(|mail| mail.text.contains("kim_two"))
            .unwrap(),
        "reset",
    );
    app.confirm_reset(&token, NEW_PASSWORD)
        .await
        .assert(204, "");
    assert!(app.can_log_in("kim_two", NEW_PASSWORD).await);
    assert!(app.can_log_in("kim_one", PASSWORD).await);
}

#[tokio::test]
async fn expired_forged_and_voided_links_get_one_answer() {
    let app = TestApp::spawn().await;
    app.given_user("ada_voided").await;
    let expired = LinkToken::generate().unwrap();
    let user = app
        .users
        .find(&"ada_voided".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    app.users
        .save_reset_link(&expired, &user, past)
        .await
        .unwrap();
    let forged = LinkToken::generate().unwrap();
    // A live link, voided by signing out everywhere after it was sent.
    let voided = LinkToken::generate().unwrap();
    let in_a_while = OffsetDateTime::now_utc() + time::Duration::minutes(20);
    app.users
        .save_reset_link(&voided, &user, in_a_while)
        .await
        .unwrap();
    let session = app.token_for("ada_voided").await;
    app.logout_everywhere(
        app.authorized(event("user-logout-everywhere"), Some(&session))
            .await,
    )
    .await
    .assert(204, "");

    let mut messages = Vec::new();
    for token in [expired.as_str(), forged.as_str(), voided.as_str(), "nope"] {
        let reply = app.confirm_reset(token, NEW_PASSWORD).await;
        reply.assert(400, "token_invalid");
        messages.push(reply.body["message"].clone());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(app.can_log_in("ada_voided", PASSWORD).await);
}

#[tokio::test]
async fn links_are_limited_per_account_and_requests_per_client() {
    let app = TestApp::spawn().await;
    app.given_user("ada_limited").await;
    // Two requests a moment apart from one network: the account gets one link (one a minute
    // per asker). Someone else asking does not use up the owner's turns.
    app.ask_reset("ada_limited").await.assert(202, "");
    app.ask_reset("ada_limited@example.com")
        .await
        .assert(202, "");
    app.send_user_email().await;
    assert_eq!(mail_about("ada_limited@example.com", SUBJECT).len(), 1);
    app.ask_reset_from("ada_limited", "192.0.2.44")
        .await
        .assert(202, "");
    app.send_user_email().await;
    assert_eq!(mail_about("ada_limited@example.com", SUBJECT).len(), 2);

    // One network asking for many accounts is stopped (whatever the accounts), and says when to
    // ask again; another network is not.
    let mut last = None;
    for i in 0..20 {
        last = Some(
            app.ask_reset_from(&format!("someone{i}"), "198.51.100.9")
                .await,
        );
    }
    last.unwrap().assert(202, "");
    let refused = app.ask_reset_from("someone_else", "198.51.100.9").await;
    refused.assert(429, "too_many_emails");
    assert!(refused.response.headers().contains_key("retry-after"));
    app.ask_reset_from("someone_else", "198.51.100.10")
        .await
        .assert(202, "");
}

#[tokio::test]
async fn a_failed_send_gives_up_its_claim_and_a_lapsed_one_is_taken_over() {
    let app = TestApp::spawn().await;
    app.given_user("ada_resilient").await;
    app.ask_reset("ada_resilient").await.assert(202, "");
    app.deliver_stream("UserRelayFunction", |event| async {
        Some(app.user_relay(event).await)
    })
    .await;
    let failed = app
        .deliver("PasswordResetEmailQueue", |event| {
            app.user_mail("UserPasswordResetEmailFunction", event, true)
        })
        .await;
    assert_eq!((failed.delivered, failed.failed), (1, 1));
    app.send_user_email().await;
    assert_eq!(mail_about("ada_resilient@example.com", SUBJECT).len(), 1);

    // A sender died holding the claim of a request, two leases ago; the request comes again.
    let lapsed = OffsetDateTime::now_utc().unix_timestamp()
        - 2 * i64::try_from(shared::mail::LEASE.as_secs()).unwrap();
    app.dynamodb
        .put_item()
        .table_name(app.table("UsersTable"))
        .item("pk", AttributeValue::S("MAIL#died#ada_resilient".into()))
        .item("status", AttributeValue::S("SENDING".into()))
        .item("claimed_at", AttributeValue::N(lapsed.to_string()))
        .send()
        .await
        .unwrap();
    let request = PasswordResetRequested {
        request: "died".into(),
        login: "ada_resilient".into(),
        client: "203.0.113.7".into(),
    };
    shared::sqs::FifoQueue::new(app.sqs.clone(), app.queue("PasswordResetEmailQueue"))
        .send(&request, "died", "died")
        .await
        .unwrap();
    // Past the account's one-a-minute: the taken-over claim then skips, recorded as such.
    app.send_user_email().await;
    let record = app
        .users_items()
        .await
        .into_iter()
        .find(|item| {
            item["pk"]
                .as_s()
                .is_ok_and(|pk| pk == "MAIL#died#ada_resilient")
        })
        .unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "SKIPPED");
}

#[tokio::test]
async fn a_login_that_is_neither_a_username_nor_an_address_and_forms_from_other_sites_are_refused()
{
    let app = TestApp::spawn().await;
    for login in ["", "a", "not an address", "ada@", "\u{ffff}"] {
        let reply = app.ask_reset(login).await;
        reply.assert(400, "validation_failed");
        assert!(reply.body["fields"]["login"].is_string(), "{login:?}");
    }
    // A page on another site can post a form, not JSON: these public routes take JSON only.
    for (name, body) in [
        ("user-password-reset", "login=ada"),
        ("user-verify", "token=abc"),
        (
            "user-password-reset-confirm",
            "token=abc&new_password=abcdefghij",
        ),
    ] {
        let request = with_body(
            event(name),
            "application/x-www-form-urlencoded",
            body.to_owned(),
        );
        let reply = match name {
            "user-password-reset" => app.password_reset(request).await,
            "user-verify" => app.verify(request).await,
            _ => app.password_reset_confirm(request).await,
        };
        reply.assert(415, "unsupported_media_type");
    }
}

#[tokio::test]
async fn an_address_gets_at_most_ten_e_mails_a_day_however_many_accounts_name_it() {
    let app = TestApp::spawn().await;
    // The mailbox is moto's, shared by every test and every run against one stack.
    let address = format!("victim-{}@example.com", uuid::Uuid::new_v4().simple());
    for i in 0..11 {
        let body = json!({
            "username": format!("victim{i}"), "password": PASSWORD,
            "email": address, "first_name": "V", "last_name": "Ictim",
        });
        app.register(with_json(event("user-create"), &body))
            .await
            .assert(201, "");
    }
    app.send_user_email().await;
    assert_eq!(
        mail_about(&address, "Confirm your e-mail address").len(),
        10
    );
    // A reset link to that address is held back too.
    app.ask_reset("victim0").await.assert(202, "");
    app.send_user_email().await;
    assert!(mail_about(&address, SUBJECT).is_empty());
}
