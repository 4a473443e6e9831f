//! AWS's documented limits on the path of an order, each with the page that says so (read in
//! November 2026; SCALING.md quotes them). An account's own values are in Service Quotas: the
//! adjustable ones are what a sales peak asks AWS to raise, the others are what the design must
//! live within.

/// One documented limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limit {
    pub(crate) name: &'static str,
    pub(crate) value: f64,
    pub(crate) unit: &'static str,
    /// A quota AWS raises on request, or fixed (a partition's, a mode's).
    pub(crate) adjustable: bool,
    pub(crate) source: &'static str,
}

const API_QUOTAS: &str = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html";
const LAMBDA_QUOTAS: &str =
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html";
const SQS_SCALING: &str = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html";
const SQS_QUOTAS: &str = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html";
const HOT_PARTITIONS: &str = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html";
const DYNAMODB_QUOTAS: &str =
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html";

pub(crate) const API_ACCOUNT_RPS: Limit = Limit {
    name: "API Gateway: requests a second, per account and Region (HTTP, REST and WebSocket APIs together)",
    value: 10_000.0,
    unit: "requests/s",
    adjustable: true,
    source: API_QUOTAS,
};

pub(crate) const LAMBDA_ACCOUNT_CONCURRENCY: Limit = Limit {
    name: "Lambda: concurrent executions, per account and Region",
    value: 1_000.0,
    unit: "executions",
    adjustable: true,
    source: LAMBDA_QUOTAS,
};

pub(crate) const SQS_TRIGGER_CONCURRENCY: Limit = Limit {
    name: "Lambda's SQS trigger: concurrent invocations per event source mapping, unless MaximumConcurrency says fewer",
    value: 1_250.0,
    unit: "invocations",
    adjustable: true,
    source: SQS_SCALING,
};

pub(crate) const FIFO_NORMAL_TPS: Limit = Limit {
    name: "SQS FIFO, normal throughput: calls a second per API action per queue",
    value: 300.0,
    unit: "calls/s",
    adjustable: false,
    source: SQS_QUOTAS,
};

pub(crate) const FIFO_HIGH_THROUGHPUT_TPS: Limit = Limit {
    name: "SQS FIFO, high throughput: calls a second per API action per queue (us-east-1, us-west-2, eu-west-1; 19,000 in us-east-2 and eu-central-1)",
    value: 70_000.0,
    unit: "calls/s",
    adjustable: true,
    source: SQS_QUOTAS,
};

pub(crate) const DYNAMODB_PARTITION_WCU: Limit = Limit {
    name: "DynamoDB: write units a second per partition (a table's or an index's)",
    value: 1_000.0,
    unit: "WCU/s",
    adjustable: false,
    source: HOT_PARTITIONS,
};

pub(crate) const DYNAMODB_PARTITION_RCU: Limit = Limit {
    name: "DynamoDB: read units a second per partition",
    value: 3_000.0,
    unit: "RCU/s",
    adjustable: false,
    source: HOT_PARTITIONS,
};

pub(crate) const DYNAMODB_TABLE_WRU: Limit = Limit {
    name: "DynamoDB on demand: write request units a second per table, and per index",
    value: 40_000.0,
    unit: "WRU/s",
    adjustable: true,
    source: DYNAMODB_QUOTAS,
};

pub(crate) const DYNAMODB_TABLE_RRU: Limit = Limit {
    name: "DynamoDB on demand: read request units a second per table, and per index",
    value: 40_000.0,
    unit: "RRU/s",
    adjustable: true,
    source: DYNAMODB_QUOTAS,
};

/// What a new on-demand table starts with, spread over at least this many partitions; each
/// partition has its own stream shard.
pub(crate) const DYNAMODB_NEW_TABLE_WRITES: Limit = Limit {
    name: "DynamoDB on demand: writes a second a new table sustains before it grows",
    value: 4_000.0,
    unit: "writes/s",
    adjustable: false,
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/pre-warming-on-demand-capacity-mode.html",
};

pub(crate) const CLOUDFRONT_RPS: Limit = Limit {
    name: "CloudFront: requests a second per distribution",
    value: 250_000.0,
    unit: "requests/s",
    adjustable: true,
    source: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html",
};

/// A production account's rate "varies based on your specific use case": AWS publishes none,
/// so the model reports what a peak needs and SCALING.md says to ask for it.
pub(crate) const SES_SANDBOX_RATE: Limit = Limit {
    name: "SES: e-mails a second (1 in the sandbox; a production account's is granted per account and Region)",
    value: 1.0,
    unit: "e-mails/s",
    adjustable: true,
    source: "https://docs.aws.amazon.com/ses/latest/dg/quotas.html",
};

/// Where CloudFront keeps a copy between its edges and the origin: an edge that misses asks its
/// regional edge cache, which asks the origin. CloudFront also sends simultaneous misses for one
/// object to the origin as one ("request collapsing"), so an object the origin marks for `ttl`
/// seconds is asked of it at most this many times every `ttl`.
pub(crate) const CLOUDFRONT_REGIONAL_EDGE_CACHES: Limit = Limit {
    name: "CloudFront: regional edge caches",
    value: 13.0,
    unit: "caches",
    adjustable: false,
    source: "https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/points-of-presence.html",
};
