//! The account lifecycle after registration: changing a password and signing out everywhere,
//! against DynamoDB Local.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

use crate::support::{PASSWORD, Reply, TestApp, event, with_json};

const NEW_PASSWORD: &str = "a new and longer passphrase";

impl TestApp {
    /// `POST /api/user/password` with `token`.
    async fn change_password_with(&self, token: &str, current: &str, new: &str) -> Reply {
        let body = json!({ "current_password": current, "new_password": new });
        let request = with_json(event("user-password-change"), &body);
        self.change_password(self.authorized(request, Some(token)).await)
            .await
    }

    /// `GET /api/user` with `token`: 200 while its session lives, 401 once it ended.
    async fn status_of(&self, token: &str) -> u16 {
        self.current(self.authorized(event("user-current"), Some(token)).await)
            .await
            .status
            .as_u16()
    }

    /// The status of a log-in of `username` with `password`.
    async fn log_in_status(&self, username: &str, password: &str) -> u16 {
        let body = json!({ "username": username, "password": password });
        self.login(with_json(event("user-login"), &body))
            .await
            .status
            .as_u16()
    }
}

fn field_error<'a>(reply: &'a Reply, field: &str) -> &'a str {
    reply.assert(400, "validation_failed");
    reply.body["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {field}: {}", reply.body))
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_and_keeps_this_browser_signed_in() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let here = app.token_for("ada").await;
    let elsewhere = app.token_for("ada").await;

    let changed = app
        .change_password_with(&here, PASSWORD, NEW_PASSWORD)
        .await;
    changed.assert(200, "");
    assert_eq!(changed.body["token_type"], "Bearer");
    assert_eq!(changed.body["user"]["username"], "ada");
    assert!(changed.body["user"].get("password_hash").is_none());
    let renewed = changed.body["token"].as_str().unwrap();

    assert_eq!(app.status_of(&here).await, 401);
    assert_eq!(app.status_of(&elsewhere).await, 401);
    assert_eq!(app.status_of(renewed).await, 200);
    assert_eq!(app.log_in_status("ada", PASSWORD).await, 401);
    assert_eq!(app.log_in_status("ada", NEW_PASSWORD).await, 200);
}

#[tokio::test]
async fn a_refused_password_change_says_why_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let token = app.token_for("ada").await;

    let wrong = app
        .change_password_with(&token, "not my password", NEW_PASSWORD)
        .await;
    assert_eq!(
        field_error(&wrong, "current_password"),
        "is not your current password"
    );
    let common = app
        .change_password_with(&token, PASSWORD, "Password123")
        .await;
    assert!(field_error(&common, "new_password").contains("most common passwords"));
    let short = app.change_password_with(&token, PASSWORD, "short").await;
    assert_eq!(
        field_error(&short, "new_password"),
        "must be 8 to 128 characters long"
    );
    let same = app.change_password_with(&token, PASSWORD, PASSWORD).await;
    assert_eq!(
        field_error(&same, "new_password"),
        "must differ from your current password"
    );
    let body =
        json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD, "username": "eve" });
    let request = with_json(event("user-password-change"), &body);
    app.change_password(app.authorized(request, Some(&token)).await)
        .await
        .assert(400, "invalid_body");
    let anonymous = with_json(
        event("user-password-change"),
        &json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
    );
    app.change_password(app.authorized(anonymous, None).await)
        .await
        .assert(401, "unauthorized");

    assert_eq!(app.status_of(&token).await, 200, "the session lives on");
    assert_eq!(app.log_in_status("ada", PASSWORD).await, 200);
}

/// A token alone cannot guess the password at speed: wrong current passwords count as failed
/// log-ins do.
#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_log_ins() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let token = app.token_for("ada").await;
    let mut statuses = Vec::new();
    for guess in 0..7 {
        let reply = app
            .change_password_with(&token, &format!("guess number {guess}"), NEW_PASSWORD)
            .await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429, 429]);
    assert_eq!(app.status_of(&token).await, 200);
    // The same count as log-ins: the right password does not get in from here either, for now.
    assert_eq!(app.log_in_status("ada", PASSWORD).await, 429);
}

#[tokio::test]
async fn a_new_password_may_not_be_the_username_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.given_user("lovelace1815").await;
    let token = app.token_for("lovelace1815").await;
    let own_name = app
        .change_password_with(&token, PASSWORD, " LoveLace1815")
        .await;
    assert_eq!(
        field_error(&own_name, "new_password"),
        "must not be your username"
    );
}

