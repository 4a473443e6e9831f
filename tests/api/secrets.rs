//! The token signing key lives in Secrets Manager (moto's here), read by the two functions that
//! need it when they start, never from their configuration; and rotating it logs nobody out.

use shared::auth::Rejection;

use crate::support::{TestApp, event, sdk_config};

/// Rotates the test's token secret as an operator would (`aws secretsmanager put-secret-value`):
/// the new value becomes AWSCURRENT, the old one AWSPREVIOUS.
async fn rotate(app: &TestApp) {
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config().await);
    secrets
        .put_secret_value()
        .secret_id(&app.names.refs["TokenSecret"])
        .secret_string(uuid::Uuid::new_v4().simple().to_string().repeat(2))
        .send()
        .await
        .unwrap();
}

fn signer_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn who_is(app: &TestApp, token: &str) -> crate::support::Reply {
    app.current(app.authorized(event("user-current"), Some(token)).await)
        .await
}

#[tokio::test]
async fn rotating_the_token_key_logs_nobody_out() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let before = app.token_for("ada").await;
    // An authorizer that started before the rotation, and stays warm through it.
    let warm = app.function("UserAuthorizerFunction").signing_keys().await;

    rotate(&app).await;
    let after = app.token_for("ada").await;
    assert_ne!(signer_of(&before), signer_of(&after), "new tokens, new key");
    for token in [&before, &after] {
        who_is(&app, token).await.assert(200, "");
    }
    // The warm authorizer learns of the new key from the first token signed with it.
    assert_eq!(warm.verify(&after).await.unwrap().sub, "ada");
    assert_eq!(warm.verify(&before).await.unwrap().sub, "ada");

    // A second rotation retires the first key: its tokens end, the others carry on.
    rotate(&app).await;
    let refused = who_is(&app, &before).await;
    refused.assert(401, "unauthorized");
    who_is(&app, &after).await.assert(200, "");
    // A warm authorizer still knows the retired key until its keys are re-read
    // (`users::keys::MAX_AGE`); a token it was never given is refused at once.
    assert_eq!(warm.verify("a.b.c").await, Err(Rejection::InvalidToken));
}

#[tokio::test]
async fn the_functions_read_the_key_from_secrets_manager_not_their_environment() {
    let template = xtask::template::Template::workspace().unwrap();
    for function in template.functions().unwrap() {
        if let Some(value) = function.environment.get("TOKEN_SECRET_ARN") {
            assert_eq!(value, &serde_json::json!({"Ref": "TokenSecret"}));
        }
        assert!(
            !function.environment.contains_key("TOKEN_SECRET"),
            "{} gets the key itself in its environment",
            function.logical_id
        );
    }
    // And the key they read is the test's: a token signed with it works.
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let token = app.token_for("ada").await;
    assert_eq!(app.keys.current_version(), Some(signer_of(&token).as_str()));
}
