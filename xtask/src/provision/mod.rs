//! Creating the template's resources on the local emulators, from their definitions in the
//! template, so that local tables and queues cannot drift from the deployed ones.

mod distribution;
mod tables;

use std::collections::BTreeMap;

use aws_sdk_dynamodb::Client;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::Result;
use crate::local::names::LocalNames;
use crate::template::{Queue, Template};
pub use tables::create_table;

/// The operator's clients a local stack is created with: they reach the emulators directly,
/// past the IAM gate, as an administrator's deploy does.
#[derive(Debug, Clone)]
pub struct Operator {
    pub dynamodb: Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
}

impl Operator {
    pub fn new(sdk: &shared::aws::SdkConfig) -> Self {
        Self {
            dynamodb: shared::aws::dynamodb(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            s3: aws_sdk_s3::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            cloudfront: aws_sdk_cloudfront::Client::new(sdk),
        }
    }
}

/// What a local stack is made with besides the template: some secrets' values, and some
/// parameters' (by logical id or name). Secrets not named get a random value, as
/// `GenerateSecretString` does; parameters not named, their default.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub secrets: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
}

/// Creates every table, queue, bucket, secret and distribution of `template`, named
/// `<prefix><logical id>`, verifies the sender with SES, and returns what the template's
/// references mean here.
/// Functions are not added: callers name them.
pub async fn stack(
    operator: &Operator,
    template: &Template,
    prefix: &str,
    overrides: &Overrides,
) -> Result<LocalNames> {
    let region = operator.dynamodb.config().region().map_or_else(
        || "eu-west-1".to_owned(),
        |region| region.as_ref().to_owned(),
    );
    let stack = if prefix.is_empty() {
        "shop".to_owned()
    } else {
        prefix.trim_end_matches('-').to_owned()
    };
    let mut names = LocalNames::new(&stack, &region);
    let mut parameters = BTreeMap::new();
    for parameter in template.parameter_names() {
        if let Ok(value) = template.parameter_default(&parameter) {
            parameters.insert(parameter, value);
        }
    }
    parameters.extend(overrides.parameters.clone());
    for (parameter, value) in &parameters {
        names.add_parameter(parameter, value);
    }
    for table in template.tables()? {
        let name = format!("{prefix}{}", table.logical_id);
        create_table(&operator.dynamodb, &table, &name).await?;
        names.add_table(&table.logical_id, &name);
    }
    for (logical_id, url) in create_queues(&operator.sqs, template, prefix, &parameters).await? {
        names.add_queue(&logical_id, &url);
    }
    for (logical_id, name) in create_buckets(&operator.s3, template, prefix).await? {
        names.add_bucket(&logical_id, &name);
    }
    for logical_id in template.secrets() {
        let value = overrides
            .secrets
            .get(&logical_id)
            .cloned()
            .unwrap_or_else(|| {
                format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                )
            });
        let arn =
            create_secret(&operator.secrets, &format!("{prefix}{logical_id}"), &value).await?;
        names.add_secret(&logical_id, &arn);
    }
    for logical_id in template.distributions() {
        let id =
            distribution::create(&operator.cloudfront, &format!("{prefix}{logical_id}")).await?;
        names.add_distribution_id(&logical_id, &id);
    }
    let sender = verify_sender(&operator.ses, template).await?;
    names.add_parameter("SenderEmail", &sender);
    Ok(names)
}

/// The names `stack` would give the template's resources with `prefix`, without creating
/// anything (queue URLs and secret ARNs made up as the emulators would make them); functions
/// are named by binary, as in the local shop. For reports.
pub fn names_for(template: &Template, prefix: &str) -> Result<LocalNames> {
    let mut names = LocalNames::new("shop", "eu-west-1");
    for table in template.tables()? {
        names.add_table(&table.logical_id, &format!("{prefix}{}", table.logical_id));
    }
    for queue in template.queues()? {
        let url = format!(
            "http://localhost/{}/{}",
            crate::local::names::ACCOUNT,
            queue_name(&queue, prefix)
        );
        names.add_queue(&queue.logical_id, &url);
    }
    for bucket in template.buckets() {
        names.add_bucket(&bucket, &bucket_name(&bucket, prefix));
    }
    for secret in template.secrets() {
        let arn = format!(
            "arn:aws:secretsmanager:eu-west-1:{}:secret:{prefix}{secret}-AbCdEf",
            crate::local::names::ACCOUNT
        );
        names.add_secret(&secret, &arn);
    }
    for parameter in template.parameter_names() {
        if let Ok(value) = template.parameter_default(&parameter) {
            names.add_parameter(&parameter, &value);
        }
    }
    for function in template.functions()? {
        names.add_function(&function.logical_id, &function.binary);
    }
    for distribution in template.distributions() {
        names.add_distribution(&distribution, "127.0.0.1:8080");
        names.add_distribution_id(&distribution, "ELOCALDISTRIBUTION");
    }
    Ok(names)
}

/// Creates the secret `name` holding `value`, or gives an existing one that value; returns its
/// ARN.
pub async fn create_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> Result<String> {
    let created = secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await;
    let arn = match created {
        Ok(output) => output.arn,
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            secrets
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .map_err(|err| {
                    format!(
                        "setting secret {name}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(err)
                    )
                })?
                .arn
        }
        Err(err) => {
            return Err(format!(
                "creating secret {name}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(err)
            )
            .into());
        }
    };
    arn.ok_or_else(|| format!("secret {name} has no ARN").into())
}

