//! DynamoDB stream event source mappings, as Lambda runs them: which records a trigger's
//! `FilterCriteria` lets through, and the event a batch of records becomes.
//!
//! [`StreamsApi`] reads DynamoDB Local's streams (its `DynamoDBStreams_20120810` API, on its own
//! port). (Groundwork for the local shop's stream triggers: the poller that invokes the function
//! comes next.)

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;

use crate::Result;

/// Where to start reading a shard.
#[derive(Debug, Clone)]
pub enum Position {
    /// The oldest record the stream keeps.
    TrimHorizon,
    /// The record with this sequence number (to read a failed record again).
    At(String),
    /// The record after this sequence number (to skip records given up on).
    After(String),
}

/// DynamoDB Local's Streams API, called as the AWS SDKs call it: JSON 1.0 with the operation in
/// `X-Amz-Target`. (DynamoDB Local checks no signature; it reads the credential's key and region,
/// and the local stack runs it with `-sharedDb`, so any will do.)
#[derive(Debug, Clone, Copy)]
pub struct StreamsApi {
    address: SocketAddr,
}

impl StreamsApi {
    /// The API at `endpoint`, DynamoDB Local's URL (`http://127.0.0.1:<port>`).
    pub fn at(endpoint: &str) -> Result<Self> {
        let address = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(|err| format!("{endpoint} is not http://<address>:<port>: {err}"))?;
        Ok(Self { address })
    }

    /// The ids of the stream's shards.
    pub async fn shards(&self, stream_arn: &str) -> Result<Vec<String>> {
        let described = self
            .call("DescribeStream", json!({ "StreamArn": stream_arn }))
            .await?;
        Ok(described["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|shard| shard["ShardId"].as_str().map(str::to_owned))
            .collect())
    }

    /// An iterator over `shard` from `position`.
    pub async fn iterator(
        &self,
        stream_arn: &str,
        shard: &str,
        position: &Position,
    ) -> Result<Option<String>> {
        let mut request = json!({ "StreamArn": stream_arn, "ShardId": shard });
        match position {
            Position::TrimHorizon => request["ShardIteratorType"] = json!("TRIM_HORIZON"),
            Position::At(sequence) => {
                request["ShardIteratorType"] = json!("AT_SEQUENCE_NUMBER");
                request["SequenceNumber"] = json!(sequence);
            }
            Position::After(sequence) => {
                request["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                request["SequenceNumber"] = json!(sequence);
            }
        }
        let answer = self.call("GetShardIterator", request).await?;
        Ok(answer["ShardIterator"].as_str().map(str::to_owned))
    }

    /// The records at `iterator`, and where to read next (`None`: the shard is closed).
    pub async fn records(&self, iterator: &str) -> Result<(Vec<Value>, Option<String>)> {
        let answer = self
            .call(
                "GetRecords",
                json!({ "ShardIterator": iterator, "Limit": 1000 }),
            )
            .await?;
        let records = answer["Records"].as_array().cloned().unwrap_or_default();
        Ok((
            records,
            answer["NextShardIterator"].as_str().map(str::to_owned),
        ))
    }

    async fn call(&self, operation: &str, body: Value) -> Result<Value> {
        let stream = TcpStream::connect(self.address).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let request = hyper::Request::builder()
            .method("POST")
            .uri("/")
            .header("host", self.address.to_string())
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "x-amz-target",
                format!("DynamoDBStreams_20120810.{operation}"),
            )
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20261126/eu-west-1/dynamodb/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(Full::new(Bytes::from(body.to_string())))?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(answer)
        } else {
            Err(format!(
                "{operation} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            )
            .into())
        }
    }
}

/// Whether `record` (a stream record as Lambda's event carries it) matches the filter `pattern`,
/// with the rules Lambda's event filtering applies to the subset the shop uses: every key of the
/// pattern must be in the record; an object matches an object key by key; a list matches a value
/// if any of its entries does, an entry being a value to equal or `{"prefix": "..."}`.
pub fn matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(key, wanted)| record.get(key).is_some_and(|value| matches(wanted, value))),
        Value::Array(choices) => choices.iter().any(|choice| matches_leaf(choice, record)),
        other => other == record,
    }
}

