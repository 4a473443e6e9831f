//! The template's tables and queues, as the local cloud creates them.

use serde::Deserialize;

/// A DynamoDB table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub logical_id: String,
    pub definition: TableDefinition,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeyElement>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<SecondaryIndex>,
    pub time_to_live_specification: Option<TimeToLive>,
    pub billing_mode: Option<String>,
    pub stream_specification: Option<StreamSpecification>,
}

/// What the table's stream carries for each change (`NEW_IMAGE`, `NEW_AND_OLD_IMAGES`, ...).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    pub stream_view_type: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecondaryIndex {
    pub index_name: String,
    pub key_schema: Vec<KeyElement>,
    pub projection: Projection,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    pub projection_type: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLive {
    pub attribute_name: String,
    pub enabled: bool,
}

/// An SQS queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub logical_id: String,
    pub fifo: bool,
    /// A FIFO queue's `DeduplicationScope` and `FifoThroughputLimit`, as written: high
    /// throughput takes `messageGroup` and `perMessageGroupId`.
    pub deduplication_scope: Option<String>,
    pub throughput_limit: Option<String>,
    pub visibility_timeout: Option<u64>,
    pub message_retention: Option<u64>,
    /// `DelaySeconds`: how long each message waits before it can be received.
    pub delay: Option<Seconds>,
    pub redrive: Option<Redrive>,
}

/// A number of seconds as the template writes it: a number, or a parameter's (`!Ref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seconds {
    Literal(u64),
    Parameter(String),
}

impl Seconds {
    /// The number, reading a parameter's value from `parameters`.
    pub fn resolve(&self, parameters: &std::collections::BTreeMap<String, String>) -> Option<u64> {
        match self {
            Self::Literal(seconds) => Some(*seconds),
            Self::Parameter(name) => parameters.get(name)?.parse().ok(),
        }
    }
}

/// Where a queue's failed messages go, and after how many receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    /// Logical id of the dead-letter queue.
    pub dead_letter_queue: String,
    pub max_receive_count: u64,
}
