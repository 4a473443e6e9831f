#!/usr/bin/env python3
"""Holds the CDK stack to template.yaml: same functions, routes and authorizer, tables, queues,
triggers, buckets, alarms and their topic's key, permissions, what survives the stack, and the
storefront's CloudFront policies.

    compare_templates.py <template.yaml> <cdk.out/ServerlessShop.template.json>

template.yaml goes through the SAM transform (samtranslator, as `sam deploy` would) so that both
sides are plain CloudFormation; then each side is reduced to what matters, with references
normalised to logical ids (the CDK app keeps template.yaml's logical ids), and the two are
compared. Differences are listed and the exit code is 1. Runs in the SAM CLI's virtualenv.
"""

import json
import os
import re
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The SAM transform asks for managed policy ARNs; none are needed offline."""

    def load(self):
        return {}


def sam_to_cloudformation(path):
    text = open(path, encoding="utf-8").read()
    template = yaml_parse(text)
    binaries = {
        name: resource["Metadata"]["BuildProperties"]["Binary"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    # The transform wants an S3 location for code that `sam build` would otherwise package.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return transform(template, {}, NoManagedPolicies()), binaries


# ------------------------------------------------------------------------------------------------
# Normalising references
# ------------------------------------------------------------------------------------------------


def text(value):
    """A value as a string, with references written ${Id} (attributes dropped)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if key == "Ref":
            return "${%s}" % inner
        if key == "Fn::GetAtt":
            target = inner if isinstance(inner, list) else inner.split(".")
            return "${%s}" % target[0]
        if key == "Fn::Join":
            separator, parts = inner
            return separator.join(text(part) for part in parts)
        if key == "Fn::Sub":
            template = inner if isinstance(inner, str) else inner[0]
            variables = {} if isinstance(inner, str) else inner[1]
            def replace(match):
                name = match.group(1)
                if name in variables:
                    return text(variables[name])
                return "${%s}" % name.split(".")[0]
            return re.sub(r"\$\{([^}!]+)\}", replace, template)
        if key == "Fn::If":
            return "if(%s,%s,%s)" % (inner[0], text(inner[1]), text(inner[2]))
    return json.dumps(value, sort_keys=True)


def resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


# ------------------------------------------------------------------------------------------------
# What each side declares
# ------------------------------------------------------------------------------------------------

# Permissions every function gets from its framework (logs, tracing, polling its queue or reading
# its table's stream), which SAM and the CDK spell differently (SAM attaches managed policies for
# some); the comparison is about the ones the shop asks for.
FRAMEWORK_ACTIONS = re.compile(
    r"^(logs:|xray:"
    r"|sqs:(ReceiveMessage|DeleteMessage|ChangeMessageVisibility|GetQueueAttributes|GetQueueUrl)"
    r"|dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams))"
)


def functions(template, binaries=None):
    found = {}
    for name, function in resources(template, "AWS::Lambda::Function").items():
        p = function["Properties"]
        tags = {t["Key"]: t["Value"] for t in p.get("Tags", [])}
        found[name] = {
            "binary": (binaries or {}).get(name) or tags.get("shop:binary"),
            "runtime": p.get("Runtime"),
            "architectures": p.get("Architectures"),
            "memory": p.get("MemorySize"),
            "timeout": p.get("Timeout"),
            "tracing": p.get("TracingConfig", {}).get("Mode"),
            "log_format": p.get("LoggingConfig", {}).get("LogFormat"),
            "log_group": text(p.get("LoggingConfig", {}).get("LogGroup")),
            "reserved_concurrency": text(p.get("ReservedConcurrentExecutions")),
            "environment": {k: text(v) for k, v in p.get("Environment", {}).get("Variables", {}).items()},
            "description": p.get("Description"),
        }
    return found


