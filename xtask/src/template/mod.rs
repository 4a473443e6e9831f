//! `template.yaml`, read as data: its functions, routes, authorizer and tables.
//!
//! CloudFormation's short tags (`!Ref X`, `!GetAtt A.B`, `!Sub s`) are rewritten to their long
//! forms (`{"Ref": "X"}`, ...) on the way in, so the rest of the code sees one JSON shape.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::Result;

const FUNCTION: &str = "AWS::Serverless::Function";
const HTTP_API: &str = "AWS::Serverless::HttpApi";
const TABLE: &str = "AWS::DynamoDB::Table";
const QUEUE: &str = "AWS::SQS::Queue";
const BUCKET: &str = "AWS::S3::Bucket";
const SECRET: &str = "AWS::SecretsManager::Secret";
const RESPONSE_HEADERS_POLICY: &str = "AWS::CloudFront::ResponseHeadersPolicy";

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    resources: BTreeMap<String, Resource>,
    globals: Value,
    parameters: Value,
    conditions: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTemplate {
    resources: BTreeMap<String, Resource>,
    #[serde(default)]
    globals: Value,
    #[serde(default)]
    parameters: Value,
    #[serde(default)]
    conditions: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default)]
    pub properties: Value,
    #[serde(default)]
    pub metadata: Value,
    /// What happens to it when the stack is deleted, or it is replaced.
    pub deletion_policy: Option<String>,
    pub update_replace_policy: Option<String>,
}

/// A Lambda function and what triggers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub logical_id: String,
    /// The Cargo binary built for it (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub memory_size: Option<u64>,
    pub timeout: Option<u64>,
    /// Environment variables as written: strings, or intrinsics such as `{"Ref": "UsersTable"}`.
    pub environment: BTreeMap<String, Value>,
    pub routes: Vec<Route>,
    pub queue_triggers: Vec<QueueTrigger>,
    pub stream_triggers: Vec<StreamTrigger>,
    /// `Policies` as written: inline policy documents (the local IAM gate reads them).
    pub policies: Value,
    /// `ReservedConcurrentExecutions` as written (its own, or the globals').
    pub reserved_concurrency: Value,
    /// `Role`, if it names a role of its own instead of the one SAM makes from `Policies`.
    pub role: Value,
    /// `LoggingConfig.LogGroup` as written (its own, or the globals'): where its logs go.
    pub log_group: Value,
}

/// An HTTP API route and the function behind it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// Logical id of the function that serves it.
    pub function: String,
    /// The authorizer that runs first, or `None` for a public route.
    pub authorizer: Option<String>,
}

impl Route {
    /// `GET /api/user`, as API Gateway writes a route key.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The HTTP API's Lambda authorizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorizer {
    pub name: String,
    /// Logical id of the authorizer's function.
    pub function: String,
    pub payload_format_version: String,
    pub simple_responses: bool,
    /// Seconds API Gateway may cache a verdict; 0 means every request is checked.
    pub cache_seconds: u64,
}

/// The workspace's root folder (where `template.yaml` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

impl Template {
    /// The workspace's `template.yaml`.
    pub fn workspace() -> Result<Self> {
        Self::load(&workspace_root().join("template.yaml"))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("reading {}: {err}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self> {
        let yaml: serde_norway::Value = serde_norway::from_str(text)?;
        let raw: RawTemplate = serde_json::from_value(long_form(yaml))?;
        Ok(Self {
            resources: raw.resources,
            globals: raw.globals,
            parameters: raw.parameters,
            conditions: raw.conditions,
        })
    }

    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Resource)> {
        self.resources
            .iter()
            .filter(move |(_, resource)| resource.kind == kind)
    }

