//! What an AWS API request asks IAM for: who signed it (the SigV4 credential), and each action
//! and resource it needs, with the condition keys the request carries.
//!
//! Each service says it differently: DynamoDB, SQS and Secrets Manager in the `X-Amz-Target`
//! header and a JSON body, S3 in the method and path, SES v2 in a REST path and a JSON body. A
//! request the gate cannot read is refused (it fails closed), never waved through.

use std::collections::BTreeMap;

use serde_json::Value;

use super::policy::Context;
use crate::local::names::ACCOUNT;

/// The signer of a request, from its SigV4 `Authorization` header (or presigned query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    pub region: String,
    /// The signing name: `dynamodb`, `sqs`, `s3`, `ses`, `secretsmanager`, `lambda`.
    pub service: String,
}

impl Credential {
    /// `Credential=AKID/20260101/eu-west-1/dynamodb/aws4_request` in the header, or
    /// `X-Amz-Credential` in the query.
    pub fn from_request(authorization: Option<&str>, query: &str) -> Option<Self> {
        let scope = match authorization {
            Some(header) => header
                .split([',', ' '])
                .find_map(|part| part.trim().strip_prefix("Credential="))?
                .to_owned(),
            None => {
                query_pairs(query)
                    .into_iter()
                    .find(|(name, _)| name == "X-Amz-Credential")?
                    .1
            }
        };
        let mut parts = scope.split('/');
        let access_key = parts.next()?.to_owned();
        let _date = parts.next()?;
        let region = parts.next()?.to_owned();
        let service = parts.next()?.to_owned();
        (!access_key.is_empty()).then_some(Self {
            access_key,
            region,
            service,
        })
    }
}

/// One thing IAM must allow for the request to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub action: String,
    pub resource: String,
    pub context: Context,
}

impl Check {
    fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            context: Context::new(),
        }
    }

    fn with(mut self, key: &str, value: &str) -> Self {
        self.context.insert(key.to_owned(), vec![value.to_owned()]);
        self
    }
}

/// The parts of an HTTP request the checks are read from.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// `X-Amz-Target`, for the JSON protocols.
    pub target: Option<&'a str>,
    /// `x-amz-copy-source`, for S3.
    pub copy_source: Option<&'a str>,
    pub body: &'a [u8],
}

/// Why a request could not be read; the gate refuses it.
pub type Unreadable = String;

/// The checks `request` needs, for a caller whose credential is scoped to `service` in `region`.
/// `secrets` maps a secret's name to its ARN, for a `SecretId` given by name.
pub fn checks(
    service: &str,
    region: &str,
    request: &ApiRequest<'_>,
    secrets: &BTreeMap<String, String>,
) -> Result<Vec<Check>, Unreadable> {
    let arn =
        |service: &str, resource: &str| format!("arn:aws:{service}:{region}:{ACCOUNT}:{resource}");
    match service {
        "dynamodb" => dynamodb(request, &|table| arn("dynamodb", &format!("table/{table}"))),
        "sqs" => sqs(request, region),
        "s3" => s3(request),
        "ses" => ses(request, &|identity| arn("ses", identity)),
        "secretsmanager" => secrets_manager(request, secrets, &arn),
        "cloudfront" => cloudfront(request),
        other => Err(format!(
            "the local gate has no upstream for the service {other}"
        )),
    }
}

fn json_body(request: &ApiRequest<'_>) -> Result<Value, Unreadable> {
    if request.body.is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_slice(request.body).map_err(|err| format!("the body is not JSON: {err}"))
}

/// The operation named by `X-Amz-Target: <prefix>.<Operation>`.
fn operation<'a>(request: &ApiRequest<'a>) -> Result<&'a str, Unreadable> {
    request
        .target
        .and_then(|target| target.rsplit_once('.'))
        .map(|(_, operation)| operation)
        .ok_or_else(|| "no X-Amz-Target header".to_owned())
}

fn string_field<'a>(body: &'a Value, field: &str) -> Result<&'a str, Unreadable> {
    body[field]
        .as_str()
        .ok_or_else(|| format!("the request has no {field}"))
}

