//! What a first deployment to AWS needs of `template.yaml`, which no emulator would notice: each
//! test holds one rule AWS documents (the CDK stack is held to the same by
//! `infra/compare_templates.py`).

use serde_json::{Value, json};
use xtask::template::{Resource, Template};

fn template() -> Template {
    Template::workspace().unwrap()
}

fn of_kind<'a>(template: &'a Template, kind: &str) -> Vec<(&'a String, &'a Resource)> {
    template
        .resources()
        .iter()
        .filter(|(_, resource)| resource.kind == kind)
        .collect()
}

#[test]
fn the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use() {
    // CloudWatch cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key,
    // whose policy cannot be changed: its alarms would never arrive.
    let template = template();
    let topics = of_kind(&template, "AWS::SNS::Topic");
    assert!(!topics.is_empty());
    for (id, topic) in topics {
        let key = &topic.properties["KmsMasterKeyId"];
        assert!(
            !key.as_str()
                .is_some_and(|key| key.starts_with("alias/aws/")),
            "{id} uses an AWS-managed key"
        );
        let key_id = key["Fn::GetAtt"][0]
            .as_str()
            .or_else(|| key["Ref"].as_str())
            .unwrap_or_else(|| panic!("{id}: KmsMasterKeyId is {key}, not a key of the stack"));
        let policy = &template.resources()[key_id].properties["KeyPolicy"]["Statement"];
        let statements = policy.as_array().unwrap();
        let cloudwatch = statements
            .iter()
            .find(|s| s["Principal"]["Service"] == "cloudwatch.amazonaws.com")
            .unwrap_or_else(|| panic!("{key_id}'s policy does not let CloudWatch use it"));
        assert_eq!(cloudwatch["Effect"], "Allow");
        assert_eq!(
            cloudwatch["Action"],
            json!(["kms:Decrypt", "kms:GenerateDataKey*"])
        );
        assert!(
            cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"].is_object(),
            "only this account's alarms (confused deputy)"
        );
        assert!(
            statements
                .iter()
                .any(|s| s["Action"] == "kms:*" && s["Principal"]["AWS"].is_object()),
            "without the account's own statement nobody could change the key policy again"
        );
        assert_eq!(
            template.resources()[key_id].properties["EnableKeyRotation"],
            true
        );
    }
}

#[test]
fn customers_data_outlives_the_stack() {
    let template = template();
    let mut kept = 0;
    for kind in [
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
    ] {
        for (id, resource) in of_kind(&template, kind) {
            if id == "CardsTable" {
                // Cards held for an hour at most are not data to keep: it goes with the stack,
                // and has no backups, so that an erased card is gone.
                assert_eq!(resource.deletion_policy.as_deref(), Some("Delete"));
                assert!(
                    resource.properties["PointInTimeRecoverySpecification"].is_null(),
                    "CardsTable keeps no backups"
                );
                continue;
            }
            assert_eq!(
                (
                    resource.deletion_policy.as_deref(),
                    resource.update_replace_policy.as_deref()
                ),
                (Some("RetainExceptOnCreate"), Some("Retain")),
                "{id} would be deleted with the stack, or by a replacing update (or would be \
                 left behind by a first deploy that rolls back)"
            );
            kept += 1;
        }
    }
    // The search bucket holds only derived data, but a bucket with objects in it cannot be
    // deleted with the stack either: it is kept like the others.
    assert_eq!(
        kept, 12,
        "six tables, three buckets, the token secret, CloudFront's key and the pseudonyms' key"
    );
}

