//! DynamoDB Local's streams, read as the local shop's stream triggers will read them: the records
//! a table's writes leave, and the event Lambda would make of them.

use aws_sdk_dynamodb::types::AttributeValue;
use xtask::streams::{Position, StreamsApi, delivered, lambda_event};
use xtask::template::Template;

use crate::support::sdk_config;

/// A table whose stream is declared.
const OUTBOX: &str = r"
Resources:
  Outbox:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
";

/// A template with [`OUTBOX`] and then `more` (other resources).
fn with_outbox(more: &str) -> Template {
    Template::parse(&format!("{OUTBOX}{more}")).unwrap()
}

/// The table `Outbox` of `template`, created under a name of its own, with items keyed `keys`
/// written in that order: its stream's ARN.
async fn outbox_holding(template: &Template, keys: &[&str]) -> String {
    let sdk = sdk_config().await;
    let dynamodb = shared::aws::dynamodb(&sdk);
    let name = format!("streams-{}", uuid::Uuid::new_v4().simple());
    xtask::provision::create_table(&dynamodb, &template.table("Outbox").unwrap(), &name)
        .await
        .unwrap();
    for pk in keys {
        dynamodb
            .put_item()
            .table_name(&name)
            .item("pk", AttributeValue::S((*pk).into()))
            .send()
            .await
            .unwrap();
    }
    crate::support::stream_of(&dynamodb, &name).await
}

#[tokio::test]
async fn a_tables_stream_gives_the_records_a_trigger_delivers() {
    let arn = outbox_holding(&with_outbox(""), &["OUTBOX#a-2", "ORDER#a"]).await;

    let api = StreamsApi::at(&std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap()).unwrap();
    let shards = api.shards(&arn).await.unwrap();
    assert_eq!(shards.len(), 1);
    let iterator = api
        .iterator(&arn, &shards[0], &Position::TrimHorizon)
        .await
        .unwrap()
        .unwrap();
    let (records, next) = api.records(&iterator).await.unwrap();
    assert!(next.is_some(), "the shard is open");
    assert_eq!(records.len(), 2);
    let event = lambda_event(&records, &arn);
    let outbox: serde_json::Value = serde_json::from_str(
        r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"OUTBOX#"}]}}}}"#,
    )
    .unwrap();
    let delivered: Vec<&str> = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|record| delivered(std::slice::from_ref(&outbox), record))
        .map(|record| record["dynamodb"]["NewImage"]["pk"]["S"].as_str().unwrap())
        .collect();
    assert_eq!(delivered, ["OUTBOX#a-2"]);
    assert_eq!(event["Records"][0]["eventSourceARN"], arn.as_str());
    assert!(event["Records"][0]["dynamodb"]["SequenceNumber"].is_string());

    // A record read again from its sequence number, as a failed batch is.
    let sequence = records[1]["dynamodb"]["SequenceNumber"].as_str().unwrap();
    let again = api
        .iterator(&arn, &shards[0], &Position::At(sequence.to_owned()))
        .await
        .unwrap()
        .unwrap();
    let (records, _) = api.records(&again).await.unwrap();
    assert_eq!(records[0]["dynamodb"]["NewImage"]["pk"]["S"], "ORDER#a");
}

/// A table kept from before its stream was declared (a local shop's persisted data) gets it.
#[tokio::test]
async fn provisioning_adds_a_declared_stream_to_a_table_that_has_none() {
    let stream = "      StreamSpecification: {StreamViewType: NEW_IMAGE}\n";
    let without = Template::parse(&OUTBOX.replace(stream, "")).unwrap();
    assert!(
        without
            .table("Outbox")
            .unwrap()
            .definition
            .stream_specification
            .is_none()
    );
    let dynamodb = shared::aws::dynamodb(&sdk_config().await);
    let name = format!("streams-{}", uuid::Uuid::new_v4().simple());
    xtask::provision::create_table(&dynamodb, &without.table("Outbox").unwrap(), &name)
        .await
        .unwrap();
    let declared = with_outbox("").table("Outbox").unwrap();
    xtask::provision::create_table(&dynamodb, &declared, &name)
        .await
        .unwrap();
    assert!(
        crate::support::stream_of(&dynamodb, &name)
            .await
            .contains("/stream/")
    );
    // And again: nothing to do.
    xtask::provision::create_table(&dynamodb, &declared, &name)
        .await
        .unwrap();
}

