//! The local IAM gate: every AWS call a function makes locally is authorised against that
//! function's own policy in `template.yaml` before it reaches DynamoDB Local or moto, which check
//! no permissions at all.
//!
//! - [`policy`]: statements, and IAM's decision for one request (deny by default, a deny wins).
//! - [`request`]: who signed a request, and what action on what resource it asks for.
//! - [`proxy`]: the gate as an HTTP server in front of the emulators; refusals are the errors
//!   AWS sends, and S3's answer for a missing key depends on `s3:ListBucket`, as on AWS.
//! - [`usage`]: what each function used, for `cargo xtask iam report` and the policy mutants;
//!   [`cli`] runs those two.
//! - [`calls`]: every call each function made, counted, for the capacity model's test.
//!
//! Each function process runs with credentials whose access key id is the function's logical id
//! (`UserLoginFunction`), so the gate knows who calls. Its policy is read from the template: the
//! inline statements under `Policies`, resolved to the local resources' ARNs, plus what SAM adds
//! to the role by itself (for an SQS trigger, the managed policy
//! `AWSLambdaSQSQueueExecutionRole`). A template that uses anything the gate cannot read (a SAM
//! policy template, a managed policy, its own role) is an error, not a silent allow.
//!
//! What it does not model, so a test here cannot catch: resource-based policies (bucket, queue,
//! key and function policies), KMS (today's resources use AWS-managed keys, which need no grant;
//! a customer-managed key would need `kms:*` grants the gate would not ask for), service control
//! policies and permission boundaries, and global condition keys (`aws:*`, refused at load).

pub mod calls;
pub mod cli;
pub mod policy;
pub mod proxy;
pub mod request;
pub mod usage;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Result;
use crate::local::names::{ACCOUNT, LocalNames};
use crate::template::{Function, Template};
use policy::{Decision, Policy, Statement};
use request::Check;

/// Drops one statement from one function's policy (`<LogicalId>:<index>`), for the policy
/// mutants: the tests that need it must then fail.
pub const WITHOUT_VARIABLE: &str = "SHOP_IAM_WITHOUT";

/// A function, as the gate knows it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub logical_id: String,
    /// The function's name here (what `AWS_LAMBDA_FUNCTION_NAME` says).
    pub function_name: String,
    pub policy: Policy,
}

impl Principal {
    /// The caller as IAM's messages name it: the role SAM makes (`<LogicalId>Role`), assumed by
    /// the function.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/{}Role/{}",
            self.logical_id, self.function_name
        )
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A function asked for something its policy does not allow.
    Denied {
        principal: String,
        logical_id: String,
        check: Check,
        explicit: bool,
    },
    /// Signed by a key that is no function's (or not signed at all).
    UnknownKey(Option<String>),
    /// The gate could not tell what the request asks for.
    Unreadable(String),
}

impl Refusal {
    /// The message AWS puts in an access-denied error.
    pub fn message(&self) -> String {
        match self {
            Self::Denied {
                principal,
                check,
                explicit,
                ..
            } => {
                let why = if *explicit {
                    "with an explicit deny in an identity-based policy".to_owned()
                } else {
                    format!(
                        "because no identity-based policy allows the {} action",
                        check.action
                    )
                };
                format!(
                    "User: {principal} is not authorized to perform: {} on resource: {} {why}",
                    check.action, check.resource
                )
            }
            Self::UnknownKey(_) => "The security token included in the request is invalid.".into(),
            Self::Unreadable(reason) => {
                format!("The local IAM gate refused a request it could not read: {reason}")
            }
        }
    }
}

/// Every function's policy, and what the gate needs to read requests.
#[derive(Debug, Clone)]
pub struct Gate {
    /// By access key id (the function's logical id).
    principals: BTreeMap<String, Principal>,
    /// Secret names to ARNs, for a `SecretId` given by name.
    secrets: BTreeMap<String, String>,
    region: String,
    recorder: usage::Recorder,
    calls: calls::Calls,
}

impl Gate {
    /// The gate for the functions of `template` as `names` says they are deployed here; what it
    /// decides is recorded under `context` (a test's name, or "local shop").
    pub fn new(template: &Template, names: &LocalNames, context: &str) -> Result<Self> {
        let without = std::env::var(WITHOUT_VARIABLE).ok();
        let mut principals = BTreeMap::new();
        for function in template.functions()? {
            let mut policy = policy_of(&function, names)?;
            if let Some((id, index)) = without.as_deref().and_then(|w| w.split_once(':'))
                && id == function.logical_id
            {
                let index: usize = index
                    .parse()
                    .map_err(|_| format!("{WITHOUT_VARIABLE}={id}:{index}: not an index"))?;
                if index >= policy.statements.len() {
                    return Err(format!("{id} has no statement {index}").into());
                }
                // Keep the indexes of the others, so the report reads the same.
                policy.statements[index].actions = policy::Patterns::Any(Vec::new());
            }
            let function_name = names
                .function_name(&function.logical_id)
                .unwrap_or(&function.binary)
                .to_owned();
            principals.insert(
                function.logical_id.clone(),
                Principal {
                    logical_id: function.logical_id,
                    function_name,
                    policy,
                },
            );
        }
        let secrets = template
            .secrets()
            .iter()
            .filter_map(|id| {
                let arn = names.refs.get(id)?;
                // arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>
                let name = arn.rsplit_once(":secret:")?.1.rsplit_once('-')?.0;
                Some((name.to_owned(), arn.clone()))
            })
            .collect();
        Ok(Self {
            principals,
            secrets,
            region: names.region().to_owned(),
            recorder: usage::Recorder::new(context),
            calls: calls::Calls::default(),
        })
    }

