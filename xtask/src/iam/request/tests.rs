use super::*;
use serde_json::json;

fn request<'a>(
    method: &'a str,
    path: &'a str,
    target: Option<&'a str>,
    body: &'a [u8],
) -> ApiRequest<'a> {
    ApiRequest {
        method,
        path,
        query: "",
        target,
        copy_source: None,
        body,
    }
}

fn actions(checks: &[Check]) -> Vec<(String, String)> {
    checks
        .iter()
        .map(|check| (check.action.clone(), check.resource.clone()))
        .collect()
}

/// The checks for a call in one of the JSON protocols (`X-Amz-Target` and a body).
fn json_call(service: &str, target: &str, body: &str) -> Result<Vec<Check>, Unreadable> {
    checks(
        service,
        "eu-west-1",
        &request("POST", "/", Some(target), body.as_bytes()),
        &BTreeMap::new(),
    )
}

const TABLE: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/";

#[test]
fn the_credential_names_the_caller_and_the_service() {
    let header = "AWS4-HMAC-SHA256 Credential=UserLoginFunction/20261125/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    assert_eq!(
        Credential::from_request(Some(header), ""),
        Some(Credential {
            access_key: "UserLoginFunction".into(),
            region: "eu-west-1".into(),
            service: "dynamodb".into(),
        })
    );
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=K%2F20261125%2Feu-west-1%2Fs3%2Faws4_request";
    assert_eq!(Credential::from_request(None, query).unwrap().service, "s3");
    assert_eq!(Credential::from_request(None, ""), None);
    assert_eq!(Credential::from_request(Some("Bearer x"), ""), None);
}

#[test]
fn dynamodb_operations_name_their_table_or_index_and_transactions_each_item() {
    let body = json!({"TableName": "Users", "IndexName": "ByKind"}).to_string();
    let found = json_call("dynamodb", "DynamoDB_20120810.Query", &body).unwrap();
    assert_eq!(
        actions(&found),
        vec![(
            "dynamodb:Query".into(),
            format!("{TABLE}Users/index/ByKind")
        )]
    );

    let body = json!({"TransactItems": [
        {"Put": {"TableName": "Orders", "Item": {}}},
        {"Update": {"TableName": "Orders", "Key": {}}},
        {"ConditionCheck": {"TableName": "Other", "Key": {}}},
    ]})
    .to_string();
    let found = json_call("dynamodb", "DynamoDB_20120810.TransactWriteItems", &body).unwrap();
    assert_eq!(
        actions(&found),
        vec![
            ("dynamodb:PutItem".into(), format!("{TABLE}Orders")),
            ("dynamodb:UpdateItem".into(), format!("{TABLE}Orders")),
            (
                "dynamodb:ConditionCheckItem".into(),
                format!("{TABLE}Other")
            ),
        ]
    );
    let no_table = json!({"Key": {}}).to_string();
    assert!(json_call("dynamodb", "DynamoDB_20120810.GetItem", &no_table).is_err());
}

