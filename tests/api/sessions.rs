//! Logging in and out: tokens, the throttle on failed log-ins, and the authorizer that checks
//! every protected request, against DynamoDB Local.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::RequestExt;
use serde_json::json;
use time::OffsetDateTime;

use crate::support::{EDGE_KEY, PASSWORD, Reply, TestApp, event, from_address, with_json};

#[tokio::test]
async fn logging_in_returns_a_token_that_works_until_logout() {
    let app = TestApp::spawn().await;
    app.register(event("user-create")).await.assert(201, "");
    let reply = app.login(event("user-login")).await;
    reply.assert(200, "");
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert_eq!(reply.body["user"]["username"], "ada");
    assert!(reply.body["user"].get("password_hash").is_none());
    let token = reply.body["token"].as_str().unwrap().to_owned();

    let me = app
        .current(app.authorized(event("user-current"), Some(&token)).await)
        .await;
    me.assert(200, "");
    assert_eq!(me.body["username"], "ada");
    assert_eq!(me.body["email"], "ada@example.com");

    // A second session of the same user outlives the first one's logout.
    let other_token = app.token_for("ada").await;
    app.logout(app.authorized(event("user-logout"), Some(&token)).await)
        .await
        .assert(204, "");
    let after = app
        .current(app.authorized(event("user-current"), Some(&token)).await)
        .await;
    after.assert(401, "unauthorized");
    assert!(
        after.body["message"]
            .as_str()
            .unwrap()
            .contains("session has ended")
    );
    assert_eq!(after.response.headers()["www-authenticate"], "Bearer");
    app.current(
        app.authorized(event("user-current"), Some(&other_token))
            .await,
    )
    .await
    .assert(200, "");
}

#[tokio::test]
async fn log_in_works_whatever_the_case_of_the_username() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let body = json!({ "username": "ADA", "password": PASSWORD });
    app.login(with_json(event("user-login"), &body))
        .await
        .assert(200, "");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;

    let wrong = app.login(event("user-login-wrong-password")).await;
    wrong.assert(401, "invalid_credentials");
    for username in ["nobody", "x", "not a valid name!"] {
        let body = json!({ "username": username, "password": PASSWORD });
        let unknown = app.login(with_json(event("user-login"), &body)).await;
        assert_eq!(unknown.status, wrong.status);
        assert_eq!(unknown.body, wrong.body);
    }
    let long = json!({ "username": "ada", "password": "p".repeat(500) });
    assert_eq!(
        app.login(with_json(event("user-login"), &long)).await.body,
        wrong.body
    );
}

/// Sends a log-in from `address`.
fn log_in_from<'a>(
    app: &'a TestApp,
    address: &str,
    username: &str,
    password: &str,
) -> impl Future<Output = Reply> + 'a {
    let body = json!({ "username": username, "password": password });
    app.login(from_address(with_json(event("user-login"), &body), address))
}

/// The seconds a 429 asks the client to wait.
fn retry_after(refused: &Reply) -> u64 {
    refused.assert(429, "too_many_attempts");
    refused.response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Moves the wait of the count under `key` into the past, as if it had passed.
async fn let_the_wait_pass(app: &TestApp, key: &str) {
    wait_until(app, key, -1).await;
}

/// Sets the wait of the count under `key` to end `seconds` from now, and returns the count as it
/// was: its failures, and when its wait ended (Unix seconds). (A five-second wait set by the
/// test's own guesses could pass, on a busy machine, before the test has looked at it.)
async fn wait_until(app: &TestApp, key: &str, seconds: i64) -> (u32, i64) {
    let count = app
        .dynamodb
        .update_item()
        .table_name(app.table("UsersTable"))
        .key("pk", AttributeValue::S(key.into()))
        .update_expression("SET not_before = :until")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(
            ":until",
            AttributeValue::N((OffsetDateTime::now_utc().unix_timestamp() + seconds).to_string()),
        )
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    let was = count.attributes().unwrap();
    let number = |name: &str| was[name].as_n().unwrap().clone();
    (
        number("failures").parse().unwrap(),
        number("not_before").parse().unwrap(),
    )
}

#[tokio::test]
async fn repeated_failed_log_ins_are_slowed_down_for_a_while_only() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let home = "203.0.113.7";
    let mut fifth = Instant::now();
    for _ in 0..5 {
        fifth = Instant::now();
        log_in_from(&app, home, "ada", "wrong password")
            .await
            .assert(401, "invalid_credentials");
    }
    // Even the right password waits now: the guesser cannot tell when they got it. The wait
    // is 30 s from the fifth failure, less the time since (stored in whole seconds).
    let refused = log_in_from(&app, home, "ada", PASSWORD).await;
    let shortest = 28 - fifth.elapsed().as_secs().min(28);
    assert!(
        (shortest..=30).contains(&retry_after(&refused)),
        "{refused:?}"
    );
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("seconds")
    );

    // Names nobody has are counted the same, so the answer reveals nothing.
    for _ in 0..5 {
        log_in_from(&app, home, "nobody", "guess")
            .await
            .assert(401, "invalid_credentials");
    }
    retry_after(&log_in_from(&app, home, "nobody", "guess").await);

    // When the wait is over, the owner logs in, and that clears the account's counts.
    let_the_wait_pass(&app, &format!("THROTTLE#ada#FROM#{home}")).await;
    log_in_from(&app, home, "ada", PASSWORD)
        .await
        .assert(200, "");
    for _ in 0..4 {
        log_in_from(&app, home, "ada", "wrong password")
            .await
            .assert(401, "invalid_credentials");
    }
    log_in_from(&app, home, "ada", PASSWORD)
        .await
        .assert(200, "");
}