    /// Every function, in logical-id order.
    pub fn functions(&self) -> Result<Vec<Function>> {
        let default_authorizer = self.default_authorizer();
        self.of_kind(FUNCTION)
            .map(|(id, resource)| {
                let properties = &resource.properties;
                let binary = resource.metadata["BuildProperties"]["Binary"]
                    .as_str()
                    .ok_or_else(|| format!("{id} has no Metadata.BuildProperties.Binary"))?
                    .to_owned();
                // SAM's rule: the function's variables are added to the global ones, a name
                // in both taking the function's value.
                let environment = [&self.globals["Function"], properties]
                    .into_iter()
                    .filter_map(|scope| scope["Environment"]["Variables"].as_object())
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let routes = properties["Events"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, event)| event["Type"] == "HttpApi")
                    .map(|(name, event)| {
                        let props = &event["Properties"];
                        let field = |key: &str| {
                            props[key]
                                .as_str()
                                .map(str::to_owned)
                                .ok_or_else(|| format!("{id} event {name} has no {key}"))
                        };
                        let authorizer = match props["Auth"]["Authorizer"].as_str() {
                            Some("NONE") => None,
                            Some(named) => Some(named.to_owned()),
                            None => default_authorizer.clone(),
                        };
                        Ok(Route {
                            method: field("Method")?.to_ascii_uppercase(),
                            path: field("Path")?,
                            function: id.clone(),
                            authorizer,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let queue_triggers = properties["Events"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, event)| event["Type"] == "SQS")
                    .map(|(name, event)| triggers::queue_trigger(id, name, &event["Properties"]))
                    .collect::<Result<Vec<_>>>()?;
                let stream_triggers = properties["Events"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, event)| event["Type"] == "DynamoDB")
                    .map(|(name, event)| triggers::stream_trigger(id, name, &event["Properties"]))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Function {
                    logical_id: id.clone(),
                    binary,
                    queue_triggers,
                    stream_triggers,
                    memory_size: properties["MemorySize"]
                        .as_u64()
                        .or_else(|| self.globals["Function"]["MemorySize"].as_u64()),
                    timeout: properties["Timeout"]
                        .as_u64()
                        .or_else(|| self.globals["Function"]["Timeout"].as_u64()),
                    environment,
                    routes,
                    policies: properties["Policies"].clone(),
                    role: properties["Role"].clone(),
                    reserved_concurrency: self
                        .own_or_global(properties, "ReservedConcurrentExecutions")
                        .clone(),
                    log_group: match &properties["LoggingConfig"]["LogGroup"] {
                        Value::Null => {
                            self.globals["Function"]["LoggingConfig"]["LogGroup"].clone()
                        }
                        own => own.clone(),
                    },
                })
            })
            .collect()
    }

    /// A function's own `property`, or the one `Globals` gives every function.
    fn own_or_global<'a>(&'a self, properties: &'a Value, property: &str) -> &'a Value {
        match &properties[property] {
            Value::Null => &self.globals["Function"][property],
            own => own,
        }
    }

    /// Every route of every function, sorted by path then method.
    pub fn routes(&self) -> Result<Vec<Route>> {
        let mut routes: Vec<Route> = self
            .functions()?
            .into_iter()
            .flat_map(|function| function.routes)
            .collect();
        routes.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        Ok(routes)
    }

    fn http_api(&self) -> Option<&Resource> {
        self.of_kind(HTTP_API).map(|(_, resource)| resource).next()
    }

    fn default_authorizer(&self) -> Option<String> {
        self.http_api()?.properties["Auth"]["DefaultAuthorizer"]
            .as_str()
            .map(str::to_owned)
    }

    /// The HTTP API's Lambda authorizers.
    pub fn authorizers(&self) -> Result<Vec<Authorizer>> {
        let Some(api) = self.http_api() else {
            return Ok(Vec::new());
        };
        api.properties["Auth"]["Authorizers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, auth)| {
                let function = auth["FunctionArn"]["Fn::GetAtt"][0]
                    .as_str()
                    .ok_or_else(|| format!("authorizer {name}: FunctionArn is not !GetAtt X.Arn"))?
                    .to_owned();
                Ok(Authorizer {
                    name: name.clone(),
                    function,
                    payload_format_version: auth["AuthorizerPayloadFormatVersion"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    simple_responses: auth["EnableSimpleResponses"].as_bool().unwrap_or(false),
                    // API Gateway's default TTL is 300 seconds when none is given.
                    cache_seconds: auth["Identity"]["ReauthorizeEvery"].as_u64().unwrap_or(300),
                })
            })
            .collect()
    }

