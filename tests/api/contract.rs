//! `template.yaml` is the source of truth; these tests hold the code, the sample events and
//! `openapi.yaml` to it, so none of them can drift.

use std::collections::BTreeSet;

use serde_json::Value;
use xtask::template::{Template, workspace_root};

use crate::support::{event_text, events_dir};

/// Routes anyone may call. Every other route must run the authorizer first.
const PUBLIC_ROUTES: &[&str] = &[
    "POST /api/user/create",
    "POST /api/user/login",
    "POST /api/user/session/refresh",
    "POST /api/user/verify",
    "POST /api/user/password-reset",
    "POST /api/user/password-reset/confirm",
    "GET /api/user/{username}/exists",
    "GET /api/products",
    "GET /api/categories",
    "GET /api/search",
    "GET /api/product/{id}",
];

fn template() -> Template {
    Template::workspace().unwrap()
}

/// Every `[[bin]]` of every service: `functions/<service>/src/bin/<name>.rs`.
fn binaries() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for service in std::fs::read_dir(workspace_root().join("functions")).unwrap() {
        let bin_dir = service.unwrap().path().join("src/bin");
        for file in std::fs::read_dir(bin_dir).into_iter().flatten() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                found.insert(path.file_stem().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found
}

#[test]
fn every_function_is_a_binary_and_every_binary_a_function() {
    let declared: BTreeSet<String> = template()
        .functions()
        .unwrap()
        .into_iter()
        .map(|function| function.binary)
        .collect();
    assert_eq!(declared, binaries());
}

#[test]
fn every_route_but_the_public_ones_runs_the_authorizer() {
    let template = template();
    let authorizers = template.authorizers().unwrap();
    assert_eq!(authorizers.len(), 1);
    let authorizer = &authorizers[0];
    assert_eq!(authorizer.payload_format_version, "2.0");
    assert!(authorizer.simple_responses);
    assert_eq!(
        authorizer.cache_seconds, 0,
        "a cached verdict would let a logged-out token work until the cache expires"
    );
    for route in template.routes().unwrap() {
        let public = PUBLIC_ROUTES.contains(&route.key().as_str());
        assert_eq!(
            route.authorizer.is_none(),
            public,
            "{} should {}be public",
            route.key(),
            if public { "" } else { "not " }
        );
        if let Some(name) = &route.authorizer {
            assert_eq!(name, &authorizer.name);
        }
    }
}

#[test]
fn every_resource_a_function_names_is_one_the_template_declares() {
    let template = template();
    let ids = |ids: Vec<String>| ids.into_iter().collect::<BTreeSet<String>>();
    let tables = ids(template
        .tables()
        .unwrap()
        .into_iter()
        .map(|t| t.logical_id)
        .collect());
    let queues = ids(template
        .queues()
        .unwrap()
        .into_iter()
        .map(|q| q.logical_id)
        .collect());
    let buckets = ids(template.buckets());
    let functions = template.functions().unwrap();
    let function_ids = ids(functions.iter().map(|f| f.logical_id.clone()).collect());
    for function in &functions {
        for (name, value) in &function.environment {
            let kind = if name.ends_with("_TABLE") {
                &tables
            } else if name.ends_with("_BUCKET") {
                &buckets
            } else if name.ends_with("_QUEUE_URL") {
                &queues
            } else if name.ends_with("_FUNCTION") {
                &function_ids
            } else {
                continue;
            };
            assert!(
                value["Ref"].as_str().is_some_and(|id| kind.contains(id)),
                "{}: {name} is {value}, not !Ref to a declared resource of its kind",
                function.logical_id
            );
        }
    }
}

#[test]
fn every_consumer_reports_failures_and_has_somewhere_for_what_it_gives_up_on() {
    let template = template();
    let queues = template.queues().unwrap();
    for function in template.functions().unwrap() {
        for trigger in &function.queue_triggers {
            let queue = queues
                .iter()
                .find(|queue| queue.logical_id == trigger.queue)
                .unwrap_or_else(|| panic!("{} consumes an undeclared queue", function.logical_id));
            assert!(
                trigger.reports_failures,
                "{}: without ReportBatchItemFailures one failure retries the whole batch",
                function.logical_id
            );
            assert!(
                queue.redrive.is_some(),
                "{} has no dead-letter queue",
                queue.logical_id
            );
            let timeout = function.timeout.unwrap_or(3);
            assert!(
                queue.visibility_timeout.unwrap_or(30) >= 6 * timeout,
                "{}: visibility timeout under six times {}'s timeout",
                queue.logical_id,
                function.logical_id
            );
            assert!((1..=10).contains(&trigger.batch_size));
        }
        for trigger in &function.stream_triggers {
            assert!(
                trigger.reports_failures,
                "{}: without ReportBatchItemFailures one failure retries the whole batch",
                function.logical_id
            );
            // A record that fails for ever would hold up its shard until it expires (24 hours).
            assert!(
                (0..=10_000).contains(&trigger.maximum_retry_attempts)
                    || (60..=86_400).contains(&trigger.maximum_record_age),
                "{}: its retries must end before the stream forgets its records",
                function.logical_id
            );
            let on_failure = trigger.on_failure.as_ref().unwrap_or_else(|| {
                panic!(
                    "{}: records given up on must be reported",
                    function.logical_id
                )
            });
            let queue = queues
                .iter()
                .find(|queue| &queue.logical_id == on_failure)
                .unwrap_or_else(|| {
                    panic!("{} reports to an undeclared queue", function.logical_id)
                });
            assert!(
                !queue.fifo,
                "{}: Lambda's on-failure destination cannot be a FIFO queue",
                queue.logical_id
            );
        }
    }
}

fn openapi() -> Value {
    xtask::openapi::read(&workspace_root()).unwrap()
}

#[test]
fn openapi_describes_exactly_the_templates_routes_and_their_auth() {
    let spec = openapi();
    let mut documented = BTreeSet::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let key = format!("{} {path}", method.to_ascii_uppercase());
            let public = xtask::openapi::is_public(operation, &spec["security"]);
            assert!(
                operation["responses"].is_object(),
                "{key} documents no responses"
            );
            documented.insert((key, public));
        }
    }
    let declared: BTreeSet<(String, bool)> = template()
        .routes()
        .unwrap()
        .into_iter()
        .map(|route| (route.key(), route.authorizer.is_none()))
        .collect();
    assert_eq!(documented, declared);
    assert!(
        spec["components"]["securitySchemes"]["bearerAuth"].is_object(),
        "openapi.yaml must describe the bearer token scheme"
    );
    assert_eq!(spec["security"][0]["bearerAuth"], serde_json::json!([]));
}