/// Each guess reserves its password check before making it, so a burst of concurrent guesses
/// gets no more checks than guesses made one at a time would.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_wrong_passwords_reach_the_password_check_five_times_at_most() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let replies = futures::future::join_all(
        (0..50).map(|_| log_in_from(&app, "198.51.100.66", "ada", "wrong password")),
    )
    .await;
    let checked = replies.iter().filter(|reply| reply.status == 401).count();
    let refused = replies.iter().filter(|reply| reply.status == 429).count();
    assert_eq!(checked + refused, 50, "{replies:?}");
    assert!((1..=5).contains(&checked), "{checked} guesses were checked");
}

/// A guesser hammering an account from one address is slowed down there; the owner, from another
/// address, is not. A guesser spread over many addresses slows the account down, but not where
/// the owner has logged in before; from a new address the owner waits a minute at most, then
/// gets in.
#[tokio::test]
async fn guessers_elsewhere_keep_the_owner_out_a_minute_at_a_time_and_never_where_known() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let home = "203.0.113.7";
    for _ in 0..20 {
        let reply = log_in_from(&app, "198.51.100.66", "ada", "wrong password").await;
        assert!(reply.status == 401 || reply.status == 429, "{reply:?}");
    }
    log_in_from(&app, home, "ada", PASSWORD)
        .await
        .assert(200, "");

    let guessing = OffsetDateTime::now_utc().unix_timestamp();
    for guesser in 1..=12 {
        let reply = log_in_from(&app, &format!("192.0.2.{guesser}"), "ada", "wrong password").await;
        assert!(reply.status == 401 || reply.status == 429, "{reply:?}");
    }
    // Past the account's ten free failures it waits, five seconds and more from the tenth.
    // Held for the checks below, which a busy machine could otherwise make after it ended.
    let (failures, until) = wait_until(&app, "THROTTLE#ada", 60).await;
    assert!(failures >= 10, "{failures} failures counted");
    assert!(
        until >= guessing + 5,
        "the wait ended at {until}, guesses from {guessing}"
    );
    log_in_from(&app, home, "ada", PASSWORD)
        .await
        .assert(200, "");
    let travelling = "203.0.113.99";
    let wait = retry_after(&log_in_from(&app, travelling, "ada", PASSWORD).await);
    assert!((1..=60).contains(&wait), "the owner waits {wait} s");
    let_the_wait_pass(&app, "THROTTLE#ada").await;
    log_in_from(&app, travelling, "ada", PASSWORD)
        .await
        .assert(200, "");
}

/// Behind CloudFront every request comes from an edge server's address; CloudFront passes the
/// viewer's on, and only a request carrying CloudFront's key is believed about it.
#[tokio::test]
async fn the_viewers_address_counts_only_when_cloudfront_vouches_for_it() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let edge_server = "203.0.113.7";
    let via = |viewer: &str, key: Option<&str>, password: &str| {
        let body = json!({ "username": "ada", "password": password });
        let mut request = from_address(with_json(event("user-login"), &body), edge_server);
        let headers = request.headers_mut();
        headers.insert("x-shop-viewer-address", viewer.parse().unwrap());
        if let Some(key) = key {
            headers.insert("x-shop-edge-key", key.parse().unwrap());
        }
        app.login(request)
    };
    // A caller claiming other addresses without the key is counted by its own.
    for claimed in 1..=5 {
        via(
            &format!("192.0.2.{claimed}"),
            Some("a guess"),
            "wrong password",
        )
        .await
        .assert(401, "invalid_credentials");
    }
    retry_after(&log_in_from(&app, edge_server, "ada", PASSWORD).await);
    // Through CloudFront, the viewer is counted by their own address, not the edge server's.
    via("192.0.2.77", Some(EDGE_KEY), PASSWORD)
        .await
        .assert(200, "");
    via("[2001:db8:5:6::1]:443", Some(EDGE_KEY), PASSWORD)
        .await
        .assert(200, "");
}

