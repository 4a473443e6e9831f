//! Confirming an e-mail address: registration's e-mail through the users outbox, its queue and
//! SES (moto), the link's token used once, and asking again, against DynamoDB Local.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use time::OffsetDateTime;
use users::email::{LinkToken, VerificationRequested};
use xtask::local::gateway::mailbox::Mail;

use crate::support::mailbox::sent_to;
use crate::support::{Reply, STOREFRONT_DOMAIN, TestApp, event, with_json};

impl TestApp {
    /// What happens after a registration, a request for a link or a deletion: the users outbox
    /// relayed, its e-mails sent and its erasures done, until nothing is left to do (failed messages stay for later).
    pub(crate) async fn send_user_email(&self) {
        // Done after two quiet rounds in a row, a moment apart: on a busy machine an outbox
        // record or a redelivered message can show a moment after the round that looked for it.
        // (An address's tenth e-mail, once missed, was not that: its quota dropped it.)
        let mut quiet = false;
        for _ in 0..20 {
            let relayed = self
                .deliver_stream("UserRelayFunction", |event| async {
                    Some(self.user_relay(event).await)
                })
                .await;
            let verifications = self
                .deliver("VerificationEmailQueue", |event| {
                    self.verification_email(event)
                })
                .await;
            let resets = self
                .deliver("PasswordResetEmailQueue", |event| {
                    self.password_reset_email(event)
                })
                .await;
            let notices = self
                .deliver("NoticeEmailQueue", |event| self.notice_email(event))
                .await;
            let erasures = self
                .deliver("UserErasureQueue", |event| self.user_erase(event))
                .await;
            if relayed.batches == 0
                && [verifications, resets, notices, erasures]
                    .iter()
                    .all(|pass| pass.delivered == pass.failed)
            {
                if quiet {
                    return;
                }
                quiet = true;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            } else {
                quiet = false;
            }
        }
        panic!("the users e-mails did not settle in 20 rounds");
    }

    /// One pass of the users outbox, with the verification queue out of reach.
    async fn relay_during_queue_outage(&self) -> xtask::streams::Pass {
        let relay = self.function("UserRelayFunction");
        let destinations = users::handlers::relay::Destinations {
            verification_email: shared::sqs::FifoQueue::new(
                self.cut_off("UserRelayFunction").sqs,
                self.queue("VerificationEmailQueue"),
            ),
            password_reset_email: relay.queue("PasswordResetEmailQueue"),
            notice_email: relay.queue("NoticeEmailQueue"),
            user_erasure: relay.queue("UserErasureQueue"),
            order_erasure: relay.queue("OrderErasureQueue"),
            payment_erasure: relay.queue("PaymentErasureQueue"),
        };
        self.deliver_stream("UserRelayFunction", |event| async {
            Some(users::handlers::relay::handle(&relay.users(), &destinations, event).await)
        })
        .await
    }

    /// Queues `username`'s verification request `request` as the relay would.
    async fn queue_request(&self, request: &str, username: &str) {
        let message = VerificationRequested {
            request: request.to_owned(),
            username: username.parse().unwrap(),
            email: format!("{username}@example.com"),
            change: None,
        };
        shared::sqs::FifoQueue::new(self.sqs.clone(), self.queue("VerificationEmailQueue"))
            .send(
                &message,
                username,
                &uuid::Uuid::new_v4().simple().to_string(),
            )
            .await
            .unwrap();
    }

    async fn verify_with(&self, token: &str) -> Reply {
        self.verify(with_json(event("user-verify"), &json!({ "token": token })))
            .await
    }

    async fn resend_for(&self, token: &str) -> Reply {
        self.verify_resend(
            self.authorized(event("user-verify-resend"), Some(token))
                .await,
        )
        .await
    }

    /// Every item of the users table.
    pub(crate) async fn users_items(
        &self,
    ) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        self.dynamodb
            .scan()
            .table_name(self.table("UsersTable"))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default()
    }

    /// `GET /api/user`'s `email_verified`.
    pub(crate) async fn email_verified(&self, token: &str) -> Value {
        let reply = self
            .current(self.authorized(event("user-current"), Some(token)).await)
            .await;
        reply.assert(200, "");
        reply.body["email_verified"].clone()
    }
}

