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

/// Every metric the shop writes.
pub const CATALOGUE: [Definition; 13] = [
    define("ColdStart", Unit::Count, &[&["Function"]]),
    define("Errors", Unit::Count, &[&["Route", "Code"]]),
    define("MessagesFailed", Unit::Count, &[&["Function"]]),
    define("DynamoDbThrottled", Unit::Count, &[&["Function"]]),
    define("DependencyLatency", Unit::Milliseconds, &[&["Dependency"]]),
    define(
        "CheckoutsStarted",
        Unit::Count,
        &[&["Service", "Currency"], &["Service"]],
    ),
    define(
        "PaymentsApproved",
        Unit::Count,
        &[&["Service", "Currency"], &["Service"]],
    ),
    define(
        "PaymentsDeclined",
        Unit::Count,
        &[&["Service", "Reason"], &["Service"]],
    ),
    define("Revenue", Unit::None, &[&["Service", "Currency"]]),
    define("EmailsSent", Unit::Count, &[&["Function"]]),
    define("Registrations", Unit::Count, &[&["Service"]]),
    define(
        "LoginsRefused",
        Unit::Count,
        &[&["Service", "Reason"], &["Service"]],
    ),
    define("AuthorizerFailures", Unit::Count, &[&["Service"]]),
];

impl Metric<'_> {
    /// Its entry in the [`CATALOGUE`], its dimension values (in the order of the most detailed
    /// set) and its value.
    fn parts(&self) -> (&'static Definition, Vec<String>, f64) {
        let this_function = || vec![function_name().to_owned()];
        let (index, values, value) = match *self {
            Self::ColdStart => (0, this_function(), 1.0),
            Self::Errors { route, code } => (1, vec![route.into(), code.into()], 1.0),
            Self::MessagesFailed => (2, this_function(), 1.0),
            Self::DynamoDbThrottled => (3, this_function(), 1.0),
            Self::DependencyLatency {
                dependency,
                milliseconds,
            } => (4, vec![dependency.as_str().into()], milliseconds),
            Self::CheckoutsStarted { currency } => (5, vec!["orders".into(), currency.into()], 1.0),
            Self::PaymentsApproved { currency } => {
                (6, vec!["payments".into(), currency.into()], 1.0)
            }
            Self::PaymentsDeclined { reason } => (7, vec!["payments".into(), reason.into()], 1.0),
            // Exact as a double up to 2^53 minor units, far beyond any one order.
            #[allow(clippy::cast_precision_loss)]
            Self::Revenue {
                currency,
                minor_units,
            } => (
                8,
                vec!["orders".into(), currency.into()],
                minor_units as f64,
            ),
            Self::EmailsSent => (9, this_function(), 1.0),
            Self::Registrations => (10, vec!["users".into()], 1.0),
            Self::LoginsRefused { reason } => (11, vec!["users".into(), reason.into()], 1.0),
            Self::AuthorizerFailures => (12, vec!["users".into()], 1.0),
        };
        (&CATALOGUE[index], values, value)
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
        let namespace = std::env::var("METRICS_NAMESPACE")
            .unwrap_or_else(|_| String::from("ServerlessShop/local"));
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let now = i64::try_from(now).unwrap_or_default();
        let mut stdout = std::io::stdout().lock();
        for document in render(&namespace, now, &samples) {
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
mod tests {
    use super::*;

    fn declined(reason: &str) -> Sample {
        Metric::PaymentsDeclined { reason }.sample()
    }

    #[test]
    fn every_metric_fills_its_most_detailed_set_and_rolls_up_to_subsets() {
        let examples = [
            Metric::ColdStart,
            Metric::Errors {
                route: "GET /api/products",
                code: "not_found",
            },
            Metric::MessagesFailed,
            Metric::DynamoDbThrottled,
            Metric::DependencyLatency {
                dependency: Dependency::signed_as("sqs"),
                milliseconds: 3.5,
            },
            Metric::CheckoutsStarted { currency: "EUR" },
            Metric::PaymentsApproved { currency: "EUR" },
            Metric::PaymentsDeclined {
                reason: "card_declined",
            },
            Metric::Revenue {
                currency: "EUR",
                minor_units: 1999,
            },
            Metric::EmailsSent,
            Metric::Registrations,
            Metric::LoginsRefused {
                reason: "invalid_credentials",
            },
            Metric::AuthorizerFailures,
        ];
        let mut names: Vec<&str> = examples.iter().map(|metric| metric.sample().name).collect();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len(), "each catalogue entry once");
        for (metric, definition) in examples.iter().zip(&CATALOGUE) {
            let sample = metric.sample();
            assert_eq!(sample.name, definition.name);
            let keys: Vec<&str> = sample.dimensions.iter().map(|(key, _)| *key).collect();
            assert_eq!(keys, definition.sets[0], "{}", definition.name);
            assert!(keys.len() <= 30, "AWS's limit on a set");
            for set in definition.sets {
                assert!(set.iter().all(|key| keys.contains(key)), "{set:?}");
            }
            for (_, value) in &sample.dimensions {
                assert!(!value.trim().is_empty() && value.is_ascii(), "{value:?}");
            }
        }
        assert_eq!(
            Metric::Revenue {
                currency: "EUR",
                minor_units: 1999
            }
            .sample()
            .value,
            1999.0
        );
        assert_eq!(Dependency::signed_as("monitoring"), Dependency::Other);
    }

    #[tokio::test]
    async fn an_invocation_collects_what_it_records_and_nothing_leaks_outside() {
        record(Metric::PaymentsDeclined {
            reason: "outside: dropped",
        });
        let (answer, samples) = collected(async {
            record(Metric::PaymentsDeclined { reason: "expired" });
            tokio::task::yield_now().await;
            record(Metric::PaymentsDeclined { reason: "stolen" });
            42
        })
        .await;
        assert_eq!(answer, 42);
        let reasons: Vec<&str> = samples
            .iter()
            .map(|sample| sample.dimensions[1].1.as_str())
            .collect();
        assert_eq!(reasons, ["expired", "stolen"]);
    }

    #[test]
    fn a_document_holds_its_dimensions_and_values_at_the_root() {
        let documents = render(
            "ServerlessShop/test",
            1_795_784_400_000,
            &[declined("expired")],
        );
        let [document] = &documents[..] else {
            panic!("{documents:?}")
        };
        let document: Value = serde_json::from_str(document).unwrap();
        assert_eq!(
            document,
            json!({
                "_aws": {
                    "Timestamp": 1_795_784_400_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "ServerlessShop/test",
                        "Dimensions": [["Service", "Reason"], ["Service"]],
                        "Metrics": [{"Name": "PaymentsDeclined", "Unit": "Count"}],
                    }],
                },
                "Service": "payments",
                "Reason": "expired",
                "PaymentsDeclined": 1.0,
            })
        );
    }

    #[test]
    fn different_dimension_values_go_in_different_documents_and_values_gather() {
        let samples = [declined("expired"), declined("expired"), declined("stolen")];
        let documents: Vec<Value> = render("N", 0, &samples)
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[0]["Reason"], "expired");
        assert_eq!(documents[0]["PaymentsDeclined"], json!([1.0, 1.0]));
        assert_eq!(documents[1]["PaymentsDeclined"], json!(1.0));
    }

    #[test]
    fn documents_stay_within_a_hundred_metrics_and_a_hundred_values() {
        let names: Vec<&'static str> = (0..101)
            .map(|n| &*Box::leak(format!("M{n}").into_boxed_str()))
            .collect();
        let mut samples: Vec<Sample> = names
            .iter()
            .map(|name| Sample {
                name,
                unit: Unit::Milliseconds,
                dimensions: vec![("Service", "orders".into())],
                sets: vec![vec!["Service"]],
                value: 2.5,
            })
            .collect();
        let first = samples[0].clone();
        samples.extend(std::iter::repeat_n(first, 150));
        let documents: Vec<Value> = render("N", 0, &samples)
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        let mut values = 0;
        for document in &documents {
            let metrics = document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap();
            assert!(metrics.len() <= MAX_METRICS);
            for metric in metrics {
                let value = &document[metric["Name"].as_str().unwrap()];
                let count = value.as_array().map_or(1, Vec::len);
                assert!(count <= MAX_VALUES);
                values += count;
            }
        }
        assert_eq!(values, 101 + 150, "every value, once");
        assert!(documents.len() >= 2);
    }
}
