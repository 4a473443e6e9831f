//! What the local shop's operator page (`/_local/`, [`super::gateway::operator`]) shows: the
//! requests and queue deliveries as they happen, every invocation of every function, the
//! functions' log lines, and the metrics they write (the Embedded Metric Format documents
//! CloudWatch would turn into metrics on AWS), summed by name and dimensions.
//!
//! A journey is put together from the functions' own lines, as on AWS: each line names its
//! invocation (`requestId`), its journey and, once known, its order; the invocation's time and
//! duration come from the local Lambda runtime. Everything is kept in memory, newest last, up to
//! a bound, so a shop left running does not grow without end.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

const REQUESTS: usize = 200;
const INVOCATIONS: usize = 5_000;
const LINES: usize = 50_000;

/// The fields that join a line to its invocation, journey and order, or that every line has:
/// not repeated among its other fields.
const JOINING_FIELDS: [&str; 8] = [
    "requestId",
    "journey",
    "order_id",
    "level",
    "message",
    "timestamp",
    "xrayTraceId",
    "upstream",
];

/// A request to the HTTP API, or a delivery of queue messages to a consumer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Request {
    /// Milliseconds since the Unix epoch, when it was answered.
    pub at_ms: u128,
    /// `GET /api/products`, or `Delivery from CheckoutQueue`.
    pub what: String,
    pub function: String,
    /// The HTTP status, or how many messages were delivered and failed.
    pub outcome: String,
    /// How long it took (HTTP requests only).
    pub millis: Option<u128>,
}

/// One invocation of one function.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Invocation {
    /// The runtime's request id (`requestId` on the function's lines).
    pub id: String,
    pub function: String,
    /// Milliseconds since the Unix epoch.
    pub started_ms: u128,
    pub millis: u128,
    pub failed: bool,
}

/// A function's log line, with what joins it to an invocation and a journey.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Line {
    pub function: String,
    #[serde(skip)]
    request_id: Option<String>,
    #[serde(skip)]
    journey: Option<String>,
    #[serde(skip)]
    order_id: Option<String>,
    pub level: String,
    pub message: String,
    /// The line's other fields (an error, a status, a code), as `key=value` text.
    pub fields: Vec<(String, String)>,
}

/// A metric's values so far, by its name and dimension values.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metric {
    pub name: String,
    /// `Key=value` pairs of its most detailed dimension set.
    pub dimensions: String,
    pub unit: String,
    pub count: u64,
    pub sum: f64,
    /// `None` until a value arrives.
    pub max: Option<f64>,
}

/// One invocation in a journey, with its lines that belong to the journey.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Step {
    pub function: String,
    /// Milliseconds after the journey's first step started, and how long it ran: `None` once
    /// the invocation's record is no longer kept (lines outlive it).
    pub offset_ms: Option<u128>,
    pub millis: Option<u128>,
    pub failed: bool,
    pub lines: Vec<Line>,
}

/// Everything one order's (or one journey's) invocations did, in the order they started.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Journey {
    /// The journey ids it is made of (a retried checkout starts a second one).
    pub journeys: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Default)]
struct State {
    requests: VecDeque<Request>,
    invocations: VecDeque<Invocation>,
    lines: VecDeque<Line>,
    metrics: BTreeMap<(String, String), Metric>,
}

/// The record the operator page reads; the local shop's console writes to it.
#[derive(Debug, Default)]
pub struct Observer {
    state: Mutex<State>,
}

fn push<T>(queue: &mut VecDeque<T>, item: T, bound: usize) {
    if queue.len() == bound {
        queue.pop_front();
    }
    queue.push_back(item);
}

fn millis_since_epoch(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis())
}

impl Observer {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves nothing half-written worth refusing.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn request(&self, what: String, function: &str, outcome: String, took: Option<Duration>) {
        let request = Request {
            at_ms: millis_since_epoch(SystemTime::now()),
            what,
            function: function.to_owned(),
            outcome,
            millis: took.map(|took| took.as_millis()),
        };
        push(&mut self.state().requests, request, REQUESTS);
    }

    pub fn invocation(&self, id: &str, function: &str, started: SystemTime, failed: bool) {
        let invocation = Invocation {
            id: id.to_owned(),
            function: function.to_owned(),
            started_ms: millis_since_epoch(started),
            millis: started.elapsed().map_or(0, |took| took.as_millis()),
            failed,
        };
        push(&mut self.state().invocations, invocation, INVOCATIONS);
    }

