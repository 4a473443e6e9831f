//! What an operator of the deployed shop is given, held to what the functions write: the alarms
//! and the dashboard name only metrics of the catalogue (`shared::metrics`), under dimension sets
//! the functions write them with; the saved queries look for lines the functions write.

use serde_json::Value;
use xtask::template::Template;

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
    let mut shown = std::collections::BTreeSet::new();
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
                shown.insert(name);
            } else if row[0] == namespace {
                // [namespace, name, key, value, ..., {options}]
                let keys: Vec<&str> = row[2..]
                    .iter()
                    .step_by(2)
                    .filter_map(Value::as_str)
                    .collect();
                let name = row[1].as_str().unwrap();
                a_catalogued_metric(name, &keys, title);
                shown.insert(name);
            }
        }
    }
    let catalogue: std::collections::BTreeSet<&str> = shared::metrics::CATALOGUE
        .iter()
        .map(|definition| definition.name)
        .collect();
    assert_eq!(
        shown, catalogue,
        "every metric the functions write is on the dashboard"
    );
    // Per route (each route is one function): calls, p50 and p99 duration, errors.
    for (metric, statistic) in [
        ("Invocations", "Sum"),
        ("Duration", "p50"),
        ("Duration", "p99"),
        ("Errors", "Sum"),
    ] {
        let search = format!(
            "SEARCH('{{AWS/Lambda,FunctionName}} MetricName=\\\"{metric}\\\" ${{AWS::StackName}}', '{statistic}'"
        );
        assert!(body.contains(&search), "the dashboard shows {search}");
    }

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
        let name = properties["Name"]["Fn::Sub"].as_str().unwrap_or_default();
        assert!(
            name.starts_with("${AWS::StackName}/"),
            "{id}: in a folder of its stack's"
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
        let expected =
            if crate::observability::HANDLED_THE_ORDER.contains(&function.binary.as_str()) {
                Value::from("Active")
            } else {
                Value::Null
            };
        assert_eq!(tracing, &expected, "{}", function.logical_id);
    }
}
