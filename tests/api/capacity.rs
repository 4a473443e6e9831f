//! The capacity model's work per call (`xtask::capacity::work`), held to the calls the functions
//! make: a customer shops as the storefront does, one request at a time, and every AWS call the
//! local IAM gate lets through is counted by function, operation and resource.
//!
//! What the gate cannot see, the model declares from the code alone: which partition key an item
//! lands on, an index's entries, read consistency and item sizes. S3 and Secrets Manager are
//! left out of the model (SCALING.md says why) and out of this comparison.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;
use xtask::capacity::work::{self, Op, Work};
use xtask::iam::calls::{Call, Counts};
use xtask::template::Template;

use crate::journey::mail_to;
use crate::support::shop::{TestShop, expect, start_shop};

/// Per kind of call and where it goes (`transactional write OrdersTable`, `send CheckoutQueue`),
/// how many a call of a function makes.
type Profile = BTreeMap<String, f64>;

/// What the model says one call of `work` makes that the gate sees.
fn declared(work: &Work) -> Profile {
    let mut profile = Profile::new();
    for touch in work.touches {
        let kind = match touch.op {
            Op::Read | Op::ConsistentRead => "read",
            Op::Write => "write",
            Op::TransactionalWrite => "transactional write",
        };
        let place = match touch.index {
            // An index's entries follow the table's writes: no call of their own.
            Some(_) if touch.writes() => continue,
            Some(index) => format!("{}/{index}", touch.table),
            None => touch.table.to_owned(),
        };
        *profile.entry(format!("{kind} {place}")).or_default() += touch.items;
    }
    for (queue, each) in work.sends {
        *profile.entry(format!("send {queue}")).or_default() += each;
    }
    for (callee, each) in work.invokes {
        *profile.entry(format!("invoke {callee}")).or_default() += each;
    }
    if work.emails > 0.0 {
        profile.insert("email".into(), work.emails);
    }
    profile
}

/// The shop's local names read back to the template's: tables, queues and functions.
struct Names {
    /// Local name to logical id (tables, queues) or binary (functions).
    local: BTreeMap<String, String>,
    /// Logical id to binary.
    binaries: BTreeMap<String, String>,
}

impl Names {
    fn of(shop: &TestShop) -> Self {
        let template = Template::workspace().unwrap();
        let mut local = BTreeMap::new();
        for table in template.tables().unwrap() {
            local.insert(shop.names.refs[&table.logical_id].clone(), table.logical_id);
        }
        for queue in template.queues().unwrap() {
            let url = &shop.names.refs[&queue.logical_id];
            local.insert(url.rsplit('/').next().unwrap().to_owned(), queue.logical_id);
        }
        let mut binaries = BTreeMap::new();
        for function in template.functions().unwrap() {
            let name = shop
                .names
                .function_name(&function.logical_id)
                .unwrap_or(&function.binary)
                .to_owned();
            local.insert(name, function.binary.clone());
            binaries.insert(function.logical_id, function.binary);
        }
        Self { local, binaries }
    }

    /// What the model calls `call`, if it counts it.
    fn kind(&self, call: &Call) -> Option<String> {
        let (service, action) = call.action.split_once(':')?;
        let last = |separator: &str| {
            let name = call.resource.rsplit(separator).next().unwrap_or_default();
            self.local
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_owned())
        };
        match (service, action) {
            ("dynamodb", _) => {
                // arn:aws:dynamodb:<region>:<account>:table/<name>[/index/<index>]
                let path = call.resource.split_once(":table/")?.1;
                let (table, index) = match path.split_once("/index/") {
                    Some((table, index)) => (table, Some(index)),
                    None => (path, None),
                };
                let table = self
                    .local
                    .get(table)
                    .cloned()
                    .unwrap_or_else(|| table.to_owned());
                let place = index.map_or(table.clone(), |index| format!("{table}/{index}"));
                let kind = match (call.operation.as_str(), action) {
                    ("TransactWriteItems", _) => "transactional write",
                    (_, "GetItem" | "Query" | "Scan" | "BatchGetItem") => "read",
                    _ => "write",
                };
                Some(format!("{kind} {place}"))
            }
            ("sqs", "SendMessage") => Some(format!("send {}", last(":"))),
            ("lambda", "InvokeFunction") => Some(format!("invoke {}", last(":"))),
            _ => None,
        }
    }
}

