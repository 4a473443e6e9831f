//! DynamoDB stream event source mappings, as Lambda runs them: which records a trigger's
//! `FilterCriteria` lets through, the event a batch of records becomes, and [`deliver_once`], a
//! pass over the stream with Lambda's retries, partial batch failures and giving up (after
//! `MaximumRetryAttempts`, or on records older than `MaximumRecordAgeInSeconds`).
//!
//! [`StreamsApi`] reads DynamoDB Local's streams (its `DynamoDBStreams_20120810` API, on its own
//! port). Not emulated: `BisectBatchOnFunctionError` (a function that reports its failures, as
//! ours do, gets the batch again from the first of them either way) and `ParallelizationFactor`
//! (the relays read ten batches of a shard at once on AWS, one here: each record names an outbox
//! item of its own, read, sent and deleted by itself, and Lambda keeps each key's records in
//! order, so what a record does is the same either way; only how much a record that keeps
//! failing holds up differs, all of its shard's later records here, a tenth of them on AWS).

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

/// One stream trigger's place in its stream: per shard, where the next read starts, and how
/// often the batch there has failed.
#[derive(Debug, Default)]
pub struct Cursor {
    shards: std::collections::BTreeMap<String, (Position, i64)>,
    /// Per shard, the last sequence number read so far.
    read: std::collections::BTreeMap<String, String>,
    /// Per shard, records up to this sequence number are older by these seconds than their
    /// creation time says (see [`Cursor::let_time_pass`]).
    aged: std::collections::BTreeMap<String, (String, i64)>,
}

impl Cursor {
    /// Ages the records read so far as if `seconds` had passed since: a test of
    /// `MaximumRecordAgeInSeconds` need not wait for it. (By sequence number: a record's time
    /// is only to the minute.)
    pub fn let_time_pass(&mut self, seconds: i64) {
        self.aged = self
            .read
            .iter()
            .map(|(shard, last)| (shard.clone(), (last.clone(), seconds)))
            .collect();
    }

    /// How old `record` of `shard` is, in seconds. DynamoDB Local times a record to the minute
    /// (AWS to the second), so a record may be taken for up to 59 s older than it is: the
    /// template's tests hold every trigger's `MaximumRecordAgeInSeconds` to two minutes or more,
    /// so that none is given up on here before it could be delivered.
    fn age(&self, shard: &str, record: &Value) -> i64 {
        let sequence = sequence(Some(record));
        let extra = match self.aged.get(shard) {
            Some((until, seconds)) if !later(&sequence, until) => *seconds,
            _ => 0,
        };
        time::OffsetDateTime::now_utc().unix_timestamp() - created(record) + extra
    }
}

/// Whether sequence number `a` comes after `b` (both decimal numbers, of any length).
fn later(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// What one pass over a stream did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Batches the function was given.
    pub batches: usize,
    /// Batches it failed (in part or whole), to be given again from the first failed record.
    pub failed: usize,
    /// Records the function was given, in all its batches.
    pub records: usize,
    /// Batches given up on after the trigger's retries, or records given up on for their age:
    /// the on-failure destination is told of each.
    pub given_up: usize,
}

