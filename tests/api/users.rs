//! The users service, route by route, against DynamoDB Local.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::RequestExt;
use serde_json::json;
use shared::auth::Role;
use time::OffsetDateTime;
use users::domain::Username;

use crate::support::{PASSWORD, TestApp, event, with_body, with_json};

fn registration(username: &str) -> serde_json::Value {
    json!({
        "username": username,
        "password": PASSWORD,
        "email": format!("{username}@example.com"),
        "first_name": "Ada",
        "last_name": "Lovelace",
    })
}

async fn user_exists(app: &TestApp, username: &str) -> bool {
    app.users
        .exists(&Username::parse(username).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn registering_answers_201_with_the_user_and_stores_an_argon2id_hash() {
    let app = TestApp::spawn().await;
    let reply = app.register(event("user-create")).await;
    reply.assert(201, "");
    assert_eq!(
        reply.body,
        json!({
            "username": "ada",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "role": "customer",
            "created_at": reply.body["created_at"],
            "email_verified": false,
        })
    );
    let created = OffsetDateTime::parse(
        reply.body["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(OffsetDateTime::now_utc() - created < time::Duration::minutes(1));

    let item = app.stored("UsersTable", "USER#ada").await.unwrap();
    let hash = item["password_hash"].as_s().unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn a_form_encoded_registration_works_too() {
    let app = TestApp::spawn().await;
    let reply = app.register(event("user-create-form")).await;
    reply.assert(201, "");
    assert_eq!(reply.body["username"], "grace");
    assert_eq!(reply.body["email"], "grace@example.com");
}

#[tokio::test]
async fn usernames_are_unique_whatever_their_case() {
    let app = TestApp::spawn().await;
    app.register(with_json(event("user-create"), &registration("Ada")))
        .await
        .assert(201, "");
    let again = app
        .register(with_json(event("user-create"), &registration("ADA")))
        .await;
    again.assert(409, "username_taken");
    assert_eq!(again.body["message"], "the username ada is taken");
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_give_exactly_one_account() {
    let app = TestApp::spawn().await;
    let attempts = (0..8).map(|i| {
        let mut body = registration("race");
        body["email"] = json!(format!("racer{i}@example.com"));
        app.register(with_json(event("user-create"), &body))
    });
    let replies = futures::future::join_all(attempts).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
}

#[tokio::test]
async fn invalid_fields_are_all_named_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let reply = app.register(event("user-create-invalid")).await;
    reply.assert(400, "validation_failed");
    let fields = reply.body["fields"].as_object().unwrap();
    let mut named: Vec<&str> = fields.keys().map(String::as_str).collect();
    named.sort_unstable();
    assert_eq!(named, ["email", "first_name", "password", "username"]);
    assert!(
        fields["username"]
            .as_str()
            .unwrap()
            .contains("3 to 32 characters")
    );

    let cases = [
        ("username", json!("ab")),
        ("username", json!("x".repeat(33))),
        ("username", json!("ada lovelace")),
        ("username", json!("<script>")),
        ("email", json!("ada@")),
        ("email", json!("ada.example.com")),
        ("password", json!("1234567")),
        ("password", json!("p".repeat(129))),
        ("last_name", json!("L".repeat(65))),
        ("last_name", json!("Love\u{0}lace")),
    ];
    for (field, value) in cases {
        let mut body = registration("valid_name");
        body[field] = value;
        let reply = app.register(with_json(event("user-create"), &body)).await;
        reply.assert(400, "validation_failed");
        assert!(
            reply.body["fields"][field].is_string(),
            "{field}: {}",
            reply.body
        );
    }
    assert!(!user_exists(&app, "valid_name").await);
}

#[tokio::test]
async fn unknown_fields_malformed_and_oversized_bodies_are_refused_without_effect() {
    let app = TestApp::spawn().await;

    let reply = app.register(event("user-create-unknown-field")).await;
    reply.assert(400, "invalid_body");
    assert!(reply.body["message"].as_str().unwrap().contains("is_admin"));
    assert!(!user_exists(&app, "mallory").await);

    let mut with_role = registration("mallory");
    with_role["role"] = json!("admin");
    app.register(with_json(event("user-create"), &with_role))
        .await
        .assert(400, "invalid_body");

    app.register(with_body(
        event("user-create"),
        "application/json",
        r#"{"username": "mallory", "password":"#.into(),
    ))
    .await
    .assert(400, "malformed_json");

    app.register(with_body(
        event("user-create"),
        "application/json",
        "[]".into(),
    ))
    .await
    .assert(400, "invalid_body");

    let mut huge = registration("mallory");
    huge["first_name"] = json!("A".repeat(20_000));
    app.register(with_json(event("user-create"), &huge))
        .await
        .assert(413, "body_too_large");

    app.register(with_body(
        event("user-create"),
        "text/plain",
        "hello".into(),
    ))
    .await
    .assert(415, "unsupported_media_type");

    let mut missing = registration("mallory");
    missing.as_object_mut().unwrap().remove("email");
    app.register(with_json(event("user-create"), &missing))
        .await
        .assert(400, "invalid_body");

    assert!(!user_exists(&app, "mallory").await);
}

#[tokio::test]
async fn exists_answers_200_or_404() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    let reply = app.exists(event("user-exists")).await;
    reply.assert(200, "");
    assert_eq!(reply.body, json!({"exists": true}));

    let with_name = |name: &str| {
        event("user-exists").with_path_parameters(std::collections::HashMap::from([(
            "username".to_owned(),
            name.to_owned(),
        )]))
    };
    app.exists(with_name("ADA")).await.assert(200, "");
    app.exists(with_name("nobody"))
        .await
        .assert(404, "user_not_found");
    app.exists(with_name("no way!"))
        .await
        .assert(400, "validation_failed");
}

#[tokio::test]
async fn listing_users_is_for_admins_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    // Listed from a partition per first character: pages run across them in username order.
    for name in ["zoe", "ada", "bob", "alan", "carol", "9lives", "dave"] {
        app.given_user(name).await;
    }
    let customer = app.token_for("bob").await;

    app.list(app.authorized(event("user-list"), Some(&customer)).await)
        .await
        .assert(403, "forbidden");

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut query = std::collections::HashMap::from([("limit".to_owned(), "3".to_owned())]);
        if let Some(cursor) = &cursor {
            query.insert("cursor".to_owned(), cursor.clone());
        }
        let request = event("user-list").with_query_string_parameters(query);
        let reply = app.list(app.authorized(request, Some(&admin)).await).await;
        reply.assert(200, "");
        for user in reply.body["users"].as_array().unwrap() {
            assert!(user.get("password_hash").is_none());
            seen.push(user["username"].as_str().unwrap().to_owned());
        }
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "9lives", "ada", "alan", "bob", "carol", "dave", "grace", "zoe"
        ]
    );

    for (name, value) in [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "ten"),
        ("cursor", "%%%"),
    ] {
        let request = event("user-list").with_query_string_parameters(
            std::collections::HashMap::from([(name.to_owned(), value.to_owned())]),
        );
        let reply = app.list(app.authorized(request, Some(&admin)).await).await;
        assert_eq!(reply.status, 400, "{name}={value}: {}", reply.body);
    }
}

