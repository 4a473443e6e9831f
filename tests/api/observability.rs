//! Seeing inside the running shop: one paid order's journey read back from the functions' own
//! log lines, as an operator would query them in CloudWatch Logs Insights.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The functions an order passes through, from the click on "Pay" to its sale in the reports.
pub(crate) const HANDLED_THE_ORDER: [&str; 6] = [
    "order-checkout",
    "order-relay",
    "payment-charge",
    "order-settle",
    "receipt-email",
    "report-record",
];

/// A captured line, `[function] {json}`, as its function and its JSON.
fn parse(line: &str) -> Option<(&str, Value)> {
    let (function, json) = line.strip_prefix('[')?.split_once("] ")?;
    Some((function, serde_json::from_str(json).ok()?))
}

/// The root of an X-Ray trace header, `1-<8 hex>-<24 hex>`.
fn root(header: &str) -> &str {
    header
        .split(';')
        .find_map(|part| part.strip_prefix("Root="))
        .unwrap_or(header)
}

/// Checks `logs` (a shop's, after `order_id` was paid, e-mailed and counted) for one journey:
/// the checkout's request id is on the log lines of every function that handled the order, each
/// of those lines names the order, and each queue's consumer names the trace of the function
/// that sent it its message (the `AWSTraceHeader` the message carried).
pub(crate) fn one_journey_follows_the_order(logs: &[String], order_id: &str) {
    let lines: Vec<(&str, Value)> = logs.iter().filter_map(|line| parse(line)).collect();
    let checkout = lines
        .iter()
        .find(|(function, line)| *function == "order-checkout" && line["order_id"] == order_id)
        .unwrap_or_else(|| panic!("no checkout line names {order_id}: {logs:#?}"));
    let journey = checkout.1["journey"]
        .as_str()
        .expect("the checkout's lines carry its journey");
    let of_journey: Vec<&(&str, Value)> = lines
        .iter()
        .filter(|(_, line)| line["journey"] == journey)
        .collect();
    // Each function's traces (one per invocation: the relay runs twice, and any function may
    // be retried), and those its messages came with.
    let mut traces: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for (function, line) in &of_journey {
        if !HANDLED_THE_ORDER.contains(function) {
            continue;
        }
        assert_eq!(
            line["order_id"], order_id,
            "a line of {function} in the journey without the order: {line}"
        );
        let trace = line["xrayTraceId"]
            .as_str()
            .unwrap_or_else(|| panic!("a line of {function} without its trace: {line}"));
        let (own, upstream) = traces.entry(function).or_default();
        own.insert(root(trace));
        if let Some(sender) = line["upstream"].as_str() {
            upstream.insert(sender);
        }
    }
    for function in HANDLED_THE_ORDER {
        assert!(
            traces.contains_key(function),
            "no line of {function} carries the journey {journey}: {of_journey:#?}"
        );
    }
    for (function, (own, _)) in &traces {
        assert!(
            own.iter()
                .all(|trace| trace.starts_with("1-") && trace.len() == 35),
            "{function}'s traces: {own:?}"
        );
    }
    // Each consumer names the trace of the function that sent its message; the relay sends
    // under the trace its outbox item was written with (a stream record carries none).
    for (consumer, sender) in [
        ("payment-charge", "order-checkout"),
        ("order-settle", "payment-charge"),
        ("receipt-email", "order-settle"),
        ("report-record", "order-settle"),
    ] {
        let came_with = &traces[consumer].1;
        let sent_under = &traces[sender].0;
        assert!(
            !came_with.is_empty() && came_with.is_subset(sent_under),
            "{consumer}'s messages came with {came_with:?}, {sender} ran under {sent_under:?}"
        );
    }
}

/// The EMF documents among `logs`, each with the function that wrote it; each is checked
/// against the Embedded Metric Format's rules and the shop's catalogue on the way.
fn metric_documents(logs: &[String]) -> Vec<(&str, Value)> {
    let documents: Vec<(&str, Value)> = logs
        .iter()
        .filter_map(|line| parse(line))
        .filter(|(_, line)| line.get("_aws").is_some())
        .collect();
    for (function, document) in &documents {
        a_valid_emf_document(function, document);
    }
    documents
}