/// Delivers what the stream `stream_arn` holds past `cursor` to `invoke`, as Lambda's event
/// source mapping for `trigger` would: in order, per shard, in batches of the trigger's size,
/// the records its filters let through (the others are passed over). `invoke` answers the
/// function's response (`None` if it failed outright). A response naming failed records (by
/// sequence number) makes the next pass start again at the first of them; after the trigger's
/// `MaximumRetryAttempts` the batch is given up on and `give_up` is told (the on-failure
/// destination's metadata).
pub async fn deliver_once<F, Fut, G, GFut>(
    api: StreamsApi,
    stream_arn: &str,
    trigger: &crate::template::StreamTrigger,
    cursor: &mut Cursor,
    invoke: F,
    give_up: G,
) -> Result<Pass>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Option<Value>>,
    G: Fn(Value) -> GFut,
    GFut: Future<Output = ()>,
{
    let mut pass = Pass::default();
    for shard in api.shards(stream_arn).await? {
        let (position, failures) = cursor
            .shards
            .entry(shard.clone())
            .or_insert((Position::TrimHorizon, 0))
            .clone();
        let Some(iterator) = api.iterator(stream_arn, &shard, &position).await? else {
            continue;
        };
        let (records, _) = api.records(&iterator).await?;
        let Some(newest) = records.last() else {
            continue;
        };
        let newest = sequence(Some(newest));
        let read = cursor.read.entry(shard.clone()).or_default();
        if later(&newest, read) {
            *read = newest;
        }
        // Lambda filters before it batches: records no filter lets through are passed over, and
        // a batch holds up to the trigger's size of the others.
        let size = usize::try_from(trigger.batch_size).unwrap_or(100).max(1);
        let mut wanted: Vec<Value> = records
            .iter()
            .filter(|record| delivered(&trigger.filters, record))
            .cloned()
            .collect();
        let last = if wanted.len() > size {
            wanted.truncate(size);
            sequence(wanted.last())
        } else {
            sequence(records.last())
        };
        if trigger.maximum_record_age >= 0 {
            // Records past the trigger's maximum age are given up on, never delivered.
            let (expired, fresh): (Vec<Value>, Vec<Value>) = wanted
                .into_iter()
                .partition(|record| cursor.age(&shard, record) > trigger.maximum_record_age);
            if !expired.is_empty() {
                pass.given_up += 1;
                give_up(failure_metadata(
                    "RecordAgeExceeded",
                    &shard,
                    &expired,
                    stream_arn,
                ))
                .await;
            }
            wanted = fresh;
        }
        let first_failed = if wanted.is_empty() {
            None
        } else {
            pass.batches += 1;
            pass.records += wanted.len();
            let response = invoke(lambda_event(&wanted, stream_arn)).await;
            first_failure(&wanted, response.as_ref(), trigger.reports_failures)
        };
        let next = match first_failed {
            None => (Position::After(last), 0),
            Some(_)
                if trigger.maximum_retry_attempts >= 0
                    && failures >= trigger.maximum_retry_attempts =>
            {
                pass.given_up += 1;
                give_up(failure_metadata(
                    "RetryAttemptsExhausted",
                    &shard,
                    &wanted,
                    stream_arn,
                ))
                .await;
                (Position::After(last), 0)
            }
            Some(failed) => {
                pass.failed += 1;
                (Position::At(failed), failures + 1)
            }
        };
        cursor.shards.insert(shard, next);
    }
    Ok(pass)
}

/// What the on-failure destination is told of `records` given up on for `condition`: where they
/// are in the stream, not the records themselves.
fn failure_metadata(condition: &str, shard: &str, records: &[Value], stream_arn: &str) -> Value {
    json!({
        "requestContext": {"condition": condition},
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": sequence(records.first()),
            "endSequenceNumber": sequence(records.last()),
            "batchSize": records.len(),
            "streamArn": stream_arn,
        },
    })
}

/// When `record` was written, in epoch seconds.
fn created(record: &Value) -> i64 {
    epoch_seconds(&record["dynamodb"]["ApproximateCreationDateTime"])
}

/// The sequence number of `record`.
fn sequence(record: Option<&Value>) -> String {
    record
        .and_then(|record| record["dynamodb"]["SequenceNumber"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Where delivery of `batch` must start again, from the function's `response`: nowhere if it
/// succeeded; its first record if it failed outright, or if it names a failure but may not
/// report single ones; else the first record it names (Lambda takes the lowest).
fn first_failure(batch: &[Value], response: Option<&Value>, reports: bool) -> Option<String> {
    let Some(response) = response else {
        return Some(sequence(batch.first()));
    };
    let named: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|failure| failure["itemIdentifier"].as_str().unwrap_or_default())
        .collect();
    if named.is_empty() {
        return None;
    }
    if !reports || named.iter().any(|id| id.is_empty()) {
        return Some(sequence(batch.first()));
    }
    batch
        .iter()
        .map(|record| sequence(Some(record)))
        .find(|id| named.contains(&id.as_str()))
        .or_else(|| Some(sequence(batch.first())))
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