/// A link for `address` as an account's own address.
fn own(address: &str) -> users::domain::Confirming<'_> {
    users::domain::Confirming {
        address,
        change: None,
    }
}

/// The token of the link to the storefront's `page` in `mail`.
pub(crate) fn link_token(mail: &Mail, page: &str) -> String {
    let prefix = format!("https://{STOREFRONT_DOMAIN}/#/{page}?token=");
    let link = mail
        .links
        .iter()
        .find(|link| link.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no link to #/{page} in {:?}", mail.text));
    link[prefix.len()..].to_owned()
}

pub(crate) fn verification_mail(address: &str) -> Vec<Mail> {
    mail_about(address, "Confirm your e-mail address")
}

/// The e-mails to `address` with `subject`, newest first.
pub(crate) fn mail_about(address: &str, subject: &str) -> Vec<Mail> {
    sent_to(address)
        .into_iter()
        .filter(|mail| mail.subject == subject)
        .collect()
}

#[tokio::test]
async fn registering_e_mails_a_link_that_confirms_the_address_once() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_verifies").await;
    let session = app.token_for("ada_verifies").await;
    assert_eq!(app.email_verified(&session).await, false);

    app.send_user_email().await;
    let mail = verification_mail("ada_verifies@example.com");
    assert_eq!(mail.len(), 1, "one e-mail");
    let mail = &mail[0];
    assert!(mail.text.contains("Hello Test"), "{}", mail.text);
    let html = mail.html.as_deref().expect("an HTML part");
    let token = link_token(mail, "verify");
    assert!(html.contains(&token), "the HTML part carries the same link");

    // Only the token's hash rests in the table.
    let items = app.users_items().await;
    assert!(
        !format!("{items:?}").contains(&token),
        "the raw token is stored"
    );

    app.verify_with(&token).await.assert(204, "");
    assert_eq!(app.email_verified(&session).await, true);
    // A link works once.
    app.verify_with(&token).await.assert(400, "token_invalid");
    // And nothing more is sent: the outbox is empty.
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_verifies@example.com").len(), 1);
}

#[tokio::test]
async fn a_request_delivered_twice_sends_one_e_mail() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_twice").await;
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_twice@example.com").len(), 1);
    // The same request again, after the FIFO queue's five minutes of deduplication (a
    // re-drive, a replay): its record says it was sent.
    let request = app
        .users_items()
        .await
        .iter()
        .find_map(|item| {
            item["pk"]
                .as_s()
                .ok()?
                .strip_prefix("MAIL#")
                .map(str::to_owned)
        })
        .expect("the e-mail's record");
    app.queue_request(&request, "ada_twice").await;
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_twice@example.com").len(), 1);
}

#[tokio::test]
async fn expired_forged_and_malformed_tokens_get_one_answer() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_forged").await;
    let username = "ada_forged".parse().unwrap();
    let expired = LinkToken::generate().unwrap();
    app.users
        .save_verification_link(
            &expired,
            &username,
            own("ada_forged@example.com"),
            OffsetDateTime::now_utc() - time::Duration::seconds(1),
        )
        .await
        .unwrap();
    let forged = LinkToken::generate().unwrap();
    let mut messages = Vec::new();
    for token in [expired.as_str(), forged.as_str(), "not-a-token", ""] {
        let reply = app.verify_with(token).await;
        reply.assert(400, "token_invalid");
        messages.push(reply.body["message"].clone());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");
    // A link for an address the account no longer has does nothing either.
    let stale = LinkToken::generate().unwrap();
    let in_a_day = OffsetDateTime::now_utc() + time::Duration::DAY;
    app.users
        .save_verification_link(&stale, &username, own("someone.else@example.com"), in_a_day)
        .await
        .unwrap();
    app.verify_with(stale.as_str())
        .await
        .assert(400, "token_invalid");
    let session = app.token_for("ada_forged").await;
    assert_eq!(app.email_verified(&session).await, false);
}

