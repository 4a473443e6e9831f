//! The local shop (`cargo xtask run`, here started in-process), driven over HTTP the way a
//! customer's browser would: every request runs the real function binaries through the local
//! Lambda Runtime API, behind the template's routes and authorizer, and the queues deliver to
//! their consumers. Needs the function binaries (`scripts/test` builds them).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use xtask::http_client::send;
use xtask::template::Template;
use xtask::visitor::Visitor;

use crate::support::sdk_config;
use crate::support::shop::{ShopOptions, TestShop, expect, start_shop, start_shop_with};

/// What must never appear in a log line, however verbose the logging.
fn assert_no_secrets(logs: &[String], secrets: &[(&str, &str)]) {
    for line in logs {
        for (what, secret) in secrets {
            assert!(
                !line.contains(secret),
                "a log line holds the {what}: {line}"
            );
        }
        assert!(
            !line.contains("$argon2id$"),
            "a log line holds a password hash: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_shops_from_registration_to_receipt_over_http() {
    // The most verbose logging an operator can ask for, every line kept: none may hold a secret.
    let shop = start_shop_with(ShopOptions {
        environment: vec![("AWS_LAMBDA_LOG_LEVEL".into(), "trace".into())],
        capture_logs: true,
        ..ShopOptions::default()
    })
    .await;
    shop.seed_catalogue().await;
    let mut browser = shop.visitor();
    let username = format!("journey{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);

    let registered = browser
        .post(
            "/api/user/create",
            json!({
                "username": username, "password": "a long enough password",
                "email": format!("{username}@example.com"),
                "first_name": "Jo", "last_name": "Urney",
            }),
        )
        .await;
    expect(&registered, 201);
    expect(
        &browser.get(&format!("/api/user/{username}/exists")).await,
        200,
    );
    log_in(&mut browser, &username).await;
    let old_token = browser.token.clone();
    assert_eq!(
        browser.get("/api/user").await.json()["username"],
        username.as_str()
    );

    // The confirmation e-mail sent at registration, read from the local mailbox as a person
    // trying the shop would: its link's token confirms the address (receipts go only to a
    // confirmed one).
    let confirmation = mail_to(
        &browser,
        &format!("{username}@example.com"),
        "Confirm your e-mail address",
        Instant::now() + Duration::from_secs(30),
    )
    .await;
    assert_eq!(
        confirmation.len(),
        1,
        "one confirmation e-mail: {confirmation:?}"
    );
    let link = confirmation[0]["links"][0].as_str().unwrap();
    let (storefront, token) = link.split_once("/#/verify?token=").unwrap();
    assert_eq!(storefront, format!("http://{}", shop.http));
    assert_eq!(
        browser.get("/api/user").await.json()["email_verified"],
        false
    );
    expect(
        &browser
            .post("/api/user/verify", json!({ "token": token }))
            .await,
        204,
    );
    assert_eq!(
        browser.get("/api/user").await.json()["email_verified"],
        true
    );

    let catalogue = browser.get("/api/products?limit=5").await;
    expect(&catalogue, 200);
    assert_eq!(catalogue.json()["products"].as_array().unwrap().len(), 5);
    expect(&browser.get("/api/product/enamel-camp-mug").await, 200);

    for product in ["enamel-camp-mug", "brass-ballpoint-pen"] {
        let added = browser
            .post(
                "/api/order/add-item",
                json!({ "product_id": product, "qty": 1 }),
            )
            .await;
        expect(&added, 200);
    }
    let changed = browser
        .post(
            "/api/order/update-item",
            json!({ "product_id": "enamel-camp-mug", "qty": 3 }),
        )
        .await;
    expect(&changed, 200);
    let order = browser.get("/api/order").await.json();
    assert_eq!(order["total"], 3 * 1450 + 3400);

    let id = browser.check_out().await.unwrap();

    // The queues carry the checkout to payments, the result back to orders, and the paid order
    // to receipts, each consumer invoked as Lambda's SQS trigger would.
    let deadline = Instant::now() + Duration::from_secs(60);
    let paid = loop {
        let order = browser.get(&format!("/api/order/{id}")).await.json();
        if order["status"] == "PAID" || Instant::now() > deadline {
            break order;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(paid["status"], "PAID", "{paid}");

    // The receipt e-mail, read from the local mailbox as a person trying the shop would.
    let address = format!("{username}@example.com");
    let attachment = format!("receipt-{id}.pdf");
    let subject = format!("Your receipt for order {}", &id[..8]);
    let email = mail_to(&browser, &address, &subject, deadline).await;
    assert_eq!(email.len(), 1, "one receipt e-mail: {email:?}");
    assert_eq!(email[0]["attachments"], json!([attachment]));
    assert!(email[0]["text"].as_str().unwrap().contains(&id[..8]));
    let page = browser.get("/_local/mail").await;
    expect(&page, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert_secure_headers(&page, "/_local/mail");
    assert!(String::from_utf8_lossy(&page.body).contains(&subject));

    let receipt = browser.get(&format!("/api/order/{id}/receipt")).await;
    expect(&receipt, 200);
    assert_eq!(receipt.headers["content-type"], "application/pdf");
    assert!(receipt.body.starts_with(b"%PDF-"));

    let admin = search_and_edit_the_catalogue(&shop, &browser, &id).await;
    crate::reports::the_sale_reaches_the_sales_report(&shop, &admin, &paid).await;
    crate::observability::one_journey_follows_the_order(&shop.logs(), &id);

    expect(&browser.post("/api/user/logout", json!({})).await, 204);
    browser.token = old_token.clone();
    let refused = browser.get("/api/user").await;
    expect(&refused, 401);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("ended")
    );
    let code = refused.json()["error"].as_str().unwrap().to_owned();
    crate::observability::the_order_is_counted_in_the_metrics(
        &shop.logs(),
        &paid,
        ("user-current", "GET /api/user", &code),
    );
    crate::observability::the_operator_page_shows_its_journey(&browser, &id).await;

    let logs = shop.logs();
    assert!(
        logs.iter().any(|line| line.contains(&id)) && logs.len() > 20,
        "the functions' logs were captured ({} lines)",
        logs.len()
    );
    let token = old_token.unwrap();
    assert_no_secrets(
        &logs,
        &[
            ("password", "a long enough password"),
            ("token", &token),
            ("token's signature", token.rsplit('.').next().unwrap()),
            ("token secret", &shop.token_secret),
            ("card number", "4242424242424242"),
            ("card number", "4242 4242 4242 4242"),
        ],
    );
    assert_nothing_at_rest_holds(
        &shop,
        &["4242424242424242", "4242 4242 4242 4242"],
        Rest::Everything,
    )
    .await;

    // The customer leaves: once every service has erased its copy, nothing at rest names them,
    // but the e-mails already sent (which moto keeps as SES keeps nothing it sent).
    log_in(&mut browser, &username).await;
    let deleted = browser
        .delete(
            "/api/user",
            json!({ "current_password": "a long enough password" }),
        )
        .await;
    expect(&deleted, 204);
    expect(&browser.get("/api/user").await, 401);
    let personal = [username.as_str(), "Jo Urney"];
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Some(place) = rest_holds(&shop, &personal, Rest::Stored).await {
        assert!(
            Instant::now() < deadline,
            "{place} still holds the customer"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_nothing_at_rest_holds(&shop, &personal, Rest::ExceptMailSent).await;
    shop.stop().await;
}

/// The customer searches the catalogue (the search service's own copy, fed by the products
/// table's stream), filters it by category and price; an administrator changes a price, which
/// search shows within seconds and the customer's paid order `paid` does not. Returns the
/// administrator, signed in.
async fn search_and_edit_the_catalogue(shop: &TestShop, customer: &Visitor, paid: &str) -> Visitor {
    /// Asks `path` until `wanted` holds of its answer (the indexer runs on its own).
    async fn until(customer: &Visitor, path: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = customer.get(path).await;
            if reply.status == 200 && wanted(&reply.json()) {
                return reply.json();
            }
            assert!(Instant::now() < deadline, "{path}: {}", reply.status);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let first_slug = |answer: &Value| answer["products"][0]["slug"].clone();
    let bowl = until(customer, "/api/search?q=ceramc%20bowl", |a| a["total"] != 0).await;
    assert_eq!(first_slug(&bowl), "ceramic-serving-bowl");
    let kitchen = until(
        customer,
        "/api/search?category=Kitchen&max_price=2000&sort=price_asc",
        |a| a["total"] != 0,
    )
    .await;
    let prices: Vec<i64> = kitchen["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|product| {
            assert_eq!(product["category"], "Kitchen");
            product["price"].as_i64().unwrap()
        })
        .collect();
    assert!(
        prices.is_sorted() && prices.iter().all(|price| *price <= 2000),
        "{prices:?}"
    );
    expect(&customer.get("/api/search?q=%20%20").await, 400);

    let sdk = crate::support::sdk_config().await;
    let users = users::UserStore::new(shared::aws::dynamodb(&sdk), &shop.names.refs["UsersTable"]);
    xtask::seed::account(&users, "journeyadmin", "a long admin password", true)
        .await
        .unwrap();
    let mut admin = shop.visitor();
    admin
        .log_in("journeyadmin", "a long admin password")
        .await
        .unwrap();
    let mug = admin.get("/api/product/enamel-camp-mug").await.json();
    let edited = admin
        .put(
            "/api/product/enamel-camp-mug",
            json!({
                "name": mug["name"], "description": mug["description"], "image": mug["image"],
                "category": mug["category"], "price": 1_999, "version": mug["version"],
            }),
        )
        .await;
    expect(&edited, 200);
    let found = until(customer, "/api/search?q=enamel%20camp%20mug", |a| {
        a["products"][0]["price"] == 1_999
    })
    .await;
    assert_eq!(first_slug(&found), "enamel-camp-mug");
    let order = customer.get(&format!("/api/order/{paid}")).await.json();
    let line = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["product_id"] == "enamel-camp-mug")
        .unwrap()
        .clone();
    assert_eq!(line["unit_price"], 1450, "a paid order keeps its price");
    admin
}

/// Logs `username` in with the journey's password, as `browser`.
async fn log_in(browser: &mut Visitor, username: &str) {
    browser.token = None;
    let login = browser
        .post(
            "/api/user/login",
            json!({ "username": username, "password": "a long enough password" }),
        )
        .await;
    expect(&login, 200);
    browser.token = Some(login.json()["token"].as_str().unwrap().to_owned());
}

/// What [`rest_holds`] reads: every table and every version of every object in a bucket; and
/// but for `Stored`, every queue and dead-letter queue; and for `Everything`, all moto keeps
/// (the e-mails sent included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    Everything,
    /// E-mails already sent are out of any erasure's reach.
    ExceptMailSent,
    /// Tables and buckets only: read while the shop works, which reading its queues would hold
    /// up (a message read is hidden from its consumer for a while).
    Stored,
}

/// Fails if anything at rest in `shop` holds any of `secrets` (see [`rest_holds`]).
async fn assert_nothing_at_rest_holds(shop: &TestShop, secrets: &[&str], rest: Rest) {
    if let Some(place) = rest_holds(shop, secrets, rest).await {
        panic!("{place} holds it");
    }
}

/// Where at rest in `shop` any of `secrets` is, read from the emulators themselves: `None` if
/// nowhere `rest` covers.
async fn rest_holds(shop: &TestShop, secrets: &[&str], rest: Rest) -> Option<String> {
    let holds = |text: &str| secrets.iter().any(|secret| text.contains(secret));
    let sdk = sdk_config().await;
    let template = Template::workspace().unwrap();
    let dynamodb = shared::aws::dynamodb(&sdk);
    for table in template.tables().unwrap() {
        let name = &shop.names.refs[&table.logical_id];
        let mut start = None;
        loop {
            let page = dynamodb
                .scan()
                .table_name(name)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            if holds(&format!("{:?}", page.items())) {
                return Some(table.logical_id);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queues = if rest == Rest::Stored {
        Vec::new()
    } else {
        template.queues().unwrap()
    };
    for queue in queues {
        // Every message waiting, however many: each read hides what it got (for this shop's
        // last moments), so the next read gets the rest.
        let url = &shop.names.refs[&queue.logical_id];
        loop {
            let waiting = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .send()
                .await
                .unwrap();
            if waiting.messages().is_empty() {
                break;
            }
            if waiting
                .messages()
                .iter()
                .any(|message| holds(message.body().unwrap_or_default()))
            {
                return Some(queue.logical_id);
            }
        }
    }
    let s3 = aws_sdk_s3::Client::new(&sdk);
    for bucket in template.buckets() {
        let name = &shop.names.refs[&bucket];
        // Every version: a versioned bucket keeps what was overwritten or deleted.
        let listed = s3.list_object_versions().bucket(name).send().await.unwrap();
        for version in listed.versions() {
            let key = version.key().unwrap_or_default();
            let read = s3
                .get_object()
                .bucket(name)
                .key(key)
                .set_version_id(version.version_id().map(str::to_owned))
                .send()
                .await;
            // A version erased since the listing holds nothing any more.
            let body = match read {
                Err(err)
                    if err
                        .raw_response()
                        .is_some_and(|raw| raw.status().as_u16() == 404) =>
                {
                    continue;
                }
                read => read.unwrap(),
            };
            let bytes = body.body.collect().await.unwrap().into_bytes();
            if holds(&String::from_utf8_lossy(&bytes)) {
                return Some(format!("{bucket}/{key}"));
            }
        }
    }
    if rest != Rest::Everything {
        return None;
    }
    // Asked again if moto fails to serialise its state while other tests change it.
    let everything = crate::support::mailbox::moto_state().to_string();
    holds(&everything).then(|| "moto".to_owned())
}

/// Every answer, the API's and the storefront's, carries the template's security headers, as
/// CloudFront adds them on AWS.
#[track_caller]
fn assert_secure_headers(reply: &xtask::http_client::HttpReply, what: &str) {
    for (name, value) in Template::workspace().unwrap().security_headers().unwrap() {
        assert_eq!(
            reply.headers.get(&name).and_then(|v| v.to_str().ok()),
            Some(value.as_str()),
            "{what}: {name}"
        );
    }
}

/// Every route the template declares reaches its function, with the authorizer first on the
/// protected ones; anything else gets API Gateway's own 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_routes_are_exactly_the_templates() {
    let shop = start_shop().await;
    let anonymous = shop.visitor();
    for route in Template::workspace().unwrap().routes().unwrap() {
        let path = route
            .path
            .replace("{username}", "nobody")
            .replace("{id}", "0123456789abcdef0123456789abcdef");
        let reply = send(shop.http, &route.method, &path, None, Some(&json!({}))).await;
        let body = reply.json();
        assert_secure_headers(&reply, &route.key());
        assert!(
            body.get("error").is_some() || (200..300).contains(&reply.status),
            "{} was not answered by its function: {} {body}",
            route.key(),
            reply.status
        );
        if route.authorizer.is_some() {
            // The function answered 401 in its own words: the authorizer ran and said why.
            assert_eq!(reply.status, 401, "{}: {body}", route.key());
            assert!(body["message"].as_str().unwrap().contains("needs a token"));
        }
    }
    for (method, path) in [
        ("GET", "/api/nothing"),
        ("PUT", "/api/user"),
        ("GET", "/api/product"),
        ("POST", "/api/products"),
    ] {
        let reply = send(shop.http, method, path, None, None).await;
        assert_eq!(reply.status, 404, "{method} {path}");
        assert_secure_headers(&reply, path);
        assert_eq!(reply.json(), json!({ "message": "Not Found" }));
    }
    let storefront = anonymous.get("/").await;
    assert_eq!(storefront.status, 200);
    assert_secure_headers(&storefront, "/");
    assert!(
        storefront.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    shop.stop().await;
}

/// The e-mails to `address` with `subject` in the local mailbox, once there is one (or the
/// deadline passed).
pub(crate) async fn mail_to(
    browser: &xtask::visitor::Visitor,
    address: &str,
    subject: &str,
    deadline: Instant,
) -> Vec<Value> {
    loop {
        let mailbox = browser.get("/_local/mail.json").await;
        expect(&mailbox, 200);
        let found: Vec<Value> = mailbox.json()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|mail| mail["to"][0] == address && mail["subject"] == subject)
            .cloned()
            .collect();
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