/// DynamoDB: the action is the operation, except in transactions, where each item needs the
/// action of its kind (`Put` needs `dynamodb:PutItem`, and so on), on its own table.
fn dynamodb(
    request: &ApiRequest<'_>,
    table_arn: &dyn Fn(&str) -> String,
) -> Result<Vec<Check>, Unreadable> {
    let operation = operation(request)?;
    let body = json_body(request)?;
    let action = |name: &str| format!("dynamodb:{name}");
    match operation {
        "TransactWriteItems" | "TransactGetItems" => {
            let items = body["TransactItems"]
                .as_array()
                .ok_or("the request has no TransactItems")?;
            items
                .iter()
                .map(|item| {
                    let (kind, inner) = item
                        .as_object()
                        .and_then(|object| object.iter().next())
                        .ok_or("an empty transaction item")?;
                    let needs = match kind.as_str() {
                        "Put" => "PutItem",
                        "Update" => "UpdateItem",
                        "Delete" => "DeleteItem",
                        "ConditionCheck" => "ConditionCheckItem",
                        "Get" => "GetItem",
                        other => return Err(format!("unknown transaction item {other}")),
                    };
                    let table = string_field(inner, "TableName")?;
                    Ok(Check::new(action(needs), table_arn(table)))
                })
                .collect()
        }
        "BatchWriteItem" | "BatchGetItem" => {
            let tables = body["RequestItems"]
                .as_object()
                .ok_or("the request has no RequestItems")?;
            Ok(tables
                .keys()
                .map(|table| Check::new(action(operation), table_arn(table)))
                .collect())
        }
        "ListTables" => Ok(vec![Check::new(action(operation), "*")]),
        _ => {
            let table = string_field(&body, "TableName")?;
            let resource = match body["IndexName"].as_str() {
                Some(index) => format!("{}/index/{index}", table_arn(table)),
                None => table_arn(table),
            };
            Ok(vec![Check::new(action(operation), resource)])
        }
    }
}

/// SQS, in its JSON protocol (or the older query protocol). Batch operations need the permission
/// of the single one.
fn sqs(request: &ApiRequest<'_>, region: &str) -> Result<Vec<Check>, Unreadable> {
    let (operation, queue_url, queue_name) = match request.target {
        Some(_) => {
            let body = json_body(request)?;
            (
                operation(request)?.to_owned(),
                body["QueueUrl"].as_str().map(str::to_owned),
                body["QueueName"].as_str().map(str::to_owned),
            )
        }
        None => {
            let form = query_pairs(&String::from_utf8_lossy(request.body));
            let field = |name: &str| {
                form.iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            };
            (
                field("Action").ok_or("neither X-Amz-Target nor Action")?,
                field("QueueUrl"),
                field("QueueName"),
            )
        }
    };
    let action = match operation.as_str() {
        "SendMessageBatch" => "SendMessage",
        "DeleteMessageBatch" => "DeleteMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        other => other,
    };
    let resource = match (queue_url, queue_name) {
        (Some(url), _) => {
            // https://sqs.<region>.amazonaws.com/<account>/<name>
            let mut segments = url.rsplit('/');
            let name = segments.next().unwrap_or_default();
            let account = segments.next().unwrap_or(ACCOUNT);
            format!("arn:aws:sqs:{region}:{account}:{name}")
        }
        (None, Some(name)) => format!("arn:aws:sqs:{region}:{ACCOUNT}:{name}"),
        (None, None) if action == "ListQueues" => "*".to_owned(),
        (None, None) => return Err(format!("{operation} names no queue")),
    };
    Ok(vec![Check::new(format!("sqs:{action}"), resource)])
}