#[tokio::test]
async fn asking_again_is_limited_and_refused_once_confirmed() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_resends").await;
    let session = app.token_for("ada_resends").await;
    app.send_user_email().await;

    let asked = app.resend_for(&session).await;
    asked.assert(202, "");
    assert_eq!(asked.body["email"], "ada_resends@example.com");
    let again = app.resend_for(&session).await;
    again.assert(429, "too_many_emails");
    let wait: u64 = again.response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    app.send_user_email().await;
    let mail = verification_mail("ada_resends@example.com");
    assert_eq!(mail.len(), 2, "the first and the one asked for");
    // Either link works (the newest is first); the other then finds the address confirmed.
    app.verify_with(&link_token(&mail[0], "verify"))
        .await
        .assert(204, "");
    app.resend_for(&session)
        .await
        .assert(409, "already_verified");
}

#[tokio::test]
async fn concurrent_requests_to_resend_queue_one_e_mail() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_races").await;
    let session = app.token_for("ada_races").await;
    app.send_user_email().await;
    let replies = futures::future::join_all((0..6).map(|_| app.resend_for(&session))).await;
    let queued = replies.iter().filter(|reply| reply.status == 202).count();
    assert_eq!(
        queued,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .all(|reply| reply.status == 202 || reply.status == 429)
    );
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_races@example.com").len(), 2);
}

#[tokio::test]
async fn a_failed_send_gives_up_its_claim_so_the_next_delivery_sends_at_once() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_retries").await;
    app.deliver_stream("UserRelayFunction", |event| async {
        Some(app.user_relay(event).await)
    })
    .await;
    // SES does not answer.
    let failed = app
        .deliver("VerificationEmailQueue", |event| {
            app.user_mail("UserVerificationEmailFunction", event, true)
        })
        .await;
    assert_eq!((failed.delivered, failed.failed), (1, 1));
    let claims = app
        .users_items()
        .await
        .into_iter()
        .filter(|item| item["pk"].as_s().is_ok_and(|pk| pk.starts_with("MAIL#")))
        .count();
    assert_eq!(claims, 0, "the claim was released");
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_retries@example.com").len(), 1);
}

#[tokio::test]
async fn a_claim_left_by_a_sender_that_died_is_taken_over_once_its_lease_lapses() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_lapsed").await;
    app.send_user_email().await;
    let lapsed = OffsetDateTime::now_utc().unix_timestamp()
        - 2 * i64::try_from(shared::mail::LEASE.as_secs()).unwrap();
    app.dynamodb
        .put_item()
        .table_name(app.table("UsersTable"))
        .item("pk", AttributeValue::S("MAIL#died".into()))
        .item("status", AttributeValue::S("SENDING".into()))
        .item("claimed_at", AttributeValue::N(lapsed.to_string()))
        .send()
        .await
        .unwrap();
    app.queue_request("died", "ada_lapsed").await;
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_lapsed@example.com").len(), 2);
}

#[tokio::test]
async fn an_e_mail_the_relay_could_not_queue_for_an_hour_is_reported_and_can_be_asked_for_again() {
    let app = TestApp::spawn().await;
    app.given_unverified_user("ada_outage").await;
    let session = app.token_for("ada_outage").await;
    let pass = app.relay_during_queue_outage().await;
    assert_eq!((pass.failed, pass.given_up), (1, 0));
    app.let_time_pass_for("UserRelayFunction", 3601).await;
    let pass = app.relay_during_queue_outage().await;
    assert_eq!((pass.batches, pass.given_up), (0, 1), "{pass:?}");
    assert_eq!(app.drain("OutboxFailuresQueue").await.len(), 1);
    assert!(verification_mail("ada_outage@example.com").is_empty());

    app.resend_for(&session).await.assert(202, "");
    app.send_user_email().await;
    assert_eq!(verification_mail("ada_outage@example.com").len(), 1);
}