#[test]
fn a_queue_trigger_never_runs_more_batches_than_its_function_may() {
    // Beyond the function's reserved concurrency, Lambda throttles the poller: messages come
    // back with their receive count raised, and healthy ones reach the dead-letter queue.
    let mut triggers = 0;
    for function in template().functions().unwrap() {
        for trigger in &function.queue_triggers {
            assert!(
                !function.reserved_concurrency.is_null(),
                "{} has a trigger but no reserved concurrency",
                function.logical_id
            );
            assert_eq!(
                trigger.maximum_concurrency, function.reserved_concurrency,
                "{}'s trigger on {} is not capped at its reserved concurrency",
                function.logical_id, trigger.queue
            );
            triggers += 1;
        }
    }
    assert_eq!(triggers, 11);
    // MaximumConcurrency is 2 to 1000: the parameter may not be 1.
    let allowed = reserved_concurrency_parameter()["AllowedValues"].clone();
    let allowed: Vec<u64> = serde_json::from_value(allowed).unwrap();
    assert!(
        allowed.iter().all(|&n| n == 0 || (2..=1000).contains(&n)),
        "{allowed:?}"
    );
}

fn reserved_concurrency_parameter() -> Value {
    let text =
        std::fs::read_to_string(xtask::template::workspace_root().join("template.yaml")).unwrap();
    let yaml: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    serde_json::to_value(
        yaml.get("Parameters")
            .and_then(|parameters| parameters.get("ReservedConcurrency"))
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn the_default_reserved_concurrency_deploys_on_a_new_account() {
    // Lambda keeps 100 of an account's concurrency unreserved; a new account's quota can be as
    // low as 10, where any reservation fails the whole deploy.
    assert_eq!(reserved_concurrency_parameter()["Default"], 0);
    assert_eq!(
        template().parameter_default("ReservedConcurrency").unwrap(),
        "0"
    );
}

/// Lambda creates a missing log group itself, without a retention, and keeps its logs forever;
/// and it cannot write to a custom group whose name begins with `aws/` (Lambda developer guide,
/// "Configuring CloudWatch log groups").
#[test]
fn every_function_logs_to_a_log_group_whose_logs_expire() {
    let template = template();
    for function in template.functions().unwrap() {
        let group = function.log_group["Ref"].as_str().unwrap_or_else(|| {
            panic!(
                "{} logs to {}, not a log group of the stack",
                function.logical_id, function.log_group
            )
        });
        let resource = &template.resources()[group];
        assert_eq!(resource.kind, "AWS::Logs::LogGroup", "{group}");
        assert!(
            resource.properties["RetentionInDays"].as_u64().is_some(),
            "{group} keeps logs forever"
        );
        let name = resource.properties["LogGroupName"]["Fn::Sub"]
            .as_str()
            .unwrap_or_default();
        assert!(
            name.starts_with('/') && !name.starts_with("/aws/") && !name.starts_with("aws/"),
            "{group} is named {name:?}"
        );
    }
}

#[test]
fn no_secret_is_resolved_into_a_function_configuration() {
    // Anyone allowed lambda:GetFunctionConfiguration reads a function's environment, and a
    // rotated secret would only arrive with the next deployment. The one dynamic reference is
    // CloudFront's key for the API (`x-shop-edge-key`): CloudFront can only send a value it
    // holds. (Whoever may read the distribution's configuration sees it; it lets a caller claim
    // a viewer's address to the log-in limits, nothing more.)
    let text =
        std::fs::read_to_string(xtask::template::workspace_root().join("template.yaml")).unwrap();
    let references: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("{{resolve:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        references,
        [r#"HeaderValue: !Sub "{{resolve:secretsmanager:${EdgeKeySecret}:SecretString}}""#],
        "a dynamic reference in template.yaml"
    );
    for function in template().functions().unwrap() {
        for (name, value) in &function.environment {
            assert!(
                !value.to_string().contains("resolve:"),
                "{}: {name} = {value}",
                function.logical_id
            );
        }
    }
}

#[test]
fn cloudfront_names_are_unique_in_the_account_and_fit_their_limits() {
    // These names are unique per account, across regions; a stack name repeats across regions
    // and may be 128 characters. The stack id's UUID (36 characters) is unique to the stack.
    let template = template();
    let stack_uuid = json!({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]});
    for (kind, path, limit) in [
        (
            "AWS::CloudFront::OriginAccessControl",
            "/OriginAccessControlConfig/Name",
            64,
        ),
        (
            "AWS::CloudFront::ResponseHeadersPolicy",
            "/ResponseHeadersPolicyConfig/Name",
            128,
        ),
        (
            "AWS::CloudFront::CachePolicy",
            "/CachePolicyConfig/Name",
            128,
        ),
    ] {
        let found = of_kind(&template, kind);
        assert!(!found.is_empty(), "{kind}");
        let mut prefixes = Vec::new();
        for (_, resource) in found {
            let name = resource.properties.pointer(path).unwrap();
            let parts = &name["Fn::Join"];
            assert_eq!(parts[0], "-", "{kind}: {name}");
            assert_eq!(parts[1][1], stack_uuid, "{kind}: {name}");
            let prefix = parts[1][0].as_str().unwrap();
            assert!(
                prefix.len() + 1 + 36 <= limit,
                "{kind}: {prefix} is too long"
            );
            prefixes.push(prefix);
        }
        // Two of a kind in one stack share its UUID: their prefixes tell them apart.
        let count = prefixes.len();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(prefixes.len(), count, "{kind}: a name used twice");
    }
}

#[test]
fn every_response_gets_strict_security_headers_and_index_html_is_never_stale() {
    let template = template();
    let distribution = &of_kind(&template, "AWS::CloudFront::Distribution")[0]
        .1
        .properties["DistributionConfig"];
    let policy = json!({"Ref": "SecurityHeadersPolicy"});
    assert_eq!(
        distribution["DefaultCacheBehavior"]["ResponseHeadersPolicyId"],
        policy
    );
    for behaviour in distribution["CacheBehaviors"].as_array().unwrap() {
        assert_eq!(behaviour["ResponseHeadersPolicyId"], policy, "{behaviour}");
    }
    let headers: std::collections::BTreeMap<String, String> =
        template.security_headers().unwrap().into_iter().collect();
    let csp = &headers["content-security-policy"];
    for needed in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(needed), "the CSP lacks {needed}: {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["strict-transport-security"].starts_with("max-age=31536000"));
    assert!(headers.contains_key("referrer-policy"));

    // index.html is uploaded with `no-cache`, which only a cache policy with no minimum TTL
    // honours (the managed CachingOptimized keeps it a second regardless).
    let cache = &distribution["DefaultCacheBehavior"]["CachePolicyId"];
    let cache_id = cache["Ref"].as_str().unwrap();
    let config = &template.resources()[cache_id].properties["CachePolicyConfig"];
    assert_eq!(config["MinTTL"], 0);
    assert_eq!(xtask::storefront::cache_control("index.html"), "no-cache");
}

#[test]
fn cloudfront_keeps_an_origins_5xx_two_seconds_not_ten() {
    // CloudFront keeps 500, 502, 503 and 504 for 10 s by default, whatever the origin's
    // Cache-Control: one failed catalogue page would be every viewer's answer at that edge.
    // Kept a little, a failing origin is still shielded from the viewers.
    let template = template();
    let distribution = &of_kind(&template, "AWS::CloudFront::Distribution")[0]
        .1
        .properties["DistributionConfig"];
    let kept: Vec<(u64, u64)> = distribution["CustomErrorResponses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|response| {
            (
                response["ErrorCode"].as_u64().unwrap(),
                response["ErrorCachingMinTTL"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kept, [(500, 2), (502, 2), (503, 2), (504, 2)]);
}

#[test]
fn every_fifo_queue_runs_in_high_throughput_mode() {
    // Both settings, or SQS keeps the queue in normal mode: 300 calls a second for the whole
    // queue, which would cap checkouts at about that.
    let queues = template().queues().unwrap();
    let fifo: Vec<_> = queues.iter().filter(|queue| queue.fifo).collect();
    assert_eq!(fifo.len(), 22, "eleven queues and their dead-letter queues");
    for queue in fifo {
        assert_eq!(
            (
                queue.deduplication_scope.as_deref(),
                queue.throughput_limit.as_deref()
            ),
            (Some("messageGroup"), Some("perMessageGroupId")),
            "{}",
            queue.logical_id
        );
    }
}