    /// A line `function` wrote: a log line, or a metrics document.
    pub fn line(&self, function: &str, text: &str) {
        let json: Option<Value> = serde_json::from_str(text).ok();
        let Some(json) = json.filter(Value::is_object) else {
            let line = Line {
                function: function.to_owned(),
                request_id: None,
                journey: None,
                order_id: None,
                level: String::new(),
                message: text.to_owned(),
                fields: Vec::new(),
            };
            push(&mut self.state().lines, line, LINES);
            return;
        };
        if json.get("_aws").is_some() {
            self.metrics(&json);
            return;
        }
        let field = |name: &str| json[name].as_str().map(str::to_owned);
        let fields = json
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| !JOINING_FIELDS.contains(&key.as_str()))
            .map(|(key, value)| {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                (key.clone(), value)
            })
            .collect();
        let line = Line {
            function: function.to_owned(),
            request_id: field("requestId"),
            journey: field("journey"),
            order_id: field("order_id"),
            level: field("level").unwrap_or_default(),
            message: field("message").unwrap_or_default(),
            fields,
        };
        push(&mut self.state().lines, line, LINES);
    }

    /// Sums an EMF document's values into the metrics.
    fn metrics(&self, document: &Value) {
        let directive = &document["_aws"]["CloudWatchMetrics"][0];
        let keys = directive["Dimensions"][0]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let dimensions = keys
            .iter()
            .filter_map(Value::as_str)
            .map(|key| format!("{key}={}", document[key].as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut state = self.state();
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let Some(name) = metric["Name"].as_str() else {
                continue;
            };
            let values: Vec<f64> = match &document[name] {
                Value::Array(values) => values.iter().filter_map(Value::as_f64).collect(),
                value => value.as_f64().into_iter().collect(),
            };
            let entry = state
                .metrics
                .entry((name.to_owned(), dimensions.clone()))
                .or_insert_with(|| Metric {
                    name: name.to_owned(),
                    dimensions: dimensions.clone(),
                    unit: metric["Unit"].as_str().unwrap_or_default().to_owned(),
                    count: 0,
                    sum: 0.0,
                    max: None,
                });
            for value in values {
                entry.count += 1;
                entry.sum += value;
                entry.max = Some(entry.max.map_or(value, |max| max.max(value)));
            }
        }
    }

    /// The latest requests, newest first.
    pub fn requests(&self) -> Vec<Request> {
        self.state().requests.iter().rev().cloned().collect()
    }

    /// Every metric so far, by name and dimensions.
    pub fn metric_totals(&self) -> Vec<Metric> {
        self.state().metrics.values().cloned().collect()
    }

    /// The last `limit` orders the functions have named, most recently named first.
    pub fn orders(&self, limit: usize) -> Vec<String> {
        let state = self.state();
        let mut seen = BTreeSet::new();
        state
            .lines
            .iter()
            .rev()
            .filter_map(|line| line.order_id.as_deref())
            .filter(|order| seen.insert(*order))
            .take(limit)
            .map(str::to_owned)
            .collect()
    }

    /// The journey of `id`, an order's id or a journey's; `None` if no line names it.
    pub fn journey(&self, id: &str) -> Option<Journey> {
        let state = self.state();
        let journeys: BTreeSet<&str> = state
            .lines
            .iter()
            .filter(|line| {
                line.order_id.as_deref() == Some(id) || line.journey.as_deref() == Some(id)
            })
            .filter_map(|line| line.journey.as_deref())
            .collect();
        let belongs = |line: &Line| {
            line.order_id.as_deref() == Some(id)
                || line
                    .journey
                    .as_deref()
                    .is_some_and(|j| journeys.contains(j))
        };
        // An invocation with a line of the journey brings all its lines: some are written
        // outside the journey's span (an HTTP function's "answered with an error").
        let invocations: BTreeSet<&str> = state
            .lines
            .iter()
            .filter(|line| belongs(line))
            .filter_map(|line| line.request_id.as_deref())
            .collect();
        let belongs = |line: &Line| {
            belongs(line)
                || line
                    .request_id
                    .as_deref()
                    .is_some_and(|id| invocations.contains(id))
        };
        // Each invocation's lines of the journey, in the order written.
        let mut by_invocation: BTreeMap<(&str, &str), Vec<Line>> = BTreeMap::new();
        for line in state.lines.iter().filter(|line| belongs(line)) {
            let invocation = line.request_id.as_deref().unwrap_or_default();
            by_invocation
                .entry((line.function.as_str(), invocation))
                .or_default()
                .push(line.clone());
        }
        if by_invocation.is_empty() {
            return None;
        }
        let mut steps: Vec<(Option<u128>, Step)> = by_invocation
            .into_iter()
            .map(|((function, invocation), lines)| {
                let record = state
                    .invocations
                    .iter()
                    .rev()
                    .find(|record| record.id == invocation);
                let step = Step {
                    function: function.to_owned(),
                    offset_ms: None,
                    millis: record.map(|record| record.millis),
                    failed: record.is_some_and(|record| record.failed),
                    lines,
                };
                (record.map(|record| record.started_ms), step)
            })
            .collect();
        // An invocation no longer kept (or still running) goes last.
        steps.sort_by_key(|(started, _)| started.unwrap_or(u128::MAX));
        let first = steps.first().and_then(|(started, _)| *started).unwrap_or(0);
        let steps = steps
            .into_iter()
            .map(|(started, mut step)| {
                step.offset_ms = started.map(|started| started.saturating_sub(first));
                step
            })
            .collect();
        Some(Journey {
            journeys: journeys.into_iter().map(str::to_owned).collect(),
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(request: &str, journey: &str, order: Option<&str>, message: &str) -> String {
        let mut json = serde_json::json!({
            "requestId": request, "journey": journey, "level": "INFO", "message": message,
        });
        if let Some(order) = order {
            json["order_id"] = order.into();
        }
        json.to_string()
    }

    #[test]
    fn a_journey_joins_each_invocations_lines_in_the_order_they_started() {
        let observer = Observer::default();
        let start = SystemTime::now() - Duration::from_secs(10);
        observer.invocation(
            "r2",
            "payment-charge",
            start + Duration::from_millis(40),
            false,
        );
        observer.invocation("r1", "order-checkout", start, false);
        observer.line(
            "order-checkout",
            &line("r1", "j1", None, "reading the order"),
        );
        observer.line(
            "order-checkout",
            &line("r1", "j1", Some("o1"), "checkout requested"),
        );
        observer.line(
            "payment-charge",
            &line("r2", "j1", Some("o1"), "payment settled"),
        );
        observer.line("order-get", &line("r3", "j9", Some("o2"), "another order"));
        observer.line("order-get", "not JSON at all");
        observer.line(
            "order-checkout",
            r#"{"requestId": "r1", "level": "INFO", "message": "answered with an error", "status": 404}"#,
        );

        let journey = observer.journey("o1").unwrap();
        assert_eq!(journey.journeys, ["j1"]);
        let steps: Vec<(&str, Option<u128>, usize)> = journey
            .steps
            .iter()
            .map(|step| (step.function.as_str(), step.offset_ms, step.lines.len()))
            .collect();
        assert_eq!(
            steps,
            [
                ("order-checkout", Some(0), 3),
                ("payment-charge", Some(40), 1)
            ]
        );
        assert!(
            journey.steps[0].millis >= Some(10_000),
            "from its start until recorded"
        );
        assert_eq!(
            journey.steps[0].lines[2].fields,
            [("status".to_owned(), "404".to_owned())],
            "a line outside the journey's span, of one of its invocations, with its fields"
        );
        assert_eq!(observer.journey("j1"), Some(journey));
        assert_eq!(observer.journey("nobody"), None);
        assert_eq!(observer.orders(10), ["o2", "o1"]);
        assert_eq!(observer.orders(1), ["o2"]);
    }

    #[test]
    fn metrics_documents_are_summed_by_name_and_dimensions() {
        let observer = Observer::default();
        let document = |reason: &str, value: Value| {
            serde_json::json!({
                "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N",
                    "Dimensions": [["Service", "Reason"], ["Service"]],
                    "Metrics": [{"Name": "PaymentsDeclined", "Unit": "Count"}]}]},
                "Service": "payments", "Reason": reason, "PaymentsDeclined": value,
            })
            .to_string()
        };
        observer.line("payment-charge", &document("card_declined", 1.0.into()));
        observer.line(
            "payment-charge",
            &document("card_declined", serde_json::json!([1.0, 1.0])),
        );
        observer.line(
            "payment-charge",
            &document("insufficient_funds", 1.0.into()),
        );
        let totals: Vec<(String, u64, f64)> = observer
            .metric_totals()
            .into_iter()
            .map(|metric| (metric.dimensions, metric.count, metric.sum))
            .collect();
        assert_eq!(
            totals,
            [
                ("Service=payments, Reason=card_declined".to_owned(), 3, 3.0),
                (
                    "Service=payments, Reason=insufficient_funds".to_owned(),
                    1,
                    1.0
                ),
            ]
        );
        assert!(
            observer.journey("payments").is_none(),
            "a metric is not a log line"
        );
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let observer = Observer::default();
        for n in 0..REQUESTS + 5 {
            observer.request(format!("GET /api/{n}"), "f", "200".into(), None);
        }
        let requests = observer.requests();
        assert_eq!(requests.len(), REQUESTS);
        assert_eq!(
            requests[0].what,
            format!("GET /api/{}", REQUESTS + 4),
            "newest first"
        );
    }
}
