//! Staying signed in: the refresh token log-in sets in a cookie, rotated on every use, and the
//! end of every session that a replaced one is used again in, against DynamoDB Local.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use serde_json::json;
use time::OffsetDateTime;

use crate::support::{PASSWORD, Reply, TestApp, event, with_json};

/// The refresh token a reply sets (`name=value`), if it sets one that is not a clearing.
pub(crate) fn set_token(reply: &Reply) -> Option<String> {
    let header = set_cookie(reply)?;
    let pair = header.split(';').next()?.to_owned();
    (!pair.ends_with('=')).then_some(pair)
}

/// The whole `Set-Cookie` header of a reply, if it has one.
fn set_cookie(reply: &Reply) -> Option<String> {
    let mut headers = reply.response.headers().get_all(SET_COOKIE).iter();
    let header = headers.next()?.to_str().unwrap().to_owned();
    assert!(headers.next().is_none(), "one cookie at most");
    Some(header)
}

pub(crate) fn clears_the_cookie(reply: &Reply) -> bool {
    set_cookie(reply).is_some_and(|header| {
        header.starts_with("__Secure-shop_rt=; ") && header.contains("Max-Age=0;")
    })
}

impl TestApp {
    /// `POST /api/user/session/refresh` with `cookie` (`name=value`), as a browser sends it
    /// from the shop's own page.
    pub(crate) async fn refresh_with(&self, cookie: &str) -> Reply {
        let mut request = event("user-session-refresh");
        request
            .headers_mut()
            .insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        self.refresh(request).await
    }

    /// Logs ada in: the access token and the refresh cookie.
    async fn ada_logs_in(&self) -> (String, String) {
        let body = json!({ "username": "ada", "password": PASSWORD });
        let reply = self.login(with_json(event("user-login"), &body)).await;
        reply.assert(200, "");
        let token = reply.body["token"].as_str().unwrap().to_owned();
        (
            token,
            set_token(&reply).expect("log-in sets the refresh cookie"),
        )
    }

    /// Changes, in the table, the session the refresh `cookie` continues.
    async fn change_session(
        &self,
        cookie: &str,
        expression: &str,
        value: Option<(&str, AttributeValue)>,
    ) {
        let session = cookie["__Secure-shop_rt=".len()..]
            .split('.')
            .next()
            .unwrap();
        let mut update = self
            .dynamodb
            .update_item()
            .table_name(self.table("UsersTable"))
            .key("pk", AttributeValue::S(format!("SESSION#{session}")))
            .update_expression(expression);
        if let Some((name, value)) = value {
            update = update.expression_attribute_values(name, value);
        }
        update.send().await.unwrap();
    }

    async fn works(&self, token: &str) -> bool {
        let request = self.authorized(event("user-current"), Some(token)).await;
        self.current(request).await.status == 200
    }
}

#[tokio::test]
async fn log_in_sets_a_refresh_cookie_that_scripts_cannot_read_and_other_sites_cannot_send() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let body = json!({ "username": "ada", "password": PASSWORD });
    let reply = app.login(with_json(event("user-login"), &body)).await;
    reply.assert(200, "");
    assert_eq!(
        reply.body["expires_in"], 900,
        "access tokens last 15 minutes"
    );
    let header = set_cookie(&reply).unwrap();
    assert!(header.starts_with("__Secure-shop_rt="), "{header}");
    for attribute in [
        "; Path=/api/user/session;",
        "; Max-Age=1209600;",
        "; HttpOnly;",
        "; Secure;",
        "; SameSite=Strict",
    ] {
        assert!(header.contains(attribute), "{header} lacks {attribute}");
    }
    let secret = header.split(';').next().unwrap().split('.').nth(1).unwrap();
    assert!(
        !reply.body.to_string().contains(secret),
        "the body holds no refresh token"
    );
}

#[tokio::test]
async fn a_refresh_token_rotates_on_every_use() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, first) = app.ada_logs_in().await;
    let once = app.refresh_with(&first).await;
    once.assert(200, "");
    assert_eq!(once.body["user"]["username"], "ada");
    let second = set_token(&once).expect("a new refresh token");
    assert_ne!(second, first);
    assert!(app.works(once.body["token"].as_str().unwrap()).await);
    let twice = app.refresh_with(&second).await;
    twice.assert(200, "");
    assert_ne!(set_token(&twice).unwrap(), second);
}

/// Two tabs of one browser send the same cookie at the same moment: both get an access token,
/// one rotation happens, and the session goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tabs_refreshing_at_once_both_stay_signed_in() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, cookie) = app.ada_logs_in().await;
    let (one, two) = tokio::join!(app.refresh_with(&cookie), app.refresh_with(&cookie));
    one.assert(200, "");
    two.assert(200, "");
    // Both get the same next token: the loser of the race gets the winner's again.
    let rotated: Vec<String> = [&one, &two].into_iter().filter_map(set_token).collect();
    assert_eq!(rotated.len(), 2, "{rotated:?}");
    assert_eq!(rotated[0], rotated[1]);
    for reply in [&one, &two] {
        assert!(app.works(reply.body["token"].as_str().unwrap()).await);
    }
    app.refresh_with(&rotated[0]).await.assert(200, "");
}