#[test]
fn every_sample_event_parses_and_targets_a_declared_function() {
    let template = template();
    let functions = template.functions().unwrap();
    let authorizer_functions: BTreeSet<String> = template
        .authorizers()
        .unwrap()
        .into_iter()
        .map(|authorizer| authorizer.function)
        .collect();
    let mut covered = BTreeSet::new();
    for file in std::fs::read_dir(events_dir()).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let function = functions
            .iter()
            .filter(|function| name.starts_with(&function.binary))
            .max_by_key(|function| function.binary.len())
            .unwrap_or_else(|| panic!("events/{name}.json names no function"));
        let json: Value = serde_json::from_str(&event_text(&name)).unwrap();
        if let Some(trigger) = function.queue_triggers.first() {
            let event: shared::sqs::SqsEvent = serde_json::from_value(json.clone()).unwrap();
            let record = &event.records[0];
            assert_eq!(record.event_source.as_deref(), Some("aws:sqs"), "{name}");
            assert!(
                record
                    .event_source_arn
                    .as_deref()
                    .is_some_and(|arn| arn.contains(&trigger.queue)),
                "events/{name}.json does not come from {}",
                trigger.queue
            );
        } else if let Some(trigger) = function.stream_triggers.first() {
            let event: aws_lambda_events::dynamodb::Event =
                serde_json::from_value(json.clone()).unwrap();
            assert!(!event.records.is_empty(), "{name}");
            for record in json["Records"].as_array().unwrap() {
                assert_eq!(record["eventSource"], "aws:dynamodb", "{name}");
                assert!(
                    record["eventSourceARN"]
                        .as_str()
                        .is_some_and(|arn| arn.contains(&format!("-{}-", trigger.table))),
                    "events/{name}.json does not come from {}'s stream",
                    trigger.table
                );
                assert!(
                    xtask::streams::delivered(&trigger.filters, record),
                    "events/{name}.json holds a record {}'s filters keep from it",
                    function.logical_id
                );
            }
        } else if authorizer_functions.contains(&function.logical_id) {
            assert_eq!(json["type"], "REQUEST", "{name}");
            assert_eq!(json["version"], "2.0", "{name}");
        } else {
            crate::support::event(&name);
            let route_key = json["routeKey"].as_str().unwrap();
            assert!(
                function.routes.iter().any(|route| route.key() == route_key),
                "events/{name}.json is for {route_key}, which {} does not serve",
                function.binary
            );
        }
        covered.insert(function.binary.clone());
    }
    let all: BTreeSet<String> = functions
        .into_iter()
        .map(|function| function.binary)
        .collect();
    assert_eq!(covered, all, "every function needs a sample event");
}

