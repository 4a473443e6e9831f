//! Metrics in CloudWatch's Embedded Metric Format (EMF): JSON documents written to the log, which
//! CloudWatch turns into metrics without an API call or a permission.
//!
//! A document holds metrics that share their dimension values (they sit at the document's root,
//! one value per key), under one or more dimension sets (the roll-ups: `[Service]` and
//! `[Service, Currency]` count the same payments twice over). AWS caps a document at 100 metrics
//! and a metric at 100 values, so [`render`] splits what does not fit.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value, json};

/// At most this many metrics in one document, and values in one metric (AWS's limits).
const MAX_METRICS: usize = 100;
const MAX_VALUES: usize = 100;

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    None,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::None => "None",
        }
    }
}

/// What the shop measures: each metric with the dimension values it is recorded under. A
/// dimension is never a user or an order (each value is a metric, billed monthly), and business
/// metrics carry their `Service`, so `[Service]` rolls their detail up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric<'a> {
    /// The first invocation of a process: one per cold start.
    ColdStart,
    /// An HTTP request answered with an error, by its route and the error's code.
    Errors {
        route: &'a str,
        code: &'a str,
    },
    /// A queue message or stream record that failed and comes again.
    MessagesFailed,
    /// A DynamoDB call refused for throughput after the SDK's own retries.
    DynamoDbThrottled,
    /// How long one call to an AWS service took, until its answer's headers.
    DependencyLatency {
        dependency: Dependency,
        milliseconds: f64,
    },
    /// An order handed to payments.
    CheckoutsStarted {
        currency: &'a str,
    },
    PaymentsApproved {
        currency: &'a str,
    },
    PaymentsDeclined {
        reason: &'a str,
    },
    /// A paid order's total, in the currency's minor units (cents).
    Revenue {
        currency: &'a str,
        minor_units: i64,
    },
    /// An e-mail handed to SES, by the function that sent it (each sends one kind).
    EmailsSent,
    Registrations,
    LoginsRefused {
        reason: &'static str,
    },
    /// The authorizer could not check a session (its table did not answer): the caller is
    /// treated as signed out, so this needs a person.
    AuthorizerFailures,
}

/// The AWS services the functions call, named as they sign their requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    DynamoDb,
    Lambda,
    S3,
    SecretsManager,
    Ses,
    Sqs,
    Other,
}

impl Dependency {
    /// The dependency a SigV4 signing name (`dynamodb`, `sqs`, ...) stands for.
    pub fn signed_as(name: &str) -> Self {
        match name {
            "dynamodb" => Self::DynamoDb,
            "lambda" => Self::Lambda,
            "s3" => Self::S3,
            "secretsmanager" => Self::SecretsManager,
            "ses" => Self::Ses,
            "sqs" => Self::Sqs,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DynamoDb => "dynamodb",
            Self::Lambda => "lambda",
            Self::S3 => "s3",
            Self::SecretsManager => "secretsmanager",
            Self::Ses => "ses",
            Self::Sqs => "sqs",
            Self::Other => "other",
        }
    }
}