/// Creates every queue of `template` on the SQS endpoint, named `<prefix><logical id>` (plus
/// `.fifo` for FIFO queues), with its dead-letter queue wired up. Returns each queue's URL by
/// logical id. Creating a queue that exists with the same attributes is a no-op in SQS.
pub async fn create_queues(
    sqs: &aws_sdk_sqs::Client,
    template: &Template,
    prefix: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut urls = BTreeMap::new();
    let mut arns = BTreeMap::new();
    for queue in template.queues()? {
        let url = create_queue(sqs, &queue, prefix, &arns, parameters).await?;
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|err| {
                format!(
                    "reading {url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(err)
                )
            })?
            .attributes()
            .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| format!("{url} has no ARN"))?;
        arns.insert(queue.logical_id.clone(), arn);
        urls.insert(queue.logical_id, url);
    }
    Ok(urls)
}

/// The local name of `queue`: SQS requires FIFO queue names to end in `.fifo`.
pub fn queue_name(queue: &Queue, prefix: &str) -> String {
    let suffix = if queue.fifo { ".fifo" } else { "" };
    format!("{prefix}{}{suffix}", queue.logical_id)
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    queue: &Queue,
    prefix: &str,
    arns: &BTreeMap<String, String>,
    parameters: &BTreeMap<String, String>,
) -> Result<String> {
    let mut request = sqs.create_queue().queue_name(queue_name(queue, prefix));
    if queue.fifo {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
    }
    // moto keeps these and reports them, but deduplicates per queue whatever the scope, which
    // collides the same ids for the shop's messages (`shared::sqs::deduplication_id`).
    if let Some(scope) = &queue.deduplication_scope {
        request = request.attributes(QueueAttributeName::DeduplicationScope, scope);
    }
    if let Some(limit) = &queue.throughput_limit {
        request = request.attributes(QueueAttributeName::FifoThroughputLimit, limit);
    }
    if let Some(seconds) = queue.visibility_timeout {
        request = request.attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string());
    }
    if let Some(seconds) = queue.message_retention {
        request = request.attributes(
            QueueAttributeName::MessageRetentionPeriod,
            seconds.to_string(),
        );
    }
    if let Some(delay) = &queue.delay {
        let seconds = delay
            .resolve(parameters)
            .ok_or_else(|| format!("{}: DelaySeconds is not a number", queue.logical_id))?;
        request = request.attributes(QueueAttributeName::DelaySeconds, seconds.to_string());
    }
    if let Some(redrive) = &queue.redrive {
        let arn = arns.get(&redrive.dead_letter_queue).ok_or_else(|| {
            format!(
                "{}: dead-letter queue {} is not declared",
                queue.logical_id, redrive.dead_letter_queue
            )
        })?;
        let policy = serde_json::json!({
            "deadLetterTargetArn": arn,
            "maxReceiveCount": redrive.max_receive_count,
        });
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let output = request.send().await.map_err(|err| {
        format!(
            "creating queue {}: {}",
            queue.logical_id,
            aws_sdk_sqs::error::DisplayErrorContext(err)
        )
    })?;
    output
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| format!("creating queue {}: no URL", queue.logical_id).into())
}

/// The local name of the bucket `logical_id`: bucket names are lower-case.
pub fn bucket_name(logical_id: &str, prefix: &str) -> String {
    format!("{prefix}{logical_id}").to_ascii_lowercase()
}

/// Creates every bucket of `template` on the S3 endpoint; returns each one's name by logical id.
pub async fn create_buckets(
    s3: &aws_sdk_s3::Client,
    template: &Template,
    prefix: &str,
) -> Result<BTreeMap<String, String>> {
    let mut names = BTreeMap::new();
    for logical_id in template.buckets() {
        let name = bucket_name(&logical_id, prefix);
        // Outside us-east-1, S3 wants the region said again.
        let region = s3
            .config()
            .region()
            .map(|region| region.as_ref().to_owned());
        let location = region.filter(|region| region != "us-east-1").map(|region| {
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    region.as_str(),
                ))
                .build()
        });
        let created = s3
            .create_bucket()
            .bucket(&name)
            .set_create_bucket_configuration(location)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(err)
                if err.as_service_error().is_some_and(|e| {
                    e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
                }) => {}
            Err(err) => {
                return Err(format!(
                    "creating bucket {name}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(err)
                )
                .into());
            }
        }
        if template.bucket_versioned(&logical_id) {
            // As on AWS: a versioned bucket keeps what is overwritten or deleted, which
            // erasing a receipt must then remove version by version.
            s3.put_bucket_versioning()
                .bucket(&name)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(|err| {
                    format!(
                        "versioning bucket {name}: {}",
                        aws_sdk_s3::error::DisplayErrorContext(err)
                    )
                })?;
        }
        names.insert(logical_id, name);
    }
    Ok(names)
}

/// Verifies the template's sender address with SES (the emulator refuses to send from an
/// unverified one, as SES does).
pub async fn verify_sender(ses: &aws_sdk_sesv2::Client, template: &Template) -> Result<String> {
    let sender = template.parameter_default("SenderEmail")?;
    let created = ses
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await;
    match created {
        Ok(_) => Ok(sender),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(sender)
        }
        Err(err) => Err(format!(
            "verifying {sender}: {}",
            aws_sdk_sesv2::error::DisplayErrorContext(err)
        )
        .into()),
    }
}