/// S3, addressed by path (`/<bucket>/<key>`), as the SDK addresses an IP endpoint.
fn s3(request: &ApiRequest<'_>) -> Result<Vec<Check>, Unreadable> {
    let path = request.path.trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) if !key.is_empty() => (bucket, Some(percent_decode(key))),
        Some((bucket, _)) => (bucket, None),
        None => (path, None),
    };
    if bucket.is_empty() {
        return Ok(vec![Check::new("s3:ListAllMyBuckets", "*")]);
    }
    let query = query_pairs(request.query);
    let has = |name: &str| query.iter().any(|(key, _)| key == name);
    // Query parameters that change which operation it is ("subresources").
    const SUBRESOURCES: &[&str] = &[
        "acl",
        "tagging",
        "uploads",
        "uploadId",
        "versions",
        "location",
        "policy",
        "cors",
        "lifecycle",
        "delete",
        "attributes",
        "legal-hold",
        "retention",
        "restore",
        "select",
        "torrent",
        "versioning",
        "website",
        "notification",
        "encryption",
        "replication",
        "object-lock",
        "ownershipControls",
        "publicAccessBlock",
        "logging",
        "accelerate",
        "analytics",
        "inventory",
        "metrics",
        "intelligent-tiering",
        "requestPayment",
    ];
    let subresource = SUBRESOURCES.iter().copied().find(|name| has(name));
    let method = request.method;
    let Some(key) = key else {
        let action = match (method, subresource) {
            ("GET" | "HEAD", None) => "ListBucket",
            ("GET", Some("versions")) => "ListBucketVersions",
            ("GET", Some("location")) => "GetBucketLocation",
            ("GET", Some("uploads")) => "ListBucketMultipartUploads",
            ("PUT", None) => "CreateBucket",
            ("DELETE", None) => "DeleteBucket",
            _ => return Err(format!("{method} on a bucket with {subresource:?}")),
        };
        return Ok(vec![Check::new(
            format!("s3:{action}"),
            format!("arn:aws:s3:::{bucket}"),
        )]);
    };
    let object = format!("arn:aws:s3:::{bucket}/{key}");
    let action = match (method, subresource) {
        ("GET" | "HEAD", None) => "GetObject",
        ("GET", Some("tagging")) => "GetObjectTagging",
        ("GET", Some("acl")) => "GetObjectAcl",
        ("GET", Some("attributes")) => "GetObjectAttributes",
        // Single and multipart uploads all need s3:PutObject.
        ("PUT", None | Some("uploadId")) | ("POST", Some("uploads" | "uploadId")) => "PutObject",
        ("PUT", Some("tagging")) => "PutObjectTagging",
        ("PUT", Some("acl")) => "PutObjectAcl",
        ("DELETE", None) => "DeleteObject",
        ("DELETE", Some("uploadId")) => "AbortMultipartUpload",
        _ => return Err(format!("{method} on an object with {subresource:?}")),
    };
    // A call on one version of an object needs the version's own action.
    let action = versioned(action, has("versionId"));
    let mut checks = vec![Check::new(format!("s3:{action}"), object)];
    if let Some(source) = request.copy_source.filter(|_| action == "PutObject") {
        let source = percent_decode(source.trim_start_matches('/'));
        let (source, version) = match source.split_once('?') {
            Some((source, query)) => (source.to_owned(), query.contains("versionId=")),
            None => (source, false),
        };
        checks.push(Check::new(
            format!("s3:{}", versioned("GetObject", version)),
            format!("arn:aws:s3:::{source}"),
        ));
    }
    Ok(checks)
}