/// Every code the API answers is in `openapi.yaml`'s `ErrorCode` list and nothing else is; where a
/// route's response names codes ("... (`order_not_paid`)"), each is answered with that status.
#[test]
fn openapi_lists_exactly_the_error_codes_and_their_statuses() {
    use shared::error::ErrorCode;
    let spec = openapi();
    let listed: BTreeSet<&str> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    let answered: BTreeSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(listed, answered);
    assert_eq!(
        spec["components"]["schemas"]["Error"]["properties"]["error"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let code_of = |name: &str| ErrorCode::ALL.iter().find(|code| code.as_str() == name);
    let named = |description: &str| -> Vec<String> {
        description
            .split("(`")
            .skip(1)
            .filter_map(|rest| rest.split_once("`)").map(|(code, _)| code.to_owned()))
            .collect()
    };
    let mut checked = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let description = response["description"].as_str().unwrap_or_default();
                for name in named(description) {
                    let code = code_of(&name).unwrap_or_else(|| {
                        panic!("{method} {path} {status} names {name}, which no error has")
                    });
                    assert_eq!(
                        code.status().as_str(),
                        status,
                        "{method} {path} documents {name} as a {status}"
                    );
                    checked += 1;
                }
            }
        }
    }
    for (name, response) in spec["components"]["responses"].as_object().unwrap() {
        let description = response["description"].as_str().unwrap_or_default();
        for code in named(description) {
            assert!(code_of(&code).is_some(), "response {name} names {code}");
        }
    }
    assert!(checked > 10, "only {checked} documented codes were checked");
}

/// The README's naming rule: `<service>-<action>` is the binary, in `functions/<service>s/`, whose
/// handler is `handlers/<action>.rs`, and whose logical id is the name in PascalCase + `Function`.
#[test]
fn every_function_follows_the_naming_rule() {
    const SERVICES: [&str; 7] = [
        "user", "product", "order", "payment", "receipt", "search", "report",
    ];
    for function in template().functions().unwrap() {
        let binary = &function.binary;
        let (service, action) = binary
            .split_once('-')
            .filter(|(service, _)| SERVICES.contains(service))
            .unwrap_or_else(|| panic!("{binary} does not start with a service: {SERVICES:?}"));
        // Services that hold things are plural (`functions/orders/`); search holds nothing.
        let crate_dir = match service {
            "search" => workspace_root().join("functions/search/src"),
            _ => workspace_root().join(format!("functions/{service}s/src")),
        };
        assert!(
            crate_dir.join(format!("bin/{binary}.rs")).is_file(),
            "{binary} is not a binary of the {service}s service"
        );
        let module = action.replace('-', "_");
        assert!(
            crate_dir.join(format!("handlers/{module}.rs")).is_file(),
            "{binary}'s handler should be {service}s::handlers::{module}"
        );
        let pascal: String = binary
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        assert_eq!(function.logical_id, format!("{pascal}Function"), "{binary}");
    }
}

/// The page the shop serves at `/docs` is the one `openapi.yaml` renders to as it is now.
#[test]
fn the_served_api_docs_are_openapi_yaml_as_it_is() {
    let root = workspace_root();
    let rendered = xtask::api_docs::render_workspace(&root).unwrap();
    let served = std::fs::read_to_string(root.join(xtask::api_docs::PAGE)).unwrap_or_default();
    assert!(
        rendered == served,
        "{} is not what openapi.yaml renders to: run `cargo xtask api-docs`",
        xtask::api_docs::PAGE
    );
}

/// `openapi.yaml`'s contract changes only with the version the change needs: a new major
/// version for an incompatible change, a new minor one for a compatible change
/// (docs/api-versioning.md), and the contract of that version recorded.
#[test]
fn openapi_yaml_changes_only_with_the_version_the_change_needs() {
    use xtask::api_compat::{Standing, read_workspace, standing};
    let (recorded, now) = read_workspace(&workspace_root()).unwrap();
    match standing(&recorded, &now) {
        Ok(Standing::Recorded) => {}
        Ok(Standing::ToRecord { version }) => panic!(
            "openapi.yaml's contract changed, as version {version} allows: record it with \
             `cargo xtask api-lock`"
        ),
        Err(err) => panic!("{err}"),
    }
}