    /// The gate, keeping no usage records (for tests that cause refusals on purpose).
    #[must_use]
    pub fn unrecorded(mut self) -> Self {
        self.recorder = usage::Recorder::off(self.recorder.context());
        self
    }

    /// The function whose credentials carry `access_key`.
    pub fn principal(&self, access_key: &str) -> Option<&Principal> {
        self.principals.get(access_key)
    }

    pub fn principals(&self) -> impl Iterator<Item = &Principal> {
        self.principals.values()
    }

    /// Decides `checks` for the function with `access_key`: `Ok` when every one is allowed,
    /// else the first refusal (which is also printed, naming function, action and resource).
    pub fn authorize(&self, access_key: Option<&str>, checks: &[Check]) -> Result<(), Refusal> {
        let Some(principal) = access_key.and_then(|key| self.principals.get(key)) else {
            return Err(Refusal::UnknownKey(access_key.map(str::to_owned)));
        };
        for check in checks {
            let decision = principal
                .policy
                .decide(&check.action, &check.resource, &check.context);
            self.recorder.record(principal, check, &decision);
            if !decision.allowed() {
                let refusal = Refusal::Denied {
                    principal: principal.arn(),
                    logical_id: principal.logical_id.clone(),
                    check: check.clone(),
                    explicit: matches!(decision, Decision::ExplicitlyDenied(_)),
                };
                self.announce(principal, &refusal.message());
                return Err(refusal);
            }
        }
        Ok(())
    }

    /// Counts an allowed call of `operation` (the API's name for it, when the request says)
    /// by the function with `access_key`, one for each of its `checks`.
    pub fn count(&self, access_key: &str, operation: Option<&str>, checks: &[Check]) {
        if let Some(principal) = self.principals.get(access_key) {
            self.calls.add(&principal.logical_id, operation, checks);
        }
    }

    /// Every call counted so far, by function (logical id), operation, action and resource.
    pub fn calls(&self) -> calls::Counts {
        self.calls.snapshot()
    }

    /// Whether the function may `action` on `resource`, recorded like any check but not
    /// announced (for permission-dependent answers such as S3's 404 or 403).
    pub fn allows(&self, access_key: &str, action: &str, resource: &str) -> bool {
        let Some(principal) = self.principals.get(access_key) else {
            return false;
        };
        let check = Check {
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: policy::Context::new(),
        };
        let decision = principal.policy.decide(action, resource, &check.context);
        self.recorder.record(principal, &check, &decision);
        decision.allowed()
    }

    /// Says, where a person (or a failing test's output) sees it, what a function was refused.
    pub fn announce(&self, principal: &Principal, message: &str) {
        eprintln!(
            "IAM gate ({}): {} ({}) was refused: {message}",
            self.recorder.context(),
            principal.logical_id,
            principal.function_name
        );
    }

    /// The checks a request to `service` needs.
    pub fn checks(
        &self,
        service: &str,
        request: &request::ApiRequest<'_>,
    ) -> std::result::Result<Vec<Check>, request::Unreadable> {
        request::checks(service, &self.region, request, &self.secrets)
    }

    /// `lambda:InvokeFunction` on the function called `name` (a name, `name:qualifier`, or an
    /// ARN), for the local Invoke APIs. Calls signed by no function (the operator's
    /// `cargo lambda invoke`) pass: on AWS the operator is an administrator.
    pub fn authorize_invoke(
        &self,
        authorization: Option<&str>,
        name: &str,
        arn_of: impl Fn(&str) -> String,
    ) -> Result<(), Refusal> {
        let Some(credential) = request::Credential::from_request(authorization, "") else {
            return Ok(());
        };
        if !self.principals.contains_key(&credential.access_key) {
            return Ok(());
        }
        // A qualified name (an alias or version) is its own resource, as on AWS.
        let resource = match name.split_once(':') {
            _ if name.starts_with("arn:") => name.to_owned(),
            Some((function, qualifier)) => format!("{}:{qualifier}", arn_of(function)),
            None => arn_of(name),
        };
        let checks = [Check {
            action: "lambda:InvokeFunction".into(),
            resource,
            context: policy::Context::new(),
        }];
        self.authorize(Some(&credential.access_key), &checks)?;
        self.count(&credential.access_key, Some("Invoke"), &checks);
        Ok(())
    }
}

