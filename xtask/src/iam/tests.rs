//! Reading a function's policy from the template.

use super::*;

fn function(properties: &str) -> Result<Policy> {
    let text = format!(
        r#"
Resources:
  Work:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
  F:
    Type: AWS::Serverless::Function
    Metadata: {{BuildProperties: {{Binary: f}}}}
    Properties:
{properties}
"#
    );
    let template = Template::parse(&text)?;
    let mut names = LocalNames::new("shop", "eu-west-1");
    names.add_table("Table", "shop-Table");
    names.add_queue("Work", "http://localhost/123456789012/shop-Work");
    policy_of(&template.functions()?[0], &names)
}

#[test]
fn a_policy_is_the_inline_statements_and_what_sam_adds_for_a_queue_trigger() {
    let policy = function(
        r"      Policies:
        - Statement:
            - {Effect: Allow, Action: dynamodb:GetItem, Resource: !GetAtt Table.Arn}
      Events:
        Jobs: {Type: SQS, Properties: {Queue: !GetAtt Work.Arn}}",
    )
    .unwrap();
    assert_eq!(policy.statements.len(), 2);
    let context = policy::Context::new();
    let table = "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-Table";
    assert!(policy.decide("dynamodb:GetItem", table, &context).allowed());
    assert!(!policy.decide("dynamodb:PutItem", table, &context).allowed());
    let queue = "arn:aws:sqs:eu-west-1:123456789012:shop-Work";
    assert!(
        policy
            .decide("sqs:ReceiveMessage", queue, &context)
            .allowed()
    );
    assert!(!policy.decide("sqs:SendMessage", queue, &context).allowed());
}

#[test]
fn what_the_gate_cannot_read_is_an_error_not_an_allow() {
    for properties in [
        "      Role: arn:aws:iam::123456789012:role/admin",
        "      Policies:\n        - DynamoDBCrudPolicy: {TableName: !Ref Table}",
        "      Policies:\n        - AmazonDynamoDBFullAccess",
        "      Policies:\n        - Statement:\n            - {Effect: Allow, Action: dynamodb:GetItem, Resource: !GetAtt Nowhere.Arn}",
    ] {
        assert!(function(properties).is_err(), "{properties}");
    }
}
