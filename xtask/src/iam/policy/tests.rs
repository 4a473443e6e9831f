use super::*;
use serde_json::json;

fn policy(statements: Value) -> Policy {
    Policy {
        statements: statements
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, s)| statement(format!("Statement[{i}]"), s).unwrap())
            .collect(),
    }
}

const TABLE: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/Users";

#[test]
fn wildcards_match_as_iam_matches() {
    assert!(wildcard(
        "arn:aws:s3:::bucket/receipts/*",
        "arn:aws:s3:::bucket/receipts/a/b.pdf"
    ));
    assert!(!wildcard(
        "arn:aws:s3:::bucket/receipts/*",
        "arn:aws:s3:::bucket/other/a.pdf"
    ));
    assert!(!wildcard(
        "arn:aws:s3:::bucket/receipts/*",
        "arn:aws:s3:::bucket"
    ));
    assert!(wildcard("a?c", "abc"));
    assert!(!wildcard("a?c", "ac"));
    assert!(wildcard("*", ""));
    assert!(wildcard("*:*", "x:y"));
    assert!(!wildcard("abc", "abcd"));
    assert!(wildcard("a*b*c", "axxbyyc"));
}

#[test]
fn denied_unless_allowed_and_a_deny_wins() {
    let allow = policy(json!([
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": TABLE},
    ]));
    let context = Context::new();
    assert_eq!(
        allow.decide("dynamodb:PutItem", TABLE, &context),
        Decision::Allowed(vec![Grant {
            statement: 0,
            action: 1,
            resource: 0
        }])
    );
    // Actions are case-insensitive, resources are not.
    assert!(allow.decide("DynamoDB:getitem", TABLE, &context).allowed());
    assert_eq!(
        allow.decide("dynamodb:GetItem", &TABLE.to_lowercase(), &context),
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        allow.decide("dynamodb:Query", &format!("{TABLE}/index/ByKind"), &context),
        Decision::ImplicitlyDenied
    );
    assert_eq!(
        allow.decide(
            "dynamodb:GetItem",
            &format!("{TABLE}/index/ByKind"),
            &context
        ),
        Decision::ImplicitlyDenied,
        "a table's ARN does not cover its indexes"
    );
    let with_deny = policy(json!([
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE},
    ]));
    assert_eq!(
        with_deny.decide("dynamodb:DeleteItem", TABLE, &context),
        Decision::ExplicitlyDenied(1)
    );
    assert!(
        with_deny
            .decide("dynamodb:PutItem", TABLE, &context)
            .allowed()
    );
}

#[test]
fn not_action_and_not_resource() {
    let p = policy(json!([
        {"Effect": "Allow", "NotAction": "s3:DeleteObject", "NotResource": "arn:aws:s3:::secret/*"},
    ]));
    let context = Context::new();
    assert!(
        p.decide("s3:GetObject", "arn:aws:s3:::b/k", &context)
            .allowed()
    );
    assert!(
        !p.decide("s3:DeleteObject", "arn:aws:s3:::b/k", &context)
            .allowed()
    );
    assert!(
        !p.decide("s3:GetObject", "arn:aws:s3:::secret/k", &context)
            .allowed()
    );
}

#[test]
fn conditions_hold_as_iam_evaluates_them() {
    let p = policy(json!([{
        "Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*",
        "Condition": {"StringEquals": {"ses:FromAddress": "shop@example.com"}},
    }]));
    let mut context = Context::new();
    assert!(
        !p.decide("ses:SendEmail", "x", &context).allowed(),
        "a missing key fails"
    );
    context.insert("SES:fromaddress".into(), vec!["shop@example.com".into()]);
    assert!(
        p.decide("ses:SendEmail", "x", &context).allowed(),
        "keys are not case-sensitive"
    );
    context.clear();
    context.insert("ses:FromAddress".into(), vec!["shop@example.com".into()]);
    assert!(p.decide("ses:SendEmail", "x", &context).allowed());
    context.insert("ses:FromAddress".into(), vec!["Shop@example.com".into()]);
    assert!(
        !p.decide("ses:SendEmail", "x", &context).allowed(),
        "StringEquals is exact"
    );

    let negated = policy(json!([{
        "Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*",
        "Condition": {"StringNotEquals": {"ses:FromAddress": "bad@example.com"},
                      "ForAllValues:StringLike": {"ses:Recipients": "*@example.com"}},
    }]));
    let mut context = Context::new();
    assert!(negated.decide("ses:SendEmail", "x", &context).allowed());
    context.insert(
        "ses:Recipients".into(),
        vec!["a@example.com".into(), "b@evil.test".into()],
    );
    assert!(!negated.decide("ses:SendEmail", "x", &context).allowed());
    context.insert("ses:Recipients".into(), vec!["a@example.com".into()]);
    assert!(negated.decide("ses:SendEmail", "x", &context).allowed());
    context.insert("ses:FromAddress".into(), vec!["bad@example.com".into()]);
    assert!(!negated.decide("ses:SendEmail", "x", &context).allowed());
}

#[test]
fn unknown_operators_and_fields_are_refused_at_load() {
    for bad in [
        json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
               "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}}),
        json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}),
        json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}),
        json!({"Effect": "Allow", "Action": "s3:GetObject"}),
        json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Ref": "Bucket"}}),
    ] {
        assert!(statement("S".into(), &bad).is_err(), "{bad}");
    }
}