#[tokio::test]
async fn every_account_has_its_initial_and_the_upgrade_gives_one_to_those_stored_before() {
    let app = TestApp::spawn().await;
    app.given_user("ada").await;
    app.given_user("bob").await;
    let initial = |username: &'static str| {
        let app = &app;
        async move {
            let item = app.stored("UsersTable", &format!("USER#{username}")).await;
            item.unwrap().get("initial").cloned()
        }
    };
    assert_eq!(initial("ada").await, Some(AttributeValue::S("a".into())));
    // Bob as an account stored before the user list had initials.
    app.dynamodb
        .update_item()
        .table_name(app.table("UsersTable"))
        .key("pk", AttributeValue::S("USER#bob".into()))
        .update_expression("REMOVE initial")
        .send()
        .await
        .unwrap();
    assert_eq!(initial("bob").await, None);

    assert_eq!(app.users.list_unlisted().await.unwrap(), 1);
    assert_eq!(initial("bob").await, Some(AttributeValue::S("b".into())));
    assert_eq!(
        app.users.list_unlisted().await.unwrap(),
        0,
        "safe to repeat"
    );
}

#[tokio::test]
async fn a_new_admin_is_recognised_on_the_next_request() {
    let app = TestApp::spawn().await;
    let token = app.given_session("ada", Role::Customer).await;
    app.list(app.authorized(event("user-list"), Some(&token)).await)
        .await
        .assert(403, "forbidden");
    app.users
        .set_role(&Username::parse("ada").unwrap(), Role::Admin)
        .await
        .unwrap();
    app.list(app.authorized(event("user-list"), Some(&token)).await)
        .await
        .assert(200, "");
}

#[tokio::test]
async fn a_deleted_users_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let token = app.given_session("ada", Role::Customer).await;
    app.dynamodb
        .delete_item()
        .table_name(app.table("UsersTable"))
        .key("pk", AttributeValue::S("USER#ada".into()))
        .send()
        .await
        .unwrap();
    app.current(app.authorized(event("user-current"), Some(&token)).await)
        .await
        .assert(401, "unauthorized");
}

#[tokio::test]
async fn a_missing_table_is_a_503_not_a_500() {
    let app = TestApp::spawn().await;
    let token = app.given_session("ada", Role::Customer).await;
    app.drop_table("UsersTable").await;

    let reply = app.register(event("user-create")).await;
    reply.assert(503, "storage_unavailable");
    assert!(
        !reply.body["message"]
            .as_str()
            .unwrap()
            .contains("NoSuchTable")
    );
    app.login(event("user-login"))
        .await
        .assert(503, "storage_unavailable");
    app.current(app.authorized(event("user-current"), Some(&token)).await)
        .await
        .assert(503, "auth_unavailable");
}