    /// Every DynamoDB table, in logical-id order.
    pub fn tables(&self) -> Result<Vec<Table>> {
        self.of_kind(TABLE)
            .map(|(id, resource)| {
                let definition = serde_json::from_value(resource.properties.clone())
                    .map_err(|err| format!("table {id}: {err}"))?;
                Ok(Table {
                    logical_id: id.clone(),
                    definition,
                })
            })
            .collect()
    }

    /// The table with logical id `logical_id`.
    pub fn table(&self, logical_id: &str) -> Result<Table> {
        self.tables()?
            .into_iter()
            .find(|table| table.logical_id == logical_id)
            .ok_or_else(|| format!("template.yaml has no table {logical_id}").into())
    }
}

impl Template {
    /// The logical ids of every S3 bucket.
    pub fn buckets(&self) -> Vec<String> {
        self.of_kind(BUCKET).map(|(id, _)| id.clone()).collect()
    }

    /// Whether the bucket `logical_id` keeps every version of its objects
    /// (`VersioningConfiguration: {Status: Enabled}`).
    pub fn bucket_versioned(&self, logical_id: &str) -> bool {
        self.resources.get(logical_id).is_some_and(|bucket| {
            bucket.properties["VersioningConfiguration"]["Status"] == "Enabled"
        })
    }

    /// Every resource, by logical id, as written (intrinsics in their long form).
    pub fn resources(&self) -> &BTreeMap<String, Resource> {
        &self.resources
    }