#[test]
fn sqs_batches_need_the_single_permission_on_the_queue_in_the_url() {
    let body =
        json!({"QueueUrl": "http://127.0.0.1:5000/123456789012/shop-Checkout.fifo", "Entries": []})
            .to_string();
    let found = json_call("sqs", "AmazonSQS.DeleteMessageBatch", &body).unwrap();
    assert_eq!(
        actions(&found),
        vec![(
            "sqs:DeleteMessage".into(),
            "arn:aws:sqs:eu-west-1:123456789012:shop-Checkout.fifo".into()
        )]
    );
    let form = b"Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F123456789012%2Fq&MessageBody=x";
    let found = super::checks(
        "sqs",
        "eu-west-1",
        &request("POST", "/", None, form),
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(
        actions(&found),
        vec![(
            "sqs:SendMessage".into(),
            "arn:aws:sqs:eu-west-1:123456789012:q".into()
        )]
    );
}

#[test]
fn s3_actions_follow_the_method_path_and_subresource() {
    let s3 = |method: &str, path: &str, query: &str| {
        let request = ApiRequest {
            method,
            path,
            query,
            target: None,
            copy_source: None,
            body: b"",
        };
        checks("s3", "eu-west-1", &request, &BTreeMap::new()).map(|c| actions(&c))
    };
    for (method, path, query, action, resource) in [
        (
            "GET",
            "/b/receipts/a%20b.pdf",
            "x-id=GetObject",
            "s3:GetObject",
            "arn:aws:s3:::b/receipts/a b.pdf",
        ),
        ("HEAD", "/b/k", "", "s3:GetObject", "arn:aws:s3:::b/k"),
        (
            "PUT",
            "/b/k",
            "x-id=PutObject",
            "s3:PutObject",
            "arn:aws:s3:::b/k",
        ),
        ("DELETE", "/b/k", "", "s3:DeleteObject", "arn:aws:s3:::b/k"),
        (
            "GET",
            "/b",
            "list-type=2&prefix=receipts%2F",
            "s3:ListBucket",
            "arn:aws:s3:::b",
        ),
        (
            "PUT",
            "/b/k",
            "tagging",
            "s3:PutObjectTagging",
            "arn:aws:s3:::b/k",
        ),
        (
            "GET",
            "/b/k",
            "versionId=3",
            "s3:GetObjectVersion",
            "arn:aws:s3:::b/k",
        ),
        (
            "DELETE",
            "/b/k",
            "versionId=3",
            "s3:DeleteObjectVersion",
            "arn:aws:s3:::b/k",
        ),
        (
            "GET",
            "/b/k",
            "tagging&versionId=3",
            "s3:GetObjectVersionTagging",
            "arn:aws:s3:::b/k",
        ),
    ] {
        assert_eq!(
            s3(method, path, query),
            Ok(vec![(action.to_owned(), resource.to_owned())]),
            "{method} {path}?{query}"
        );
    }
    assert!(
        s3("POST", "/b", "delete").is_err(),
        "DeleteObjects is not read, so refused"
    );
}

#[test]
fn ses_sending_is_checked_on_the_sender_identity_with_its_condition_keys() {
    let body = json!({
        "FromEmailAddress": "Shop <receipts@shop.example>",
        "Destination": {"ToAddresses": ["Ada <ada@example.com>"], "BccAddresses": ["b@example.com"]},
        "Content": {"Raw": {"Data": "eA=="}},
    })
    .to_string();
    let found = checks(
        "ses",
        "eu-west-1",
        &request("POST", "/v2/email/outbound-emails", None, body.as_bytes()),
        &BTreeMap::new(),
    )
    .unwrap();
    let identity = |action: &str, who: &str| {
        (
            action.to_owned(),
            format!("arn:aws:ses:eu-west-1:123456789012:identity/{who}"),
        )
    };
    let mut expected = Vec::new();
    for action in ["ses:SendEmail", "ses:SendRawEmail"] {
        for who in ["receipts@shop.example", "ada@example.com", "b@example.com"] {
            expected.push(identity(action, who));
        }
    }
    assert_eq!(actions(&found), expected);
    let context = &found[0].context;
    assert_eq!(context["ses:FromAddress"], vec!["receipts@shop.example"]);
    assert_eq!(
        context["ses:Recipients"],
        vec!["ada@example.com", "b@example.com"]
    );
    assert_eq!(context["ses:FromDisplayName"], vec!["Shop"]);
}

#[test]
fn secrets_are_checked_on_their_full_arn() {
    let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-TokenSecret-AbCdEf";
    let secrets = BTreeMap::from([("shop-TokenSecret".to_owned(), arn.to_owned())]);
    for id in [arn, "shop-TokenSecret"] {
        let body = json!({"SecretId": id, "VersionStage": "AWSPREVIOUS"}).to_string();
        let found = checks(
            "secretsmanager",
            "eu-west-1",
            &request(
                "POST",
                "/",
                Some("secretsmanager.GetSecretValue"),
                body.as_bytes(),
            ),
            &secrets,
        )
        .unwrap();
        assert_eq!(
            actions(&found),
            vec![("secretsmanager:GetSecretValue".into(), arn.into())]
        );
        assert_eq!(
            found[0].context["secretsmanager:VersionStage"],
            vec!["AWSPREVIOUS"]
        );
    }
}

#[test]
fn an_unknown_service_is_refused() {
    assert!(
        checks(
            "kinesis",
            "eu-west-1",
            &request("POST", "/", None, b""),
            &BTreeMap::new()
        )
        .is_err()
    );
}