/// The write itself refuses a change made from a stale read of the user, whatever the handler
/// checked before it: of two racing changes, the second to write changes nothing.
#[tokio::test]
async fn a_password_change_from_a_stale_read_writes_nothing() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let ada = shared::ids::Username::parse("ada").unwrap();
    let stale = app.users.find(&ada).await.unwrap().unwrap();
    let at = time::OffsetDateTime::now_utc();
    let first = app.users.change_password(&stale, "first".into(), at).await;
    assert_eq!(first.unwrap().unwrap().session_epoch, 1);
    assert!(
        app.users
            .change_password(&stale, "second".into(), at)
            .await
            .unwrap()
            .is_none()
    );
    let now = app.users.find(&ada).await.unwrap().unwrap();
    assert_eq!(
        (now.password_hash.as_str(), now.session_epoch),
        ("first", 1)
    );
}

/// Two changes racing from one session: one wins, the other changes nothing, and only the
/// winner's password logs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_password_changes_exactly_one_lands() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let token = app.token_for("ada").await;
    let candidates = ["first new passphrase", "second new passphrase"];
    let (first, second) = tokio::join!(
        app.change_password_with(&token, PASSWORD, candidates[0]),
        app.change_password_with(&token, PASSWORD, candidates[1]),
    );
    let replies = [&first, &second];
    let winners: Vec<usize> = (0..2).filter(|&i| replies[i].status == 200).collect();
    assert_eq!(winners.len(), 1, "{first:?} {second:?}");
    let loser = replies[1 - winners[0]];
    // The loser either lost the write (409) or read the winner's hash and found its current
    // password wrong (400, before `password_changed` could be told apart), or the session it
    // checked had already ended (401).
    assert!(
        [400, 401, 409].contains(&loser.status.as_u16()),
        "{loser:?} changed something"
    );
    assert_eq!(app.log_in_status("ada", candidates[winners[0]]).await, 200);
    assert_eq!(
        app.log_in_status("ada", candidates[1 - winners[0]]).await,
        401
    );
    assert_eq!(app.log_in_status("ada", PASSWORD).await, 401);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_account_only() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    app.given_user("grace").await;
    let here = app.token_for("ada").await;
    let elsewhere = app.token_for("ada").await;
    let someone_else = app.token_for("grace").await;

    app.logout_everywhere(
        app.authorized(event("user-logout-everywhere"), Some(&here))
            .await,
    )
    .await
    .assert(204, "");
    assert_eq!(app.status_of(&here).await, 401);
    assert_eq!(app.status_of(&elsewhere).await, 401);
    assert_eq!(app.status_of(&someone_else).await, 200);
    let again = app
        .logout_everywhere(
            app.authorized(event("user-logout-everywhere"), Some(&here))
                .await,
        )
        .await;
    again.assert(401, "unauthorized");

    // Signing in again starts a session of the new epoch, which lives.
    let next = app.token_for("ada").await;
    assert_eq!(app.status_of(&next).await, 200);
}

/// Sessions and users stored before sessions had epochs (no `epoch`, no `session_epoch`) live on.
#[tokio::test]
async fn sessions_from_before_epochs_still_work() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let token = app.token_for("ada").await;
    let table = app.table("UsersTable");
    let sessions = app
        .dynamodb
        .scan()
        .table_name(table)
        .filter_expression("begins_with(pk, :session)")
        .expression_attribute_values(":session", AttributeValue::S("SESSION#".into()))
        .send()
        .await
        .unwrap();
    let mut keys: Vec<(AttributeValue, &str)> = sessions
        .items()
        .iter()
        .map(|item| (item["pk"].clone(), "epoch"))
        .collect();
    assert_eq!(keys.len(), 1);
    keys.push((AttributeValue::S("USER#ada".into()), "session_epoch"));
    for (pk, attribute) in keys {
        app.dynamodb
            .update_item()
            .table_name(table)
            .key("pk", pk)
            .update_expression(format!("REMOVE {attribute}"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(app.status_of(&token).await, 200);

    // Both ways of ending every session count the epoch up from nothing.
    let changed = app
        .change_password_with(&token, PASSWORD, NEW_PASSWORD)
        .await;
    changed.assert(200, "");
    assert_eq!(app.status_of(&token).await, 401);
    let renewed = changed.body["token"].as_str().unwrap();
    assert_eq!(app.status_of(renewed).await, 200);
    app.logout_everywhere(
        app.authorized(event("user-logout-everywhere"), Some(renewed))
            .await,
    )
    .await
    .assert(204, "");
    assert_eq!(app.status_of(renewed).await, 401);
}