    /// The headers the CloudFront response headers policy adds to every response, as the local
    /// gateway sends them too.
    pub fn security_headers(&self) -> Result<Vec<(String, String)>> {
        let mut policies = self.of_kind(RESPONSE_HEADERS_POLICY);
        let Some((id, policy)) = policies.next() else {
            return Ok(Vec::new());
        };
        if policies.next().is_some() {
            return Err(
                "more than one response headers policy: which one is the local gateway's?".into(),
            );
        }
        let config = &policy.properties["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
        let mut headers = Vec::new();
        if let Some(csp) = config["ContentSecurityPolicy"]["ContentSecurityPolicy"].as_str() {
            headers.push(("content-security-policy".to_owned(), csp.to_owned()));
        }
        if config["ContentTypeOptions"].is_object() {
            headers.push(("x-content-type-options".to_owned(), "nosniff".to_owned()));
        }
        if let Some(option) = config["FrameOptions"]["FrameOption"].as_str() {
            headers.push(("x-frame-options".to_owned(), option.to_owned()));
        }
        if let Some(policy) = config["ReferrerPolicy"]["ReferrerPolicy"].as_str() {
            headers.push(("referrer-policy".to_owned(), policy.to_owned()));
        }
        let hsts = &config["StrictTransportSecurity"];
        if let Some(age) = hsts["AccessControlMaxAgeSec"].as_u64() {
            let mut value = format!("max-age={age}");
            if hsts["IncludeSubdomains"].as_bool() == Some(true) {
                value.push_str("; includeSubDomains");
            }
            if hsts["Preload"].as_bool() == Some(true) {
                value.push_str("; preload");
            }
            headers.push(("strict-transport-security".to_owned(), value));
        }
        let custom = &policy.properties["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"];
        for item in custom["Items"].as_array().into_iter().flatten() {
            if let (Some(name), Some(value)) = (item["Header"].as_str(), item["Value"].as_str()) {
                headers.push((name.to_ascii_lowercase(), value.to_owned()));
            }
        }
        if headers.is_empty() {
            return Err(format!("{id} sets no security header the local gateway knows").into());
        }
        Ok(headers)
    }

    /// The logical ids of every CloudFront distribution.
    pub fn distributions(&self) -> Vec<String> {
        self.of_kind("AWS::CloudFront::Distribution")
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The logical ids of every Secrets Manager secret.
    pub fn secrets(&self) -> Vec<String> {
        self.of_kind(SECRET).map(|(id, _)| id.clone()).collect()
    }

    /// The names of every parameter.
    pub fn parameter_names(&self) -> Vec<String> {
        self.parameters
            .as_object()
            .map(|parameters| parameters.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The default value of the parameter `name`, which local runs use.
    pub fn parameter_default(&self, name: &str) -> Result<String> {
        let default = &self.parameters[name]["Default"];
        default
            .as_str()
            .map(str::to_owned)
            .or_else(|| default.as_number().map(ToString::to_string))
            .ok_or_else(|| format!("parameter {name} has no default").into())
    }

    /// Every queue, dead-letter queues first (others refer to them), then by logical id.
    pub fn queues(&self) -> Result<Vec<Queue>> {
        let mut queues = self
            .of_kind(QUEUE)
            .map(|(id, resource)| {
                let properties = &resource.properties;
                let redrive = &properties["RedrivePolicy"];
                let redrive = if redrive.is_null() {
                    None
                } else {
                    Some(Redrive {
                        dead_letter_queue: redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
                            .as_str()
                            .ok_or_else(|| {
                                format!("{id}: deadLetterTargetArn is not !GetAtt Queue.Arn")
                            })?
                            .to_owned(),
                        max_receive_count: redrive["maxReceiveCount"]
                            .as_u64()
                            .ok_or_else(|| format!("{id}: maxReceiveCount is missing"))?,
                    })
                };
                Ok(Queue {
                    logical_id: id.clone(),
                    fifo: properties["FifoQueue"].as_bool().unwrap_or(false),
                    deduplication_scope: properties["DeduplicationScope"].as_str().map(Into::into),
                    throughput_limit: properties["FifoThroughputLimit"].as_str().map(Into::into),
                    visibility_timeout: properties["VisibilityTimeout"].as_u64(),
                    message_retention: properties["MessageRetentionPeriod"].as_u64(),
                    delay: seconds(&properties["DelaySeconds"]),
                    redrive,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        queues.sort_by_key(|queue| (queue.redrive.is_some(), queue.logical_id.clone()));
        Ok(queues)
    }
}

/// A number of seconds written as a number or as `!Ref <parameter>`; `None` when absent.
fn seconds(value: &Value) -> Option<Seconds> {
    value.as_u64().map(Seconds::Literal).or_else(|| {
        value["Ref"]
            .as_str()
            .map(|parameter| Seconds::Parameter(parameter.to_owned()))
    })
}

/// Rewrites short-form intrinsic tags (`!Ref`, `!GetAtt`, `!Sub`, ...) to CloudFormation's long
/// form and the whole document to JSON.
fn long_form(yaml: serde_norway::Value) -> Value {
    use serde_norway::Value as Yaml;
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(long_form).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.into_iter()
                .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), long_form(value))))
                .collect(),
        ),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = long_form(tagged.value);
            match name {
                "Ref" | "Condition" => serde_json::json!({ name: value }),
                "GetAtt" => {
                    let parts = match value {
                        Value::String(dotted) => match dotted.split_once('.') {
                            Some((resource, attribute)) => serde_json::json!([resource, attribute]),
                            None => Value::String(dotted),
                        },
                        other => other,
                    };
                    serde_json::json!({ "Fn::GetAtt": parts })
                }
                _ => serde_json::json!({ format!("Fn::{name}"): value }),
            }
        }
    }
}

mod intrinsics;
mod storage;
#[cfg(test)]
mod tests;
mod triggers;

pub use intrinsics::Parameters;
pub use storage::{
    AttributeDefinition, KeyElement, Projection, Queue, Redrive, SecondaryIndex, Seconds,
    StreamSpecification, Table, TableDefinition, TimeToLive,
};
pub use triggers::{QueueTrigger, StreamTrigger};