/// And one kept from before an index was declared gets the index (the orders' status index,
/// for a local shop persisted before it).
#[tokio::test]
async fn provisioning_adds_a_declared_index_to_a_table_that_lacks_it() {
    let declared = Template::workspace().unwrap().table("OrdersTable").unwrap();
    let mut earlier = declared.clone();
    earlier
        .definition
        .global_secondary_indexes
        .retain(|index| index.index_name != "ByStatusShard");
    earlier
        .definition
        .attribute_definitions
        .retain(|attribute| !attribute.attribute_name.starts_with("status_"));
    let dynamodb = shared::aws::dynamodb(&sdk_config().await);
    let name = format!("orders-{}", uuid::Uuid::new_v4().simple());
    for table in [&earlier, &declared, &declared] {
        xtask::provision::create_table(&dynamodb, table, &name)
            .await
            .unwrap();
    }
    let indexes: Vec<String> = dynamodb
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .global_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|index| index.index_name)
        .collect();
    assert!(indexes.contains(&"ByStatusShard".to_owned()), "{indexes:?}");
}

/// Records are delivered in order, the filtered-out ones passed over, a failed record given
/// again until the trigger's retries run out, and then reported to the on-failure destination.
#[tokio::test]
async fn a_trigger_delivers_in_order_retries_failures_and_gives_up_after_its_retries() {
    let template = with_outbox(
        r#"
  Dead:
    Type: AWS::SQS::Queue
  RelayFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: relay}}
    Properties:
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Outbox.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
            MaximumRetryAttempts: 2
            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Dead.Arn}}
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}'
"#,
    );
    let trigger = template.functions().unwrap()[0].stream_triggers[0].clone();
    let arn = outbox_holding(
        &template,
        &["OUTBOX#1", "ORDER#x", "OUTBOX#poison", "OUTBOX#3"],
    )
    .await;
    let api = StreamsApi::at(&std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap()).unwrap();

    // The function fails `OUTBOX#poison` every time, and says so by its sequence number.
    let seen = std::sync::Mutex::new(Vec::<String>::new());
    let given_up = std::sync::Mutex::new(Vec::new());
    let mut cursor = xtask::streams::Cursor::default();
    let mut passes = Vec::new();
    for _ in 0..4 {
        let pass = xtask::streams::deliver_once(
            api,
            &arn,
            &trigger,
            &mut cursor,
            |event| {
                let seen = &seen;
                async move {
                    let mut failures = Vec::new();
                    for record in event["Records"].as_array().unwrap() {
                        let pk = record["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap();
                        seen.lock().unwrap().push(pk.to_owned());
                        if pk == "OUTBOX#poison" {
                            let id = &record["dynamodb"]["SequenceNumber"];
                            failures.push(serde_json::json!({ "itemIdentifier": id }));
                        }
                    }
                    Some(serde_json::json!({ "batchItemFailures": failures }))
                }
            },
            |metadata| {
                let given_up = &given_up;
                async move { given_up.lock().unwrap().push(metadata) }
            },
        )
        .await
        .unwrap();
        passes.push((pass.batches, pass.failed, pass.given_up));
    }
    assert_eq!(passes, [(1, 1, 0), (1, 1, 0), (1, 0, 1), (0, 0, 0)]);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "OUTBOX#1",
            "OUTBOX#poison",
            "OUTBOX#3", // the first batch; ORDER#x passed over
            "OUTBOX#poison",
            "OUTBOX#3", // again from the failed record
            "OUTBOX#poison",
            "OUTBOX#3", // the last retry, then given up on
        ]
    );
    let given_up = given_up.into_inner().unwrap();
    assert_eq!(given_up.len(), 1);
    assert_eq!(given_up[0]["DDBStreamBatchInfo"]["streamArn"], arn.as_str());
}
