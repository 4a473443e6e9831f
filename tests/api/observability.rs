//! Seeing inside the running shop: one paid order's journey read back from the functions' own
//! log lines, as an operator would query them in CloudWatch Logs Insights.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

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
