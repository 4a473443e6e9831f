use super::*;

const SAMPLE: &str = r#"
Globals:
  Function:
    MemorySize: 128
    Environment: {Variables: {SHARED: everyone, NAME: global}}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt GateFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {ReauthorizeEvery: 0}
  Work:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      DeduplicationScope: messageGroup
      FifoThroughputLimit: perMessageGroupId
      VisibilityTimeout: 30
      DelaySeconds: !Ref Delay
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 3}
  Dead:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, MessageRetentionPeriod: 60, DelaySeconds: 5}
  GateFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: gate}}
    Properties: {MemorySize: 256}
  OpenFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: open}}
    Properties:
      Environment: {Variables: {TABLE: !Ref Table, NAME: !Sub "${AWS::StackName}-x"}}
      Events:
        Public: {Type: HttpApi, Properties: {Method: post, Path: /a, Auth: {Authorizer: NONE}}}
        Private: {Type: HttpApi, Properties: {Method: GET, Path: /b}}
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: TRIM_HORIZON
            FunctionResponseTypes: [ReportBatchItemFailures]
            MaximumRetryAttempts: 50
            MaximumRecordAgeInSeconds: 3600
            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Dead.Arn}}
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "X#"}]}}}}'
"#;

#[test]
fn reads_functions_routes_authorizers_and_tables() {
    let template = Template::parse(SAMPLE).unwrap();
    let functions = template.functions().unwrap();
    assert_eq!(functions.len(), 2);
    let open = &functions[1];
    assert_eq!(open.binary, "open");
    assert_eq!(open.memory_size, Some(128));
    assert_eq!(functions[0].memory_size, Some(256));
    assert_eq!(
        open.environment["TABLE"],
        serde_json::json!({"Ref": "Table"})
    );
    assert_eq!(
        open.environment["NAME"],
        serde_json::json!({"Fn::Sub": "${AWS::StackName}-x"}),
        "a function's own variable wins over the global one"
    );
    assert_eq!(open.environment["SHARED"], "everyone");
    assert_eq!(functions[0].environment["NAME"], "global");
    let routes = template.routes().unwrap();
    let keys: Vec<(String, Option<String>)> = routes
        .iter()
        .map(|route| (route.key(), route.authorizer.clone()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("POST /a".to_owned(), None),
            ("GET /b".to_owned(), Some("Gate".to_owned()))
        ]
    );
    assert_eq!(
        open.queue_triggers,
        vec![QueueTrigger {
            queue: "Work".into(),
            batch_size: 5,
            reports_failures: true,
            maximum_concurrency: Value::Null,
        }]
    );
    assert_eq!(
        open.stream_triggers,
        vec![StreamTrigger {
            table: "Table".into(),
            batch_size: 100,
            parallelization: 1,
            starting_position: "TRIM_HORIZON".into(),
            reports_failures: true,
            maximum_retry_attempts: 50,
            maximum_record_age: 3600,
            filters: vec![serde_json::json!({
                "eventName": ["INSERT"],
                "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "X#"}]}}},
            })],
            on_failure: Some("Dead".into()),
        }]
    );
    assert_eq!(
        template
            .table("Table")
            .unwrap()
            .definition
            .stream_specification
            .unwrap()
            .stream_view_type,
        "NEW_IMAGE"
    );
    let authorizers = template.authorizers().unwrap();
    assert_eq!(authorizers[0].function, "GateFunction");
    assert_eq!(authorizers[0].cache_seconds, 0);
    assert_eq!(
        template.table("Table").unwrap().definition.key_schema[0].attribute_name,
        "pk"
    );
    let queues = template.queues().unwrap();
    assert_eq!(
        queues,
        vec![
            Queue {
                logical_id: "Dead".into(),
                fifo: true,
                deduplication_scope: None,
                throughput_limit: None,
                visibility_timeout: None,
                message_retention: Some(60),
                delay: Some(Seconds::Literal(5)),
                redrive: None,
            },
            Queue {
                logical_id: "Work".into(),
                fifo: true,
                deduplication_scope: Some("messageGroup".into()),
                throughput_limit: Some("perMessageGroupId".into()),
                visibility_timeout: Some(30),
                message_retention: None,
                delay: Some(Seconds::Parameter("Delay".into())),
                redrive: Some(Redrive {
                    dead_letter_queue: "Dead".into(),
                    max_receive_count: 3,
                }),
            },
        ]
    );
    let parameters = BTreeMap::from([("Delay".to_owned(), "7".to_owned())]);
    assert_eq!(
        queues[1].delay.as_ref().unwrap().resolve(&parameters),
        Some(7)
    );
}

#[test]
fn no_stream_trigger_gives_up_on_a_record_the_local_cloud_takes_for_a_minute_older() {
    // DynamoDB Local times stream records to the minute, AWS to the second: the local cloud
    // may take a record for 59 s older than it is. A trigger that gives records two minutes or
    // more gives up on none here that AWS would still deliver.
    for function in Template::workspace().unwrap().functions().unwrap() {
        for trigger in &function.stream_triggers {
            let age = trigger.maximum_record_age;
            assert!(
                age == -1 || age >= 120,
                "{}: MaximumRecordAgeInSeconds {age}",
                function.logical_id
            );
        }
    }
}
