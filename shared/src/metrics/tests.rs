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