/// An unknown username must cost a full password verification, like a wrong password, or the
/// response time would reveal which usernames exist. Measured in CPU time, which the other tests
/// on the machine do not change as they change wall time. The two are held within half of each
/// other: the hash is most of a log-in's CPU even in a test build (argon2 is optimised there),
/// so a log-in that skips it falls well outside.
#[tokio::test]
async fn unknown_users_take_as_long_as_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let (mut wrong_password, mut unknown_user) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..5 {
        for (username, total) in [("ada", &mut wrong_password), ("nobody", &mut unknown_user)] {
            let body = json!({ "username": username, "password": "wrong password" });
            let request = with_json(event("user-login"), &body);
            let start = thread_cpu();
            app.login(request).await.assert(401, "invalid_credentials");
            *total += thread_cpu() - start;
        }
    }
    assert!(
        unknown_user * 3 > wrong_password * 2 && wrong_password * 3 > unknown_user * 2,
        "unknown user {unknown_user:?} vs wrong password {wrong_password:?}"
    );
}

/// The CPU time this thread has run, from the kernel's scheduler (`schedstat`'s first field).
/// A `#[tokio::test]` runs its requests on its own thread, the hashing among them.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(stat.split_whitespace().next().unwrap().parse().unwrap())
}

#[tokio::test]
async fn bad_tokens_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let good = app.token_for("ada").await;

    let expired = app
        .keys
        .issue(
            &"ada".parse().unwrap(),
            "some-session",
            OffsetDateTime::now_utc() - Duration::from_secs(7200),
        )
        .unwrap()
        .token;
    let foreign = users::TokenKeys::new(&[9; 32], Duration::from_secs(3600))
        .unwrap()
        .issue(
            &"ada".parse().unwrap(),
            "some-session",
            OffsetDateTime::now_utc(),
        )
        .unwrap()
        .token;
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    let unsigned = {
        let payload = good.split('.').nth(1).unwrap();
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
    };
    // Validly signed, but for a session that was never started.
    let unknown_session = app
        .keys
        .issue(
            &"ada".parse().unwrap(),
            "never-started",
            OffsetDateTime::now_utc(),
        )
        .unwrap()
        .token;

    let cases = [
        (None, "needs a token"),
        (Some(expired.as_str()), "expired"),
        (Some(foreign.as_str()), "not valid"),
        (Some(tampered.as_str()), "not valid"),
        (Some(unsigned.as_str()), "not valid"),
        (Some("not-a-jwt"), "not valid"),
        (Some(unknown_session.as_str()), "session has ended"),
    ];
    for (token, reason) in cases {
        let reply = app
            .current(app.authorized(event("user-current"), token).await)
            .await;
        reply.assert(401, "unauthorized");
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(reason), "{token:?}: {message}");
    }
    app.current(app.authorized(event("user-current"), Some(&good)).await)
        .await
        .assert(200, "");
}

#[tokio::test]
async fn a_token_for_someone_elses_session_is_refused() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    app.given_user("bob").await;
    let bobs = app.token_for("bob").await;
    let bobs_session = app.keys.verify(&bobs).unwrap().sid;
    // Ada's name on Bob's live session: signed by us, but the session is not hers.
    let forged = app
        .keys
        .issue(
            &"ada".parse().unwrap(),
            &bobs_session,
            OffsetDateTime::now_utc(),
        )
        .unwrap()
        .token;
    app.current(app.authorized(event("user-current"), Some(&forged)).await)
        .await
        .assert(401, "unauthorized");
}

#[tokio::test]
async fn protected_routes_refuse_requests_the_authorizer_did_not_vouch_for() {
    let app = TestApp::spawn().await;
    app.current(event("user-current-anonymous"))
        .await
        .assert(401, "unauthorized");
    let mut bare = event("user-current");
    bare = bare.with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(
        Default::default(),
    ));
    app.current(bare).await.assert(401, "unauthorized");
    app.logout(event("user-current-anonymous"))
        .await
        .assert(401, "unauthorized");
    app.list(event("user-current-anonymous"))
        .await
        .assert(401, "unauthorized");
}
