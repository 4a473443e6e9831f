//! The event source mappings a function's `Events` declare: SQS queues and DynamoDB streams.

use serde_json::Value;

use crate::Result;

/// An SQS event source mapping: the function consumes a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTrigger {
    /// Logical id of the queue.
    pub queue: String,
    pub batch_size: u64,
    /// Whether the function may report single messages as failed (`ReportBatchItemFailures`).
    pub reports_failures: bool,
    /// `ScalingConfig.MaximumConcurrency` as written (a number or an intrinsic), if set.
    pub maximum_concurrency: Value,
}

/// A DynamoDB stream event source mapping: the function consumes a table's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamTrigger {
    /// Logical id of the table whose stream it reads (`Stream: !GetAtt <Table>.StreamArn`).
    pub table: String,
    /// Lambda's default for streams is 100.
    pub batch_size: u64,
    /// Batches of one shard processed at once (`ParallelizationFactor`, 1 to 10, default 1).
    pub parallelization: u64,
    /// `TRIM_HORIZON` (from the oldest record kept) or `LATEST`.
    pub starting_position: String,
    /// Whether the function may report the first record that failed (`ReportBatchItemFailures`).
    pub reports_failures: bool,
    /// Retries of a failing batch before its records go to `on_failure` (-1: until they expire).
    pub maximum_retry_attempts: i64,
    /// Age in seconds past which records go to `on_failure` undelivered (-1: until they expire
    /// from the stream, after 24 hours).
    pub maximum_record_age: i64,
    /// The `FilterCriteria` patterns, parsed: a record is delivered if it matches any of them.
    pub filters: Vec<Value>,
    /// Logical id of the queue told about records given up on (`DestinationConfig.OnFailure`).
    pub on_failure: Option<String>,
}

/// The `SQS` event `name` of function `id`, from its `properties`.
pub(super) fn queue_trigger(id: &str, name: &str, props: &Value) -> Result<QueueTrigger> {
    Ok(QueueTrigger {
        queue: props["Queue"]["Fn::GetAtt"][0]
            .as_str()
            .ok_or_else(|| format!("{id} event {name}: Queue is not !GetAtt Queue.Arn"))?
            .to_owned(),
        // Lambda's default for SQS.
        batch_size: props["BatchSize"].as_u64().unwrap_or(10),
        reports_failures: props["FunctionResponseTypes"]
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures")),
        maximum_concurrency: props["ScalingConfig"]["MaximumConcurrency"].clone(),
    })
}

/// The `DynamoDB` event `name` of function `id`, from its `properties`.
pub(super) fn stream_trigger(id: &str, name: &str, properties: &Value) -> Result<StreamTrigger> {
    let table = properties["Stream"]["Fn::GetAtt"]
        .as_array()
        .filter(|parts| parts.get(1).and_then(Value::as_str) == Some("StreamArn"))
        .and_then(|parts| parts[0].as_str())
        .ok_or_else(|| format!("{id} event {name}: Stream is not !GetAtt <Table>.StreamArn"))?
        .to_owned();
    let filters = properties["FilterCriteria"]["Filters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|filter| {
            let pattern = filter["Pattern"].as_str().unwrap_or_default();
            serde_json::from_str(pattern)
                .map_err(|err| format!("{id} event {name}: a filter pattern is not JSON: {err}"))
        })
        .collect::<std::result::Result<Vec<Value>, String>>()?;
    Ok(StreamTrigger {
        table,
        batch_size: properties["BatchSize"].as_u64().unwrap_or(100),
        parallelization: match &properties["ParallelizationFactor"] {
            Value::Null => 1,
            factor => factor.as_u64().ok_or_else(|| {
                format!("{id} event {name}: ParallelizationFactor {factor} is not a number")
            })?,
        },
        starting_position: properties["StartingPosition"]
            .as_str()
            .ok_or_else(|| format!("{id} event {name} has no StartingPosition"))?
            .to_owned(),
        reports_failures: properties["FunctionResponseTypes"]
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures")),
        maximum_retry_attempts: properties["MaximumRetryAttempts"].as_i64().unwrap_or(-1),
        maximum_record_age: properties["MaximumRecordAgeInSeconds"]
            .as_i64()
            .unwrap_or(-1),
        filters,
        on_failure: properties["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
            .as_str()
            .map(str::to_owned),
    })
}