/// Counts at one moment: the gate's calls and each function's invocations and records.
struct Moment {
    calls: Counts,
    invocations: BTreeMap<String, usize>,
    records: BTreeMap<String, usize>,
}

impl Moment {
    fn now(shop: &TestShop) -> Self {
        Self {
            calls: shop.calls(),
            invocations: shop.invocations(),
            records: shop.records(),
        }
    }
}

/// Compares, for each of `functions`, the calls made since `before` per invocation (per record
/// for a consumer) with the model's; says what differs.
fn compare(
    names: &Names,
    before: &Moment,
    after: &Moment,
    functions: &[&str],
    consumers: bool,
) -> Vec<String> {
    let mut differences = Vec::new();
    for binary in functions {
        let (counts_before, counts_after) = if consumers {
            (&before.records, &after.records)
        } else {
            (&before.invocations, &after.invocations)
        };
        let calls = counts_after.get(*binary).copied().unwrap_or(0)
            - counts_before.get(*binary).copied().unwrap_or(0);
        if calls == 0 {
            differences.push(format!("{binary} was not called"));
            continue;
        }
        let mut measured = Profile::new();
        let ours =
            |function: &String| names.binaries.get(function).map(String::as_str) == Some(*binary);
        for (call, count) in &after.calls.permissions {
            let grown = count - before.calls.permissions.get(call).copied().unwrap_or(0);
            if ours(&call.function)
                && grown > 0
                && let Some(kind) = names.kind(call)
            {
                *measured.entry(kind).or_default() += grown as f64 / calls as f64;
            }
        }
        // An e-mail needs a permission for each address it names: count the requests.
        for ((function, operation), count) in &after.calls.requests {
            let key = (function.clone(), operation.clone());
            let grown = count - before.calls.requests.get(&key).copied().unwrap_or(0);
            if ours(function) && grown > 0 && operation == "ses:SendEmail" {
                *measured.entry("email".into()).or_default() += grown as f64 / calls as f64;
            }
        }
        let model = declared(work::of(binary).unwrap());
        let same = measured.len() == model.len()
            && measured
                .iter()
                .all(|(kind, n)| model.get(kind).is_some_and(|m| (m - n).abs() < 1e-9));
        if !same {
            differences.push(format!(
                "{binary} ({calls} calls): measured {measured:?}, the model says {model:?}"
            ));
        }
    }
    differences
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_makes_the_calls_the_capacity_model_counts() {
    let shop = start_shop().await;
    shop.seed_catalogue().await;
    let names = Names::of(&shop);
    let mut customer = shop.visitor();
    let username = format!("peak{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let address = format!("{username}@example.com");
    let mut differences = Vec::new();
    let start = Moment::now(&shop);

    // Each request alone, compared as soon as it is answered: the route's function, the
    // authorizer before it and what it invokes have finished by then.
    macro_rules! step {
        ($functions:expr, $request:expr) => {{
            let before = Moment::now(&shop);
            let reply = $request;
            differences.extend(compare(
                &names,
                &before,
                &Moment::now(&shop),
                &$functions,
                false,
            ));
            reply
        }};
    }
    let registration = json!({
        "username": username, "password": "a long enough password", "email": address,
        "first_name": "Jo", "last_name": "Urney",
    });
    expect(
        &step!(
            ["user-create"],
            customer.post("/api/user/create", registration).await
        ),
        201,
    );
    let credentials = json!({ "username": username, "password": "a long enough password" });
    let login = step!(
        ["user-login"],
        customer.post("/api/user/login", credentials).await
    );
    expect(&login, 200);
    customer.token = Some(login.json()["token"].as_str().unwrap().to_owned());
    // The confirmation e-mail goes out on its own (the address not yet confirmed), then the
    // customer follows it, so that the receipt is e-mailed.
    let within = || Instant::now() + Duration::from_secs(60);
    let confirmation = mail_to(&customer, &address, "Confirm your e-mail address", within()).await;
    let link = confirmation[0]["links"][0].as_str().unwrap();
    let token = link.split_once("/#/verify?token=").unwrap().1;
    let verify = json!({ "token": token });
    expect(
        &step!(
            ["user-verify"],
            customer.post("/api/user/verify", verify).await
        ),
        204,
    );

    expect(
        &step!(["search-query"], customer.get("/api/search?q=mug").await),
        200,
    );
    expect(
        &step!(["product-list"], customer.get("/api/products").await),
        200,
    );
    expect(
        &step!(
            ["product-get"],
            customer.get("/api/product/enamel-camp-mug").await
        ),
        200,
    );
    // The cart's first addition starts the order; the model counts each as a change.
    let first = json!({ "product_id": "enamel-camp-mug", "qty": 1 });
    expect(&customer.post("/api/order/add-item", first).await, 200);
    let second = json!({ "product_id": "brass-ballpoint-pen", "qty": 1 });
    let authorized = |function: &'static str| [function, "user-authorizer"];
    expect(
        &step!(
            ["order-add-item", "user-authorizer", "product-get"],
            customer.post("/api/order/add-item", second).await
        ),
        200,
    );
    let change = json!({ "product_id": "enamel-camp-mug", "qty": 3 });
    expect(
        &step!(
            authorized("order-update-item"),
            customer.post("/api/order/update-item", change).await
        ),
        200,
    );
    let cart = step!(
        authorized("order-current"),
        customer.get("/api/order").await
    );
    expect(&cart, 200);
    let card = json!({
        "card_number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2030,
        "holder": "Jo Urney",
    });
    let held = step!(
        authorized("payment-card"),
        customer.post("/api/payment/card", card).await
    );
    expect(&held, 201);
    let checkout = json!({
        "order_id": cart.json()["id"], "version": cart.json()["version"],
        "card_token": held.json()["card_token"],
    });
    let accepted = step!(
        ["order-checkout", "user-authorizer", "product-get"],
        customer.post("/api/order/checkout", checkout).await
    );
    expect(&accepted, 202);
    let id = accepted.json()["id"].as_str().unwrap().to_owned();

    // The order's way through the consumers, once its receipt is e-mailed and its sale recorded.
    let subject = format!("Your receipt for order {}", &id[..8]);
    assert_eq!(
        mail_to(&customer, &address, &subject, within()).await.len(),
        1
    );
    let deadline = within();
    while shop.records().get("report-record").copied().unwrap_or(0) == 0 || !shop.idle() {
        assert!(Instant::now() < deadline, "the sale was not recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let order = step!(
        authorized("order-get"),
        customer.get(&format!("/api/order/{id}")).await
    );
    assert_eq!(order.json()["status"], "PAID");
    expect(
        &step!(
            ["receipt-get", "user-authorizer", "order-get"],
            customer.get(&format!("/api/order/{id}/receipt")).await
        ),
        200,
    );
    // Each consumer's records: the registration's e-mail, the order's two outbox items and one
    // message each after. A message handled twice (a redelivery) would skew the comparison
    // per record: say so rather than compare.
    let end = Moment::now(&shop);
    let consumers = [
        ("user-relay", 1),
        ("user-verification-email", 1),
        ("order-relay", 2),
        ("payment-charge", 1),
        ("order-settle", 1),
        ("receipt-email", 1),
        ("report-record", 1),
    ];
    for (consumer, records) in consumers {
        let handed = end.records.get(consumer).copied().unwrap_or(0)
            - start.records.get(consumer).copied().unwrap_or(0);
        assert_eq!(handed, records, "{consumer} was handed {handed} records");
    }
    let consumers: Vec<&str> = consumers.iter().map(|(consumer, _)| *consumer).collect();
    differences.extend(compare(&names, &start, &end, &consumers, true));
    shop.stop().await;
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