/// The answer that rotated a token never reached the browser (a reload in the middle, a dropped
/// connection): presented again at once, the same token gets the same next token.
#[tokio::test]
async fn a_browser_that_missed_the_rotation_gets_the_same_next_token_again() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, first) = app.ada_logs_in().await;
    let lost = set_token(&app.refresh_with(&first).await).unwrap();
    let again = app.refresh_with(&first).await;
    again.assert(200, "");
    assert_eq!(set_token(&again).as_deref(), Some(lost.as_str()));
    app.refresh_with(&lost).await.assert(200, "");
}

/// A token replaced twice over is reuse too, however long ago: the thief who refreshed twice
/// does not keep the session when its owner comes back.
#[tokio::test]
async fn a_token_replaced_twice_over_ends_the_session_when_used() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, owners) = app.ada_logs_in().await;
    let thiefs = set_token(&app.refresh_with(&owners).await).unwrap();
    let thiefs = set_token(&app.refresh_with(&thiefs).await).unwrap();
    let reused = app.refresh_with(&owners).await;
    reused.assert(401, "unauthorized");
    assert!(clears_the_cookie(&reused));
    app.refresh_with(&thiefs).await.assert(401, "unauthorized");
}

/// A refresh token presented again after it was replaced means two parties hold the session:
/// it ends, for both.
#[tokio::test]
async fn a_replaced_refresh_token_used_again_ends_the_session() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, stolen) = app.ada_logs_in().await;
    let rotation = app.refresh_with(&stolen).await;
    let current = set_token(&rotation).unwrap();
    let access = rotation.body["token"].as_str().unwrap().to_owned();
    // Past the grace two racing tabs get.
    let earlier = OffsetDateTime::now_utc().unix_timestamp() - 60;
    app.change_session(
        &stolen,
        "SET rotated_at = :earlier",
        Some((":earlier", AttributeValue::N(earlier.to_string()))),
    )
    .await;

    let reused = app.refresh_with(&stolen).await;
    reused.assert(401, "unauthorized");
    assert!(clears_the_cookie(&reused));
    let after = app.refresh_with(&current).await;
    after.assert(401, "unauthorized");
    assert!(!app.works(&access).await, "its access tokens stop too");
    let (fresh, _) = app.ada_logs_in().await;
    assert!(app.works(&fresh).await, "a new log-in is a new session");
}

#[tokio::test]
async fn a_forged_refresh_token_is_refused_and_ends_nothing() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, cookie) = app.ada_logs_in().await;
    let session = &cookie[..cookie.find('.').unwrap()];
    let forged = format!("{session}.{}", "A".repeat(43));
    let refused = app.refresh_with(&forged).await;
    refused.assert(401, "unauthorized");
    assert!(clears_the_cookie(&refused));
    app.refresh_with("__Secure-shop_rt=nonsense")
        .await
        .assert(401, "unauthorized");
    app.refresh_with("theme=dark")
        .await
        .assert(401, "unauthorized");
    app.refresh_with(&cookie).await.assert(200, "");
}

#[tokio::test]
async fn a_request_another_sites_page_makes_is_refused() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (_, cookie) = app.ada_logs_in().await;
    let mut request = event("user-session-refresh");
    let headers = request.headers_mut();
    headers.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
    headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
    app.refresh(request).await.assert(403, "forbidden");
    app.refresh_with(&cookie).await.assert(200, "");
}

#[tokio::test]
async fn logging_out_anywhere_ends_the_refresh_token_too() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;

    let (token, cookie) = app.ada_logs_in().await;
    let logout = app
        .logout(app.authorized(event("user-logout"), Some(&token)).await)
        .await;
    logout.assert(204, "");
    assert!(clears_the_cookie(&logout));
    app.refresh_with(&cookie).await.assert(401, "unauthorized");

    let (token, cookie) = app.ada_logs_in().await;
    let (_, elsewhere) = app.ada_logs_in().await;
    let everywhere = app
        .logout_everywhere(
            app.authorized(event("user-logout-everywhere"), Some(&token))
                .await,
        )
        .await;
    everywhere.assert(204, "");
    assert!(clears_the_cookie(&everywhere));
    app.refresh_with(&cookie).await.assert(401, "unauthorized");
    app.refresh_with(&elsewhere)
        .await
        .assert(401, "unauthorized");

    // A password change ends the other sessions' refresh tokens and sets this one's new token.
    let (token, cookie) = app.ada_logs_in().await;
    let body =
        json!({ "current_password": PASSWORD, "new_password": "a new and longer passphrase" });
    let request = with_json(event("user-password-change"), &body);
    let changed = app
        .change_password(app.authorized(request, Some(&token)).await)
        .await;
    changed.assert(200, "");
    app.refresh_with(&cookie).await.assert(401, "unauthorized");
    app.refresh_with(&set_token(&changed).unwrap())
        .await
        .assert(200, "");
}

/// Sessions started before refresh tokens have none, and cannot be refreshed.
#[tokio::test]
async fn a_session_from_before_refresh_tokens_cannot_be_refreshed() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (token, cookie) = app.ada_logs_in().await;
    app.change_session(&cookie, "REMOVE refresh_hash, started_at", None)
        .await;
    assert!(
        app.works(&token).await,
        "its access token works until it expires"
    );
    app.refresh_with(&cookie).await.assert(401, "unauthorized");
}