/// The policy of `function`, resolved against `names`.
pub fn policy_of(function: &Function, names: &LocalNames) -> Result<Policy> {
    let id = &function.logical_id;
    if !function.role.is_null() {
        return Err(format!(
            "{id} names a role of its own; the local IAM gate reads only `Policies`"
        )
        .into());
    }
    let mut statements = Vec::new();
    let documents = match &function.policies {
        Value::Null => Vec::new(),
        Value::Array(documents) => documents.clone(),
        other => return Err(format!("{id}: Policies is {other}, not a list").into()),
    };
    for (index, document) in documents.iter().enumerate() {
        let Some(list) = document.get("Statement").and_then(Value::as_array) else {
            return Err(format!(
                "{id}: Policies[{index}] is not an inline policy document ({document}); the \
                 local IAM gate reads only `- Statement: [...]`"
            )
            .into());
        };
        for (number, raw) in list.iter().enumerate() {
            let origin = format!("Policies[{index}].Statement[{number}]");
            let resolved =
                resolve_tree(raw, names).map_err(|err| format!("{id}: {origin}: {err}"))?;
            statements
                .push(policy::statement(origin, &resolved).map_err(|err| format!("{id}: {err}"))?);
        }
    }
    // SAM gives a function with an SQS trigger the managed policy
    // AWSLambdaSQSQueueExecutionRole, which the event source mapping polls with.
    if !function.queue_triggers.is_empty() {
        statements.push(Statement {
            origin: "AWSLambdaSQSQueueExecutionRole (SAM adds it for the SQS trigger)".into(),
            effect: policy::Effect::Allow,
            actions: policy::Patterns::Any(vec![
                "sqs:ReceiveMessage".into(),
                "sqs:DeleteMessage".into(),
                "sqs:GetQueueAttributes".into(),
            ]),
            resources: policy::Patterns::Any(vec!["*".into()]),
            conditions: Vec::new(),
        });
    }
    Ok(Policy { statements })
}

/// A policy document with every intrinsic function replaced by its local value.
fn resolve_tree(value: &Value, names: &LocalNames) -> Result<Value> {
    match value {
        Value::Object(map)
            if map.len() == 1
                && map
                    .keys()
                    .all(|key| key == "Ref" || key.starts_with("Fn::")) =>
        {
            Ok(Value::String(names.resolve(value)?))
        }
        Value::Object(map) => Ok(Value::Object(
            map.iter()
                .map(|(key, value)| Ok((key.clone(), resolve_tree(value, names)?)))
                .collect::<Result<_>>()?,
        )),
        Value::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|item| resolve_tree(item, names))
                .collect::<Result<_>>()?,
        )),
        other => Ok(other.clone()),
    }
}

/// The secret access key every function's credentials carry locally (the gate reads only the
/// key id; nothing checks signatures).
const SECRET_ACCESS_KEY: &str = "local-iam-gate";

/// The environment that gives a function process its own credentials: the access key id is
/// its logical id, which is how the gate knows who calls.
pub fn credentials_environment(logical_id: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID".into(), logical_id.to_owned()),
        ("AWS_SECRET_ACCESS_KEY".into(), SECRET_ACCESS_KEY.into()),
    ]
}

/// AWS clients that call as the function `logical_id`, through the gate at `gate`: what a
/// handler run in-process (in the tests) gets instead of the clients its `main` would build.
#[derive(Debug, Clone)]
pub struct FunctionClients {
    pub logical_id: String,
    /// The SDK configuration with the function's credentials.
    pub sdk: shared::aws::SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
}

impl FunctionClients {
    pub fn new(sdk: &shared::aws::SdkConfig, logical_id: &str, gate: std::net::SocketAddr) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            logical_id,
            SECRET_ACCESS_KEY,
            None,
            None,
            "local-iam-gate",
        );
        let sdk = sdk
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .build();
        let url = format!("http://{gate}");
        // Set on each client: a service's own endpoint variable would win over the shared one.
        Self {
            logical_id: logical_id.to_owned(),
            sdk: sdk.clone(),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&sdk)
                    .endpoint_url(&url)
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(&sdk)
                    .endpoint_url(&url)
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .endpoint_url(&url)
                    .force_path_style(true)
                    .build(),
            ),
            ses: aws_sdk_sesv2::Client::from_conf(
                aws_sdk_sesv2::config::Builder::from(&sdk)
                    .endpoint_url(&url)
                    .build(),
            ),
            secrets: aws_sdk_secretsmanager::Client::from_conf(
                aws_sdk_secretsmanager::config::Builder::from(&sdk)
                    .endpoint_url(&url)
                    .build(),
            ),
            cloudfront: aws_sdk_cloudfront::Client::from_conf(
                aws_sdk_cloudfront::config::Builder::from(&sdk)
                    .endpoint_url(&url)
                    .build(),
            ),
        }
    }

    /// A Lambda client that calls as this function, at the Invoke API `endpoint`.
    pub fn lambda(&self, endpoint: &str) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&self.sdk)
                .endpoint_url(endpoint)
                .build(),
        )
    }
}

#[cfg(test)]
mod tests;
