//! Seeing inside the running shop: one paid order's journey read back from the functions' own
//! log lines, as an operator would query them in CloudWatch Logs Insights.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use xtask::template::Template;

/// The functions an order passes through, from the click on "Pay" to its sale in the reports.
const HANDLED_THE_ORDER: [&str; 6] = [
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

/// The namespace the functions write their metrics in, as the template gives it.
fn shop_namespace() -> Value {
    serde_json::json!({"Fn::Sub": "ServerlessShop/${AWS::StackName}"})
}

/// Checks that `name`, read with the dimensions `keys`, is a metric of the catalogue counted
/// under exactly that dimension set (CloudWatch finds nothing under any other).
fn a_catalogued_metric(name: &str, keys: &[&str], context: &str) {
    let definition = shared::metrics::CATALOGUE
        .iter()
        .find(|definition| definition.name == name)
        .unwrap_or_else(|| panic!("{context}: no function writes {name}"));
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    assert!(
        definition.sets.iter().any(|set| {
            let mut set = set.to_vec();
            set.sort_unstable();
            set == keys
        }),
        "{context}: {name} is not counted under {keys:?}, only {:?}",
        definition.sets
    );
}

#[test]
fn the_alarms_watch_metrics_the_functions_write_and_call_a_person() {
    let template = Template::workspace().unwrap();
    for function in template.functions().unwrap() {
        assert_eq!(
            function.environment["METRICS_NAMESPACE"],
            shop_namespace(),
            "{} writes its metrics where the alarms look",
            function.logical_id
        );
    }
    let alarms: Vec<_> = template
        .resources()
        .iter()
        .filter(|(_, resource)| resource.kind == "AWS::CloudWatch::Alarm")
        .collect();
    let mut shop_metrics = 0;
    for (id, alarm) in &alarms {
        let properties = &alarm.properties;
        assert_eq!(
            properties["AlarmActions"],
            serde_json::json!([{"Ref": "AlarmTopic"}]),
            "{id} calls a person"
        );
        // A single metric, or the metrics of an expression.
        let single = [properties.clone()];
        let stats: Vec<&Value> = match properties["Metrics"].as_array() {
            Some(queries) => {
                let returned = queries.iter().filter(|query| query["ReturnData"] == true);
                assert_eq!(returned.count(), 1, "{id}: an alarm watches one series");
                queries
                    .iter()
                    .filter_map(|query| query.get("MetricStat"))
                    .map(|stat| &stat["Metric"])
                    .collect()
            }
            None => single.iter().collect(),
        };
        for metric in stats {
            if metric["Namespace"] != shop_namespace() {
                continue;
            }
            shop_metrics += 1;
            let keys: Vec<&str> = metric["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|dimension| dimension["Name"].as_str())
                .collect();
            a_catalogued_metric(metric["MetricName"].as_str().unwrap(), &keys, id);
        }
    }
    assert!(
        shop_metrics >= 3,
        "the declines and authorizer alarms read the shop's metrics"
    );
    for id in [
        "ApiServerErrorsAlarm",
        "ApiLatencyAlarm",
        "OrderQueuesBehindAlarm",
        "PaymentDeclinesHighAlarm",
        "AuthorizerErrorsAlarm",
    ] {
        assert!(alarms.iter().any(|(alarm, _)| *alarm == id), "no {id}");
    }
}

#[test]
fn the_dashboard_shows_metrics_the_functions_write() {
    let template = Template::workspace().unwrap();
    let body = template.resources()["OperationsDashboard"].properties["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("the body is one Fn::Sub text");
    // Every placeholder names a pseudo parameter or a resource, as CloudFormation requires.
    for placeholder in body.split("${").skip(1) {
        let name = placeholder.split('}').next().unwrap();
        let resource = name.split('.').next().unwrap();
        assert!(
            name.starts_with("AWS::") || template.resources().contains_key(resource),
            "${{{name}}} names nothing"
        );
    }
    let dashboard: Value = serde_json::from_str(body).expect("the body is JSON");
    let widgets = dashboard["widgets"].as_array().unwrap();
    let namespace = "ServerlessShop/${AWS::StackName}";
    let mut shop_metrics = 0;
    for widget in widgets {
        let title = widget["properties"]["title"].as_str().unwrap_or_default();
        for row in widget["properties"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let row = row.as_array().unwrap();
            if let Some(expression) = row[0]["expression"].as_str() {
                // SEARCH('{"<namespace>",<dimension>...} MetricName="<name>"', ...)
                let Some(schema) = expression.strip_prefix(&format!("SEARCH('{{\"{namespace}\","))
                else {
                    continue;
                };
                let (keys, rest) = schema.split_once('}').unwrap();
                let name = rest.split('"').nth(1).unwrap();
                let keys: Vec<&str> = keys.split(',').collect();
                a_catalogued_metric(name, &keys, title);
                shop_metrics += 1;
            } else if row[0] == namespace {
                // [namespace, name, key, value, ..., {options}]
                let keys: Vec<&str> = row[2..]
                    .iter()
                    .step_by(2)
                    .filter_map(Value::as_str)
                    .collect();
                a_catalogued_metric(row[1].as_str().unwrap(), &keys, title);
                shop_metrics += 1;
            }
        }
    }
    assert!(
        shop_metrics >= 10,
        "the business and technical rows: {shop_metrics}"
    );
    let alarms = widgets
        .iter()
        .find(|widget| widget["type"] == "alarm")
        .expect("an alarm status widget");
    for alarm in alarms["properties"]["alarms"].as_array().unwrap() {
        let id = alarm
            .as_str()
            .unwrap()
            .trim_start_matches("${")
            .trim_end_matches(".Arn}");
        assert_eq!(template.resources()[id].kind, "AWS::CloudWatch::Alarm");
    }
}

#[test]
fn the_saved_queries_read_the_functions_logs_for_lines_they_write() {
    let template = Template::workspace().unwrap();
    let sources: String = [
        "shared/src/http.rs",
        "shared/src/sqs.rs",
        "shared/src/outbox.rs",
    ]
    .iter()
    .map(|path| std::fs::read_to_string(xtask::template::workspace_root().join(path)).unwrap())
    .collect();
    let mut queries = 0;
    for (id, query) in template.resources() {
        if query.kind != "AWS::Logs::QueryDefinition" {
            continue;
        }
        queries += 1;
        let properties = &query.properties;
        assert!(
            properties["Name"].as_str().unwrap().starts_with("shop/"),
            "{id}"
        );
        assert_eq!(
            properties["LogGroupNames"],
            serde_json::json!([{"Ref": "FunctionLogs"}]),
            "{id} reads every function's log"
        );
        let text = properties["QueryString"].as_str().unwrap();
        assert!(text.len() <= 10_000, "{id}: AWS's limit");
        // A message the query filters on is one the functions write.
        for quoted in text.split("message = \"").skip(1) {
            let message = quoted.split('"').next().unwrap();
            assert!(
                sources.contains(&format!("\"{message}\"")),
                "{id} looks for {message:?}, which no function writes"
            );
        }
    }
    assert_eq!(queries, 4);
}

#[test]
fn the_functions_an_order_passes_through_record_its_trace() {
    // The others inherit PassThrough from Globals: tracing every function would record nearly
    // every call of a quiet shop (template.yaml says why).
    let template = Template::workspace().unwrap();
    for function in template.functions().unwrap() {
        let tracing = &template.resources()[&function.logical_id].properties["Tracing"];
        let expected = if HANDLED_THE_ORDER.contains(&function.binary.as_str()) {
            Value::from("Active")
        } else {
            Value::Null
        };
        assert_eq!(tracing, &expected, "{}", function.logical_id);
    }
}