/// The action for one version of an object: `GetObject` is `GetObjectVersion`, and so on.
fn versioned(action: &'static str, version: bool) -> &'static str {
    if !version {
        return action;
    }
    match action {
        "GetObject" => "GetObjectVersion",
        "GetObjectTagging" => "GetObjectVersionTagging",
        "GetObjectAcl" => "GetObjectVersionAcl",
        "GetObjectAttributes" => "GetObjectVersionAttributes",
        "PutObjectTagging" => "PutObjectVersionTagging",
        "PutObjectAcl" => "PutObjectVersionAcl",
        "DeleteObject" => "DeleteObjectVersion",
        other => other,
    }
}

/// SES v2, whose sending is authorised on the identity it sends from, with the sender and the
/// recipients as condition keys.
fn ses(request: &ApiRequest<'_>, arn: &dyn Fn(&str) -> String) -> Result<Vec<Check>, Unreadable> {
    let path = request.path.trim_end_matches('/');
    match (request.method, path) {
        ("POST", "/v2/email/outbound-emails") => {
            let body = json_body(request)?;
            let from = body["FromEmailAddress"]
                .as_str()
                .map(bare_address)
                .ok_or("a SendEmail without FromEmailAddress (the local gate reads no MIME)")?;
            let destination = &body["Destination"];
            let recipients: Vec<String> = ["ToAddresses", "CcAddresses", "BccAddresses"]
                .iter()
                .flat_map(|field| destination[field].as_array().cloned().unwrap_or_default())
                .filter_map(|address| address.as_str().map(bare_address))
                .collect();
            let display = body["FromEmailAddress"]
                .as_str()
                .and_then(|from| from.split_once('<'))
                .map(|(name, _)| name.trim().trim_matches('"').to_owned())
                .filter(|name| !name.is_empty());
            // SES v2 documents SendEmail as needing `ses:SendEmail`; for a message given as raw
            // MIME, AWS has been seen to check `ses:SendRawEmail` instead. The gate asks for
            // both, so a policy passes here only if it works whichever AWS checks.
            let actions: &[&str] = if body["Content"]["Raw"].is_null() {
                &["ses:SendEmail"]
            } else {
                &["ses:SendEmail", "ses:SendRawEmail"]
            };
            let mut context = Context::new();
            context.insert("ses:FromAddress".into(), vec![from.clone()]);
            context.insert("ses:ApiVersion".into(), vec!["2".to_owned()]);
            if !recipients.is_empty() {
                context.insert("ses:Recipients".into(), recipients.clone());
            }
            if let Some(display) = display {
                context.insert("ses:FromDisplayName".into(), vec![display]);
            }
            if let Some(feedback) = body["FeedbackForwardingEmailAddress"].as_str() {
                context.insert("ses:FeedbackAddress".into(), vec![bare_address(feedback)]);
            }
            // The sender's identity; the configuration set, if one is named; and the
            // recipients' identities, which SES also checks when they are identities of the
            // account (every recipient is, in the SES sandbox a new account starts in).
            let mut identities = vec![format!("identity/{from}")];
            if let Some(set) = body["ConfigurationSetName"].as_str() {
                identities.push(format!("configuration-set/{set}"));
            }
            identities.extend(recipients.iter().map(|to| format!("identity/{to}")));
            Ok(actions
                .iter()
                .flat_map(|action| {
                    identities.iter().map(|identity| Check {
                        action: (*action).to_owned(),
                        resource: arn(identity),
                        context: context.clone(),
                    })
                })
                .collect())
        }
        ("POST", "/v2/email/identities") => {
            let body = json_body(request)?;
            let identity = string_field(&body, "EmailIdentity")?;
            Ok(vec![Check::new(
                "ses:CreateEmailIdentity",
                arn(&format!("identity/{identity}")),
            )])
        }
        (method, path) => Err(format!("the SES v2 request {method} {path}")),
    }
}

/// CloudFront's REST API, on a distribution: a global service, whose ARNs name no Region.
fn cloudfront(request: &ApiRequest<'_>) -> Result<Vec<Check>, Unreadable> {
    let path = request.path.trim_end_matches('/');
    let parts: Vec<&str> = path
        .strip_prefix("/2020-05-31/distribution/")
        .map(|rest| rest.split('/').collect())
        .unwrap_or_default();
    let action = match (request.method, parts.as_slice()) {
        ("POST", [_, "invalidation"]) => "cloudfront:CreateInvalidation",
        ("GET", [_, "invalidation"]) => "cloudfront:ListInvalidations",
        ("GET", [_, "invalidation", _]) => "cloudfront:GetInvalidation",
        _ => return Err(format!("the CloudFront request {} {path}", request.method)),
    };
    Ok(vec![Check::new(
        action,
        format!("arn:aws:cloudfront::{ACCOUNT}:distribution/{}", parts[0]),
    )])
}

/// `Shop <receipts@shop.example>` is sent from `receipts@shop.example`.
fn bare_address(address: &str) -> String {
    match address.rsplit_once('<') {
        Some((_, rest)) => rest.trim_end_matches('>').trim().to_owned(),
        None => address.trim().to_owned(),
    }
}

/// Secrets Manager: the action is the operation, on the secret's full ARN.
fn secrets_manager(
    request: &ApiRequest<'_>,
    secrets: &BTreeMap<String, String>,
    arn: &dyn Fn(&str, &str) -> String,
) -> Result<Vec<Check>, Unreadable> {
    let operation = operation(request)?;
    let body = json_body(request)?;
    let resource = match (body["SecretId"].as_str(), body["Name"].as_str()) {
        (Some(id), _) if id.starts_with("arn:") => id.to_owned(),
        (Some(name), _) => secrets
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no secret called {name} exists locally"))?,
        // CreateSecret: the secret to be, whose ARN ends in six random characters.
        (None, Some(name)) => arn("secretsmanager", &format!("secret:{name}-??????")),
        (None, None) if operation == "ListSecrets" => "*".to_owned(),
        (None, None) => return Err(format!("{operation} names no secret")),
    };
    let mut check = Check::new(format!("secretsmanager:{operation}"), resource);
    for (field, key) in [
        ("VersionStage", "secretsmanager:VersionStage"),
        ("VersionId", "secretsmanager:VersionId"),
        ("SecretId", "secretsmanager:SecretId"),
    ] {
        if let Some(value) = body[field].as_str() {
            check = check.with(key, value);
        }
    }
    Ok(vec![check])
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// `%2F` to `/`, and so on, for keys in paths (a `+` stays a `+` there).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