/// Holds `document` to what CloudWatch accepts (a namespace, a millisecond timestamp, at most
/// 100 metrics of at most 100 values, every dimension and metric a root member) and to the
/// catalogue: a metric the shop defines, with its unit and dimension sets.
fn a_valid_emf_document(function: &str, document: &Value) {
    let context = || format!("{function}: {document}");
    let aws = &document["_aws"];
    assert!(
        aws["Timestamp"].as_i64().unwrap_or(0) > 1_700_000_000_000,
        "{}",
        context()
    );
    let [directive] = aws["CloudWatchMetrics"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    else {
        panic!("one metric directive: {}", context())
    };
    let namespace = directive["Namespace"].as_str().unwrap_or("");
    assert!(
        !namespace.is_empty()
            && namespace.len() <= 256
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._#:/-".contains(c)),
        "{}",
        context()
    );
    let metrics = directive["Metrics"].as_array().expect("a metric list");
    assert!(!metrics.is_empty() && metrics.len() <= 100, "{}", context());
    let sets: Vec<Vec<&str>> = directive["Dimensions"]
        .as_array()
        .expect("dimension sets")
        .iter()
        .map(|set| {
            set.as_array()
                .unwrap()
                .iter()
                .map(|key| key.as_str().unwrap())
                .collect()
        })
        .collect();
    for key in sets.iter().flatten() {
        let value = document[key].as_str().unwrap_or("");
        assert!(
            !value.trim().is_empty() && value.is_ascii() && value.len() <= 1024,
            "dimension {key}: {}",
            context()
        );
    }
    for metric in metrics {
        let name = metric["Name"].as_str().expect("a metric name");
        let definition = shared::metrics::CATALOGUE
            .iter()
            .find(|definition| definition.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the catalogue: {}", context()));
        assert_eq!(metric["Unit"], definition.unit.as_str(), "{}", context());
        let defined: Vec<Vec<&str>> = definition.sets.iter().map(|set| set.to_vec()).collect();
        assert_eq!(sets, defined, "{}", context());
        let values = match &document[name] {
            Value::Array(values) => values.clone(),
            value => vec![value.clone()],
        };
        assert!(
            !values.is_empty() && values.len() <= 100 && values.iter().all(Value::is_f64),
            "{name}: {}",
            context()
        );
    }
}

/// The values `function` wrote for `metric` under the dimension values `dimensions`.
fn values_of(
    documents: &[(&str, Value)],
    function: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
) -> Vec<f64> {
    documents
        .iter()
        .filter(|(writer, document)| {
            *writer == function
                && dimensions
                    .iter()
                    .all(|(key, value)| document[key] == *value)
        })
        .flat_map(|(_, document)| match &document[metric] {
            Value::Array(values) => values.iter().filter_map(Value::as_f64).collect::<Vec<_>>(),
            value => value.as_f64().into_iter().collect::<Vec<_>>(),
        })
        .collect()
}

/// Checks `logs` (a shop's in which one customer registered, checked out `paid` once, was
/// e-mailed its receipt, and was then refused by `refused`'s function on its route with its
/// error code) for the metrics an operator watches, with their values, from the functions' own
/// EMF documents.
pub(crate) fn the_order_is_counted_in_the_metrics(
    logs: &[String],
    paid: &Value,
    refused: (&str, &str, &str),
) {
    let documents = metric_documents(logs);
    let currency = paid["currency"].as_str().expect("the order's currency");
    let total = paid["total"].as_f64().expect("the order's total");
    let one = |function, metric, dimensions: &[(&str, &str)]| {
        assert_eq!(
            values_of(&documents, function, metric, dimensions),
            [1.0],
            "{function} {metric} {dimensions:?}"
        );
    };
    one(
        "order-checkout",
        "CheckoutsStarted",
        &[("Service", "orders"), ("Currency", currency)],
    );
    one(
        "payment-charge",
        "PaymentsApproved",
        &[("Service", "payments"), ("Currency", currency)],
    );
    one(
        "receipt-email",
        "EmailsSent",
        &[("Function", "receipt-email")],
    );
    assert_eq!(
        values_of(
            &documents,
            "order-settle",
            "Revenue",
            &[("Currency", currency)]
        ),
        [total],
        "the paid order's total, in minor units"
    );
    assert!(values_of(&documents, "payment-charge", "PaymentsDeclined", &[]).is_empty());
    assert!(
        !values_of(
            &documents,
            "user-create",
            "Registrations",
            &[("Service", "users")]
        )
        .is_empty()
    );
    let (function, route, code) = refused;
    assert!(
        !values_of(
            &documents,
            function,
            "Errors",
            &[("Route", route), ("Code", code)]
        )
        .is_empty(),
        "the refused {route} is counted as {code}"
    );
    for function in HANDLED_THE_ORDER {
        assert!(
            !values_of(&documents, function, "ColdStart", &[("Function", function)]).is_empty(),
            "{function}'s first invocation is a cold start"
        );
        let waits = values_of(
            &documents,
            function,
            "DependencyLatency",
            &[("Dependency", "dynamodb")],
        );
        assert!(
            !waits.is_empty() && waits.iter().all(|ms| *ms >= 0.0),
            "{function} timed its DynamoDB calls: {waits:?}"
        );
    }
}

/// Checks the local operator page's account of `order_id` (paid, e-mailed and counted): a step
/// for each function that handled it, the checkout first, the others in the order they ran,
/// each with its lines; and the overview, which names the order and the metrics.
pub(crate) async fn the_operator_page_shows_its_journey(
    browser: &xtask::visitor::Visitor,
    order_id: &str,
) {
    let journey = browser
        .get(&format!("/_local/journey.json?id={order_id}"))
        .await;
    assert_eq!(journey.status, 200);
    let journey = journey.json();
    let steps = journey["steps"].as_array().unwrap();
    let functions: Vec<&str> = steps
        .iter()
        .map(|step| step["function"].as_str().unwrap())
        .collect();
    let first: Vec<usize> = HANDLED_THE_ORDER
        .iter()
        .map(|function| {
            functions
                .iter()
                .position(|step| step == function)
                .unwrap_or_else(|| panic!("no step of {function}: {functions:?}"))
        })
        .collect();
    // The authorizer, which checked the checkout's caller, may come first (at `trace` its SDK
    // call writes lines in the request's journey); then checkout, relay, charge, settle, e-mail.
    assert!(
        functions[..first[0]]
            .iter()
            .all(|function| *function == "user-authorizer"),
        "the checkout comes first: {functions:?}"
    );
    assert!(
        first[..5].windows(2).all(|pair| pair[0] < pair[1]),
        "checkout, relay, charge, settle, e-mail in that order: {functions:?}"
    );
    let offsets: Vec<u64> = steps
        .iter()
        .map(|step| {
            step["offset_ms"]
                .as_u64()
                .expect("every invocation's timing is kept")
        })
        .collect();
    assert!(
        offsets.windows(2).all(|pair| pair[0] <= pair[1]),
        "{offsets:?}"
    );
    assert!(
        steps.iter().all(|step| step["millis"].as_u64().is_some()),
        "{steps:?}"
    );
    assert_eq!(
        journey["journeys"].as_array().unwrap().len(),
        1,
        "one checkout, one journey"
    );
    let overview = browser.get("/_local/").await;
    assert_eq!(overview.status, 200);
    assert_eq!(overview.headers["content-type"], "text/html; charset=utf-8");
    let html = String::from_utf8_lossy(&overview.body);
    assert!(
        html.contains(&format!("/_local/journey?id={order_id}")),
        "the order is listed"
    );
    assert!(html.contains("PaymentsApproved"), "the metrics are shown");
    let metrics = browser.get("/_local/metrics.json").await.json();
    assert!(
        metrics["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|metric| metric["name"] == "CheckoutsStarted" && metric["count"] == 1),
        "{metrics}"
    );
    let unknown = browser.get("/_local/journey?id=no-such-order").await;
    assert_eq!(unknown.status, 404);
}