/// A metric's name, unit and the dimension sets it is counted under (the first the most
/// detailed): what the template's dashboard and alarms may refer to.
#[derive(Debug, PartialEq, Eq)]
pub struct Definition {
    pub name: &'static str,
    pub unit: Unit,
    pub sets: &'static [&'static [&'static str]],
}

const fn define(
    name: &'static str,
    unit: Unit,
    sets: &'static [&'static [&'static str]],
) -> Definition {
    Definition { name, unit, sets }
}

const COLD_START: Definition = define("ColdStart", Unit::Count, &[&["Function"]]);
const ERRORS: Definition = define("Errors", Unit::Count, &[&["Route", "Code"]]);
const MESSAGES_FAILED: Definition = define("MessagesFailed", Unit::Count, &[&["Function"]]);
const DYNAMODB_THROTTLED: Definition = define("DynamoDbThrottled", Unit::Count, &[&["Function"]]);
const DEPENDENCY_LATENCY: Definition =
    define("DependencyLatency", Unit::Milliseconds, &[&["Dependency"]]);
const CHECKOUTS_STARTED: Definition = define(
    "CheckoutsStarted",
    Unit::Count,
    &[&["Service", "Currency"], &["Service"]],
);
const PAYMENTS_APPROVED: Definition = define(
    "PaymentsApproved",
    Unit::Count,
    &[&["Service", "Currency"], &["Service"]],
);
const PAYMENTS_DECLINED: Definition = define(
    "PaymentsDeclined",
    Unit::Count,
    &[&["Service", "Reason"], &["Service"]],
);
const REVENUE: Definition = define("Revenue", Unit::None, &[&["Service", "Currency"]]);
const EMAILS_SENT: Definition = define("EmailsSent", Unit::Count, &[&["Function"]]);
const REGISTRATIONS: Definition = define("Registrations", Unit::Count, &[&["Service"]]);
const LOGINS_REFUSED: Definition = define(
    "LoginsRefused",
    Unit::Count,
    &[&["Service", "Reason"], &["Service"]],
);
const AUTHORIZER_FAILURES: Definition = define("AuthorizerFailures", Unit::Count, &[&["Service"]]);

/// Every metric the shop writes.
pub const CATALOGUE: [Definition; 13] = [
    COLD_START,
    ERRORS,
    MESSAGES_FAILED,
    DYNAMODB_THROTTLED,
    DEPENDENCY_LATENCY,
    CHECKOUTS_STARTED,
    PAYMENTS_APPROVED,
    PAYMENTS_DECLINED,
    REVENUE,
    EMAILS_SENT,
    REGISTRATIONS,
    LOGINS_REFUSED,
    AUTHORIZER_FAILURES,
];

impl Metric<'_> {
    /// Its entry in the [`CATALOGUE`], its dimension values (in the order of the most detailed
    /// set) and its value.
    fn parts(&self) -> (&'static Definition, Vec<String>, f64) {
        let this_function = || vec![function_name().to_owned()];
        let service = |name: &str, detail: &str| vec![name.to_owned(), detail.to_owned()];
        match *self {
            Self::ColdStart => (&COLD_START, this_function(), 1.0),
            Self::Errors { route, code } => (&ERRORS, vec![route.into(), code.into()], 1.0),
            Self::MessagesFailed => (&MESSAGES_FAILED, this_function(), 1.0),
            Self::DynamoDbThrottled => (&DYNAMODB_THROTTLED, this_function(), 1.0),
            Self::DependencyLatency {
                dependency,
                milliseconds,
            } => (
                &DEPENDENCY_LATENCY,
                vec![dependency.as_str().into()],
                milliseconds,
            ),
            Self::CheckoutsStarted { currency } => {
                (&CHECKOUTS_STARTED, service("orders", currency), 1.0)
            }
            Self::PaymentsApproved { currency } => {
                (&PAYMENTS_APPROVED, service("payments", currency), 1.0)
            }
            Self::PaymentsDeclined { reason } => {
                (&PAYMENTS_DECLINED, service("payments", reason), 1.0)
            }
            // Exact as a double up to 2^53 minor units, far beyond any one order.
            #[allow(clippy::cast_precision_loss)]
            Self::Revenue {
                currency,
                minor_units,
            } => (&REVENUE, service("orders", currency), minor_units as f64),
            Self::EmailsSent => (&EMAILS_SENT, this_function(), 1.0),
            Self::Registrations => (&REGISTRATIONS, vec!["users".into()], 1.0),
            Self::LoginsRefused { reason } => (&LOGINS_REFUSED, service("users", reason), 1.0),
            Self::AuthorizerFailures => (&AUTHORIZER_FAILURES, vec!["users".into()], 1.0),
        }
    }

    fn sample(&self) -> Sample {
        let (definition, values, value) = self.parts();
        let keys = definition.sets[0];
        Sample {
            name: definition.name,
            unit: definition.unit,
            dimensions: keys.iter().copied().zip(values).collect(),
            sets: definition.sets.iter().map(|set| set.to_vec()).collect(),
            value,
        }
    }
}

/// This function's name, as Lambda gives it (the physical name on AWS).
fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| String::from("unknown"))
    })
}

/// One value of one metric, with the dimensions it is recorded under.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: &'static str,
    unit: Unit,
    /// Each dimension's key and value (the most detailed set).
    dimensions: Vec<(&'static str, String)>,
    /// The dimension sets it is counted under, each a subset of `dimensions`' keys.
    sets: Vec<Vec<&'static str>>,
    value: f64,
}