def permissions(template):
    """Per function: the (action, resource) pairs its role allows, framework ones left out."""
    role_of = {
        name: text(f["Properties"]["Role"]).strip("${}")
        for name, f in resources(template, "AWS::Lambda::Function").items()
    }
    statements = {}
    for role_name, role in resources(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            statements.setdefault(role_name, []).extend(policy["PolicyDocument"]["Statement"])
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"].get("Roles", []):
            statements.setdefault(text(role).strip("${}"), []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    found = {}
    for function, role in role_of.items():
        pairs = set()
        for statement in statements.get(role, []):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            condition = json.dumps({k: {kk: text(vv) for kk, vv in v.items()} for k, v in statement.get("Condition", {}).items()}, sort_keys=True)
            for action in actions:
                if FRAMEWORK_ACTIONS.match(action):
                    continue
                for target in targets:
                    pairs.add((action, text(target), condition))
        found[function] = sorted(pairs)
    return found


def routes(template):
    """(METHOD path) -> (function, authorizer or None)."""
    found = {}
    for api in resources(template, "AWS::ApiGatewayV2::Api").values():
        body = api["Properties"].get("Body")
        if not body:
            continue
        for path, methods in body.get("paths", {}).items():
            for method, operation in methods.items():
                uri = text(operation["x-amazon-apigateway-integration"]["uri"])
                function = re.search(r"\$\{(\w+)\}/invocations", uri).group(1)
                security = operation.get("security", [{}])[0]
                authorizer = next(iter(security), None)
                found[f"{method.upper()} {path}"] = (function, None if authorizer in (None, "NONE") else "lambda")
    integrations = {
        name: re.search(r"\$\{(\w+)\}", text(i["Properties"]["IntegrationUri"])).group(1)
        for name, i in resources(template, "AWS::ApiGatewayV2::Integration").items()
    }
    for route in resources(template, "AWS::ApiGatewayV2::Route").values():
        p = route["Properties"]
        target = re.search(r"integrations/\$\{(\w+)\}", text(p["Target"])).group(1)
        auth = None if p.get("AuthorizationType", "NONE") == "NONE" else "lambda"
        found[p["RouteKey"]] = (integrations[target], auth)
    return found


def authorizers(template):
    found = []
    for api in resources(template, "AWS::ApiGatewayV2::Api").values():
        schemes = (api["Properties"].get("Body") or {}).get("components", {}).get("securitySchemes", {})
        for scheme in schemes.values():
            a = scheme["x-amazon-apigateway-authorizer"]
            found.append({
                "function": re.search(r"\$\{(\w+)\}", text(a["authorizerUri"])).group(1),
                "ttl": a.get("authorizerResultTtlInSeconds"),
                "identity": a.get("identitySource", []),
                "payload": a.get("authorizerPayloadFormatVersion"),
                "simple": a.get("enableSimpleResponses"),
            })
    for a in resources(template, "AWS::ApiGatewayV2::Authorizer").values():
        p = a["Properties"]
        found.append({
            "function": re.search(r"\$\{(\w+)\}", text(p["AuthorizerUri"])).group(1),
            "ttl": p.get("AuthorizerResultTtlInSeconds"),
            "identity": p.get("IdentitySource", []),
            "payload": p.get("AuthorizerPayloadFormatVersion"),
            "simple": p.get("EnableSimpleResponses"),
        })
    return found


def stage_settings(template):
    found = {}
    for stage in resources(template, "AWS::ApiGatewayV2::Stage").values():
        p = stage["Properties"]
        settings = p.get("DefaultRouteSettings", {})
        access = p.get("AccessLogSettings", {})
        found = {
            "burst": text(settings.get("ThrottlingBurstLimit")),
            "rate": text(settings.get("ThrottlingRateLimit")),
            "access_logs": text(access.get("DestinationArn")),
            "access_log_fields": sorted(json.loads(re.sub(r"\s+", "", access.get("Format", "{}"))).keys()),
        }
    return found


def tables(template):
    found = {}
    for name, t in resources(template, "AWS::DynamoDB::Table").items():
        p = t["Properties"]
        found[name] = {
            "keys": p["KeySchema"],
            "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in p["AttributeDefinitions"]),
            "indexes": sorted(
                (i["IndexName"], json.dumps(i["KeySchema"]), i["Projection"]["ProjectionType"], sorted(i["Projection"].get("NonKeyAttributes", [])))
                for i in p.get("GlobalSecondaryIndexes", [])
            ),
            "billing": p.get("BillingMode"),
            "ttl": p.get("TimeToLiveSpecification"),
            "pitr": p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"),
            "sse": p.get("SSESpecification", {}).get("SSEEnabled"),
            "stream": p.get("StreamSpecification", {}).get("StreamViewType"),
        }
    return found


def queues(template):
    found = {}
    for name, q in resources(template, "AWS::SQS::Queue").items():
        p = q["Properties"]
        redrive = p.get("RedrivePolicy")
        found[name] = {
            "fifo": p.get("FifoQueue"),
            "deduplication_scope": p.get("DeduplicationScope"),
            "throughput_limit": p.get("FifoThroughputLimit"),
            "visibility": p.get("VisibilityTimeout"),
            "retention": p.get("MessageRetentionPeriod"),
            "delay": text(p["DelaySeconds"]) if "DelaySeconds" in p else None,
            "sse": p.get("SqsManagedSseEnabled"),
            "dead_letters": None if not redrive else (text(redrive["deadLetterTargetArn"]), redrive["maxReceiveCount"]),
        }
    return found


def triggers(template):
    """Per trigger (function <- queue or table): how it is fed, its batches and concurrency, and
    for a stream where it starts, how it retries, where what it gives up on goes and which records
    it gets."""
    found = {}
    for m in resources(template, "AWS::Lambda::EventSourceMapping").values():
        p = m["Properties"]
        found[f'{text(p["FunctionName"])} <- {text(p["EventSourceArn"])}'] = {
            "batch_size": p.get("BatchSize"),
            "parallelization": p.get("ParallelizationFactor"),
            "response_types": p.get("FunctionResponseTypes", []),
            "max_concurrency": text(p.get("ScalingConfig", {}).get("MaximumConcurrency")),
            "starting_position": p.get("StartingPosition"),
            "retry_attempts": p.get("MaximumRetryAttempts"),
            "max_record_age": p.get("MaximumRecordAgeInSeconds"),
            "bisect": p.get("BisectBatchOnFunctionError"),
            "on_failure": text(p.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")),
            # The patterns are JSON in a string: compared parsed, so spacing and key order do not count.
            "filters": sorted(
                json.dumps(json.loads(f["Pattern"]), sort_keys=True)
                for f in p.get("FilterCriteria", {}).get("Filters", [])
            ),
        }
    return found


def buckets(template):
    found = {}
    for name, b in resources(template, "AWS::S3::Bucket").items():
        p = b["Properties"]
        found[name] = {
            "encryption": p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
            "public_access": p.get("PublicAccessBlockConfiguration"),
            "ownership": p.get("OwnershipControls"),
            "versioning": p.get("VersioningConfiguration"),
        }
    return found


def alarms(template):
    found = {}
    for name, a in resources(template, "AWS::CloudWatch::Alarm").items():
        p = a["Properties"]
        found[name] = {
            "metric": (p.get("Namespace"), p.get("MetricName"), p.get("Statistic")),
            "queue": [text(d["Value"]) for d in p.get("Dimensions", [])],
            "threshold": (p.get("ComparisonOperator"), float(p.get("Threshold"))),
            "periods": (int(p.get("Period", 0)), int(p.get("EvaluationPeriods", 0)), p.get("TreatMissingData")),
            "datapoints": int(p.get("DatapointsToAlarm", p.get("EvaluationPeriods", 0))),
            "extended_statistic": p.get("ExtendedStatistic"),
            "metrics": sorted(json.dumps(deep_text(m), sort_keys=True) for m in p.get("Metrics", [])),
            "actions": [text(action) for action in p.get("AlarmActions", [])],
        }
    return found


def deep_text(value, sort_lists=False):
    """`value` with every reference and scalar written as text() writes it (lists sorted if
    asked)."""
    if isinstance(value, list):
        items = [deep_text(v, sort_lists) for v in value]
        return sorted(items) if sort_lists else items
    if isinstance(value, dict) and not (len(value) == 1 and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::"))):
        return {k: deep_text(v, sort_lists) for k, v in value.items()}
    return text(value)


def dashboards(template):
    """Each dashboard's body, as JSON after its references are written ${Id}."""
    return {
        name: json.loads(text(d["Properties"]["DashboardBody"]))
        for name, d in resources(template, "AWS::CloudWatch::Dashboard").items()
    }


def query_definitions(template):
    return {
        text(q["Properties"]["Name"]): (
            [text(g) for g in q["Properties"].get("LogGroupNames", [])],
            q["Properties"]["QueryString"].strip(),
        )
        for q in resources(template, "AWS::Logs::QueryDefinition").values()
    }


# Resources whose fate when the stack goes (or replaces them) is compared: the data, and the
# transient things the linter asks to say so of explicitly.
LIFECYCLE_KINDS = (
    "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret", "AWS::SQS::Queue",
    "AWS::Logs::LogGroup", "AWS::KMS::Key",
)


def lifecycles(template):
    return {
        name: (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy"))
        for name, r in template["Resources"].items()
        if r["Type"] in LIFECYCLE_KINDS
    }


def update_order(template):
    """Each function's DependsOn on other functions: the order a deploy updates them in."""
    names = set(resources(template, "AWS::Lambda::Function"))
    found = {}
    for name in names:
        depends = template["Resources"][name].get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        on = sorted(set(depends) & names)
        if on:
            found[name] = on
    return found


def statement_text(statement):
    """A policy statement with its references written ${Id}, lists sorted."""
    return json.dumps({k: deep_text(v, sort_lists=True) for k, v in statement.items()}, sort_keys=True)


def alarm_topics(template):
    """Each topic's key, whether it rotates, and its key policy."""
    keys = resources(template, "AWS::KMS::Key")
    found = {}
    for name, topic in resources(template, "AWS::SNS::Topic").items():
        key_ref = topic["Properties"].get("KmsMasterKeyId")
        key = keys.get(text(key_ref).strip("${}")) if key_ref else None
        found[name] = {
            "key": text(key_ref) if key_ref else None,
            "rotation": key and key["Properties"].get("EnableKeyRotation"),
            "key_policy": key and sorted(statement_text(s) for s in key["Properties"]["KeyPolicy"]["Statement"]),
        }
    return found


def cloudfront(template):
    """The storefront's origin access control name, response headers and cache policies, and
    which of them each behaviour uses."""
    found = {}
    for name, oac in resources(template, "AWS::CloudFront::OriginAccessControl").items():
        found["origin access control name"] = text(oac["Properties"]["OriginAccessControlConfig"]["Name"])
    for name, policy in resources(template, "AWS::CloudFront::ResponseHeadersPolicy").items():
        config = policy["Properties"]["ResponseHeadersPolicyConfig"]
        found["response headers policy"] = (
            text(config["Name"]),
            json.dumps(config["SecurityHeadersConfig"], sort_keys=True),
            json.dumps(config.get("CustomHeadersConfig"), sort_keys=True),
        )
    for name, policy in resources(template, "AWS::CloudFront::CachePolicy").items():
        config = dict(policy["Properties"]["CachePolicyConfig"])
        found[f"cache policy {name}"] = (text(config.pop("Name")), config.pop("Comment", None) is not None, json.dumps(config, sort_keys=True))
    for name, function in resources(template, "AWS::CloudFront::Function").items():
        p = function["Properties"]
        found[f"function {name}"] = (text(p["Name"]), p["FunctionConfig"]["Runtime"], p["FunctionCode"].strip())
    for distribution in resources(template, "AWS::CloudFront::Distribution").values():
        config = distribution["Properties"]["DistributionConfig"]
        behaviours = [("default", config["DefaultCacheBehavior"])] + [(b["PathPattern"], b) for b in config.get("CacheBehaviors", [])]
        # CloudFront takes the first pattern a path matches: the order is part of the meaning.
        found["behaviour order"] = [path for path, _ in behaviours]
        for path, behaviour in behaviours:
            found[f"behaviour {path}"] = (
                text(behaviour.get("CachePolicyId")),
                text(behaviour.get("OriginRequestPolicyId")),
                sorted(behaviour.get("AllowedMethods", ["GET", "HEAD"])),
                text(behaviour.get("ResponseHeadersPolicyId")),
                sorted((a["EventType"], text(a["FunctionARN"])) for a in behaviour.get("FunctionAssociations", [])),
            )
        found["error caching"] = sorted(
            (response["ErrorCode"], response.get("ErrorCachingMinTTL"), response.get("ResponsePagePath"))
            for response in config.get("CustomErrorResponses", [])
        )
        found["origin headers"] = sorted(
            (header["HeaderName"], text(header["HeaderValue"]))
            for origin in config["Origins"]
            for header in origin.get("OriginCustomHeaders", [])
        )
    return found


def log_retention(template):
    return sorted(
        (text(g["Properties"].get("LogGroupName", "")) or name, g["Properties"].get("RetentionInDays"))
        for name, g in resources(template, "AWS::Logs::LogGroup").items()
    )


def parameters(template):
    return {
        name: (p.get("Type"), str(p.get("Default")), [str(v) for v in p.get("AllowedValues", [])])
        for name, p in template.get("Parameters", {}).items()
        if not name.startswith("BootstrapVersion")
    }


def outputs(template):
    return sorted(name for name in template.get("Outputs", {}))


# ------------------------------------------------------------------------------------------------


def main():
    sam_path, cdk_path = sys.argv[1:3]
    sam, binaries = sam_to_cloudformation(sam_path)
    cdk = json.load(open(cdk_path, encoding="utf-8"))
    checks = [
        ("functions", functions(sam, binaries), functions(cdk)),
        ("permissions", permissions(sam), permissions(cdk)),
        ("routes", routes(sam), routes(cdk)),
        ("authorizer", authorizers(sam), authorizers(cdk)),
        ("API stage", stage_settings(sam), stage_settings(cdk)),
        ("tables", tables(sam), tables(cdk)),
        ("queues", queues(sam), queues(cdk)),
        ("triggers", triggers(sam), triggers(cdk)),
        ("buckets", buckets(sam), buckets(cdk)),
        ("alarms", alarms(sam), alarms(cdk)),
        ("dashboards", dashboards(sam), dashboards(cdk)),
        ("saved queries", query_definitions(sam), query_definitions(cdk)),
        ("log groups", len(log_retention(sam)), len(log_retention(cdk))),
        ("deletion and replacement policies", lifecycles(sam), lifecycles(cdk)),
        ("functions updated before others", update_order(sam), update_order(cdk)),
        ("alarm topic and its key", alarm_topics(sam), alarm_topics(cdk)),
        ("CloudFront policies", cloudfront(sam), cloudfront(cdk)),
        ("parameters", parameters(sam), parameters(cdk)),
    ]
    differences = 0
    for what, left, right in checks:
        if not left:
            print(f"template.yaml declares no {what}: the comparison itself is broken")
            return 2
        if left == right:
            print(f"same {what}")
            continue
        differences += 1
        print(f"DIFFERENT {what}:")
        if isinstance(left, dict) and isinstance(right, dict):
            for key in sorted(set(left) | set(right)):
                if left.get(key) != right.get(key):
                    print(f"  {key}:\n    template.yaml: {json.dumps(left.get(key), sort_keys=True, default=str)}\n    CDK:           {json.dumps(right.get(key), sort_keys=True, default=str)}")
        else:
            print(f"  template.yaml: {json.dumps(left, sort_keys=True, default=str)}\n  CDK:           {json.dumps(right, sort_keys=True, default=str)}")
    missing = set(outputs(sam)) - set(outputs(cdk))
    if missing:
        differences += 1
        print(f"DIFFERENT outputs: the CDK stack lacks {sorted(missing)}")
    print(f"{differences} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