fn matches_leaf(choice: &Value, value: &Value) -> bool {
    match choice {
        Value::Object(rule) => match (rule.get("prefix"), value) {
            (Some(Value::String(prefix)), Value::String(text)) => text.starts_with(prefix.as_str()),
            _ => false,
        },
        other => other == value,
    }
}

/// Whether a trigger with `filters` delivers `record`: no filters let everything through,
/// otherwise any one of them must match.
pub fn delivered(filters: &[Value], record: &Value) -> bool {
    filters.is_empty() || filters.iter().any(|pattern| matches(pattern, record))
}

/// The event Lambda gives the function for `records` read from the stream `stream_arn` with
/// `GetRecords`: each record with the stream's ARN, its creation time in epoch seconds, and its
/// size (which the event's readers require).
pub fn lambda_event(records: &[Value], stream_arn: &str) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|record| {
            let mut record = record.as_object().cloned().unwrap_or_default();
            record.insert("eventSourceARN".into(), json!(stream_arn));
            let change = record
                .entry("dynamodb")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(change) = change {
                if let Some(created) = change.get("ApproximateCreationDateTime").cloned() {
                    change.insert(
                        "ApproximateCreationDateTime".into(),
                        json!(epoch_seconds(&created)),
                    );
                }
                let size = change
                    .get("NewImage")
                    .map_or(0, |image| image.to_string().len());
                change.entry("SizeBytes").or_insert(json!(size));
            }
            Value::Object(record)
        })
        .collect();
    json!({ "Records": records })
}

/// A creation time as `GetRecords` gives it (epoch seconds, perhaps fractional, or epoch
/// milliseconds from some emulators) in whole epoch seconds.
fn epoch_seconds(value: &Value) -> i64 {
    let seconds = value.as_f64().unwrap_or_default();
    // Anything past the year 5000 in seconds is milliseconds.
    #[expect(clippy::cast_possible_truncation, reason = "a timestamp fits an i64")]
    if seconds > 95_617_584_000.0 {
        (seconds / 1000.0) as i64
    } else {
        seconds as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event_name: &str, pk: &str) -> Value {
        json!({
            "eventName": event_name,
            "dynamodb": {"Keys": {"pk": {"S": pk}}, "NewImage": {"pk": {"S": pk}}},
        })
    }

    #[test]
    fn the_outbox_filter_lets_through_new_outbox_items_only() {
        let outbox: Value = serde_json::from_str(
            r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"OUTBOX#"}]}}}}"#,
        )
        .unwrap();
        let filters = [outbox];
        assert!(delivered(&filters, &record("INSERT", "OUTBOX#a-2")));
        assert!(delivered(&filters, &record("MODIFY", "OUTBOX#a-2")));
        assert!(
            !delivered(&filters, &record("REMOVE", "OUTBOX#a-2")),
            "the relay's own delete"
        );
        assert!(!delivered(&filters, &record("INSERT", "ORDER#a")));
        assert!(
            delivered(&[], &record("REMOVE", "ORDER#a")),
            "no filters: everything"
        );
    }

    #[test]
    fn a_batch_becomes_lambdas_event() {
        let mut read = record("INSERT", "OUTBOX#a");
        read["dynamodb"]["ApproximateCreationDateTime"] = json!(1_795_384_440.5);
        let event = lambda_event(
            &[read],
            "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x",
        );
        let first = &event["Records"][0];
        assert_eq!(
            first["eventSourceARN"],
            "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x"
        );
        assert_eq!(
            first["dynamodb"]["ApproximateCreationDateTime"],
            1_795_384_440
        );
        assert!(first["dynamodb"]["SizeBytes"].as_u64().unwrap() > 0);
        let mut in_millis = record("INSERT", "OUTBOX#b");
        in_millis["dynamodb"]["ApproximateCreationDateTime"] = json!(1_795_384_440_000_i64);
        let event = lambda_event(&[in_millis], "arn");
        assert_eq!(
            event["Records"][0]["dynamodb"]["ApproximateCreationDateTime"],
            1_795_384_440
        );
    }
}