tokio::task_local! {
    /// The samples recorded by the invocation being run.
    static RECORDED: RefCell<Vec<Sample>>;
}

/// Records `metric` for the invocation being run; nothing outside one (a command-line tool, a
/// handler called by a test).
pub fn record(metric: Metric<'_>) {
    let _outside_an_invocation =
        RECORDED.try_with(|recorded| recorded.borrow_mut().push(metric.sample()));
}

/// Runs `work` (one invocation), then writes what it recorded to standard output as EMF
/// documents, one a line, in the namespace `METRICS_NAMESPACE` names.
/// The process's first invocation also records its [`Metric::ColdStart`].
pub async fn collecting<F: Future>(work: F) -> F::Output {
    static STARTED: AtomicBool = AtomicBool::new(false);
    let cold = !STARTED.swap(true, Ordering::Relaxed);
    let (output, samples) = collected(async {
        if cold {
            record(Metric::ColdStart);
        }
        work.await
    })
    .await;
    if !samples.is_empty() {
        static NAMESPACE: OnceLock<String> = OnceLock::new();
        let namespace = NAMESPACE.get_or_init(|| {
            std::env::var("METRICS_NAMESPACE")
                .unwrap_or_else(|_| String::from("ServerlessShop/local"))
        });
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let now = i64::try_from(now).unwrap_or_default();
        let mut stdout = std::io::stdout().lock();
        for document in render(namespace, now, &samples) {
            // A line at once, as the log lines are: a lost metric is not worth a failed call.
            let _unwritten = writeln!(stdout, "{document}");
        }
    }
    output
}

/// `work`'s output and the samples it recorded.
async fn collected<F: Future>(work: F) -> (F::Output, Vec<Sample>) {
    RECORDED
        .scope(RefCell::new(Vec::new()), async {
            let output = work.await;
            let samples = RECORDED.with(|recorded| recorded.take());
            (output, samples)
        })
        .await
}

/// `samples` as EMF documents, one JSON text each, in `namespace` at `timestamp_ms`.
fn render(namespace: &str, timestamp_ms: i64, samples: &[Sample]) -> Vec<String> {
    // Samples that share their dimensions and sets go in one document; a metric's values are
    // gathered in order.
    type Key<'a> = (&'a [(&'static str, String)], &'a [Vec<&'static str>]);
    let mut groups: BTreeMap<Key<'_>, BTreeMap<(&str, &str), Vec<f64>>> = BTreeMap::new();
    for sample in samples {
        groups
            .entry((&sample.dimensions, &sample.sets))
            .or_default()
            .entry((sample.name, sample.unit.as_str()))
            .or_default()
            .push(sample.value);
    }
    let mut documents = Vec::new();
    for ((dimensions, sets), metrics) in groups {
        // A metric with more values than a document takes goes on in the next document.
        let mut pending: Vec<((&str, &str), &[f64])> = metrics
            .iter()
            .flat_map(|(metric, values)| {
                values.chunks(MAX_VALUES).map(move |chunk| (*metric, chunk))
            })
            .collect();
        while !pending.is_empty() {
            let mut taken: Vec<((&str, &str), &[f64])> = Vec::new();
            pending.retain(|(metric, values)| {
                let room = taken.len() < MAX_METRICS && !taken.iter().any(|(m, _)| m == metric);
                if room {
                    taken.push((*metric, values));
                }
                !room
            });
            documents.push(document(namespace, timestamp_ms, dimensions, sets, &taken));
        }
    }
    documents
}

/// One EMF document.
fn document(
    namespace: &str,
    timestamp_ms: i64,
    dimensions: &[(&'static str, String)],
    sets: &[Vec<&'static str>],
    metrics: &[((&str, &str), &[f64])],
) -> String {
    let mut root = Map::new();
    for (key, value) in dimensions {
        root.insert((*key).to_owned(), Value::String(value.clone()));
    }
    for ((name, _), values) in metrics {
        let value = match values {
            [one] => json!(one),
            many => json!(many),
        };
        root.insert((*name).to_owned(), value);
    }
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|((name, unit), _)| json!({ "Name": name, "Unit": unit }))
        .collect();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": sets,
                "Metrics": definitions,
            }],
        }),
    );
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests;
