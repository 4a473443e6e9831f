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
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::None => "None",
        }
    }
}

/// One value of one metric, with the dimensions it is recorded under.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: &'static str,
    pub unit: Unit,
    /// Each dimension's key and value (the most detailed set): never a user or an order.
    pub dimensions: Vec<(&'static str, String)>,
    /// The dimension sets it is counted under, each a subset of `dimensions`' keys.
    pub sets: Vec<Vec<&'static str>>,
    pub value: f64,
}

tokio::task_local! {
    /// The samples recorded by the invocation being run.
    static RECORDED: RefCell<Vec<Sample>>;
}

/// Records `sample` for the invocation being run; nothing outside one (a command-line tool, a
/// handler called by a test).
pub fn record(sample: Sample) {
    let _outside_an_invocation = RECORDED.try_with(|recorded| recorded.borrow_mut().push(sample));
}

/// Runs `work` (one invocation), then writes what it recorded to standard output as EMF
/// documents, one a line, in the namespace `METRICS_NAMESPACE` names.
pub async fn collecting<F: Future>(work: F) -> F::Output {
    let (output, samples) = collected(work).await;
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
pub fn render(namespace: &str, timestamp_ms: i64, samples: &[Sample]) -> Vec<String> {
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
        Sample {
            name: "PaymentsDeclined",
            unit: Unit::Count,
            dimensions: vec![("Service", "payments".into()), ("Reason", reason.into())],
            sets: vec![vec!["Service"], vec!["Service", "Reason"]],
            value: 1.0,
        }
    }

    #[tokio::test]
    async fn an_invocation_collects_what_it_records_and_nothing_leaks_outside() {
        record(declined("outside: dropped"));
        let (answer, samples) = collected(async {
            record(declined("expired"));
            tokio::task::yield_now().await;
            record(declined("stolen"));
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
                        "Dimensions": [["Service"], ["Service", "Reason"]],
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
